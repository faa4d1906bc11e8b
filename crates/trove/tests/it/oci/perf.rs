//! The fast paths of the OCI front-end keep its rules: manifests answered from the per-node
//! cache follow writes on other nodes within a second and never reach callers who may not
//! read the repository; chunked uploads appended in place still verify the digest; with
//! `[storage] redirect` on S3, blob and archive downloads are redirected to presigned URLs
//! that real clients follow.

use super::*;
use crate::oci::clients::{args, run};
use std::time::{Duration, Instant};
use trove_testkit::{both_backends, Backend};

/// A counter's value in the Prometheus text of `/metrics` (0 when absent).
async fn counter(base: &str, client: &reqwest::Client, line_start: &str) -> u64 {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

const HITS: &str = "trove_oci_manifest_cache_total{result=\"hit\"}";
/// Manifest loads (from the database and the store).
const MISSES: &str = "trove_oci_manifest_cache_total{result=\"miss\"}";
const SHARED: &str = "trove_oci_manifest_cache_total{result=\"shared\"}";

/// A manifest pushed under `tag` whose layer says `variant`.
async fn image(oci: &Oci, repo: &str, tag: &str, variant: &str) -> Vec<u8> {
    oci.push_image(repo, tag, &[format!("layer {variant}").as_bytes()])
        .await
}

async fn digest_of(oci: &Oci, path: &str) -> (StatusCode, String) {
    let res = oci.send(Method::GET, path).await;
    (res.status(), header(&res, "docker-content-digest"))
}

/// Two nodes on one database and one blob store: a tag re-pushed or deleted through one is
/// answered by the other within the cache's second; each node sees its own writes at once.
async fn cached_manifests_follow_other_nodes(b: Backend) {
    // No background writes (download counts) to invalidate the cache while it is checked.
    let app = TestApp::builder(b)
        .config(|c| c.stats.flush_interval_ms = 3_600_000)
        .start()
        .await;
    let alice = app.user("alice").await;
    let node2 = app.start_node().await;
    let a = Oci::user(&app, &alice);
    let b2 = Oci {
        base: node2.base_url(),
        ..Oci::anonymous(&app)
    };
    let m1 = image(&a, "alice/app", "v1", "one").await;
    let path = "/v2/alice/app/manifests/v1";
    // Node 2 answers the tag, then answers it again from memory.
    let hits = counter(&b2.base, &b2.client, HITS).await;
    let res = b2.send(Method::GET, path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), m1.as_slice());
    for _ in 0..5 {
        assert_eq!(digest_of(&b2, path).await, (StatusCode::OK, sha256(&m1)));
        let res = b2.send(Method::HEAD, path).await;
        assert_eq!(header(&res, "content-length"), m1.len().to_string());
    }
    assert!(
        counter(&b2.base, &b2.client, HITS).await >= hits + 5,
        "GET and HEAD hit the cache"
    );

    // Re-pushed through node 1: node 1 answers the new manifest at once, node 2 within a second.
    let m2 = image(&a, "alice/app", "v1", "two").await;
    assert_ne!(m1, m2);
    assert_eq!(digest_of(&a, path).await, (StatusCode::OK, sha256(&m2)));
    let pushed = Instant::now();
    loop {
        let (status, d) = digest_of(&b2, path).await;
        assert_eq!(status, StatusCode::OK);
        if d == sha256(&m2) {
            break;
        }
        assert_eq!(d, sha256(&m1));
        assert!(
            pushed.elapsed() < Duration::from_millis(1500),
            "node 2 still serves the old tag"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let res = b2.send(Method::GET, path).await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), m2.as_slice());

    // Deleted through node 1: gone on node 2 within a second too.
    let res = a.send(Method::DELETE, path).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let deleted = Instant::now();
    loop {
        let (status, _) = digest_of(&b2, path).await;
        if status == StatusCode::NOT_FOUND {
            break;
        }
        assert!(
            deleted.elapsed() < Duration::from_millis(1500),
            "node 2 still serves a deleted tag"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // By digest the manifest is still there.
    assert_eq!(
        digest_of(&b2, &format!("/v2/alice/app/manifests/{}", sha256(&m2))).await,
        (StatusCode::OK, sha256(&m2))
    );
    node2.shutdown().await.unwrap();
    app.stop().await;
}

/// A private repository's manifest, cached for its owner, is not served to anyone else; a
/// public one cached for anonymous callers stops being served to them the moment the
/// repository turns private.
async fn cached_manifests_stay_private(b: Backend) {
    // No background writes (download counts) to invalidate the cache while it is checked.
    let app = TestApp::builder(b)
        .config(|c| c.stats.flush_interval_ms = 3_600_000)
        .start()
        .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let a = Oci::user(&app, &alice);
    let m = image(&a, "alice/secret", "v1", "secret").await;
    let by_tag = "/v2/alice/secret/manifests/v1".to_string();
    let by_digest = format!("/v2/alice/secret/manifests/{}", sha256(&m));
    // Cached while public, for anonymous callers.
    for p in [&by_tag, &by_digest] {
        for _ in 0..2 {
            assert_eq!(digest_of(&Oci::anonymous(&app), p).await, (StatusCode::OK, sha256(&m)));
        }
    }
    let res = alice
        .req(Method::PATCH, "/api/v1/packages/alice/secret")
        .json(&json!({"visibility": "private"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    // The owner fills the cache again (now with the private repository), twice to hit it.
    let hits = counter(&app.base, &app.client, HITS).await;
    for p in [&by_tag, &by_digest] {
        for _ in 0..2 {
            let res = a.send(Method::GET, p).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert!(header(&res, "cache-control").starts_with("private") || p == &by_tag);
            assert_eq!(res.bytes().await.unwrap().as_ref(), m.as_slice());
        }
    }
    assert!(counter(&app.base, &app.client, HITS).await >= hits + 2);
    // Anonymous callers are asked to log in, other users see nothing, GET and HEAD alike.
    let bo = Oci::user(&app, &bob);
    for p in [&by_tag, &by_digest] {
        let res = Oci::anonymous(&app).send(Method::GET, p).await;
        oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
        let res = Oci::anonymous(&app).send(Method::HEAD, p).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let res = bo.send(Method::GET, p).await;
        oci_error(res, StatusCode::NOT_FOUND, "NAME_UNKNOWN").await;
        let res = bo.send(Method::HEAD, p).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        // The owner is still answered (from the cache).
        assert_eq!(digest_of(&a, p).await, (StatusCode::OK, sha256(&m)));
    }
    app.stop().await;
}

async fn patch_chunk(oci: &Oci, loc: &str, start: usize, chunk: &[u8]) -> String {
    let res = oci
        .req(Method::PATCH, loc)
        .header("content-type", "application/octet-stream")
        .header("content-range", format!("{}-{}", start, start + chunk.len() - 1))
        .body(chunk.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED, "{}", res.text().await.unwrap());
    header(&res, "location")
}

/// The inode of an upload's file in `uploads/` (the upload at `loc`) and its length; `None`
/// when there is no such file.
fn upload_file(app: &TestApp, loc: &str) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    let id = upload_id_at(loc);
    let m = std::fs::metadata(app.config.data_dir.join("blobs").join("uploads").join(id)).ok()?;
    Some((m.ino(), m.len()))
}

/// The inode of the stored blob `digest` (`sha256:<hex>`) on the filesystem store.
fn blob_inode(app: &TestApp, digest: &str) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    let hex = digest.strip_prefix("sha256:").unwrap();
    let path = app
        .config
        .data_dir
        .join("blobs")
        .join("blobs")
        .join("sha256")
        .join(&hex[..2])
        .join(hex);
    std::fs::metadata(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .ino()
}

/// Chunks appended in place as they arrive (one file, the running hash state saved with the
/// upload; the closing PUT only finishes the hash and renames the file) are still checked
/// against the digest the client claims: a wrong one is refused and nothing is stored; the
/// right one stores exactly the bytes sent, and no upload file is left behind. That the
/// in-place path is the one taken is seen in this app's own store (the upload's one file
/// holds the acknowledged bytes, and becomes the blob: same inode), not in the process-wide
/// metrics, which every test running alongside moves.
async fn chunked_uploads_in_place_verify_digests(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let data = bytes_of(3 * 300_000 + 7, 11);
    let upload = |last_in_put: bool| {
        let (oci, data) = (oci.clone(), data.clone());
        async move {
            let res = oci.send(Method::POST, "/v2/alice/big/blobs/uploads/").await;
            let mut loc = header(&res, "location");
            let cuts = [0, 300_000, 600_000, data.len()];
            let n = if last_in_put { 2 } else { 3 };
            for w in cuts.windows(2).take(n) {
                loc = patch_chunk(&oci, &loc, w[0], &data[w[0]..w[1]]).await;
            }
            let tail = if last_in_put {
                data[600_000..].to_vec()
            } else {
                Vec::new()
            };
            (loc, tail)
        }
    };
    let put = |loc: String, digest: String, tail: Vec<u8>| {
        let oci = oci.clone();
        async move {
            let url = with_digest(&loc, &digest);
            let mut r = oci
                .req(Method::PUT, &url)
                .header("content-type", "application/octet-stream");
            if !tail.is_empty() {
                r = r.header("content-range", format!("600000-{}", 600_000 + tail.len() - 1));
            }
            r.body(tail).send().await.unwrap()
        }
    };
    // A wrong digest (the sha256 of other bytes) after three chunks: refused.
    let (loc, tail) = upload(false).await;
    let (inode, len) = upload_file(&app, &loc).expect("the chunks went to the upload's file");
    assert_eq!(len, data.len() as u64);
    let res = put(loc.clone(), sha256(b"something else"), tail).await;
    oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;
    let res = oci
        .send(Method::HEAD, &format!("/v2/alice/big/blobs/{}", sha256(&data)))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The upload is still there: the right digest then finishes it, its file becoming the blob.
    let res = put(loc.clone(), sha256(&data), Vec::new()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    assert_eq!(upload_file(&app, &loc), None);
    assert_eq!(
        blob_inode(&app, &sha256(&data)),
        inode,
        "the upload's file was renamed into place"
    );
    // The last chunk in the PUT: the right bytes under the digest (already stored: the
    // upload's file goes, the blob stays).
    let (loc, tail) = upload(true).await;
    assert_eq!(upload_file(&app, &loc).map(|(_, len)| len), Some(600_000));
    let res = put(loc.clone(), sha256(&data), tail).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    assert_eq!(upload_file(&app, &loc), None);
    assert_eq!(blob_inode(&app, &sha256(&data)), inode);
    let got = oci
        .send(Method::GET, &format!("/v2/alice/big/blobs/{}", sha256(&data)))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.as_ref(), data.as_slice());
    // A wrong digest with the last chunk in the PUT: refused as well.
    let other = bytes_of(data.len(), 12);
    let (loc_of_refused, tail) = upload(true).await;
    let res = put(loc_of_refused.clone(), sha256(&other), tail).await;
    oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;
    let res = oci
        .send(Method::HEAD, &format!("/v2/alice/big/blobs/{}", sha256(&other)))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Nothing is left in staging; the one file left in `uploads/` is the refused upload's,
    // which its cancellation removes.
    assert_eq!(app.staging_files(), 0);
    let uploads = || {
        std::fs::read_dir(app.config.data_dir.join("blobs").join("uploads"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    assert_eq!(uploads(), 1);
    let res = oci.send(Method::DELETE, &loc_of_refused).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(uploads(), 0);
    app.stop().await;
}

/// An upload appended in place is continued and finished by any node sharing the database
/// and the blob store; bytes that a failed request wrote past the recorded size (never
/// acknowledged) are cut off before the next chunk, so the blob holds exactly the bytes
/// acknowledged.
async fn chunked_uploads_continue_on_another_node(b: Backend) {
    use std::io::Write as _;
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let node2 = app.start_node().await;
    let a = Oci::user(&app, &alice);
    let b2 = a.via(node2.base_url());
    let data = bytes_of(2_500_000, 21);
    let res = a.send(Method::POST, "/v2/alice/multi/blobs/uploads/").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let loc = header(&res, "location");
    let id = upload_id_at(&loc);
    let loc = patch_chunk(&a, &loc, 0, &data[..1_000_000]).await;
    let file = app.config.data_dir.join("blobs").join("uploads").join(&id);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap()
        .write_all(&[0xAA; 4096])
        .unwrap();
    // The other node knows where the upload stands.
    let res = b2.send(Method::GET, &loc).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "range"), "0-999999");
    let loc = patch_chunk(&b2, &loc, 1_000_000, &data[1_000_000..2_000_000]).await;
    // A chunk that does not start where the upload ends is refused, on either node.
    let res = a
        .req(Method::PATCH, &loc)
        .header("content-range", "1000000-1000009")
        .body(vec![0u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&res, "range"), "0-1999999");
    // Node 1 closes it with the last chunk.
    let url = with_digest(&loc, &sha256(&data));
    let res = a
        .req(Method::PUT, &url)
        .header("content-type", "application/octet-stream")
        .header("content-range", format!("2000000-{}", data.len() - 1))
        .body(data[2_000_000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let got = b2
        .send(Method::GET, &format!("/v2/alice/multi/blobs/{}", sha256(&data)))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.as_ref(), data.as_slice());
    assert!(!file.exists(), "the upload's file became the blob");
    let res = a.send(Method::GET, &loc).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    node2.shutdown().await.unwrap();
    app.stop().await;
}

/// An upload whose file lost acknowledged bytes (cut short or removed behind the store's
/// back, as a crash on a disk that lied about its flush would leave it) is never padded and
/// never finished into a blob that does not match its saved hash: the next chunk, or the
/// closing PUT, is 416 with `Range: 0-0`, and the upload starts again from byte 0.
async fn uploads_whose_file_lost_bytes_restart(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let data = bytes_of(300_000, 31);
    let d = sha256(&data);
    let uploads = app.config.data_dir.join("blobs").join("uploads");
    let start = || async {
        let res = oci.send(Method::POST, "/v2/alice/lost/blobs/uploads/").await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let loc = header(&res, "location");
        let id = upload_id_at(&loc);
        (loc, uploads.join(id))
    };

    // The next chunk finds the file short.
    let (loc, file) = start().await;
    let loc = patch_chunk(&oci, &loc, 0, &data[..100_000]).await;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(60_000)
        .unwrap();
    let res = oci
        .req(Method::PATCH, &loc)
        .header("content-range", "100000-199999")
        .body(data[100_000..200_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "range"), "0-0");
    let body = oci_error(res, StatusCode::RANGE_NOT_SATISFIABLE, "BLOB_UPLOAD_INVALID").await;
    assert!(body.to_string().contains("from byte 0"), "{body}");
    let res = oci.send(Method::GET, &loc).await;
    assert_eq!(header(&res, "range"), "0-0");
    // Sent again from byte 0, the blob is the bytes sent.
    let loc = patch_chunk(&oci, &loc, 0, &data[..150_000]).await;
    let res = oci
        .req(Method::PUT, &with_digest(&loc, &d))
        .header("content-range", format!("150000-{}", data.len() - 1))
        .body(data[150_000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let got = oci
        .send(Method::GET, &format!("/v2/alice/lost/blobs/{d}"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.as_ref(), data.as_slice());

    // The closing PUT finds the file gone: nothing is stored under the digest.
    let data = bytes_of(200_000, 32);
    let d = sha256(&data);
    let (loc, file) = start().await;
    let loc = patch_chunk(&oci, &loc, 0, &data).await;
    std::fs::remove_file(&file).unwrap();
    let res = oci
        .req(Method::PUT, &with_digest(&loc, &d))
        .header("content-length", "0")
        .body(Vec::new())
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "range"), "0-0");
    oci_error(res, StatusCode::RANGE_NOT_SATISFIABLE, "BLOB_UPLOAD_INVALID").await;
    let res = oci.send(Method::HEAD, &format!("/v2/alice/lost/blobs/{d}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = oci.send(Method::GET, &loc).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "range"), "0-0");
    app.stop().await;
}

/// With `[storage] redirect` on the real S3 server: blob GETs and archive downloads are
/// `307`s to presigned URLs that curl follows to the right bytes (HEAD still answers
/// directly, downloads still count), and skopeo copies an image out through them.
async fn s3_redirects_blob_and_archive_downloads(b: Backend) {
    let app = TestApp::builder(b)
        .s3()
        .config(|c| {
            c.storage.redirect = true;
            c.storage.redirect_ttl_secs = 120;
        })
        .start()
        .await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let layer = bytes_of(3 * 1024 * 1024 + 5, 9);
    let m = oci.push_image("alice/app", "v1", &[&layer]).await;
    let d = sha256(&layer);
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let anon = Oci {
        client: no_follow.clone(),
        ..Oci::anonymous(&app)
    };
    let blob = format!("/v2/alice/app/blobs/{d}");
    let res = anon.send(Method::GET, &blob).await;
    assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
    let location = header(&res, "location");
    let endpoint = std::env::var("TROVE_TEST_S3_ENDPOINT").unwrap_or_default();
    assert!(location.starts_with(&endpoint), "{location} vs {endpoint}");
    assert!(location.contains("X-Amz-Signature="), "{location}");
    assert!(location.contains("X-Amz-Expires=120"), "{location}");
    assert_eq!(header(&res, "cache-control"), "no-store");
    // HEAD answers directly; so do conditional requests the client can answer from cache.
    let res = anon.send(Method::HEAD, &blob).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-length"), layer.len().to_string());
    let res = anon
        .req(Method::GET, &blob)
        .header("if-none-match", format!("\"{d}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    // Manifests are served by Trove.
    let res = anon.send(Method::GET, "/v2/alice/app/manifests/v1").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), m.as_slice());
    // curl follows the redirect to the right bytes.
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("blob");
    run(
        "curl",
        args(&["-sSfL", "-o", out.to_str().unwrap(), &format!("{}{blob}", app.base)]),
        vec![],
    )
    .await;
    assert_eq!(sha256(&std::fs::read(&out).unwrap()), d);

    // A native archive: redirected, counted, and curl gets its bytes.
    let archive = trove_tarball::simple_package("alice/tool", "1.0.0", "# Tool\n");
    let res = alice.publish_bytes("alice/tool", "1.0.0", archive.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let dl = "/api/v1/packages/alice/tool/versions/1.0.0/download";
    let res = no_follow.get(app.url(dl)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
    assert!(header(&res, "location").starts_with(&endpoint));
    let res = no_follow.head(app.url(dl)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let out = work.path().join("archive");
    run(
        "curl",
        args(&["-sSfL", "-o", out.to_str().unwrap(), &app.url(dl)]),
        vec![],
    )
    .await;
    assert_eq!(std::fs::read(&out).unwrap(), archive);
    app.flush_downloads().await;
    let v = json_ok(app.get("/api/v1/packages/alice/tool").send().await.unwrap()).await;
    assert_eq!(v["downloads"], 2, "{v}");

    // skopeo copies the image out through the redirects.
    let host = app.base.trim_start_matches("http://").to_string();
    let dest = work.path().join("layout");
    run(
        "skopeo",
        args(&[
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{host}/alice/app:v1"),
            &format!("oci:{}:v1", dest.display()),
        ]),
        vec![],
    )
    .await;
    // skopeo stores the layer gzipped in the layout: its bytes, unpacked, are the layer's.
    let unpacked: Vec<Vec<u8>> = std::fs::read_dir(dest.join("blobs/sha256"))
        .unwrap()
        .filter_map(|e| {
            use std::io::Read as _;
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(bytes.as_slice())
                .read_to_end(&mut out)
                .ok()
                .map(|_| out)
        })
        .collect();
    assert!(
        unpacked.iter().any(|u| u == &layer),
        "skopeo did not copy the layer's bytes"
    );
    app.stop().await;
}

/// Concurrent GETs of a tag that is not in the cache make one load: the requests that arrive
/// while it runs are answered from what it loaded (`shared`), the later ones from the cache,
/// all with the exact bytes.
async fn concurrent_manifest_misses_load_once(b: Backend) {
    // No background writes to change the generation while it is checked.
    let app = TestApp::builder(b)
        .config(|c| c.stats.flush_interval_ms = 3_600_000)
        .start()
        .await;
    let alice = app.user("alice").await;
    let a = Oci::user(&app, &alice);
    let anon = Oci::anonymous(&app);
    // An entry lives a second, which a burst on a busy machine may outlast (a second load,
    // rightly): a few fresh tags are tried. Without coalescing, every burst loads many times.
    let mut loads = Vec::new();
    for attempt in 0..3 {
        let tag = format!("v{attempt}");
        let m = image(&a, "alice/app", &tag, &tag).await;
        let path = format!("/v2/alice/app/manifests/{tag}");
        let (misses, shared, hits) = (
            counter(&app.base, &app.client, MISSES).await,
            counter(&app.base, &app.client, SHARED).await,
            counter(&app.base, &app.client, HITS).await,
        );
        let answers = futures::future::join_all((0..16).map(|_| {
            let (anon, path) = (anon.clone(), path.clone());
            async move {
                let res = anon.send(Method::GET, &path).await;
                (res.status(), res.bytes().await.unwrap())
            }
        }))
        .await;
        for (status, body) in answers {
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body.as_ref(), m.as_slice());
        }
        let n = counter(&app.base, &app.client, MISSES).await - misses;
        loads.push(n);
        if n == 1 {
            let served = counter(&app.base, &app.client, SHARED).await - shared
                + counter(&app.base, &app.client, HITS).await
                - hits;
            assert_eq!(served, 15, "the other requests were served from the one load");
            break;
        }
    }
    assert_eq!(loads.last(), Some(&1), "loads per burst of 16 cold GETs: {loads:?}");
    app.stop().await;
}

/// The periodic download-count flush (a write that cannot change a manifest) keeps this
/// node's cached manifests; a tag re-pushed on this node is still answered at once.
async fn download_flush_keeps_cached_manifests(b: Backend) {
    // The flush is run by the test, not the background job.
    let app = TestApp::builder(b)
        .config(|c| c.stats.flush_interval_ms = 3_600_000)
        .start()
        .await;
    let alice = app.user("alice").await;
    let a = Oci::user(&app, &alice);
    let m1 = image(&a, "alice/app", "v1", "one").await;
    let path = "/v2/alice/app/manifests/v1";
    // An entry lives a second, which a slow step may outlast: a few rounds are tried. A
    // flush that emptied the cache makes every round load again.
    let mut kept = false;
    for _ in 0..3 {
        assert_eq!(digest_of(&a, path).await, (StatusCode::OK, sha256(&m1)));
        let misses = counter(&app.base, &app.client, MISSES).await;
        let written = app.services().flush_downloads().await.expect("flush");
        assert!(written > 0, "the pull was counted and written");
        assert_eq!(digest_of(&a, path).await, (StatusCode::OK, sha256(&m1)));
        if counter(&app.base, &app.client, MISSES).await == misses {
            kept = true;
            break;
        }
    }
    assert!(kept, "the download-count flush dropped the cached manifest");
    let m2 = image(&a, "alice/app", "v1", "two").await;
    assert_eq!(digest_of(&a, path).await, (StatusCode::OK, sha256(&m2)));
    app.stop().await;
}

both_backends!(
    concurrent_manifest_misses_load_once,
    download_flush_keeps_cached_manifests,
    cached_manifests_follow_other_nodes,
    cached_manifests_stay_private,
    chunked_uploads_in_place_verify_digests,
    chunked_uploads_continue_on_another_node,
    uploads_whose_file_lost_bytes_restart,
    s3_redirects_blob_and_archive_downloads
);
