//! Private npm packages (`npm publish --access restricted`, or made private in Trove) are
//! answered to outsiders exactly as missing ones, on every path, writes included.

use super::*;
use trove_testkit::{both_backends, Backend};

/// Status and body of a request, with the package's name replaced so that answers about
/// different packages compare.
async fn answer(res: Response, name: &str) -> (StatusCode, String) {
    let status = res.status();
    let text = res.text().await.unwrap().replace(name, "<name>");
    (status, text)
}

async fn private_packages_are_missing_to_outsiders(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let mia = app.user("mia").await;
    let oscar = app.user("oscar").await;
    alice.create_org(json!({ "name": "acme" })).await;
    alice.set_member("acme", "mia", "read").await;
    let npm = Npm::user(&app, &alice);

    let tgz = tarball("@acme/secret", "1.0.0", json!({}));
    let mut body = publish_body("@acme/secret", "1.0.0", &tgz, "latest", json!({}));
    body["access"] = json!("restricted");
    assert_eq!(
        npm.publish_raw("@acme/secret", &body).await.status(),
        StatusCode::CREATED
    );
    let pkg = json_ok(alice.get("/api/v1/packages/acme/secret").send().await.unwrap()).await;
    assert_eq!(pkg["visibility"], "private");
    npm.publish("@acme/open", "1.0.0", json!({})).await;

    let limited = alice
        .create_token(json!({ "name": "open only", "scopes": ["read"], "packages": ["acme/open"] }))
        .await;
    let outsiders = [
        ("anonymous", Npm::anonymous(&app)),
        ("oscar", Npm::user(&app, &oscar)),
        ("a token for other packages", Npm::with_token(&app, &limited)),
    ];
    let reads = [
        "{}",
        "{}/1.0.0",
        "{}/latest",
        "{}/-/secret-1.0.0.tgz",
        "-/package/{}/dist-tags",
        "-/package/{}/visibility",
        "-/package/{}/collaborators",
    ];
    for (who, client) in &outsiders {
        for path in reads {
            for accept in ["application/json", INSTALL_ACCEPT] {
                let secret = client
                    .req(Method::GET, &path.replace("{}", "@acme%2fsecret"))
                    .header("accept", accept)
                    .send()
                    .await
                    .unwrap();
                let missing = client
                    .req(
                        Method::GET,
                        &path.replace("{}", "@acme%2fnothing").replace("secret-", "nothing-"),
                    )
                    .header("accept", accept)
                    .send()
                    .await
                    .unwrap();
                let (secret, missing) = (answer(secret, "secret").await, answer(missing, "nothing").await);
                assert_eq!(secret.0, StatusCode::NOT_FOUND, "{who} GET {path}: {}", secret.1);
                assert_eq!(secret, missing, "{who} GET {path}");
            }
        }
        // Writes answer as writes to a package that does not exist.
        let rev = npm.packument("@acme/secret").await["_rev"]
            .as_str()
            .unwrap()
            .to_string();
        let tgz2 = tarball("@acme/secret", "1.0.1", json!({}));
        let tgz_missing = tarball("@acme/nothing", "1.0.1", json!({}));
        let writes: Vec<(Method, String, Option<Value>, Option<Value>)> = vec![
            (
                Method::PUT,
                "{}".into(),
                Some(publish_body("@acme/secret", "1.0.1", &tgz2, "latest", json!({}))),
                Some(publish_body(
                    "@acme/nothing",
                    "1.0.1",
                    &tgz_missing,
                    "latest",
                    json!({}),
                )),
            ),
            (
                Method::PUT,
                format!("{{}}/-rev/{rev}"),
                Some(json!({ "_id": "@acme/secret", "_rev": rev, "maintainers": [{"name": "oscar"}] })),
                Some(json!({ "_id": "@acme/nothing", "_rev": rev, "maintainers": [{"name": "oscar"}] })),
            ),
            (Method::DELETE, format!("{{}}/-rev/{rev}"), None, None),
            (Method::DELETE, "{}/-/secret-1.0.0.tgz/-rev/1".into(), None, None),
            (
                Method::PUT,
                "-/package/{}/dist-tags/next".into(),
                Some(json!("1.0.0")),
                Some(json!("1.0.0")),
            ),
            (Method::DELETE, "-/package/{}/dist-tags/latest".into(), None, None),
            (
                Method::POST,
                "-/package/{}/access".into(),
                Some(json!({ "access": "public" })),
                Some(json!({ "access": "public" })),
            ),
        ];
        for (method, path, secret_body, missing_body) in writes {
            let send = |name: &str, body: Option<Value>| {
                let mut r = client.req(
                    method.clone(),
                    &path
                        .replace("{}", &format!("@acme%2f{name}"))
                        .replace("secret-", &format!("{name}-")),
                );
                if let Some(b) = body {
                    r = r.json(&b);
                }
                r.send()
            };
            let secret = answer(send("secret", secret_body).await.unwrap(), "secret").await;
            let missing = answer(send("nothing", missing_body).await.unwrap(), "nothing").await;
            assert!(secret.0.is_client_error(), "{who} {method} {path}: {}", secret.1);
            assert_eq!(secret, missing, "{who} {method} {path}");
        }
    }
    // The package is as it was.
    let doc = npm.packument("@acme/secret").await;
    assert_eq!(doc["versions"].as_object().unwrap().len(), 1);
    assert_eq!(doc["dist-tags"], json!({ "latest": "1.0.0" }));
    assert_eq!(doc["maintainers"], json!([{ "name": "alice", "email": "" }]));

    // Members read it; the private packument is not for shared caches.
    let member = Npm::user(&app, &mia);
    let res = member
        .req(Method::GET, "@acme%2fsecret")
        .header("accept", INSTALL_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "private, no-cache");
    assert_eq!(
        member
            .get("@acme/secret/-/secret-1.0.0.tgz")
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
        tgz
    );
    // A read member may not publish.
    let tgz2 = tarball("@acme/secret", "1.0.1", json!({}));
    let res = member
        .publish_raw(
            "@acme/secret",
            &publish_body("@acme/secret", "1.0.1", &tgz2, "latest", json!({})),
        )
        .await;
    npm_error(res, StatusCode::FORBIDDEN, "forbidden").await;

    // A public package made private is gone for outsiders at once (no stale cached packument).
    let anon = Npm::anonymous(&app);
    assert_eq!(anon.get("@acme%2fopen").await.status(), StatusCode::OK);
    let res = alice
        .req(Method::PATCH, "/api/v1/packages/acme/open")
        .json(&json!({ "visibility": "private" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    npm_error(anon.get("@acme%2fopen").await, StatusCode::NOT_FOUND, "not_found").await;
    npm_error(
        anon.get("@acme/open/-/open-1.0.0.tgz").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

both_backends!(private_packages_are_missing_to_outsiders);
