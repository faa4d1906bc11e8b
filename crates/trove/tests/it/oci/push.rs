//! Pushing: monolithic, chunked, resumable, across nodes, cross-repository mounts, upload
//! cancel, digests (sha256 and sha512), and manifest validation.

use super::*;
use trove_testkit::{both_backends, Backend};

/// Starts an upload; returns its location.
async fn start(oci: &Oci, repo: &str) -> String {
    let res = oci.send(Method::POST, &format!("/v2/{repo}/blobs/uploads/")).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&res, "range"), "0-0");
    assert!(!header(&res, "docker-upload-uuid").is_empty());
    let loc = header(&res, "location");
    assert!(loc.starts_with(&format!("/v2/{repo}/blobs/uploads/")), "{loc}");
    loc
}

async fn patch(oci: &Oci, loc: &str, range: Option<&str>, body: &[u8]) -> Response {
    let mut r = oci
        .req(Method::PATCH, loc)
        .header("content-type", "application/octet-stream")
        .body(body.to_vec());
    if let Some(range) = range {
        r = r.header("content-range", range);
    }
    r.send().await.unwrap()
}

async fn monolithic_pushes(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let data = b"one request";
    let d = sha256(data);
    let res = oci
        .req(Method::POST, &format!("/v2/alice/app/blobs/uploads/?digest={d}"))
        .header("content-type", "application/octet-stream")
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(header(&res, "location"), format!("/v2/alice/app/blobs/{d}"));
    assert_eq!(header(&res, "docker-content-digest"), d);

    // POST, then PUT with the whole body.
    let data = b"post then put";
    let loc = start(&oci, "alice/app").await;
    let res = oci
        .req(Method::PUT, &with_digest(&loc, &sha256(data)))
        .header("content-type", "application/octet-stream")
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = oci.send(Method::GET, &header(&res, "location")).await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), data);
    // The finished upload is gone.
    let res = oci.send(Method::GET, &loc).await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN").await;
    // The first push created the repository, owned by the pusher.
    let pkg = json_ok(app.get("/api/v1/packages/alice/app").send().await.unwrap()).await;
    assert_eq!(pkg["ecosystem"], "oci");
    app.stop().await;
}

async fn chunked_and_resumable_uploads(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let data = bytes_of(30_000, 3);
    let (c1, c2, c3) = (&data[..10_000], &data[10_000..25_000], &data[25_000..]);
    let loc = start(&oci, "alice/app").await;

    // The second chunk first: 416, and the upload says where it stands.
    let res = patch(&oci, &loc, Some("10000-24999"), c2).await;
    assert_eq!(header(&res, "range"), "0-0");
    assert!(!header(&res, "location").is_empty());
    oci_error(res, StatusCode::RANGE_NOT_SATISFIABLE, "BLOB_UPLOAD_INVALID").await;

    let res = patch(&oci, &loc, Some("0-9999"), c1).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&res, "range"), "0-9999");
    let loc = header(&res, "location");
    // Sending the first chunk again is out of order too.
    let res = patch(&oci, &loc, Some("0-9999"), c1).await;
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    // A Content-Range that disagrees with the body's length.
    let res = oci
        .req(Method::PATCH, &loc)
        .header("content-range", "10000-10009")
        .body(vec![0u8; 5])
        .send()
        .await
        .unwrap();
    oci_error(res, StatusCode::BAD_REQUEST, "SIZE_INVALID").await;

    // Resume: ask where the upload stands.
    let res = oci.send(Method::GET, &loc).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "range"), "0-9999");
    assert_eq!(header(&res, "location"), loc);

    let res = patch(&oci, &loc, Some("10000-24999"), c2).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(header(&res, "range"), "0-24999");
    // A streamed chunk (no Content-Range) is appended.
    let res = patch(&oci, &loc, None, &c3[..1000]).await;
    assert_eq!(header(&res, "range"), "0-25999");
    // The last chunk comes with the closing PUT.
    let d = sha256(&data);
    let res = oci
        .req(Method::PUT, &with_digest(&loc, &d))
        .header("content-range", "26000-29999")
        .body(c3[1000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(header(&res, "docker-content-digest"), d);
    let res = oci.send(Method::GET, &format!("/v2/alice/app/blobs/{d}")).await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());
    // Chunks are not left behind as blobs: only the whole blob is stored.
    assert_eq!(app.blob_count().await, 1);
    assert_eq!(app.staging_files(), 0);
    app.stop().await;
}

