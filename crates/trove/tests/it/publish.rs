use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::Digest as _;
use trove_tarball::{manifest_toml, simple_package, ArchiveBuilder};
use trove_testkit::{both_backends, Backend};

async fn publish_and_read_back(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let manifest = r#"[package]
name = "alice/markdown-kit"
version = "1.2.0"
kind = "library"
description = "Render markdown"
license = "MIT OR Apache-2.0"
keywords = ["markdown", "render"]
categories = ["parsing"]
homepage = "https://example.com"
readme = "docs/INTRO.md"

[metadata]
stars = 5
"#;
    let archive = ArchiveBuilder::new()
        .file("trove.toml", manifest.as_bytes())
        .file("docs/INTRO.md", b"# Markdown kit\n\nFast.")
        .file("src/lib.txt", b"code")
        .finish();
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&archive)));
    let res = alice
        .publish_bytes("alice/markdown-kit", "1.2.0", archive.clone())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v = json_ok(res).await;
    assert_eq!(v["digest"], digest.as_str());
    assert_eq!(v["size"], archive.len());
    assert_eq!(v["publisher"], "alice");
    assert_eq!(v["yanked"], false);
    assert_eq!(v["manifest"]["metadata"]["stars"], 5);

    let p = json_ok(app.get("/api/v1/packages/alice/markdown-kit").send().await.unwrap()).await;
    assert_eq!(p["full_name"], "alice/markdown-kit");
    assert_eq!(p["ecosystem"], "native");
    assert_eq!(p["kind"], "library");
    assert_eq!(p["visibility"], "public");
    assert_eq!(p["license"], "MIT OR Apache-2.0");
    assert_eq!(p["keywords"], serde_json::json!(["markdown", "render"]));
    assert_eq!(p["categories"], serde_json::json!(["parsing"]));
    assert_eq!(p["latest_version"], "1.2.0");
    assert!(p["readme"].as_str().unwrap().contains("Markdown kit"));
    // Names are found in normalized form.
    let p2 = json_ok(app.get("/api/v1/packages/alice/markdown_kit").send().await.unwrap()).await;
    assert_eq!(p2["full_name"], "alice/markdown-kit");

    alice.publish("alice/markdown-kit", "1.10.0").await;
    alice.publish("alice/markdown-kit", "2.0.0-beta.1").await;
    let versions = json_ok(
        app.get("/api/v1/packages/alice/markdown-kit/versions")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let order: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ["2.0.0-beta.1", "1.10.0", "1.2.0"],
        "semver order, not text order"
    );
    let p = json_ok(app.get("/api/v1/packages/alice/markdown-kit").send().await.unwrap()).await;
    assert_eq!(
        p["latest_version"], "1.10.0",
        "pre-releases are not advertised as latest"
    );
    let one = json_ok(
        app.get("/api/v1/packages/alice/markdown-kit/versions/1.2.0")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(one["digest"], digest.as_str());
    expect_error(
        app.get("/api/v1/packages/alice/markdown-kit/versions/9.9.9")
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        app.get("/api/v1/packages/alice/markdown-kit/versions/latest")
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_version",
    )
    .await;
    let list = json_ok(app.get("/api/v1/namespaces/alice/packages").send().await.unwrap()).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn versions_are_immutable(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    alice.publish("alice/tool", "1.0.0").await;
    let again = alice
        .publish_bytes(
            "alice/tool",
            "1.0.0",
            simple_package("alice/tool", "1.0.0", "different"),
        )
        .await;
    expect_error(again, StatusCode::CONFLICT, "version_exists").await;
    // Build metadata does not make a new number.
    let build = alice
        .publish_bytes(
            "alice/tool",
            "1.0.0+build.5",
            simple_package("alice/tool", "1.0.0+build.5", "x"),
        )
        .await;
    expect_error(build, StatusCode::CONFLICT, "version_exists").await;
    // A near-identical name is refused rather than creating a look-alike package.
    let alike = alice
        .publish_bytes("alice/tool", "1.0.0", simple_package("alice/tool", "1.0.0", "x"))
        .await;
    expect_error(alike, StatusCode::CONFLICT, "version_exists").await;
    alice.publish("alice/my-lib", "0.1.0").await;
    let alike = alice
        .publish_bytes("alice/my_lib", "0.2.0", simple_package("alice/my_lib", "0.2.0", "x"))
        .await;
    expect_error(alike, StatusCode::CONFLICT, "name_taken").await;
    app.stop().await;
}

/// Every refused upload: right status and code, and nothing stored (no version, no blob,
/// no staging file left behind).
async fn bad_uploads_are_refused_and_leave_nothing(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| {
            c.limits.max_archive_bytes = 256 * 1024;
            c.limits.max_unpacked_bytes = 1024 * 1024;
        })
        .start()
        .await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    alice.publish("alice/base", "1.0.0").await;
    let blobs_before = app.blob_count().await;
    let manifest = |full: &str, v: &str| manifest_toml(full, v, &[]);

    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "alice/evil",
            "1.0.0",
            ArchiveBuilder::new()
                .file("trove.toml", manifest("alice/evil", "1.0.0").as_bytes())
                .raw_path_file("../../etc/passwd", b"root")
                .finish(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "path_traversal",
        ),
        (
            "alice/evil",
            "1.0.0",
            ArchiveBuilder::new()
                .file("trove.toml", manifest("alice/evil", "1.0.0").as_bytes())
                .raw_path_file("/etc/cron.d/x", b"x")
                .finish(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "path_traversal",
        ),
        (
            "alice/evil",
            "1.0.0",
            ArchiveBuilder::new()
                .file("trove.toml", manifest("alice/evil", "1.0.0").as_bytes())
                .symlink("escape", "../../../etc/shadow")
                .finish(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "link_escape",
        ),
        (
            "alice/evil",
            "1.0.0",
            ArchiveBuilder::new()
                .file("trove.toml", manifest("alice/evil", "1.0.0").as_bytes())
                .symlink("abs", "/etc/shadow")
                .finish(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "link_escape",
        ),
        (
            "alice/evil",
            "1.0.0",
            ArchiveBuilder::new()
                .file("trove.toml", manifest("alice/evil", "1.0.0").as_bytes())
                .hardlink("hl", "/etc/passwd")
                .finish(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "hard_link",
        ),
        (
            "alice/evil",
            "1.0.0",
            ArchiveBuilder::new()
                .file("trove.toml", manifest("alice/evil", "1.0.0").as_bytes())
                .char_device("dev/null")
                .finish(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "special_file",
        ),
        (
            "alice/evil",
            "1.0.0",
            trove_tarball::gzip_bomb(64 * 1024 * 1024),
            StatusCode::PAYLOAD_TOO_LARGE,
            "archive_too_large",
        ),
        (
            "alice/evil",
            "1.0.0",
            vec![b'x'; 300 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "archive_too_large",
        ),
        (
            "alice/evil",
            "1.0.0",
            b"this is not gzip".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "archive_invalid",
        ),
        (
            "alice/evil",
            "1.0.0",
            ArchiveBuilder::new().file("README.md", b"no manifest").finish(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "manifest_missing",
        ),
        (
            "alice/evil",
            "1.0.0",
            ArchiveBuilder::new()
                .file("trove.toml", b"[package]\nname = 5")
                .finish(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "manifest_invalid",
        ),
        (
            "alice/evil",
            "1.0.0",
            ArchiveBuilder::new()
                .file("trove.toml", b"[package]\nname = \"alice/evil\"\nversion = \"1.0\"\n")
                .finish(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "manifest_invalid",
        ),
        (
            "alice/evil",
            "1.0.0",
            simple_package("alice/other", "1.0.0", "x"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "manifest_mismatch",
        ),
        (
            "alice/evil",
            "1.0.0",
            simple_package("alice/evil", "1.0.1", "x"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "manifest_mismatch",
        ),
        (
            "alice/evil",
            "1.0.0",
            package_with_deps("alice/evil", "1.0.0", &[("alice/ghost", "^1")]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "dependency_unknown",
        ),
        (
            "alice/evil",
            "1.0",
            simple_package("alice/evil", "1.0.0", "x"),
            StatusCode::BAD_REQUEST,
            "invalid_version",
        ),
        (
            "alice/Evil",
            "1.0.0",
            simple_package("alice/evil", "1.0.0", "x"),
            StatusCode::BAD_REQUEST,
            "invalid_name",
        ),
        (
            "alice/evil",
            "1.0.0",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "archive_missing",
        ),
        (
            "bob/evil",
            "1.0.0",
            simple_package("bob/evil", "1.0.0", "x"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "ghost/evil",
            "1.0.0",
            simple_package("ghost/evil", "1.0.0", "x"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (full, version, archive, status, code) in cases {
        let res = alice.publish_bytes(full, version, archive).await;
        let msg = expect_error(res, status, code).await;
        assert!(msg.len() > 10, "{code}: the message explains: {msg}");
    }
    // Without any credentials.
    let res = app
        .req(Method::PUT, "/api/v1/packages/alice/evil/versions/1.0.0")
        .body(simple_package("alice/evil", "1.0.0", "x"))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;

    expect_error(
        app.get("/api/v1/packages/alice/evil").send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(app.blob_count().await, blobs_before, "refused uploads store no blob");
    assert_eq!(app.staging_files(), 0, "staging files are cleaned up");
    let versions: Value = json_ok(app.get("/api/v1/packages/alice/base/versions").send().await.unwrap()).await;
    assert_eq!(versions.as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn concurrent_publishes_of_one_version(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = std::sync::Arc::new(app.user("alice").await);
    alice.publish("alice/race", "0.1.0").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let alice = alice.clone();
        // Different bytes each time: the loser must not overwrite the winner.
        let archive = simple_package("alice/race", "1.0.0", &format!("attempt {i}"));
        tasks.push(tokio::spawn(async move {
            alice.publish_bytes("alice/race", "1.0.0", archive).await.status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::CREATED).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(),
        7,
        "{statuses:?}"
    );
    let versions: Value = json_ok(app.get("/api/v1/packages/alice/race/versions").send().await.unwrap()).await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    // The stored archive is the one whose digest was recorded.
    let v = json_ok(
        app.get("/api/v1/packages/alice/race/versions/1.0.0")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let body = app
        .get("/api/v1/packages/alice/race/versions/1.0.0/download")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        v["digest"].as_str().unwrap(),
        format!("sha256:{}", hex::encode(sha2::Sha256::digest(&body)))
    );

    // First publishes of a brand-new package race on package creation too.
    let mut tasks = Vec::new();
    for i in 0..6 {
        let alice = alice.clone();
        let archive = simple_package("alice/fresh", "1.0.0", &format!("attempt {i}"));
        tasks.push(tokio::spawn(async move {
            alice.publish_bytes("alice/fresh", "1.0.0", archive).await.status()
        }));
    }
    let mut created = 0;
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == StatusCode::CREATED || s == StatusCode::CONFLICT, "{s}");
        created += (s == StatusCode::CREATED) as usize;
    }
    assert_eq!(created, 1);
    app.stop().await;
}

/// Different versions of one brand-new package published at once all succeed: the
/// transactions that lose the race to create the package run again (on PostgreSQL 11 of 50
/// used to get 409 `publish_conflict`).
async fn concurrent_first_publishes_of_different_versions_all_succeed(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.database.max_connections = 16)
        .start()
        .await;
    let alice = std::sync::Arc::new(app.user("alice").await);
    let mut tasks = Vec::new();
    for i in 0..30 {
        let alice = alice.clone();
        let version = format!("1.0.{i}");
        let archive = simple_package("alice/burst", &version, "x");
        tasks.push(tokio::spawn(async move {
            let res = alice.publish_bytes("alice/burst", &version, archive).await;
            (res.status(), res.text().await.unwrap())
        }));
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let versions: Value = json_ok(app.get("/api/v1/packages/alice/burst/versions").send().await.unwrap()).await;
    assert_eq!(versions.as_array().unwrap().len(), 30);
    // Each version holds its archive as its one file.
    let mut conn = app.services().db.conn().await.unwrap();
    let (files,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM version_files f JOIN versions v ON v.id = f.version_id \
         WHERE f.kind = 'archive' AND f.digest = v.digest AND f.filename = 'alice-burst-' || v.version || '.tar.gz'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(files, 30);
    drop(conn);
    let pkg = json_ok(app.get("/api/v1/packages/alice/burst").send().await.unwrap()).await;
    assert_eq!(pkg["latest_version"], "1.0.29", "{pkg}");
    app.stop().await;
}

async fn dependencies_are_recorded(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    alice.publish("alice/core", "1.0.0").await;
    let res = alice
        .publish_bytes(
            "alice/app",
            "0.1.0",
            package_with_deps("alice/app", "0.1.0", &[("alice/core", "^1.0")]),
        )
        .await;
    let v = json_ok(res).await;
    assert_eq!(v["dependencies"], serde_json::json!({ "alice/core": "^1.0" }));
    app.stop().await;
}

both_backends!(
    publish_and_read_back,
    versions_are_immutable,
    bad_uploads_are_refused_and_leave_nothing,
    concurrent_publishes_of_one_version,
    concurrent_first_publishes_of_different_versions_all_succeed,
    dependencies_are_recorded,
);
