//! Bad input found by fuzzing the API with schemathesis (`scripts/fuzz-api.sh`): each gets a
//! clear JSON error with the right 4xx status, never a 5xx, and changes nothing.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use trove_tarball::{manifest_toml, ArchiveBuilder};
use trove_testkit::{both_backends, Backend};

/// A JSON body must be an object: serde reads a struct from an array too (`[]` started a
/// device login, `["bob", "bob@example.com", "password"]` registered an account).
async fn json_bodies_must_be_objects(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let post = |path: &str, body: &str| {
        app.req(Method::POST, path)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    for body in [
        "[]",
        "[null]",
        "  [\"bob\", \"bob@example.com\", \"correct horse\"]",
        "\"x\"",
        "1",
        "null",
        "true",
    ] {
        for path in ["/api/v1/device/code", "/api/v1/users", "/api/v1/session"] {
            let msg = expect_error(
                post(path, body).await.unwrap(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
            )
            .await;
            assert!(msg.contains("JSON object"), "{path} {body}: {msg}");
        }
    }
    let res = alice
        .req(Method::POST, "/api/v1/tokens")
        .header("content-type", "application/json")
        .body(r#"["t", ["admin"], null, null]"#)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    // Syntax errors stay 400, whatever the first character.
    for body in ["", "[1", "{\"a\":", "nul"] {
        expect_error(
            post("/api/v1/device/code", body).await.unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        )
        .await;
    }
    // Objects still work, with leading whitespace and any `+json` type.
    for (ct, body) in [
        ("application/json", " \n{}"),
        ("application/vnd.trove+json; charset=utf-8", "{}"),
    ] {
        let res = app
            .req(Method::POST, "/api/v1/device/code")
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        json_ok(res).await;
    }
    let res = app
        .req(Method::POST, "/api/v1/device/code")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::BAD_REQUEST, "unsupported_media_type").await;
    // The server answers 413 without reading the rest of the body and closes the connection;
    // `Connection: close` keeps the pooled client from reusing it for the next request.
    let res = post(
        "/api/v1/device/code",
        &format!("{{\"client_name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024)),
    )
    .await
    .unwrap();
    assert_eq!(res.headers()["connection"], "close");
    expect_error(res, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;
    // Nothing was registered by the array.
    expect_error(
        app.get("/api/v1/orgs/bob").send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let login = post("/api/v1/session", r#"{"username": "bob", "password": "correct horse"}"#)
        .await
        .unwrap();
    expect_error(login, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    app.stop().await;
}

/// A NUL character cannot be stored by PostgreSQL: it reached the database and came back as
/// 503 `database_unavailable` (in bodies, paths, queries, and a published description).
async fn nul_characters_are_refused(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    alice.publish("alice/widget", "1.0.0").await;
    let users_before: Value = json_ok(app.get("/api/v1/stats").send().await.unwrap()).await;

    let bodies: Vec<(Method, &str, Value, &str)> = vec![
        (
            Method::POST,
            "/api/v1/users",
            json!({ "username": "bob", "email": "bob\u{0}@example.com", "password": "correct horse" }),
            "`email`",
        ),
        (
            Method::POST,
            "/api/v1/session",
            json!({ "username": "ali\u{0}ce", "password": "correct horse" }),
            "`username`",
        ),
        (
            Method::POST,
            "/api/v1/orgs",
            json!({ "name": "acme", "description": "a\u{0}b" }),
            "`description`",
        ),
        (
            Method::POST,
            "/api/v1/tokens",
            json!({ "name": "ci", "scopes": ["read"], "packages": ["alice/*", "alice/\u{0}"] }),
            "`packages[1]`",
        ),
        (
            Method::POST,
            "/api/v1/namespaces/alice/webhooks",
            json!({ "url": "https://ci.example.com/\u{0}", "events": ["publish"] }),
            "`url`",
        ),
        (
            Method::PUT,
            "/api/v1/packages/alice/widget/versions/1.0.0/deprecation",
            json!({ "message": "use\u{0}2.x" }),
            "`message`",
        ),
    ];
    for (method, path, body, field) in bodies {
        let res = alice.req(method, path).json(&body).send().await.unwrap();
        let msg = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
        assert!(msg.contains(field) && msg.contains("NUL"), "{path}: {msg}");
    }
    // A literal backslash-u is not a NUL.
    let res = alice
        .req(Method::POST, "/api/v1/orgs")
        .header("content-type", "application/json")
        .body(r#"{"name": "acme", "description": "C:\\u0000"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(json_ok(res).await["description"], "C:\\u0000");

    for path in [
        "/api/v1/orgs/a%00",
        "/api/v1/namespaces/alice%00/packages",
        "/api/v1/packages/alice/widget%00",
        "/api/v1/packages/alice/widget/versions/1.0.0%00",
        "/api/v1/packages/alice/widget/versions/1.0.0%00/download",
    ] {
        let msg = expect_error(
            alice.get(path).send().await.unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_path",
        )
        .await;
        assert!(msg.contains("NUL"), "{path}: {msg}");
    }
    let res = alice
        .req(Method::PUT, "/api/v1/orgs/acme/members/b%00b")
        .json(&json!({ "role": "read" }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::BAD_REQUEST, "invalid_path").await;
    let admin = app.admin("siteadmin").await;
    for path in [
        "/api/v1/audit?action=%00",
        "/api/v1/audit?actor=a%00",
        "/api/v1/search?q=x%00y",
    ] {
        let msg = expect_error(
            admin.get(path).send().await.unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        )
        .await;
        assert!(msg.contains("NUL"), "{path}: {msg}");
    }
    // `%2500` is a literal `%00`, not a NUL.
    let page: Value = json_ok(app.get("/api/v1/search?q=%2500").send().await.unwrap()).await;
    assert_eq!(page["total"], 0);

    // In a manifest: the description is refused, a README's NUL is shown as U+FFFD.
    let manifest =
        manifest_toml("alice/gadget", "1.0.0", &[]).replace("[package]\n", "[package]\ndescription = \"a\\u0000b\"\n");
    let archive = ArchiveBuilder::new().file("trove.toml", manifest.as_bytes()).finish();
    let res = alice.publish_bytes("alice/gadget", "1.0.0", archive).await;
    let msg = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "manifest_invalid").await;
    assert!(msg.contains("package.description"), "{msg}");
    let archive = ArchiveBuilder::new()
        .file("trove.toml", manifest_toml("alice/gadget", "1.0.0", &[]).as_bytes())
        .file("README.md", b"# Gadget\n\nnul:\0 bad utf-8:\xff end\n")
        .finish();
    let res = alice.publish_bytes("alice/gadget", "1.0.0", archive).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let pkg: Value = json_ok(app.get("/api/v1/packages/alice/gadget").send().await.unwrap()).await;
    assert_eq!(pkg["readme"], "# Gadget\n\nnul:\u{fffd} bad utf-8:\u{fffd} end\n");

    // Nothing else was created.
    let users_after: Value = json_ok(app.get("/api/v1/stats").send().await.unwrap()).await;
    assert_eq!(
        users_after["users"].as_i64().unwrap(),
        users_before["users"].as_i64().unwrap() + 1,
        "only siteadmin was added"
    );
    app.stop().await;
}

/// `Range: bytes=0-18446744073709551615` overflowed computing the end (a panic in debug
/// builds, an empty 416 in release); such a range is valid and asks for the whole archive.
async fn huge_range_positions(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    alice.publish("alice/widget", "1.0.0").await;
    let url = "/api/v1/packages/alice/widget/versions/1.0.0/download";
    let full = app.get(url).send().await.unwrap().bytes().await.unwrap();
    let size = full.len();
    let max = u64::MAX;
    for (range, status, want) in [
        (
            format!("bytes=0-{max}"),
            StatusCode::PARTIAL_CONTENT,
            Some(format!("bytes 0-{}/{size}", size - 1)),
        ),
        (
            "bytes=0-99999999999999999999999".to_string(),
            StatusCode::PARTIAL_CONTENT,
            Some(format!("bytes 0-{}/{size}", size - 1)),
        ),
        (
            format!("bytes=5-{max}"),
            StatusCode::PARTIAL_CONTENT,
            Some(format!("bytes 5-{}/{size}", size - 1)),
        ),
        (
            format!("bytes=-{max}"),
            StatusCode::PARTIAL_CONTENT,
            Some(format!("bytes 0-{}/{size}", size - 1)),
        ),
        (
            format!("bytes={max}-"),
            StatusCode::RANGE_NOT_SATISFIABLE,
            Some(format!("bytes */{size}")),
        ),
        (
            format!("bytes={max}-{max}"),
            StatusCode::RANGE_NOT_SATISFIABLE,
            Some(format!("bytes */{size}")),
        ),
    ] {
        let res = app.get(url).header("range", &range).send().await.unwrap();
        assert_eq!(res.status(), status, "{range}");
        let cr = res
            .headers()
            .get("content-range")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(cr, want, "{range}");
        let body = res.bytes().await.unwrap();
        if status == StatusCode::PARTIAL_CONTENT {
            let start: usize = want.unwrap()[6..].split('-').next().unwrap().parse().unwrap();
            assert_eq!(&body[..], &full[start..], "{range}");
        } else {
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["error"]["code"], "range_not_satisfiable");
        }
    }
    app.stop().await;
}

/// A known endpoint with a method it does not have: 405 with the `Allow` header and the JSON
/// error envelope (axum's own 405 has an empty body); an unknown path stays a JSON 404.
async fn wrong_methods_get_a_json_405(b: Backend) {
    let app = TestApp::new(b).await;
    for (method, path, allow) in [
        (Method::DELETE, "/api/v1/search", "GET"),
        (Method::PATCH, "/api/v1/tokens", "GET,POST"),
        (Method::POST, "/api/v1/packages/alice/pkg/versions", "GET"),
    ] {
        let res = app.req(method.clone(), path).send().await.unwrap();
        let mut allowed: Vec<String> = res
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(',')
            .map(|m| m.trim().to_string())
            .filter(|m| m != "HEAD")
            .collect();
        allowed.sort();
        assert_eq!(allowed.join(","), allow, "{method} {path}");
        expect_error(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    }
    let res = app.req(Method::GET, "/api/v1/no/such/thing").send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    app.stop().await;
}

both_backends!(
    wrong_methods_get_a_json_405,
    json_bodies_must_be_objects,
    nul_characters_are_refused,
    huge_range_positions
);
