//! Slow and stalled clients: header, keep-alive and body timeouts, the connection cap, and a
//! shutdown that no stalled client can hold. Each test uses raw TCP sockets, as a hostile
//! client would.

use crate::common::*;
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use trove_testkit::{both_backends, Backend};

async fn short_timeouts(b: Backend) -> TestApp {
    TestApp::builder(b)
        .config(|c| {
            c.server.header_read_timeout_secs = 1;
            c.server.body_timeout_secs = 1;
            c.server.min_body_bytes_per_sec = 2000;
            c.server.shutdown_timeout_secs = 30;
        })
        .start()
        .await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection (or `limit` passes); returns what it sent.
async fn read_until_closed(s: &mut (impl AsyncReadExt + Unpin), limit: Duration) -> Option<String> {
    let mut buf = Vec::new();
    let deadline = Instant::now() + limit;
    loop {
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(deadline.into(), s.read(&mut chunk)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&buf).into_owned()),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn staging_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.config.staging_dir())
        .map(|d| d.filter_map(Result::ok).count())
        .unwrap_or(0)
}

/// Idle connections and half-sent headers are closed after `header_read_timeout_secs`.
async fn idle_and_half_sent_headers_are_closed(b: Backend) {
    let app = short_timeouts(b).await;
    let mut idle = connect(&app).await;
    let mut half = connect(&app).await;
    half.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    // A kept-alive connection: one request answered, then silence.
    let mut kept = connect(&app).await;
    kept.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 1024];
    let n = kept.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    let started = Instant::now();
    for s in [&mut idle, &mut half, &mut kept] {
        read_until_closed(s, Duration::from_secs(10))
            .await
            .expect("the server closes the connection");
    }
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    // The server is fine for everyone else.
    let res = app.get("/health/live").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
}

/// A body that stops arriving, or trickles in below the minimum rate, is answered 408 and
/// the connection closed; nothing is published and no staging file is left.
async fn stalled_and_slow_bodies_get_408(b: Backend) {
    let app = short_timeouts(b).await;
    let alice = app.user("alice").await;
    let archive = trove_tarball::simple_package("alice/slow", "1.0.0", "x");
    let head = format!(
        "PUT /api/v1/packages/alice/slow/versions/1.0.0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/gzip\r\nContent-Length: {}\r\n\r\n",
        alice.token,
        archive.len() + 100_000
    );
    // Stalled: half the body, then nothing.
    let mut s = connect(&app).await;
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&archive[..archive.len() / 2]).await.unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut s, Duration::from_secs(10))
        .await
        .expect("closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Too slow: 100 bytes every 200 ms (500 B/s against a minimum of 2000 B/s). The answer
    // is read while writing, before later writes could reset the closed connection.
    let s = connect(&app).await;
    let (mut r, mut w) = s.into_split();
    let reader = tokio::spawn(async move { read_until_closed(&mut r, Duration::from_secs(10)).await });
    w.write_all(head.as_bytes()).await.unwrap();
    let trickle = async {
        for chunk in archive.chunks(100).cycle().take(100) {
            if w.write_all(chunk).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(4), trickle).await;
    let answer = reader.await.unwrap().expect("closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("too slowly"), "{answer}");

    let res = app.get("/api/v1/packages/alice/slow").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(staging_files(&app), 0, "staging files left behind");
    // Ordinary publishes still work.
    alice.publish("alice/slow", "1.0.0").await;
    app.stop().await;
}

/// At the connection cap, the longest-idle connections make room: a flood of idle sockets
/// from one client does not lock others out.
async fn idle_connections_make_room_at_the_cap(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.server.max_connections = 16)
        .start()
        .await;
    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(connect(&app).await);
    }
    for i in 0..5 {
        let res = tokio::time::timeout(Duration::from_secs(5), app.client.get(app.url("/health/live")).send())
            .await
            .unwrap_or_else(|_| panic!("request {i} timed out"))
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let metrics = app.get("/metrics").send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("trove_connections_closed_total{reason=\"evicted\"}"),
        "{metrics}"
    );
    drop(idle);
    app.stop().await;
}

/// A stalled client does not hold shutdown: idle connections and stalled bodies are closed
/// at once, well before the 30 s shutdown timeout.
async fn stalled_clients_do_not_hold_shutdown(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.server.shutdown_timeout_secs = 30)
        .start()
        .await;
    let alice = app.user("alice").await;
    let mut half_header = connect(&app).await;
    half_header
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut half_body = connect(&app).await;
    half_body
        .write_all(
            format!(
                "PUT /api/v1/packages/alice/x/versions/1.0.0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
                 Content-Length: 100000\r\n\r\n0123456789",
                alice.token
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    app.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        started.elapsed()
    );
}

both_backends!(
    idle_and_half_sent_headers_are_closed,
    stalled_and_slow_bodies_get_408,
    idle_connections_make_room_at_the_cap,
    stalled_clients_do_not_hold_shutdown,
);

/// What processes killed in the middle of uploads left behind (staging files, a partial blob
/// file) is removed at the next start and by garbage collection, once older than
/// `stale_upload_secs`; uploads in progress are left alone.
async fn leftovers_of_killed_uploads_are_swept(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.storage.stale_upload_secs = 600)
        .start()
        .await;
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    let make = |path: std::path::PathBuf, aged: bool| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, vec![1u8; 4096]).unwrap();
        if aged {
            let f = std::fs::File::options().write(true).open(&path).unwrap();
            f.set_modified(old).unwrap();
        }
        path
    };
    let staging = app.config.staging_dir();
    let blobs = app.dir.path().join("blobs/blobs/sha256/cd");
    let leftovers = |tag: &str| {
        vec![
            make(staging.join(format!("upload-{tag}")), true),
            make(
                blobs.join(format!("{}#1", tag.repeat(64).chars().take(64).collect::<String>())),
                true,
            ),
        ]
    };
    let in_progress = make(staging.join("upload-inprogress"), false);

    // Garbage collection sweeps them.
    let first = leftovers("a");
    let report = app.services().blobs().gc_blobs(3_600_000).await.unwrap();
    assert_eq!((report.leftover_files, report.leftover_bytes), (2, 8192), "{report:?}");
    assert!(first.iter().all(|p| !p.exists()));

    // So does the start of a server (a node restarted after being killed).
    let second = leftovers("b");
    let node = app.start_node().await;
    node.services.search_index.wait_built().await;
    assert!(second.iter().all(|p| !p.exists()), "swept at start");
    assert!(
        in_progress.exists(),
        "a young staging file may be an upload in progress"
    );
    node.shutdown().await.unwrap();
    app.stop().await;
}

both_backends!(leftovers_of_killed_uploads_are_swept);
