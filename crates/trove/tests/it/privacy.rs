use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use trove_testkit::{both_backends, Backend};

async fn private_packages_are_404_to_outsiders(b: Backend) {
    let app = TestApp::new(b).await;
    let owner = app.user("olivia").await;
    let member = app.user("mia").await;
    let outsider = app.user("oscar").await;
    owner
        .req(Method::POST, "/api/v1/orgs")
        .json(&json!({ "name": "acme" }))
        .send()
        .await
        .unwrap();
    owner
        .req(Method::PUT, "/api/v1/orgs/acme/members/mia")
        .json(&json!({ "role": "read" }))
        .send()
        .await
        .unwrap();
    let res = owner
        .req(
            Method::PUT,
            "/api/v1/packages/acme/secret/versions/1.0.0?visibility=private",
        )
        .body(trove_tarball::simple_package("acme/secret", "1.0.0", "top secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    owner.publish("acme/open", "1.0.0").await;

    let paths = [
        "/api/v1/packages/acme/secret",
        "/api/v1/packages/acme/secret/versions",
        "/api/v1/packages/acme/secret/versions/1.0.0",
        "/api/v1/packages/acme/secret/versions/1.0.0/download",
        "/api/v1/packages/acme/secret/owners",
    ];
    for path in paths {
        expect_error(app.get(path).send().await.unwrap(), StatusCode::NOT_FOUND, "not_found").await;
        expect_error(
            outsider.get(path).send().await.unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert_eq!(
            member.get(path).send().await.unwrap().status(),
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(owner.get(path).send().await.unwrap().status(), StatusCode::OK, "{path}");
    }
    // The 404 is identical to a package that does not exist.
    let missing = app
        .get("/api/v1/packages/acme/nothing")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let hidden = app
        .get("/api/v1/packages/acme/secret")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(missing.replace("nothing", "X"), hidden.replace("secret", "X"));
    // Write attempts by outsiders reveal nothing either.
    for (m, path) in [
        (Method::PUT, "/api/v1/packages/acme/secret/versions/1.0.0/yank"),
        (Method::DELETE, "/api/v1/packages/acme/secret/versions/1.0.0"),
    ] {
        expect_error(
            outsider.req(m, path).send().await.unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    // Listings hide it.
    let names = |v: serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(json_ok(app.get("/api/v1/namespaces/acme/packages").send().await.unwrap()).await),
        ["open"]
    );
    assert_eq!(
        names(json_ok(member.get("/api/v1/namespaces/acme/packages").send().await.unwrap()).await),
        ["open", "secret"]
    );
    // A read member cannot yank; a token limited to other packages cannot read it.
    expect_error(
        member
            .req(Method::PUT, "/api/v1/packages/acme/secret/versions/1.0.0/yank")
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let other = member
        .create_token(json!({ "name": "other", "scopes": ["read"], "packages": ["acme/open"] }))
        .await;
    expect_error(
        member
            .with_token(&other, Method::GET, "/api/v1/packages/acme/secret")
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // A private download is not publicly cacheable.
    let res = member
        .get("/api/v1/packages/acme/secret/versions/1.0.0/download")
        .send()
        .await
        .unwrap();
    assert!(res.headers()["cache-control"].to_str().unwrap().starts_with("private"));

    // Making it public reveals it; only managers may change visibility.
    let res = member
        .req(Method::PATCH, "/api/v1/packages/acme/secret")
        .json(&json!({ "visibility": "public" }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = owner
        .req(Method::PATCH, "/api/v1/packages/acme/secret")
        .json(&json!({ "visibility": "hidden" }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    let p = json_ok(
        owner
            .req(Method::PATCH, "/api/v1/packages/acme/secret")
            .json(&json!({ "visibility": "public" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p["visibility"], "public");
    assert_eq!(
        app.get("/api/v1/packages/acme/secret").send().await.unwrap().status(),
        StatusCode::OK
    );
    app.stop().await;
}

/// Publishing to a private package one cannot see answers exactly as publishing to a
/// package that does not exist (same status and body but for the name), for strangers,
/// read members and tokens limited to other packages.
async fn private_and_missing_packages_answer_publishes_alike(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let res = alice
        .req(
            Method::PUT,
            "/api/v1/packages/alice/secret/versions/1.0.0?visibility=private",
        )
        .body(trove_tarball::simple_package("alice/secret", "1.0.0", "top secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let limited = alice
        .create_token(json!({ "name": "other", "scopes": ["publish", "read"], "packages": ["alice/open*"] }))
        .await;
    for (who, token) in [("bob", bob.token.clone()), ("limited token", limited)] {
        let mut answers = Vec::new();
        for name in ["secret", "nothere"] {
            let full = format!("alice/{name}");
            let res = bob
                .with_token(&token, Method::PUT, &format!("/api/v1/packages/{full}/versions/2.0.0"))
                .body(trove_tarball::simple_package(&full, "2.0.0", "x"))
                .send()
                .await
                .unwrap();
            let status = res.status();
            answers.push((status, res.text().await.unwrap().replace(&full, "NAME")));
        }
        assert_eq!(answers[0], answers[1], "{who}");
        assert_eq!(answers[0].0, StatusCode::FORBIDDEN, "{who}");
    }
    app.stop().await;
}

both_backends!(
    private_and_missing_packages_answer_publishes_alike,
    private_packages_are_404_to_outsiders
);
