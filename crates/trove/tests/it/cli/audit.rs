//! `trove audit` with the real binary against a real server: advisories created through the
//! native API (a native package, an npm package) and imported OSV records (crates.io, PyPI
//! packages from elsewhere, with `trove admin advisories import`), then each lock format —
//! trove.lock written by `trove install` (which warns), package-lock.json written by the real
//! npm from Trove, and the Cargo.lock, uv.lock and requirements.txt the real cargo and uv
//! wrote — with the exit status each `--severity` gives, the table and `--json`.

use super::{write, CliEnv};
use crate::common::*;
use crate::npm::Npm;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use trove_testkit::{both_backends, Backend};

/// The lock files the real cargo and uv wrote (crates/cli/tests/data/locks).
fn real_lock(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../cli/tests/data/locks")
        .join(name)
}

/// OSV records as osv.dev serves them (RustSec's carries no severity rating).
fn imported_records(dir: &Path) {
    let rustsec = json!({
        "schema_version": "1.4.0",
        "id": "RUSTSEC-2021-0003",
        "modified": "2023-06-13T13:10:24Z",
        "published": "2021-01-08T12:00:00Z",
        "aliases": ["CVE-2021-25900", "GHSA-43w2-9j62-hq99"],
        "summary": "Buffer overflow in `SmallVec::insert_many`",
        "details": "A bug in the `SmallVec::insert_many` method caused it to allocate a buffer that was smaller than needed.",
        "affected": [{
            "package": { "ecosystem": "crates.io", "name": "smallvec", "purl": "pkg:cargo/smallvec" },
            "ranges": [{ "type": "SEMVER", "events": [
                { "introduced": "0.6.3" }, { "fixed": "0.6.14" }, { "introduced": "1.0.0" }, { "fixed": "1.6.1" }
            ] }],
            "database_specific": { "categories": ["memory-corruption"] }
        }],
        "references": [{ "type": "ADVISORY", "url": "https://rustsec.org/advisories/RUSTSEC-2021-0003.html" }]
    });
    let ghsa = json!({
        "schema_version": "1.4.0",
        "id": "GHSA-g3rq-g295-4j3m",
        "modified": "2024-09-24T21:07:10Z",
        "published": "2021-03-19T21:28:05Z",
        "aliases": ["CVE-2020-28493", "PYSEC-2021-66"],
        "summary": "Regular Expression Denial of Service (ReDoS) in Jinja2",
        "details": "This affects the package jinja2 from 0.0.0 and before 2.11.3.",
        "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L" }],
        "affected": [{
            "package": { "ecosystem": "PyPI", "name": "jinja2", "purl": "pkg:pypi/jinja2" },
            "ranges": [{ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "fixed": "2.11.3" }] }]
        }],
        "database_specific": { "severity": "MODERATE", "github_reviewed": true, "cwe_ids": ["CWE-400"] }
    });
    for (eco, doc) in [("crates.io", rustsec), ("PyPI", ghsa)] {
        let id = doc["id"].as_str().unwrap();
        write(&dir.join(eco).join(format!("{id}.json")), &doc.to_string());
    }
}

fn import(app: &TestApp, dir: &Path) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trove"))
        .env("TROVE_DATA_DIR", app.dir.path())
        .env("TROVE_DATABASE_URL", &app.db.url)
        .args(["admin", "advisories", "import"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "import failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the machine's npm (`npm install --package-lock-only`) against Trove.
async fn npm_lock(home: &Path, project: &Path, spec: &str) {
    let (home, project, spec) = (home.to_path_buf(), project.to_path_buf(), spec.to_string());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("npm")
            .args(["install", "--package-lock-only", "--no-audit", "--no-fund", &spec])
            .current_dir(&project)
            .env_clear()
            .env("HOME", &home)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("npm_config_cache", home.join("npm-cache"))
            .env("npm_config_update_notifier", "false")
            .output()
            .expect("npm runs")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "npm failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn finding<'a>(report: &'a Value, package: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"] == package)
        .unwrap_or_else(|| panic!("no finding for {package}: {report}"))
}

