//! Retention policies: the preview lists exactly what a run deletes and deletes nothing; a
//! run keeps the newest N, deletes by age and by pattern, removes untagged OCI manifests,
//! never deletes the latest version or one another version depends on, writes the audit log
//! and metrics, and the garbage collection after it really frees the bytes (file system and
//! S3). The background job applies policies by itself. Access: owners and admins only.

use crate::common::*;
use crate::oci::{bytes_of, sha256, Oci, OCI_MANIFEST};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use trove_core::now_ms;
use trove_testkit::{both_backends, Backend};

const DAY_MS: i64 = 86_400_000;

/// Runs one statement against the app's database (backdating rows for the age rules).
async fn sql(app: &TestApp, q: &str, binds: &[i64]) {
    let mut conn = app.services().db.conn().await.unwrap();
    let mut query = sqlx::query(q);
    for b in binds {
        query = query.bind(*b);
    }
    query.execute(&mut *conn).await.unwrap();
}

/// Sets a version's publish time.
async fn publish_time(app: &TestApp, name: &str, version: &str, at: i64) {
    let mut conn = app.services().db.conn().await.unwrap();
    sqlx::query(
        "UPDATE versions SET created_at = $1 WHERE version = $2 AND package_id IN \
         (SELECT id FROM packages WHERE name = $3)",
    )
    .bind(at)
    .bind(version)
    .bind(name)
    .execute(&mut *conn)
    .await
    .unwrap();
}

fn names(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{}:{}", i["package"].as_str().unwrap(), i["name"].as_str().unwrap()))
        .collect();
    v.sort();
    v
}

