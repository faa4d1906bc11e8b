//! Private projects: outsiders get exactly what a missing project gets on every path (the
//! simple pages, the files, the JSON API, uploads); the owner's pip, with credentials in the
//! index URL, installs them.

use super::*;
use trove_testkit::Backend;

/// Alice's context, as the service sees her token.
pub async fn ctx_of(app: &TestApp, token: &str) -> trove_service::Ctx {
    let principal = app.services().accounts().authenticate_token(token).await.unwrap();
    trove_service::Ctx {
        principal: Some(principal),
        ip: None,
    }
}

/// Status and body of a GET, with optional Basic credentials.
async fn get(app: &TestApp, path: &str, creds: Option<(&str, &str)>) -> (StatusCode, String) {
    let mut req = app.get(path).header("accept", JSON_V1);
    if let Some((u, p)) = creds {
        req = req.basic_auth(u, Some(p));
    }
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn private_projects(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dists = build_project(w, "secret-pkg", "1.0", &[]).await;
    let up = twine_upload(&app, w, "alice", &alice.token, &dists, &[]).await;
    assert!(up.ok, "{}", up.output);
    let wheel = dists[1].file_name().unwrap().to_string_lossy().to_string();
    // Read anonymously while public (both formats), so this node caches the pages: making
    // it private must still hide it at once.
    for accept in ["text/html", "application/vnd.pypi.simple.v1+json"] {
        let res = app
            .get("/pypi/alice/simple/secret-pkg/")
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let again = app
            .get("/pypi/alice/simple/secret-pkg/")
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert!(again.text().await.unwrap().contains("secret"), "{accept}");
    }
    app.services()
        .packages()
        .of(trove_core::Ecosystem::Pypi)
        .set_visibility(
            &ctx_of(&app, &alice.token).await,
            "alice",
            "secret-pkg",
            trove_core::Visibility::Private,
        )
        .await
        .unwrap();

    // Outsiders (anonymous, or bob) see it exactly as a project that never existed.
    for creds in [None, Some(("__token__", bob.token.as_str())), Some(("bob", PASSWORD))] {
        for (secret, missing) in [
            (
                "/pypi/alice/simple/secret-pkg/".to_string(),
                "/pypi/alice/simple/nothing-here/".to_string(),
            ),
            (
                format!("/pypi/alice/files/secret-pkg/{wheel}"),
                format!("/pypi/alice/files/nothing-here/{wheel}"),
            ),
            (
                format!("/pypi/alice/files/secret-pkg/{wheel}.metadata"),
                format!("/pypi/alice/files/nothing-here/{wheel}.metadata"),
            ),
            (
                "/pypi/alice/secret-pkg/json".to_string(),
                "/pypi/alice/nothing-here/json".to_string(),
            ),
        ] {
            let a = get(&app, &secret, creds).await;
            assert_eq!(a.0, StatusCode::NOT_FOUND, "{secret}");
            assert_eq!(a, get(&app, &missing, creds).await, "{secret}");
        }
        let (status, list) = get(&app, "/pypi/alice/simple/", creds).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!list.contains("secret-pkg"), "{list}");
    }
    // Bob's upload to it answers as his upload to a project that does not exist.
    let bytes = read(&dists[1]);
    let digest = sha256_hex(&bytes);
    let form = multipart(
        &upload_fields("secret-pkg", "1.0", "bdist_wheel", &digest),
        Some((&wheel, &bytes)),
    );
    let to_secret = post_upload(&app, "alice", &bob.token, form).await;
    let other = zip_of(&[(
        "other_pkg-1.0.dist-info/METADATA",
        b"Metadata-Version: 2.4\nName: other-pkg\nVersion: 1.0\n",
    )]);
    let d = sha256_hex(&other);
    let form = multipart(
        &upload_fields("other-pkg", "1.0", "bdist_wheel", &d),
        Some(("other_pkg-1.0-py3-none-any.whl", &other)),
    );
    let to_missing = post_upload(&app, "alice", &bob.token, form).await;
    assert_eq!(to_secret.status(), StatusCode::FORBIDDEN);
    assert_eq!(to_secret.status(), to_missing.status());
    let (a, b) = (to_secret.text().await.unwrap(), to_missing.text().await.unwrap());
    assert_eq!(a, b);

    // Alice sees it, and pip installs it with her token in the index URL; without it, pip
    // finds nothing.
    let (status, list) = get(&app, "/pypi/alice/simple/", Some(("__token__", &alice.token))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("secret-pkg"), "{list}");
    run_ok(w, tool("python"), &["-m", "venv", "--without-pip", "venv"]).await;
    let anonymous = index_url(&app, "alice", None);
    let denied = run_in(
        w,
        tool("python"),
        &[
            "-m",
            "pip",
            "--python",
            "venv/bin/python",
            "install",
            "--index-url",
            &anonymous,
            "secret-pkg",
        ],
    )
    .await;
    assert!(!denied.ok, "{}", denied.output);
    let with_token = index_url(&app, "alice", Some(("__token__", &alice.token)));
    run_ok(
        w,
        tool("python"),
        &[
            "-m",
            "pip",
            "--python",
            "venv/bin/python",
            "install",
            "--index-url",
            &with_token,
            "secret-pkg",
        ],
    )
    .await;
    let with_password = index_url(&app, "alice", Some(("alice", "correct%20horse")));
    run_ok(
        w,
        tool("uv"),
        &[
            "pip",
            "install",
            "--python",
            "venv/bin/python",
            "--reinstall",
            "--index-url",
            &with_password,
            "secret-pkg",
        ],
    )
    .await;
    app.stop().await;
}

trove_testkit::both_backends!(private_projects);
