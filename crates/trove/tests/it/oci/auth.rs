//! `/v2/` challenges, the token service, and which credentials `/v2` accepts.

use super::*;
use trove_testkit::{both_backends, Backend};

async fn base_challenges_anonymous_and_accepts_credentials(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;

    let res = Oci::anonymous(&app).send(Method::GET, "/v2/").await;
    let challenge = header(&res, "www-authenticate");
    assert_eq!(header(&res, "docker-distribution-api-version"), "registry/2.0");
    assert!(
        challenge.starts_with(&format!("Bearer realm=\"{}/v2/token\",service=\"trove\"", app.base)),
        "{challenge}"
    );
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;

    for oci in [
        Oci::user(&app, &alice),
        Oci::basic(&app, "alice", "correct horse"),
        Oci::basic(&app, "alice", &alice.token),
    ] {
        let res = oci.send(Method::GET, "/v2/").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.text().await.unwrap(), "{}");
    }
    for bad in [
        Oci::basic(&app, "alice", "wrong"),
        Oci::basic(&app, "nobody", "correct horse"),
        Oci::token(&app, "trv_not-a-token"),
        Oci::token(&app, "eyJ.bogus.jwt"),
    ] {
        let res = bad.send(Method::GET, "/v2/").await;
        assert!(header(&res, "www-authenticate").starts_with("Bearer realm="));
        oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    }
    // Other methods on the base are unsupported.
    let res = Oci::user(&app, &alice).send(Method::POST, "/v2/").await;
    oci_error(res, StatusCode::METHOD_NOT_ALLOWED, "UNSUPPORTED").await;
    app.stop().await;
}

async fn token_service_grants_only_what_the_caller_may_do(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let _bob = app.user("bob").await;
    Oci::user(&app, &alice).push_image("alice/app", "v1", &[b"layer"]).await;

    let get_token = |oci: Oci, scope: &'static str| async move {
        let res = oci
            .send(Method::GET, &format!("/v2/token?service=trove&scope={scope}"))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["token"], v["access_token"]);
        assert!(v["expires_in"].as_i64().unwrap() > 0);
        v["token"].as_str().unwrap().to_string()
    };

    // alice: push on her repository, nothing on bob's namespace.
    let t = get_token(
        Oci::basic(&app, "alice", "correct horse"),
        "repository:alice/app:pull,push&scope=repository:bob/app:pull,push",
    )
    .await;
    let c = claims(&t);
    assert_eq!(c["sub"], "alice");
    assert_eq!(c["access"][0]["name"], "alice/app");
    assert_eq!(c["access"][0]["actions"], json!(["pull", "push"]));
    assert_eq!(c["access"][1]["actions"], json!([]));
    let with = Oci::token(&app, &t);
    assert_eq!(with.send(Method::GET, "/v2/").await.status(), StatusCode::OK);
    with.push_blob("alice/app", b"with a registry token").await;
    // The token does not cover another repository, even one alice could push to.
    let res = with.send(Method::POST, "/v2/alice/other/blobs/uploads/").await;
    let challenge = header(&res, "www-authenticate");
    assert!(
        challenge.contains("scope=\"repository:alice/other:pull,push\""),
        "{challenge}"
    );
    assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge}");
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    // Nor deletes, which were not asked for.
    let res = with.send(Method::DELETE, "/v2/alice/app/manifests/v1").await;
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;

    // `*` grants every action the caller may do; a space-separated scope list works too.
    let t = get_token(
        Oci::basic(&app, "alice", &alice.token),
        "repository:alice/app:*%20registry:catalog:*",
    )
    .await;
    let c = claims(&t);
    assert_eq!(c["access"][0]["actions"], json!(["pull", "push", "delete"]));
    assert_eq!(c["access"][1]["name"], "catalog");

    // Anonymous callers get pull on public repositories only.
    let t = get_token(Oci::anonymous(&app), "repository:alice/app:pull,push").await;
    let c = claims(&t);
    assert_eq!(c["sub"], "");
    assert_eq!(c["access"][0]["actions"], json!(["pull"]));
    let anon = Oci::token(&app, &t);
    let res = anon.send(Method::GET, "/v2/alice/app/manifests/v1").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = anon.send(Method::POST, "/v2/alice/app/blobs/uploads/").await;
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;

    // An API token limited to reading gets no push.
    let read_only = alice.create_token(json!({"name": "ro", "scopes": ["read"]})).await;
    let t = get_token(Oci::basic(&app, "alice", &read_only), "repository:alice/app:pull,push").await;
    assert_eq!(claims(&t)["access"][0]["actions"], json!(["pull"]));
    // Nor does it push directly.
    let res = Oci::token(&app, &read_only)
        .send(Method::POST, "/v2/alice/app/blobs/uploads/")
        .await;
    oci_error(res, StatusCode::FORBIDDEN, "DENIED").await;
    // An API token limited to other packages gets nothing here.
    let elsewhere = alice
        .create_token(json!({"name": "p", "scopes": ["publish"], "packages": ["alice/zzz"]}))
        .await;
    let t = get_token(Oci::basic(&app, "alice", &elsewhere), "repository:alice/app:push").await;
    assert_eq!(claims(&t)["access"][0]["actions"], json!([]));

    // Wrong credentials are refused with a Basic challenge.
    let res = Oci::basic(&app, "alice", "nope")
        .send(Method::GET, "/v2/token?service=trove&scope=repository:alice/app:pull")
        .await;
    assert!(header(&res, "www-authenticate").starts_with("Basic"));
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;

    // The OAuth2 password grant.
    let res = app
        .req(Method::POST, "/v2/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=password&username=alice&password=correct+horse&service=trove&scope=repository%3Aalice%2Fapp%3Apull")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        claims(v["access_token"].as_str().unwrap())["access"][0]["actions"],
        json!(["pull"])
    );
    let res = app
        .req(Method::POST, "/v2/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=password&username=alice&password=bad")
        .send()
        .await
        .unwrap();
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    app.stop().await;
}

