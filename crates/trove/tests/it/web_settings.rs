//! Account settings and admin user actions in the web UI over real HTTP: password and email
//! changes (with the current password, CSRF, other sessions ended), sessions listed and
//! signed out, and site admins disabling, enabling, promoting and demoting accounts.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use trove_testkit::{both_backends, Backend};

struct Got {
    status: StatusCode,
    location: String,
    body: String,
}

async fn send(app: &TestApp, method: Method, path: &str, cookie: &str, form: Option<&[(&str, &str)]>) -> Got {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client
        .request(method, app.url(path))
        .header("accept", "text/html")
        .header("cookie", cookie);
    if let Some(f) = form {
        req = req.form(f);
    }
    let res = req.send().await.unwrap();
    Got {
        status: res.status(),
        location: res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default(),
        body: res.text().await.unwrap(),
    }
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> Got {
    send(app, Method::GET, path, cookie, None).await
}

async fn post(app: &TestApp, path: &str, cookie: &str, form: &[(&str, &str)]) -> Got {
    send(app, Method::POST, path, cookie, Some(form)).await
}

async fn api_login(app: &TestApp, name: &str, password: &str) -> StatusCode {
    app.req(Method::POST, "/api/v1/session")
        .json(&json!({ "username": name, "password": password }))
        .send()
        .await
        .unwrap()
        .status()
}

/// Whether a session cookie still signs in (the dashboard answers instead of the login).
async fn signed_in(app: &TestApp, cookie: &str) -> bool {
    let g = get(app, "/dashboard", cookie).await;
    g.status == StatusCode::OK
}

async fn settings_change_password_email_and_sessions(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let other = app.login("alice").await;
    let page = get(&app, "/dashboard/settings", &alice.cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("this session"), "{}", page.body);
    assert!(
        page.body.matches("/revoke\"").count() >= 1,
        "others can be signed out: {}",
        page.body
    );
    assert!(page.body.contains("value=\"alice@example.com\""));
    // Anonymous readers go to the login page.
    let anon = get(&app, "/dashboard/settings", "").await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.location.starts_with("/login"), "{}", anon.location);

    let pw = "/dashboard/settings/password";
    let form = |current: &'static str, new: &'static str, again: &'static str| {
        vec![
            ("current_password", current),
            ("new_password", new),
            ("new_password_again", again),
        ]
    };
    // Without the CSRF token: refused.
    let g = post(
        &app,
        pw,
        &alice.cookie,
        &form("correct horse", "battery staple", "battery staple"),
    )
    .await;
    assert_eq!(g.status, StatusCode::FORBIDDEN);
    let with_csrf = |mut f: Vec<(&'static str, &'static str)>, csrf: &str| {
        let mut out: Vec<(String, String)> = vec![("_csrf".into(), csrf.to_string())];
        out.extend(f.drain(..).map(|(k, v)| (k.to_string(), v.to_string())));
        out
    };
    for (f, message) in [
        (
            form("wrong horse", "battery staple", "battery staple"),
            "current password is not right",
        ),
        (
            form("correct horse", "battery staple", "battery stapler"),
            "two new passwords differ",
        ),
        (form("correct horse", "short", "short"), "at least"),
    ] {
        let f = with_csrf(f, &alice.csrf);
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let g = post(&app, pw, &alice.cookie, &pairs).await;
        assert_eq!(g.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(g.body.contains(message), "{message}: {}", g.body);
    }
    assert!(signed_in(&app, &other.cookie).await);
    let f = with_csrf(form("correct horse", "battery staple", "battery staple"), &alice.csrf);
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let g = post(&app, pw, &alice.cookie, &pairs).await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    assert_eq!(g.location, "/dashboard/settings?done=password");
    assert!(signed_in(&app, &alice.cookie).await, "this session stays");
    assert!(!signed_in(&app, &other.cookie).await, "the other session ended");
    assert_eq!(
        api_login(&app, "alice", "correct horse").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(api_login(&app, "alice", "battery staple").await, StatusCode::OK);

    // Email: the current password is needed; the address is checked.
    let em = "/dashboard/settings/email";
    let g = post(
        &app,
        em,
        &alice.cookie,
        &[
            ("_csrf", &alice.csrf),
            ("email", "a@new.example"),
            ("current_password", "correct horse"),
        ],
    )
    .await;
    assert_eq!(g.status, StatusCode::UNPROCESSABLE_ENTITY);
    let g = post(
        &app,
        em,
        &alice.cookie,
        &[
            ("_csrf", &alice.csrf),
            ("email", "not-an-address"),
            ("current_password", "battery staple"),
        ],
    )
    .await;
    assert_eq!(g.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(g.body.contains("not an email address"), "{}", g.body);
    let g = post(
        &app,
        em,
        &alice.cookie,
        &[
            ("_csrf", &alice.csrf),
            ("email", "a@new.example"),
            ("current_password", "battery staple"),
        ],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER);
    let page = get(&app, "/dashboard/settings?done=email", &alice.cookie).await;
    assert!(page.body.contains("value=\"a@new.example\"") && page.body.contains("email address was changed"));

    // Sessions: a new one is listed and signed out from here.
    let third = app
        .req(Method::POST, "/api/v1/session")
        .json(&json!({ "username": "alice", "password": "battery staple" }))
        .send()
        .await
        .unwrap();
    let third = third.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(signed_in(&app, &third).await);
    let page = get(&app, "/dashboard/settings", &alice.cookie).await;
    let at =
        page.body.find("/dashboard/settings/sessions/").expect("a revoke form") + "/dashboard/settings/sessions/".len();
    let handle = page.body[at..].split('/').next().unwrap().to_string();
    let revoke = format!("/dashboard/settings/sessions/{handle}/revoke");
    assert_eq!(
        post(&app, &revoke, &alice.cookie, &[]).await.status,
        StatusCode::FORBIDDEN,
        "CSRF"
    );
    // Another user cannot end it: the handle is not one of theirs.
    let bob = app.user("bob").await;
    let g = post(&app, &revoke, &bob.cookie, &[("_csrf", &bob.csrf)]).await;
    assert_eq!(g.status, StatusCode::NOT_FOUND);
    assert!(signed_in(&app, &third).await);
    let g = post(&app, &revoke, &alice.cookie, &[("_csrf", &alice.csrf)]).await;
    assert_eq!(g.status, StatusCode::SEE_OTHER);
    assert!(!signed_in(&app, &third).await, "signed out");
    assert!(signed_in(&app, &alice.cookie).await);
    // The audit log has the changes.
    let root = app.admin("opal").await;
    let audit = get(&app, "/admin/audit?actor=alice", &root.cookie).await;
    for action in ["user.password_change", "user.email_change", "session.revoke"] {
        assert!(audit.body.contains(action), "{action}: {}", audit.body);
    }
    app.stop().await;
}

async fn admins_disable_enable_and_promote_users(b: Backend) {
    let app = TestApp::new(b).await;
    let root = app.admin("opal").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let url = |who: &str, action: &str| format!("/admin/users/{who}/{action}");

    // Not for non-admins, not without CSRF, not on oneself, not on nobody.
    let g = post(&app, &url("carol", "disable"), &bob.cookie, &[("_csrf", &bob.csrf)]).await;
    assert_eq!(g.status, StatusCode::FORBIDDEN);
    let g = post(&app, &url("bob", "disable"), &root.cookie, &[]).await;
    assert_eq!(g.status, StatusCode::FORBIDDEN);
    let g = post(&app, &url("opal", "disable"), &root.cookie, &[("_csrf", &root.csrf)]).await;
    assert_eq!(g.status, StatusCode::UNPROCESSABLE_ENTITY);
    let g = post(
        &app,
        &url("opal", "remove-admin"),
        &root.cookie,
        &[("_csrf", &root.csrf)],
    )
    .await;
    assert_eq!(g.status, StatusCode::UNPROCESSABLE_ENTITY);
    let g = post(&app, &url("nobody", "disable"), &root.cookie, &[("_csrf", &root.csrf)]).await;
    assert_eq!(g.status, StatusCode::NOT_FOUND);
    let g = post(&app, &url("bob", "sideways"), &root.cookie, &[("_csrf", &root.csrf)]).await;
    assert_eq!(g.status, StatusCode::NOT_FOUND);

    // Disabled: sessions end, tokens and passwords stop working.
    let list = get(&app, "/admin", &root.cookie).await;
    assert!(
        list.body.contains("action=\"/admin/users/bob/disable\""),
        "{}",
        list.body
    );
    assert!(
        !list.body.contains("action=\"/admin/users/opal/"),
        "no buttons on oneself"
    );
    let g = post(&app, &url("bob", "disable"), &root.cookie, &[("_csrf", &root.csrf)]).await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    assert_eq!(g.location, "/admin?done=disable&user=bob");
    assert!(!signed_in(&app, &bob.cookie).await);
    let token = bob.get("/api/v1/tokens").send().await.unwrap().status();
    assert!(
        token == StatusCode::UNAUTHORIZED || token == StatusCode::FORBIDDEN,
        "{token}"
    );
    assert_eq!(api_login(&app, "bob", "correct horse").await, StatusCode::UNAUTHORIZED);
    let list = get(&app, "/admin?done=disable&user=bob", &root.cookie).await;
    assert!(list.body.contains("bob is disabled"), "{}", list.body);
    assert!(list.body.contains("action=\"/admin/users/bob/enable\""));
    let g = post(&app, &url("bob", "enable"), &root.cookie, &[("_csrf", &root.csrf)]).await;
    assert_eq!(g.status, StatusCode::SEE_OTHER);
    assert_eq!(api_login(&app, "bob", "correct horse").await, StatusCode::OK);

    // Promoted, carol sees the admin pages; demoted, no longer.
    assert_eq!(get(&app, "/admin", &carol.cookie).await.status, StatusCode::FORBIDDEN);
    let g = post(
        &app,
        &url("carol", "make-admin"),
        &root.cookie,
        &[("_csrf", &root.csrf)],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER);
    assert_eq!(get(&app, "/admin", &carol.cookie).await.status, StatusCode::OK);
    let g = post(
        &app,
        &url("carol", "remove-admin"),
        &root.cookie,
        &[("_csrf", &root.csrf)],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER);
    assert_eq!(get(&app, "/admin", &carol.cookie).await.status, StatusCode::FORBIDDEN);
    let audit = get(&app, "/admin/audit?actor=opal", &root.cookie).await;
    for action in ["user.disable", "user.enable", "user.set_admin"] {
        assert!(audit.body.contains(action), "{action}");
    }
    app.stop().await;
}

both_backends!(
    settings_change_password_email_and_sessions,
    admins_disable_enable_and_promote_users,
);
