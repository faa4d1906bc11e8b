//! Webhooks against a real HTTP receiver on 127.0.0.1: signed deliveries, event filters,
//! retries with backoff, permissions, and a queue that survives a restart.

use crate::common::*;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use trove_testkit::{both_backends, Backend};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub event: String,
    pub delivery: String,
    pub signature: String,
    pub body: Vec<u8>,
}

impl Hit {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// A local HTTP receiver recording every request; answers 500 to the first `fail` requests.
#[derive(Clone, Default)]
pub struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    fail: Arc<AtomicUsize>,
}

impl Receiver {
    /// Starts a receiver on 127.0.0.1; returns its URL.
    pub async fn start(fail: usize) -> (String, Receiver) {
        let rec = Receiver::default();
        rec.fail.store(fail, Ordering::SeqCst);
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(rec.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}/hook"), rec)
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Hit> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let hits = self.hits();
            if hits.len() >= n {
                return hits;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {n} requests, got {hits:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn receive(State(rec): State<Receiver>, headers: HeaderMap, body: Bytes) -> axum::http::StatusCode {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    rec.hits.lock().unwrap().push(Hit {
        event: h("x-trove-event"),
        delivery: h("x-trove-delivery"),
        signature: h("x-trove-signature-256"),
        body: body.to_vec(),
    });
    let failing = rec
        .fail
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        axum::http::StatusCode::INTERNAL_SERVER_ERROR
    } else {
        axum::http::StatusCode::OK
    }
}

/// The `X-Trove-Signature-256` value for `body`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn create_hook(user: &TestUser, scope: &str, url: &str, events: &[&str]) -> Value {
    let res = user
        .req(Method::POST, &format!("/api/v1/namespaces/{scope}/webhooks"))
        .json(&json!({ "url": url, "events": events }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn deliveries(user: &TestUser, scope: &str, id: &Value) -> Value {
    json_ok(
        user.get(&format!("/api/v1/namespaces/{scope}/webhooks/{id}/deliveries"))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Polls the delivery log until its newest delivery has `status`.
async fn wait_status(user: &TestUser, scope: &str, id: &Value, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = deliveries(user, scope, id).await;
        if log[0]["status"] == status {
            return log;
        }
        assert!(Instant::now() < deadline, "timed out waiting for `{status}`: {log}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn publish_delivers_signed_events(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.webhooks.allow_private_targets = true)
        .start()
        .await;
    let alice = app.user("alice").await;
    let (url, rec) = Receiver::start(0).await;
    let (yank_url, yank_rec) = Receiver::start(0).await;

    let hook = create_hook(&alice, "alice", &url, &["publish", "delete"]).await;
    let secret = hook["secret"].as_str().expect("secret shown on creation").to_string();
    assert!(secret.len() >= 32);
    assert_eq!(hook["events"], json!(["publish", "delete"]));
    assert_eq!(hook["url"], url);
    let yank_hook = create_hook(&alice, "alice", &yank_url, &["yank"]).await;

    // The secret is shown once: the list never carries it.
    let list = json_ok(alice.get("/api/v1/namespaces/alice/webhooks").send().await.unwrap()).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        list.as_array().unwrap().iter().all(|w| w.get("secret").is_none()),
        "{list}"
    );

    alice.publish("alice/widget", "1.0.0").await;
    let hits = rec.wait_for(1).await;
    let hit = &hits[0];
    assert_eq!(hit.event, "publish");
    assert_eq!(
        hit.signature,
        sign(&secret, &hit.body),
        "signature verifies with the secret"
    );
    let body = hit.json();
    assert_eq!(body["event"], "publish");
    assert_eq!(body["namespace"], "alice");
    assert_eq!(body["package"], "alice/widget");
    assert_eq!(body["version"], "1.0.0");
    assert_eq!(body["actor"], "alice");
    assert!(body["at"].as_str().unwrap().ends_with('Z'));
    assert!(
        body["data"]["digest"].as_str().unwrap().starts_with("sha256:"),
        "{body}"
    );

    let log = wait_status(&alice, "alice", &hook["id"], "delivered").await;
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["id"].to_string(), hit.delivery);
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(log[0]["attempts"][0]["status_code"], 200);

    // The filter: yanks go only to the yank hook (unyank too), not to the publish hook.
    let res = alice
        .req(Method::PUT, "/api/v1/packages/alice/widget/versions/1.0.0/yank")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = alice
        .req(Method::DELETE, "/api/v1/packages/alice/widget/versions/1.0.0/yank")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let yanks = yank_rec.wait_for(2).await;
    assert_eq!(yanks[0].json()["data"]["yanked"], true);
    assert_eq!(yanks[1].json()["data"]["yanked"], false);
    assert!(yanks
        .iter()
        .all(|h| h.event == "yank" && h.json()["version"] == "1.0.0"));
    wait_status(&alice, "alice", &yank_hook["id"], "delivered").await;

    // Delete goes to the first hook.
    let res = alice
        .req(Method::DELETE, "/api/v1/packages/alice/widget/versions/1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let hits = rec.wait_for(2).await;
    assert_eq!(hits[1].event, "delete");

    // A test ping goes out whatever the filter.
    let res = alice
        .req(
            Method::POST,
            &format!("/api/v1/namespaces/alice/webhooks/{}/test", hook["id"]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let hits = rec.wait_for(3).await;
    assert_eq!(hits[2].event, "ping");
    assert_eq!(hits[2].signature, sign(&secret, &hits[2].body));
    assert_eq!(rec.hits().len(), 3, "yanks never reached the publish hook");
    assert_eq!(yank_rec.hits().len(), 2);

    // Creation and deletion are audited.
    let res = alice
        .req(
            Method::DELETE,
            &format!("/api/v1/namespaces/alice/webhooks/{}", yank_hook["id"]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let mut conn = app.services().db.conn().await.unwrap();
    let events = trove_db::audit::list(
        &mut conn,
        &trove_db::audit::AuditFilter {
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "webhook.create").count(),
        2,
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "webhook.delete").count(),
        1,
        "{actions:?}"
    );
    drop(conn);
    let list = json_ok(alice.get("/api/v1/namespaces/alice/webhooks").send().await.unwrap()).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn failed_deliveries_are_retried(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| {
            c.webhooks.retry_base_ms = 5;
            c.webhooks.allow_private_targets = true;
        })
        .start()
        .await;
    let alice = app.user("alice").await;
    let (url, rec) = Receiver::start(2).await;
    let hook = create_hook(&alice, "alice", &url, &["publish"]).await;
    alice.publish("alice/widget", "1.0.0").await;

    let log = wait_status(&alice, "alice", &hook["id"], "delivered").await;
    let attempts = log[0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{log}");
    let codes: Vec<&Value> = attempts.iter().map(|a| &a["status_code"]).collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(200)]);
    assert!(attempts.iter().all(|a| a["duration_ms"].as_i64().unwrap() >= 0));
    assert!(log[0]["delivered_at"].is_string());
    let hits = rec.hits();
    assert_eq!(hits.len(), 3);
    assert!(
        hits.iter().all(|h| h.delivery == hits[0].delivery),
        "one delivery, three attempts"
    );

    // An unreachable URL: the error is logged and the delivery stays queued for a retry.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let hook = create_hook(&alice, "alice", &format!("http://{dead}/"), &["publish"]).await;
    alice.publish("alice/widget", "1.0.1").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = deliveries(&alice, "alice", &hook["id"]).await;
        if let Some(a) = log[0]["attempts"].as_array().and_then(|a| a.first()) {
            assert!(a["status_code"].is_null());
            assert!(a["error"].as_str().unwrap().contains("connect"), "{a}");
            break;
        }
        assert!(Instant::now() < deadline, "no attempt logged: {log}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // After six attempts it is given up.
    let log = wait_status(&alice, "alice", &hook["id"], "failed").await;
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 6);
    app.stop().await;
}

async fn only_owners_manage_webhooks(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.webhooks.allow_private_targets = true)
        .start()
        .await;
    let olivia = app.user("olivia").await;
    let adam = app.user("adam").await;
    let rita = app.user("rita").await;
    let oscar = app.user("oscar").await;
    let bob = app.user("bob").await;
    olivia.create_org(json!({ "name": "acme" })).await;
    for (who, role) in [("adam", "admin"), ("rita", "read")] {
        let res = olivia
            .req(Method::PUT, &format!("/api/v1/orgs/acme/members/{who}"))
            .json(&json!({ "role": role }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let (url, rec) = Receiver::start(0).await;
    let path = "/api/v1/namespaces/acme/webhooks";
    let body = json!({ "url": url, "events": ["membership"] });

    // Outsiders don't see that the namespace has webhooks; read members may not manage them.
    let res = oscar.get(path).send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = oscar.req(Method::POST, path).json(&body).send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = rita.get(path).send().await.unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = rita.req(Method::POST, path).json(&body).send().await.unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app.get(path).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Another user's namespace is theirs alone.
    let res = oscar.get("/api/v1/namespaces/olivia/webhooks").send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    // A token without the `owners` scope may not.
    let token = olivia
        .create_token(json!({ "name": "pub", "scopes": ["publish"] }))
        .await;
    let res = olivia.with_token(&token, Method::GET, path).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Bad input is refused clearly.
    for (bad, code) in [
        (
            json!({ "url": "ftp://example.com/", "events": ["publish"] }),
            "invalid_url",
        ),
        (json!({ "url": "not a url", "events": ["publish"] }), "invalid_url"),
        (json!({ "url": url, "events": [] }), "invalid_events"),
        (json!({ "url": url, "events": ["launch"] }), "invalid_events"),
    ] {
        let res = olivia.req(Method::POST, path).json(&bad).send().await.unwrap();
        expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }

    // An org admin may; membership changes are delivered.
    let hook = create_hook(&adam, "acme", &url, &["membership"]).await;
    olivia.set_member("acme", "bob", "write").await;
    let res = bob
        .req(Method::DELETE, "/api/v1/orgs/acme/members/bob")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let hits = rec.wait_for(2).await;
    let (set, removed) = (hits[0].json(), hits[1].json());
    assert_eq!(set["event"], "membership");
    assert_eq!(set["namespace"], "acme");
    assert_eq!(set["actor"], "olivia");
    assert_eq!(
        set["data"],
        json!({ "action": "set", "username": "bob", "role": "write", "previous": null })
    );
    assert_eq!(removed["actor"], "bob");
    assert_eq!(
        removed["data"],
        json!({ "action": "remove", "username": "bob", "role": "write" })
    );

    // Only managers read the log or delete; outsiders get 404 there too.
    let one = format!("{path}/{}", hook["id"]);
    let res = oscar.get(&format!("{one}/deliveries")).send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = oscar.req(Method::DELETE, &one).send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = rita.req(Method::POST, &format!("{one}/test")).send().await.unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = olivia.req(Method::DELETE, &one).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = olivia.req(Method::DELETE, &one).send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let list = json_ok(olivia.get(path).send().await.unwrap()).await;
    assert_eq!(list, json!([]));
    app.stop().await;
}

async fn queued_deliveries_survive_a_restart(b: Backend) {
    // The first node only queues (webhooks.deliver = false); the next one sends.
    let mut app = TestApp::builder(b)
        .config(|c| {
            c.webhooks.deliver = false;
            c.webhooks.allow_private_targets = true;
        })
        .start()
        .await;
    let alice = app.user("alice").await;
    let (url, rec) = Receiver::start(0).await;
    let hook = create_hook(&alice, "alice", &url, &["publish"]).await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    alice.publish("alice/widget", "1.0.0").await;
    let log = deliveries(&alice, "alice", &hook["id"]).await;
    assert_eq!(log[0]["status"], "pending");
    assert_eq!(log[0]["attempts"], json!([]));
    assert!(rec.hits().is_empty());

    app.server.take().unwrap().shutdown().await.expect("clean shutdown");
    let mut config = app.config.clone();
    config.webhooks.deliver = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = trove_server::start(config, listener, false).await.unwrap();
    server.services.search_index.wait_built().await;
    app.base = server.base_url();
    app.server = Some(server);

    let hits = rec.wait_for(1).await;
    assert_eq!(hits[0].event, "publish");
    assert_eq!(hits[0].signature, sign(&secret, &hits[0].body));
    let alice = app.login("alice").await;
    let log = wait_status(&alice, "alice", &hook["id"], "delivered").await;
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(rec.hits().len(), 1);
    app.stop().await;
}

/// By default a user cannot make the registry call internal services.
async fn private_targets_are_refused_by_default(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://api.localhost/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
    ] {
        let res = alice
            .req(Method::POST, "/api/v1/namespaces/alice/webhooks")
            .json(&serde_json::json!({ "url": url, "events": ["publish"] }))
            .send()
            .await
            .unwrap();
        let msg = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_url").await;
        assert!(msg.contains("allow_private_targets"), "{url}: {msg}");
    }
    app.stop().await;
}

both_backends!(
    private_targets_are_refused_by_default,
    publish_delivers_signed_events,
    failed_deliveries_are_retried,
    only_owners_manage_webhooks,
    queued_deliveries_survive_a_restart,
);
