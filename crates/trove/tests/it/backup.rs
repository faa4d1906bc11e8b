//! `trove admin backup` / `trove admin restore` with the real binary: a backup taken while the
//! server runs, restored into a fresh database and blob store (also another backend and S3),
//! then served again: same packages, owners, download counts, byte-identical archives and OCI
//! content, old tokens and passwords still valid. Damaged backups and non-empty targets are
//! refused without changing anything.

use crate::common::*;
use crate::oci::{bytes_of, sha256, Oci};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use trove_server::Config;
use trove_testkit::{both_backends, Backend, TestDb};

/// Where a `trove` process keeps its data: database URL, data dir, optional S3 settings.
#[derive(Clone)]
struct Target {
    db_url: String,
    data_dir: PathBuf,
    s3: Option<trove_storage::StorageConfig>,
}

impl Target {
    fn of(config: &Config) -> Target {
        let s3 = (config.storage.backend == "s3").then(|| config.storage_config());
        Target {
            db_url: config.database_url(),
            data_dir: config.data_dir.clone(),
            s3,
        }
    }

    fn trove(&self, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_trove"));
        c.env("TROVE_DATA_DIR", &self.data_dir)
            .env("TROVE_DATABASE_URL", &self.db_url)
            .env("TROVE_AUTH_ARGON2_MEMORY_KIB", "1024");
        if let Some(trove_storage::StorageConfig::S3 {
            bucket,
            endpoint,
            access_key_id,
            secret_access_key,
            prefix,
            ..
        }) = &self.s3
        {
            c.env("TROVE_STORAGE_BACKEND", "s3").env("TROVE_STORAGE_BUCKET", bucket);
            for (k, v) in [
                ("ENDPOINT", endpoint),
                ("ACCESS_KEY_ID", access_key_id),
                ("SECRET_ACCESS_KEY", secret_access_key),
                ("PREFIX", prefix),
            ] {
                if let Some(v) = v {
                    c.env(format!("TROVE_STORAGE_{k}"), v);
                }
            }
        }
        c.args(args).output().expect("run trove")
    }

