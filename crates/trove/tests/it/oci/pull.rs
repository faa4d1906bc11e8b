//! Pulling: manifests by tag and digest (OCI and Docker schema 2, images and indexes), HEAD,
//! headers, blobs with ranges, and the error paths.

use super::*;
use trove_testkit::{both_backends, Backend};

async fn pulls_manifests_by_tag_and_digest(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let manifest = oci.push_image("alice/app", "v1", &[b"layer one", b"layer two"]).await;
    let digest = sha256(&manifest);

    // Anonymous pulls of a public repository need no token at all.
    for (who, reference) in [(Oci::anonymous(&app), "v1"), (oci.clone(), digest.as_str())] {
        let res = who
            .req(Method::GET, &format!("/v2/alice/app/manifests/{reference}"))
            .header("accept", OCI_MANIFEST)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(&res, "content-type"), OCI_MANIFEST);
        assert_eq!(header(&res, "docker-content-digest"), digest);
        assert_eq!(header(&res, "content-length"), manifest.len().to_string());
        assert_eq!(header(&res, "etag"), format!("\"{digest}\""));
        assert_eq!(res.bytes().await.unwrap().as_ref(), manifest.as_slice(), "exact bytes");

        let res = who
            .send(Method::HEAD, &format!("/v2/alice/app/manifests/{reference}"))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(&res, "docker-content-digest"), digest);
        assert_eq!(header(&res, "content-length"), manifest.len().to_string());
        assert!(res.bytes().await.unwrap().is_empty());
    }
    // Tags move; digests stay.
    let manifest2 = oci.push_image("alice/app", "v1", &[b"layer three"]).await;
    let res = oci.send(Method::GET, "/v2/alice/app/manifests/v1").await;
    assert_eq!(header(&res, "docker-content-digest"), sha256(&manifest2));
    let res = oci
        .send(Method::GET, &format!("/v2/alice/app/manifests/{digest}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Pushing the same manifest again is idempotent.
    let res = oci.put_manifest("alice/app", "v1", OCI_MANIFEST, &manifest2).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    app.stop().await;
}

async fn serves_docker_schema2_and_indexes(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let config = br#"{"architecture":"arm64","os":"linux"}"#;
    let layer = b"docker layer";
    let cd = oci.push_blob("alice/multi", config).await;
    let ld = oci.push_blob("alice/multi", layer).await;
    let docker = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": cd, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": ld, "size": layer.len()}],
    }))
    .unwrap();
    let res = oci.put_manifest("alice/multi", "arm64", DOCKER_MANIFEST, &docker).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let oci_image = oci.push_image("alice/multi", "amd64", &[b"oci layer"]).await;

    let list = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_LIST,
        "manifests": [{"mediaType": DOCKER_MANIFEST, "digest": sha256(&docker), "size": docker.len(),
                       "platform": {"architecture": "arm64", "os": "linux"}}],
    }))
    .unwrap();
    let res = oci.put_manifest("alice/multi", "list", DOCKER_LIST, &list).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": DOCKER_MANIFEST, "digest": sha256(&docker), "size": docker.len(), "platform": {"architecture": "arm64", "os": "linux"}},
            {"mediaType": OCI_MANIFEST, "digest": sha256(&oci_image), "size": oci_image.len(), "platform": {"architecture": "amd64", "os": "linux"}},
        ],
    }))
    .unwrap();
    let res = oci.put_manifest("alice/multi", "latest", OCI_INDEX, &index).await;
    assert_eq!(res.status(), StatusCode::CREATED);

    for (tag, media_type, body) in [
        ("arm64", DOCKER_MANIFEST, &docker),
        ("list", DOCKER_LIST, &list),
        ("latest", OCI_INDEX, &index),
        ("amd64", OCI_MANIFEST, &oci_image),
    ] {
        let res = Oci::anonymous(&app)
            .req(Method::GET, &format!("/v2/alice/multi/manifests/{tag}"))
            .header(
                "accept",
                format!("{OCI_INDEX}, {OCI_MANIFEST}, {DOCKER_MANIFEST}, {DOCKER_LIST}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(header(&res, "content-type"), media_type, "{tag}");
        assert_eq!(header(&res, "docker-content-digest"), sha256(body));
        assert_eq!(res.bytes().await.unwrap().as_ref(), body.as_slice());
    }
    app.stop().await;
}

async fn pulls_blobs_with_ranges(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let data = bytes_of(100_000, 7);
    let d = oci.push_blob("alice/blobs", &data).await;
    let path = format!("/v2/alice/blobs/blobs/{d}");

    let res = Oci::anonymous(&app).send(Method::GET, &path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "docker-content-digest"), d);
    assert_eq!(header(&res, "content-length"), "100000");
    assert_eq!(header(&res, "accept-ranges"), "bytes");
    assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());

    let res = oci.send(Method::HEAD, &path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-length"), "100000");
    assert_eq!(header(&res, "docker-content-digest"), d);

    for (range, expect) in [
        ("bytes=10-19", 10..20),
        ("bytes=99990-", 99_990..100_000),
        ("bytes=-5", 99_995..100_000),
    ] {
        let res = oci.req(Method::GET, &path).header("range", range).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            header(&res, "content-range"),
            format!("bytes {}-{}/100000", expect.start, expect.end - 1)
        );
        assert_eq!(res.bytes().await.unwrap().as_ref(), &data[expect]);
    }
    for bad in ["bytes=100000-", "bytes=500-0"] {
        let res = oci.req(Method::GET, &path).header("range", bad).send().await.unwrap();
        assert_eq!(header(&res, "content-range"), "bytes */100000");
        assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{bad}");
    }

    // Validators work as on native downloads: the ETag is the digest; If-None-Match gets
    // 304, and a Range is honoured only while If-Range still names it.
    let etag = header(&res_etag(&oci, &path).await, "etag");
    assert_eq!(etag, format!("\"{d}\""));
    let res = oci
        .req(Method::GET, &path)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert!(res.bytes().await.unwrap().is_empty());
    let res = oci
        .req(Method::GET, &path)
        .header("range", "bytes=0-9")
        .header("if-range", "\"sha256:other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // An empty blob is a blob too.
    let empty = oci.push_blob("alice/blobs", b"").await;
    let res = oci.send(Method::GET, &format!("/v2/alice/blobs/blobs/{empty}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.bytes().await.unwrap().is_empty());
    app.stop().await;
}

async fn res_etag(oci: &Oci, path: &str) -> reqwest::Response {
    oci.send(Method::HEAD, path).await
}

async fn pull_errors_use_spec_codes(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    oci.push_image("alice/app", "v1", &[b"x"]).await;
    let missing = sha256(b"never pushed");

    let res = oci.send(Method::GET, "/v2/alice/app/manifests/nope").await;
    oci_error(res, StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN").await;
    let res = oci
        .send(Method::HEAD, &format!("/v2/alice/app/manifests/{missing}"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = oci.send(Method::GET, &format!("/v2/alice/app/blobs/{missing}")).await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UNKNOWN").await;
    let res = oci.send(Method::HEAD, &format!("/v2/alice/app/blobs/{missing}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A blob of another repository is not visible here.
    let other = oci.push_blob("alice/other", b"elsewhere").await;
    let res = oci.send(Method::GET, &format!("/v2/alice/app/blobs/{other}")).await;
    oci_error(res, StatusCode::NOT_FOUND, "BLOB_UNKNOWN").await;

    let res = oci.send(Method::GET, "/v2/alice/nothing-here/manifests/v1").await;
    oci_error(res, StatusCode::NOT_FOUND, "NAME_UNKNOWN").await;
    let res = oci.send(Method::GET, "/v2/nobody/app/tags/list").await;
    oci_error(res, StatusCode::NOT_FOUND, "NAME_UNKNOWN").await;
    for bad in [
        "/v2/Alice/app/manifests/v1",
        "/v2/app/manifests/v1",
        "/v2/alice/a..b/manifests/v1",
    ] {
        let res = oci.send(Method::GET, bad).await;
        oci_error(res, StatusCode::BAD_REQUEST, "NAME_INVALID").await;
    }
    let res = oci
        .send(Method::GET, "/v2/alice/app/manifests/sha256:totallywrong")
        .await;
    oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;
    let res = oci.send(Method::GET, "/v2/alice/app/blobs/md5:abc").await;
    oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;
    let res = oci.send(Method::GET, "/v2/alice/app/nonsense").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = oci.send(Method::POST, "/v2/alice/app/manifests/v1").await;
    assert_eq!(header(&res, "allow"), "GET, HEAD, PUT, DELETE");
    oci_error(res, StatusCode::METHOD_NOT_ALLOWED, "UNSUPPORTED").await;
    app.stop().await;
}

both_backends!(
    pulls_manifests_by_tag_and_digest,
    serves_docker_schema2_and_indexes,
    pulls_blobs_with_ranges,
    pull_errors_use_spec_codes
);
