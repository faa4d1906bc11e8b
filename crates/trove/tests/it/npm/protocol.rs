//! The npm protocol by hand: what each endpoint answers.

use super::*;
use trove_testkit::{both_backends, Backend};

/// Full and abbreviated packuments (fields, content types, ETags, 304, `Vary`), both name
/// encodings, tarballs (bytes, digests, counted downloads), versions by number and tag.
async fn packuments_and_tarballs(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let npm = Npm::user(&app, &alice);
    let anon = Npm::anonymous(&app);
    let fields = json!({
        "description": "the a package", "license": "MIT", "keywords": ["alpha", "Beta"],
        "repository": {"type": "git", "url": "git+https://example.com/a.git"},
        "homepage": "https://example.com/a",
        "engines": {"node": ">=18"}, "os": ["linux"], "cpu": ["x64"],
        "peerDependencies": {"@alice/peer": "^1"}, "optionalDependencies": {"@alice/opt": "^2"},
        "scripts": {"postinstall": "node setup.js", "test": "true"},
    });
    let tgz1 = npm.publish("@alice/a", "1.0.0", fields.clone()).await;
    let tgz2 = npm
        .publish("@alice/a", "1.1.0", json!({ "description": "newer" }))
        .await;

    let full = anon.packument("@alice/a").await;
    assert_eq!(full["_id"], "@alice/a");
    assert_eq!(full["name"], "@alice/a");
    assert!(full["_rev"].as_str().unwrap().starts_with("2-"), "{}", full["_rev"]);
    assert_eq!(full["dist-tags"], json!({ "latest": "1.1.0" }));
    assert_eq!(full["description"], "newer");
    assert_eq!(full["maintainers"][0]["name"], "alice");
    assert_eq!(full["readme"], "# @alice/a\n\nThe readme of 1.1.0.\n");
    for key in ["created", "modified", "1.0.0", "1.1.0"] {
        assert!(
            full["time"][key].as_str().unwrap().ends_with('Z'),
            "time.{key}: {}",
            full["time"]
        );
    }
    let v1 = &full["versions"]["1.0.0"];
    assert_eq!(v1["_id"], "@alice/a@1.0.0");
    assert_eq!(v1["_npmUser"]["name"], "alice");
    assert_eq!(v1["license"], "MIT");
    assert_eq!(v1["repository"]["url"], "git+https://example.com/a.git");
    assert_eq!(v1["hasInstallScript"], true);
    let dist = &v1["dist"];
    let tarball_url = format!("{}/npm/@alice/a/-/a-1.0.0.tgz", app.base);
    assert_eq!(dist["tarball"], tarball_url.as_str());
    assert_eq!(dist["shasum"], sha1_hex(&tgz1).as_str());
    assert_eq!(dist["integrity"], integrity(&tgz1).as_str());
    assert_eq!(dist["fileCount"], 3);
    assert!(dist["unpackedSize"].as_u64().unwrap() > 0);
    assert!(full["versions"]["1.1.0"].get("hasInstallScript").is_none());

    // The abbreviated document: what installing needs, with `time` and `modified`.
    let res = anon
        .req(Method::GET, "@alice%2fa")
        .header("accept", INSTALL_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], ABBREVIATED);
    assert_eq!(res.headers()["vary"], "Accept");
    let short_etag = res.headers()["etag"].to_str().unwrap().to_string();
    let short: Value = res.json().await.unwrap();
    assert_eq!(short["name"], "@alice/a");
    assert_eq!(short["modified"], full["time"]["modified"]);
    assert_eq!(short["time"], full["time"]);
    assert!(short.get("readme").is_none() && short.get("maintainers").is_none());
    let s1 = &short["versions"]["1.0.0"];
    assert_eq!(s1["dist"], *dist);
    assert_eq!(s1["engines"], json!({ "node": ">=18" }));
    assert_eq!(
        (s1["os"].clone(), s1["cpu"].clone()),
        (json!(["linux"]), json!(["x64"]))
    );
    assert_eq!(s1["peerDependencies"], json!({ "@alice/peer": "^1" }));
    assert_eq!(s1["optionalDependencies"], json!({ "@alice/opt": "^2" }));
    assert_eq!(s1["hasInstallScript"], true);
    assert!(s1.get("scripts").is_none() && s1.get("license").is_none());

    // Validators: one ETag per representation, 304 on a match, both encodings of the name.
    let res = anon.get("@alice/a").await;
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.headers()["vary"], "Accept");
    let full_etag = res.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(full_etag, short_etag);
    for (accept, etag) in [("application/json", &full_etag), (INSTALL_ACCEPT, &short_etag)] {
        let res = anon
            .req(Method::GET, "@alice%2fa")
            .header("accept", accept)
            .header("if-none-match", etag.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{accept}");
        assert_eq!(res.headers()["etag"], etag.as_str());
    }
    let res = anon
        .req(Method::GET, "@alice%2fa")
        .header("if-none-match", short_etag.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the full document has its own ETag");
    let head = anon.req(Method::HEAD, "@alice/a").send().await.unwrap();
    assert_eq!(head.headers()["etag"], full_etag.as_str());
    // A change is a new ETag and a new revision.
    npm.publish("@alice/a", "1.2.0", json!({})).await;
    let res = anon
        .req(Method::GET, "@alice/a")
        .header("if-none-match", full_etag.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let newer: Value = res.json().await.unwrap();
    assert!(newer["_rev"].as_str().unwrap().starts_with("3-"));

    // One version by number or by dist-tag.
    let v = json_ok(anon.get("@alice%2fa/1.1.0").await).await;
    assert_eq!(
        (v["version"].clone(), v["dist"]["shasum"].clone()),
        (json!("1.1.0"), json!(sha1_hex(&tgz2)))
    );
    let v = json_ok(anon.get("@alice/a/latest").await).await;
    assert_eq!(v["version"], "1.2.0");
    npm_error(anon.get("@alice/a/9.9.9").await, StatusCode::NOT_FOUND, "not_found").await;

    // Tarballs: the bytes published, immutable, counted as downloads of the version.
    for path in ["@alice/a/-/a-1.0.0.tgz", "@alice%2fa/-/a-1.0.0.tgz"] {
        let res = anon.get(path).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["cache-control"].to_str().unwrap().contains("immutable"));
        assert_eq!(res.bytes().await.unwrap().to_vec(), tgz1);
    }
    let res = anon.req(Method::HEAD, "@alice/a/-/a-1.0.0.tgz").send().await.unwrap();
    assert_eq!(res.headers()["content-length"], tgz1.len().to_string().as_str());
    npm_error(
        anon.get("@alice/a/-/a-7.0.0.tgz").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    npm_error(
        anon.get("@alice/a/-/b-1.0.0.tgz").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.flush_downloads().await;
    let stats = json_ok(
        app.get("/api/v1/packages/alice/a/versions/1.0.0/stats")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(stats["total"], 2, "{stats}");

    // The same package in the native API and search, as ecosystem npm.
    let pkg = json_ok(app.get("/api/v1/packages/alice/a").send().await.unwrap()).await;
    assert_eq!(
        (pkg["ecosystem"].clone(), pkg["latest_version"].clone()),
        (json!("npm"), json!("1.2.0"))
    );
    assert_eq!(pkg["keywords"], json!([]), "1.2.0 has no keywords");
    let found = json_ok(app.get("/api/v1/search?q=alice&ecosystem=npm").send().await.unwrap()).await;
    assert_eq!(found["total"], 1, "{found}");
    // Its web page: versions, and how to install it with npm.
    let page = app.get("/packages/alice/a").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    for needle in ["npm install @alice/a", "1.2.0", "1.1.0", "1.0.0"] {
        assert!(page.contains(needle), "the package page shows {needle}");
    }
    app.stop().await;
}

/// A configured public URL is the base of tarball URLs; unscoped names belong to the
/// configured namespace and its packages have one npm name.
async fn base_url_and_unscoped_names(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| {
            c.server.base_url = Some("https://registry.example.com/".into());
            c.npm.unscoped_namespace = Some("internal".into());
        })
        .start()
        .await;
    let alice = app.user("alice").await;
    alice.create_org(json!({ "name": "internal" })).await;
    let npm = Npm::user(&app, &alice);
    let tgz = npm.publish("left-pad", "1.0.0", json!({})).await;
    let doc = npm.packument("left-pad").await;
    assert_eq!(doc["name"], "left-pad");
    assert_eq!(
        doc["versions"]["1.0.0"]["dist"]["tarball"],
        "https://registry.example.com/npm/left-pad/-/left-pad-1.0.0.tgz"
    );
    assert_eq!(
        npm.get("left-pad/-/left-pad-1.0.0.tgz")
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
        tgz
    );
    let pkg = json_ok(app.get("/api/v1/packages/internal/left-pad").send().await.unwrap()).await;
    assert_eq!(pkg["ecosystem"], "npm");
    // Only by its unscoped name.
    let msg = npm_error(
        npm.get("@internal%2fleft-pad").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert!(msg.contains("left-pad"), "{msg}");
    let tgz = tarball("@internal/x", "1.0.0", json!({}));
    let res = npm
        .publish_raw(
            "@internal/x",
            &publish_body("@internal/x", "1.0.0", &tgz, "latest", json!({})),
        )
        .await;
    npm_error(res, StatusCode::NOT_FOUND, "not_found").await;
    // Scoped names of other namespaces work as ever.
    npm.publish("@alice/b", "1.0.0", json!({ "dependencies": { "left-pad": "^1.0.0" } }))
        .await;
    let res = json_ok(app.get("/api/v1/packages/alice/b/versions").send().await.unwrap()).await;
    assert_eq!(res[0]["dependencies"], json!({ "internal/left-pad": "^1.0.0" }));
    let page = app
        .get("/packages/internal/left-pad")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("/packages/alice/b"),
        "left-pad's page lists its dependent @alice/b"
    );
    app.stop().await;

    // Without an unscoped namespace, unscoped names are not served.
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let npm = Npm::user(&app, &alice);
    let msg = npm_error(npm.get("left-pad").await, StatusCode::NOT_FOUND, "not_found").await;
    assert!(msg.contains("scoped packages"), "{msg}");
    let tgz = tarball("left-pad", "1.0.0", json!({}));
    let res = npm
        .publish_raw(
            "left-pad",
            &publish_body("left-pad", "1.0.0", &tgz, "latest", json!({})),
        )
        .await;
    npm_error(res, StatusCode::NOT_FOUND, "not_found").await;
    app.stop().await;
}

/// Dist-tags, deprecations, owners and unpublishing, as npm sends them.
async fn tags_deprecations_owners_unpublish(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let npm = Npm::user(&app, &alice);
    let anon = Npm::anonymous(&app);
    npm.publish("@alice/a", "1.0.0", json!({})).await;
    npm.publish_tagged("@alice/a", "2.0.0-beta.1", "beta", json!({})).await;
    let tags = json_ok(anon.get("-/package/@alice%2fa/dist-tags").await).await;
    assert_eq!(tags, json!({ "latest": "1.0.0", "beta": "2.0.0-beta.1" }));

    // npm dist-tag add / rm.
    let res = npm
        .req(Method::PUT, "-/package/@alice%2fa/dist-tags/stable")
        .json(&json!("1.0.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = npm
        .req(Method::PUT, "-/package/@alice%2fa/dist-tags/latest")
        .json(&json!("2.0.0-beta.1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let pkg = json_ok(app.get("/api/v1/packages/alice/a").send().await.unwrap()).await;
    assert_eq!(pkg["latest_version"], "2.0.0-beta.1", "latest follows the dist-tag");
    for (tag, version, code, status) in [
        ("1.x", "1.0.0", "invalid_tag", StatusCode::BAD_REQUEST),
        ("next", "9.9.9", "not_found", StatusCode::NOT_FOUND),
    ] {
        let res = npm
            .req(Method::PUT, &format!("-/package/@alice%2fa/dist-tags/{tag}"))
            .json(&json!(version))
            .send()
            .await
            .unwrap();
        npm_error(res, status, code).await;
    }
    let res = anon
        .req(Method::PUT, "-/package/@alice%2fa/dist-tags/next")
        .json(&json!("1.0.0"))
        .send()
        .await
        .unwrap();
    npm_error(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let res = Npm::user(&app, &bob)
        .req(Method::DELETE, "-/package/@alice%2fa/dist-tags/stable")
        .send()
        .await
        .unwrap();
    npm_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = npm
        .req(Method::DELETE, "-/package/@alice%2fa/dist-tags/stable")
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_ok(res).await,
        json!({ "latest": "2.0.0-beta.1", "beta": "2.0.0-beta.1" })
    );
    let res = npm
        .req(Method::DELETE, "-/package/@alice%2fa/dist-tags/latest")
        .send()
        .await
        .unwrap();
    npm_error(res, StatusCode::BAD_REQUEST, "latest_tag").await;

    // npm deprecate: the packument sent back with `deprecated` set, then cleared ("").
    let mut doc = npm.packument("@alice/a").await;
    doc["versions"]["1.0.0"]["deprecated"] = json!("use 2.x");
    let res = npm.req(Method::PUT, "@alice%2fa").json(&doc).send().await.unwrap();
    json_ok(res).await;
    let short = anon.abbreviated("@alice/a").await;
    assert_eq!(short["versions"]["1.0.0"]["deprecated"], "use 2.x");
    let res = npm.req(Method::PUT, "@alice%2fa").json(&doc).send().await.unwrap();
    npm_error(res, StatusCode::CONFLICT, "rev_mismatch").await;
    let mut doc = npm.packument("@alice/a").await;
    doc["versions"]["1.0.0"]["deprecated"] = json!("");
    json_ok(npm.req(Method::PUT, "@alice%2fa").json(&doc).send().await.unwrap()).await;
    assert!(anon.packument("@alice/a").await["versions"]["1.0.0"]
        .get("deprecated")
        .is_none());

    // npm owner add / rm: {_id, _rev, maintainers}.
    let doc = npm.packument("@alice/a").await;
    let user = json_ok(anon.get("-/user/org.couchdb.user:bob").await).await;
    assert_eq!((user["name"].clone(), user["email"].clone()), (json!("bob"), json!("")));
    npm_error(
        anon.get("-/user/org.couchdb.user:nobody").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let body = json!({ "_id": "@alice/a", "_rev": doc["_rev"], "maintainers": [{"name": "alice"}, {"name": "bob"}] });
    let path = format!("@alice%2fa/-rev/{}", doc["_rev"].as_str().unwrap());
    json_ok(npm.req(Method::PUT, &path).json(&body).send().await.unwrap()).await;
    let owners = anon.packument("@alice/a").await["maintainers"].clone();
    assert_eq!(
        owners,
        json!([{ "name": "alice", "email": "" }, { "name": "bob", "email": "" }])
    );
    let doc = npm.packument("@alice/a").await;
    let body = json!({ "_id": "@alice/a", "_rev": doc["_rev"], "maintainers": [] });
    let path = format!("@alice%2fa/-rev/{}", doc["_rev"].as_str().unwrap());
    npm_error(
        npm.req(Method::PUT, &path).json(&body).send().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "no_maintainers",
    )
    .await;
    let body = json!({ "_id": "@alice/a", "_rev": doc["_rev"], "maintainers": [{"name": "alice"}] });
    json_ok(npm.req(Method::PUT, &path).json(&body).send().await.unwrap()).await;

    // npm unpublish <pkg>@<version>: the packument without it, then the tarball's DELETE.
    let mut doc = npm.packument("@alice/a").await;
    let rev = doc["_rev"].as_str().unwrap().to_string();
    doc["versions"].as_object_mut().unwrap().remove("2.0.0-beta.1");
    let res = Npm::user(&app, &bob)
        .req(Method::PUT, &format!("@alice%2fa/-rev/{rev}"))
        .json(&doc)
        .send()
        .await
        .unwrap();
    npm_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    json_ok(
        npm.req(Method::PUT, &format!("@alice%2fa/-rev/{rev}"))
            .json(&doc)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let rev = npm.packument("@alice/a").await["_rev"].as_str().unwrap().to_string();
    let res = npm
        .req(Method::DELETE, &format!("@alice/a/-/a-2.0.0-beta.1.tgz/-rev/{rev}"))
        .send()
        .await
        .unwrap();
    json_ok(res).await;
    let doc = anon.packument("@alice/a").await;
    assert_eq!(doc["versions"].as_object().unwrap().len(), 1);
    // `latest` pointed at the unpublished version: it moves to what is left; `beta` goes.
    assert_eq!(doc["dist-tags"], json!({ "latest": "1.0.0" }));
    npm_error(
        anon.get("@alice/a/-/a-2.0.0-beta.1.tgz").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Its number is never used again.
    let tgz = tarball("@alice/a", "2.0.0-beta.1", json!({}));
    let res = npm
        .publish_raw(
            "@alice/a",
            &publish_body("@alice/a", "2.0.0-beta.1", &tgz, "latest", json!({})),
        )
        .await;
    npm_error(res, StatusCode::CONFLICT, "version_deleted").await;

    // npm unpublish <pkg> --force: everything, then the package is gone.
    let rev = npm.packument("@alice/a").await["_rev"].as_str().unwrap().to_string();
    json_ok(
        npm.req(Method::DELETE, &format!("@alice%2fa/-rev/{rev}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    npm_error(anon.get("@alice%2fa").await, StatusCode::NOT_FOUND, "not_found").await;
    npm.publish("@alice/a", "3.0.0", json!({})).await;
    assert_eq!(
        anon.packument("@alice/a").await["dist-tags"],
        json!({ "latest": "3.0.0" })
    );
    app.stop().await;
}

/// Unpublishing follows the native deletes' grace period: afterwards only a site admin may.
async fn unpublish_grace_period(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.limits.delete_grace_hours = 0)
        .start()
        .await;
    let alice = app.user("alice").await;
    let admin = app.admin("ops").await;
    let npm = Npm::user(&app, &alice);
    npm.publish("@alice/a", "1.0.0", json!({})).await;
    npm.publish("@alice/a", "1.0.1", json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let rev = npm.packument("@alice/a").await["_rev"].as_str().unwrap().to_string();
    let res = npm
        .req(Method::DELETE, &format!("@alice%2fa/-rev/{rev}"))
        .send()
        .await
        .unwrap();
    npm_error(res, StatusCode::FORBIDDEN, "grace_period_over").await;
    let res = npm
        .req(Method::DELETE, "@alice/a/-/a-1.0.1.tgz/-rev/x")
        .send()
        .await
        .unwrap();
    npm_error(res, StatusCode::FORBIDDEN, "grace_period_over").await;
    assert_eq!(
        npm.packument("@alice/a").await["versions"].as_object().unwrap().len(),
        2
    );
    let res = Npm::user(&app, &admin)
        .req(Method::DELETE, "@alice/a/-/a-1.0.1.tgz/-rev/x")
        .send()
        .await
        .unwrap();
    json_ok(res).await;
    assert_eq!(npm.packument("@alice/a").await["dist-tags"]["latest"], "1.0.0");
    app.stop().await;
}

/// Legacy login and adduser hand out tokens; whoami; the login endpoint is rate limited as
/// a login; search and audit answer in npm's shapes.
async fn logins_whoami_search_audit(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.rate_limits.login_attempts_per_minute = 4)
        .start()
        .await;
    let _alice = app.user("alice").await;
    let anon = Npm::anonymous(&app);
    let login = |name: &str, password: &str, email: Option<&str>| {
        let mut body = json!({ "_id": format!("org.couchdb.user:{name}"), "name": name, "password": password,
                               "type": "user", "roles": [], "date": "2025-01-01T00:00:00.000Z" });
        if let Some(e) = email {
            body["email"] = json!(e);
        }
        anon.req(Method::PUT, &format!("-/user/org.couchdb.user:{name}"))
            .json(&body)
            .send()
    };
    let res = login("alice", "correct horse", None).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    let token = v["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("trv_"));
    let who = json_ok(Npm::with_token(&app, &token).get("-/whoami").await).await;
    assert_eq!(who, json!({ "username": "alice" }));
    npm_error(anon.get("-/whoami").await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    npm_error(
        login("alice", "wrong password", None).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    // adduser: a new account (registration is open), then a token for it.
    let res = login("carol", "carol's password", Some("carol@example.com"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        json_ok(Npm::with_token(&app, &token).get("-/whoami").await).await["username"],
        "carol"
    );
    // A stale token in the header does not stand in the way of logging in again.
    let res = Npm::with_token(&app, "trv_revoked")
        .req(Method::PUT, "-/user/org.couchdb.user:carol")
        .json(&json!({ "name": "carol", "password": "carol's password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // Counted as logins per IP and username: the fifth attempt in the minute is refused.
    for _ in 0..2 {
        let res = login("carol", "nope", None).await.unwrap();
        npm_error(res, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    let res = login("carol", "nope", None).await.unwrap();
    let msg = npm_error(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert!(msg.contains("too many"), "{msg}");

    // Bad tokens are refused, not served anonymously.
    let res = Npm::with_token(&app, "trv_nonsense").get("-/whoami").await;
    npm_error(res, StatusCode::UNAUTHORIZED, "token_invalid").await;

    let alice = app.login("alice").await;
    let npm = Npm::user(&app, &alice);
    npm.publish(
        "@alice/searchable-widget",
        "1.0.0",
        json!({ "description": "finds widgets", "keywords": ["widget"] }),
    )
    .await;
    alice.publish("alice/native-widget", "1.0.0").await;
    let found = json_ok(anon.get("-/v1/search?text=widget&size=5").await).await;
    assert_eq!(found["total"], 1, "only npm packages: {found}");
    let p = &found["objects"][0]["package"];
    assert_eq!(
        (p["name"].clone(), p["version"].clone(), p["description"].clone()),
        (
            json!("@alice/searchable-widget"),
            json!("1.0.0"),
            json!("finds widgets")
        )
    );

    // npm audit's bulk request (gzip) and the older quick audit: no advisories yet.
    let body = serde_json::to_vec(&json!({ "@alice/searchable-widget": ["1.0.0"] })).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &body).unwrap();
    let res = anon
        .req(Method::POST, "-/npm/v1/security/advisories/bulk")
        .header("content-encoding", "gzip")
        .header("content-type", "application/json")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(json_ok(res).await, json!({}));
    let res = anon
        .req(Method::POST, "-/npm/v1/security/audits/quick")
        .json(&json!({ "name": "x", "requires": { "@alice/searchable-widget": "^1" }, "dependencies": {} }))
        .send()
        .await
        .unwrap();
    let quick = json_ok(res).await;
    assert_eq!(quick["metadata"]["vulnerabilities"]["critical"], 0);
    let res = anon
        .req(Method::POST, "-/npm/v1/security/advisories/bulk")
        .header("content-encoding", "gzip")
        .body("not gzip")
        .send()
        .await
        .unwrap();
    npm_error(res, StatusCode::BAD_REQUEST, "bad_body").await;
    assert_eq!(json_ok(anon.get("-/ping").await).await, json!({}));
    app.stop().await;
}

both_backends!(
    packuments_and_tarballs,
    base_url_and_unscoped_names,
    tags_deprecations_owners_unpublish,
    unpublish_grace_period,
    logins_whoami_search_audit,
);
