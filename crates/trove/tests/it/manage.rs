use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use trove_testkit::{both_backends, Backend};

const V: &str = "/api/v1/packages/alice/lib/versions";

async fn yank_and_unyank(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.publish("alice/lib", "1.0.0").await;
    alice.publish("alice/lib", "1.1.0").await;
    let v = json_ok(alice.req(Method::PUT, &format!("{V}/1.1.0/yank")).send().await.unwrap()).await;
    assert_eq!(v["yanked"], true);
    assert!(v["yanked_at"].is_string());
    assert_eq!(v["yank_reason"], serde_json::Value::Null);
    // Yanking again with a reason records it; a malformed or too long one is refused.
    let v = json_ok(
        alice
            .req(Method::PUT, &format!("{V}/1.1.0/yank"))
            .json(&json!({ "reason": "  leaks memory  " }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["yank_reason"], "leaks memory");
    expect_error(
        alice
            .req(Method::PUT, &format!("{V}/1.1.0/yank"))
            .json(&json!({ "reason": "x".repeat(1001) }))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_yank_reason",
    )
    .await;
    expect_error(
        alice
            .req(Method::PUT, &format!("{V}/1.1.0/yank"))
            .header("content-type", "application/json")
            .body("{\"reason\": ")
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
    let p = json_ok(app.get("/api/v1/packages/alice/lib").send().await.unwrap()).await;
    assert_eq!(p["latest_version"], "1.0.0", "a yanked version is not advertised");
    // Yanked versions stay downloadable for existing lock files.
    assert_eq!(
        app.get(&format!("{V}/1.1.0/download")).send().await.unwrap().status(),
        StatusCode::OK
    );
    // Idempotent.
    assert_eq!(
        alice
            .req(Method::PUT, &format!("{V}/1.1.0/yank"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    expect_error(
        app.req(Method::PUT, &format!("{V}/1.1.0/yank")).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    expect_error(
        bob.req(Method::PUT, &format!("{V}/1.1.0/yank")).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        alice.req(Method::PUT, &format!("{V}/3.0.0/yank")).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let v = json_ok(
        alice
            .req(Method::DELETE, &format!("{V}/1.1.0/yank"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["yanked"], false);
    assert_eq!(v["yank_reason"], serde_json::Value::Null, "unyanking clears the reason");
    let p = json_ok(app.get("/api/v1/packages/alice/lib").send().await.unwrap()).await;
    assert_eq!(p["latest_version"], "1.1.0");
    app.stop().await;
}

async fn deprecate_and_undeprecate(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    alice.publish("alice/lib", "1.0.0").await;
    let url = format!("{V}/1.0.0/deprecation");
    let v = json_ok(
        alice
            .req(Method::PUT, &url)
            .json(&json!({ "message": "use alice/lib2" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["deprecated"], "use alice/lib2");
    let v = json_ok(app.get(&format!("{V}/1.0.0")).send().await.unwrap()).await;
    assert_eq!(v["deprecated"], "use alice/lib2");
    expect_error(
        alice
            .req(Method::PUT, &url)
            .json(&json!({ "message": "  " }))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_message",
    )
    .await;
    expect_error(
        alice.req(Method::PUT, &url).json(&json!({})).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    let v = json_ok(alice.req(Method::DELETE, &url).send().await.unwrap()).await;
    assert!(v["deprecated"].is_null());
    app.stop().await;
}

async fn delete_within_grace_period_and_number_stays_taken(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.publish("alice/lib", "1.0.0").await;
    alice.publish("alice/lib", "1.0.1").await;
    expect_error(
        bob.req(Method::DELETE, &format!("{V}/1.0.1")).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(
        alice
            .req(Method::DELETE, &format!("{V}/1.0.1"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    expect_error(
        app.get(&format!("{V}/1.0.1")).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        app.get(&format!("{V}/1.0.1/download")).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let p = json_ok(app.get("/api/v1/packages/alice/lib").send().await.unwrap()).await;
    assert_eq!(p["latest_version"], "1.0.0");
    let res = alice
        .publish_bytes(
            "alice/lib",
            "1.0.1",
            trove_tarball::simple_package("alice/lib", "1.0.1", "again"),
        )
        .await;
    expect_error(res, StatusCode::CONFLICT, "version_deleted").await;
    // Garbage collection removes the orphaned archive (with no minimum age).
    let before = app.blob_count().await;
    let report = app.services().blobs().gc_blobs(0).await.unwrap();
    assert_eq!(report.deleted, 1);
    assert_eq!(app.blob_count().await, before - 1);
    assert_eq!(
        app.get(&format!("{V}/1.0.0/download")).send().await.unwrap().status(),
        StatusCode::OK,
        "live blobs kept"
    );
    // Fresh blobs are protected from collection (a publish may be about to commit them).
    alice.publish("alice/lib", "1.0.2").await;
    alice.req(Method::DELETE, &format!("{V}/1.0.2")).send().await.unwrap();
    let report = app.services().blobs().gc_blobs(3_600_000).await.unwrap();
    assert_eq!((report.deleted, report.kept_recent), (0, 1));
    app.stop().await;
}

async fn delete_after_grace_period_needs_an_admin(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.limits.delete_grace_hours = 0)
        .start()
        .await;
    let alice = app.user("alice").await;
    let root = app.admin("siteadmin").await;
    alice.publish("alice/lib", "1.0.0").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    expect_error(
        alice.req(Method::DELETE, &format!("{V}/1.0.0")).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "grace_period_over",
    )
    .await;
    assert_eq!(
        root.req(Method::DELETE, &format!("{V}/1.0.0"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    app.stop().await;
}

async fn owners_and_maintainers(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    alice.publish("alice/lib", "1.0.0").await;
    let owners = json_ok(app.get("/api/v1/packages/alice/lib/owners").send().await.unwrap()).await;
    assert_eq!(owners.as_array().unwrap().len(), 1);
    assert_eq!(owners[0]["username"], "alice");
    assert_eq!(owners[0]["role"], "owner");

    let add = |who: &TestUser, user: &str, role: &str| {
        who.req(Method::PUT, &format!("/api/v1/packages/alice/lib/owners/{user}"))
            .json(&json!({ "role": role }))
            .send()
    };
    expect_error(
        add(&bob, "bob", "owner").await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let owners = json_ok(add(&alice, "bob", "maintainer").await.unwrap()).await;
    assert_eq!(owners.as_array().unwrap().len(), 2);
    // A maintainer publishes and yanks, but does not manage owners.
    bob.publish("alice/lib", "1.1.0").await;
    assert_eq!(
        bob.req(Method::PUT, &format!("{V}/1.1.0/yank"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    expect_error(
        add(&bob, "carol", "maintainer").await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        carol
            .publish_bytes(
                "alice/lib",
                "1.2.0",
                trove_tarball::simple_package("alice/lib", "1.2.0", "x"),
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        add(&alice, "nobody", "owner").await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        add(&alice, "carol", "emperor").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_role",
    )
    .await;
    // The last owner stays.
    expect_error(
        alice
            .req(Method::DELETE, "/api/v1/packages/alice/lib/owners/alice")
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
        "last_owner",
    )
    .await;
    expect_error(
        add(&alice, "alice", "maintainer").await.unwrap(),
        StatusCode::CONFLICT,
        "last_owner",
    )
    .await;
    // Removing a maintainer takes their rights away.
    assert_eq!(
        alice
            .req(Method::DELETE, "/api/v1/packages/alice/lib/owners/bob")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    expect_error(
        bob.publish_bytes(
            "alice/lib",
            "1.3.0",
            trove_tarball::simple_package("alice/lib", "1.3.0", "x"),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        alice
            .req(Method::DELETE, "/api/v1/packages/alice/lib/owners/bob")
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

both_backends!(
    yank_and_unyank,
    deprecate_and_undeprecate,
    delete_within_grace_period_and_number_stays_taken,
    delete_after_grace_period_needs_an_admin,
    owners_and_maintainers,
);
