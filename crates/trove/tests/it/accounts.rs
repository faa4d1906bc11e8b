use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use trove_testkit::{both_backends, Backend};

async fn register(app: &TestApp, name: &str, email: &str, password: &str) -> reqwest::Response {
    app.req(Method::POST, "/api/v1/users")
        .json(&json!({ "username": name, "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

async fn registration_validates_and_refuses_duplicates(b: Backend) {
    let app = TestApp::new(b).await;
    let res = register(&app, "alice", "alice@example.com", "long enough").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v = json_ok(res).await;
    assert_eq!(v["username"], "alice");
    assert!(v.get("password_hash").is_none());
    expect_error(
        register(&app, "alice", "a2@example.com", "long enough").await,
        StatusCode::CONFLICT,
        "name_taken",
    )
    .await;
    // `-`, `_` and `.` are the same for uniqueness.
    register(&app, "foo-bar", "f@example.com", "long enough").await;
    expect_error(
        register(&app, "foo_bar", "g@example.com", "long enough").await,
        StatusCode::CONFLICT,
        "name_taken",
    )
    .await;
    expect_error(
        register(&app, "Bad Name", "b@example.com", "long enough").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_username",
    )
    .await;
    expect_error(
        register(&app, "admin", "b@example.com", "long enough").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_username",
    )
    .await;
    expect_error(
        register(&app, "bob", "not-an-email", "long enough").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_email",
    )
    .await;
    expect_error(
        register(&app, "bob", "bob@example.com", "short").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak_password",
    )
    .await;
    // Malformed and wrongly typed bodies.
    let res = app
        .req(Method::POST, "/api/v1/users")
        .header("content-type", "application/json")
        .body("{\"username\":")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::BAD_REQUEST, "invalid_json").await;
    let res = app
        .req(Method::POST, "/api/v1/users")
        .json(&json!({ "username": 5 }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    let res = app.req(Method::POST, "/api/v1/users").body("{}").send().await.unwrap();
    expect_error(res, StatusCode::BAD_REQUEST, "unsupported_media_type").await;
    // Oversize JSON is refused before parsing.
    let huge = format!(
        "{{\"username\":\"x\",\"email\":\"{}\",\"password\":\"p\"}}",
        "a".repeat(2 * 1024 * 1024)
    );
    let res = app
        .req(Method::POST, "/api/v1/users")
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;
    // Nothing of the refused attempts was stored.
    let mut conn = app.services().db.conn().await.unwrap();
    assert_eq!(trove_db::users::count(&mut conn).await.unwrap(), 2);
    drop(conn);
    app.stop().await;
}

async fn registration_can_be_closed(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.auth.registration_open = false)
        .start()
        .await;
    expect_error(
        register(&app, "alice", "alice@example.com", "long enough").await,
        StatusCode::FORBIDDEN,
        "registration_closed",
    )
    .await;
    // An admin created out of band can still log in.
    let admin = app.admin("root-user").await;
    let me = json_ok(admin.get("/api/v1/me").send().await.unwrap()).await;
    assert_eq!(me["admin"], true);
    app.stop().await;
}

async fn login_sessions_and_csrf(b: Backend) {
    let app = TestApp::new(b).await;
    register(&app, "carol", "carol@example.com", "correct horse").await;
    let res = app
        .req(Method::POST, "/api/v1/session")
        .json(&json!({ "username": "carol", "password": "wrong horse" }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let res = app
        .req(Method::POST, "/api/v1/session")
        .json(&json!({ "username": "nobody", "password": "wrong horse" }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    let res = app
        .req(Method::POST, "/api/v1/session")
        .json(&json!({ "username": "carol", "password": "correct horse" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let csrf = json_ok(res).await["csrf_token"].as_str().unwrap().to_string();

    let me = json_ok(app.get("/api/v1/me").header("cookie", &cookie).send().await.unwrap()).await;
    assert_eq!(me["username"], "carol");
    assert_eq!(me["auth"]["type"], "session");
    // Unsafe requests with only the cookie are refused; with the CSRF token they pass.
    let body = json!({ "name": "ci", "scopes": ["publish"] });
    let res = app
        .req(Method::POST, "/api/v1/tokens")
        .header("cookie", &cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "csrf_failed").await;
    let res = app
        .req(Method::POST, "/api/v1/tokens")
        .header("cookie", &cookie)
        .header("x-csrf-token", "forged")
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "csrf_failed").await;
    let res = app
        .req(Method::POST, "/api/v1/tokens")
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // Logout ends the session.
    let res = app
        .req(Method::DELETE, "/api/v1/session")
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.get("/api/v1/me").header("cookie", &cookie).send().await.unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    app.stop().await;
}

async fn expired_sessions_are_refused_and_swept(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.auth.session_ttl_hours = 0)
        .start()
        .await;
    register(&app, "dana", "dana@example.com", "correct horse").await;
    let res = app
        .req(Method::POST, "/api/v1/session")
        .json(&json!({ "username": "dana", "password": "correct horse" }))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let res = app.get("/api/v1/me").header("cookie", &cookie).send().await.unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    assert_eq!(app.services().accounts().sweep_expired_sessions().await.unwrap(), 1);
    assert_eq!(app.services().accounts().sweep_expired_sessions().await.unwrap(), 0);
    app.stop().await;
}

both_backends!(
    expired_sessions_are_refused_and_swept,
    registration_validates_and_refuses_duplicates,
    registration_can_be_closed,
    login_sessions_and_csrf
);
