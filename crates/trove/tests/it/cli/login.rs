//! Device-code login end to end (the CLI waits, a signed-in user approves over the API), the
//! device endpoints' rules, and token login from standard input.

use super::CliEnv;
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::Duration;
use trove_testkit::{both_backends, Backend};

async fn device_login_from_the_cli(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let cli = CliEnv::new(&app);
    let home = cli.home.path().to_path_buf();

    let mut cmd = cli.command(&home, &["login"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn trove login");
    let stdout = child.stdout.take().unwrap();
    // Read until the CLI shows the code.
    let (code, reader, shown) = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || {
            let mut reader = BufReader::new(stdout);
            let mut shown = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 {
                    return (None, reader, shown);
                }
                shown += &line;
                if let Some((_, code)) = line.split_once("enter the code: ") {
                    return (Some(code.trim().to_string()), reader, shown);
                }
            }
        }),
    )
    .await
    .expect("the CLI shows a code in time")
    .unwrap();
    let code = code.unwrap_or_else(|| panic!("no code in: {shown}"));
    // The URL comes from the server's base_url (here its configured listen address).
    assert!(shown.contains("/device and enter the code: "), "{shown}");
    assert_eq!(code.len(), 9, "{code}");

    // Approve it as alice in the browser: session cookie + CSRF token.
    let decision = json_ok(
        alice
            .with_cookie(Method::POST, "/api/v1/device/approve")
            .header("x-csrf-token", &alice.csrf)
            .json(&json!({ "user_code": code }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(decision["approved"], true);
    assert_eq!(decision["username"], "alice");
    assert!(decision["client_name"].as_str().unwrap().starts_with("trove CLI on "));

    // The CLI collects its token and stores it.
    let (status, rest, stderr) = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || {
            let mut rest = String::new();
            let mut reader = reader;
            reader.read_to_string(&mut rest).unwrap();
            let mut stderr = String::new();
            child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
            (child.wait().unwrap(), rest, stderr)
        }),
    )
    .await
    .expect("the CLI finishes after approval")
    .unwrap();
    assert!(status.success(), "stdout: {rest}\nstderr: {stderr}");
    assert!(rest.contains("Logged in to `default`"), "{rest}");
    assert!(
        rest.contains("as alice (token scopes: read, publish, yank, owners)"),
        "{rest}"
    );

    let who = cli.run(&home, &["whoami"]).await.ok();
    assert!(who.stdout.starts_with("alice\n"), "{}", who.stdout);
    assert!(
        who.stdout.contains("scopes: read, publish, yank, owners"),
        "{}",
        who.stdout
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(cli.config_dir().join("credentials.toml")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    // The device token may publish but not manage tokens: the error says why.
    let refused = cli.run(&home, &["token", "list"]).await.fails();
    assert!(refused.stderr.contains("lacks the `admin` scope"), "{}", refused.stderr);
    assert!(refused.stderr.contains("hint:"), "{}", refused.stderr);
    app.stop().await;
}

async fn poll(app: &TestApp, device_code: &str) -> reqwest::Response {
    app.req(Method::POST, "/api/v1/device/token")
        .json(&json!({ "device_code": device_code }))
        .send()
        .await
        .unwrap()
}

async fn start(app: &TestApp) -> Value {
    json_ok(
        app.req(Method::POST, "/api/v1/device/code")
            .json(&json!({ "client_name": "ci box" }))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn device_endpoints_follow_rfc_8628(b: Backend) {
    let app = TestApp::new(b).await;
    let root = app.admin("boss").await;
    let alice = app.user("alice").await;

    let s = start(&app).await;
    let dc = s["device_code"].as_str().unwrap().to_string();
    let uc = s["user_code"].as_str().unwrap().to_string();
    assert!(dc.len() >= 40);
    assert!(
        uc.len() == 9 && uc.as_bytes()[4] == b'-' && uc.chars().filter(|c| *c != '-').all(|c| c.is_ascii_uppercase()),
        "{uc}"
    );
    assert!(s["verification_uri"].as_str().unwrap().ends_with("/device"));
    assert!(s["verification_uri_complete"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/device?code={uc}")));
    assert_eq!(s["interval"], 2);
    assert_eq!(s["expires_in"], 900);

    // Pending, then too fast (polls back to back; a loaded machine may need a few).
    expect_error(poll(&app, &dc).await, StatusCode::BAD_REQUEST, "authorization_pending").await;
    let mut slowed = None;
    for _ in 0..5 {
        let res = poll(&app, &dc).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let v: Value = res.json().await.unwrap();
        if v["error"]["code"] == "slow_down" {
            slowed = Some(v["error"]["message"].as_str().unwrap().to_string());
            break;
        }
        assert_eq!(v["error"]["code"], "authorization_pending");
    }
    let msg = slowed.expect("back-to-back polls get slow_down");
    assert!(msg.contains("wait 7 seconds"), "{msg}");

    // Approving needs a signed-in user: not anonymous, not a cookie without CSRF, not a
    // publish-only token; an unknown code is 404.
    let approve = |body: Value| {
        alice
            .with_cookie(Method::POST, "/api/v1/device/approve")
            .header("x-csrf-token", &alice.csrf)
            .json(&body)
    };
    let anon = app
        .req(Method::POST, "/api/v1/device/approve")
        .json(&json!({ "user_code": uc }))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let no_csrf = alice
        .with_cookie(Method::POST, "/api/v1/device/approve")
        .json(&json!({ "user_code": uc }))
        .send()
        .await
        .unwrap();
    expect_error(no_csrf, StatusCode::FORBIDDEN, "csrf_failed").await;
    let publish_only = alice.create_token(json!({ "name": "p", "scopes": ["publish"] })).await;
    let res = alice
        .with_token(&publish_only, Method::POST, "/api/v1/device/approve")
        .json(&json!({ "user_code": uc }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let res = approve(json!({ "user_code": "BBBB-BBBB" })).send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;

    // Codes are case and dash insensitive; one approval only.
    let lenient = uc.to_lowercase().replace('-', " ");
    let d = json_ok(approve(json!({ "user_code": lenient })).send().await.unwrap()).await;
    assert_eq!(d["user_code"], uc.as_str());
    assert_eq!(
        (d["approved"].clone(), d["username"].clone()),
        (json!(true), json!("alice"))
    );
    assert_eq!(d["client_name"], "ci box");
    let res = approve(json!({ "user_code": uc })).send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;

    // The poll now yields a token of alice with the CLI scopes, exactly once.
    let grant = json_ok(poll(&app, &dc).await).await;
    let token = grant["access_token"].as_str().unwrap().to_string();
    assert!(token.starts_with("trv_"));
    assert_eq!(grant["token_type"], "bearer");
    assert_eq!(grant["username"], "alice");
    assert_eq!(grant["scopes"], json!(["read", "publish", "yank", "owners"]));
    let me = json_ok(
        alice
            .with_token(&token, Method::GET, "/api/v1/me")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["username"], "alice");
    assert_eq!(me["auth"]["scopes"], json!(["read", "publish", "yank", "owners"]));
    expect_error(poll(&app, &dc).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    expect_error(poll(&app, "made-up").await, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // Denied requests say so.
    let s2 = start(&app).await;
    let d = json_ok(
        alice
            .with_cookie(Method::POST, "/api/v1/device/deny")
            .header("x-csrf-token", &alice.csrf)
            .json(&json!({ "user_code": s2["user_code"] }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(d["approved"], false);
    let dc2 = s2["device_code"].as_str().unwrap();
    expect_error(poll(&app, dc2).await, StatusCode::BAD_REQUEST, "access_denied").await;

    // Expired requests say so, and cannot be approved.
    let s3 = start(&app).await;
    let db = app.db.connect().await;
    {
        let mut tx = db.write().await.unwrap();
        sqlx::query("UPDATE device_codes SET expires_at = 1 WHERE approved_at IS NULL AND denied_at IS NULL")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let dc3 = s3["device_code"].as_str().unwrap();
    expect_error(poll(&app, dc3).await, StatusCode::BAD_REQUEST, "expired_token").await;
    let res = approve(json!({ "user_code": s3["user_code"] })).send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;

    // Only hashes are stored.
    {
        let mut conn = db.conn().await.unwrap();
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT device_code_hash, user_code_hash FROM device_codes")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        assert!(!rows.is_empty());
        let text = format!("{rows:?}");
        assert!(!text.contains(&dc) && !text.contains(&uc) && !text.contains(&uc.replace('-', "")));
        let hashed = hex::encode(Sha256::digest(dc.as_bytes()));
        assert!(rows.iter().any(|(d, _)| *d == hashed));
    }
    db.close().await;

    // The approval and the token are in the audit log.
    let audit = json_ok(root.get("/api/v1/audit?action=device.approve").send().await.unwrap()).await;
    let events = audit["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{audit}");
    assert_eq!(events[0]["actor"], "alice");
    assert_eq!(events[0]["details"]["client_name"], "ci box");
    let audit = json_ok(
        root.get("/api/v1/audit?action=token.create&actor=alice")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        audit["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["details"]["via"] == "device"),
        "{audit}"
    );
    app.stop().await;
}

async fn token_login_from_stdin_and_logout(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let cli = CliEnv::new(&app);
    let home = cli.home.path().to_path_buf();

    let out = cli
        .run_with(
            &home,
            &["login", "--with-token"],
            &[],
            Some(&format!("{}\n", alice.token)),
        )
        .await
        .ok();
    assert!(
        out.stdout.contains("Logged in to `default`") && out.stdout.contains("as alice"),
        "{}",
        out.stdout
    );
    let creds = std::fs::read_to_string(cli.config_dir().join("credentials.toml")).unwrap();
    assert!(creds.contains(&alice.token));
    let who = cli.run(&home, &["whoami", "--json"]).await.ok().json();
    assert_eq!(who["username"], "alice");
    assert_eq!(who["token_from"], "stored credentials");

    // `--token -` reads stdin too; a named registry gets saved with its URL.
    cli.run_with(
        &home,
        &["login", "--registry", "work", "--token", "-"],
        &[],
        Some(&alice.token),
    )
    .await
    .ok();
    let list = cli.run(&home, &["registry", "list", "--json"]).await.ok().json();
    let work = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "work")
        .cloned()
        .unwrap();
    assert_eq!(work["url"], app.base.as_str());
    assert_eq!(work["logged_in_as"], "alice");

    // Logging out forgets the token.
    let out = cli.run(&home, &["logout"]).await.ok();
    assert!(out.stdout.contains("Logged out of `default`"), "{}", out.stdout);
    let err = cli.run(&home, &["whoami"]).await.fails();
    assert!(
        err.stderr.contains("you are not logged in to registry `default`"),
        "{}",
        err.stderr
    );
    // … while `work` still works, and TROVE_TOKEN serves CI without any stored state.
    cli.run(&home, &["whoami", "--registry", "work"]).await.ok();
    let ci = CliEnv::new(&app);
    let out = ci
        .run_with(ci.home.path(), &["whoami"], &[("TROVE_TOKEN", &alice.token)], None)
        .await
        .ok();
    assert!(out.stdout.contains("token: from TROVE_TOKEN"), "{}", out.stdout);
    assert!(!ci.config_dir().exists(), "nothing written for CI");
    app.stop().await;
}

both_backends!(
    device_login_from_the_cli,
    device_endpoints_follow_rfc_8628,
    token_login_from_stdin_and_logout
);
