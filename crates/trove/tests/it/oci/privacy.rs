//! Private repositories and other people's namespaces.

use super::*;
use trove_testkit::{both_backends, Backend};

async fn private_repositories_hide_from_outsiders(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let a = Oci::user(&app, &alice);
    let m = a.push_image("alice/secret", "v1", &[b"secret layer"]).await;
    let res = alice
        .req(Method::PATCH, "/api/v1/packages/alice/secret")
        .json(&json!({"visibility": "private"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let paths = [
        "/v2/alice/secret/manifests/v1".to_string(),
        format!("/v2/alice/secret/blobs/{}", sha256(b"secret layer")),
        "/v2/alice/secret/tags/list".to_string(),
        format!("/v2/alice/secret/referrers/{}", sha256(&m)),
    ];
    // Anonymous callers are asked to log in, exactly as for a repository that does not exist.
    for p in &paths {
        let res = Oci::anonymous(&app).send(Method::GET, p).await;
        let challenge = header(&res, "www-authenticate");
        assert!(
            challenge.contains("scope=\"repository:alice/secret:pull\""),
            "{challenge}"
        );
        oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    }
    let res = Oci::anonymous(&app)
        .send(Method::GET, "/v2/alice/no-such-repo/manifests/v1")
        .await;
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    // Other users see nothing there.
    let bo = Oci::user(&app, &bob);
    for p in &paths[..3] {
        let res = bo.send(Method::GET, p).await;
        oci_error(res, StatusCode::NOT_FOUND, "NAME_UNKNOWN").await;
    }
    // Referrers of what one cannot see: none, as for a repository that does not exist.
    let res = bo.send(Method::GET, &paths[3]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["manifests"], json!([]));
    let res = bo.send(Method::POST, "/v2/alice/secret/blobs/uploads/").await;
    oci_error(res, StatusCode::FORBIDDEN, "DENIED").await;
    let res = bo.send(Method::DELETE, "/v2/alice/secret/manifests/v1").await;
    oci_error(res, StatusCode::NOT_FOUND, "NAME_UNKNOWN").await;
    // The token service grants bob nothing on it, and anonymous callers nothing either.
    for who in [Oci::basic(&app, "bob", "correct horse"), Oci::anonymous(&app)] {
        let v: Value = who
            .send(
                Method::GET,
                "/v2/token?service=trove&scope=repository:alice/secret:pull,push,delete",
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(claims(v["token"].as_str().unwrap())["access"][0]["actions"], json!([]));
    }
    // alice still pulls, also through a registry token.
    let v: Value = Oci::basic(&app, "alice", "correct horse")
        .send(
            Method::GET,
            "/v2/token?service=trove&scope=repository:alice/secret:pull",
        )
        .await
        .json()
        .await
        .unwrap();
    let res = Oci::token(&app, v["token"].as_str().unwrap())
        .send(Method::GET, "/v2/alice/secret/manifests/v1")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header(&res, "cache-control").contains("no-cache"));
    let res = a
        .send(
            Method::GET,
            &format!("/v2/alice/secret/blobs/{}", sha256(b"secret layer")),
        )
        .await;
    assert!(header(&res, "cache-control").starts_with("private"));
    app.stop().await;
}

async fn pushing_needs_a_namespace_you_may_publish_to(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let _bob = app.user("bob").await;
    let a = Oci::user(&app, &alice);
    // Anonymous pushes are asked to log in, with the push scope.
    let res = Oci::anonymous(&app)
        .send(Method::POST, "/v2/alice/app/blobs/uploads/")
        .await;
    assert!(header(&res, "www-authenticate").contains("scope=\"repository:alice/app:pull,push\""));
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let res = a.send(Method::POST, "/v2/bob/app/blobs/uploads/").await;
    oci_error(res, StatusCode::FORBIDDEN, "DENIED").await;
    let res = a.send(Method::POST, "/v2/nobody/app/blobs/uploads/").await;
    oci_error(res, StatusCode::NOT_FOUND, "NAME_UNKNOWN").await;
    // Rights are checked before the manifest is: an invalid manifest pushed where one may
    // not push is refused as such, not validated for a stranger.
    let res = a
        .req(Method::PUT, "/v2/bob/app/manifests/v1")
        .header("content-type", OCI_MANIFEST)
        .body("{}")
        .send()
        .await
        .unwrap();
    oci_error(res, StatusCode::FORBIDDEN, "DENIED").await;
    let res = Oci::anonymous(&app)
        .req(Method::PUT, "/v2/alice/app/manifests/v1")
        .header("content-type", OCI_MANIFEST)
        .body("not even json")
        .send()
        .await
        .unwrap();
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    app.stop().await;
}

/// Writes to a private repository one cannot see answer exactly as writes to a repository
/// that does not exist: same status, same body but for the name, for every write path.
async fn private_and_missing_repositories_answer_writes_alike(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let a = Oci::user(&app, &alice);
    a.push_image("alice/secret", "v1", &[b"secret layer"]).await;
    a.push_image("alice/public", "v1", &[b"secret layer"]).await;
    let res = alice
        .req(Method::PATCH, "/api/v1/packages/alice/secret")
        .json(&json!({"visibility": "private"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let layer = sha256(b"secret layer");
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{layer}","size":12}},"layers":[]}}"#
    );
    for who in [Oci::user(&app, &bob), Oci::anonymous(&app)] {
        let mut answers = Vec::new();
        for repo in ["alice/secret", "alice/nothere"] {
            let mut seen = Vec::new();
            let writes = [
                who.req(Method::POST, &format!("/v2/{repo}/blobs/uploads/")),
                who.req(Method::POST, &format!("/v2/{repo}/blobs/uploads/?digest={layer}"))
                    .body(b"secret layer".to_vec()),
                who.req(
                    Method::POST,
                    &format!("/v2/{repo}/blobs/uploads/?mount={layer}&from=alice/public"),
                ),
                who.req(Method::PUT, &format!("/v2/{repo}/manifests/v2"))
                    .header("content-type", OCI_MANIFEST)
                    .body(manifest.clone()),
                who.req(Method::DELETE, &format!("/v2/{repo}/manifests/v1")),
                who.req(Method::DELETE, &format!("/v2/{repo}/blobs/{layer}")),
            ];
            for w in writes {
                let res = w.send().await.unwrap();
                let status = res.status();
                let challenge = header(&res, "www-authenticate").replace(repo, "REPO");
                let body = res.text().await.unwrap().replace(repo, "REPO");
                seen.push((status, challenge, body));
            }
            answers.push(seen);
        }
        assert_eq!(answers[0], answers[1]);
    }
    app.stop().await;
}

both_backends!(
    private_and_missing_repositories_answer_writes_alike,
    private_repositories_hide_from_outsiders,
    pushing_needs_a_namespace_you_may_publish_to
);
