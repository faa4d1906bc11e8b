//! The sparse index and the web API over HTTP: config.json, index lines in publish order,
//! validators and 304s, lines unchanged but `yanked`, names by case and `-`/`_`, build
//! metadata, downloads counted, search totals of one registry, owners by account id.

use super::*;
use sha2::Digest as _;
use trove_testkit::{both_backends, Backend};

both_backends!(
    config_and_index_lines,
    names_and_versions,
    downloads_and_search,
    search_totals_count_this_registry,
    owners_carry_account_ids
);

async fn config_and_index_lines(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let config = get_json(&app, "/cargo/alice/index/config.json").await;
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
    let lines = index_lines(&res.text().await.unwrap());
    let versions: Vec<&str> = lines.iter().map(|l| l["vers"].as_str().unwrap()).collect();
    assert_eq!(versions, ["1.1.0", "1.0.5"], "publish order");
    for key in ["name", "vers", "deps", "cksum", "features", "yanked", "links"] {
        assert!(lines[0].get(key).is_some(), "{key} missing: {}", lines[0]);
    }
    assert_eq!(lines[0]["yanked"], false);

    // Revalidation: 304 by ETag and by date.
    let res = get_with(&app, "/cargo/alice/index/3/f/foo", "if-none-match", &etag).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.headers()["etag"], etag.as_str());
    let res = get_with(&app, "/cargo/alice/index/3/f/foo", "if-modified-since", &modified).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    // A yank changes only `yanked` (and so the ETag).
    let yank = "/cargo/alice/api/v1/crates/foo/1.1.0/yank";
    let res = call(&app, Method::DELETE, yank, Some(&alice.token)).await;
    assert_eq!(json_ok(res).await, json!({ "ok": true }));
    let res = get_with(&app, "/cargo/alice/index/3/f/foo", "if-none-match", &etag).await;
    assert_eq!(res.status(), StatusCode::OK);
    let after = index_lines(&res.text().await.unwrap());
    assert_eq!(after[0]["yanked"], true);
    let mut unyanked = after[0].clone();
    unyanked["yanked"] = json!(false);
    assert_eq!(unyanked, lines[0]);
    assert_eq!(after[1], lines[1]);
    let unyank = "/cargo/alice/api/v1/crates/foo/1.1.0/unyank";
    json_ok(call(&app, Method::PUT, unyank, Some(&alice.token)).await).await;
    let text = get_text(&app, "/cargo/alice/index/3/f/foo").await;
    assert!(!text.contains("\"yanked\":true"));
    // Yanking needs a token; a missing version is 404.
    let res = call(&app, Method::DELETE, yank, None).await;
    expect_cargo_error(res, StatusCode::UNAUTHORIZED).await;
    let missing = "/cargo/alice/api/v1/crates/foo/9.9.9/yank";
    let res = call(&app, Method::DELETE, missing, Some(&alice.token)).await;
    expect_cargo_error(res, StatusCode::NOT_FOUND).await;
    app.stop().await;
}

async fn names_and_versions(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    // Stored lowercase, served at the lowercase path, spelled as published in the lines.
    publish_crate(&app, &alice, "alice", "My_Crate", "0.1.0").await;
    let text = get_text(&app, "/cargo/alice/index/my/_c/my_crate").await;
    let line: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(line["name"], "My_Crate");
    let found = get_json(&app, "/cargo/alice/api/v1/crates?q=my_crate").await;
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
    let text = get_text(&app, "/cargo/alice/index/3/b/bar").await;
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
    let text = get_text(&app, "/cargo/alice/index/wi/dg/widget").await;
    let line: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(line["cksum"], hex::encode(sha2::Sha256::digest(&bytes)));

    let download = "/cargo/alice/api/v1/crates/widget/0.3.0/download";
    let res = app.get(download).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let res = get_with(&app, download, "if-none-match", &etag).await;
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

    let found = get_json(&app, "/cargo/alice/api/v1/crates?q=widget&per_page=5").await;
    assert_eq!(found["meta"]["total"], 1, "{found}");
    assert_eq!(found["crates"][0]["name"], "widget");
    assert_eq!(found["crates"][0]["max_version"], "0.3.0");
    // Another namespace's registry does not list it.
    app.user("bob").await;
    let none = get_json(&app, "/cargo/bob/api/v1/crates?q=widget").await;
    assert_eq!(none["meta"]["total"], 0, "{none}");
    app.stop().await;
}

