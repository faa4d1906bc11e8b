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

/// The S3 multipart upload behind a chunked upload (`multipart_state` of its row).
async fn multipart_state(app: &TestApp, id: &str) -> trove_storage::MultipartState {
    let mut conn = app.services().db.conn().await.unwrap();
    let up = trove_db::oci_uploads::find(&mut conn, id)
        .await
        .unwrap()
        .expect("upload row");
    serde_json::from_str(up.multipart_state.as_deref().expect("a multipart state")).unwrap()
}

/// Files s3s-fs keeps for the parts of the multipart upload `upload_id`.
fn part_files(upload_id: &str) -> usize {
    std::fs::read_dir(s3_root())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(&format!(".upload_id-{upload_id}.part-"))
        })
        .count()
}

/// A chunked upload on S3 is one multipart upload whose parts are the chunks: chunks of 6, 1
/// and 5 MiB (the 1 MiB one waits in a tail object and goes with the next chunk, so parts
/// are 6 and 6 MiB), continued on a second node, finished there with the right digest after
/// a wrong one is refused; the blob holds exactly the bytes and nothing is left under
/// `uploads/`. A cancelled upload leaves no multipart upload (no part files on the server)
/// and no objects.
async fn chunked_uploads_on_s3_are_multipart(b: Backend) {
    const MIB: usize = 1024 * 1024;
    let app = TestApp::builder(b).s3().start().await;
    let alice = app.user("alice").await;
    let node2 = app.start_node().await;
    let a = Oci::user(&app, &alice);
    let b2 = a.via(node2.base_url());
    let store = &app.services().store;
    let data = bytes_of(12 * MIB, 31);
    let d = sha256(&data);
    let res = a.send(Method::POST, "/v2/alice/mp/blobs/uploads/").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let mut loc = header(&res, "location");
    let id = upload_id_at(&loc);
    let patch = |oci: &Oci, loc: &str, from: usize, to: usize| {
        oci.req(Method::PATCH, loc)
            .header("content-range", format!("{}-{}", from, to - 1))
            .body(data[from..to].to_vec())
            .send()
    };
    // 6 MiB through node 1: one part.
    let res = patch(&a, &loc, 0, 6 * MIB).await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    loc = header(&res, "location");
    let st = multipart_state(&app, &id).await;
    let upload_id = st.upload_id.clone().expect("a multipart upload");
    assert_eq!(st.parts.len(), 1);
    assert_eq!(st.parts[0].size, 6 * MIB as u64);
    assert!(st.tail.is_none());
    // 1 MiB through node 2: too small for a part, kept as the tail.
    let res = patch(&b2, &loc, 6 * MIB, 7 * MIB).await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&res, "range"), format!("0-{}", 7 * MIB - 1));
    loc = header(&res, "location");
    let st = multipart_state(&app, &id).await;
    assert_eq!((st.parts.len(), st.upload_id.as_deref()), (1, Some(upload_id.as_str())));
    assert!(st.tail.is_some());
    assert_eq!(store.upload_objects().await.unwrap().len(), 1, "the tail");
    // 5 MiB through node 2: the tail and the chunk make the second part.
    let res = patch(&b2, &loc, 7 * MIB, 12 * MIB).await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    loc = header(&res, "location");
    let st = multipart_state(&app, &id).await;
    assert_eq!(
        st.parts.iter().map(|p| p.size).collect::<Vec<_>>(),
        vec![6 * MIB as u64, 6 * MIB as u64]
    );
    assert!(st.tail.is_none());
    assert!(
        store.upload_objects().await.unwrap().is_empty(),
        "the old tail is removed"
    );
    let put = |oci: &Oci, digest: &str| oci.req(Method::PUT, &with_digest(&loc, digest)).send();
    // A wrong digest is refused and the upload stays; the right one finishes it (node 2).
    let res = put(&b2, &sha256(b"other")).await.unwrap();
    oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;
    assert_eq!(multipart_state(&app, &id).await.parts.len(), 2);
    let res = put(&b2, &d).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let got = a.send(Method::GET, &format!("/v2/alice/mp/blobs/{d}")).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().as_ref(), data.as_slice());
    assert!(
        store.upload_objects().await.unwrap().is_empty(),
        "nothing left under uploads/"
    );
    assert_eq!(part_files(&upload_id), 0, "the multipart upload is completed");
    assert_eq!(app.staging_files(), 0);

    // Cancelled after a part and a tail: the multipart upload is aborted, the tail removed.
    let res = a.send(Method::POST, "/v2/alice/mp/blobs/uploads/").await;
    let loc = header(&res, "location");
    let id = upload_id_at(&loc);
    let res = patch(&a, &loc, 0, 6 * MIB).await.unwrap();
    let loc = header(&res, "location");
    let res = patch(&a, &loc, 6 * MIB, 7 * MIB).await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let loc = header(&res, "location");
    let upload_id = multipart_state(&app, &id).await.upload_id.expect("a multipart upload");
    assert_eq!(part_files(&upload_id), 1);
    assert_eq!(store.upload_objects().await.unwrap().len(), 1);
    let res = b2.send(Method::DELETE, &loc).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(part_files(&upload_id), 0, "the multipart upload is aborted");
    assert!(store.upload_objects().await.unwrap().is_empty());

    // Finished with a sha512 digest: a wrong one (known only once the bytes are together)
    // ends the upload and stores nothing; the right one stores exactly the bytes.
    let blobs = app.blob_count().await;
    for right in [false, true] {
        let res = a.send(Method::POST, "/v2/alice/mp/blobs/uploads/").await;
        let loc = header(&res, "location");
        let res = patch(&a, &loc, 0, 6 * MIB).await.unwrap();
        let loc = header(&res, "location");
        let res = patch(&b2, &loc, 6 * MIB, 7 * MIB).await.unwrap();
        let loc = header(&res, "location");
        let claimed = if right {
            sha512(&data[..7 * MIB])
        } else {
            sha512(b"other")
        };
        let res = a.send(Method::PUT, &with_digest(&loc, &claimed)).await;
        if right {
            assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
            let got = b2.send(Method::GET, &format!("/v2/alice/mp/blobs/{claimed}")).await;
            assert_eq!(got.bytes().await.unwrap().as_ref(), &data[..7 * MIB]);
            assert_eq!(app.blob_count().await, blobs + 1);
        } else {
            oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;
            assert_eq!(a.send(Method::GET, &loc).await.status(), StatusCode::NOT_FOUND);
            assert_eq!(app.blob_count().await, blobs);
        }
        assert!(store.upload_objects().await.unwrap().is_empty());
    }
    node2.shutdown().await.unwrap();
    app.stop().await;
}

