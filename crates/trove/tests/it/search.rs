//! `GET /api/v1/search`, `/categories` and `/explore`: ranking, typo tolerance, facets,
//! sorting, pages, privacy, and an index that follows every change, on every node.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use trove_testkit::{both_backends, Backend};

/// An archive whose `[package]` table has `fields` (TOML lines) besides name and version.
pub fn archive(full: &str, version: &str, fields: &str, readme: &str) -> Vec<u8> {
    let toml = format!("[package]\nname = \"{full}\"\nversion = \"{version}\"\n{fields}\n");
    trove_tarball::ArchiveBuilder::new()
        .file("trove.toml", toml.as_bytes())
        .file("README.md", readme.as_bytes())
        .finish()
}

/// Publishes with metadata and asserts 201.
pub async fn publish(user: &TestUser, full: &str, version: &str, fields: &str, readme: &str) {
    let res = user
        .publish_bytes(full, version, archive(full, version, fields, readme))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "publish {full}@{version}: {}",
        res.text().await.unwrap()
    );
}

/// Searches anonymously with URL-encoded parameters.
pub async fn search(app: &TestApp, params: &[(&str, &str)]) -> Value {
    json_ok(app.get("/api/v1/search").query(params).send().await.unwrap()).await
}

pub fn names(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results in {v}"))
        .iter()
        .map(|r| r["full_name"].as_str().unwrap().to_string())
        .collect()
}

