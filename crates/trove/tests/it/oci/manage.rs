//! Content management: deleting manifests, tags and blobs; deletes disabled by configuration;
//! who may delete.

use super::*;
use trove_testkit::{both_backends, Backend};

async fn deletes_manifests_tags_and_blobs(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let m = oci.push_image("alice/app", "v1", &[b"layer"]).await;
    let d = sha256(&m);
    oci.put_manifest("alice/app", "v2", OCI_MANIFEST, &m).await;

    // Deleting a tag leaves the manifest and its other tags.
    let res = oci.send(Method::DELETE, "/v2/alice/app/manifests/v1").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let res = oci.send(Method::GET, "/v2/alice/app/manifests/v1").await;
    oci_error(res, StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN").await;
    assert_eq!(
        oci.send(Method::GET, &format!("/v2/alice/app/manifests/{d}"))
            .await
            .status(),
        StatusCode::OK
    );
    let v: Value = oci
        .send(Method::GET, "/v2/alice/app/tags/list")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["tags"], json!(["v2"]));
    let res = oci.send(Method::DELETE, "/v2/alice/app/manifests/v1").await;
    oci_error(res, StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN").await;

    // Deleting by digest removes the manifest and every tag on it.
    let res = oci.send(Method::DELETE, &format!("/v2/alice/app/manifests/{d}")).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let res = oci.send(Method::GET, &format!("/v2/alice/app/manifests/{d}")).await;
    oci_error(res, StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN").await;
    let v: Value = oci
        .send(Method::GET, "/v2/alice/app/tags/list")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["tags"], json!([]));
    let res = oci.send(Method::DELETE, &format!("/v2/alice/app/manifests/{d}")).await;
    oci_error(res, StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN").await;

    // Blobs.
    let layer = sha256(b"layer");
    let res = oci.send(Method::DELETE, &format!("/v2/alice/app/blobs/{layer}")).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let res = oci.send(Method::GET, &format!("/v2/alice/app/blobs/{layer}")).await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UNKNOWN").await;
    let res = oci.send(Method::DELETE, &format!("/v2/alice/app/blobs/{layer}")).await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UNKNOWN").await;
    let res = oci.send(Method::DELETE, "/v2/alice/app/blobs/sha256:bad").await;
    oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;

    // Each delete is in the audit log.
    let admin = app.admin("boss").await;
    let log = json_ok(
        admin
            .get("/api/v1/audit?action=oci.manifest.delete")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(log["events"].as_array().unwrap().len(), 1, "{log}");
    app.stop().await;
}

async fn deletes_can_be_disabled(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.oci.delete_enabled = false)
        .start()
        .await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let m = oci.push_image("alice/app", "v1", &[b"layer"]).await;
    for path in [
        "/v2/alice/app/manifests/v1".to_string(),
        format!("/v2/alice/app/manifests/{}", sha256(&m)),
        format!("/v2/alice/app/blobs/{}", sha256(b"layer")),
    ] {
        let res = oci.send(Method::DELETE, &path).await;
        oci_error(res, StatusCode::METHOD_NOT_ALLOWED, "UNSUPPORTED").await;
    }
    assert_eq!(
        oci.send(Method::GET, "/v2/alice/app/manifests/v1").await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

async fn organization_roles_decide_push_and_delete(b: Backend) {
    let app = TestApp::new(b).await;
    let owner = app.user("olga").await;
    let reader = app.user("rita").await;
    let writer = app.user("walt").await;
    let res = owner
        .req(Method::POST, "/api/v1/orgs")
        .json(&json!({"name": "acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    for (who, role) in [("rita", "read"), ("walt", "write")] {
        let res = owner
            .req(Method::PUT, &format!("/api/v1/orgs/acme/members/{who}"))
            .json(&json!({"role": role}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }
    let o = Oci::user(&app, &owner);
    o.push_image("acme/tools/app", "v1", &[b"org layer"]).await;
    let r = Oci::user(&app, &reader);
    let w = Oci::user(&app, &writer);
    assert_eq!(
        r.send(Method::GET, "/v2/acme/tools/app/manifests/v1").await.status(),
        StatusCode::OK
    );
    let res = r.send(Method::POST, "/v2/acme/tools/app/blobs/uploads/").await;
    oci_error(res, StatusCode::FORBIDDEN, "DENIED").await;
    let res = r.send(Method::POST, "/v2/acme/new/blobs/uploads/").await;
    oci_error(res, StatusCode::FORBIDDEN, "DENIED").await;
    let res = r.send(Method::DELETE, "/v2/acme/tools/app/manifests/v1").await;
    oci_error(res, StatusCode::FORBIDDEN, "DENIED").await;
    w.push_image("acme/tools/app", "v2", &[b"writer layer"]).await;
    w.push_blob("acme/new", b"a new repository").await;
    let res = w.send(Method::DELETE, "/v2/acme/tools/app/manifests/v1").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    app.stop().await;
}

both_backends!(
    deletes_manifests_tags_and_blobs,
    deletes_can_be_disabled,
    organization_roles_decide_push_and_delete
);
