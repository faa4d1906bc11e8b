//! The real `trove` binary: `admin create-user`, then `trove server` on the same data.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;
use std::process::{Command, Stdio};
use trove_testkit::{both_backends, Backend, TestDb};

fn trove(db: &TestDb, dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trove"));
    c.env("TROVE_DATA_DIR", dir)
        .env("TROVE_DATABASE_URL", &db.url)
        .env("TROVE_AUTH_ARGON2_MEMORY_KIB", "1024")
        .env("TROVE_AUTH_REGISTRATION_OPEN", "false");
    c
}

async fn admin_bootstrap_and_server_binary(b: Backend) {
    let db = TestDb::new(b).await;
    let dir = tempfile::tempdir().unwrap();
    // Admin commands refuse a database no server has set up (a missing SQLite file; a
    // PostgreSQL database without Trove's schema), and leave it as it was.
    let out = trove(&db, dir.path())
        .args(["admin", "set-admin", "boss"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let expected = match b {
        Backend::Sqlite => "no Trove database at",
        Backend::Postgres => "no Trove schema",
    };
    assert!(err.contains(expected) && err.contains("--create"), "{err}");
    // Bootstrapping a new registry before its first start: `--create` says so.
    let mut child = trove(&db, dir.path())
        .args([
            "admin",
            "--create",
            "create-user",
            "--username",
            "boss",
            "--email",
            "boss@example.com",
            "--admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"correct horse\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user `boss` (site admin)"));
    // A duplicate is a clear error with a non-zero exit.
    let out = trove(&db, dir.path())
        .args([
            "admin",
            "create-user",
            "--username",
            "boss",
            "--email",
            "b@example.com",
            "--password",
            "correct horse",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already taken"));
    // An admin-scoped token from the command line: the secret alone on stdout.
    let out = trove(&db, dir.path())
        .args([
            "admin",
            "create-token",
            "--username",
            "boss",
            "--name",
            "cli",
            "--scope",
            "admin",
            "--scope",
            "publish",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admin_token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(
        admin_token.starts_with("trv_") && !admin_token.contains(' '),
        "{admin_token}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("scopes: publish, admin")
            || String::from_utf8_lossy(&out.stderr).contains("scopes: admin, publish")
    );
    let out = trove(&db, dir.path())
        .args([
            "admin",
            "create-token",
            "--username",
            "nobody",
            "--name",
            "x",
            "--scope",
            "read",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("user `nobody` not found"));
    // A bad config is explained.
    let out = trove(&db, dir.path())
        .env("TROVE_STORAGE_BACKEND", "ftp")
        .args(["admin", "gc"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown storage.backend"));

    // The server binary on a free port, configured by file and environment.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = dir.path().join("trove.toml");
    std::fs::write(
        &cfg,
        format!("[server]\nlisten = \"127.0.0.1:{port}\"\n[log]\nformat = \"json\"\n"),
    )
    .unwrap();
    let server = trove(&db, dir.path())
        .args(["--config", cfg.to_str().unwrap(), "server"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(format!("{base}/health/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "server came up");
    let res = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "username": "boss", "password": "correct horse" }))
        .send()
        .await
        .unwrap();
    let me = json_ok(res).await;
    assert_eq!(me["admin"], true);
    let res = client
        .post(format!("{base}/api/v1/users"))
        .json(&json!({ "username": "x", "email": "x@example.com", "password": "correct horse" }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "registration_closed").await;
    // The token made by `admin create-token` manages tokens (the `admin` scope).
    let res = client
        .get(format!("{base}/api/v1/tokens"))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap();
    let tokens = json_ok(res).await;
    assert!(tokens.to_string().contains("\"cli\""), "{tokens}");
    // SIGTERM: graceful stop with exit code 0, JSON logs carrying request ids.
    let pid = server.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let out = server.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let logs = String::from_utf8_lossy(&out.stderr);
    let line = logs
        .lines()
        .find(|l| l.contains("\"route\":\"/api/v1/session\""))
        .expect("request logged");
    let v: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    assert!(v["request_id"].as_str().is_some_and(|s| s.len() >= 32), "{line}");
    assert_eq!(v["status"], 200);
    assert!(logs.contains("stopped"));
}

both_backends!(admin_bootstrap_and_server_binary);
