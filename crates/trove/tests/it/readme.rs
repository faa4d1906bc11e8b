//! The README's quick start, executed exactly as written: every ```` ```sh quickstart ````
//! block, in order, in one bash shell (`set -euo pipefail`), against a fresh `trove server`
//! started from a fresh directory on the embedded default (SQLite + filesystem), with the
//! real `trove` binary on the PATH. A README edit that breaks the walkthrough fails here.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The shell blocks of the README tagged `quickstart`, in order.
fn quickstart_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match &mut current {
            None if line.trim_end() == "```sh quickstart" => current = Some(String::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => blocks.push(current.take().unwrap_or_default()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(current.is_none(), "an unclosed quickstart block in the README");
    blocks
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn trove_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_trove"))
}

/// `trove server` in `dir` with nothing configured but the port (and a cheaper password
/// hash for the test's speed).
fn start_server(dir: &Path, port: u16) -> Server {
    let child = Command::new(trove_bin())
        .current_dir(dir)
        .env_remove("TROVE_DATA_DIR")
        .env_remove("TROVE_DATABASE_URL")
        .env("TROVE_SERVER_LISTEN", format!("127.0.0.1:{port}"))
        .env("TROVE_AUTH_ARGON2_MEMORY_KIB", "1024")
        .env("TROVE_LOG_LEVEL", "warn")
        .arg("server")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start trove server");
    let ready = format!("http://127.0.0.1:{port}/health/ready");
    for _ in 0..200 {
        let up = Command::new("curl").args(["-sf", "-o", "/dev/null", &ready]).status();
        if up.is_ok_and(|s| s.success()) {
            return Server(child);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("trove server did not start");
}

#[test]
fn quick_start_runs_as_written() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let blocks = quickstart_blocks(&readme);
    assert!(
        blocks.len() >= 3,
        "the README's quick start has {} blocks",
        blocks.len()
    );
    let script = format!("set -euo pipefail\n{}", blocks.concat());

    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let port = free_port();
    let _server = start_server(dir.path(), port);
    let path = format!(
        "{}:{}",
        trove_bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env("HOME", &home)
        .env("TROVE_CONFIG_DIR", home.join(".config/trove"))
        .env("TROVE_REGISTRY_URL", format!("http://127.0.0.1:{port}"))
        .env_remove("TROVE_TOKEN")
        .env_remove("TROVE_DATA_DIR")
        .env_remove("TROVE_DATABASE_URL")
        .env_remove("TROVE_REGISTRY")
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the quick start failed:\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    for expected in [
        "created user `ops` (site admin)",
        "as alice",
        "Published alice/widget 0.1.0",
        "alice-widget-0.1.0.tar.gz",
        "alice/widget",
    ] {
        assert!(
            stdout.contains(expected) || stderr.contains(expected),
            "`{expected}` missing from the quick start's output:\n{stdout}\n{stderr}"
        );
    }
    // The downloaded archive is the published one, under its real name.
    assert!(dir.path().join("alice-widget-0.1.0.tar.gz").metadata().unwrap().len() > 0);
    assert!(dir.path().join("app/trove.lock").exists());
}

/// A server that fails to start (here: TLS files that do not exist, found after the database
/// was opened) leaves no `./trove-data` behind.
#[test]
fn a_failed_start_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(trove_bin())
        .current_dir(dir.path())
        .env_remove("TROVE_DATA_DIR")
        .env_remove("TROVE_DATABASE_URL")
        .env("TROVE_SERVER_LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("TROVE_SERVER_TLS_CERT", "missing-cert.pem")
        .env("TROVE_SERVER_TLS_KEY", "missing-key.pem")
        .arg("server")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TLS"), "{err}");
    assert!(
        !dir.path().join("trove-data").exists(),
        "a failed start left ./trove-data behind"
    );
}

#[test]
fn admin_commands_refuse_a_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(trove_bin())
        .current_dir(dir.path())
        .env_remove("TROVE_DATA_DIR")
        .env_remove("TROVE_DATABASE_URL")
        .args([
            "admin",
            "create-user",
            "--username",
            "ops",
            "--email",
            "o@example.com",
            "--password",
            "a long password",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no Trove database at") && err.contains("--create"),
        "{err}"
    );
    assert!(!dir.path().join("trove-data").exists(), "nothing is left behind");
    // Told to, it starts a new registry there.
    let out = Command::new(trove_bin())
        .current_dir(dir.path())
        .env_remove("TROVE_DATA_DIR")
        .env_remove("TROVE_DATABASE_URL")
        .env("TROVE_AUTH_ARGON2_MEMORY_KIB", "1024")
        .args([
            "admin",
            "--create",
            "create-user",
            "--username",
            "ops",
            "--email",
            "o@example.com",
            "--password",
            "a long password",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("trove-data/trove.db").exists());
}

#[test]
fn blocks_are_found_in_order() {
    let md = "x\n```sh quickstart\na\nb\n```\n```sh\nnot me\n```\n```sh quickstart\nc\n```\n";
    assert_eq!(quickstart_blocks(md), ["a\nb\n", "c\n"]);
}

#[test]
fn help_shows_each_command_its_own_options() {
    let help = |args: &[&str]| {
        let out = Command::new(trove_bin()).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let server = help(&["server", "--help"]);
    assert!(
        server.contains("--config <FILE>") && server.contains("--listen"),
        "{server}"
    );
    assert!(!server.contains("--registry"), "client options on `server`:\n{server}");
    let admin = help(&["admin", "create-user", "--help"]);
    assert!(
        admin.contains("--config <FILE>") && !admin.contains("--registry"),
        "{admin}"
    );
    let publish = help(&["publish", "--help"]);
    assert!(
        publish.contains("Registry options:") && publish.contains("--registry-url"),
        "{publish}"
    );
    assert!(
        !publish.contains("--config"),
        "the server's --config on a client command:\n{publish}"
    );
    // Every option says what it does.
    for text in [&server, &admin, &publish] {
        for line in text.lines().filter(|l| l.trim_start().starts_with("--")) {
            assert!(
                line.trim().split("  ").filter(|p| !p.trim().is_empty()).count() >= 2,
                "undescribed: {line}"
            );
        }
    }
}
