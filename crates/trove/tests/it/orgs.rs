use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use trove_testkit::{both_backends, Backend};

async fn organizations_members_and_roles(b: Backend) {
    let app = TestApp::new(b).await;
    let owner = app.user("olivia").await;
    let writer = app.user("walter").await;
    let reader = app.user("rita").await;
    let outsider = app.user("oscar").await;

    let res = owner
        .req(Method::POST, "/api/v1/orgs")
        .json(&json!({ "name": "acme", "description": "Acme Corp" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let org = json_ok(res).await;
    assert_eq!(
        org["members"],
        json!([{ "username": "olivia", "role": "owner", "since": org["members"][0]["since"] }])
    );
    // Org names share the namespace with users.
    let res = owner
        .req(Method::POST, "/api/v1/orgs")
        .json(&json!({ "name": "walter" }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::CONFLICT, "name_taken").await;
    let res = owner
        .req(Method::POST, "/api/v1/orgs")
        .json(&json!({ "name": "a.c.m.e" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "a.c.m.e normalizes to a-c-m-e, not acme"
    );
    let res = owner
        .req(Method::POST, "/api/v1/orgs")
        .json(&json!({ "name": "ACME" }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_name").await;

    let set = |who: &TestUser, user: &str, role: &str| {
        who.req(Method::PUT, &format!("/api/v1/orgs/acme/members/{user}"))
            .json(&json!({ "role": role }))
            .send()
    };
    assert_eq!(set(&owner, "walter", "write").await.unwrap().status(), StatusCode::OK);
    assert_eq!(set(&owner, "rita", "read").await.unwrap().status(), StatusCode::OK);
    expect_error(
        set(&outsider, "oscar", "owner").await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        set(&writer, "oscar", "read").await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        set(&owner, "nobody", "read").await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        set(&owner, "oscar", "god").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_role",
    )
    .await;

    // Writers publish into the org; readers and outsiders cannot.
    writer.publish("acme/rocket", "1.0.0").await;
    let pkg = |v: &str| trove_tarball::simple_package("acme/anvil", v, "x");
    expect_error(
        reader.publish_bytes("acme/anvil", "1.0.0", pkg("1.0.0")).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        outsider.publish_bytes("acme/anvil", "1.0.0", pkg("1.0.0")).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Writers can publish new versions of any org package and yank them.
    writer.publish("acme/rocket", "1.1.0").await;
    let res = writer
        .req(Method::PUT, "/api/v1/packages/acme/rocket/versions/1.0.0/yank")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Admins manage members but cannot mint owners.
    assert_eq!(set(&owner, "walter", "admin").await.unwrap().status(), StatusCode::OK);
    expect_error(
        set(&writer, "rita", "owner").await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(set(&writer, "rita", "write").await.unwrap().status(), StatusCode::OK);

    // The last owner can neither leave nor be demoted.
    let res = owner
        .req(Method::DELETE, "/api/v1/orgs/acme/members/olivia")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::CONFLICT, "last_owner").await;
    expect_error(
        set(&owner, "olivia", "read").await.unwrap(),
        StatusCode::CONFLICT,
        "last_owner",
    )
    .await;

    // Removing a member takes their rights away.
    assert_eq!(
        owner
            .req(Method::DELETE, "/api/v1/orgs/acme/members/rita")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    let org = json_ok(app.get("/api/v1/orgs/acme").send().await.unwrap()).await;
    let names: Vec<_> = org["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["olivia", "walter"]);
    let res = owner
        .req(Method::DELETE, "/api/v1/orgs/acme/members/rita")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(
        app.get("/api/v1/orgs/nope").send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // A user's namespace is not an org.
    expect_error(
        app.get("/api/v1/orgs/walter").send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let me = json_ok(writer.get("/api/v1/me").send().await.unwrap()).await;
    assert_eq!(me["organizations"], json!([{ "name": "acme", "role": "admin" }]));
    app.stop().await;
}

both_backends!(organizations_members_and_roles);
