//! Hostile and broken publish bodies: each refused with a clear cargo error, nothing stored
//! (no blob, no staging file left, no index entry).

use super::*;
use trove_testkit::{both_backends, Backend};

both_backends!(refuses_bad_publish_bodies, refuses_oversize_bodies);

async fn refused(app: &TestApp, token: &str, body: Vec<u8>, status: StatusCode, needle: &str) {
    let detail = expect_cargo_error(publish_raw(app, token, "alice", body).await, status).await;
    assert!(detail.to_lowercase().contains(needle), "`{needle}` not in: {detail}");
}

async fn refuses_bad_publish_bodies(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let t = alice.token.as_str();
    let good = crate_file("foo-1.0.0", "foo", "1.0.0");
    let meta = metadata("foo", "1.0.0", json!([]));
    let whole = wire(&meta, &good);

    refused(&app, t, whole[..2].to_vec(), StatusCode::BAD_REQUEST, "truncated").await;
    refused(&app, t, whole[..20].to_vec(), StatusCode::BAD_REQUEST, "truncated").await;
    refused(
        &app,
        t,
        whole[..whole.len() - 10].to_vec(),
        StatusCode::BAD_REQUEST,
        "truncated",
    )
    .await;
    let mut longer = whole.clone();
    longer.extend_from_slice(b"trailing");
    refused(&app, t, longer, StatusCode::BAD_REQUEST, "longer than declared").await;
    // A JSON length pointing into the crate bytes: the crate length is then read from the
    // gzip header (far over the limit), or the JSON does not parse.
    let mut lying = whole.clone();
    lying[0] += 3;
    refused(&app, t, lying, StatusCode::PAYLOAD_TOO_LARGE, ".crate is larger").await;
    let mut lying = whole.clone();
    lying[0] -= 1;
    refused(&app, t, lying, StatusCode::BAD_REQUEST, "").await;
    let mut bad_json = 9u32.to_le_bytes().to_vec();
    bad_json.extend_from_slice(b"{not json");
    bad_json.extend_from_slice(&(good.len() as u32).to_le_bytes());
    bad_json.extend_from_slice(&good);
    refused(&app, t, bad_json, StatusCode::BAD_REQUEST, "json").await;
    // The .crate names another crate, or another version.
    let other = wire(&meta, &crate_file("foo-1.0.0", "bar", "1.0.0"));
    refused(&app, t, other, StatusCode::BAD_REQUEST, "`bar`").await;
    let other = wire(&meta, &crate_file("foo-1.0.0", "foo", "1.0.1"));
    refused(&app, t, other, StatusCode::BAD_REQUEST, "1.0.1").await;
    let outside = wire(&meta, &crate_file("bar-1.0.0", "foo", "1.0.0"));
    refused(&app, t, outside, StatusCode::BAD_REQUEST, "not under").await;
    // Hostile archives.
    let traversal = trove_tarball::ArchiveBuilder::new()
        .file(
            "foo-1.0.0/Cargo.toml",
            b"[package]\nname = \"foo\"\nversion = \"1.0.0\"\n",
        )
        .raw_path_file("foo-1.0.0/../../../etc/cron.d/x", b"boom")
        .finish();
    refused(&app, t, wire(&meta, &traversal), StatusCode::BAD_REQUEST, "..").await;
    let link = trove_tarball::ArchiveBuilder::new()
        .file(
            "foo-1.0.0/Cargo.toml",
            b"[package]\nname = \"foo\"\nversion = \"1.0.0\"\n",
        )
        .symlink("foo-1.0.0/passwd", "../../etc/passwd")
        .finish();
    refused(&app, t, wire(&meta, &link), StatusCode::BAD_REQUEST, "symlink").await;
    refused(&app, t, wire(&meta, b"not a gzip"), StatusCode::BAD_REQUEST, "invalid").await;
    // Bad metadata.
    let bad_name = metadata("foo bar", "1.0.0", json!([]));
    refused(&app, t, wire(&bad_name, &good), StatusCode::BAD_REQUEST, "crate name").await;
    let bad_req = metadata("foo", "1.0.0", json!([{ "name": "x", "version_req": "latest!" }]));
    refused(&app, t, wire(&bad_req, &good), StatusCode::BAD_REQUEST, "requirement").await;
    // No token, or a bad one.
    let res = app
        .req(Method::PUT, "/cargo/alice/api/v1/crates/new")
        .body(whole.clone())
        .send()
        .await
        .unwrap();
    expect_cargo_error(res, StatusCode::UNAUTHORIZED).await;
    let res = publish_raw(&app, "trv_not_a_token", "alice", whole.clone()).await;
    expect_cargo_error(res, StatusCode::UNAUTHORIZED).await;
    let res = publish_raw(&app, t, "nobody", whole.clone()).await;
    expect_cargo_error(res, StatusCode::NOT_FOUND).await;

    assert_eq!(app.blob_count().await, 0);
    assert_eq!(app.staging_files(), 0);
    let res = app.get("/cargo/alice/index/3/f/foo").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The good body still publishes.
    json_ok(publish_raw(&app, t, "alice", whole).await).await;
    app.stop().await;
}

