//! Webhooks in the web dashboard over real HTTP, with a real receiver on 127.0.0.1: create
//! through the form (the secret shown once), list, test ping delivered with a valid HMAC
//! signature, the delivery log page, delete with confirmation; forms without CSRF refused;
//! other users refused as the service decides.

use crate::common::*;
use crate::webhooks::{sign, Receiver};
use reqwest::header::LOCATION;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use trove_testkit::{both_backends, Backend};

struct Got {
    status: StatusCode,
    location: String,
    body: String,
}

/// A browser-like request with the user's session cookie (redirects are not followed).
async fn fetch(
    app: &TestApp,
    user: Option<&TestUser>,
    method: Method,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> Got {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client.request(method, app.url(path)).header("accept", "text/html");
    if let Some(u) = user {
        req = req.header("cookie", &u.cookie);
    }
    if let Some(f) = form {
        req = req.form(f);
    }
    let res = req.send().await.unwrap();
    Got {
        status: res.status(),
        location: res
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        body: res.text().await.unwrap(),
    }
}

async fn page(app: &TestApp, user: &TestUser, path: &str) -> Got {
    fetch(app, Some(user), Method::GET, path, None).await
}

async fn post(app: &TestApp, user: &TestUser, path: &str, form: &[(&str, &str)]) -> Got {
    fetch(app, Some(user), Method::POST, path, Some(form)).await
}

/// The webhooks of a namespace, through the API.
async fn api_hooks(user: &TestUser, scope: &str) -> Vec<Value> {
    let v = json_ok(
        user.get(&format!("/api/v1/namespaces/{scope}/webhooks"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    v.as_array().unwrap().clone()
}

async fn api_deliveries(user: &TestUser, scope: &str, id: i64) -> Vec<Value> {
    let v = json_ok(
        user.get(&format!("/api/v1/namespaces/{scope}/webhooks/{id}/deliveries"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    v.as_array().unwrap().clone()
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The value of the `<input id="new-secret" …>` on a page, if any.
fn secret_in(body: &str) -> Option<String> {
    let at = body.find("id=\"new-secret\"")?;
    let rest = &body[at..];
    let v = rest.find("value=\"")? + "value=\"".len();
    Some(rest[v..].split('"').next().unwrap().to_string())
}

async fn dashboard_manages_webhooks(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.webhooks.allow_private_targets = true)
        .start()
        .await;
    let alice = app.user("alice").await;
    let (url, rec) = Receiver::start(0).await;

    // The dashboard links to the section, which starts empty.
    let dash = page(&app, &alice, "/dashboard").await;
    assert!(dash.body.contains("href=\"/dashboard/webhooks\""), "nav link");
    let empty = page(&app, &alice, "/dashboard/webhooks").await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    assert!(empty.body.contains("No webhooks yet."), "{}", empty.body);
    assert!(empty.body.contains("value=\"membership\""), "event checkboxes");

    // Forms without the CSRF token, with a wrong one, or from another site are refused.
    let fields = |csrf: &str| -> Vec<(&'static str, String)> {
        vec![
            ("_csrf", csrf.to_string()),
            ("namespace", "alice".into()),
            ("url", url.clone()),
            ("events", "publish".into()),
            ("events", "yank".into()),
        ]
    };
    for csrf in ["", "wrong"] {
        let f = fields(csrf);
        let got = post(&app, &alice, "/dashboard/webhooks", &refs(&f)).await;
        assert_eq!(got.status, StatusCode::FORBIDDEN, "csrf `{csrf}`: {}", got.body);
        assert!(got.body.contains("Form expired"), "{}", got.body);
    }
    let owned = fields(&alice.csrf);
    let f = refs(&owned);
    let res = reqwest::Client::new()
        .post(app.url("/dashboard/webhooks"))
        .header("cookie", &alice.cookie)
        .header("origin", "https://evil.example")
        .form(&f)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(api_hooks(&alice, "alice").await.is_empty(), "nothing was created");

    // Bad input is a readable message on the form, which keeps what was typed.
    let got = post(
        &app,
        &alice,
        "/dashboard/webhooks",
        &[
            ("_csrf", &alice.csrf),
            ("namespace", "alice"),
            ("url", "not a url"),
            ("events", "publish"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", got.body);
    assert!(got.body.contains("is not a valid URL"), "{}", got.body);
    assert!(got.body.contains("value=\"not a url\""), "draft kept");
    let got = post(
        &app,
        &alice,
        "/dashboard/webhooks",
        &[("_csrf", &alice.csrf), ("namespace", "alice"), ("url", &url)],
    )
    .await;
    assert_eq!(got.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", got.body);
    assert!(got.body.contains("name at least one event"), "{}", got.body);
    assert!(api_hooks(&alice, "alice").await.is_empty());

    // Created: the secret is on this page, once.
    let created = post(&app, &alice, "/dashboard/webhooks", &f).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert!(created.body.contains("it will not be shown again"), "{}", created.body);
    let secret = secret_in(&created.body).expect("the secret is shown");
    assert!(secret.len() >= 32, "{secret}");
    let hooks = api_hooks(&alice, "alice").await;
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["url"], url.as_str());
    assert_eq!(hooks[0]["events"], json!(["publish", "yank"]));
    let id = hooks[0]["id"].as_i64().unwrap();

    // Listed, without the secret.
    let list = page(&app, &alice, "/dashboard/webhooks").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&url), "{}", list.body);
    assert!(list.body.contains("none yet"), "no delivery yet");
    assert!(!list.body.contains(&secret), "the secret is never shown again");
    assert!(secret_in(&list.body).is_none());
    let one = page(&app, &alice, "/dashboard/webhooks/alice").await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.body.contains(&url) && !one.body.contains(&secret));

    // A test ping without the token is refused and sends nothing.
    let test_path = format!("/dashboard/webhooks/alice/{id}/test");
    let got = post(&app, &alice, &test_path, &[("_csrf", "")]).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    assert!(api_deliveries(&alice, "alice", id).await.is_empty());

    // With it, the ping reaches the receiver, signed with the secret shown once.
    let got = post(&app, &alice, &test_path, &[("_csrf", &alice.csrf)]).await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    assert_eq!(got.location, format!("/dashboard/webhooks/alice/{id}?tested=1"));
    let hits = rec.wait_for(1).await;
    assert_eq!(hits[0].event, "ping");
    assert_eq!(hits[0].signature, sign(&secret, &hits[0].body));
    let ping: Value = serde_json::from_slice(&hits[0].body).unwrap();
    assert_eq!(ping["namespace"], "alice");
    assert_eq!(ping["actor"], "alice");

    // The deliveries page shows it once it is recorded.
    let deliveries_path = format!("/dashboard/webhooks/alice/{id}");
    let flashed = page(&app, &alice, &got.location).await;
    assert!(flashed.body.contains("A ping delivery was queued"), "{}", flashed.body);
    let deadline = Instant::now() + Duration::from_secs(20);
    let log = loop {
        let log = page(&app, &alice, &deliveries_path).await;
        assert_eq!(log.status, StatusCode::OK, "{}", log.body);
        if log.body.contains(">delivered<") {
            break log;
        }
        assert!(Instant::now() < deadline, "never delivered: {}", log.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(log.body.contains("HTTP 200"), "{}", log.body);
    assert!(log.body.contains(">ping<"), "{}", log.body);
    assert!(log.body.contains("Latest deliveries"), "{}", log.body);
    assert!(!log.body.contains(&secret));
    let list = page(&app, &alice, "/dashboard/webhooks").await;
    assert!(list.body.contains(">delivered<"), "last delivery status in the list");

    // Delete: refused without the box ticked or without the token; then done.
    let delete_path = format!("/dashboard/webhooks/alice/{id}/delete");
    let got = post(&app, &alice, &delete_path, &[("_csrf", &alice.csrf)]).await;
    assert_eq!(got.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", got.body);
    assert!(got.body.contains("Tick the box to confirm"), "{}", got.body);
    let got = post(&app, &alice, &delete_path, &[("_csrf", "nope"), ("confirm", "yes")]).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    assert_eq!(api_hooks(&alice, "alice").await.len(), 1, "still there");
    let got = post(
        &app,
        &alice,
        &delete_path,
        &[("_csrf", &alice.csrf), ("confirm", "yes")],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    assert_eq!(got.location, "/dashboard/webhooks/alice?deleted=1");
    assert!(api_hooks(&alice, "alice").await.is_empty());
    let after = page(&app, &alice, &got.location).await;
    assert!(after.body.contains("Webhook deleted"), "{}", after.body);
    assert!(!after.body.contains(&url));
    let gone = page(&app, &alice, &deliveries_path).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

async fn only_managers_see_and_manage_webhooks(b: Backend) {
    // The default configuration: internal targets are refused.
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    alice.create_org(json!({ "name": "acme" })).await;
    alice.set_member("acme", "bob", "write").await;
    let hook = json_ok(
        alice
            .req(Method::POST, "/api/v1/namespaces/alice/webhooks")
            .json(&json!({ "url": "https://hooks.example.com/trove", "events": ["publish"] }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = hook["id"].as_i64().unwrap();

    // The SSRF guard's refusal is a readable message on the form.
    let got = post(
        &app,
        &alice,
        "/dashboard/webhooks",
        &[
            ("_csrf", &alice.csrf),
            ("namespace", "acme"),
            ("url", "http://127.0.0.1:9/hook"),
            ("events", "publish"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", got.body);
    assert!(got.body.contains("loopback, private or link-local"), "{}", got.body);
    assert!(api_hooks(&alice, "acme").await.is_empty());

    // Alice manages her namespace and her organization.
    let index = page(&app, &alice, "/dashboard/webhooks").await;
    assert!(index.body.contains("id=\"ns-alice\"") && index.body.contains("id=\"ns-acme\""));
    assert!(index.body.contains("https://hooks.example.com/trove"));

    // Carol, a stranger: alice's namespace and webhook do not exist for her.
    for path in [
        "/dashboard/webhooks/alice".to_string(),
        format!("/dashboard/webhooks/alice/{id}"),
    ] {
        let got = page(&app, &carol, &path).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!got.body.contains("hooks.example.com"));
    }
    for (path, extra) in [
        (format!("/dashboard/webhooks/alice/{id}/test"), None),
        (
            format!("/dashboard/webhooks/alice/{id}/delete"),
            Some(("confirm", "yes")),
        ),
    ] {
        let mut form = vec![("_csrf", carol.csrf.as_str())];
        form.extend(extra);
        let got = post(&app, &carol, &path, &form).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{path}: {}", got.body);
    }
    let got = post(
        &app,
        &carol,
        "/dashboard/webhooks",
        &[
            ("_csrf", &carol.csrf),
            ("namespace", "alice"),
            ("url", "https://evil.example.com/"),
            ("events", "publish"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    let carols = page(&app, &carol, "/dashboard/webhooks").await;
    assert!(!carols.body.contains("hooks.example.com") && !carols.body.contains("ns-alice"));
    assert_eq!(api_hooks(&alice, "alice").await.len(), 1, "nothing changed");
    assert!(api_deliveries(&alice, "alice", id).await.is_empty(), "no ping sent");

    // Bob writes in acme but does not manage it: 403, and acme is not in his list.
    let got = page(&app, &bob, "/dashboard/webhooks/acme").await;
    assert_eq!(got.status, StatusCode::FORBIDDEN, "{}", got.body);
    assert!(got.body.contains("only owners and admins"), "{}", got.body);
    let got = post(
        &app,
        &bob,
        "/dashboard/webhooks",
        &[
            ("_csrf", &bob.csrf),
            ("namespace", "acme"),
            ("url", "https://bob.example.com/"),
            ("events", "publish"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    let bobs = page(&app, &bob, "/dashboard/webhooks").await;
    assert!(bobs.body.contains("id=\"ns-bob\"") && !bobs.body.contains("ns-acme"));
    // As an admin of acme he does.
    alice.set_member("acme", "bob", "admin").await;
    let bobs = page(&app, &bob, "/dashboard/webhooks").await;
    assert!(bobs.body.contains("id=\"ns-acme\""), "{}", bobs.body);

    // Signed out: the login page.
    let got = fetch(&app, None, Method::GET, "/dashboard/webhooks", None).await;
    assert_eq!(got.status, StatusCode::SEE_OTHER);
    assert!(got.location.starts_with("/login?next="), "{}", got.location);
    app.stop().await;
}

both_backends!(dashboard_manages_webhooks, only_managers_see_and_manage_webhooks);
