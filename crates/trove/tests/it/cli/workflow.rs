//! init → package → publish three interdependent packages → install in a fresh folder →
//! yank → the lock keeps the yanked version while a fresh resolve skips it → a readable
//! conflict → `--locked` refusing a changed lock; and a tampered download aborting.

use super::{write, CliEnv};
use crate::common::*;
use reqwest::StatusCode;
use sha2::{Digest as _, Sha256};
use std::path::Path;
use std::time::Instant;
use trove_testkit::{both_backends, Backend};

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// A package project: trove.toml from `trove init`, a readme, a version file, and a log
/// file that `.troveignore` keeps out of the archive.
async fn make_project(cli: &CliEnv, dir: &Path, name: &str, version: &str) {
    let desc = format!("The {name} package");
    cli.run(
        dir,
        &[
            "init",
            "--name",
            name,
            "--version",
            version,
            "--description",
            &desc,
            "--license",
            "MIT",
        ],
    )
    .await
    .ok();
    write(&dir.join("README.md"), &format!("# {name}\n"));
    write(&dir.join("src/version.txt"), version);
    write(&dir.join("debug.log"), "noise");
    write(&dir.join(".troveignore"), "# local noise\n*.log\n");
}

/// Bumps the version in trove.toml and in the version file.
fn set_version(dir: &Path, version: &str) {
    let text: Vec<String> = read(&dir.join("trove.toml"))
        .lines()
        .map(|l| {
            if l.starts_with("version = ") {
                format!("version = \"{version}\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    write(&dir.join("trove.toml"), &(text.join("\n") + "\n"));
    write(&dir.join("src/version.txt"), version);
}

async fn registry_digest(app: &TestApp, full: &str, version: &str) -> String {
    let v = json_ok(
        app.get(&format!("/api/v1/packages/{full}/versions/{version}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    v["digest"].as_str().unwrap().to_string()
}

fn lock_entries(dir: &Path) -> Vec<toml::Value> {
    let lock: toml::Value = toml::from_str(&read(&dir.join("trove.lock"))).unwrap();
    lock.get("package")
        .and_then(|p| p.as_array())
        .cloned()
        .unwrap_or_default()
}

fn locked_version(dir: &Path, name: &str) -> Option<String> {
    lock_entries(dir)
        .iter()
        .find(|p| p["name"].as_str() == Some(name))
        .map(|p| p["version"].as_str().unwrap().to_string())
}

fn installed_version(project: &Path, pkg: &str) -> String {
    read(&project.join("trove_packages/alice").join(pkg).join("src/version.txt"))
}

async fn publish_install_yank_lock_and_conflicts(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let cli = CliEnv::new(&app);
    cli.login(&alice.token).await;

    // c: a dry run validates locally and uploads nothing; `package` honours .troveignore.
    let c = cli.dir("c");
    make_project(&cli, &c, "alice/c", "1.0.0").await;
    let dry = cli.run(&c, &["publish", "--dry-run"]).await.ok();
    assert!(
        dry.stdout.contains("Dry run: would upload alice/c 1.0.0"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("src/version.txt") && !dry.stdout.contains("debug.log"));
    let res = app.get("/api/v1/packages/alice/c/versions/1.0.0").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let packed = cli.run(&c, &["package", "--json"]).await.ok().json();
    let files: Vec<&str> = packed["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files[0], "trove.toml");
    assert!(
        files.contains(&"src/version.txt") && files.contains(&"README.md"),
        "{files:?}"
    );
    assert!(!files.contains(&"debug.log"), "{files:?}");
    assert!(Path::new(packed["path"].as_str().unwrap()).is_file());

    let out = cli.run(&c, &["publish"]).await.ok();
    assert!(
        out.stdout.contains("Published alice/c 1.0.0 (sha256:"),
        "{}",
        out.stdout
    );
    set_version(&c, "1.1.0");
    cli.run(&c, &["publish"]).await.ok();

    // b depends on c; its own trove_packages/ and trove.lock are never packed.
    let bdir = cli.dir("b");
    make_project(&cli, &bdir, "alice/b", "1.0.0").await;
    cli.run(&bdir, &["add", "alice/c@^1.0"]).await.ok();
    assert!(bdir.join("trove_packages/alice/c/trove.toml").is_file());
    let dry = cli.run(&bdir, &["publish", "--dry-run", "--json"]).await.ok().json();
    let text = dry["files"].to_string();
    assert!(
        !text.contains("trove_packages") && !text.contains("trove.lock"),
        "{text}"
    );
    assert_eq!(dry["dependencies"]["alice/c"], "^1.0");
    cli.run(&bdir, &["publish"]).await.ok();

    // a depends on b.
    let adir = cli.dir("a");
    make_project(&cli, &adir, "alice/a", "1.0.0").await;
    cli.run(&adir, &["add", "alice/b@^1"]).await.ok();
    cli.run(&adir, &["publish"]).await.ok();

    // A fresh project gets the whole graph, highest versions, verified and extracted.
    let proj = cli.dir("app");
    cli.run(&proj, &["init", "--name", "alice/app"]).await.ok();
    let started = Instant::now();
    let out = cli.run(&proj, &["add", "alice/a"]).await.ok();
    eprintln!(
        "cold install of 3 packages (one process, resolve + download + extract): {:?}",
        started.elapsed()
    );
    assert!(
        out.stdout
            .contains("Installed 3 package(s) into trove_packages/ (3 downloaded"),
        "{}",
        out.stdout
    );
    assert!(read(&proj.join("trove.toml")).contains("\"alice/a\" = \"^1.0.0\""));
    assert_eq!(installed_version(&proj, "a"), "1.0.0");
    assert_eq!(installed_version(&proj, "b"), "1.0.0");
    assert_eq!(installed_version(&proj, "c"), "1.1.0");
    assert!(proj.join("trove_packages/alice/a/README.md").is_file());
    assert!(!proj.join("trove_packages/alice/a/debug.log").exists());
    let entries = lock_entries(&proj);
    assert_eq!(entries.len(), 3);
    for e in &entries {
        let (name, version) = (e["name"].as_str().unwrap(), e["version"].as_str().unwrap());
        assert_eq!(
            e["digest"].as_str().unwrap(),
            registry_digest(&app, name, version).await,
            "{name}"
        );
    }
    let a_entry = entries.iter().find(|e| e["name"].as_str() == Some("alice/a")).unwrap();
    assert_eq!(
        a_entry["dependencies"].as_array().unwrap()[0].as_str(),
        Some("alice/b 1.0.0")
    );

    // Yank the locked c 1.1.0: the lock keeps it (nothing re-downloaded, lock untouched) …
    let yanked = cli.run(&c, &["yank", "alice/c@1.1.0"]).await.ok();
    assert!(yanked.stdout.contains("Yanked alice/c 1.1.0"));
    let lock_before = read(&proj.join("trove.lock"));
    let again = cli.run(&proj, &["install"]).await.ok();
    assert!(
        again.stderr.contains("`alice/c` 1.1.0 is yanked; trove.lock keeps it"),
        "{}",
        again.stderr
    );
    assert!(again.stdout.contains("(0 downloaded"), "{}", again.stdout);
    assert_eq!(read(&proj.join("trove.lock")), lock_before);
    // … even from scratch, and `--locked` agrees since the lock does not change.
    std::fs::remove_dir_all(proj.join("trove_packages")).unwrap();
    let report = cli.run(&proj, &["install", "--locked", "--json"]).await.ok().json();
    assert_eq!(report["lock_changed"], false);
    assert_eq!(report["downloaded"], 3);
    assert_eq!(installed_version(&proj, "c"), "1.1.0");

    // … while a fresh resolve without a lock skips the yanked version.
    let fresh = cli.dir("fresh");
    std::fs::copy(proj.join("trove.toml"), fresh.join("trove.toml")).unwrap();
    cli.run(&fresh, &["install"]).await.ok();
    assert_eq!(installed_version(&fresh, "c"), "1.0.0");
    assert_eq!(locked_version(&fresh, "alice/c").as_deref(), Some("1.0.0"));

    // A conflict is explained in plain words, and trove.toml is left as it was.
    set_version(&c, "2.0.0");
    cli.run(&c, &["publish"]).await.ok();
    let manifest_before = read(&proj.join("trove.toml"));
    let conflict = cli.run(&proj, &["add", "alice/c@^2"]).await.fails();
    let msg = &conflict.stderr;
    assert!(msg.contains("cannot resolve the dependencies of alice/app"), "{msg}");
    assert!(
        msg.contains(
            "Because `alice/b` 1.0.0 depends on `alice/c` ^1.0 and `alice/a` 1.0.0 depends on `alice/b` ^1, \
             `alice/a` 1.0.0 depends on `alice/c` ^1.0.\n\
             And because your project depends on `alice/a` ^1.0.0 and `alice/c` ^2, \
             the dependencies cannot be resolved."
        ),
        "{msg}"
    );
    assert_eq!(read(&proj.join("trove.toml")), manifest_before);

    // --locked refuses a lock that would change, and leaves it alone.
    write(
        &proj.join("trove.toml"),
        &manifest_before.replace(
            "\"alice/a\" = \"^1.0.0\"",
            "\"alice/a\" = \"^1.0.0\"\n\"alice/c\" = \"=1.0.0\"",
        ),
    );
    let refused = cli.run(&proj, &["install", "--locked"]).await.fails();
    assert!(
        refused
            .stderr
            .contains("--locked was given but trove.lock would change"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("~ alice/c 1.1.0 -> 1.0.0"),
        "{}",
        refused.stderr
    );
    assert_eq!(read(&proj.join("trove.lock")), lock_before);
    // Without it the lock moves; `remove` and `update` keep things consistent.
    cli.run(&proj, &["install"]).await.ok();
    assert_eq!(installed_version(&proj, "c"), "1.0.0");
    assert_eq!(locked_version(&proj, "alice/c").as_deref(), Some("1.0.0"));
    cli.run(&proj, &["remove", "alice/c"]).await.ok();
    assert!(!read(&proj.join("trove.toml")).contains("alice/c"));
    let upd = cli.run(&proj, &["update", "--json"]).await.ok().json();
    assert_eq!(upd["packages"].as_array().unwrap().len(), 3);
    // Removing the last dependency removes the folders the tool created.
    cli.run(&proj, &["remove", "alice/a"]).await.ok();
    assert!(!proj.join("trove_packages/alice/a").exists());
    assert!(lock_entries(&proj).is_empty());
    app.stop().await;
}

/// Finds a stored blob file by its hex digest under `dir`.
fn find_blob(dir: &Path, hex: &str) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()? {
        let p = e.ok()?.path();
        if p.is_dir() {
            if let Some(found) = find_blob(&p, hex) {
                return Some(found);
            }
        } else if p.file_name().and_then(|n| n.to_str()) == Some(hex) {
            return Some(p);
        }
    }
    None
}

async fn tampered_download_aborts_install(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    alice.publish("alice/t", "1.0.0").await;
    let digest = registry_digest(&app, "alice/t", "1.0.0").await;
    // Flip one byte of the stored archive: same size, different content.
    let path = find_blob(app.dir.path(), digest.trim_start_matches("sha256:")).expect("blob on disk");
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();

    let cli = CliEnv::new(&app);
    let proj = cli.dir("proj");
    cli.run(&proj, &["init", "--name", "alice/proj"]).await.ok();
    let manifest = read(&proj.join("trove.toml"));
    let out = cli.run(&proj, &["add", "alice/t@^1"]).await.fails();
    assert!(
        out.stderr.contains("digest mismatch for `alice/t` 1.0.0"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&format!("expected {digest}")), "{}", out.stderr);
    assert!(!proj.join("trove_packages/alice/t").exists());
    assert!(!proj.join("trove.lock").exists());
    assert_eq!(read(&proj.join("trove.toml")), manifest, "trove.toml is restored");
    // Only the temporary download folder may have existed; nothing is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(proj.join("trove_packages"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.iter().all(|n| n == ".trove-state.json"), "{leftovers:?}");
    app.stop().await;
}

/// Pseudo-random, incompressible bytes.
fn noise(seed: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut block = Sha256::digest(seed.as_bytes());
    while out.len() < len {
        out.extend_from_slice(&block);
        block = Sha256::digest(block);
    }
    out.truncate(len);
    out
}

async fn installs_a_wide_graph_in_parallel(b: Backend) {
    const LEAVES: usize = 30;
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let mut deps = Vec::new();
    for i in 0..LEAVES {
        let name = format!("alice/leaf{i}");
        let archive = trove_tarball::ArchiveBuilder::new()
            .file(
                "trove.toml",
                trove_tarball::manifest_toml(&name, "1.0.0", &[]).as_bytes(),
            )
            .file("data.bin", &noise(&name, 128 * 1024))
            .finish();
        let res = alice.publish_bytes(&name, "1.0.0", archive).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        deps.push(name);
    }
    let dep_refs: Vec<(&str, &str)> = deps.iter().map(|d| (d.as_str(), "^1")).collect();
    let res = alice
        .publish_bytes("alice/hub", "1.0.0", package_with_deps("alice/hub", "1.0.0", &dep_refs))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let cli = CliEnv::new(&app);
    let proj = cli.dir("proj");
    cli.run(&proj, &["init", "--name", "alice/proj"]).await.ok();
    let started = Instant::now();
    let report = cli.run(&proj, &["add", "alice/hub", "--json"]).await.ok().json();
    let cold = started.elapsed();
    assert_eq!(report["packages"].as_array().unwrap().len(), LEAVES + 1);
    assert_eq!(report["downloaded"], LEAVES + 1);
    for i in 0..LEAVES {
        let data = std::fs::read(proj.join(format!("trove_packages/alice/leaf{i}/data.bin"))).unwrap();
        assert_eq!(data, noise(&format!("alice/leaf{i}"), 128 * 1024));
    }
    let started = Instant::now();
    let warm = cli.run(&proj, &["install", "--locked", "--json"]).await.ok().json();
    assert_eq!(warm["downloaded"], 0);
    eprintln!(
        "install of {} packages ({} KiB): cold {:?}, warm (all present, --locked) {:?}",
        LEAVES + 1,
        report["downloaded_bytes"].as_u64().unwrap() / 1024,
        cold,
        started.elapsed()
    );
    app.stop().await;
}

both_backends!(
    publish_install_yank_lock_and_conflicts,
    tampered_download_aborts_install,
    installs_a_wide_graph_in_parallel
);
