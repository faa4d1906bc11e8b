//! Bad publishes: each a clear 4xx in npm's error shape, with nothing stored.

use super::*;
use base64::Engine as _;
use trove_testkit::{both_backends, Backend};

async fn bad_publishes_store_nothing(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| {
            c.npm.max_publish_bytes = Some(256 * 1024);
            c.limits.max_unpacked_bytes = 1 << 20;
            c.limits.max_file_bytes = 1 << 20;
        })
        .start()
        .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let npm = Npm::user(&app, &alice);
    let good = npm.publish("@alice/a", "1.0.0", json!({})).await;
    let blobs = app.blob_count().await;

    let body = |version: &str, tgz: &[u8]| publish_body("@alice/a", version, tgz, "latest", json!({}));
    let tgz = tarball("@alice/a", "1.0.1", json!({}));
    let mut cases: Vec<(&str, Value, StatusCode, &str, &str)> = Vec::new();

    let mut v = body("1.0.1", &tgz);
    v["_attachments"]["@alice/a-1.0.1.tgz"]["data"] = json!("this is not base64!");
    cases.push(("corrupt base64", v, StatusCode::BAD_REQUEST, "invalid_body", "base64"));

    let mut v = body("1.0.1", &tgz);
    v["versions"]["1.0.1"]["dist"]["shasum"] = json!(sha1_hex(b"other bytes"));
    cases.push((
        "sha1 mismatch",
        v,
        StatusCode::BAD_REQUEST,
        "integrity_mismatch",
        "corrupt",
    ));

    let mut v = body("1.0.1", &tgz);
    v["versions"]["1.0.1"]["dist"]["integrity"] = json!(integrity(b"other bytes"));
    cases.push((
        "sha512 mismatch",
        v,
        StatusCode::BAD_REQUEST,
        "integrity_mismatch",
        "integrity",
    ));

    let other = tarball("@alice/other", "1.0.1", json!({}));
    cases.push((
        "package.json names another package",
        body("1.0.1", &other),
        StatusCode::UNPROCESSABLE_ENTITY,
        "manifest_mismatch",
        "@alice/other",
    ));

    let older = tarball("@alice/a", "0.9.0", json!({}));
    cases.push((
        "package.json has another version",
        body("1.0.1", &older),
        StatusCode::UNPROCESSABLE_ENTITY,
        "manifest_mismatch",
        "0.9.0",
    ));

    // Manifest confusion: the body's dependencies are not those the tarball installs.
    let with_dep = tarball("@alice/a", "1.0.1", json!({ "dependencies": { "@alice/x": "^1.0.0" } }));
    cases.push((
        "body dependencies differ from package.json",
        publish_body("@alice/a", "1.0.1", &with_dep, "latest", json!({ "dependencies": {} })),
        StatusCode::UNPROCESSABLE_ENTITY,
        "manifest_mismatch",
        "@alice/x",
    ));

    let traversal = trove_tarball::ArchiveBuilder::new()
        .file("package/package.json", br#"{"name":"@alice/a","version":"1.0.1"}"#)
        .raw_path_file("package/../../etc/evil", b"x")
        .finish();
    cases.push((
        "path traversal",
        body("1.0.1", &traversal),
        StatusCode::UNPROCESSABLE_ENTITY,
        "path_traversal",
        "..",
    ));

    let escape = trove_tarball::ArchiveBuilder::new()
        .file("package/package.json", br#"{"name":"@alice/a","version":"1.0.1"}"#)
        .symlink("package/link", "../../../etc/passwd")
        .finish();
    cases.push((
        "symlink out of the archive",
        body("1.0.1", &escape),
        StatusCode::UNPROCESSABLE_ENTITY,
        "link_escape",
        "link",
    ));

    let rootless = trove_tarball::ArchiveBuilder::new()
        .file("package.json", br#"{"name":"@alice/a","version":"1.0.1"}"#)
        .finish();
    cases.push((
        "no package/package.json",
        body("1.0.1", &rootless),
        StatusCode::UNPROCESSABLE_ENTITY,
        "manifest_missing",
        "package/package.json",
    ));

    let not_json = trove_tarball::ArchiveBuilder::new()
        .file("package/package.json", b"{ name: nope")
        .finish();
    cases.push((
        "package.json is not JSON",
        body("1.0.1", &not_json),
        StatusCode::UNPROCESSABLE_ENTITY,
        "manifest_invalid",
        "JSON",
    ));

    cases.push((
        "a gzip bomb",
        body("1.0.1", &trove_tarball::gzip_bomb(64 << 20)),
        StatusCode::PAYLOAD_TOO_LARGE,
        "archive_too_large",
        "larger",
    ));

    let mut v = body("1.0.1", &tgz);
    v["_attachments"]["@alice/a-1.0.1.tgz"]["length"] = json!(3);
    cases.push((
        "a wrong length",
        v,
        StatusCode::BAD_REQUEST,
        "length_mismatch",
        "length",
    ));

    let mut v = body("1.0.1", &tgz);
    v["versions"]["1.0.1"]["version"] = json!("1.0.2");
    cases.push((
        "a document of another version",
        v,
        StatusCode::BAD_REQUEST,
        "version_mismatch",
        "1.0.2",
    ));

    let mut v = body("1.0.1", &tgz);
    v["versions"]["1.0.2"] = v["versions"]["1.0.1"].clone();
    cases.push((
        "two versions",
        v,
        StatusCode::BAD_REQUEST,
        "invalid_body",
        "exactly one version",
    ));

    let mut v = body("1.0.1", &tgz);
    v["_attachments"] = json!({ "x.tgz": { "data": "", "length": 0 }, "y.tgz": { "data": "", "length": 0 } });
    cases.push((
        "two tarballs",
        v,
        StatusCode::BAD_REQUEST,
        "invalid_body",
        "exactly one",
    ));

    let mut v = body("1.0.1", &tgz);
    v["name"] = json!("@alice/b");
    cases.push((
        "a body for another package",
        v,
        StatusCode::BAD_REQUEST,
        "name_mismatch",
        "@alice/b",
    ));

    let mut v = body("1.0.1", &tgz);
    v["dist-tags"] = json!({ "1.x": "1.0.1" });
    cases.push(("a version-like tag", v, StatusCode::BAD_REQUEST, "invalid_tag", "1.x"));

    let mut v = body("1.0.1", &tgz);
    v["access"] = json!("secret");
    cases.push(("unknown access", v, StatusCode::BAD_REQUEST, "invalid_access", "secret"));

    cases.push((
        "a version taken",
        body("1.0.0", &good),
        StatusCode::CONFLICT,
        "version_exists",
        "1.0.0",
    ));

    for (what, v, status, code, needle) in cases {
        let res = npm.publish_raw("@alice/a", &v).await;
        let got = res.status();
        let text = res.text().await.unwrap();
        assert_eq!((got, what), (status, what), "{text}");
        let e: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(e["code"], code, "{what}: {text}");
        assert!(e["error"].as_str().unwrap().contains(needle), "{what}: {text}");
    }

    // Bodies that are not JSON at all.
    let res = npm.req(Method::PUT, "@alice%2fa").body("{ nope").send().await.unwrap();
    npm_error(res, StatusCode::BAD_REQUEST, "invalid_body").await;
    // Too large: refused before the body is read whole, whether its length is declared…
    let huge = vec![b' '; 1 << 20];
    let res = npm
        .req(Method::PUT, "@alice%2fa")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["connection"],
        "close",
        "the unread rest ends the connection"
    );
    npm_error(res, StatusCode::PAYLOAD_TOO_LARGE, "too_large").await;
    // … or not (a chunked body that grows past the limit).
    let chunks = futures::stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 16 * 1024])));
    let res = npm
        .req(Method::PUT, "@alice%2fa")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    npm_error(res, StatusCode::PAYLOAD_TOO_LARGE, "too_large").await;

    // Who may publish: a token, with the publish scope, for this package, in this namespace.
    let v = body("1.0.1", &tgz);
    npm_error(
        Npm::anonymous(&app).publish_raw("@alice/a", &v).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let read_only = alice.create_token(json!({ "name": "ro", "scopes": ["read"] })).await;
    npm_error(
        Npm::with_token(&app, &read_only).publish_raw("@alice/a", &v).await,
        StatusCode::FORBIDDEN,
        "insufficient_scope",
    )
    .await;
    let elsewhere = alice
        .create_token(json!({ "name": "b only", "scopes": ["publish"], "packages": ["alice/b"] }))
        .await;
    npm_error(
        Npm::with_token(&app, &elsewhere).publish_raw("@alice/a", &v).await,
        StatusCode::FORBIDDEN,
        "token_pattern_mismatch",
    )
    .await;
    npm_error(
        Npm::user(&app, &bob).publish_raw("@alice/a", &v).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let tgz_nobody = tarball("@nobody/a", "1.0.0", json!({}));
    let res = npm
        .publish_raw(
            "@nobody/a",
            &publish_body("@nobody/a", "1.0.0", &tgz_nobody, "latest", json!({})),
        )
        .await;
    npm_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let upper = tarball("@alice/Upper", "1.0.0", json!({}));
    let res = npm
        .publish_raw(
            "@alice/Upper",
            &publish_body("@alice/Upper", "1.0.0", &upper, "latest", json!({})),
        )
        .await;
    npm_error(res, StatusCode::BAD_REQUEST, "invalid_name").await;
    let bad_token = Npm::with_token(&app, "trv_not_a_token");
    npm_error(
        bad_token.publish_raw("@alice/a", &v).await,
        StatusCode::UNAUTHORIZED,
        "token_invalid",
    )
    .await;
    let basic = |credentials: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        )
    };
    let res = Npm::anonymous(&app)
        .req(Method::PUT, "@alice%2fa")
        .header("authorization", basic("alice:wrong"))
        .json(&v)
        .send()
        .await
        .unwrap();
    npm_error(res, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    // Nothing of it was stored.
    assert_eq!(app.blob_count().await, blobs, "no blob stored");
    assert_eq!(app.staging_files(), 0, "no staging file left");
    let doc = npm.packument("@alice/a").await;
    assert_eq!(doc["versions"].as_object().unwrap().len(), 1);
    assert_eq!(doc["dist-tags"], json!({ "latest": "1.0.0" }));

    // The same body is fine once corrected, also with Basic credentials (npm's `_auth`).
    let res = Npm::anonymous(&app)
        .req(Method::PUT, "@alice%2fa")
        .header("authorization", basic("alice:correct horse"))
        .json(&v)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    app.stop().await;
}

/// A tarball over `[limits] max_archive_bytes` in a body within `[npm] max_publish_bytes`.
async fn tarball_over_the_archive_limit(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| {
            c.limits.max_archive_bytes = 2048;
            c.npm.max_publish_bytes = Some(1 << 20);
        })
        .start()
        .await;
    let alice = app.user("alice").await;
    let npm = Npm::user(&app, &alice);
    let mut seed = 0x2545_f491_u32;
    let noise: String = (0..8000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            char::from(b'a' + (seed % 26) as u8)
        })
        .collect();
    let big = tarball("@alice/big", "1.0.0", json!({ "description": noise }));
    assert!(big.len() > 2048);
    let res = npm
        .publish_raw(
            "@alice/big",
            &publish_body("@alice/big", "1.0.0", &big, "latest", json!({})),
        )
        .await;
    npm_error(res, StatusCode::PAYLOAD_TOO_LARGE, "too_large").await;
    assert_eq!(app.blob_count().await, 0);
    app.stop().await;
}

both_backends!(bad_publishes_store_nothing, tarball_over_the_archive_limit);
