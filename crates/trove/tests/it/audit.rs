use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use trove_testkit::{both_backends, Backend};

fn actions(v: &Value) -> Vec<String> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

async fn security_relevant_actions_are_audited(b: Backend) {
    let app = TestApp::new(b).await;
    let root = app.admin("siteadmin").await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    // A failed login is recorded too.
    app.req(Method::POST, "/api/v1/session")
        .json(&json!({ "username": "alice", "password": "nope nope" }))
        .send()
        .await
        .unwrap();
    alice
        .req(Method::POST, "/api/v1/orgs")
        .json(&json!({ "name": "acme" }))
        .send()
        .await
        .unwrap();
    alice
        .req(Method::PUT, "/api/v1/orgs/acme/members/bob")
        .json(&json!({ "role": "write" }))
        .send()
        .await
        .unwrap();
    alice.publish("acme/lib", "1.0.0").await;
    alice
        .req(Method::PUT, "/api/v1/packages/acme/lib/versions/1.0.0/yank")
        .send()
        .await
        .unwrap();
    alice
        .req(Method::DELETE, "/api/v1/packages/acme/lib/versions/1.0.0")
        .send()
        .await
        .unwrap();
    alice
        .req(Method::PUT, "/api/v1/packages/acme/lib/owners/bob")
        .json(&json!({ "role": "maintainer" }))
        .send()
        .await
        .unwrap();
    alice
        .req(Method::DELETE, "/api/v1/orgs/acme/members/bob")
        .send()
        .await
        .unwrap();

    let all = json_ok(root.get("/api/v1/audit?limit=200").send().await.unwrap()).await;
    let got = actions(&all);
    for want in [
        "user.create",
        "login.success",
        "login.failure",
        "token.create",
        "org.create",
        "org.member.set",
        "version.publish",
        "version.yank",
        "version.delete",
        "owner.add",
        "org.member.remove",
    ] {
        assert!(got.iter().any(|a| a == want), "missing {want} in {got:?}");
    }
    let publish = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "version.publish")
        .unwrap();
    assert_eq!(publish["actor"], "alice");
    assert_eq!(publish["target"], "acme/lib@1.0.0");
    assert_eq!(publish["ip"], "127.0.0.1");
    assert!(publish["details"]["digest"].as_str().unwrap().starts_with("sha256:"));
    // Newest first, filters, paging.
    let ids: Vec<i64> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]));
    let only = json_ok(root.get("/api/v1/audit?action=version.yank").send().await.unwrap()).await;
    assert_eq!(actions(&only), ["version.yank"]);
    let page = json_ok(
        root.get(&format!("/api/v1/audit?limit=2&before={}", ids[0]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["events"].as_array().unwrap().len(), 2);
    assert_eq!(page["events"][0]["id"], ids[1]);

    // Org owners read their org's events only; others are refused.
    let org = json_ok(alice.get("/api/v1/audit?org=acme").send().await.unwrap()).await;
    assert!(!org["events"].as_array().unwrap().is_empty());
    assert!(actions(&org).iter().all(|a| a != "login.success" && a != "user.create"));
    expect_error(
        alice.get("/api/v1/audit").send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let bob = app.login("bob").await;
    expect_error(
        bob.get("/api/v1/audit?org=acme").send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        app.get("/api/v1/audit").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    app.stop().await;
}

both_backends!(security_relevant_actions_are_audited);