async fn registry_tokens_die_with_their_api_token_and_forgeries_fail(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let api = alice.create_token(json!({"name": "ci", "scopes": ["publish"]})).await;
    let res = Oci::basic(&app, "alice", &api)
        .send(
            Method::GET,
            "/v2/token?service=trove&scope=repository:alice/app:pull,push",
        )
        .await;
    let t = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let oci = Oci::token(&app, &t);
    oci.push_blob("alice/app", b"before revocation").await;

    // A tampered token (alice's claims re-signed by nobody) is refused.
    let mut parts: Vec<String> = t.split('.').map(str::to_string).collect();
    let mut c = claims(&t);
    c["access"][0]["name"] = json!("bob/app");
    use base64::Engine as _;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
    let res = Oci::token(&app, &parts.join(".")).send(Method::GET, "/v2/").await;
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;

    // Revoking the API token ends the registry token too.
    let tokens: Value = json_ok(alice.get("/api/v1/tokens").send().await.unwrap()).await;
    let id = tokens.as_array().unwrap().iter().find(|t| t["name"] == "ci").unwrap()["id"]
        .as_i64()
        .unwrap();
    let res = alice
        .req(Method::DELETE, &format!("/api/v1/tokens/{id}"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let res = oci.send(Method::POST, "/v2/alice/app/blobs/uploads/").await;
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    app.stop().await;
}

/// A mount with a registry token: the token must also grant pull on the source. When the
/// caller could have that, the answer asks for it; when not, the push falls back to an upload.
async fn mounts_with_registry_tokens_ask_for_the_source_scope(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let _bob = app.user("bob").await;
    let d = Oci::user(&app, &alice).push_blob("alice/base", b"base layer").await;
    let token = |user: &'static str, scope: &'static str| {
        let app = &app;
        async move {
            let v: Value = Oci::basic(app, user, "correct horse")
                .send(Method::GET, &format!("/v2/token?service=trove&scope={scope}"))
                .await
                .json()
                .await
                .unwrap();
            Oci::token(app, v["token"].as_str().unwrap())
        }
    };
    let mount = format!("/v2/alice/derived/blobs/uploads/?mount={d}&from=alice/base");
    let narrow = token("alice", "repository:alice/derived:pull,push").await;
    let res = narrow.send(Method::POST, &mount).await;
    let challenge = header(&res, "www-authenticate");
    assert!(
        challenge.contains("scope=\"repository:alice/derived:pull,push repository:alice/base:pull\""),
        "{challenge}"
    );
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let wide = token(
        "alice",
        "repository:alice/derived:pull,push&scope=repository:alice/base:pull",
    )
    .await;
    assert_eq!(wide.send(Method::POST, &mount).await.status(), StatusCode::CREATED);
    // Once alice/base is private, bob may not mount from it: his push uploads instead.
    let res = alice
        .req(Method::PATCH, "/api/v1/packages/alice/base")
        .json(&json!({"visibility": "private"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bobs = token("bob", "repository:bob/copy:pull,push&scope=repository:alice/base:pull").await;
    let res = bobs
        .send(
            Method::POST,
            &format!("/v2/bob/copy/blobs/uploads/?mount={d}&from=alice/base"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED, "falls back to an upload");
    app.stop().await;
}

both_backends!(
    mounts_with_registry_tokens_ask_for_the_source_scope,
    base_challenges_anonymous_and_accepts_credentials,
    token_service_grants_only_what_the_caller_may_do,
    registry_tokens_die_with_their_api_token_and_forgeries_fail
);