async fn search_totals_count_this_registry(backend: Backend) {
    let app = TestApp::new(backend).await;
    // `amy`'s crates rank before `zoe`'s on ties: the first hundred matches across
    // namespaces are all amy's, so a registry filtering a cross-namespace page would miss
    // zoe's crates.
    let amy = app.user("amy").await;
    let zoe = app.user("zoe").await;
    for i in 0..101 {
        publish_crate(&app, &amy, "amy", &format!("gadget-{i:03}"), "1.0.0").await;
    }
    for name in ["gadget-x", "gadget-y", "gadget-z"] {
        publish_crate(&app, &zoe, "zoe", name, "1.0.0").await;
    }
    // A native package of zoe's namespace is not a crate.
    zoe.publish("zoe/gadget-native", "1.0.0").await;

    let found = get_json(&app, "/cargo/zoe/api/v1/crates?q=gadget&per_page=2").await;
    assert_eq!(found["meta"]["total"], 3, "{found}");
    let names: Vec<&str> = found["crates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{found}");
    assert!(
        names.iter().all(|n| ["gadget-x", "gadget-y", "gadget-z"].contains(n)),
        "{found}"
    );
    let all = get_json(&app, "/cargo/zoe/api/v1/crates?q=gadget&per_page=100").await;
    assert_eq!(all["crates"].as_array().unwrap().len(), 3, "{all}");
    // The other registry: every match counted, a page of at most 100.
    let amys = get_json(&app, "/cargo/amy/api/v1/crates?q=gadget&per_page=100").await;
    assert_eq!(amys["meta"]["total"], 101, "{amys}");
    assert_eq!(amys["crates"].as_array().unwrap().len(), 100);
    assert!(!amys.to_string().contains("gadget-x"), "{amys}");
    app.stop().await;
}

/// `(id, login)` of each owner, as `cargo owner --list` reads them.
async fn owner_ids(app: &TestApp, scope: &str, name: &str, token: &str) -> Vec<(i64, String)> {
    let path = format!("/cargo/{scope}/api/v1/crates/{name}/owners");
    let list = json_ok(call(app, Method::GET, &path, Some(token)).await).await;
    list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_i64().unwrap(), u["login"].as_str().unwrap().to_string()))
        .collect()
}

async fn owners_carry_account_ids(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let mut conn = app.services().db.conn().await.unwrap();
    let mut id = std::collections::HashMap::new();
    for name in ["alice", "bob", "carol"] {
        let user = trove_db::users::find_by_username(&mut conn, name)
            .await
            .unwrap()
            .unwrap();
        id.insert(name, user.id);
    }
    drop(conn);
    publish_crate(&app, &alice, "alice", "tool", "1.0.0").await;
    let owners = "/cargo/alice/api/v1/crates/tool/owners";
    for user in ["bob", "carol"] {
        let res = app
            .req(Method::PUT, owners)
            .header("authorization", &alice.token)
            .json(&json!({ "users": [user] }))
            .send()
            .await
            .unwrap();
        json_ok(res).await;
    }
    let who = |names: &[&str]| -> Vec<(i64, String)> { names.iter().map(|n| (id[n], n.to_string())).collect() };
    assert_eq!(
        owner_ids(&app, "alice", "tool", &alice.token).await,
        who(&["alice", "bob", "carol"])
    );
    // Removing one keeps the others' ids.
    let res = app
        .req(Method::DELETE, owners)
        .header("authorization", &alice.token)
        .json(&json!({ "users": ["bob"] }))
        .send()
        .await
        .unwrap();
    json_ok(res).await;
    assert_eq!(
        owner_ids(&app, "alice", "tool", &bob.token).await,
        who(&["alice", "carol"])
    );
    // A user has the same id on every crate, whatever their place in its list.
    publish_crate(&app, &carol, "carol", "kit", "1.0.0").await;
    assert_eq!(owner_ids(&app, "carol", "kit", &carol.token).await, who(&["carol"]));
    app.stop().await;
}