/// The S3 multipart uploads s3s-fs holds for the upload `id` of `app` (s3s-fs keeps a
/// metadata file per multipart upload, named after the bucket and the key): the test's view
/// of ListMultipartUploads, which s3s-fs does not implement.
fn multipart_uploads_of(app: &TestApp, id: &str) -> usize {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let bucket = app.config.storage.bucket.as_deref().unwrap();
    let key = format!("{}/uploads/{id}", app.config.storage.prefix.as_deref().unwrap());
    let start = format!(".bucket-{}.object-{}.upload-", b64(bucket), b64(&key));
    std::fs::read_dir(s3_root())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name().to_string_lossy().to_string();
            name.starts_with(&start) && name.ends_with(".metadata.json")
        })
        .count()
}

fn s3_root() -> String {
    std::env::var("TROVE_TEST_S3_ROOT").unwrap_or_else(|_| {
        format!(
            "{}/trove-test-s3",
            std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into())
        )
    })
}

/// Two first chunks of one upload racing (both past the check of where the upload stands
/// before either is recorded): each would start an S3 multipart upload. The multipart upload
/// is named in the row before any part is written, so the second one aborts its own: one
/// request is accepted, the other is 416, and the upload has exactly one multipart upload,
/// which finishing completes.
async fn racing_first_chunks_leave_one_multipart_upload(b: Backend) {
    const MIB: usize = 1024 * 1024;
    let app = TestApp::builder(b).s3().start().await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let data = bytes_of(6 * MIB, 43);
    let res = oci.send(Method::POST, "/v2/alice/race/blobs/uploads/").await;
    let loc = header(&res, "location");
    let id = upload_id_at(&loc);
    // Both requests send their first MiB, then wait until both are under way.
    let mut senders = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..2 {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(8);
        let body = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
        let req = oci
            .req(Method::PATCH, &loc)
            .header("content-range", format!("0-{}", data.len() - 1))
            .header("content-length", data.len().to_string())
            .body(reqwest::Body::wrap_stream(body))
            .send();
        tx.send(Ok(data[..MIB].to_vec())).await.unwrap();
        senders.push(tx);
        requests.push(tokio::spawn(req));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for tx in senders {
        tx.send(Ok(data[MIB..].to_vec())).await.unwrap();
    }
    let mut statuses = Vec::new();
    for r in requests {
        statuses.push(r.await.unwrap().unwrap().status());
    }
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::ACCEPTED, StatusCode::RANGE_NOT_SATISFIABLE]);
    assert_eq!(
        multipart_uploads_of(&app, &id),
        1,
        "the loser's multipart upload is aborted"
    );
    let res = oci.send(Method::GET, &loc).await;
    assert_eq!(header(&res, "range"), format!("0-{}", data.len() - 1));
    let res = oci.send(Method::PUT, &with_digest(&loc, &sha256(&data))).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let got = oci
        .send(Method::GET, &format!("/v2/alice/race/blobs/{}", sha256(&data)))
        .await;
    assert_eq!(got.bytes().await.unwrap().as_ref(), data.as_slice());
    assert_eq!(multipart_uploads_of(&app, &id), 0);
    app.stop().await;
}