async fn bad_uploads_are_refused(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let loc = start(&oci, "alice/app").await;
    let res = patch(&oci, &loc, None, b"some bytes").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    // The wrong digest: refused, and the upload can still be finished correctly.
    let res = oci.send(Method::PUT, &with_digest(&loc, &sha256(b"other bytes"))).await;
    oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;
    let res = oci.send(Method::PUT, &with_digest(&loc, "sha256:short")).await;
    oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;
    let res = oci.send(Method::PUT, &loc).await;
    oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;
    let res = oci.send(Method::PUT, &with_digest(&loc, &sha256(b"some bytes"))).await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // Monolithic with a digest that does not match the body.
    let res = oci
        .req(
            Method::POST,
            &format!("/v2/alice/app/blobs/uploads/?digest={}", sha256(b"a")),
        )
        .body(b"b".to_vec())
        .send()
        .await
        .unwrap();
    oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;

    // Unknown and cancelled uploads.
    let res = oci
        .send(Method::GET, "/v2/alice/app/blobs/uploads/0123456789abcdef")
        .await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN").await;
    let res = patch(&oci, "/v2/alice/app/blobs/uploads/nope", None, b"x").await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN").await;
    let loc = start(&oci, "alice/app").await;
    patch(&oci, &loc, Some("0-3"), b"abcd").await;
    let res = oci.send(Method::DELETE, &loc).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = oci.send(Method::GET, &loc).await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN").await;
    let res = oci.send(Method::PUT, &with_digest(&loc, &sha256(b"abcd"))).await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN").await;
    // An upload belongs to its repository.
    let loc = start(&oci, "alice/app").await;
    let elsewhere = loc.replace("alice/app", "alice/other");
    oci.push_blob("alice/other", b"make it exist").await;
    let res = oci.send(Method::GET, &elsewhere).await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN").await;
    assert_eq!(app.staging_files(), 0);
    app.stop().await;
}

async fn blob_size_limit(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.oci.max_blob_bytes = 1000)
        .start()
        .await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let big = vec![1u8; 1001];
    let res = oci
        .req(
            Method::POST,
            &format!("/v2/alice/app/blobs/uploads/?digest={}", sha256(&big)),
        )
        .body(big.clone())
        .send()
        .await
        .unwrap();
    oci_error(res, StatusCode::PAYLOAD_TOO_LARGE, "SIZE_INVALID").await;
    let loc = start(&oci, "alice/app").await;
    assert_eq!(
        patch(&oci, &loc, None, &big[..600]).await.status(),
        StatusCode::ACCEPTED
    );
    let res = patch(&oci, &loc, None, &big[600..]).await;
    oci_error(res, StatusCode::PAYLOAD_TOO_LARGE, "SIZE_INVALID").await;
    assert_eq!(app.staging_files(), 0);
    app.stop().await;
}

async fn sha512_digests(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let data = bytes_of(5000, 11);
    let d = sha512(&data);
    let res = oci
        .req(Method::POST, &format!("/v2/alice/app/blobs/uploads/?digest={d}"))
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(header(&res, "docker-content-digest"), d);
    let res = oci.send(Method::GET, &format!("/v2/alice/app/blobs/{d}")).await;
    assert_eq!(header(&res, "docker-content-digest"), d);
    assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());

    // Chunked with sha512, from one chunk and from several.
    for cut in [5000usize, 1234] {
        let data = bytes_of(5000, cut as u32);
        let loc = start(&oci, "alice/app").await;
        patch(&oci, &loc, Some(&format!("0-{}", cut - 1)), &data[..cut]).await;
        if cut < 5000 {
            patch(&oci, &loc, Some(&format!("{cut}-4999")), &data[cut..]).await;
        }
        let res = oci.send(Method::PUT, &with_digest(&loc, &sha512(&data))).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
        let res = oci
            .send(Method::HEAD, &format!("/v2/alice/app/blobs/{}", sha512(&data)))
            .await;
        assert_eq!(header(&res, "content-length"), "5000");
    }
    // The same bytes named by sha256 and sha512 are stored once.
    let before = app.blob_count().await;
    oci.push_blob("alice/app", &data).await;
    assert_eq!(app.blob_count().await, before);

    // A manifest pushed under its sha512 digest.
    let config = b"{}";
    let cd = oci.push_blob("alice/app", config).await;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": cd, "size": 2},
        "layers": [{"mediaType": "application/octet-stream", "digest": d, "size": 5000}],
    }))
    .unwrap();
    let md = sha512(&manifest);
    let res = oci.put_manifest("alice/app", &md, OCI_MANIFEST, &manifest).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(header(&res, "docker-content-digest"), md);
    let res = oci.send(Method::GET, &format!("/v2/alice/app/manifests/{md}")).await;
    assert_eq!(header(&res, "docker-content-digest"), md);
    assert_eq!(res.bytes().await.unwrap().as_ref(), manifest.as_slice());
    app.stop().await;
}

