//! Download statistics: per package and per version (windows and daily series), registry
//! totals, privacy, and downloads counted exactly under a concurrent burst and a shutdown.

use crate::common::*;
use crate::search::publish;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use trove_core::time::date;
use trove_testkit::{both_backends, Backend};

/// (package name in alice's scope, version, [(days ago, count)]).
pub type Seed<'a> = (&'a str, &'a str, &'a [(i64, i64)]);

/// Writes past downloads straight through the repository, as the counter's flush does.
pub async fn seed_downloads(app: &TestApp, rows: &[Seed<'_>], today: i64) {
    use trove_db::{downloads, packages, versions};
    let mut tx = app.services().db.write().await.unwrap();
    for (name, version, days) in rows {
        let p = packages::find(&mut tx, "native", "alice", name)
            .await
            .unwrap()
            .expect("package");
        let v = versions::find(&mut tx, p.id, version).await.unwrap().expect("version");
        let counts: Vec<(i64, i64, i64, i64)> = days.iter().map(|&(ago, n)| (p.id, v.id, today - ago, n)).collect();
        downloads::add_counts(&mut tx, &counts).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn today() -> i64 {
    trove_core::time::day_of(trove_core::now_ms())
}

async fn stats(app: &TestApp, path: &str) -> Value {
    json_ok(app.get(path).send().await.unwrap()).await
}

async fn windows_daily_series_and_versions(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    publish(&alice, "alice/meter", "1.0.0", "", "").await;
    publish(&alice, "alice/meter", "2.0.0", "", "").await;
    let today = today();
    seed_downloads(
        &app,
        &[
            (
                "meter",
                "1.0.0",
                &[(0, 3), (6, 4), (7, 5), (29, 6), (30, 7), (364, 8), (365, 9)],
            ),
            ("meter", "2.0.0", &[(0, 10)]),
        ],
        today,
    )
    .await;

    let s = stats(&app, "/api/v1/packages/alice/meter/stats").await;
    assert_eq!(s["total"], 52);
    assert_eq!(s["last_7_days"], 3 + 4 + 10);
    assert_eq!(s["last_30_days"], 17 + 5 + 6);
    assert_eq!(s["last_365_days"], 28 + 7 + 8);
    let daily = s["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 90, "zero-filled");
    assert_eq!(daily[89], json!({ "date": date(today), "downloads": 13 }));
    assert_eq!(daily[83], json!({ "date": date(today - 6), "downloads": 4 }));
    assert_eq!(daily[82]["downloads"], 5);
    assert_eq!(daily[60]["downloads"], 6);
    assert_eq!(daily[59]["downloads"], 7);
    assert_eq!(daily[0], json!({ "date": date(today - 89), "downloads": 0 }));
    assert_eq!(daily.iter().map(|d| d["downloads"].as_i64().unwrap()).sum::<i64>(), 35);
    assert_eq!(
        s["versions"],
        json!([{ "version": "2.0.0", "total": 10 }, { "version": "1.0.0", "total": 42 }])
    );

    let v = stats(&app, "/api/v1/packages/alice/meter/versions/1.0.0/stats").await;
    assert_eq!(v["total"], 42);
    assert_eq!(v["last_7_days"], 7);
    assert_eq!(v["last_30_days"], 18);
    assert_eq!(v["last_365_days"], 33);
    assert_eq!(v["daily"].as_array().unwrap().len(), 90);
    assert_eq!(v["daily"][89]["downloads"], 3);
    assert!(v.get("versions").is_none());

    // A package nobody downloaded: zeros everywhere.
    publish(&alice, "alice/quiet", "0.1.0", "", "").await;
    let q = stats(&app, "/api/v1/packages/alice/quiet/stats").await;
    assert_eq!((q["total"].clone(), q["last_365_days"].clone()), (json!(0), json!(0)));
    assert!(q["daily"].as_array().unwrap().iter().all(|d| d["downloads"] == 0));
    assert_eq!(q["versions"], json!([{ "version": "0.1.0", "total": 0 }]));

    for path in [
        "/api/v1/packages/alice/nope/stats",
        "/api/v1/packages/alice/meter/versions/9.9.9/stats",
    ] {
        expect_error(app.get(path).send().await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
    }
    expect_error(
        app.get("/api/v1/packages/alice/meter/versions/latest/stats")
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_version",
    )
    .await;
    app.stop().await;
}

async fn private_stats_are_404_to_outsiders(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let res = alice
        .req(
            Method::PUT,
            "/api/v1/packages/alice/vault/versions/1.0.0?visibility=private",
        )
        .header("content-type", "application/gzip")
        .body(trove_tarball::simple_package("alice/vault", "1.0.0", "# vault\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    for path in [
        "/api/v1/packages/alice/vault/stats",
        "/api/v1/packages/alice/vault/versions/1.0.0/stats",
    ] {
        expect_error(app.get(path).send().await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
        expect_error(bob.get(path).send().await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
        let s = json_ok(alice.get(path).send().await.unwrap()).await;
        assert_eq!(s["total"], 0);
    }
    // Global totals cover public packages only.
    let g = stats(&app, "/api/v1/stats").await;
    assert_eq!(g["packages"], 0);
    app.stop().await;
}

async fn global_totals(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    assert_eq!(
        stats(&app, "/api/v1/stats").await,
        json!({ "packages": 0, "versions": 0, "downloads": 0, "users": 2 })
    );
    publish(&alice, "alice/one", "1.0.0", "", "").await;
    publish(&alice, "alice/one", "1.1.0", "", "").await;
    publish(&alice, "alice/two", "1.0.0", "", "").await;
    seed_downloads(
        &app,
        &[("one", "1.0.0", &[(0, 4), (400, 6)]), ("two", "1.0.0", &[(3, 5)])],
        today(),
    )
    .await;
    // A deleted version no longer counts; its downloads stay in the package's total.
    let res = alice
        .req(Method::DELETE, "/api/v1/packages/alice/one/versions/1.1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        stats(&app, "/api/v1/stats").await,
        json!({ "packages": 2, "versions": 2, "downloads": 15, "users": 2 })
    );
    app.stop().await;
}

/// Many clients download at once while the counter flushes every 100 ms: every download is
/// counted once, per version and per day, as the stats API shows.
async fn a_concurrent_burst_is_counted_exactly(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    publish(&alice, "alice/burst", "1.0.0", "", "").await;
    publish(&alice, "alice/burst", "1.1.0", "", "").await;
    let (n_old, n_new) = (120usize, 80usize);
    let mut tasks = Vec::new();
    for i in 0..n_old + n_new {
        let version = if i % 5 < 3 { "1.0.0" } else { "1.1.0" };
        let req = app.get(&format!("/api/v1/packages/alice/burst/versions/{version}/download"));
        tasks.push(tokio::spawn(async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.bytes().await.unwrap().len()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap() > 0);
    }
    // Whatever the background flusher has not written yet, write now.
    app.flush_downloads().await;
    assert_eq!(app.services().downloads.pending(), 0);
    let s = stats(&app, "/api/v1/packages/alice/burst/stats").await;
    let total = (n_old + n_new) as i64;
    assert_eq!(s["total"], total);
    assert_eq!(s["last_7_days"], total);
    assert_eq!(s["last_365_days"], total);
    assert_eq!(s["daily"][89]["downloads"], total);
    assert_eq!(
        s["versions"],
        json!([{ "version": "1.1.0", "total": n_new }, { "version": "1.0.0", "total": n_old }])
    );
    let v = stats(&app, "/api/v1/packages/alice/burst/versions/1.0.0/stats").await;
    assert_eq!(v["total"], n_old);
    assert_eq!(v["daily"][89]["downloads"], n_old);
    assert_eq!(stats(&app, "/api/v1/stats").await["downloads"], total);
    app.stop().await;
}

/// A burst straight before a graceful shutdown, with the flusher idle: the counts are
/// written on the way down and the next server shows them all.
async fn a_burst_before_shutdown_is_not_lost(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.stats.flush_interval_ms = 3_600_000)
        .start()
        .await;
    let alice = app.user("alice").await;
    publish(&alice, "alice/last", "1.0.0", "", "").await;
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let req = app.get("/api/v1/packages/alice/last/versions/1.0.0/download");
        tasks.push(tokio::spawn(async move {
            req.send().await.unwrap().bytes().await.unwrap().len()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap() > 0);
    }
    assert_eq!(app.services().downloads.pending(), 64);
    let TestApp {
        server,
        db,
        dir,
        mut config,
        ..
    } = app;
    server.unwrap().shutdown().await.unwrap();
    config.server.listen = "127.0.0.1:0".into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = trove_server::start(config, listener, false).await.unwrap();
    server.services.search_index.wait_built().await;
    let s: Value = reqwest::get(format!("{}/api/v1/packages/alice/last/stats", server.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["total"], 64);
    assert_eq!(s["last_7_days"], 64);
    assert_eq!(s["versions"], json!([{ "version": "1.0.0", "total": 64 }]));
    // The rebuilt search index carries the count too.
    let v: Value = reqwest::get(format!("{}/api/v1/search?q=last", server.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["results"][0]["downloads"], 64);
    server.shutdown().await.unwrap();
    drop((db, dir));
}

both_backends!(
    windows_daily_series_and_versions,
    private_stats_are_404_to_outsiders,
    global_totals,
    a_concurrent_burst_is_counted_exactly,
    a_burst_before_shutdown_is_not_lost,
);
