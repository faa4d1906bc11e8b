//! `trove admin advisories import` (the real binary) loads the vendored OSV dump, as a zip
//! and as a directory; the OSV API then finds every record at the versions it affects and
//! not at the ones it does not.

use super::{assert_valid_osv, data_dir, osv_validator};
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use trove_testkit::{both_backends, Backend};

fn import(app: &TestApp, path: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_trove"))
        .env("TROVE_DATA_DIR", app.dir.path())
        .env("TROVE_DATABASE_URL", &app.db.url)
        .args(["admin", "advisories", "import"])
        .arg(path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "import failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Every record file of the dump, `(relative path, JSON)`.
fn records() -> Vec<(String, Value)> {
    let root = data_dir().join("records");
    let mut out = Vec::new();
    for eco in std::fs::read_dir(&root).unwrap() {
        let eco = eco.unwrap();
        for f in std::fs::read_dir(eco.path()).unwrap() {
            let f = f.unwrap();
            let text = std::fs::read_to_string(f.path()).unwrap();
            out.push((
                format!(
                    "{}/{}",
                    eco.file_name().to_string_lossy(),
                    f.file_name().to_string_lossy()
                ),
                serde_json::from_str(&text).unwrap(),
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

async fn import_osv_dump_then_querybatch_finds_it(b: Backend) {
    let app = TestApp::new(b).await;
    let schema = osv_validator();
    let records = records();
    assert!(records.len() >= 300);
    // The dump as osv.dev serves it: a zip of {id}.json.
    let tmp = tempfile::tempdir().unwrap();
    let zip_path = tmp.path().join("all.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    for (path, doc) in &records {
        let name = path.rsplit('/').next().unwrap();
        w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(doc.to_string().as_bytes()).unwrap();
    }
    w.finish().unwrap();
    let n = records.len();
    assert_eq!(
        import(&app, &zip_path).trim(),
        format!("read {n} OSV records: {n} new, 0 updated, 0 unchanged, 0 skipped")
    );
    // The same records from a directory: nothing changes.
    assert_eq!(
        import(&app, &data_dir().join("records")).trim(),
        format!("read {n} OSV records: 0 new, 0 updated, {n} unchanged, 0 skipped")
    );

    // Every record is served as imported, and valid against the official schema.
    for (_, doc) in records.iter().step_by(7) {
        let id = doc["id"].as_str().unwrap();
        let served = json_ok(app.get(&format!("/osv/v1/vulns/{id}")).send().await.unwrap()).await;
        assert_eq!(&served, doc);
        assert_valid_osv(&schema, &served);
    }

    // One querybatch with a query per probe: the version a record affects finds it (unless
    // withdrawn), the version it does not affect does not. Half by name, half by purl.
    let probes: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(data_dir().join("probes.json")).unwrap()).unwrap();
    let mut queries = Vec::new();
    let mut expect = Vec::new();
    for (i, p) in probes.iter().enumerate() {
        let (eco, name, id) = (
            p["ecosystem"].as_str().unwrap(),
            p["name"].as_str().unwrap(),
            p["id"].as_str().unwrap(),
        );
        let withdrawn = p["withdrawn"] == true;
        for (version, hit) in [(&p["hit"], !withdrawn), (&p["miss"], false)] {
            let Some(version) = version.as_str() else { continue };
            let purl = match eco {
                "npm" => Some(format!("pkg:npm/{}@{version}", name.replace('@', "%40"))),
                "crates.io" => Some(format!("pkg:cargo/{name}@{version}")),
                "PyPI" => Some(format!("pkg:pypi/{name}@{version}")),
                _ => None,
            };
            queries.push(match purl {
                Some(purl) if i % 2 == 0 => json!({ "package": { "purl": purl } }),
                _ => json!({ "package": { "name": name, "ecosystem": eco }, "version": version }),
            });
            expect.push((id.to_string(), hit));
        }
    }
    assert!(queries.len() <= 1000);
    let body = json_ok(
        app.req(Method::POST, "/osv/v1/querybatch")
            .json(&json!({ "queries": queries }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), queries.len());
    let mut hits = 0;
    for ((id, hit), result) in expect.iter().zip(results) {
        let ids: Vec<&str> = result["vulns"]
            .as_array()
            .map(|v| v.iter().map(|x| x["id"].as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(ids.contains(&id.as_str()), *hit, "{id}: {result}");
        if *hit {
            hits += 1;
            let vuln = result["vulns"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["id"] == id.as_str())
                .unwrap();
            let doc = &records.iter().find(|(_, d)| d["id"] == id.as_str()).unwrap().1;
            assert_eq!(vuln, &json!({ "id": id, "modified": doc["modified"] }));
        }
    }
    assert!(hits >= 290, "{hits} hits");

    // Imported advisories are read-only here, even for site admins.
    let admin = app.admin("boss").await;
    let id = records[0].1["id"].as_str().unwrap();
    let res = admin
        .req(Method::PUT, &format!("/api/v1/advisories/{id}"))
        .json(&json!({ "summary": "mine now", "affected": [{ "versions": ["1.0.0"] }] }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::CONFLICT, "imported_advisory").await;
    let got = json_ok(app.get(&format!("/api/v1/advisories/{id}")).send().await.unwrap()).await;
    assert_eq!(got["source"], "imported");
    assert_eq!(got["package"], Value::Null);
    // MAL- records are flagged malicious.
    let mal = records
        .iter()
        .find(|(_, d)| d["id"].as_str().unwrap().starts_with("MAL-"))
        .unwrap();
    let got = json_ok(
        app.get(&format!("/api/v1/advisories/{}", mal.1["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got["malicious"], true);

    // The export of an ecosystem holds its records.
    let pypi = records.iter().filter(|(p, _)| p.starts_with("PyPI/")).count();
    let zip = app
        .get("/osv/v1/export/PyPI/all.zip")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap().len(),
        pypi
    );

    // A newer record replaces the stored one; an older one does not.
    let dir = tempfile::tempdir().unwrap();
    let mut newer = records[1].1.clone();
    newer["modified"] = json!("2030-01-01T00:00:00Z");
    newer["summary"] = json!("Updated upstream");
    let mut older = records[2].1.clone();
    older["modified"] = json!("2000-01-01T00:00:00Z");
    older["summary"] = json!("Stale copy");
    std::fs::write(dir.path().join("newer.json"), newer.to_string()).unwrap();
    std::fs::write(dir.path().join("older.json"), older.to_string()).unwrap();
    std::fs::write(dir.path().join("broken.json"), "{\"id\": ").unwrap();
    std::fs::write(
        dir.path().join("ours.json"),
        json!({ "id": "TROVE-2020-1", "modified": "2030-01-01T00:00:00Z", "affected": [] }).to_string(),
    )
    .unwrap();
    let out = import(&app, dir.path());
    assert!(
        out.starts_with("read 4 OSV records: 0 new, 1 updated, 1 unchanged, 2 skipped"),
        "{out}"
    );
    let served = json_ok(
        app.get(&format!("/osv/v1/vulns/{}", newer["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(served, newer);
    let served = json_ok(
        app.get(&format!("/osv/v1/vulns/{}", older["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(served, records[2].1);
    app.stop().await;
}

both_backends!(import_osv_dump_then_querybatch_finds_it);