async fn audit_checks_each_lock_format(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    alice.publish("alice/pad", "1.0.0").await;
    alice.publish("alice/pad", "1.1.0").await;
    let npm = Npm::user(&app, &alice);
    npm.publish("@alice/widget", "1.0.0", json!({ "license": "MIT" })).await;
    // Through the native API: critical (CVSS 9.8) for alice/pad < 1.1.0, medium (4.2) for
    // @alice/widget < 1.0.1.
    let pad = json_ok(
        alice
            .req(reqwest::Method::POST, "/api/v1/advisories")
            .json(&crate::advisories::new_advisory("alice/pad", "1.1.0"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let pad_id = pad["id"].as_str().unwrap().to_string();
    let widget = json_ok(
        alice
            .req(reqwest::Method::POST, "/api/v1/advisories")
            .json(&json!({
                "ecosystem": "npm",
                "package": "alice/widget",
                "summary": "Cross-site scripting in @alice/widget's tooltips",
                "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N" }],
                "affected": [{ "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "0" }, { "fixed": "1.0.1" }] }] }]
            }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let widget_id = widget["id"].as_str().unwrap().to_string();
    let records = tempfile::tempdir().unwrap();
    imported_records(records.path());
    import(&app, records.path());
    let cli = CliEnv::new(&app);

    // trove.lock, from `trove install`, which warns about what it installed.
    let proj = cli.dir("app");
    write(
        &proj.join("trove.toml"),
        &trove_tarball::manifest_toml("alice/app", "0.1.0", &[("alice/pad", "=1.0.0")]),
    );
    let installed = cli.run(&proj, &["install"]).await.ok();
    assert!(
        installed.stderr.contains(&format!(
            "warning: alice/pad 1.0.0 is affected by {pad_id} (critical): Prototype pollution in alice/pad; fixed in 1.1.0"
        )),
        "{}",
        installed.stderr
    );
    let run = cli.run(&proj, &["audit"]).await.fails();
    assert!(run.stderr.contains("error: 1 finding(s)"), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("PACKAGE") && lines[0].ends_with("SUMMARY"),
        "{}",
        run.stdout
    );
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        &row[..5],
        ["alice/pad", "1.0.0", pad_id.as_str(), "critical", "1.1.0"],
        "{}",
        run.stdout
    );
    assert!(lines[1].ends_with("Prototype pollution in alice/pad"), "{}", run.stdout);
    assert!(run
        .stdout
        .contains("1 advisory finding(s) in 1 package version(s) checked"));
    cli.run(&proj, &["audit", "--severity", "critical"]).await.fails();

    // package-lock.json, written by the real npm from Trove: medium fails by default, not at high.
    let web = cli.dir("web");
    write(
        &web.join("package.json"),
        r#"{"name":"web","version":"1.0.0","private":true}"#,
    );
    write(&web.join(".npmrc"), &format!("registry={}/npm/\n", app.base));
    npm_lock(cli.home.path(), &web, "@alice/widget@1.0.0").await;
    let lock = web.join("package-lock.json");
    assert!(std::fs::read_to_string(&lock)
        .unwrap()
        .contains("node_modules/@alice/widget"));
    let report = cli.run(&web, &["audit", "--json"]).await.fails().json();
    assert_eq!(report["packages"], 1);
    assert_eq!(report["failing"], 1);
    let f = finding(&report, "@alice/widget");
    assert_eq!(f["ecosystem"], "npm");
    assert_eq!(f["id"], widget_id);
    assert_eq!(f["severity"], "moderate");
    assert_eq!(f["fixed"], json!(["1.0.1"]));
    let run = cli.run(&web, &["audit", "--severity", "high"]).await.ok();
    assert!(run.stdout.contains(&widget_id), "{}", run.stdout);
    cli.run(&web, &["audit", "--severity", "moderate"]).await.fails();

    // Cargo.lock from the real cargo: an advisory without a rating fails at any threshold.
    let rust = cli.dir("rust");
    std::fs::copy(real_lock("Cargo.lock"), rust.join("Cargo.lock")).unwrap();
    let report = cli
        .run(&rust, &["audit", "--json", "--severity", "critical"])
        .await
        .fails()
        .json();
    assert_eq!(report["packages"], 2, "itoa and smallvec: {report}");
    assert_eq!(report["findings"].as_array().unwrap().len(), 1, "{report}");
    let f = finding(&report, "smallvec");
    assert_eq!(f["id"], "RUSTSEC-2021-0003");
    assert_eq!(f["severity"], Value::Null);
    assert_eq!(f["fixed"], json!(["0.6.14", "1.6.1"]));
    assert_eq!(f["aliases"], json!(["CVE-2021-25900", "GHSA-43w2-9j62-hq99"]));

    // uv.lock and requirements.txt from the real uv, named with --lockfile.
    let py = cli.dir("py");
    for name in ["uv.lock", "requirements.txt"] {
        std::fs::copy(real_lock(name), py.join(name)).unwrap();
    }
    for name in ["uv.lock", "requirements.txt"] {
        let report = cli
            .run(&py, &["audit", "--json", "--lockfile", name])
            .await
            .fails()
            .json();
        assert_eq!(report["packages"], 3, "{report}");
        let f = finding(&report, "jinja2");
        assert_eq!((&f["version"], &f["severity"]), (&json!("2.11.2"), &json!("moderate")));
        assert_eq!(f["fixed"], json!(["2.11.3"]));
        cli.run(&py, &["audit", "--lockfile", name, "--severity", "high"])
            .await
            .ok();
    }

    // Every lock file of a folder at once (the default), and a clean one.
    let all = cli.dir("all");
    std::fs::copy(proj.join("trove.lock"), all.join("trove.lock")).unwrap();
    std::fs::copy(&lock, all.join("package-lock.json")).unwrap();
    std::fs::copy(real_lock("uv.lock"), all.join("uv.lock")).unwrap();
    let report = cli
        .run(&all, &["audit", "--json", "--severity", "high"])
        .await
        .fails()
        .json();
    assert_eq!(report["packages"], 5, "{report}");
    assert_eq!(report["findings"].as_array().unwrap().len(), 3, "{report}");
    assert_eq!(report["failing"], 1, "only alice/pad is high or above: {report}");
    let clean = cli.dir("clean");
    write(&clean.join("requirements.txt"), "urllib3==1.26.4\nrequests>=2\n");
    let run = cli.run(&clean, &["audit"]).await.ok();
    assert!(
        run.stdout
            .contains("No known advisories affect the 1 package version(s) checked."),
        "{}",
        run.stdout
    );
    // No lock file, or one it cannot read: a clear error.
    let none = cli.dir("none");
    let run = cli.run(&none, &["audit"]).await.fails();
    assert!(run.stderr.contains("no lock file in"), "{}", run.stderr);
    let run = cli.run(&clean, &["audit", "--lockfile", "yarn.lock"]).await.fails();
    assert!(
        run.stderr.contains("is not a lock file trove audit reads"),
        "{}",
        run.stderr
    );
    app.stop().await;
}

both_backends!(audit_checks_each_lock_format);
