//! The OSV API against osv.dev's request and response shapes and the official OSV schema;
//! the export; private packages' advisories answering exactly like missing ones.

use super::{assert_valid_osv, new_advisory, osv_validator};
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Read;
use trove_testkit::{both_backends, Backend};

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

async fn post(app: &TestApp, token: Option<&str>, path: &str, body: &Value) -> (StatusCode, Value) {
    let mut req = app.req(Method::POST, path).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
    )
}

fn osv_error(status: StatusCode, body: &Value, want_status: StatusCode, code: i64) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(
        keys(body),
        BTreeSet::from(["code".to_string(), "message".to_string()]),
        "{body}"
    );
    assert_eq!(body["code"], code);
    assert!(!body["message"].as_str().unwrap().is_empty());
}

async fn osv_api_answers_in_osv_dev_shapes(b: Backend) {
    let app = TestApp::new(b).await;
    let schema = osv_validator();
    let alice = app.user("alice").await;
    alice.publish("alice/pad", "1.0.0").await;
    let mut adv = new_advisory("alice/pad", "1.2.0");
    adv["affected"] = json!([{
        "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "1.0.0-rc.1" }, { "fixed": "1.2.0" }] }],
        "versions": ["0.5.0"]
    }]);
    adv["severity"] = json!([
        { "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" },
        { "type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N" }
    ]);
    let created = json_ok(
        alice
            .req(Method::POST, "/api/v1/advisories")
            .json(&adv)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["severity"], "high");

    // GET /v1/vulns/{id}: the full document, valid against the official schema.
    let doc = json_ok(app.get(&format!("/osv/v1/vulns/{id}")).send().await.unwrap()).await;
    assert_valid_osv(&schema, &doc);
    assert_eq!(doc, created["osv"]);
    for k in [
        "id",
        "modified",
        "published",
        "summary",
        "details",
        "aliases",
        "severity",
        "affected",
        "references",
        "credits",
        "database_specific",
        "schema_version",
    ] {
        assert!(doc.get(k).is_some(), "{k} missing from {doc:#}");
    }
    assert!(doc.get("withdrawn").is_none());
    assert_eq!(doc["severity"].as_array().unwrap().len(), 2);
    assert_eq!(doc["database_specific"]["cvss_score"], 8.7);

    // POST /v1/query: {"vulns": [full documents]}, `{}` when nothing matches.
    let q = |version: &str| json!({ "package": { "name": "alice/pad", "ecosystem": "Trove" }, "version": version });
    for version in ["1.0.0-rc.1", "1.0.0", "1.1.9", "1.2.0-beta.2", "0.5.0"] {
        let (status, body) = post(&app, None, "/osv/v1/query", &q(version)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(keys(&body), BTreeSet::from(["vulns".to_string()]), "{version}: {body}");
        assert_eq!(body["vulns"], json!([doc]), "{version}");
    }
    for version in ["1.0.0-beta.9", "0.9.0", "1.2.0", "2.0.0", "0.5.1"] {
        let (status, body) = post(&app, None, "/osv/v1/query", &q(version)).await;
        assert_eq!((status, &body), (StatusCode::OK, &json!({})), "{version}");
    }
    // Without a version: every advisory of the package. By purl, with the version in it.
    let (_, body) = post(
        &app,
        None,
        "/osv/v1/query",
        &json!({ "package": { "name": "alice/pad", "ecosystem": "Trove" } }),
    )
    .await;
    assert_eq!(body["vulns"], json!([doc]));
    let (_, body) = post(
        &app,
        None,
        "/osv/v1/query",
        &json!({ "package": { "purl": "pkg:trove/alice/pad@1.1.0" } }),
    )
    .await;
    assert_eq!(body["vulns"], json!([doc]));
    let (_, body) = post(
        &app,
        None,
        "/osv/v1/query",
        &json!({ "package": { "purl": "pkg:trove/alice/pad" }, "version": "1.1.0" }),
    )
    .await;
    assert_eq!(body["vulns"], json!([doc]));
    // Names compare normalized; other ecosystems do not match.
    let (_, body) = post(
        &app,
        None,
        "/osv/v1/query",
        &json!({ "package": { "name": "Alice/Pad", "ecosystem": "Trove" }, "version": "1.1.0" }),
    )
    .await;
    assert_eq!(body["vulns"], json!([doc]));
    let (_, body) = post(
        &app,
        None,
        "/osv/v1/query",
        &json!({ "package": { "name": "alice/pad", "ecosystem": "npm" }, "version": "1.1.0" }),
    )
    .await;
    assert_eq!(body, json!({}));
    // A commit: Trove has no GIT ranges, nothing matches.
    let (status, body) = post(
        &app,
        None,
        "/osv/v1/query",
        &json!({ "commit": "6879efc2c1596d11a6a6ad296f80063b558d5e0f" }),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    // Bad queries: 400 with osv.dev's error shape (gRPC code 3).
    for bad in [
        json!({ "package": { "purl": "pkg:trove/alice/pad@1.1.0" }, "version": "1.1.0" }),
        json!({ "package": { "purl": "pkg:trove/alice/pad", "name": "alice/pad" } }),
        json!({ "version": "1.0.0" }),
        json!({ "commit": "abc", "version": "1.0.0" }),
        json!({ "package": { "ecosystem": "Trove" }, "version": "1.0.0" }),
        json!({ "package": { "purl": "not a purl" } }),
        json!({ "package": "alice/pad" }),
    ] {
        let (status, body) = post(&app, None, "/osv/v1/query", &bad).await;
        osv_error(status, &body, StatusCode::BAD_REQUEST, 3);
    }
    let res = app
        .req(Method::POST, "/osv/v1/query")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let status = res.status();
    osv_error(status, &res.json().await.unwrap(), StatusCode::BAD_REQUEST, 3);

    // POST /v1/querybatch: results in query order, only id and modified per vuln.
    let batch = json!({ "queries": [q("1.1.0"), q("3.0.0"), { "package": { "purl": "pkg:trove/alice/pad@0.5.0" } }] });
    let (status, body) = post(&app, None, "/osv/v1/querybatch", &batch).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&body), BTreeSet::from(["results".to_string()]));
    let short = json!({ "vulns": [{ "id": id, "modified": doc["modified"] }] });
    assert_eq!(body["results"], json!([short, {}, short]));
    let queries: Vec<Value> = (0..1000).map(|i| q(&format!("1.{}.0", i % 3))).collect();
    let (status, body) = post(&app, None, "/osv/v1/querybatch", &json!({ "queries": queries })).await;
    assert_eq!(status, StatusCode::OK);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1000);
    assert_eq!(results[0], short);
    assert_eq!(results[2], json!({}));
    let queries: Vec<Value> = (0..1001).map(|_| q("1.0.0")).collect();
    let (status, body) = post(&app, None, "/osv/v1/querybatch", &json!({ "queries": queries })).await;
    osv_error(status, &body, StatusCode::BAD_REQUEST, 3);
    let (status, body) = post(
        &app,
        None,
        "/osv/v1/querybatch",
        &json!({ "queries": [q("1.0.0"), { "version": "1" }] }),
    )
    .await;
    osv_error(status, &body, StatusCode::BAD_REQUEST, 3);

    // 404s in osv.dev's shape.
    let res = app.get("/osv/v1/vulns/GHSA-xxxx-xxxx-xxxx").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({ "code": 5, "message": "Bug not found." })
    );
    let res = app.get("/osv/v1/nothing").send().await.unwrap();
    let status = res.status();
    osv_error(status, &res.json().await.unwrap(), StatusCode::NOT_FOUND, 5);

    // The export: a zip of {id}.json per ecosystem, and the list of ecosystems.
    let res = app.get("/osv/v1/export/Trove/all.zip").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(zip.len(), 1);
    let mut entry = zip.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), format!("{id}.json"));
    let mut text = String::new();
    entry.read_to_string(&mut text).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), doc);
    let list = app
        .get("/osv/v1/export/ecosystems.txt")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(list, "Trove\n");
    let res = app.get("/osv/v1/export/Maven/all.zip").send().await.unwrap();
    let status = res.status();
    osv_error(status, &res.json().await.unwrap(), StatusCode::NOT_FOUND, 5);
    app.stop().await;
}