/// Waits (bounded) until `check` holds for a search on `base`.
async fn eventually(base: &str, params: &[(&str, &str)], check: impl Fn(&Value) -> bool) -> Value {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v: Value = client
            .get(format!("{base}/api/v1/search"))
            .query(params)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if check(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting on {params:?}: last answer {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn exact_names_rank_first_and_names_beat_readmes(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    publish(
        &bob,
        "bob/notes",
        "1.0.0",
        "description = \"Personal notes\"",
        &"Notes in markdown. Markdown everywhere: markdown, markdown, markdown.\n".repeat(20),
    )
    .await;
    publish(&bob, "bob/markdown-tools", "1.0.0", "description = \"Tools\"", "Tools.").await;
    publish(
        &alice,
        "alice/renderer",
        "1.0.0",
        "description = \"Renders Markdown to HTML\"",
        "",
    )
    .await;
    publish(&alice, "alice/markdown", "1.0.0", "description = \"Text\"", "Hi.").await;

    let v = search(&app, &[("q", "markdown")]).await;
    assert_eq!(v["total"], 4);
    assert_eq!(
        names(&v),
        ["alice/markdown", "bob/markdown-tools", "alice/renderer", "bob/notes"],
        "exact name, then name, description, README"
    );
    // Exact in any spelling, with or without the scope.
    for q in ["markdown tools", "Markdown_Tools", "bob/markdown-tools"] {
        assert_eq!(names(&search(&app, &[("q", q)]).await)[0], "bob/markdown-tools", "{q}");
    }
    // The result shape other clients code against.
    let r = &search(&app, &[("q", "renderer")]).await["results"][0];
    assert_eq!(r["full_name"], "alice/renderer");
    assert_eq!(r["scope"], "alice");
    assert_eq!(r["name"], "renderer");
    assert_eq!(r["ecosystem"], "native");
    assert_eq!(r["kind"], "library");
    assert_eq!(r["description"], "Renders Markdown to HTML");
    assert_eq!(r["latest_version"], "1.0.0");
    assert_eq!(r["downloads"], 0);
    assert!(r["license"].is_null() && r["keywords"] == json!([]) && r["categories"] == json!([]));
    assert!(r["updated_at"].as_str().unwrap().ends_with('Z'));
    app.stop().await;
}

async fn typos_are_tolerated(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    publish(&alice, "alice/markdown", "1.0.0", "keywords = [\"commonmark\"]", "").await;
    publish(
        &alice,
        "alice/parser-kit",
        "1.0.0",
        "description = \"A parser toolkit\"",
        "",
    )
    .await;
    for typo in ["markdwn", "makrdown", "marrkdown", "markdawn"] {
        assert_eq!(names(&search(&app, &[("q", typo)]).await), ["alice/markdown"], "{typo}");
    }
    assert_eq!(names(&search(&app, &[("q", "commonmrak")]).await), ["alice/markdown"]);
    assert_eq!(
        names(&search(&app, &[("q", "parsr toolkti")]).await),
        ["alice/parser-kit"]
    );
    // Search as you type: the last word matches as a prefix.
    assert_eq!(names(&search(&app, &[("q", "markd")]).await), ["alice/markdown"]);
    // Too far off is not a match.
    assert_eq!(search(&app, &[("q", "mrkdwn")]).await["total"], 0);
    app.stop().await;
}

async fn facets_count_every_result(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let fields = |kind: &str, license: &str, kw: &str, cat: &str| {
        let what = if kind == "model" { "a model" } else { "a widget" };
        format!("kind = \"{kind}\"\nlicense = \"{license}\"\nkeywords = [{kw}]\ncategories = [{cat}]\ndescription = \"{what}\"")
    };
    publish(
        &alice,
        "alice/w1",
        "1.0.0",
        &fields("library", "MIT", "\"ui\", \"gtk\"", "\"gui\""),
        "",
    )
    .await;
    publish(
        &alice,
        "alice/w2",
        "1.0.0",
        &fields("library", "MIT", "\"ui\"", "\"gui\", \"web\""),
        "",
    )
    .await;
    publish(
        &alice,
        "alice/w3",
        "1.0.0",
        &fields("plugin", "Apache-2.0", "\"ui\"", "\"web\""),
        "",
    )
    .await;
    publish(
        &alice,
        "alice/other",
        "1.0.0",
        &fields("model", "MIT", "\"ml\"", "\"ai-models\""),
        "",
    )
    .await;

    let v = search(&app, &[("q", "widget"), ("per_page", "1")]).await;
    assert_eq!(v["total"], 3);
    assert_eq!(v["results"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["facets"],
        json!({
            "ecosystem": { "native": 3 },
            "kind": { "library": 2, "plugin": 1 },
            "category": { "gui": 2, "web": 2 },
            "license": { "MIT": 2, "Apache-2.0": 1 },
            "keyword": { "ui": 3, "gtk": 1 },
        })
    );
    // Filters narrow results and facets alike.
    let v = search(&app, &[("q", "widget"), ("category", "web"), ("license", "MIT")]).await;
    assert_eq!(names(&v), ["alice/w2"]);
    assert_eq!(v["facets"]["kind"], json!({ "library": 1 }));
    let v = search(&app, &[("kind", "model")]).await;
    assert_eq!(names(&v), ["alice/other"]);
    let v = search(&app, &[("keyword", "ui"), ("sort", "name")]).await;
    assert_eq!(names(&v), ["alice/w1", "alice/w2", "alice/w3"]);
    assert_eq!(search(&app, &[("ecosystem", "native")]).await["total"], 4);
    assert_eq!(search(&app, &[("ecosystem", "npm")]).await["total"], 0);
    // No text: everything, with facets over everything.
    let v = search(&app, &[]).await;
    assert_eq!(v["total"], 4);
    assert_eq!(v["facets"]["license"], json!({ "MIT": 3, "Apache-2.0": 1 }));
    app.stop().await;
}

async fn every_sort_and_pages(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    // Published in this order; names sort the other way round.
    for name in ["delta", "charlie", "bravo", "alpha"] {
        publish(
            &alice,
            &format!("alice/{name}"),
            "1.0.0",
            "description = \"common word\"",
            "",
        )
        .await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for (name, n) in [("charlie", 3), ("alpha", 2), ("delta", 1)] {
        for _ in 0..n {
            let res = app
                .get(&format!("/api/v1/packages/alice/{name}/versions/1.0.0/download"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.bytes().await.unwrap();
        }
    }
    app.flush_downloads().await;
    app.services().search_index.reconcile().await.unwrap();

    let sorted = |sort: &'static str| {
        let app = &app;
        async move { names(&search(app, &[("q", "common"), ("sort", sort)]).await) }
    };
    assert_eq!(
        sorted("downloads").await,
        ["alice/charlie", "alice/alpha", "alice/delta", "alice/bravo"]
    );
    assert_eq!(
        sorted("recent").await,
        ["alice/alpha", "alice/bravo", "alice/charlie", "alice/delta"]
    );
    assert_eq!(
        sorted("name").await,
        ["alice/alpha", "alice/bravo", "alice/charlie", "alice/delta"]
    );
    // Equal scores: more downloads first.
    assert_eq!(
        sorted("relevance").await,
        ["alice/charlie", "alice/alpha", "alice/delta", "alice/bravo"]
    );
    let r = &search(&app, &[("q", "charlie")]).await["results"][0];
    assert_eq!(r["downloads"], 3);

    // Pages partition the results.
    let mut seen = Vec::new();
    for page in ["1", "2", "3"] {
        let v = search(&app, &[("sort", "name"), ("per_page", "3"), ("page", page)]).await;
        assert_eq!(v["total"], 4);
        assert_eq!(v["page"], page.parse::<i64>().unwrap());
        assert_eq!(v["per_page"], 3);
        seen.extend(names(&v));
    }
    assert_eq!(seen, ["alice/alpha", "alice/bravo", "alice/charlie", "alice/delta"]);
    let v = search(&app, &[]).await;
    assert_eq!((v["page"].clone(), v["per_page"].clone()), (json!(1), json!(20)));
    assert_eq!(search(&app, &[("per_page", "1000")]).await["per_page"], 100, "capped");

    // Bad parameters are refused with the error envelope.
    for (params, status, code) in [
        (vec![("sort", "stars")], StatusCode::BAD_REQUEST, "invalid_sort"),
        (vec![("page", "0")], StatusCode::BAD_REQUEST, "invalid_page"),
        (vec![("page", "two")], StatusCode::BAD_REQUEST, "invalid_page"),
        (vec![("page", "1000000")], StatusCode::BAD_REQUEST, "invalid_page"),
        (vec![("per_page", "0")], StatusCode::BAD_REQUEST, "invalid_per_page"),
        (vec![("per_page", "-5")], StatusCode::BAD_REQUEST, "invalid_per_page"),
        (
            vec![("kind", "gadget")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_filter",
        ),
        (
            vec![("ecosystem", "maven")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_filter",
        ),
        (
            vec![("category", "games")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_filter",
        ),
    ] {
        let res = app.get("/api/v1/search").query(&params).send().await.unwrap();
        expect_error(res, status, code).await;
    }
    let long = "x".repeat(300);
    let res = app.get("/api/v1/search").query(&[("q", &long)]).send().await.unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "query_too_long").await;
    app.stop().await;
}

async fn private_packages_are_found_only_by_those_who_may_read_them(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let boss = app.admin("boss").await;
    publish(&alice, "alice/open-gizmo", "1.0.0", "categories = [\"cli\"]", "").await;
    // An organization's private package, and a user's own private one.
    alice.create_org(json!({ "name": "acme" })).await;
    alice.set_member("acme", "bob", "read").await;
    let private = |full: &str| {
        let full = full.to_string();
        let alice = &alice;
        async move {
            let res = alice
                .req(
                    Method::PUT,
                    &format!("/api/v1/packages/{full}/versions/1.0.0?visibility=private"),
                )
                .header("content-type", "application/gzip")
                .body(archive(&full, "1.0.0", "categories = [\"security\"]", "secret gizmo"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::CREATED);
        }
    };
    private("acme/secret-gizmo").await;
    private("alice/hidden-gizmo").await;

    let found = |v: &Value| {
        let mut n = names(v);
        n.sort();
        n
    };
    let as_user = |u: &TestUser| u.get("/api/v1/search?q=gizmo").send();
    // Anonymous: public only, and the facets don't leak the private ones.
    let v = search(&app, &[("q", "gizmo")]).await;
    assert_eq!(found(&v), ["alice/open-gizmo"]);
    assert_eq!(v["facets"]["category"], json!({ "cli": 1 }));
    assert!(!names(&search(&app, &[("q", "acme/secret-gizmo")]).await).contains(&"acme/secret-gizmo".to_string()));
    // An outsider sees what anonymous callers see.
    let v = json_ok(as_user(&carol).await.unwrap()).await;
    assert_eq!(found(&v), ["alice/open-gizmo"]);
    // A member of the organization sees its private package, not alice's own.
    let v = json_ok(as_user(&bob).await.unwrap()).await;
    assert_eq!(found(&v), ["acme/secret-gizmo", "alice/open-gizmo"]);
    // The owner sees both; a site admin sees everything.
    let v = json_ok(as_user(&alice).await.unwrap()).await;
    assert_eq!(
        found(&v),
        ["acme/secret-gizmo", "alice/hidden-gizmo", "alice/open-gizmo"]
    );
    assert_eq!(v["facets"]["category"], json!({ "cli": 1, "security": 2 }));
    let v = json_ok(as_user(&boss).await.unwrap()).await;
    assert_eq!(v["total"], 3);
    // Tokens: every scope includes reading (as for a direct GET), but a token limited to
    // some packages finds only those of the private ones.
    let publish_only = alice.create_token(json!({ "name": "p", "scopes": ["publish"] })).await;
    let v = json_ok(
        alice
            .with_token(&publish_only, Method::GET, "/api/v1/search?q=gizmo")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["total"], 3);
    let limited = alice
        .create_token(json!({ "name": "l", "scopes": ["read"], "packages": ["acme/*"] }))
        .await;
    let v = json_ok(
        alice
            .with_token(&limited, Method::GET, "/api/v1/search?q=gizmo")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(found(&v), ["acme/secret-gizmo", "alice/open-gizmo"]);
    // Categories and explore count public packages only.
    let c = json_ok(app.get("/api/v1/categories").send().await.unwrap()).await;
    let security = c["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "security")
        .unwrap();
    assert_eq!(security["packages"], 0);
    app.stop().await;
}

async fn the_index_follows_publish_yank_delete_and_visibility(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let q = [("q", "quasar")];
    assert_eq!(search(&app, &q).await["total"], 0);
    publish(&alice, "alice/quasar", "1.0.0", "description = \"First cut\"", "").await;
    let v = search(&app, &q).await;
    assert_eq!(names(&v), ["alice/quasar"]);
    assert_eq!(v["results"][0]["latest_version"], "1.0.0");

    // A new version brings new metadata.
    publish(&alice, "alice/quasar", "1.1.0", "description = \"Now with lasers\"", "").await;
    let v = search(&app, &[("q", "lasers")]).await;
    assert_eq!(names(&v), ["alice/quasar"]);
    assert_eq!(v["results"][0]["latest_version"], "1.1.0");
    assert_eq!(search(&app, &[("q", "first cut")]).await["total"], 0);

    let yank = |v: &'static str, method: Method| {
        let req = alice.req(method, &format!("/api/v1/packages/alice/quasar/versions/{v}/yank"));
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
    };
    yank("1.1.0", Method::PUT).await;
    assert_eq!(search(&app, &q).await["results"][0]["latest_version"], "1.0.0");
    // Nothing left to install: no longer listed.
    yank("1.0.0", Method::PUT).await;
    assert_eq!(search(&app, &q).await["total"], 0);
    yank("1.0.0", Method::DELETE).await;
    assert_eq!(search(&app, &q).await["results"][0]["latest_version"], "1.0.0");

    // Deleting the only live version takes it out; deleting one of several updates it.
    let res = alice
        .req(Method::DELETE, "/api/v1/packages/alice/quasar/versions/1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(search(&app, &q).await["total"], 0);
    publish(&alice, "alice/quasar", "2.0.0", "description = \"Again\"", "").await;
    publish(&alice, "alice/quasar", "2.1.0", "description = \"Again\"", "").await;
    let res = alice
        .req(Method::DELETE, "/api/v1/packages/alice/quasar/versions/2.1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(search(&app, &q).await["results"][0]["latest_version"], "2.0.0");

    // Visibility changes.
    let set = |visibility: &'static str| {
        let req = alice
            .req(Method::PATCH, "/api/v1/packages/alice/quasar")
            .json(&json!({ "visibility": visibility }));
        async move {
            assert_eq!(req.send().await.unwrap().status(), StatusCode::OK);
        }
    };
    set("private").await;
    assert_eq!(search(&app, &q).await["total"], 0);
    let v = json_ok(alice.get("/api/v1/search?q=quasar").send().await.unwrap()).await;
    assert_eq!(names(&v), ["alice/quasar"], "the owner still finds it");
    set("public").await;
    assert_eq!(names(&search(&app, &q).await), ["alice/quasar"]);
    app.stop().await;
}

/// Two server nodes on one database: changes through one show up on the other, and
/// `trove admin reindex` makes both rebuild.
async fn every_node_follows_changes_and_reindex_rebuilds_all(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let mut config = app.config.clone();
    config.server.listen = "127.0.0.1:0".into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = trove_server::start(config, listener, false).await.unwrap();
    other.services.search_index.wait_built().await;
    let other_base = other.base_url();

    publish(&alice, "alice/nebula", "1.0.0", "description = \"Gas cloud\"", "").await;
    eventually(&other_base, &[("q", "nebula")], |v| v["total"] == 1).await;
    let res = alice
        .req(Method::PUT, "/api/v1/packages/alice/nebula/versions/1.0.0/yank")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    eventually(&other_base, &[("q", "nebula")], |v| v["total"] == 0).await;
    let res = alice
        .req(Method::DELETE, "/api/v1/packages/alice/nebula/versions/1.0.0/yank")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    eventually(&other_base, &[("q", "nebula")], |v| v["total"] == 1).await;

    // Rewrite the description behind the servers' backs, keeping `updated_at`: only a
    // rebuild can notice.
    {
        let db = &app.services().db;
        let mut tx = db.write().await.unwrap();
        let p = trove_db::packages::find(&mut tx, "native", "alice", "nebula")
            .await
            .unwrap()
            .unwrap();
        trove_db::packages::update_meta(
            &mut tx,
            p.id,
            trove_db::packages::PackageMeta {
                kind: p.kind.as_str(),
                description: Some("Stellar nursery"),
                license: None,
                keywords: "[]",
                categories: "[]",
                homepage: None,
                repository: None,
                readme: None,
                latest_version: p.latest_version.as_deref(),
            },
            p.updated_at,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    for node in [app.services(), &other.services] {
        node.search_index.sync().await.unwrap();
        node.search_index.reconcile().await.unwrap();
    }
    assert_eq!(search(&app, &[("q", "stellar")]).await["total"], 0);

    let before = other.services.search_index.generation().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trove"))
        .env("TROVE_DATA_DIR", app.dir.path())
        .env("TROVE_DATABASE_URL", &app.db.url)
        .args(["admin", "reindex"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 packages"), "{stdout}");
    for base in [&app.base, &other_base] {
        let v = eventually(base, &[("q", "stellar")], |v| v["total"] == 1).await;
        assert_eq!(v["results"][0]["description"], "Stellar nursery");
    }
    assert_eq!(other.services.search_index.generation().await, before + 1);
    assert_eq!(app.services().search_index.generation().await, before + 1);
    other.shutdown().await.unwrap();
    app.stop().await;
}

async fn categories_list_every_category_with_counts(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    publish(&alice, "alice/a", "1.0.0", "categories = [\"cli\", \"web\"]", "").await;
    publish(&alice, "alice/b", "1.0.0", "categories = [\"cli\"]", "").await;
    publish(&alice, "alice/c", "1.0.0", "", "").await;
    let v = json_ok(app.get("/api/v1/categories").send().await.unwrap()).await;
    let list = v["categories"].as_array().unwrap();
    assert_eq!(list.len(), trove_core::categories::CATEGORIES.len());
    let count = |slug: &str| list.iter().find(|c| c["slug"] == slug).unwrap()["packages"].clone();
    assert_eq!(count("cli"), 2);
    assert_eq!(count("web"), 1);
    assert_eq!(count("gui"), 0);
    let cli = list.iter().find(|c| c["slug"] == "cli").unwrap();
    assert_eq!(cli["name"], "Command line");
    assert!(cli["description"].as_str().unwrap().len() > 10);
    app.stop().await;
}

async fn explore_shows_trending_popular_and_recent(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    for name in ["steady", "rocket", "fresh", "fading", "hidden", "old"] {
        publish(&alice, &format!("alice/{name}"), "1.0.0", "", "").await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let res = alice
        .req(Method::PATCH, "/api/v1/packages/alice/hidden")
        .json(&json!({ "visibility": "private" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let today = trove_core::time::day_of(trove_core::now_ms());
    // (package, [(days ago, downloads)]): the last 7 days are days 0-6, the previous 7 are 7-13.
    crate::stats::seed_downloads(
        &app,
        &[
            ("rocket", "1.0.0", &[(1, 60), (6, 40), (7, 5), (13, 5)]), // 100 vs 10: +4.5
            ("fresh", "1.0.0", &[(0, 30)]),                            // 30 vs 0: +3.0
            ("steady", "1.0.0", &[(2, 1500), (8, 1000)]),              // 1500 vs 1000: +0.5
            ("fading", "1.0.0", &[(3, 40), (9, 50)]),                  // shrinking
            ("hidden", "1.0.0", &[(0, 5000)]),                         // private
            ("old", "1.0.0", &[(14, 900), (200, 9000)]),               // outside both windows
        ],
        today,
    )
    .await;
    app.services().search_index.reconcile().await.unwrap();

    let v = json_ok(app.get("/api/v1/explore").send().await.unwrap()).await;
    let list = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|p| p["full_name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list("trending"), ["alice/rocket", "alice/fresh", "alice/steady"]);
    assert_eq!(v["trending"][0]["downloads_last_7_days"], 100);
    assert_eq!(v["trending"][0]["downloads_previous_7_days"], 10);
    assert_eq!(
        list("most_downloaded"),
        [
            "alice/old",
            "alice/steady",
            "alice/rocket",
            "alice/fading",
            "alice/fresh"
        ]
    );
    assert_eq!(
        list("recently_updated"),
        [
            "alice/old",
            "alice/fading",
            "alice/fresh",
            "alice/rocket",
            "alice/steady"
        ]
    );
    assert_eq!(
        v["totals"],
        json!({ "packages": 5, "versions": 5, "downloads": 9900 + 2500 + 110 + 30 + 90, "users": 1 })
    );
    app.stop().await;
}

/// The index is built in Rust from the same rows on either backend, so both answer every
/// query alike: same totals, order, facets and fields (timestamps aside).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_give_the_same_answers() {
    let mut answers: Vec<Vec<Value>> = Vec::new();
    for b in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::new(b).await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let packages = [
            (&alice, "alice/markdown", "description = \"Render Markdown\"\nkeywords = [\"markdown\", \"html\"]\ncategories = [\"parsing\"]\nlicense = \"MIT\"", "# markdown\nFast."),
            (&alice, "alice/markdown-lint", "description = \"Lint markdown files\"\nkeywords = [\"markdown\", \"lint\"]\ncategories = [\"cli\"]\nlicense = \"MIT\"", "Checks style."),
            (&bob, "bob/md-table", "description = \"Tables for markdown\"\nkind = \"plugin\"\ncategories = [\"parsing\", \"cli\"]\nlicense = \"Apache-2.0\"", "Tables!"),
            (&bob, "bob/yaml-front", "description = \"Front matter\"\nkeywords = [\"yaml\"]", "Reads YAML front matter from markdown documents."),
            (&bob, "bob/http-kit", "description = \"HTTP client and server\"\nkind = \"module\"\ncategories = [\"web\", \"networking\"]\nlicense = \"MIT OR Apache-2.0\"", "Async."),
            (&alice, "alice/parser-combinators", "description = \"Parse anything\"\nkeywords = [\"parser\"]\ncategories = [\"parsing\"]", "Combinators for markdown, yaml and toml."),
        ];
        for (user, full, fields, readme) in packages {
            publish(user, full, "1.0.0", fields, readme).await;
        }
        for (full, n) in [("alice/markdown-lint", 3), ("bob/http-kit", 2), ("bob/yaml-front", 1)] {
            for _ in 0..n {
                let url = format!("/api/v1/packages/{full}/versions/1.0.0/download");
                app.get(&url).send().await.unwrap().bytes().await.unwrap();
            }
        }
        app.flush_downloads().await;
        app.services().search_index.reconcile().await.unwrap();
        let mut these = Vec::new();
        for params in [
            vec![("q", "markdown")],
            vec![("q", "markdwn"), ("sort", "downloads")],
            vec![("q", "mark")],
            vec![("q", "parser markdown")],
            vec![("q", "yaml"), ("per_page", "2"), ("page", "1")],
            vec![("category", "parsing"), ("sort", "name")],
            vec![("license", "MIT"), ("sort", "recent")],
            vec![],
        ] {
            let mut v = search(&app, &params).await;
            for r in v["results"].as_array_mut().unwrap() {
                r.as_object_mut().unwrap().remove("updated_at");
            }
            these.push(v);
        }
        answers.push(these);
        app.stop().await;
    }
    assert_eq!(answers[0].len(), answers[1].len());
    for (sqlite, postgres) in answers[0].iter().zip(&answers[1]) {
        assert_eq!(sqlite, postgres);
        assert!(sqlite["total"].as_u64().unwrap() > 0, "{sqlite}");
    }
}

both_backends!(
    exact_names_rank_first_and_names_beat_readmes,
    typos_are_tolerated,
    facets_count_every_result,
    every_sort_and_pages,
    private_packages_are_found_only_by_those_who_may_read_them,
    the_index_follows_publish_yank_delete_and_visibility,
    every_node_follows_changes_and_reindex_rebuilds_all,
    categories_list_every_category_with_counts,
    explore_shows_trending_popular_and_recent,
);
