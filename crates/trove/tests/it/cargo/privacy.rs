//! Registries that require a token (`auth-required`): anonymous requests get 401 with
//! `WWW-Authenticate: Cargo login_url=…`; outsiders with a token see a private crate exactly
//! as a missing one, for reads and writes; real cargo works with the token (the `cargo:token`
//! credential provider sends it for the index and downloads) and is refused without it.

use super::*;
use trove_testkit::{both_backends, Backend};

both_backends!(private_registry_over_http, private_registry_with_cargo);

async fn private_registry_over_http(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_org(json!({ "name": "acme" })).await;
    // Only namespace admins change the setting; outsiders as for a missing namespace.
    let res = bob
        .req(Method::PUT, "/cargo/acme/settings")
        .json(&json!({ "auth_required": true }))
        .send()
        .await
        .unwrap();
    expect_cargo_error(res, StatusCode::FORBIDDEN).await;
    require_auth(&app, &alice, "acme").await;

    let res = app.get("/cargo/acme/index/config.json").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert_eq!(challenge, format!("Cargo login_url=\"{}/dashboard/tokens\"", app.base));
    let config = call(&app, Method::GET, "/cargo/acme/index/config.json", Some(&alice.token)).await;
    let config = json_ok(config).await;
    assert_eq!(config["auth-required"], true);

    publish_crate(&app, &alice, "acme", "secret", "1.0.0").await;
    let cargo = app.services().packages().of(trove_core::Ecosystem::Cargo);
    let pkg = cargo.releases(&trove_service::Ctx::anonymous(), "acme", "secret").await;
    assert_eq!(
        pkg.unwrap_err().kind,
        trove_service::ErrorKind::NotFound,
        "private: anonymous cannot see it"
    );
    let index = "/cargo/acme/index/se/cr/secret";
    let dl = "/cargo/acme/api/v1/crates/secret/1.0.0/download";
    for path in [index, dl, "/cargo/acme/api/v1/crates?q=secret"] {
        let res = app.get(path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(res.headers().contains_key("www-authenticate"));
        let res = call(&app, Method::GET, path, Some(&alice.token)).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }

    // Bob (a token, not a member) sees the private crate as a missing one, on every path.
    let as_bob = |m: Method, p: &str| app.req(m, p).header("authorization", &bob.token);
    let pairs = [
        (
            Method::GET,
            index.to_string(),
            "/cargo/acme/index/mi/ss/missing".to_string(),
        ),
        (
            Method::GET,
            dl.to_string(),
            "/cargo/acme/api/v1/crates/missing/1.0.0/download".into(),
        ),
        (
            Method::GET,
            "/cargo/acme/api/v1/crates/secret/owners".into(),
            "/cargo/acme/api/v1/crates/missing/owners".into(),
        ),
        (
            Method::DELETE,
            "/cargo/acme/api/v1/crates/secret/1.0.0/yank".into(),
            "/cargo/acme/api/v1/crates/missing/1.0.0/yank".into(),
        ),
        (
            Method::PUT,
            "/cargo/acme/api/v1/crates/secret/1.0.0/unyank".into(),
            "/cargo/acme/api/v1/crates/missing/1.0.0/unyank".into(),
        ),
    ];
    for (method, private, missing) in pairs {
        let a = as_bob(method.clone(), &private).send().await.unwrap();
        let b = as_bob(method.clone(), &missing).send().await.unwrap();
        assert_eq!(a.status(), StatusCode::NOT_FOUND, "{method} {private}");
        assert_eq!(b.status(), a.status(), "{method} {missing}");
        let (ta, tb) = (a.text().await.unwrap(), b.text().await.unwrap());
        assert_eq!(ta.replace("secret", "missing"), tb, "{method} {private}");
    }
    let owners = |name: &str| {
        as_bob(Method::PUT, &format!("/cargo/acme/api/v1/crates/{name}/owners")).json(&json!({ "users": ["bob"] }))
    };
    let (a, b) = (
        owners("secret").send().await.unwrap(),
        owners("missing").send().await.unwrap(),
    );
    assert_eq!((a.status(), b.status()), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    // Publishing a new version of it answers as publishing a new crate there.
    let body = |name: &str| {
        wire(
            &metadata(name, "2.0.0", json!([])),
            &crate_file(&format!("{name}-2.0.0"), name, "2.0.0"),
        )
    };
    let a = publish_raw(&app, &bob.token, "acme", body("secret")).await;
    let b = publish_raw(&app, &bob.token, "acme", body("missing")).await;
    assert_eq!(a.status(), b.status());
    assert_eq!(a.status(), StatusCode::FORBIDDEN);
    let (ta, tb) = (a.text().await.unwrap(), b.text().await.unwrap());
    assert_eq!(ta.replace("secret", "missing"), tb);
    let search = "/cargo/acme/api/v1/crates?q=secret";
    let found = json_ok(call(&app, Method::GET, search, Some(&bob.token)).await).await;
    assert_eq!(found["meta"]["total"], 0);
    app.stop().await;
}

async fn private_registry_with_cargo(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.create_org(json!({ "name": "acme" })).await;
    require_auth(&app, &alice, "acme").await;
    let work = tempfile::tempdir().unwrap();
    let home = CargoHome::new(&app.base, &[("acme", "acme")], None);
    let toml = "[package]\nname = \"secret\"\nversion = \"1.0.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"private\"\n";
    let lib = project(work.path(), "secret", toml, "lib.rs", "pub fn secret() -> u32 { 7 }\n");
    let env = [("CARGO_REGISTRIES_ACME_TOKEN", alice.token.as_str())];
    home.ok(&lib, &["publish", "--registry", "acme", "--no-verify"], &env)
        .await;

    let app_toml = "[package]\nname = \"user\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nsecret = { version = \"1\", registry = \"acme\" }\n";
    let user = project(
        work.path(),
        "user",
        app_toml,
        "main.rs",
        "fn main() { println!(\"{}\", secret::secret()); }\n",
    );
    assert_eq!(home.ok(&user, &["run", "-q"], &env).await.trim(), "7");

    // Without a token cargo is refused (and says the registry needs one).
    let bare = CargoHome::new(&app.base, &[("acme", "acme")], None);
    std::fs::remove_file(user.join("Cargo.lock")).unwrap();
    let (ok, out, err) = bare.run(&user, &["generate-lockfile"], &[]).await;
    assert!(!ok, "{out}{err}");
    assert!(err.contains("token") || err.contains("401"), "{err}");
    // An outsider's token: the crate does not exist for them.
    let bob_env = [("CARGO_REGISTRIES_ACME_TOKEN", bob.token.as_str())];
    let (ok, out, err) = bare.run(&user, &["generate-lockfile"], &bob_env).await;
    assert!(!ok, "{out}{err}");
    assert!(err.contains("secret"), "{err}");
    app.stop().await;
}
