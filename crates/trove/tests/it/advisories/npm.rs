//! The real `npm audit` (bulk advisory endpoint, gzip) and `pnpm audit` (quick audit with the
//! dependency tree) against Trove report an advisory of a Trove npm package, and an imported
//! one of an npm package living elsewhere is served in the same shapes.

use crate::common::*;
use crate::npm::Npm;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use trove_testkit::{both_backends, Backend};

/// Where scripts/install-npm-clients.sh put pnpm.
fn clients_bin() -> PathBuf {
    let dir = std::env::var("TROVE_TEST_NPM_CLIENTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache/trove-npm-clients"));
    dir.join("bin")
}

/// Runs a client in `cwd` with its own home and caches; (exit success, stdout, stdout+stderr).
async fn run(sandbox: &Path, cwd: &Path, program: &str, args: &[&str]) -> (bool, String, String) {
    let path = format!(
        "{}:{}",
        clients_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let envs: Vec<(String, String)> = [
        ("HOME", sandbox.join("home").display().to_string()),
        ("PATH", path),
        ("npm_config_cache", sandbox.join("npm-cache").display().to_string()),
        ("npm_config_update_notifier", "false".into()),
        ("npm_config_fund", "false".into()),
        ("npm_config_store_dir", sandbox.join("pnpm-store").display().to_string()),
        ("NO_COLOR", "1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let (cwd, program) = (cwd.to_path_buf(), program.to_string());
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(&program)
            .args(&args)
            .current_dir(&cwd)
            .env_clear()
            .envs(envs)
            .output()
            .unwrap_or_else(|e| panic!("`{program}` could not be run ({e}): run scripts/install-npm-clients.sh"));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        (out.status.success(), stdout, all)
    })
    .await
    .unwrap()
}

async fn npm_and_pnpm_audit_report_advisories(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let npm = Npm::user(&app, &alice);
    npm.publish("@alice/pad", "1.0.0", json!({ "license": "MIT" })).await;
    npm.publish("@alice/pad", "1.1.0", json!({ "license": "MIT" })).await;
    npm.publish("@alice/safe", "2.0.0", json!({ "license": "MIT" })).await;
    let adv = json!({
        "ecosystem": "npm",
        "package": "alice/pad",
        "summary": "Prototype pollution in @alice/pad",
        "details": "Padding a crafted string sets `Object.prototype` members.",
        "aliases": ["CVE-2099-4242"],
        "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" }],
        "affected": [{ "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "0" }, { "fixed": "1.1.0" }] }] }],
        "cwe_ids": ["CWE-1321"]
    });
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
    assert_eq!(
        created["osv"]["affected"][0]["package"],
        json!({ "ecosystem": "npm", "name": "@alice/pad", "purl": "pkg:npm/%40alice/pad" })
    );

    // The bulk endpoint in npm's shape.
    let res = app
        .req(Method::POST, "/npm/-/npm/v1/security/advisories/bulk")
        .json(&json!({ "@alice/pad": ["1.0.0", "1.1.0"], "@alice/safe": ["2.0.0"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut bulk: Value = res.json().await.unwrap();
    let url = bulk["@alice/pad"][0]["url"].take();
    assert!(url.as_str().unwrap().ends_with(&format!("/advisories/{id}")), "{url}");
    assert_eq!(
        bulk,
        json!({ "@alice/pad": [{
            "id": id,
            "url": null,
            "title": "Prototype pollution in @alice/pad",
            "severity": "high",
            "vulnerable_versions": "<1.1.0",
            "cwe": ["CWE-1321"],
            "cvss": { "score": 7.5, "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" },
        }] })
    );

    // A project pinned to the affected version.
    let sandbox = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(sandbox.path().join("home")).unwrap();
    let project = sandbox.path().join("app");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("package.json"),
        serde_json::to_vec_pretty(&json!({
            "name": "app", "version": "1.0.0", "private": true,
            "dependencies": { "@alice/pad": "1.0.0", "@alice/safe": "2.0.0" }
        }))
        .unwrap(),
    )
    .unwrap();
    std::fs::write(project.join(".npmrc"), format!("registry={}/npm/\n", app.base)).unwrap();
    let (ok, _, all) = run(sandbox.path(), &project, "npm", &["install", "--no-audit"]).await;
    assert!(ok, "npm install: {all}");
    let (ok, stdout, all) = run(sandbox.path(), &project, "npm", &["audit"]).await;
    assert!(!ok, "npm audit exits non-zero with a finding: {all}");
    println!("npm audit:\n{stdout}");
    // npm lists the vulnerable versions it found in the packument.
    assert!(stdout.contains("@alice/pad  1.0.0"), "{all}");
    assert!(stdout.contains("Severity: high"), "{all}");
    assert!(stdout.contains("Prototype pollution in @alice/pad"), "{all}");
    assert!(stdout.contains(&format!("/advisories/{id}")), "{all}");
    assert!(stdout.contains("1 high severity vulnerability"), "{all}");
    let (_, stdout, all) = run(sandbox.path(), &project, "npm", &["audit", "--json"]).await;
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {all}"));
    let vuln = &report["vulnerabilities"]["@alice/pad"];
    assert_eq!(vuln["severity"], "high");
    assert_eq!(vuln["range"], "1.0.0");
    assert_eq!(vuln["via"][0]["range"], "<1.1.0");
    assert_eq!(vuln["via"][0]["cwe"], json!(["CWE-1321"]));
    assert_eq!(vuln["via"][0]["source"], id.as_str());
    assert_eq!(vuln["via"][0]["title"], "Prototype pollution in @alice/pad");
    assert_eq!(vuln["fixAvailable"]["version"], "1.1.0");
    assert!(report["vulnerabilities"].get("@alice/safe").is_none());
    assert_eq!(report["metadata"]["vulnerabilities"]["high"], 1);
    assert_eq!(report["metadata"]["vulnerabilities"]["total"], 1);

    // pnpm 10 posts its lockfile's tree to `/-/npm/v1/security/audits/quick`.
    let pproject = sandbox.path().join("papp");
    std::fs::create_dir_all(&pproject).unwrap();
    std::fs::copy(project.join("package.json"), pproject.join("package.json")).unwrap();
    std::fs::copy(project.join(".npmrc"), pproject.join(".npmrc")).unwrap();
    let (ok, _, all) = run(sandbox.path(), &pproject, "pnpm", &["install"]).await;
    assert!(ok, "pnpm install: {all}");
    let (ok, stdout, all) = run(sandbox.path(), &pproject, "pnpm", &["audit"]).await;
    assert!(!ok, "pnpm audit exits non-zero with a finding: {all}");
    println!("pnpm audit:\n{stdout}");
    assert!(stdout.contains("Prototype pollution in @alice/pad"), "{all}");
    assert!(
        stdout.contains("Vulnerable versions") && stdout.contains("<1.1.0"),
        "{all}"
    );
    assert!(
        stdout.contains("Patched versions") && stdout.contains(">=1.1.0"),
        "{all}"
    );
    assert!(
        stdout.contains("1 vulnerabilities found") && stdout.contains("1 high"),
        "{all}"
    );
    let (_, stdout, all) = run(sandbox.path(), &pproject, "pnpm", &["audit", "--json"]).await;
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {all}"));
    let adv = &report["advisories"][&id];
    assert_eq!(adv["module_name"], "@alice/pad");
    assert_eq!(adv["severity"], "high");
    assert_eq!(adv["cves"], json!(["CVE-2099-4242"]));
    assert_eq!(
        adv["findings"],
        json!([{ "version": "1.0.0", "paths": ["@alice/pad"] }])
    );

    // Once withdrawn, neither client reports it.
    json_ok(
        alice
            .req(Method::POST, &format!("/api/v1/advisories/{id}/withdraw"))
            .json(&json!({ "reason": "test" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (ok, stdout, all) = run(sandbox.path(), &project, "npm", &["audit"]).await;
    assert!(ok && stdout.contains("found 0 vulnerabilities"), "{all}");
    let (ok, stdout, all) = run(sandbox.path(), &pproject, "pnpm", &["audit"]).await;
    assert!(ok && stdout.contains("No known vulnerabilities found"), "{all}");
    app.stop().await;
}

both_backends!(npm_and_pnpm_audit_report_advisories);
