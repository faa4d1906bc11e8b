//! Rate limits: per class (anonymous by IP, authenticated by credential) and action (read,
//! write, login), 429 with `Retry-After` and `RateLimit-*`, in memory and shared in Redis.

use crate::common::*;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use trove_testkit::{both_backends, Backend};

fn header(res: &Response, name: &str) -> Option<u64> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// A 429 with every header and the JSON envelope `rate_limited`.
async fn assert_limited(res: Response) {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry = header(&res, "retry-after").expect("Retry-After");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert!(header(&res, "ratelimit-limit").is_some());
    assert_eq!(header(&res, "ratelimit-remaining"), Some(0));
    assert!((1..=60).contains(&header(&res, "ratelimit-reset").expect("RateLimit-Reset")));
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "rate_limited", "{v}");
    assert!(v["error"]["message"].is_string());
}

/// Redis keys unique to one test run.
fn unique_prefix(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("trove-it:{name}:{}:{nanos}:", std::process::id())
}

async fn metrics(app: &TestApp) -> String {
    app.get("/metrics").send().await.unwrap().text().await.unwrap()
}

async fn anonymous_reads_are_limited_and_users_have_their_own_budget(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| {
            c.rate_limits.anonymous_reads_per_minute = 3;
            c.rate_limits.authenticated_reads_per_minute = 2;
        })
        .start()
        .await;
    let alice = app.user("alice").await; // anonymous and session writes, a login
    for remaining in [2, 1, 0] {
        let res = app.get("/api/v1/search?q=x").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(&res, "ratelimit-limit"), Some(3));
        assert_eq!(header(&res, "ratelimit-remaining"), Some(remaining));
        assert!(header(&res, "ratelimit-reset").is_some());
    }
    assert_limited(app.get("/api/v1/search?q=x").send().await.unwrap()).await;
    // The web UI is counted in the same budget and answers with the same envelope.
    assert_limited(app.get("/").send().await.unwrap()).await;
    // Health and metrics are never limited.
    assert_eq!(app.get("/health/ready").send().await.unwrap().status(), StatusCode::OK);

    // Alice's token has its own budget, and so does her session.
    let res = alice.get("/api/v1/search?q=x").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "ratelimit-limit"), Some(2));
    assert_eq!(header(&res, "ratelimit-remaining"), Some(1));
    assert_eq!(
        alice.get("/api/v1/search?q=x").send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_limited(alice.get("/api/v1/search?q=x").send().await.unwrap()).await;
    let res = alice
        .with_cookie(Method::GET, "/api/v1/search?q=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let m = metrics(&app).await;
    assert!(
        m.lines().any(|l| l.starts_with("trove_rate_limited_total")
            && l.contains("class=\"anonymous\"")
            && l.contains("action=\"read\"")),
        "{m}"
    );
    assert!(
        m.lines()
            .any(|l| l.starts_with("trove_rate_limited_total") && l.contains("class=\"authenticated\"")),
        "{m}"
    );
    app.stop().await;
}

async fn writes_are_limited_apart_from_reads(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.rate_limits.anonymous_writes_per_minute = 1)
        .start()
        .await;
    let res = app
        .req(Method::POST, "/api/v1/users")
        .json(&json!({ "username": "alice", "email": "alice@example.com", "password": "correct horse" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(header(&res, "ratelimit-remaining"), Some(0));
    let res = app
        .req(Method::POST, "/api/v1/users")
        .json(&json!({ "username": "bob", "email": "bob@example.com", "password": "correct horse" }))
        .send()
        .await
        .unwrap();
    assert_limited(res).await;
    assert_eq!(
        app.get("/api/v1/search?q=x").send().await.unwrap().status(),
        StatusCode::OK
    );
    app.stop().await;
}

async fn login_attempts_are_limited_per_username(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.rate_limits.login_attempts_per_minute = 3)
        .start()
        .await;
    let _alice = app.user("alice").await; // one attempt
    let attempt = |password: &'static str| {
        app.req(Method::POST, "/api/v1/session")
            .json(&json!({ "username": "alice", "password": password }))
            .send()
    };
    for _ in 0..2 {
        assert_eq!(attempt("wrong").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now.
    assert_limited(attempt("correct horse").await.unwrap()).await;
    // The web login form counts for the same user.
    let res = app
        .req(Method::POST, "/login")
        .form(&[("username", "alice"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_limited(res).await;
    // Another username has its own budget.
    let res = app
        .req(Method::POST, "/api/v1/session")
        .json(&json!({ "username": "bob", "password": "nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(metrics(&app)
        .await
        .lines()
        .any(|l| l.starts_with("trove_rate_limited_total") && l.contains("action=\"login\"")));
    app.stop().await;
}

async fn oci_answers_toomanyrequests(b: Backend) {
    use base64::Engine as _;
    let app = TestApp::builder(b)
        .config(|c| {
            c.rate_limits.anonymous_reads_per_minute = 1;
            c.rate_limits.login_attempts_per_minute = 1;
        })
        .start()
        .await;
    let _ = app.get("/v2/").send().await.unwrap();
    let res = app.get("/v2/").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&res, "retry-after").is_some());
    assert_eq!(header(&res, "ratelimit-remaining"), Some(0));
    crate::oci::oci_error(res, StatusCode::TOO_MANY_REQUESTS, "TOOMANYREQUESTS").await;

    // The token service with Basic credentials is a login attempt.
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("mallory:guess")
    );
    let token = || {
        app.get("/v2/token?service=trove")
            .header("authorization", &basic)
            .send()
    };
    assert_ne!(token().await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    let res = token().await.unwrap();
    crate::oci::oci_error(res, StatusCode::TOO_MANY_REQUESTS, "TOOMANYREQUESTS").await;
    // So is its OAuth2 password grant, for the same username.
    let res = app
        .req(Method::POST, "/v2/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=password&username=mallory&password=guess2")
        .send()
        .await
        .unwrap();
    crate::oci::oci_error(res, StatusCode::TOO_MANY_REQUESTS, "TOOMANYREQUESTS").await;
    app.stop().await;
}

/// Made-up credentials do not each get a fresh budget: rejected ones count against the
/// client IP, which is then refused (even with a real token) until the window resets.
async fn bogus_credentials_cannot_bypass_the_limits(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.rate_limits.login_attempts_per_minute = 4)
        .start()
        .await;
    let alice = app.user("alice").await; // one login attempt (a success) from this IP
    for i in 0..4 {
        let res = app
            .get("/api/v1/me")
            .bearer_auth(format!("trv_made-up-{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert_limited(
        app.get("/api/v1/me")
            .bearer_auth("trv_made-up-again")
            .send()
            .await
            .unwrap(),
    )
    .await;
    // Anonymous requests keep their own budget.
    assert_eq!(
        app.get("/api/v1/search?q=x").send().await.unwrap().status(),
        StatusCode::OK
    );
    let _ = alice;
    app.stop().await;
}

/// An API token given to the token service as a password (`docker login -p $TOKEN`, skopeo
/// `--creds user:$TOKEN`, the OAuth2 password grant) is no login attempt: CI jobs pulling
/// many images a minute are counted as authenticated requests, not throttled as logins.
/// Real passwords still are.
async fn api_tokens_at_the_token_service_are_not_logins(b: Backend) {
    use base64::Engine as _;
    let app = TestApp::builder(b)
        .config(|c| c.rate_limits.login_attempts_per_minute = 2)
        .start()
        .await;
    let alice = app.user("alice").await; // one login attempt for alice from this IP
    let basic = |secret: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("alice:{secret}"))
        )
    };
    for i in 0..25 {
        let res = app
            .get("/v2/token?service=trove&scope=repository:alice/app:pull")
            .header("authorization", basic(&alice.token))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "token request {i}");
        let res = app
            .req(Method::POST, "/v2/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=password&service=trove&username=alice&password={}",
                alice.token
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "password grant {i}");
    }
    // Passwords are login attempts: the second is the last one allowed this minute.
    let res = app
        .get("/v2/token?service=trove")
        .header("authorization", basic("correct horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .get("/v2/token?service=trove")
        .header("authorization", basic("correct horse"))
        .send()
        .await
        .unwrap();
    crate::oci::oci_error(res, StatusCode::TOO_MANY_REQUESTS, "TOOMANYREQUESTS").await;
    app.stop().await;
}

both_backends!(
    api_tokens_at_the_token_service_are_not_logins,
    bogus_credentials_cannot_bypass_the_limits,
    anonymous_reads_are_limited_and_users_have_their_own_budget,
    writes_are_limited_apart_from_reads,
    login_attempts_are_limited_per_username,
    oci_answers_toomanyrequests,
);

/// Two nodes counting in one Redis share one budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_share_a_budget_in_redis() {
    let prefix = unique_prefix("shared");
    let node = |prefix: String| {
        TestApp::builder(Backend::Sqlite)
            .config(move |c| {
                c.rate_limits.backend = "redis".into();
                c.rate_limits.redis_url = "redis://127.0.0.1:6379".into();
                c.rate_limits.key_prefix = prefix;
                c.rate_limits.anonymous_reads_per_minute = 4;
            })
            .start()
    };
    let a = node(prefix.clone()).await;
    let b = node(prefix).await;
    for (app, remaining) in [(&a, 3), (&b, 2), (&a, 1), (&b, 0)] {
        let res = app.get("/api/v1/search?q=x").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(&res, "ratelimit-remaining"), Some(remaining));
    }
    assert_limited(a.get("/api/v1/search?q=x").send().await.unwrap()).await;
    assert_limited(b.get("/api/v1/search?q=x").send().await.unwrap()).await;
    a.stop().await;
    b.stop().await;
}

/// With Redis unreachable, requests pass (fail open) and the failure is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_fails_open() {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|c| {
            c.rate_limits.backend = "redis".into();
            c.rate_limits.redis_url = "redis://127.0.0.1:1".into();
            c.rate_limits.anonymous_reads_per_minute = 1;
        })
        .start()
        .await;
    for _ in 0..3 {
        let res = app.get("/api/v1/search?q=x").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get("ratelimit-limit").is_none());
    }
    assert!(metrics(&app)
        .await
        .lines()
        .any(|l| l.starts_with("trove_rate_limit_backend_errors_total")));
    app.stop().await;
}