async fn cross_repository_mounts(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let oci = Oci::user(&app, &alice);
    let data = b"shared layer";
    let d = oci.push_blob("alice/base", data).await;
    let blobs = app.blob_count().await;

    let res = oci
        .send(
            Method::POST,
            &format!("/v2/alice/derived/blobs/uploads/?mount={d}&from=alice/base"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(header(&res, "location"), format!("/v2/alice/derived/blobs/{d}"));
    assert_eq!(header(&res, "docker-content-digest"), d);
    let res = oci.send(Method::GET, &format!("/v2/alice/derived/blobs/{d}")).await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), data);
    assert_eq!(app.blob_count().await, blobs, "mounting copies nothing");

    // Without `from`, from any repository the caller can read.
    let res = oci
        .send(Method::POST, &format!("/v2/alice/third/blobs/uploads/?mount={d}"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // Unknown blobs and unreadable sources fall back to an upload session.
    let res = oci
        .send(
            Method::POST,
            &format!(
                "/v2/alice/derived/blobs/uploads/?mount={}&from=alice/base",
                sha256(b"?")
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert!(header(&res, "location").starts_with("/v2/alice/derived/blobs/uploads/"));
    let bob_oci = Oci::user(&app, &bob);
    let secret = bob_oci.push_blob("bob/secret", b"bob's private layer").await;
    let res = bob
        .req(Method::PATCH, "/api/v1/packages/bob/secret")
        .json(&json!({"visibility": "private"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    for q in [format!("mount={secret}&from=bob/secret"), format!("mount={secret}")] {
        let res = oci
            .send(Method::POST, &format!("/v2/alice/derived/blobs/uploads/?{q}"))
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED, "{q}");
    }
    let res = oci
        .send(Method::GET, &format!("/v2/alice/derived/blobs/{secret}"))
        .await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UNKNOWN").await;
    app.stop().await;
}

async fn manifests_are_validated(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let config = b"{}";
    let cd = oci.push_blob("alice/app", config).await;
    let image = |layers: Value| {
        serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": 2},
            "layers": layers,
        }))
        .unwrap()
    };
    // A layer that was never pushed.
    let missing = sha256(b"missing layer");
    let m = image(json!([{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": missing, "size": 13}]));
    let res = oci.put_manifest("alice/app", "v1", OCI_MANIFEST, &m).await;
    let body = oci_error(res, StatusCode::BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN").await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains(&missing));
    // An index whose child manifest was never pushed.
    let idx = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": missing, "size": 3}]}))
    .unwrap();
    let res = oci.put_manifest("alice/app", "idx", OCI_INDEX, &idx).await;
    oci_error(res, StatusCode::BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN").await;
    // Malformed manifests.
    for (body, ct) in [
        (b"not json".to_vec(), OCI_MANIFEST),
        (br#"{"schemaVersion": 1}"#.to_vec(), OCI_MANIFEST),
        (
            br#"{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}"#.to_vec(),
            OCI_MANIFEST,
        ),
        (image(json!([])), OCI_INDEX),
        (image(json!([{"digest": "nope"}])), OCI_MANIFEST),
        (
            br#"{"schemaVersion": 1, "name": "x"}"#.to_vec(),
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
        ),
    ] {
        let res = oci.put_manifest("alice/app", "bad", ct, &body).await;
        oci_error(res, StatusCode::BAD_REQUEST, "MANIFEST_INVALID").await;
    }
    // Pushing by digest: the digest must be the body's.
    let good = image(json!([]));
    let res = oci
        .put_manifest("alice/app", &sha256(b"other"), OCI_MANIFEST, &good)
        .await;
    oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;
    let res = oci.put_manifest("alice/app", &sha256(&good), OCI_MANIFEST, &good).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        header(&res, "location"),
        format!("/v2/alice/app/manifests/{}", sha256(&good))
    );
    assert!(header(&res, "oci-subject").is_empty());
    // An invalid tag.
    let res = oci.put_manifest("alice/app", "-bad-tag", OCI_MANIFEST, &good).await;
    oci_error(res, StatusCode::BAD_REQUEST, "MANIFEST_INVALID").await;
    // Tags as parameters of a push by digest, answered with OCI-Tag.
    let path = format!("/v2/alice/app/manifests/{}?tag=1.2.3&tag=1.2&tag=latest", sha256(&good));
    let res = oci
        .req(Method::PUT, &path)
        .header("content-type", OCI_MANIFEST)
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let tags: Vec<&str> = res
        .headers()
        .get_all("oci-tag")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(tags, ["1.2.3", "1.2", "latest"]);
    let v: Value = oci
        .send(Method::GET, "/v2/alice/app/tags/list")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["tags"], json!(["1.2", "1.2.3", "latest"]));
    let res = oci
        .req(
            Method::PUT,
            &format!("/v2/alice/app/manifests/{}?tag=ok&tag=.bad", sha256(&good)),
        )
        .header("content-type", OCI_MANIFEST)
        .body(good.clone())
        .send()
        .await
        .unwrap();
    oci_error(res, StatusCode::BAD_REQUEST, "MANIFEST_INVALID").await;
    // Too large.
    let huge = vec![b' '; 4 * 1024 * 1024 + 1];
    let res = oci.put_manifest("alice/app", "huge", OCI_MANIFEST, &huge).await;
    oci_error(res, StatusCode::PAYLOAD_TOO_LARGE, "SIZE_INVALID").await;
    // A subject that does not exist (yet) is fine, and answered with OCI-Subject.
    let subject = sha256(b"future subject");
    let referrer = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.example.sig",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": cd, "size": 2},
        "layers": [],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": 123},
    }))
    .unwrap();
    let res = oci
        .put_manifest("alice/app", &sha256(&referrer), OCI_MANIFEST, &referrer)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(header(&res, "oci-subject"), subject);
    app.stop().await;
}

/// Two nodes on the same database and storage: an upload started on one continues and
/// finishes on the other.
async fn uploads_continue_on_another_node(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let node2 = app.start_node().await;
    let a = Oci::user(&app, &alice);
    let b2 = a.via(node2.base_url());
    let data = bytes_of(20_000, 5);
    let loc = start(&a, "alice/app").await;
    assert_eq!(
        patch(&b2, &loc, Some("0-9999"), &data[..10_000]).await.status(),
        StatusCode::ACCEPTED
    );
    let res = a.send(Method::GET, &loc).await;
    assert_eq!(header(&res, "range"), "0-9999");
    assert_eq!(
        patch(&a, &loc, Some("10000-19999"), &data[10_000..]).await.status(),
        StatusCode::ACCEPTED
    );
    let res = b2.send(Method::PUT, &with_digest(&loc, &sha256(&data))).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = a
        .send(Method::GET, &format!("/v2/alice/app/blobs/{}", sha256(&data)))
        .await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());
    // Registry tokens from one node work on the other (the signing key is shared).
    let res = Oci::basic(&app, "alice", "correct horse")
        .send(Method::GET, "/v2/token?service=trove&scope=repository:alice/app:pull")
        .await;
    let t = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let res = Oci {
        auth: Some(format!("Bearer {t}")),
        ..b2.clone()
    }
    .send(Method::GET, &format!("/v2/alice/app/blobs/{}", sha256(&data)))
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    node2.shutdown().await.unwrap();
    app.stop().await;
}

both_backends!(
    monolithic_pushes,
    chunked_and_resumable_uploads,
    bad_uploads_are_refused,
    blob_size_limit,
    sha512_digests,
    cross_repository_mounts,
    manifests_are_validated,
    uploads_continue_on_another_node
);