both_backends!(osv_api_answers_in_osv_dev_shapes);

/// A private package's advisories answer every reader who cannot see the package exactly as
/// a missing advisory, on every path (OSV API, export, native API reads and writes).
async fn private_packages_advisories_are_missing(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let res = alice
        .req(
            Method::PUT,
            "/api/v1/packages/alice/secret/versions/1.0.0?visibility=private",
        )
        .header("content-type", "application/gzip")
        .body(trove_tarball::simple_package("alice/secret", "1.0.0", "# Secret\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let created = json_ok(
        alice
            .req(Method::POST, "/api/v1/advisories")
            .json(&new_advisory("alice/secret", "2.0.0"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    let missing_id = format!("{}-77", id.rsplit_once('-').unwrap().0);
    let q = json!({ "package": { "name": "alice/secret", "ecosystem": "Trove" }, "version": "1.0.0" });

    // The owner sees it everywhere.
    let doc = json_ok(alice.get(&format!("/osv/v1/vulns/{id}")).send().await.unwrap()).await;
    let listed = alice
        .get("/osv/v1/export/ecosystems.txt")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(listed, "Trove\n");
    let (_, body) = post(&app, Some(&alice.token), "/osv/v1/query", &q).await;
    assert_eq!(body["vulns"], json!([doc]));

    for token in [None, Some(bob.token.as_str())] {
        let get = |path: String| {
            let mut r = app.get(&path);
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            r
        };
        let hidden = get(format!("/osv/v1/vulns/{id}")).send().await.unwrap();
        let absent = get(format!("/osv/v1/vulns/{missing_id}")).send().await.unwrap();
        assert_eq!(
            (hidden.status(), absent.status()),
            (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
        );
        assert_eq!(
            hidden.json::<Value>().await.unwrap(),
            absent.json::<Value>().await.unwrap()
        );
        let (status, body) = post(&app, token, "/osv/v1/query", &q).await;
        assert_eq!((status, body), (StatusCode::OK, json!({})));
        let (_, body) = post(&app, token, "/osv/v1/querybatch", &json!({ "queries": [q] })).await;
        assert_eq!(body, json!({ "results": [{}] }));
        // The export and the ecosystem list answer as for an ecosystem without advisories.
        let hidden = get("/osv/v1/export/Trove/all.zip".into()).send().await.unwrap();
        let absent = get("/osv/v1/export/Hackage/all.zip".into()).send().await.unwrap();
        assert_eq!(
            (hidden.status(), absent.status()),
            (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
        );
        let (h, a): (Value, Value) = (hidden.json().await.unwrap(), absent.json().await.unwrap());
        assert_eq!(h["code"], a["code"]);
        let listed = get("/osv/v1/export/ecosystems.txt".into())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!listed.contains("Trove"), "{listed}");
        let listed = json_ok(get("/api/v1/advisories".into()).send().await.unwrap()).await;
        assert_eq!(listed, json!([]));
        // Native reads: the same error as an id that does not exist (but for the id).
        let hidden = get(format!("/api/v1/advisories/{id}")).send().await.unwrap();
        let absent = get(format!("/api/v1/advisories/{missing_id}")).send().await.unwrap();
        assert_eq!(
            (hidden.status(), absent.status()),
            (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
        );
        let (h, a): (Value, Value) = (hidden.json().await.unwrap(), absent.json().await.unwrap());
        assert_eq!(h["error"]["code"], a["error"]["code"]);
        assert_eq!(
            h["error"]["message"].as_str().unwrap().replace(&id, "X"),
            a["error"]["message"].as_str().unwrap().replace(&missing_id, "X")
        );
    }
    // Writes by an outsider: 404 like a missing advisory, not 403.
    let content = json!({ "summary": "x", "affected": [{ "versions": ["1.0.0"] }] });
    let res = bob
        .req(Method::PUT, &format!("/api/v1/advisories/{id}"))
        .json(&content)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = bob
        .req(Method::POST, &format!("/api/v1/advisories/{id}/withdraw"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    // Reporting against a package one cannot see: the package is missing.
    let res = bob
        .req(Method::POST, "/api/v1/advisories/reports")
        .json(&new_advisory("alice/secret", "2.0.0"))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    app.stop().await;
}

both_backends!(private_packages_advisories_are_missing);

/// A PyPI project's advisory: OSV names it as pip does (`PyPI`, the project name, any
/// spelling), ranges are ECOSYSTEM in PEP 440 order, pre-releases of the fix included.
async fn pypi_advisories_match_in_pep440_order(b: Backend) {
    use crate::pypi::{multipart, post_upload, sha256_hex, upload_fields, zip_of};
    let app = TestApp::new(b).await;
    let schema = osv_validator();
    let alice = app.user("alice").await;
    for version in ["1.0", "2.0rc1"] {
        let wheel = zip_of(&[(
            &format!("demo_pkg-{version}.dist-info/METADATA"),
            format!("Metadata-Version: 2.4\nName: demo-pkg\nVersion: {version}\n").as_bytes(),
        )]);
        let digest = sha256_hex(&wheel);
        let file = format!("demo_pkg-{version}-py3-none-any.whl");
        let form = multipart(
            &upload_fields("demo-pkg", version, "bdist_wheel", &digest),
            Some((&file, &wheel)),
        );
        let res = post_upload(&app, "alice", &alice.token, form).await;
        assert!(
            res.status().is_success(),
            "upload {version}: {}",
            res.text().await.unwrap()
        );
    }
    let mut adv = new_advisory("alice/demo-pkg", "2.0");
    adv["ecosystem"] = json!("pypi");
    // PyPI versions are PEP 440: SEMVER ranges and non-PEP 440 versions are refused.
    let res = alice
        .req(Method::POST, "/api/v1/advisories")
        .json(&adv)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_advisory").await;
    adv["affected"] = json!([{ "ranges": [{ "type": "ECOSYSTEM", "events": [{ "introduced": "1.0" }, { "fixed": "not a version" }] }] }]);
    let res = alice
        .req(Method::POST, "/api/v1/advisories")
        .json(&adv)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_advisory").await;
    adv["affected"] =
        json!([{ "ranges": [{ "type": "ECOSYSTEM", "events": [{ "introduced": "1.0" }, { "fixed": "2.0" }] }] }]);
    let created = json_ok(
        alice
            .req(Method::POST, "/api/v1/advisories")
            .json(&adv)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let doc = &created["osv"];
    assert_valid_osv(&schema, doc);
    assert_eq!(
        doc["affected"][0]["package"],
        json!({ "ecosystem": "PyPI", "name": "demo-pkg", "purl": "pkg:pypi/demo-pkg" })
    );
    for (name, version, hit) in [
        ("demo-pkg", "1.0", true),
        ("Demo_Pkg", "1.0.0", true),
        ("demo.pkg", "1.5.post2", true),
        ("demo-pkg", "2.0rc1", true),
        ("demo-pkg", "2.0.dev3", true),
        ("demo-pkg", "1.0a1", false),
        ("demo-pkg", "2.0", false),
        ("demo-pkg", "2.0.post1", false),
        ("demo-pkg", "10.0", false),
    ] {
        let (status, body) = post(
            &app,
            None,
            "/osv/v1/query",
            &json!({ "package": { "name": name, "ecosystem": "PyPI" }, "version": version }),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body.get("vulns").is_some(), hit, "{name} {version}: {body}");
    }
    let (_, body) = post(
        &app,
        None,
        "/osv/v1/query",
        &json!({ "package": { "purl": "pkg:pypi/demo-pkg@2.0rc1" } }),
    )
    .await;
    assert_eq!(body["vulns"][0]["id"], created["id"]);
    app.stop().await;
}

both_backends!(pypi_advisories_match_in_pep440_order);
