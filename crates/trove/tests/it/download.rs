use crate::common::*;
use reqwest::{Method, StatusCode};
use sha2::Digest as _;
use trove_testkit::{both_backends, Backend};

const URL: &str = "/api/v1/packages/alice/dl/versions/1.0.0/download";

async fn download_with_etag_range_and_head(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let archive = trove_tarball::simple_package("alice/dl", "1.0.0", &"lorem ipsum ".repeat(500));
    let res = alice.publish_bytes("alice/dl", "1.0.0", archive.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&archive)));

    let res = app.get(URL).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h["etag"], format!("\"{digest}\"").as_str());
    assert_eq!(h["content-type"], "application/gzip");
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["content-length"], archive.len().to_string().as_str());
    assert!(h["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .contains("alice-dl-1.0.0.tar.gz"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), archive.as_slice());

    // HEAD: headers only.
    let res = app.req(Method::HEAD, URL).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-length"], archive.len().to_string().as_str());
    assert!(res.bytes().await.unwrap().is_empty());

    // Ranges.
    let res = app.get(URL).header("range", "bytes=0-9").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 0-9/{}", archive.len()).as_str()
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), &archive[..10]);
    let res = app.get(URL).header("range", "bytes=-5").send().await.unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), &archive[archive.len() - 5..]);
    let res = app.get(URL).header("range", "bytes=100-").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &archive[100..]);
    let res = app
        .get(URL)
        .header("range", format!("bytes={}-", archive.len() + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes */{}", archive.len()).as_str()
    );
    // The error is JSON and says so (not the archive's gzip type or attachment name).
    assert_eq!(res.headers()["content-type"], "application/json");
    assert!(res.headers().get("content-disposition").is_none());
    assert!(res.headers().get("etag").is_some());
    expect_error(res, StatusCode::RANGE_NOT_SATISFIABLE, "range_not_satisfiable").await;
    // A stale If-Range gets the whole archive.
    let res = app
        .get(URL)
        .header("range", "bytes=0-9")
        .header("if-range", "\"sha256:other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Conditional GET.
    let res = app
        .get(URL)
        .header("if-none-match", format!("\"{digest}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert!(res.bytes().await.unwrap().is_empty());

    expect_error(
        app.get("/api/v1/packages/alice/dl/versions/2.0.0/download")
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

async fn downloads_are_counted_exactly_without_a_write_per_request(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.stats.flush_interval_ms = 3_600_000)
        .start()
        .await;
    let alice = app.user("alice").await;
    alice.publish("alice/dl", "1.0.0").await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let req = app.get(URL);
        tasks.push(tokio::spawn(async move {
            req.send().await.unwrap().bytes().await.unwrap().len()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap() > 0);
    }
    // HEAD, 304 and mid-file ranges are not downloads.
    app.req(Method::HEAD, URL).send().await.unwrap();
    app.get(URL).header("range", "bytes=10-20").send().await.unwrap();
    // Nothing written yet: the counts are buffered in memory.
    let p = json_ok(app.get("/api/v1/packages/alice/dl").send().await.unwrap()).await;
    assert_eq!(p["downloads"], 0);
    assert_eq!(app.services().downloads.pending(), 50);
    app.flush_downloads().await;
    let p = json_ok(app.get("/api/v1/packages/alice/dl").send().await.unwrap()).await;
    assert_eq!(p["downloads"], 50);
    let v = json_ok(
        app.get("/api/v1/packages/alice/dl/versions/1.0.0")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["downloads"], 50);
    // The flush also updated this node's search index: no waiting for the periodic reconcile.
    let found = json_ok(app.get("/api/v1/search?q=dl").send().await.unwrap()).await;
    let hit = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["full_name"] == "alice/dl")
        .expect("found");
    assert_eq!(hit["downloads"], 50, "{found}");

    app.stop().await;
}

async fn shutdown_flushes_buffered_downloads(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.stats.flush_interval_ms = 3_600_000)
        .start()
        .await;
    let alice = app.user("alice").await;
    alice.publish("alice/dl", "1.0.0").await;
    for _ in 0..7 {
        app.get(URL).send().await.unwrap().bytes().await.unwrap();
    }
    let TestApp {
        server,
        db,
        dir,
        mut config,
        ..
    } = app;
    server.unwrap().shutdown().await.unwrap();
    // Start a new server on the same data: the counts survived.
    config.server.listen = "127.0.0.1:0".into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = trove_server::start(config, listener, false).await.unwrap();
    server.services.search_index.wait_built().await;
    let p: serde_json::Value = reqwest::get(format!("{}/api/v1/packages/alice/dl", server.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["downloads"], 7);
    server.shutdown().await.unwrap();
    drop((db, dir));
}

both_backends!(
    download_with_etag_range_and_head,
    downloads_are_counted_exactly_without_a_write_per_request,
    shutdown_flushes_buffered_downloads,
);