/// Objects under `uploads/` that no upload needs are swept once older than
/// `stale_upload_secs` (0 here): a tail whose request died before recording it, next to the
/// tail the upload's row names, and the tail of an upload whose row is gone. The named tail
/// stays and its upload still finishes with the right bytes.
async fn s3_upload_leftovers_are_swept(b: Backend) {
    let app = TestApp::builder(b)
        .s3()
        .config(|c| c.storage.stale_upload_secs = 0)
        .start()
        .await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let store = &app.services().store;
    let data = bytes_of(3_000_000, 44);
    let res = oci.send(Method::POST, "/v2/alice/left/blobs/uploads/").await;
    let loc = header(&res, "location");
    let id = upload_id_at(&loc);
    let res = oci
        .req(Method::PATCH, &loc)
        .header("content-range", "0-999999")
        .body(data[..1_000_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let loc = header(&res, "location");
    let live = store.upload_objects().await.unwrap();
    assert_eq!(live.len(), 1, "the upload's tail");
    // What requests that died before recording their state leave: a second tail of the live
    // upload, and a tail of an upload whose row is gone.
    let chunk = app.dir.path().join("chunk");
    std::fs::write(&chunk, &data[..1000]).unwrap();
    for (upload, nonce) in [(id.as_str(), "dead"), ("0123456789abcdef0123456789abcdef", "orphan")] {
        store
            .append_multipart(
                upload,
                &trove_storage::MultipartState::default(),
                trove_storage::RunningSha256::new(),
                &chunk,
                nonce,
            )
            .await
            .unwrap();
    }
    assert_eq!(store.upload_objects().await.unwrap().len(), 3);
    let report = app.services().blobs().sweep_upload_leftovers().await.unwrap();
    assert_eq!(report.files, 2, "{report:?}");
    assert_eq!(report.bytes, 2000);
    assert_eq!(store.upload_objects().await.unwrap(), live);
    // The upload goes on.
    let res = oci
        .req(Method::PUT, &with_digest(&loc, &sha256(&data)))
        .header("content-range", format!("1000000-{}", data.len() - 1))
        .body(data[1_000_000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let got = oci
        .send(Method::GET, &format!("/v2/alice/left/blobs/{}", sha256(&data)))
        .await;
    assert_eq!(got.bytes().await.unwrap().as_ref(), data.as_slice());
    assert!(store.upload_objects().await.unwrap().is_empty());
    app.stop().await;
}

both_backends!(
    oci_push_pull_and_gc_on_s3,
    chunked_uploads_on_s3_are_multipart,
    racing_first_chunks_leave_one_multipart_upload,
    s3_upload_leftovers_are_swept
);
