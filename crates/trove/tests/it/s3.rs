//! The registry on PostgreSQL (and SQLite) with blobs on a real S3 server.

use crate::common::*;
use reqwest::{Method, StatusCode};
use sha2::Digest as _;
use trove_testkit::{both_backends, Backend};

async fn publish_download_and_ready_on_s3(b: Backend) {
    let app = TestApp::builder(b).s3().start().await;
    assert!(app.services().store.describe().starts_with("s3:"));
    let ready = json_ok(app.get("/health/ready").send().await.unwrap()).await;
    assert_eq!(ready["checks"]["storage"]["status"], "ok");
    let alice = app.user("alice").await;
    // Large enough to go through a multipart upload.
    let big: Vec<u8> = (0..12 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let archive = trove_tarball::ArchiveBuilder::new()
        .file(
            "trove.toml",
            trove_tarball::manifest_toml("alice/big", "1.0.0", &[]).as_bytes(),
        )
        .file("data.bin", &big)
        .finish();
    let res = alice.publish_bytes("alice/big", "1.0.0", archive.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let body = app
        .get("/api/v1/packages/alice/big/versions/1.0.0/download")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&body)),
        hex::encode(sha2::Sha256::digest(&archive))
    );
    let res = app
        .get("/api/v1/packages/alice/big/versions/1.0.0/download")
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &archive[1000..2000]);
    alice
        .req(Method::DELETE, "/api/v1/packages/alice/big/versions/1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(app.services().blobs().gc_blobs(0).await.unwrap().deleted, 1);
    app.stop().await;
}

both_backends!(publish_download_and_ready_on_s3);
