//! The machine's real `cargo` against a running Trove, offline (only Trove registries: a
//! `mirror` namespace stands in for crates.io through source replacement). Publishes a
//! crate with features, a crate depending on it (renamed) and on a "crates.io" crate, builds
//! and runs a binary using them (sources downloaded from Trove, checksums verified by
//! cargo), yanks and unyanks, manages owners, searches, logs in through stdin, and is told
//! clearly why a colliding name is refused.

use super::*;
use trove_testkit::{both_backends, Backend};

both_backends!(cargo_end_to_end);

fn base_toml(version: &str) -> String {
    format!(
        "[package]\nname = \"trove-base\"\nversion = \"{version}\"\nedition = \"2021\"\nlicense = \"MIT\"\n\
         description = \"base crate\"\n\n[features]\ndefault = [\"std\"]\nstd = []\nextra = []\n"
    )
}

const BASE_RS: &str = "pub fn base() -> u32 { 40 }\n#[cfg(feature = \"extra\")]\npub fn extra() -> u32 { 2 }\n";

const MID_TOML: &str = "[package]\nname = \"trove_mid\"\nversion = \"0.2.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n\
description = \"depends on trove-base (renamed) and on a crates.io crate\"\n\n[dependencies]\n\
basecrate = { package = \"trove-base\", version = \"0.1\", registry = \"trove\", features = [\"extra\"] }\n\
fakeio = { version = \"1\", optional = true }\n\n[features]\ndefault = [\"io\"]\nio = [\"dep:fakeio\"]\n";

const MID_RS: &str = "pub fn answer() -> u32 { basecrate::base() + basecrate::extra() + io() }\n\
#[cfg(feature = \"io\")]\nfn io() -> u32 { fakeio::io() - 7 }\n#[cfg(not(feature = \"io\"))]\nfn io() -> u32 { 0 }\n";

const APP_TOML: &str = "[package]\nname = \"app\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
[dependencies]\ntrove_mid = { version = \"0.2\", registry = \"trove\" }\n";

const PUBLISH: &[&str] = &["publish", "--registry", "trove", "--no-verify", "--allow-dirty"];

/// The version of `name` a lock file pins.
fn locked(lock: &str, name: &str) -> Vec<String> {
    let doc: toml::Table = lock.parse().unwrap();
    doc["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"].as_str() == Some(name))
        .map(|p| p["version"].as_str().unwrap().to_string())
        .collect()
}

async fn cargo_end_to_end(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let mirror = app.user("mirror").await;
    let work = tempfile::tempdir().unwrap();
    let w = work.path();

    // A crates.io stand-in: `fakeio` in the `mirror` namespace, published with cargo.
    let setup = CargoHome::new(&app.base, &[("mirror", "mirror")], None);
    let fakeio_toml = "[package]\nname = \"fakeio\"\nversion = \"1.0.3\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"stand-in\"\n";
    let fakeio = project(w, "fakeio", fakeio_toml, "lib.rs", "pub fn io() -> u32 { 7 }\n");
    let mirror_env = [("CARGO_REGISTRIES_MIRROR_TOKEN", mirror.token.as_str())];
    setup
        .ok(
            &fakeio,
            &["publish", "--registry", "mirror", "--no-verify"],
            &mirror_env,
        )
        .await;

    let home = CargoHome::new(&app.base, &[("trove", "alice")], Some("mirror"));
    let env = [("CARGO_REGISTRIES_TROVE_TOKEN", alice.token.as_str())];
    let base = project(w, "base", &base_toml("0.1.0"), "lib.rs", BASE_RS);
    home.ok(&base, PUBLISH, &env).await;
    std::fs::write(base.join("Cargo.toml"), base_toml("0.1.1")).unwrap();
    home.ok(&base, PUBLISH, &env).await;
    let mid = project(w, "mid", MID_TOML, "lib.rs", MID_RS);
    // Verified: cargo builds the packaged crate with its dependencies downloaded from Trove.
    home.ok(&mid, &["publish", "--registry", "trove"], &env).await;

    // The index lines keep what cargo sent: the rename, the crates.io registry, features2.
    let text = get_text(&app, "/cargo/alice/index/tr/ov/trove_mid").await;
    let line: Value = serde_json::from_str(text.trim()).unwrap();
    let deps = line["deps"].as_array().unwrap();
    let renamed = deps.iter().find(|d| d["name"] == "basecrate").expect("renamed dep");
    assert_eq!(renamed["package"], "trove-base");
    assert_eq!(renamed["features"], json!(["extra"]));
    assert!(renamed.get("registry").is_none_or(Value::is_null), "{line}");
    let io = deps.iter().find(|d| d["name"] == "fakeio").expect("crates.io dep");
    let registry = io["registry"].as_str().expect("crates.io registry URL");
    assert!(
        registry.contains("crates.io-index") || registry.contains("index.crates.io"),
        "{registry}"
    );
    assert_eq!(io["optional"], true);
    assert_eq!(line["features2"]["io"], json!(["dep:fakeio"]));
    assert_eq!(line["v"], 2);

    // A binary depending on it builds and runs: sources come from Trove, checksums verified.
    let consumer = project(
        w,
        "app",
        APP_TOML,
        "main.rs",
        "fn main() { println!(\"{}\", trove_mid::answer()); }\n",
    );
    let out = home.ok(&consumer, &["run", "-q"], &env).await;
    assert_eq!(out.trim(), "42");
    let lock = std::fs::read_to_string(consumer.join("Cargo.lock")).unwrap();
    assert_eq!(locked(&lock, "trove-base"), ["0.1.1"]);
    assert!(lock.contains("checksum = "), "{lock}");

    yank_and_undo(&home, &consumer, &env, &lock).await;
    owners(&home, &base, &env, &bob).await;

    let out = home.ok(&base, &["search", "--registry", "trove", "base"], &env).await;
    assert!(out.contains("trove-base = \"0.1.1\""), "{out}");

    // `cargo login` through stdin stores the token; later commands use it.
    let fresh = CargoHome::new(&app.base, &[("trove", "alice")], Some("mirror"));
    let (ok, out, err) = fresh
        .run_with_stdin(
            &base,
            &["login", "--registry", "trove"],
            &[],
            Some(format!("{}\n", alice.token)),
        )
        .await;
    assert!(ok, "cargo login: {out}{err}");
    let out = fresh
        .ok(&base, &["owner", "--list", "--registry", "trove", "trove-base"], &[])
        .await;
    assert!(out.contains("alice"), "{out}");

    // A name that collides (`-`/`_`) is refused with a message cargo prints.
    let twin = project(
        w,
        "twin",
        &base_toml("9.0.0").replace("trove-base", "trove_base"),
        "lib.rs",
        BASE_RS,
    );
    let (ok, out, err) = home.run(&twin, PUBLISH, &env).await;
    assert!(!ok, "{out}{err}");
    assert!(err.contains("409") && err.contains("trove-base"), "{err}");
    app.stop().await;
}

