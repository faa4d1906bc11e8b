use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use trove_testkit::{both_backends, Backend};

async fn create_list_use_and_revoke(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let secret = alice
        .create_token(
            json!({ "name": "ci", "scopes": ["publish", "yank"], "packages": ["alice/*"], "expires_in": 3600 }),
        )
        .await;
    assert!(secret.starts_with("trv_") && secret.len() >= 40, "{secret}");
    let list = json_ok(alice.get("/api/v1/tokens").send().await.unwrap()).await;
    let ci = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ci")
        .expect("listed")
        .clone();
    assert_eq!(ci["scopes"], json!(["publish", "yank"]));
    assert_eq!(ci["packages"], json!(["alice/*"]));
    assert!(ci["expires_at"].is_string());
    assert!(ci["last_used_at"].is_null());
    assert!(ci.get("token").is_none(), "secrets are never listed");
    // The secret is stored only as a hash.
    let mut conn = app.services().db.conn().await.unwrap();
    let user = trove_db::users::find_by_username(&mut conn, "alice")
        .await
        .unwrap()
        .unwrap();
    let stored = trove_db::tokens::list_for_user(&mut conn, user.id).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored
        .iter()
        .all(|t| t.token_hash.len() == 64 && t.token_hash != secret && !t.token_hash.contains("trv_")));
    drop(conn);

    // Using it records last use.
    let me = json_ok(
        alice
            .with_token(&secret, Method::GET, "/api/v1/me")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["auth"]["type"], "token");
    let list = json_ok(alice.get("/api/v1/tokens").send().await.unwrap()).await;
    let ci = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ci")
        .unwrap()
        .clone();
    assert!(ci["last_used_at"].is_string(), "{ci}");

    // Revoke: 401 with its own code afterwards; a second revoke is 404.
    let id = ci["id"].as_i64().unwrap();
    assert_eq!(
        alice
            .req(Method::DELETE, &format!("/api/v1/tokens/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    let res = alice
        .with_token(&secret, Method::GET, "/api/v1/me")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "token_revoked").await;
    expect_error(
        alice
            .req(Method::DELETE, &format!("/api/v1/tokens/{id}"))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        alice.req(Method::DELETE, "/api/v1/tokens/abc").send().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_path",
    )
    .await;
    app.stop().await;
}

async fn wrong_expired_and_underscoped_tokens(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    expect_error(
        app.get("/api/v1/me")
            .bearer_auth("trv_not-a-real-token")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "token_invalid",
    )
    .await;
    expect_error(
        app.get("/api/v1/me").bearer_auth("garbage").send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "token_invalid",
    )
    .await;
    let res = app.get("/api/v1/me").header("authorization", "").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get("www-authenticate").is_some());

    let short = alice
        .create_token(json!({ "name": "short", "scopes": ["publish"], "expires_in": 1 }))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = alice
        .publish_with(
            &short,
            "alice/pkg",
            "1.0.0",
            trove_tarball::simple_package("alice/pkg", "1.0.0", "x"),
        )
        .await;
    expect_error(res, StatusCode::UNAUTHORIZED, "token_expired").await;

    // Read-only token cannot publish; publish token cannot yank or manage tokens/owners.
    let read = alice.create_token(json!({ "name": "ro", "scopes": ["read"] })).await;
    let res = alice
        .publish_with(
            &read,
            "alice/pkg",
            "1.0.0",
            trove_tarball::simple_package("alice/pkg", "1.0.0", "x"),
        )
        .await;
    expect_error(res, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let publish = alice
        .create_token(json!({ "name": "pub", "scopes": ["publish"] }))
        .await;
    let res = alice
        .publish_with(
            &publish,
            "alice/pkg",
            "1.0.0",
            trove_tarball::simple_package("alice/pkg", "1.0.0", "x"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = alice
        .with_token(&publish, Method::PUT, "/api/v1/packages/alice/pkg/versions/1.0.0/yank")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let res = alice
        .with_token(&publish, Method::POST, "/api/v1/tokens")
        .json(&json!({ "name": "x", "scopes": ["admin"] }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let res = alice
        .with_token(&publish, Method::PUT, "/api/v1/packages/alice/pkg/owners/bob")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "insufficient_scope").await;

    // Package patterns limit where a token works.
    let limited = alice
        .create_token(json!({ "name": "lim", "scopes": ["publish"], "packages": ["alice/web-*"] }))
        .await;
    let res = alice
        .publish_with(
            &limited,
            "alice/web-ui",
            "1.0.0",
            trove_tarball::simple_package("alice/web-ui", "1.0.0", "x"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = alice
        .publish_with(
            &limited,
            "alice/pkg",
            "1.0.1",
            trove_tarball::simple_package("alice/pkg", "1.0.1", "x"),
        )
        .await;
    expect_error(res, StatusCode::FORBIDDEN, "token_pattern_mismatch").await;

    // Someone else's token cannot act on alice's package.
    let res = bob
        .req(Method::PUT, "/api/v1/packages/alice/pkg/versions/1.0.0/yank")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;

    // Bad token requests.
    let tokens_before = json_ok(alice.get("/api/v1/tokens").send().await.unwrap()).await;
    for (body, code) in [
        (json!({ "name": "", "scopes": ["read"] }), "invalid_token_name"),
        (json!({ "name": "x", "scopes": [] }), "invalid_scopes"),
        (json!({ "name": "x", "scopes": ["root"] }), "invalid_scopes"),
        (
            json!({ "name": "x", "scopes": ["read"], "packages": ["../etc"] }),
            "invalid_package_pattern",
        ),
        // Patterns that made the old backtracking matcher spin, and unbounded lists.
        (
            json!({ "name": "x", "scopes": ["publish"], "packages": [format!("alice/{}", "*".repeat(120))] }),
            "invalid_package_pattern",
        ),
        (
            json!({ "name": "x", "scopes": ["publish"], "packages": (0..65).map(|i| format!("alice/p{i}")).collect::<Vec<_>>() }),
            "too_many_package_patterns",
        ),
        (
            json!({ "name": "x", "scopes": ["read"], "expires_in": -5 }),
            "invalid_expiry",
        ),
        // A misspelt restriction must not silently mint an unrestricted token.
        (
            json!({ "name": "x", "scopes": ["publish"], "package": ["alice/*"] }),
            "invalid_body",
        ),
        (
            json!({ "name": "x", "scopes": ["publish"], "expires_at": "2030-01-01" }),
            "invalid_body",
        ),
    ] {
        let res = alice
            .req(Method::POST, "/api/v1/tokens")
            .json(&body)
            .send()
            .await
            .unwrap();
        let message = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, code).await;
        if code == "invalid_body" {
            assert!(message.contains("unknown field"), "{message}");
        }
    }
    let tokens_after = json_ok(alice.get("/api/v1/tokens").send().await.unwrap()).await;
    let ids = |v: &serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&tokens_before),
        ids(&tokens_after),
        "refused requests created no token"
    );
    app.stop().await;
}

/// A token limited to some packages cannot mint a token (or approve a device login) that
/// reaches packages outside its patterns.
async fn limited_tokens_cannot_widen_themselves(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let limited = alice
        .create_token(json!({ "name": "limited", "scopes": ["admin"], "packages": ["alice/widget*"] }))
        .await;
    for body in [
        json!({ "name": "wide", "scopes": ["publish"] }),
        json!({ "name": "wide", "scopes": ["publish"], "packages": [] }),
        json!({ "name": "wide", "scopes": ["publish"], "packages": ["alice/*"] }),
        json!({ "name": "wide", "scopes": ["publish"], "packages": ["alice/widget*", "alice/other"] }),
    ] {
        let res = alice
            .with_token(&limited, Method::POST, "/api/v1/tokens")
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(res, StatusCode::FORBIDDEN, "token_pattern_mismatch").await;
    }
    // Within its own patterns it still works.
    let res = alice
        .with_token(&limited, Method::POST, "/api/v1/tokens")
        .json(&json!({ "name": "narrow", "scopes": ["publish"], "packages": ["alice/widget-cli"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // Nor may it approve a device login, whose token covers every package.
    let code = json_ok(
        app.req(Method::POST, "/api/v1/device/code")
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let res = alice
        .with_token(&limited, Method::POST, "/api/v1/device/approve")
        .json(&json!({ "user_code": code["user_code"] }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "token_pattern_mismatch").await;

    // A token that expires cannot create one that outlives it.
    let short = alice
        .create_token(json!({ "name": "short", "scopes": ["admin"], "expires_in": 600 }))
        .await;
    for body in [
        json!({ "name": "forever", "scopes": ["publish"] }),
        json!({ "name": "longer", "scopes": ["publish"], "expires_in": 3600 }),
    ] {
        let res = alice
            .with_token(&short, Method::POST, "/api/v1/tokens")
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(res, StatusCode::FORBIDDEN, "token_expiry_exceeded").await;
    }
    let res = alice
        .with_token(&short, Method::POST, "/api/v1/tokens")
        .json(&json!({ "name": "shorter", "scopes": ["publish"], "expires_in": 60 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = alice
        .with_token(&short, Method::POST, "/api/v1/device/approve")
        .json(&json!({ "user_code": code["user_code"] }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "token_expiry_exceeded").await;
    app.stop().await;
}

/// A token stored with a pathological pattern (~120 stars, as the old validation allowed)
/// once pinned a worker thread per request in exponential backtracking. Matching is linear
/// now: two publishes with it are refused at once and the server keeps answering.
async fn star_patterns_cannot_stall_the_server(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let token = alice
        .create_token(json!({ "name": "ci", "scopes": ["publish"], "packages": ["alice/x*"] }))
        .await;
    let stars = format!("{}b", "*".repeat(120));
    let mut conn = app.services().db.conn().await.unwrap();
    sqlx::query("UPDATE tokens SET patterns = $1 WHERE name = 'ci'")
        .bind(&stars)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let name = format!("alice/{}", "a".repeat(60));
    let started = std::time::Instant::now();
    let versions = ["1.0.0", "1.0.1"];
    let publishes = versions
        .iter()
        .map(|v| alice.publish_with(&token, &name, v, trove_tarball::simple_package(&name, v, "x")));
    for res in futures::future::join_all(publishes).await {
        expect_error(res, StatusCode::FORBIDDEN, "token_pattern_mismatch").await;
    }
    let live = app.get("/health/live").send().await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    app.stop().await;
}

both_backends!(
    star_patterns_cannot_stall_the_server,
    create_list_use_and_revoke,
    wrong_expired_and_underscoped_tokens,
    limited_tokens_cannot_widen_themselves
);