async fn live_versions(app: &TestApp, full: &str) -> Vec<String> {
    let list = json_ok(
        app.get(&format!("/api/v1/packages/{full}/versions"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut v: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

async fn set_policy(user: &TestUser, scope: &str, rules: Value) -> Value {
    json_ok(
        user.req(Method::PUT, &format!("/api/v1/namespaces/{scope}/retention"))
            .json(&rules)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn preview(user: &TestUser, scope: &str) -> Value {
    json_ok(
        user.get(&format!("/api/v1/namespaces/{scope}/retention/preview"))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn apply(user: &TestUser, scope: &str) -> Value {
    json_ok(
        user.req(Method::POST, &format!("/api/v1/namespaces/{scope}/retention/apply"))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Keep the newest 2 versions; one old version is protected by a dependent, the latest is
/// never deleted; the preview is exactly what the run deletes; GC frees the archives' bytes.
async fn keep_newest_with_dependents(app: TestApp) {
    let alice = app.user("alice").await;
    let mut sizes = std::collections::HashMap::new();
    for (i, v) in ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"].iter().enumerate() {
        let body = alice.publish("alice/lib", v).await;
        sizes.insert(v.to_string(), body["size"].as_i64().unwrap());
        publish_time(&app, "lib", v, now_ms() - (10 - i as i64) * 60_000).await;
    }
    // alice/app depends on exactly 1.1.0 of alice/lib; a yanked-free other package.
    let res = alice
        .publish_bytes(
            "alice/app",
            "1.0.0",
            package_with_deps("alice/app", "1.0.0", &[("alice/lib", "=1.1.0")]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let blobs_before = app.blob_count().await;

    let policy = set_policy(&alice, "alice", json!({ "keep_last": 2 })).await;
    assert_eq!(policy["keep_last"], 2);
    assert_eq!(policy["last_run_at"], Value::Null);

    let dry = preview(&alice, "alice").await;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(names(&dry["deleted"]), ["alice/lib:1.0.0", "alice/lib:1.2.0"]);
    assert_eq!(names(&dry["protected"]), ["alice/lib:1.1.0"]);
    assert_eq!(dry["bytes_reclaimed"], 0);
    // A preview deletes nothing.
    assert_eq!(live_versions(&app, "alice/lib").await.len(), 5);
    assert_eq!(app.blob_count().await, blobs_before);

    let run = apply(&alice, "alice").await;
    assert_eq!(run["dry_run"], false);
    assert_eq!(names(&run["deleted"]), names(&dry["deleted"]));
    assert_eq!(names(&run["protected"]), ["alice/lib:1.1.0"]);
    assert_eq!(live_versions(&app, "alice/lib").await, ["1.1.0", "1.3.0", "1.4.0"]);
    assert_eq!(live_versions(&app, "alice/app").await, ["1.0.0"]);
    // The archives' bytes are gone from the store.
    let freed = sizes["1.0.0"] + sizes["1.2.0"];
    assert_eq!(run["bytes_reclaimed"], freed);
    assert_eq!(app.blob_count().await, blobs_before - 2);
    let gone = app
        .get("/api/v1/packages/alice/lib/versions/1.0.0/download")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    // A second run has nothing left to do.
    let again = apply(&alice, "alice").await;
    assert_eq!(again["deleted"], json!([]));
    assert_eq!(again["bytes_reclaimed"], 0);
    let policy = json_ok(alice.get("/api/v1/namespaces/alice/retention").send().await.unwrap()).await;
    assert!(policy["last_run_at"].is_string(), "{policy}");

    // The audit log names each deletion and the run with the bytes it reclaimed.
    let root = app.admin("sysop").await;
    let log = json_ok(
        root.get("/api/v1/audit?action=version.delete&limit=50")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let deletions = log["events"].as_array().unwrap();
    assert_eq!(deletions.len(), 2, "{log}");
    assert!(deletions.iter().all(|e| e["details"]["via"] == "retention"), "{log}");
    let log = json_ok(
        root.get("/api/v1/audit?action=retention.apply&limit=50")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let runs = log["events"].as_array().unwrap();
    assert!(
        runs.iter()
            .any(|e| e["details"]["bytes_reclaimed"] == freed && e["details"]["deleted"] == 2),
        "{log}"
    );
    // And the metrics, with their help and type lines.
    let metrics = app.get("/metrics").send().await.unwrap().text().await.unwrap();
    for line in [
        "# HELP trove_retention_bytes_reclaimed_total",
        "# TYPE trove_retention_bytes_reclaimed_total counter",
        "# TYPE trove_retention_deleted_total counter",
    ] {
        assert!(metrics.contains(line), "{line} missing from /metrics");
    }
    let reclaimed: f64 = metrics
        .lines()
        .find(|l| l.starts_with("trove_retention_bytes_reclaimed_total"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .expect("a reclaimed-bytes sample");
    assert!(reclaimed >= freed as f64, "{reclaimed} < {freed}");
    app.stop().await;
}

async fn retention_keeps_newest_and_dependents(b: Backend) {
    keep_newest_with_dependents(TestApp::builder(b).config(|c| c.oci.gc_min_age_secs = 0).start().await).await;
}

async fn retention_frees_space_on_s3(b: Backend) {
    keep_newest_with_dependents(
        TestApp::builder(b)
            .s3()
            .config(|c| c.oci.gc_min_age_secs = 0)
            .start()
            .await,
    )
    .await;
}

/// Age and pattern together: only `-dev` versions older than 30 days go.
async fn retention_by_age_and_pattern(b: Backend) {
    let app = TestApp::builder(b).config(|c| c.oci.gc_min_age_secs = 0).start().await;
    let alice = app.user("alice").await;
    for v in ["1.0.0", "1.1.0-dev.1", "1.1.0-dev.2", "1.1.0", "2.0.0-dev.1"] {
        alice.publish("alice/tool", v).await;
    }
    let old = now_ms() - 40 * DAY_MS;
    for v in ["1.0.0", "1.1.0-dev.1", "2.0.0-dev.1"] {
        publish_time(&app, "tool", v, old).await;
    }
    set_policy(&alice, "alice", json!({ "max_age_days": 30, "pattern": "*-dev*" })).await;
    let dry = preview(&alice, "alice").await;
    assert_eq!(
        names(&dry["deleted"]),
        ["alice/tool:1.1.0-dev.1", "alice/tool:2.0.0-dev.1"]
    );
    let run = apply(&alice, "alice").await;
    assert_eq!(names(&run["deleted"]), names(&dry["deleted"]));
    assert!(run["bytes_reclaimed"].as_i64().unwrap() > 0, "{run}");
    assert_eq!(
        live_versions(&app, "alice/tool").await,
        ["1.0.0", "1.1.0", "1.1.0-dev.2"]
    );
    // Keep-N and age together: both must condemn a version.
    set_policy(&alice, "alice", json!({ "keep_last": 1, "max_age_days": 30 })).await;
    assert_eq!(names(&preview(&alice, "alice").await["deleted"]), ["alice/tool:1.0.0"]);
    app.stop().await;
}

/// OCI: old tags beyond the newest one matching `v*` go; the `latest` tag and tags outside the
/// pattern stay; manifests left untagged (and one pushed untagged) go with `delete_untagged`,
/// and GC frees their layers.
async fn retention_oci_tags_and_untagged_manifests(b: Backend) {
    let app = TestApp::builder(b).config(|c| c.oci.gc_min_age_secs = 0).start().await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let repo = "alice/img";
    let mut layers = Vec::new();
    for (i, tag) in ["v1", "v2", "v3", "stable", "latest"].iter().enumerate() {
        let layer = bytes_of(4096 + i * 100, i as u32 + 1);
        oci.push_image(repo, tag, &[&layer]).await;
        layers.push(layer);
    }
    // A manifest pushed by digest only (untagged from the start).
    let lonely = bytes_of(5000, 99);
    let config = br#"{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let cd = oci.push_blob(repo, config).await;
    let ld = oci.push_blob(repo, &lonely).await;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": lonely.len()}],
    }))
    .unwrap();
    let lonely_digest = sha256(&manifest);
    let res = oci.put_manifest(repo, &lonely_digest, OCI_MANIFEST, &manifest).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // Push order decides tag age; everything is older than the untagged grace period.
    let base = now_ms() - 3 * 3_600_000;
    for (i, tag) in ["v1", "v2", "v3", "stable", "latest"].iter().enumerate() {
        let mut conn = app.services().db.conn().await.unwrap();
        sqlx::query("UPDATE oci_tags SET updated_at = $1 WHERE tag = $2")
            .bind(base + i as i64 * 1000)
            .bind(*tag)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sql(&app, "UPDATE oci_manifests SET created_at = $1", &[base]).await;
    let v1 = oci
        .req(Method::HEAD, &format!("/v2/{repo}/manifests/v1"))
        .header("accept", OCI_MANIFEST)
        .send()
        .await
        .unwrap();
    let v1_digest = v1.headers()["docker-content-digest"].to_str().unwrap().to_string();

    // Without delete_untagged only the tags go (no bytes are freed by a tag alone).
    set_policy(&alice, "alice", json!({ "keep_last": 1, "pattern": "v*" })).await;
    let dry = preview(&alice, "alice").await;
    assert_eq!(names(&dry["deleted"]), ["alice/img:v1", "alice/img:v2"]);

    set_policy(
        &alice,
        "alice",
        json!({ "keep_last": 1, "pattern": "v*", "delete_untagged": true }),
    )
    .await;
    let dry = preview(&alice, "alice").await;
    let deleted = names(&dry["deleted"]);
    assert_eq!(deleted.len(), 5, "{dry}");
    for want in ["alice/img:v1", "alice/img:v2"] {
        assert!(deleted.contains(&want.to_string()), "{dry}");
    }
    assert!(deleted.contains(&format!("alice/img:{lonely_digest}")), "{dry}");
    assert!(deleted.contains(&format!("alice/img:{v1_digest}")), "{dry}");
    let blobs_before = app.blob_count().await;
    let run = apply(&alice, "alice").await;
    assert_eq!(names(&run["deleted"]), deleted);
    // v1's and v2's manifest, config and layer, and the lonely manifest, config and layer.
    assert_eq!(app.blob_count().await, blobs_before - 9);
    let freed = run["bytes_reclaimed"].as_i64().unwrap();
    assert!(freed > (4096 + 4196 + 5000) as i64, "{run}");
    let tags = json_ok(oci.send(Method::GET, &format!("/v2/{repo}/tags/list")).await).await;
    assert_eq!(tags["tags"], json!(["latest", "stable", "v3"]));
    let gone = oci
        .send(Method::GET, &format!("/v2/{repo}/manifests/{lonely_digest}"))
        .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    // The kept images still pull whole.
    let res = oci
        .req(Method::GET, &format!("/v2/{repo}/manifests/stable"))
        .header("accept", OCI_MANIFEST)
        .send()
        .await
        .unwrap();
    let m: Value = json_ok(res).await;
    let layer = m["layers"][0]["digest"].as_str().unwrap();
    let blob = oci.send(Method::GET, &format!("/v2/{repo}/blobs/{layer}")).await;
    assert_eq!(blob.bytes().await.unwrap().as_ref(), &layers[3][..]);
    app.stop().await;
}

/// npm: versions a dist-tag names stay; the packument follows the deletions.
async fn retention_keeps_npm_dist_tags(b: Backend) {
    let app = TestApp::builder(b).config(|c| c.oci.gc_min_age_secs = 0).start().await;
    let alice = app.user("alice").await;
    let npm = crate::npm::Npm::user(&app, &alice);
    npm.publish("@alice/np", "1.0.0", json!({})).await;
    npm.publish("@alice/np", "1.1.0", json!({})).await;
    npm.publish_tagged("@alice/np", "2.0.0-beta.1", "beta", json!({})).await;
    npm.publish("@alice/np", "2.0.0", json!({})).await;
    for (i, v) in ["1.0.0", "1.1.0", "2.0.0-beta.1", "2.0.0"].iter().enumerate() {
        publish_time(&app, "np", v, now_ms() - (10 - i as i64) * 60_000).await;
    }
    set_policy(&alice, "alice", json!({ "keep_last": 1 })).await;
    let run = apply(&alice, "alice").await;
    assert_eq!(names(&run["deleted"]), ["alice/np:1.0.0", "alice/np:1.1.0"]);
    let doc = npm.packument("@alice/np").await;
    let mut versions: Vec<&String> = doc["versions"].as_object().unwrap().keys().collect();
    versions.sort();
    assert_eq!(versions, ["2.0.0", "2.0.0-beta.1"]);
    assert_eq!(doc["dist-tags"], json!({ "latest": "2.0.0", "beta": "2.0.0-beta.1" }));
    app.stop().await;
}

/// The background job applies a policy by itself (every second here).
async fn retention_job_applies_policies(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| {
            c.oci.gc_min_age_secs = 0;
            c.retention.interval_secs = 1;
        })
        .start()
        .await;
    let alice = app.user("alice").await;
    for v in ["1.0.0", "2.0.0", "3.0.0"] {
        alice.publish("alice/auto", v).await;
    }
    set_policy(&alice, "alice", json!({ "keep_last": 1 })).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while live_versions(&app, "alice/auto").await.len() > 1 {
        assert!(Instant::now() < deadline, "the job did not apply the policy");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(live_versions(&app, "alice/auto").await, ["3.0.0"]);
    // Deleted by the job itself: no actor, marked as retention.
    let admin = app.admin("sysop").await;
    let log = json_ok(
        admin
            .get("/api/v1/audit?action=version.delete&limit=50")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let events = log["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{log}");
    assert!(
        events
            .iter()
            .all(|e| e["details"]["via"] == "retention" && e["actor"].is_null()),
        "{log}"
    );
    app.stop().await;
}

/// Three nodes on one PostgreSQL database and S3 bucket run the job at once: each policy is
/// applied by one node at a time (its lease), so every deletion and run is recorded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_job_runs_once_across_nodes() {
    let app = TestApp::builder(Backend::Postgres)
        .s3()
        .config(|c| {
            c.oci.gc_min_age_secs = 0;
            c.retention.interval_secs = 1;
        })
        .start()
        .await;
    let mut nodes = Vec::new();
    let mut dirs = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let mut config = app.config.clone();
        config.data_dir = dir.path().to_path_buf();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let node = trove_server::start(config, listener, false).await.expect("node starts");
        node.services.search_index.wait_built().await;
        nodes.push(node);
        dirs.push(dir);
    }
    let users = ["alice", "bob", "carol"];
    for u in users {
        let user = app.user(u).await;
        for v in ["1.0.0", "2.0.0", "3.0.0"] {
            user.publish(&format!("{u}/pkg"), v).await;
        }
        set_policy(&user, u, json!({ "keep_last": 1 })).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for u in users {
        while live_versions(&app, &format!("{u}/pkg")).await.len() > 1 {
            assert!(Instant::now() < deadline, "the job did not apply {u}'s policy");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // A few more ticks on every node.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let admin = app.admin("sysop").await;
    let events = |action: &str| {
        let admin = &admin;
        let action = action.to_string();
        async move {
            let log = json_ok(
                admin
                    .get(&format!("/api/v1/audit?action={action}&limit=500"))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            log["events"].as_array().unwrap().clone()
        }
    };
    assert_eq!(events("version.delete").await.len(), 6);
    let runs = events("retention.apply").await;
    assert_eq!(runs.len(), 3, "{runs:?}");
    for u in users {
        let run = runs.iter().find(|e| e["target"] == u).unwrap();
        assert_eq!(run["details"]["deleted"], 2, "{run}");
    }
    for n in nodes {
        n.shutdown().await.unwrap();
    }
    app.stop().await;
}

/// Who may manage a policy, and what a policy must be.
async fn retention_policy_access_and_validation(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    alice.create_org(json!({ "name": "acme" })).await;
    alice.set_member("acme", "carol", "write").await;
    let path = "/api/v1/namespaces/acme/retention";
    // No policy yet.
    expect_error(
        alice.get(path).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Outsiders see nothing; writers may not manage it; anonymous callers must log in.
    for (who, status, code) in [
        (&bob, StatusCode::NOT_FOUND, "not_found"),
        (&carol, StatusCode::FORBIDDEN, "forbidden"),
    ] {
        for (m, p) in [
            (Method::GET, path.to_string()),
            (Method::PUT, path.to_string()),
            (Method::GET, format!("{path}/preview")),
            (Method::POST, format!("{path}/apply")),
            (Method::DELETE, path.to_string()),
        ] {
            let res = who.req(m, &p).json(&json!({ "keep_last": 1 })).send().await.unwrap();
            expect_error(res, status, code).await;
        }
    }
    let res = app
        .req(Method::PUT, path)
        .json(&json!({ "keep_last": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Bad rules.
    for bad in [
        json!({}),
        json!({ "keep_last": 0 }),
        json!({ "max_age_days": -1 }),
        json!({ "keep_last": 1, "pattern": "" }),
        json!({ "keep_last": 1, "pattern": "x".repeat(200) }),
    ] {
        let res = alice.req(Method::PUT, path).json(&bad).send().await.unwrap();
        expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_policy").await;
    }
    let res = alice
        .req(Method::PUT, path)
        .json(&json!({ "keep_last": 1, "surprise": true }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    // Set, read back, remove.
    set_policy(&alice, "acme", json!({ "keep_last": 3, "pattern": "0.*" })).await;
    let p = json_ok(alice.get(path).send().await.unwrap()).await;
    assert_eq!(
        (&p["namespace"], &p["keep_last"], &p["pattern"]),
        (&json!("acme"), &json!(3), &json!("0.*"))
    );
    let res = alice.req(Method::DELETE, path).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_error(
        alice.get(path).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

/// npm, Cargo and PyPI: a version another live version of the same registry depends on, with
/// a requirement it satisfies read in that ecosystem's terms, is kept (npm ranges, Cargo
/// semver requirements, PEP 508 `Requires-Dist` with PEP 440 specifiers); the others go.
async fn retention_keeps_dependencies_of_every_ecosystem(b: Backend) {
    let app = TestApp::builder(b).config(|c| c.oci.gc_min_age_secs = 0).start().await;
    let alice = app.user("alice").await;
    // npm: `1.1.x || 3` (no semver requirement: the old check kept every version) keeps 1.1.0.
    let npm = crate::npm::Npm::user(&app, &alice);
    for v in ["1.0.0", "1.1.0", "1.2.0", "2.0.0"] {
        npm.publish("@alice/dep", v, json!({})).await;
    }
    npm.publish(
        "@alice/consumer",
        "1.0.0",
        json!({ "dependencies": { "@alice/dep": "1.1.x || 3" } }),
    )
    .await;
    // Cargo: `dep_crate = "^0.2"` (`_` and `-` are one) keeps 0.2.0 only.
    for v in ["0.1.0", "0.2.0", "0.3.0"] {
        crate::cargo::publish_crate(&app, &alice, "alice", "dep-crate", v).await;
    }
    let dep = json!([{
        "name": "dep_crate", "version_req": "^0.2", "features": [], "optional": false,
        "default_features": true, "target": null, "kind": "normal", "registry": null,
        "explicit_name_in_toml": null,
    }]);
    let body = crate::cargo::wire(
        &crate::cargo::metadata("consumer-crate", "1.0.0", dep),
        &crate::cargo::crate_file("consumer-crate-1.0.0", "consumer-crate", "1.0.0"),
    );
    let res = crate::cargo::publish_raw(&app, &alice.token, "alice", body).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    // PyPI: `Dep.Py (>=1.1,<2)` (PEP 503 names) keeps 1.1 only.
    let wheel = |name: &str, module: &str, version: &str, requires: &[&str]| {
        let mut meta = format!("Metadata-Version: 2.4\nName: {name}\nVersion: {version}\n");
        for r in requires {
            meta.push_str(&format!("Requires-Dist: {r}\n"));
        }
        let file = format!("{module}-{version}-py3-none-any.whl");
        let bytes = crate::pypi::zip_of(&[
            (&format!("{module}/__init__.py"), b"X = 1\n".as_slice()),
            (&format!("{module}-{version}.dist-info/METADATA"), meta.as_bytes()),
        ]);
        (file, bytes)
    };
    let upload =
        |name: &'static str, module: &'static str, version: &'static str, requires: &'static [&'static str]| {
            let (file, bytes) = wheel(name, module, version, requires);
            let app = &app;
            let alice = &alice;
            async move {
                let digest = crate::pypi::sha256_hex(&bytes);
                let form = crate::pypi::multipart(
                    &crate::pypi::upload_fields(name, version, "bdist_wheel", &digest),
                    Some((&file, &bytes)),
                );
                let res = crate::pypi::post_upload(app, "alice", &alice.token, form).await;
                assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
            }
        };
    for v in ["1.0", "1.1", "2.0"] {
        upload("dep-py", "dep_py", v, &[]).await;
    }
    upload(
        "consumer-py",
        "consumer_py",
        "1.0",
        &["Dep.Py (>=1.1,<2)", "other; extra == 'x'"],
    )
    .await;

    set_policy(&alice, "alice", json!({ "keep_last": 1 })).await;
    let dry = preview(&alice, "alice").await;
    assert_eq!(
        names(&dry["deleted"]),
        [
            "alice/dep-crate:0.1.0",
            "alice/dep-py:1.0",
            "alice/dep:1.0.0",
            "alice/dep:1.2.0"
        ],
        "{dry}"
    );
    assert_eq!(
        names(&dry["protected"]),
        ["alice/dep-crate:0.2.0", "alice/dep-py:1.1", "alice/dep:1.1.0"],
        "{dry}"
    );
    let run = apply(&alice, "alice").await;
    assert_eq!(names(&run["deleted"]), names(&dry["deleted"]));
    let doc = npm.packument("@alice/dep").await;
    let mut versions: Vec<&String> = doc["versions"].as_object().unwrap().keys().collect();
    versions.sort();
    assert_eq!(versions, ["1.1.0", "2.0.0"]);
    assert_eq!(live_versions(&app, "alice/dep-crate").await, ["0.2.0", "0.3.0"]);
    assert_eq!(live_versions(&app, "alice/dep-py").await, ["1.1", "2.0"]);
    app.stop().await;
}

/// `[oci] delete_enabled = false`: retention deletes nothing of OCI repositories and the
/// preview says why; the namespace's other packages are still handled.
async fn retention_leaves_oci_alone_when_deletes_are_disabled(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| {
            c.oci.gc_min_age_secs = 0;
            c.oci.delete_enabled = false;
        })
        .start()
        .await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    for (i, tag) in ["v1", "v2", "v3"].iter().enumerate() {
        oci.push_image("alice/img", tag, &[&bytes_of(2048, i as u32 + 1)]).await;
    }
    sql(
        &app,
        "UPDATE oci_manifests SET created_at = $1",
        &[now_ms() - 3 * 3_600_000],
    )
    .await;
    for v in ["1.0.0", "2.0.0"] {
        alice.publish("alice/lib", v).await;
    }
    set_policy(&alice, "alice", json!({ "keep_last": 1, "delete_untagged": true })).await;
    let dry = preview(&alice, "alice").await;
    assert_eq!(names(&dry["deleted"]), ["alice/lib:1.0.0"], "{dry}");
    let notes = dry["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{dry}");
    assert!(
        notes[0].as_str().unwrap().contains("[oci] delete_enabled = false"),
        "{dry}"
    );
    let run = apply(&alice, "alice").await;
    assert_eq!(names(&run["deleted"]), ["alice/lib:1.0.0"]);
    assert_eq!(run["notes"], dry["notes"]);
    let tags = json_ok(oci.send(Method::GET, "/v2/alice/img/tags/list").await).await;
    assert_eq!(tags["tags"], json!(["v1", "v2", "v3"]));
    app.stop().await;
}

/// Pushes a referrer (an artifact with one layer) of `subject` (digest, size) by digest.
async fn push_referrer(oci: &Oci, repo: &str, subject: &str, subject_size: usize, seed: u32) -> String {
    let empty = oci.push_blob(repo, b"{}").await;
    let payload = bytes_of(300, seed);
    let layer = oci.push_blob(repo, &payload).await;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.signature",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": "application/vnd.example.signature", "digest": layer, "size": payload.len()}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": subject_size},
    }))
    .unwrap();
    let digest = sha256(&manifest);
    let res = oci.put_manifest(repo, &digest, OCI_MANIFEST, &manifest).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    digest
}

/// Referrers go with their subject: a signature of an image retention deletes, and the
/// referrer of that signature, go too; a referrer whose subject is not in the repository goes
/// past the untagged grace; the kept image keeps its signature.
async fn retention_deletes_referrers_with_their_subject(b: Backend) {
    let app = TestApp::builder(b).config(|c| c.oci.gc_min_age_secs = 0).start().await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let repo = "alice/signed";
    let old = oci.push_image(repo, "v1", &[&bytes_of(3000, 1)]).await;
    let new = oci.push_image(repo, "v2", &[&bytes_of(3000, 2)]).await;
    let (old_digest, new_digest) = (sha256(&old), sha256(&new));
    let old_sig = push_referrer(&oci, repo, &old_digest, old.len(), 10).await;
    let sig_of_sig = push_referrer(&oci, repo, &old_sig, 500, 11).await;
    let new_sig = push_referrer(&oci, repo, &new_digest, new.len(), 12).await;
    let missing = format!("sha256:{}", "ab".repeat(32));
    let orphan = push_referrer(&oci, repo, &missing, 400, 13).await;
    let fresh_orphan = push_referrer(&oci, repo, &format!("sha256:{}", "cd".repeat(32)), 400, 14).await;
    let base = now_ms() - 3 * 3_600_000;
    sql(&app, "UPDATE oci_manifests SET created_at = $1", &[base]).await;
    sql(&app, "UPDATE oci_tags SET updated_at = $1 WHERE tag = 'v1'", &[base]).await;
    sql(
        &app,
        "UPDATE oci_tags SET updated_at = $1 WHERE tag = 'v2'",
        &[base + 1000],
    )
    .await;
    {
        let mut conn = app.services().db.conn().await.unwrap();
        sqlx::query("UPDATE oci_manifests SET created_at = $1 WHERE digest = $2")
            .bind(now_ms())
            .bind(&fresh_orphan)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    set_policy(&alice, "alice", json!({ "keep_last": 1, "delete_untagged": true })).await;
    let dry = preview(&alice, "alice").await;
    let mut want: Vec<String> = [
        "v1".to_string(),
        old_digest.clone(),
        old_sig.clone(),
        sig_of_sig.clone(),
        orphan.clone(),
    ]
    .iter()
    .map(|n| format!("{repo}:{n}"))
    .collect();
    want.sort();
    assert_eq!(names(&dry["deleted"]), want, "{dry}");
    let run = apply(&alice, "alice").await;
    assert_eq!(names(&run["deleted"]), want);
    for gone in [&old_digest, &old_sig, &sig_of_sig, &orphan] {
        let res = oci.send(Method::HEAD, &format!("/v2/{repo}/manifests/{gone}")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{gone}");
    }
    for kept in [&new_digest, &new_sig, &fresh_orphan] {
        let res = oci
            .req(Method::HEAD, &format!("/v2/{repo}/manifests/{kept}"))
            .header("accept", OCI_MANIFEST)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{kept}");
    }
    let referrers = json_ok(
        oci.send(Method::GET, &format!("/v2/{repo}/referrers/{new_digest}"))
            .await,
    )
    .await;
    assert_eq!(referrers["manifests"][0]["digest"], json!(new_sig));
    let referrers = json_ok(
        oci.send(Method::GET, &format!("/v2/{repo}/referrers/{old_digest}"))
            .await,
    )
    .await;
    assert_eq!(referrers["manifests"], json!([]));
    app.stop().await;
}

both_backends!(
    retention_keeps_dependencies_of_every_ecosystem,
    retention_leaves_oci_alone_when_deletes_are_disabled,
    retention_deletes_referrers_with_their_subject,
    retention_keeps_newest_and_dependents,
    retention_frees_space_on_s3,
    retention_by_age_and_pattern,
    retention_oci_tags_and_untagged_manifests,
    retention_keeps_npm_dist_tags,
    retention_job_applies_policies,
    retention_policy_access_and_validation,
);
