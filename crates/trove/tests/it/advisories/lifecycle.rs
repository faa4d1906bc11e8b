//! Create, report → review → accept/reject, edit, withdraw, with who may do each; audit-log
//! entries and `advisory` webhook deliveries.

use super::{assert_valid_osv, new_advisory, osv_validator};
use crate::common::*;
use crate::webhooks::Receiver;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use trove_testkit::{both_backends, Backend};

async fn osv_query(app: &TestApp, package: &str, version: &str) -> Vec<String> {
    let body = json_ok(
        app.req(Method::POST, "/osv/v1/query")
            .json(&json!({ "package": { "name": package, "ecosystem": "Trove" }, "version": version }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    body["vulns"]
        .as_array()
        .map(|v| v.iter().map(|d| d["id"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

async fn advisory_lifecycle_and_permissions(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| {
            c.webhooks.retry_base_ms = 5;
            c.webhooks.allow_private_targets = true;
        })
        .start()
        .await;
    let schema = osv_validator();
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let admin = app.admin("boss").await;
    alice.publish("alice/pad", "1.0.0").await;
    alice.publish("alice/pad", "1.2.0").await;
    let (hook, receiver) = Receiver::start(0).await;
    json_ok(
        alice
            .req(Method::POST, "/api/v1/namespaces/alice/webhooks")
            .json(&json!({ "url": hook, "events": ["advisory"] }))
            .send()
            .await
            .unwrap(),
    )
    .await;

    // The owner publishes; ids are TROVE-<year>-<n>, numbered per year.
    let res = alice
        .req(Method::POST, "/api/v1/advisories")
        .json(&new_advisory("alice/pad", "1.2.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let first: Value = res.json().await.unwrap();
    let year = &first["osv"]["published"].as_str().unwrap()[..4];
    let id = first["id"].as_str().unwrap().to_string();
    assert_eq!(id, format!("TROVE-{year}-1"));
    assert_eq!(first["state"], "published");
    assert_eq!(first["source"], "local");
    assert_eq!(first["package"], "alice/pad");
    assert_eq!(first["ecosystem"], "native");
    assert_eq!(first["severity"], "critical");
    assert_eq!(first["score"], 9.8);
    assert_eq!(first["withdrawn"], false);
    let osv = &first["osv"];
    assert_valid_osv(&schema, osv);
    assert_eq!(osv["id"], id.as_str());
    assert_eq!(osv["schema_version"], "1.7.0");
    assert_eq!(osv["modified"], osv["published"]);
    assert_eq!(
        osv["affected"][0]["package"],
        json!({ "ecosystem": "Trove", "name": "alice/pad" })
    );
    assert_eq!(
        osv["affected"][0]["ranges"],
        json!([{ "type": "SEMVER", "events": [{ "introduced": "0" }, { "fixed": "1.2.0" }] }])
    );
    assert_eq!(osv["aliases"], json!(["CVE-2099-1234", "GHSA-2345-6789-cfgh"]));
    assert_eq!(osv["database_specific"]["cwe_ids"], json!(["CWE-1321"]));
    assert_eq!(osv["database_specific"]["severity"], "CRITICAL");
    assert_eq!(osv["database_specific"]["malicious"], false);
    // Markdown is stored as written (the web UI sanitizes it when rendering).
    assert!(osv["details"].as_str().unwrap().contains("<script>"));
    let second = json_ok(
        alice
            .req(Method::POST, "/api/v1/advisories")
            .json(&new_advisory("alice/pad", "1.0.0"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(second["id"], format!("TROVE-{year}-2"));

    // Outsiders and anonymous callers cannot create, edit or withdraw.
    let res = app
        .req(Method::POST, "/api/v1/advisories")
        .json(&new_advisory("alice/pad", "1.2.0"))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let res = bob
        .req(Method::POST, "/api/v1/advisories")
        .json(&new_advisory("alice/pad", "1.2.0"))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let content = json!({ "summary": "not a bug", "affected": [{ "versions": ["1.0.0"] }] });
    let res = bob
        .req(Method::PUT, &format!("/api/v1/advisories/{id}"))
        .json(&content)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = bob
        .req(Method::POST, &format!("/api/v1/advisories/{id}/withdraw"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    // Bad input is a clear 422.
    let mut bad = new_advisory("alice/pad", "1.2.0");
    bad["severity"] = json!([{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:Q" }]);
    let res = alice
        .req(Method::POST, "/api/v1/advisories")
        .json(&bad)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_advisory").await;
    let mut bad = new_advisory("alice/pad", "1.2.0");
    bad["affected"] = json!([{ "ranges": [{ "type": "SEMVER", "events": [{ "fixed": "1.0.0" }] }] }]);
    let res = alice
        .req(Method::POST, "/api/v1/advisories")
        .json(&bad)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_advisory").await;
    let mut bad = new_advisory("alice/pad", "not-semver");
    bad["summary"] = json!("x");
    let res = alice
        .req(Method::POST, "/api/v1/advisories")
        .json(&bad)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_advisory").await;
    // Everyone reads a published advisory.
    let got = json_ok(bob.get(&format!("/api/v1/advisories/{id}")).send().await.unwrap()).await;
    assert_eq!(got, first);
    assert_eq!(osv_query(&app, "alice/pad", "1.1.0").await, [id.clone()]);
    assert_eq!(
        osv_query(&app, "alice/pad", "0.9.0").await,
        [id.clone(), second["id"].as_str().unwrap().to_string()]
    );

    // A report waits in the review queue and is invisible to the public and to its reporter.
    let mut report = new_advisory("alice/pad", "1.3.0");
    report["summary"] = json!("Denial of service in alice/pad");
    let res = bob
        .req(Method::POST, "/api/v1/advisories/reports")
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let reported: Value = res.json().await.unwrap();
    let rid = reported["id"].as_str().unwrap().to_string();
    assert_eq!(rid, format!("TROVE-{year}-3"));
    assert_eq!(reported["state"], "reported");
    assert!(reported["osv"].get("published").is_none());
    let missing = app
        .get(&format!("/osv/v1/vulns/TROVE-{year}-999"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let missing: Value = missing.json().await.unwrap();
    assert_eq!(missing, json!({ "code": 5, "message": "Bug not found." }));
    for who in [&bob.token, &String::new()] {
        let mut r = app.get(&format!("/osv/v1/vulns/{rid}"));
        if !who.is_empty() {
            r = r.bearer_auth(who);
        }
        let res = r.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(res.json::<Value>().await.unwrap(), missing);
    }
    let res = bob.get(&format!("/api/v1/advisories/{rid}")).send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    assert!(!osv_query(&app, "alice/pad", "1.2.5").await.contains(&rid));
    let listed = json_ok(app.get("/api/v1/advisories").send().await.unwrap()).await;
    assert!(listed.as_array().unwrap().iter().all(|a| a["id"] != rid.as_str()));
    let queue = json_ok(bob.get("/api/v1/advisories/reports").send().await.unwrap()).await;
    assert_eq!(queue, json!([]));
    let res = bob
        .req(Method::POST, &format!("/api/v1/advisories/{rid}/accept"))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    for reviewer in [&alice, &admin] {
        let queue = json_ok(reviewer.get("/api/v1/advisories/reports").send().await.unwrap()).await;
        let ids: Vec<&str> = queue
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [rid.as_str()]);
    }
    // The owner accepts it: public from now on.
    let accepted = json_ok(
        alice
            .req(Method::POST, &format!("/api/v1/advisories/{rid}/accept"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(accepted["state"], "published");
    assert_valid_osv(&schema, &accepted["osv"]);
    let public = json_ok(app.get(&format!("/osv/v1/vulns/{rid}")).send().await.unwrap()).await;
    assert_eq!(public, accepted["osv"]);
    assert!(public["published"].is_string());
    assert!(osv_query(&app, "alice/pad", "1.2.5").await.contains(&rid));
    let res = alice
        .req(Method::POST, &format!("/api/v1/advisories/{rid}/accept"))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::CONFLICT, "not_reported").await;
    // Another report, rejected: it never becomes public.
    let res = bob
        .req(Method::POST, "/api/v1/advisories/reports")
        .json(&new_advisory("alice/pad", "9.0.0"))
        .send()
        .await
        .unwrap();
    let spam: Value = res.json().await.unwrap();
    let sid = spam["id"].as_str().unwrap().to_string();
    let rejected = json_ok(
        admin
            .req(Method::POST, &format!("/api/v1/advisories/{sid}/reject"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(
        app.get(&format!("/osv/v1/vulns/{sid}")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        json_ok(alice.get("/api/v1/advisories/reports").send().await.unwrap()).await,
        json!([])
    );

    // The owner edits: same id and publication, later modification, new ranges.
    let mut content = new_advisory("alice/pad", "1.3.0");
    let content = content.as_object_mut().unwrap();
    content.remove("ecosystem");
    content.remove("package");
    let edited = json_ok(
        alice
            .req(Method::PUT, &format!("/api/v1/advisories/{id}"))
            .json(&content)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_valid_osv(&schema, &edited["osv"]);
    assert_eq!(edited["osv"]["published"], first["osv"]["published"]);
    assert!(edited["osv"]["modified"].as_str().unwrap() > first["osv"]["modified"].as_str().unwrap());
    assert!(osv_query(&app, "alice/pad", "1.2.0").await.contains(&id));

    // Withdrawn: still served with `withdrawn`, no longer matched, no longer editable.
    let withdrawn = json_ok(
        alice
            .req(Method::POST, &format!("/api/v1/advisories/{id}/withdraw"))
            .json(&json!({ "reason": "duplicate" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(withdrawn["withdrawn"], true);
    let served = json_ok(app.get(&format!("/osv/v1/vulns/{id}")).send().await.unwrap()).await;
    assert_valid_osv(&schema, &served);
    assert_eq!(served["withdrawn"], served["modified"]);
    assert!(!osv_query(&app, "alice/pad", "1.2.0").await.contains(&id));
    let res = alice
        .req(Method::POST, &format!("/api/v1/advisories/{id}/withdraw"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::CONFLICT, "withdrawn").await;
    let res = alice
        .req(Method::PUT, &format!("/api/v1/advisories/{id}"))
        .json(&content)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::CONFLICT, "withdrawn").await;

    // Audit entries for every change; webhook deliveries for what the public sees.
    let log = json_ok(admin.get("/api/v1/audit?limit=50").send().await.unwrap()).await;
    let actions: Vec<(String, String)> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("advisory."))
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["target"].as_str().unwrap().to_string(),
            )
        })
        .rev()
        .collect();
    let second_id = second["id"].as_str().unwrap().to_string();
    let expected: Vec<(String, String)> = [
        ("advisory.create", &id),
        ("advisory.create", &second_id),
        ("advisory.report", &rid),
        ("advisory.accept", &rid),
        ("advisory.report", &sid),
        ("advisory.reject", &sid),
        ("advisory.edit", &id),
        ("advisory.withdraw", &id),
    ]
    .iter()
    .map(|(a, t)| (a.to_string(), t.to_string()))
    .collect();
    assert_eq!(actions, expected);
    let hits = receiver.wait_for(5).await;
    let mut seen: Vec<(String, String)> = hits
        .iter()
        .map(|h| {
            let body = h.json();
            assert_eq!(h.event, "advisory");
            assert_eq!(body["package"], "alice/pad");
            (
                body["data"]["id"].as_str().unwrap().to_string(),
                body["data"]["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    let mut want = vec![
        (id.clone(), "created".to_string()),
        (second_id.clone(), "created".to_string()),
        (rid.clone(), "accepted".to_string()),
        (id.clone(), "edited".to_string()),
        (id.clone(), "withdrawn".to_string()),
    ];
    want.sort();
    assert_eq!(seen, want);
    app.stop().await;
}

both_backends!(advisory_lifecycle_and_permissions);