    /// Applies this target to a server configuration.
    fn apply(&self, c: &mut Config) {
        c.database.url = Some(self.db_url.clone());
        c.data_dir = self.data_dir.clone();
        if let Some(trove_storage::StorageConfig::S3 {
            bucket,
            endpoint,
            access_key_id,
            secret_access_key,
            prefix,
            ..
        }) = self.s3.clone()
        {
            c.storage.backend = "s3".into();
            c.storage.bucket = Some(bucket);
            c.storage.endpoint = endpoint;
            c.storage.access_key_id = access_key_id;
            c.storage.secret_access_key = secret_access_key;
            c.storage.prefix = prefix;
        }
    }
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "trove failed: {}\nstdout: {stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn failed(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.starts_with("error: "), "{err}");
    err
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// What the source registry holds, to compare the restored one with.
struct Expected {
    /// (package, version, archive bytes)
    archives: Vec<(String, String, Vec<u8>)>,
    /// Package JSON (downloads, owners…) per package.
    packages: Vec<(String, Value, Value)>,
    alice_token: String,
    ci_token: String,
    oci_manifest: Vec<u8>,
    oci_layer: Vec<u8>,
    users: u64,
}

async fn populate(app: &TestApp) -> Expected {
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let _boss = app.admin("boss").await;
    alice
        .create_org(json!({ "name": "acme", "description": "Acme Corp" }))
        .await;
    alice.set_member("acme", "bob", "write").await;
    let ci_token = alice
        .create_token(json!({ "name": "ci", "scopes": ["publish"], "packages": ["alice/*"] }))
        .await;
    let mut archives = Vec::new();
    for (who, full, version, readme) in [
        (&alice, "alice/widget", "1.0.0", "# Widget\n"),
        (&alice, "alice/widget", "1.1.0", "# Widget, better\n"),
        (&bob, "bob/tool", "0.1.0", "# Tool\n"),
        (&alice, "acme/lib", "2.0.0", "# Lib\n"),
    ] {
        let archive = trove_tarball::simple_package(full, version, &readme.repeat(200));
        let res = who.publish_bytes(full, version, archive.clone()).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
        archives.push((full.to_string(), version.to_string(), archive));
    }
    let res = alice
        .req(Method::PUT, "/api/v1/packages/alice/widget/owners/bob")
        .json(&json!({ "role": "maintainer" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "add owner: {}", res.text().await.unwrap());
    for (full, version, n) in [("alice/widget", "1.0.0", 3), ("bob/tool", "0.1.0", 2)] {
        for _ in 0..n {
            let res = app
                .get(&format!("/api/v1/packages/{full}/versions/{version}/download"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
    }
    app.flush_downloads().await;
    // An OCI image: config, two layers, manifest.
    let oci = Oci::user(app, &alice);
    let layer = bytes_of(20_000, 7);
    let oci_manifest = oci.push_image("alice/app", "v1", &[&layer, &bytes_of(3000, 9)]).await;
    let mut packages = Vec::new();
    for full in ["alice/widget", "bob/tool", "acme/lib"] {
        let p = json_ok(app.get(&format!("/api/v1/packages/{full}")).send().await.unwrap()).await;
        let owners = json_ok(
            app.get(&format!("/api/v1/packages/{full}/owners"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        packages.push((full.to_string(), p, owners));
    }
    assert_eq!(packages[0].1["downloads"], 3);
    Expected {
        archives,
        packages,
        alice_token: alice.token.clone(),
        ci_token,
        oci_manifest,
        oci_layer: layer,
        users: 3,
    }
}

/// Checks a server on restored data against what the source held.
async fn verify(app: &TestApp, exp: &Expected) {
    for (full, p, owners) in &exp.packages {
        let got = json_ok(app.get(&format!("/api/v1/packages/{full}")).send().await.unwrap()).await;
        for key in ["downloads", "latest_version", "description", "visibility", "ecosystem"] {
            assert_eq!(got[key], p[key], "{full}: {key}");
        }
        let got_owners = json_ok(
            app.get(&format!("/api/v1/packages/{full}/owners"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(&got_owners, owners, "{full}: owners");
    }
    for (full, version, archive) in &exp.archives {
        let res = app
            .get(&format!("/api/v1/packages/{full}/versions/{version}/download"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{full}@{version}");
        assert_eq!(res.headers()["etag"], format!("\"{}\"", sha256(archive)).as_str());
        assert_eq!(&res.bytes().await.unwrap()[..], &archive[..], "{full}@{version} bytes");
    }
    // The old tokens work, with their scopes; passwords still log in.
    let me = json_ok(
        app.get("/api/v1/me")
            .bearer_auth(&exp.alice_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["username"], "alice");
    let res = app
        .req(Method::PUT, "/api/v1/packages/alice/widget/versions/1.2.0")
        .bearer_auth(&exp.ci_token)
        .header("content-type", "application/gzip")
        .body(trove_tarball::simple_package("alice/widget", "1.2.0", "# new\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "publish with the old CI token after restore"
    );
    let bob = app.login("bob").await;
    // New rows get new ids (sequences moved past the restored ones).
    let carol = app.user("carol").await;
    let v = json_ok(carol.get("/api/v1/me").send().await.unwrap()).await;
    assert_eq!(v["username"], "carol");
    bob.publish("bob/tool", "0.2.0").await;
    // OCI content, pulled with the old token.
    let oci = Oci::token(app, &exp.alice_token);
    let res = oci.send(Method::GET, "/v2/alice/app/manifests/v1").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(&res.bytes().await.unwrap()[..], &exp.oci_manifest[..]);
    let res = oci
        .send(Method::GET, &format!("/v2/alice/app/blobs/{}", sha256(&exp.oci_layer)))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(&res.bytes().await.unwrap()[..], &exp.oci_layer[..]);
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// A fresh database and data directory (optionally S3 storage) to restore into.
struct Fresh {
    db: TestDb,
    _dir: tempfile::TempDir,
    target: Target,
}

async fn fresh(b: Backend, s3: bool) -> Fresh {
    let db = TestDb::new(b).await;
    let dir = tempfile::tempdir().unwrap();
    let target = Target {
        db_url: db.url.clone(),
        data_dir: dir.path().to_path_buf(),
        s3: s3.then(trove_testkit::s3_storage),
    };
    Fresh { db, _dir: dir, target }
}

/// Rows in a database (0 for an empty, migrated one), ignoring migration seeds.
async fn rows_in(db: &TestDb) -> i64 {
    let db = db.connect().await;
    let n = trove_db::backup::non_empty_tables(&db).await.unwrap();
    db.close().await;
    n.iter().map(|(_, n)| n).sum()
}

fn files_under(dir: &Path) -> usize {
    match std::fs::read_dir(dir) {
        Err(_) => 0,
        Ok(rd) => rd
            .map(|e| {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    files_under(&e.path())
                } else {
                    1
                }
            })
            .sum(),
    }
}

async fn backup_and_restore(b: Backend) {
    let app = TestApp::new(b).await;
    let exp = populate(&app).await;
    let source = Target::of(&app.config);
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().join("b1");
    let dir_s = dir.to_str().unwrap();

    // While the server runs.
    let t = std::time::Instant::now();
    let out = ok(&source.trove(&["admin", "backup", dir_s]));
    let backup_secs = t.elapsed().as_secs_f64();
    assert!(out.contains("backup written to"), "{out}");
    let m = manifest(&dir);
    assert_eq!(m["kind"], "trove-backup");
    assert_eq!(m["trove_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        m["database"]["backend"],
        if b == Backend::Sqlite { "sqlite" } else { "postgres" }
    );
    assert!(m["database"]["migration_version"].as_i64().unwrap() >= 6);
    let rows = |t: &str| {
        m["database"]["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == t)
            .unwrap_or_else(|| panic!("table {t}"))["rows"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(rows("users"), exp.users);
    assert_eq!(rows("versions"), 4);
    // 4 archives + OCI config, 2 layers, manifest.
    assert_eq!(m["blobs"]["count"], 8, "{m}");
    assert_eq!(
        m["database"]["sqlite_snapshot"].is_string(),
        b == Backend::Sqlite,
        "VACUUM INTO snapshot on SQLite"
    );
    let size = dir_size(&dir);
    eprintln!("backup ({b:?}): {backup_secs:.2}s, {size} bytes");

    // A second run copies no blob again and replaces the snapshot.
    let out = ok(&source.trove(&["--json", "admin", "backup", dir_s]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["blobs_copied"], 0, "{v}");
    assert_eq!(v["blobs_reused"], 8, "{v}");
    let snapshots = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("db-"))
        .count();
    assert_eq!(snapshots, 1);
    // Every stored blob (here all are referenced): nothing new to copy.
    let out = ok(&source.trove(&["admin", "backup", "--all-blobs", "--json", dir_s]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["blobs"].as_u64(), v["blobs_copied"].as_u64()),
        (Some(8), Some(0)),
        "{v}"
    );
    // Not into a directory holding something else.
    let other = backups.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let err = failed(&source.trove(&["admin", "backup", other.to_str().unwrap()]));
    assert!(err.contains("not a Trove backup"), "{err}");
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);

    // Damaged backups are refused before anything changes.
    let target = fresh(b, false).await;
    let m = manifest(&dir);
    let broken = backups.path().join("broken-table");
    copy_dir(&dir, &broken);
    let users_file = m["database"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "users")
        .unwrap()["file"]
        .as_str()
        .unwrap()
        .to_string();
    let text = std::fs::read_to_string(broken.join(&users_file)).unwrap();
    std::fs::write(broken.join(&users_file), text.replace("alice", "mallory")).unwrap();
    let err = failed(&target.target.trove(&["admin", "restore", broken.to_str().unwrap()]));
    assert!(
        err.contains("is corrupt") && err.contains("nothing was restored"),
        "{err}"
    );
    let broken_blob = backups.path().join("broken-blob");
    copy_dir(&dir, &broken_blob);
    let hex = sha256(&exp.oci_layer)[7..].to_string();
    let blob = broken_blob.join("blobs/sha256").join(&hex[..2]).join(&hex);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let err = failed(
        &target
            .target
            .trove(&["admin", "restore", broken_blob.to_str().unwrap()]),
    );
    assert!(err.contains("is corrupt") && err.contains(&hex), "{err}");
    assert_eq!(rows_in(&target.db).await, 0);
    assert_eq!(files_under(&target.target.data_dir.join("blobs")), 0);
    let err = failed(
        &target
            .target
            .trove(&["admin", "restore", backups.path().to_str().unwrap()]),
    );
    assert!(err.contains("no manifest.json"), "{err}");

    // Into the fresh database and blob directory.
    let t = std::time::Instant::now();
    let out = ok(&target.target.trove(&["admin", "restore", dir_s]));
    let restore_secs = t.elapsed().as_secs_f64();
    eprintln!("restore ({b:?}): {restore_secs:.2}s");
    assert!(out.contains("restored the backup"), "{out}");
    assert!(out.contains("8 checked, 8 stored"), "{out}");
    // Not again into what is now a non-empty database, unless forced.
    let err = failed(&target.target.trove(&["admin", "restore", dir_s]));
    assert!(err.contains("not empty") && err.contains("--force"), "{err}");
    let out = ok(&target.target.trove(&["--json", "admin", "restore", "--force", dir_s]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["replaced_existing_data"], true);
    assert_eq!(v["blobs_present"], 8);

    // The source keeps running; a server on the restored data serves the same registry.
    app.stop().await;
    let t2 = target.target.clone();
    let restored = TestApp::builder(b).config(move |c| t2.apply(c)).start().await;
    verify(&restored, &exp).await;
    restored.stop().await;
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                dir_size(&e.path())
            } else {
                e.metadata().unwrap().len()
            }
        })
        .sum()
}

/// A backup moves a registry between backends: SQLite + files → PostgreSQL + S3, and back.
async fn across_backends(b: Backend) {
    let app = TestApp::new(b).await;
    let exp = populate(&app).await;
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().join("b");
    // Publishes go on while the backup runs: whatever the snapshot holds must come with its blobs.
    let busy = app.login("alice").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let publisher = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 200 {
                let v = format!("1.0.{n}");
                let res = busy
                    .publish_bytes(
                        "alice/busy",
                        &v,
                        trove_tarball::simple_package("alice/busy", &v, "# busy\n"),
                    )
                    .await;
                assert_eq!(res.status(), StatusCode::CREATED);
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let source = Target::of(&app.config);
    let d = dir.clone();
    tokio::task::spawn_blocking(move || ok(&source.trove(&["admin", "backup", d.to_str().unwrap()])))
        .await
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let published = publisher.await.unwrap();
    app.stop().await;
    let other = if b == Backend::Sqlite {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let target = fresh(other, true).await;
    let out = ok(&target.target.trove(&["admin", "restore", dir.to_str().unwrap()]));
    assert!(out.contains("s3:"), "{out}");
    let t2 = target.target.clone();
    let restored = TestApp::builder(other).config(move |c| t2.apply(c)).start().await;
    let versions = json_ok(
        restored
            .get("/api/v1/packages/alice/busy/versions")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let versions = versions.as_array().unwrap();
    assert!(
        !versions.is_empty() && versions.len() <= published,
        "{} of {published}",
        versions.len()
    );
    eprintln!(
        "{b:?} -> {other:?} + S3: the snapshot holds {} of the {published} versions published during the backup",
        versions.len()
    );
    for v in versions {
        let v = v["version"].as_str().unwrap();
        let res = restored
            .get(&format!("/api/v1/packages/alice/busy/versions/{v}/download"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "alice/busy@{v}");
        let etag = res.headers()["etag"].to_str().unwrap().to_string();
        assert_eq!(etag, format!("\"{}\"", sha256(&res.bytes().await.unwrap())));
    }
    verify(&restored, &exp).await;
    restored.stop().await;
}

both_backends!(backup_and_restore, across_backends);