async fn refuses_oversize_bodies(backend: Backend) {
    let app = TestApp::builder(backend)
        .config(|c| c.limits.max_archive_bytes = 64 * 1024)
        .start()
        .await;
    let alice = app.user("alice").await;
    let meta = metadata("big", "1.0.0", json!([]));
    // Declared larger than the limit: 413 before the bytes are read.
    let big = vec![7u8; 200 * 1024];
    let res = publish_raw(&app, &alice.token, "alice", wire(&meta, &big)).await;
    expect_cargo_error(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    // A .crate length over the limit inside an unsized (chunked) body.
    let chunks = futures::stream::iter(vec![Ok::<_, std::io::Error>(wire(&meta, &big))]);
    let res = app
        .req(Method::PUT, "/cargo/alice/api/v1/crates/new")
        .header("authorization", &alice.token)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    expect_cargo_error(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    // Metadata over its own limit.
    let mut huge_json = (2u32 << 20).to_le_bytes().to_vec();
    huge_json.extend_from_slice(&[b' '; 1024]);
    let res = publish_raw(&app, &alice.token, "alice", huge_json).await;
    expect_cargo_error(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(app.blob_count().await, 0);
    assert_eq!(app.staging_files(), 0);
    app.stop().await;
}

both_backends!(refuses_bad_json_bodies);

/// Owners and settings bodies: bad JSON is 400, an oversize body 413, in cargo's shape.
async fn refuses_bad_json_bodies(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    publish_crate(&app, &alice, "alice", "foo", "1.0.0").await;
    let owners = || {
        app.req(Method::PUT, "/cargo/alice/api/v1/crates/foo/owners")
            .header("authorization", &alice.token)
    };
    let res = owners().body("{\"users\": \"bob\"}").send().await.unwrap();
    assert!(expect_cargo_error(res, StatusCode::BAD_REQUEST).await.contains("users"));
    let res = owners().body("{\"users\": []}").send().await.unwrap();
    expect_cargo_error(res, StatusCode::BAD_REQUEST).await;
    let res = owners().body(vec![b' '; 200 * 1024]).send().await.unwrap();
    expect_cargo_error(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    let res = owners().json(&json!({ "users": ["nobody"] })).send().await.unwrap();
    assert!(expect_cargo_error(res, StatusCode::NOT_FOUND).await.contains("nobody"));
    let res = alice
        .req(Method::PUT, "/cargo/alice/settings")
        .body("{\"auth_required\": 1}")
        .send()
        .await
        .unwrap();
    expect_cargo_error(res, StatusCode::BAD_REQUEST).await;
    let res = call(&app, Method::GET, "/cargo/alice/no/such/endpoint", None).await;
    expect_cargo_error(res, StatusCode::NOT_FOUND).await;
    app.stop().await;
}