/// `cargo yank` makes a fresh resolution skip the version while an existing lock keeps it
/// (and still downloads it); `--undo` brings it back.
async fn yank_and_undo(home: &CargoHome, consumer: &Path, env: &[(&str, &str)], lock: &str) {
    let yank = ["yank", "--registry", "trove", "--version", "0.1.1", "trove-base"];
    home.ok(consumer, &yank, env).await;
    let cache = home.dir.path().join("registry");
    let _ = std::fs::remove_dir_all(cache.join("cache"));
    let _ = std::fs::remove_dir_all(cache.join("src"));
    home.ok(consumer, &["fetch"], env).await;
    let kept = std::fs::read_to_string(consumer.join("Cargo.lock")).unwrap();
    assert_eq!(locked(&kept, "trove-base"), ["0.1.1"]);
    assert_eq!(kept, lock);
    std::fs::remove_file(consumer.join("Cargo.lock")).unwrap();
    home.ok(consumer, &["generate-lockfile"], env).await;
    let fresh = std::fs::read_to_string(consumer.join("Cargo.lock")).unwrap();
    assert_eq!(locked(&fresh, "trove-base"), ["0.1.0"]);
    let undo = [
        "yank",
        "--undo",
        "--registry",
        "trove",
        "--version",
        "0.1.1",
        "trove-base",
    ];
    home.ok(consumer, &undo, env).await;
    home.ok(consumer, &["generate-lockfile"], env).await;
    let back = std::fs::read_to_string(consumer.join("Cargo.lock")).unwrap();
    assert_eq!(locked(&back, "trove-base"), ["0.1.1"]);
}

/// `cargo owner --list/--add/--remove` on Trove owners.
async fn owners(home: &CargoHome, dir: &Path, env: &[(&str, &str)], bob: &TestUser) {
    let list = ["owner", "--list", "--registry", "trove", "trove-base"];
    let out = home.ok(dir, &list, env).await;
    assert!(out.contains("alice") && !out.contains(&bob.name), "{out}");
    home.ok(
        dir,
        &["owner", "--add", &bob.name, "--registry", "trove", "trove-base"],
        env,
    )
    .await;
    assert!(home.ok(dir, &list, env).await.contains(&bob.name));
    home.ok(
        dir,
        &["owner", "--remove", &bob.name, "--registry", "trove", "trove-base"],
        env,
    )
    .await;
    assert!(!home.ok(dir, &list, env).await.contains(&bob.name));
}
