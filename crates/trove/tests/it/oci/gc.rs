//! The shared deduplicated store and online garbage collection: blobs are stored once,
//! unreferenced ones are reclaimed, abandoned uploads expire, and a collection running
//! concurrently with pushes never deletes bytes a push is using.

use super::*;
use trove_core::Digest;
use trove_testkit::{both_backends, Backend};

async fn blobs_are_shared_and_collected_when_unreferenced(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let shared = bytes_of(4096, 1);
    let ma = oci.push_image("alice/a", "v1", &[&shared, b"only in a"]).await;
    let before = app.blob_count().await;
    let mb = oci.push_image("alice/b", "b1", &[&shared]).await;
    // b's config and manifest are new; the shared layer is stored once.
    assert_eq!(app.blob_count().await, before + 2);
    // Native packages and OCI content share the store and the collector.
    alice.publish("alice/native", "1.0.0").await;

    let svc = app.services();
    let report = svc.blobs().gc_blobs(0).await.unwrap();
    assert_eq!(report.deleted, 0, "everything is referenced: {report:?}");

    // Delete a's manifest: its config and private layer go, the shared layer stays for b.
    let res = oci
        .send(Method::DELETE, &format!("/v2/alice/a/manifests/{}", sha256(&ma)))
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let report = svc.blobs().gc_blobs(0).await.unwrap();
    assert_eq!(report.deleted, 3, "a's manifest, config and own layer: {report:?}");
    let res = oci
        .send(Method::GET, &format!("/v2/alice/a/blobs/{}", sha256(&shared)))
        .await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UNKNOWN").await;
    let res = oci
        .send(Method::GET, &format!("/v2/alice/b/blobs/{}", sha256(&shared)))
        .await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), shared.as_slice());
    let res = oci.send(Method::GET, "/v2/alice/b/manifests/b1").await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), mb.as_slice());
    let res = app
        .get("/api/v1/packages/alice/native/versions/1.0.0/download")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Young unreferenced blobs are kept for the grace period.
    oci.push_blob("alice/b", b"pushed but never used").await;
    let report = svc.blobs().gc_blobs(3_600_000).await.unwrap();
    assert_eq!(report.deleted, 0);
    // A deleted blob goes at the next collection once nothing else uses it.
    let res = oci
        .send(Method::DELETE, &format!("/v2/alice/b/manifests/{}", sha256(&mb)))
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let report = svc.blobs().gc_blobs(0).await.unwrap();
    assert_eq!(
        report.deleted, 4,
        "b's manifest, config, the shared layer and the unused blob: {report:?}"
    );
    assert_eq!(app.blob_count().await, 1, "only the native archive is left");
    app.stop().await;
}

async fn abandoned_uploads_expire(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let res = oci.send(Method::POST, "/v2/alice/app/blobs/uploads/").await;
    let loc = header(&res, "location");
    let res = oci
        .req(Method::PATCH, &loc)
        .header("content-range", "0-9")
        .body(b"0123456789".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    // The chunk is in the upload's file (appended in place), not a blob of its own.
    let id = upload_id_at(&loc);
    let file = app.config.data_dir.join("blobs").join("uploads").join(&id);
    let stored = || std::fs::metadata(&file).map(|m| m.len()).ok();
    assert_eq!(stored(), Some(10), "the chunk is stored");
    assert_eq!(app.blob_count().await, 0);
    let svc = app.services();
    // Uploads touched within the TTL stay.
    assert_eq!(svc.oci().expire_uploads(3_600_000).await.unwrap(), 0);
    // Neither the collector nor the leftovers sweep takes an upload in progress.
    assert_eq!(svc.blobs().gc_blobs(0).await.unwrap().deleted, 0);
    assert_eq!(stored(), Some(10));
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(svc.oci().expire_uploads(10).await.unwrap(), 1);
    let res = oci.send(Method::GET, &loc).await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN").await;
    assert_eq!(stored(), None, "the chunk went with the upload");
    app.stop().await;
}

/// The background sweep removes abandoned uploads without anyone calling it.
async fn background_sweep_expires_uploads(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| {
            c.oci.upload_ttl_secs = 0;
            c.oci.sweep_interval_secs = 1;
        })
        .start()
        .await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let loc = header(
        &oci.send(Method::POST, "/v2/alice/app/blobs/uploads/").await,
        "location",
    );
    let mut gone = false;
    for _ in 0..200 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if oci.send(Method::GET, &loc).await.status() == StatusCode::NOT_FOUND {
            gone = true;
            break;
        }
    }
    assert!(gone, "the sweep did not remove the abandoned upload");
    app.stop().await;
}

/// Bytes that nothing references (a deleted blob) are collected while pushes of the same
/// bytes run; every push that succeeds must leave the blob readable.
async fn gc_never_deletes_bytes_a_concurrent_push_uses(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let data = bytes_of(64 * 1024, 9);
    let d = sha256(&data);
    let storage = Digest::parse(&d).unwrap();
    let svc = app.services().clone();
    for round in 0..15 {
        oci.push_blob("alice/app", &data).await;
        let res = oci.send(Method::DELETE, &format!("/v2/alice/app/blobs/{d}")).await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        // Now unreferenced: a collector and a push race for it.
        let collector = {
            let svc = svc.clone();
            let storage = storage.clone();
            tokio::spawn(async move {
                let mut deleted = 0;
                for _ in 0..20 {
                    if svc.blobs().reclaim_blob(&storage).await.unwrap() {
                        deleted += 1;
                    }
                    tokio::task::yield_now().await;
                }
                deleted
            })
        };
        let pusher = {
            let oci = oci.clone();
            let data = data.clone();
            tokio::spawn(async move {
                // Alternate monolithic and chunked pushes.
                if round % 2 == 0 {
                    oci.push_blob("alice/app", &data).await;
                } else {
                    let loc = header(
                        &oci.send(Method::POST, "/v2/alice/app/blobs/uploads/").await,
                        "location",
                    );
                    oci.req(Method::PATCH, &loc).body(data.clone()).send().await.unwrap();
                    let res = oci.send(Method::PUT, &format!("{loc}?digest={}", sha256(&data))).await;
                    assert_eq!(res.status(), StatusCode::CREATED);
                }
            })
        };
        pusher.await.unwrap();
        collector.await.unwrap();
        let res = oci.send(Method::GET, &format!("/v2/alice/app/blobs/{d}")).await;
        assert_eq!(res.status(), StatusCode::OK, "round {round}");
        assert_eq!(
            sha256(&res.bytes().await.unwrap()),
            d,
            "round {round}: the blob's bytes were collected under a finished push"
        );
    }
    // A full collection while an image is being pushed loses nothing either.
    let gc = {
        let svc = svc.clone();
        tokio::spawn(async move {
            for _ in 0..10 {
                svc.blobs().gc_blobs(60_000).await.unwrap();
            }
        })
    };
    for i in 0..5u32 {
        oci.push_image("alice/app", &format!("t{i}"), &[&bytes_of(1000, i)])
            .await;
    }
    gc.await.unwrap();
    for i in 0..5u32 {
        let res = oci
            .send(
                Method::GET,
                &format!("/v2/alice/app/blobs/{}", sha256(&bytes_of(1000, i))),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    app.stop().await;
}

both_backends!(
    blobs_are_shared_and_collected_when_unreferenced,
    abandoned_uploads_expire,
    background_sweep_expires_uploads,
    gc_never_deletes_bytes_a_concurrent_push_uses
);
