//! The sparse index and the web API over HTTP: config.json, index lines in publish order,
//! validators and 304s, lines unchanged but `yanked`, names by case and `-`/`_`, build
//! metadata, downloads counted, search.

use super::*;
use sha2::Digest as _;
use trove_testkit::{both_backends, Backend};

both_backends!(config_and_index_lines, names_and_versions, downloads_and_search);

async fn config_and_index_lines(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let config = json_ok(app.get("/cargo/alice/index/config.json").send().await.unwrap()).await;
    assert_eq!(config["api"], format!("{}/cargo/alice", app.base));
    assert_eq!(config["dl"], format!("{}/cargo/alice/api/v1/crates", app.base));
    assert!(config.get("auth-required").is_none());
    let res = app.get("/cargo/nobody/index/config.json").send().await.unwrap();
    expect_cargo_error(res, StatusCode::NOT_FOUND).await;
    let res = app.get("/cargo/alice/index/3/f/foo").send().await.unwrap();
    expect_cargo_error(res, StatusCode::NOT_FOUND).await;

    publish_crate(&app, &alice, "alice", "foo", "1.1.0").await;
    publish_crate(&app, &alice, "alice", "foo", "1.0.5").await;
    let res = app.get("/cargo/alice/index/3/f/foo").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let modified = res.headers()["last-modified"].to_str().unwrap().to_string();
    let text = res.text().await.unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let versions: Vec<&str> = lines.iter().map(|l| l["vers"].as_str().unwrap()).collect();
    assert_eq!(versions, ["1.1.0", "1.0.5"], "publish order");
    for key in ["name", "vers", "deps", "cksum", "features", "yanked", "links"] {
        assert!(lines[0].get(key).is_some(), "{key} missing: {}", lines[0]);
    }
    assert_eq!(lines[0]["yanked"], false);

    // Revalidation: 304 by ETag and by date.
    let res = app
        .get("/cargo/alice/index/3/f/foo")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.headers()["etag"], etag.as_str());
    let res = app
        .get("/cargo/alice/index/3/f/foo")
        .header("if-modified-since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    // A yank changes only `yanked` (and so the ETag).
    let res = app
        .req(Method::DELETE, "/cargo/alice/api/v1/crates/foo/1.1.0/yank")
        .header("authorization", &alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(json_ok(res).await, json!({ "ok": true }));
    let res = app
        .get("/cargo/alice/index/3/f/foo")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let after: Vec<Value> = res
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(after[0]["yanked"], true);
    let mut unyanked = after[0].clone();
    unyanked["yanked"] = json!(false);
    assert_eq!(unyanked, lines[0]);
    assert_eq!(after[1], lines[1]);
    let res = app
        .req(Method::PUT, "/cargo/alice/api/v1/crates/foo/1.1.0/unyank")
        .header("authorization", &alice.token)
        .send()
        .await
        .unwrap();
    json_ok(res).await;
    let text = app
        .get("/cargo/alice/index/3/f/foo")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("\"yanked\":true"));
    // Yanking needs a token; a missing version is 404.
    let res = app
        .req(Method::DELETE, "/cargo/alice/api/v1/crates/foo/1.1.0/yank")
        .send()
        .await
        .unwrap();
    expect_cargo_error(res, StatusCode::UNAUTHORIZED).await;
    let res = app
        .req(Method::DELETE, "/cargo/alice/api/v1/crates/foo/9.9.9/yank")
        .header("authorization", &alice.token)
        .send()
        .await
        .unwrap();
    expect_cargo_error(res, StatusCode::NOT_FOUND).await;
    app.stop().await;
}

async fn names_and_versions(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    // Stored lowercase, served at the lowercase path, spelled as published in the lines.
    publish_crate(&app, &alice, "alice", "My_Crate", "0.1.0").await;
    let text = app
        .get("/cargo/alice/index/my/_c/my_crate")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(line["name"], "My_Crate");
    let found = json_ok(app.get("/cargo/alice/api/v1/crates?q=my_crate").send().await.unwrap()).await;
    assert_eq!(found["crates"][0]["name"], "My_Crate", "{found}");
    // Another spelling by case, or by `-`/`_`, is the same crate: refused.
    for other in ["my_crate", "My-Crate", "MY_CRATE"] {
        let body = wire(
            &metadata(other, "0.2.0", json!([])),
            &crate_file(&format!("{other}-0.2.0"), other, "0.2.0"),
        );
        let detail = expect_cargo_error(
            publish_raw(&app, &alice.token, "alice", body).await,
            StatusCode::CONFLICT,
        )
        .await;
        assert!(detail.contains("My_Crate") || detail.contains("my_crate"), "{detail}");
    }
    // The `-` spelling's index path does not serve the `_` crate.
    let res = app.get("/cargo/alice/index/my/-c/my-crate").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Build metadata does not make a new number; a number is never reused.
    publish_crate(&app, &alice, "alice", "bar", "1.0.0+a").await;
    let body = wire(
        &metadata("bar", "1.0.0+b", json!([])),
        &crate_file("bar-1.0.0+b", "bar", "1.0.0+b"),
    );
    let detail = expect_cargo_error(
        publish_raw(&app, &alice.token, "alice", body.clone()).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(detail.contains("1.0.0"), "{detail}");
    let text = app
        .get("/cargo/alice/index/3/b/bar")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(text.contains("\"vers\":\"1.0.0+a\""));
    app.stop().await;
}

async fn downloads_and_search(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let bytes = crate_file("widget-0.3.0", "widget", "0.3.0");
    let mut meta = metadata("widget", "0.3.0", json!([]));
    // Display text with a NUL (PostgreSQL cannot store one) is kept readable.
    meta["readme"] = json!("# Widget\u{0}\n");
    meta["description"] = json!("a\u{0}widget");
    let body = wire(&meta, &bytes);
    let res = publish_raw(&app, &alice.token, "alice", body).await;
    let answer = json_ok(res).await;
    assert!(answer["warnings"]["invalid_categories"].is_array());
    let text = app
        .get("/cargo/alice/index/wi/dg/widget")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(line["cksum"], hex::encode(sha2::Sha256::digest(&bytes)));

    let res = app
        .get("/cargo/alice/api/v1/crates/widget/0.3.0/download")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let res = app
        .get("/cargo/alice/api/v1/crates/widget/0.3.0/download")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let res = app
        .get("/cargo/alice/api/v1/crates/widget/0.9.9/download")
        .send()
        .await
        .unwrap();
    expect_cargo_error(res, StatusCode::NOT_FOUND).await;
    app.flush_downloads().await;
    let cargo = app.services().packages().of(trove_core::Ecosystem::Cargo);
    let pkg = cargo
        .releases(&trove_service::Ctx::anonymous(), "alice", "widget")
        .await
        .unwrap()
        .package;
    assert_eq!(pkg.downloads, 1);
    assert_eq!(pkg.description.as_deref(), Some("a\u{fffd}widget"));
    assert_eq!(pkg.ecosystem, trove_core::Ecosystem::Cargo);

    let found = json_ok(
        app.get("/cargo/alice/api/v1/crates?q=widget&per_page=5")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(found["meta"]["total"], 1, "{found}");
    assert_eq!(found["crates"][0]["name"], "widget");
    assert_eq!(found["crates"][0]["max_version"], "0.3.0");
    // Another namespace's registry does not list it.
    app.user("bob").await;
    let none = json_ok(app.get("/cargo/bob/api/v1/crates?q=widget").send().await.unwrap()).await;
    assert_eq!(none["meta"]["total"], 0, "{none}");
    app.stop().await;
}
