//! Scale-out: three stateless `trove server` nodes sharing one PostgreSQL database, one S3
//! bucket and one Redis, each with its own local staging directory. Any node serves what
//! any other node wrote; counts, limits and version numbers are shared.

use crate::common::*;
use reqwest::{Method, StatusCode};
use sha2::Digest as _;
use std::time::{Duration, Instant};
use trove_server::RunningServer;
use trove_testkit::Backend;

const ANON_READS: u64 = 40;

/// Another node on the same shared services, with its own local data directory.
async fn another_node(app: &TestApp, dir: &tempfile::TempDir) -> RunningServer {
    let mut config = app.config.clone();
    config.data_dir = dir.path().to_path_buf();
    config.server.listen = "127.0.0.1:0".into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let node = trove_server::start(config, listener, false).await.expect("node starts");
    node.services.search_index.wait_built().await;
    node
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_share_postgres_s3_and_redis() {
    let prefix = format!("trove-it:scale:{}:{}:", std::process::id(), trove_core::now_ms());
    let app = TestApp::builder(Backend::Postgres)
        .s3()
        .config(move |c| {
            c.rate_limits.backend = "redis".into();
            c.rate_limits.redis_url = "redis://127.0.0.1:6379".into();
            c.rate_limits.key_prefix = prefix;
            c.rate_limits.anonymous_reads_per_minute = ANON_READS;
            c.stats.flush_interval_ms = 3_600_000; // flushed explicitly below
        })
        .start()
        .await;
    let (dir_b, dir_c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let node_b = another_node(&app, &dir_b).await;
    let node_c = another_node(&app, &dir_c).await;
    let (a, b, c) = (app.base.clone(), node_b.base_url(), node_c.base_url());
    let client = reqwest::Client::new();
    let alice = app.user("alice").await; // registered and logged in through node A

    // Published through node B with the token made on node A...
    let archive = trove_tarball::simple_package("alice/shared", "1.0.0", "# Shared\n");
    let res = client
        .put(format!("{b}/api/v1/packages/alice/shared/versions/1.0.0"))
        .bearer_auth(&alice.token)
        .body(archive.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // ...downloaded byte-exact from node C (blob in S3, metadata in PostgreSQL).
    let body = client
        .get(format!("{c}/api/v1/packages/alice/shared/versions/1.0.0/download"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(sha2::Sha256::digest(&body), sha2::Sha256::digest(&archive));
    let mut anonymous_reads = 1;

    // The same version published concurrently through all three nodes: exactly one wins.
    let mut tasks = Vec::new();
    for (i, base) in [&a, &b, &c, &a, &b, &c].into_iter().enumerate() {
        let (client, base, token) = (client.clone(), base.clone(), alice.token.clone());
        let archive = trove_tarball::simple_package("alice/shared", "2.0.0", &format!("node race {i}"));
        tasks.push(tokio::spawn(async move {
            let url = format!("{base}/api/v1/packages/alice/shared/versions/2.0.0");
            client
                .put(url)
                .bearer_auth(token)
                .body(archive)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut created = 0;
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == StatusCode::CREATED || s == StatusCode::CONFLICT, "{s}");
        created += usize::from(s == StatusCode::CREATED);
    }
    assert_eq!(created, 1);

    // A yank through node A shows on node C's cached metadata within a second or two.
    let res = alice
        .req(Method::PUT, "/api/v1/packages/alice/shared/versions/2.0.0/yank")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let p: serde_json::Value = client
            .get(format!("{c}/api/v1/packages/alice/shared"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        anonymous_reads += 1;
        if p["latest_version"] == "1.0.0" {
            break;
        }
        assert!(Instant::now() < deadline, "node C still shows {p}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Downloads counted in each node's memory add up once every node has flushed (the
    // last one by shutting down gracefully).
    for base in [&a, &b, &c, &b] {
        let res = client
            .get(format!("{base}/api/v1/packages/alice/shared/versions/1.0.0/download"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.bytes().await.unwrap();
        anonymous_reads += 1;
    }
    app.flush_downloads().await;
    node_c.services.downloads.flush().await.unwrap();
    node_b.shutdown().await.unwrap();
    let v = json_ok(
        alice
            .get("/api/v1/packages/alice/shared/versions/1.0.0")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["downloads"], 5, "1 earlier download on C + 4 now across A, B, C");

    // One anonymous budget for the client, whichever node it reaches: with a per-node
    // limiter it could make three times as many reads.
    let mut ok = 0;
    let mut refused = 0;
    for i in 0..(3 * ANON_READS) {
        let base = if i % 2 == 0 { &a } else { &c };
        let res = client.get(format!("{base}/api/v1/categories")).send().await.unwrap();
        match res.status() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            s => panic!("unexpected {s}"),
        }
    }
    assert!(refused > 0, "the shared budget ran out");
    assert!(
        ok + anonymous_reads <= ANON_READS,
        "{ok} + {anonymous_reads} reads allowed, budget {ANON_READS}"
    );

    node_c.shutdown().await.unwrap();
    app.stop().await;
}
