//! The OCI front-end with blobs on a real S3 server (on SQLite and PostgreSQL).

use super::*;
use trove_testkit::{both_backends, Backend};

async fn oci_push_pull_and_gc_on_s3(b: Backend) {
    let app = TestApp::builder(b).s3().start().await;
    assert!(app.services().store.describe().starts_with("s3:"));
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    // Large enough for multipart uploads, pushed in three chunks.
    let big = bytes_of(12 * 1024 * 1024 + 17, 21);
    let d = sha256(&big);
    let res = oci.send(Method::POST, "/v2/alice/big/blobs/uploads/").await;
    let mut loc = header(&res, "location");
    let cuts = [0, 5 * 1024 * 1024, 10 * 1024 * 1024, big.len()];
    for w in cuts.windows(2) {
        let res = oci
            .req(Method::PATCH, &loc)
            .header("content-range", format!("{}-{}", w[0], w[1] - 1))
            .body(big[w[0]..w[1]].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        loc = header(&res, "location");
    }
    let res = oci.send(Method::PUT, &format!("{loc}?digest={d}")).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let config = b"{}";
    let cd = oci.push_blob("alice/big", config).await;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": big.len()}],
    }))
    .unwrap();
    assert_eq!(
        oci.put_manifest("alice/big", "v1", OCI_MANIFEST, &manifest)
            .await
            .status(),
        StatusCode::CREATED
    );

    let res = Oci::anonymous(&app)
        .send(Method::GET, &format!("/v2/alice/big/blobs/{d}"))
        .await;
    assert_eq!(sha256(&res.bytes().await.unwrap()), d);
    let res = oci
        .req(Method::GET, &format!("/v2/alice/big/blobs/{d}"))
        .header("range", "bytes=6000000-6000099")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &big[6_000_000..6_000_100]);
    // Mounted elsewhere without copying; the chunks are gone.
    let res = oci
        .send(
            Method::POST,
            &format!("/v2/alice/copy/blobs/uploads/?mount={d}&from=alice/big"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(app.blob_count().await, 3, "layer, config, manifest");

    // Delete everything and collect.
    let res = oci
        .send(
            Method::DELETE,
            &format!("/v2/alice/big/manifests/{}", sha256(&manifest)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let res = oci.send(Method::DELETE, &format!("/v2/alice/copy/blobs/{d}")).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let report = app.services().blobs().gc_blobs(0).await.unwrap();
    assert_eq!(report.deleted, 3, "{report:?}");
    assert_eq!(app.blob_count().await, 0);
    app.stop().await;
}

both_backends!(oci_push_pull_and_gc_on_s3);
