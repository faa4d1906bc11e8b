//! The publish-time scanning hook with real scanner scripts (`sh`): a pass shown on the version
//! (API and web page), an OCI image scanned as its layers, a failure that quarantines the
//! version from the real npm and pip until an admin's re-run passes, a crashing scanner
//! retried with backoff, a hanging one killed with its whole process group, and a scan
//! interrupted by a restart that the next server runs once the lease has expired.

use crate::common::*;
use crate::npm::Npm;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use trove_testkit::{both_backends, Backend};

/// A directory holding a scanner script, the command that runs it and whatever it records.
struct Scanner {
    dir: tempfile::TempDir,
}

impl Scanner {
    fn new(script: &str) -> Scanner {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("scanner.sh"), script).unwrap();
        Scanner { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `sh <dir>/scanner.sh <dir>`: the script finds its files through `$1`.
    fn command(&self) -> String {
        format!("sh {} {}", self.path("scanner.sh").display(), self.dir.path().display())
    }

    /// A server whose `[scan] command` runs this scanner, with the rest of `[scan]` set by `tweak`.
    async fn app(&self, b: Backend, tweak: impl FnOnce(&mut trove_server::config::ScanConfig) + 'static) -> TestApp {
        let command = self.command();
        TestApp::builder(b)
            .config(move |c| {
                c.scan.command = command;
                tweak(&mut c.scan);
            })
            .start()
            .await
    }

    /// Lines the script appended to `<dir>/runs`.
    fn runs(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("runs"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Polls the version (as `user`) until its scan has `status`; returns the version.
async fn wait_scan(user: &TestUser, full: &str, version: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let res = user
            .get(&format!("/api/v1/packages/{full}/versions/{version}"))
            .send()
            .await
            .unwrap();
        let v: Value = json_ok(res).await;
        if v["scan"]["status"] == status {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "scan of {full}@{version} never became {status}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A scanner that checks the archive is there, records what it was told, and passes.
const PASSING: &str = r#"
echo "scan $TROVE_ECOSYSTEM $TROVE_PACKAGE $TROVE_VERSION $(basename "$TROVE_SCAN_FILE")" >> "$1/runs"
test -f "$TROVE_SCAN_FILE" || exit 3
tar -tzf "$TROVE_SCAN_FILE" > /dev/null || exit 4
echo "scanned $(ls "$TROVE_SCAN_DIR" | wc -l) file(s); database: ${TROVE_DATABASE_URL:-hidden}"
exit 0
"#;

async fn a_passing_scan_is_shown_on_the_version(b: Backend) {
    let scanner = Scanner::new(PASSING);
    let app = scanner
        .app(b, |s| {
            s.retry_base_ms = 200;
        })
        .await;
    let alice = app.user("alice").await;
    let published = alice.publish("alice/widget", "1.0.0").await;
    assert_eq!(published["scan"], Value::Null, "{published}");

    let v = wait_scan(&alice, "alice/widget", "1.0.0", "passed").await;
    let scan = &v["scan"];
    assert_eq!(scan["attempts"], 1);
    assert_eq!(scan["exit_code"], 0);
    assert_eq!(scan["quarantined"], false);
    assert_eq!(scan["error"], Value::Null);
    assert!(scan["finished_at"].is_string(), "{scan}");
    // The owner sees the output; the server's own settings were not passed on.
    let output = scan["output"].as_str().unwrap();
    assert!(output.contains("scanned 1 file(s); database: hidden"), "{output}");
    assert_eq!(
        scanner.runs(),
        ["scan native alice/widget 1.0.0 alice-widget-1.0.0.tar.gz"]
    );

    // Anyone sees the verdict, not the output.
    let anon = json_ok(
        app.get("/api/v1/packages/alice/widget/versions/1.0.0")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(anon["scan"]["status"], "passed");
    assert_eq!(anon["scan"]["output"], Value::Null);
    let list = json_ok(app.get("/api/v1/packages/alice/widget/versions").send().await.unwrap()).await;
    assert_eq!(list[0]["scan"]["status"], "passed");

    // The web page shows it on the version.
    let html = app
        .get("/packages/alice/widget")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"data-scan="passed""#), "{html}");
    assert!(html.contains("Scan passed."));

    // Without quarantine nothing is held back meanwhile: a download works at once.
    let res = app
        .get("/api/v1/packages/alice/widget/versions/1.0.0/download")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
}

/// Fails any file whose archive mentions MALWARE (writing findings), unless `<dir>/allow`
/// lists `package@version`.
const MALWARE_CHECK: &str = r#"
echo "$TROVE_PACKAGE@$TROVE_VERSION" >> "$1/runs"
if grep -qx "$TROVE_PACKAGE@$TROVE_VERSION" "$1/allow" 2>/dev/null; then
  echo "allowed by the reviewer"
  exit 0
fi
for f in "$TROVE_SCAN_DIR"/*; do
  if tar -xzOf "$f" 2>/dev/null | grep -q MALWARE; then
    printf '{"findings":[{"rule":"malware-marker","file":"%s"}]}' "$(basename "$f")" > "$TROVE_SCAN_FINDINGS"
    echo "malware marker in $(basename "$f")"
    exit 1
  fi
done
echo clean
"#;

/// Runs the machine's npm in `cwd` with a home and cache of its own.
async fn npm(home: &Path, cwd: &Path, args: &[&str]) -> (bool, String) {
    let (home, cwd) = (home.to_path_buf(), cwd.to_path_buf());
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new("npm")
            .args(&args)
            .current_dir(&cwd)
            .env_clear()
            .env("HOME", &home)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("npm_config_cache", home.join("npm-cache"))
            .env("npm_config_update_notifier", "false")
            .env("npm_config_fund", "false")
            .env("npm_config_audit", "false")
            .env("NO_COLOR", "1")
            .output()
            .expect("npm runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    })
    .await
    .unwrap()
}

async fn a_failed_scan_quarantines_the_version_until_a_pass(b: Backend) {
    let scanner = Scanner::new(MALWARE_CHECK);
    let app = scanner
        .app(b, |s| {
            s.retry_base_ms = 200;
            s.quarantine = true;
        })
        .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let npm_alice = Npm::user(&app, &alice);
    npm_alice.publish("@alice/widget", "1.0.0", json!({})).await;
    wait_scan(&alice, "alice/widget", "1.0.0", "passed").await;
    npm_alice
        .publish("@alice/widget", "1.1.0", json!({ "description": "MALWARE inside" }))
        .await;
    let v = wait_scan(&alice, "alice/widget", "1.1.0", "failed").await;
    let scan = &v["scan"];
    assert_eq!(scan["exit_code"], 1);
    assert_eq!(scan["quarantined"], true);
    assert_eq!(
        scan["findings"],
        json!({ "findings": [{ "rule": "malware-marker", "file": "widget-1.1.0.tgz" }] })
    );
    assert!(scan["output"].as_str().unwrap().contains("malware marker"), "{scan}");

    // The owner sees it, marked; others don't, in the list or by number.
    let own = json_ok(
        alice
            .get("/api/v1/packages/alice/widget/versions")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let own: Vec<&str> = own
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(own, ["1.1.0", "1.0.0"]);
    for reader in [
        app.get("/api/v1/packages/alice/widget/versions"),
        bob.get("/api/v1/packages/alice/widget/versions"),
    ] {
        let list = json_ok(reader.send().await.unwrap()).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list[0]["version"], "1.0.0");
    }
    let res = bob
        .get("/api/v1/packages/alice/widget/versions/1.1.0")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    // No install surface offers it, to anyone: packument, tarball, native download.
    for npm in [Npm::anonymous(&app), npm_alice.clone()] {
        let doc = npm.packument("@alice/widget").await;
        assert!(doc["versions"].get("1.1.0").is_none(), "{doc}");
        // `latest` named it; the newest version installs may have stands in.
        assert_eq!(doc["dist-tags"]["latest"], "1.0.0", "{doc}");
        let res = npm.get("@alice/widget/-/widget-1.1.0.tgz").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let res = alice
        .get("/api/v1/packages/alice/widget/versions/1.1.0/download")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    // The web page tells the owner why.
    let html = alice
        .with_cookie(Method::GET, "/packages/alice/widget?version=1.1.0")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Scan failed"), "{html}");
    assert!(html.contains("Installs are refused this version"));

    // The real npm cannot install it; the version before it installs.
    let home = tempfile::tempdir().unwrap();
    let project = home.path().join("app");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("package.json"), r#"{"name":"app","version":"1.0.0"}"#).unwrap();
    std::fs::write(project.join(".npmrc"), format!("registry={}/npm/\n", app.base)).unwrap();
    let (ok, out) = npm(home.path(), &project, &["install", "@alice/widget@1.1.0"]).await;
    assert!(!ok, "npm installed a quarantined version:\n{out}");
    assert!(out.contains("ETARGET") || out.contains("No matching version"), "{out}");
    let (ok, out) = npm(home.path(), &project, &["install", "@alice/widget"]).await;
    assert!(ok, "{out}");
    let installed = std::fs::read_to_string(project.join("node_modules/@alice/widget/package.json")).unwrap();
    assert!(installed.contains(r#""version": "1.0.0""#), "{installed}");

    // Only a site admin re-runs a scan.
    let rerun = "/api/v1/packages/alice/widget/versions/1.1.0/scan";
    let res = alice.req(Method::POST, rerun).send().await.unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = bob.req(Method::POST, rerun).send().await.unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "not_found").await;
    // A reviewer clears it; the re-run passes and the version is released.
    std::fs::write(scanner.path("allow"), "alice/widget@1.1.0\n").unwrap();
    let admin = app.admin("reviewer").await;
    let queued = json_ok(admin.req(Method::POST, rerun).send().await.unwrap()).await;
    assert_eq!(queued["scan"]["status"], "pending", "{queued}");
    assert_eq!(queued["scan"]["quarantined"], true);
    let v = wait_scan(&alice, "alice/widget", "1.1.0", "passed").await;
    assert_eq!(v["scan"]["quarantined"], false);
    assert_eq!(v["scan"]["findings"], Value::Null);
    let (ok, out) = npm(home.path(), &project, &["install", "@alice/widget@1.1.0"]).await;
    assert!(ok, "{out}");
    let installed = std::fs::read_to_string(project.join("node_modules/@alice/widget/package.json")).unwrap();
    assert!(installed.contains(r#""version": "1.1.0""#), "{installed}");
    let list = json_ok(bob.get("/api/v1/packages/alice/widget/versions").send().await.unwrap()).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(
        scanner.runs(),
        ["alice/widget@1.0.0", "alice/widget@1.1.0", "alice/widget@1.1.0"]
    );
    app.stop().await;
}

/// Fails a release any of whose files (the core metadata, kept uncompressed, carries the
/// README) mentions MALWARE, unless `<dir>/allow` lists `package@version`.
const PYPI_CHECK: &str = r#"
echo "$TROVE_PACKAGE@$TROVE_VERSION $(ls "$TROVE_SCAN_DIR" | wc -l)" >> "$1/runs"
grep -qx "$TROVE_PACKAGE@$TROVE_VERSION" "$1/allow" 2>/dev/null && exit 0
if grep -a -l MALWARE "$TROVE_SCAN_DIR"/*; then exit 1; fi
"#;

async fn pip_cannot_fetch_a_quarantined_release(b: Backend) {
    use crate::pypi::{build_project, index_url, run_in, tool, twine_upload};
    let scanner = Scanner::new(PYPI_CHECK);
    let app = scanner
        .app(b, |s| {
            s.retry_base_ms = 200;
            s.quarantine = true;
        })
        .await;
    let alice = app.user("alice").await;
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let clean = build_project(w, "gadget", "1.0", &[]).await;
    assert!(twine_upload(&app, w, "alice", &alice.token, &clean, &[]).await.ok);
    build_project(w, "gadget", "1.1", &[]).await;
    let readme = w.join("src-gadget-1.1/README.md");
    assert!(readme.is_file());
    // Rebuilt with the marker in its README (so in the core metadata of both files).
    std::fs::write(&readme, "# gadget\n\nMALWARE\n").unwrap();
    std::fs::remove_dir_all(w.join("src-gadget-1.1/dist")).unwrap();
    let bad = {
        crate::pypi::run_ok(
            &w.join("src-gadget-1.1"),
            tool("python"),
            &["-m", "build", "--no-isolation", "--outdir", "dist", "."],
        )
        .await;
        let mut files: Vec<PathBuf> = std::fs::read_dir(w.join("src-gadget-1.1/dist"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort_by_key(|p| !p.to_string_lossy().ends_with(".tar.gz"));
        files
    };
    assert!(twine_upload(&app, w, "alice", &alice.token, &bad, &[]).await.ok);
    wait_scan(&alice, "alice/gadget", "1.0", "passed").await;
    let v = wait_scan(&alice, "alice/gadget", "1.1", "failed").await;
    assert_eq!(v["scan"]["quarantined"], true);

    // The simple page offers 1.0 only; pip cannot fetch 1.1, and picks 1.0 unpinned.
    let index = index_url(&app, "alice", None);
    let page = app
        .get("/pypi/alice/simple/gadget/")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("gadget-1.0") && !page.contains("gadget-1.1"), "{page}");
    let pip_download = |spec: &'static str, dest: &'static str| {
        let index = index.clone();
        async move {
            run_in(
                w,
                tool("pip"),
                &["download", "--no-deps", "--dest", dest, "--index-url", &index, spec],
            )
            .await
        }
    };
    let ran = pip_download("gadget==1.1", "dl-quarantined").await;
    assert!(!ran.ok, "pip fetched a quarantined release:\n{}", ran.output);
    assert!(ran.output.contains("No matching distribution"), "{}", ran.output);
    let ran = pip_download("gadget", "dl-latest").await;
    assert!(ran.ok, "{}", ran.output);
    assert!(ran.output.contains("gadget-1.0"), "{}", ran.output);

    // Cleared and re-run by an admin: pip gets it.
    std::fs::write(scanner.path("allow"), "alice/gadget@1.1\n").unwrap();
    let admin = app.admin("reviewer").await;
    let res = admin
        .req(Method::POST, "/api/v1/packages/alice/gadget/versions/1.1/scan")
        .send()
        .await
        .unwrap();
    json_ok(res).await;
    wait_scan(&alice, "alice/gadget", "1.1", "passed").await;
    let ran = pip_download("gadget==1.1", "dl-released").await;
    assert!(ran.ok, "{}", ran.output);
    app.stop().await;
}

/// Crashes (exit 2) on its first two runs, then passes; records when each run started.
const CRASHING: &str = r#"
date +%s%3N >> "$1/runs"
n=$(wc -l < "$1/runs")
if [ "$n" -le 2 ]; then echo "crash $n" >&2; exit 2; fi
echo fine
"#;

async fn a_crashing_scanner_is_retried_with_backoff(b: Backend) {
    let scanner = Scanner::new(CRASHING);
    let app = scanner
        .app(b, |s| {
            s.retry_base_ms = 300;
            s.max_attempts = 3;
        })
        .await;
    let alice = app.user("alice").await;
    alice.publish("alice/widget", "1.0.0").await;
    let v = wait_scan(&alice, "alice/widget", "1.0.0", "passed").await;
    assert_eq!(v["scan"]["attempts"], 3, "{v}");
    assert_eq!(v["scan"]["error"], Value::Null);
    let at: Vec<i64> = scanner.runs().iter().map(|l| l.parse().unwrap()).collect();
    assert_eq!(at.len(), 3);
    // 300 ms after the first crash, 600 ms after the second.
    assert!(at[1] - at[0] >= 300, "{at:?}");
    assert!(at[2] - at[1] >= 600, "{at:?}");

    // Out of attempts: the verdict is `error`, with what the last attempt said.
    std::fs::write(scanner.path("scanner.sh"), "echo broken >&2; exit 2\n").unwrap();
    alice.publish("alice/widget", "1.0.1").await;
    let v = wait_scan(&alice, "alice/widget", "1.0.1", "error").await;
    let scan = &v["scan"];
    assert_eq!(scan["attempts"], 3, "{scan}");
    assert_eq!(scan["exit_code"], 2);
    assert_eq!(scan["error"], "the scanner exited with status 2");
    assert_eq!(scan["output"], "broken\n");
    app.stop().await;
}

/// Starts a background child that would outlive it, then hangs.
const HANGING: &str = r#"
sleep 300 &
echo $! > "$1/child"
echo started
sleep 300
"#;

async fn a_hanging_scanner_is_killed_on_timeout(b: Backend) {
    let scanner = Scanner::new(HANGING);
    let app = scanner
        .app(b, |s| {
            s.timeout_secs = 1;
            s.max_attempts = 1;
        })
        .await;
    let alice = app.user("alice").await;
    alice.publish("alice/widget", "1.0.0").await;
    let started = Instant::now();
    let v = wait_scan(&alice, "alice/widget", "1.0.0", "error").await;
    assert!(started.elapsed() < Duration::from_secs(10));
    let scan = &v["scan"];
    assert_eq!(scan["attempts"], 1);
    assert_eq!(scan["exit_code"], Value::Null);
    assert_eq!(
        scan["error"],
        "the scanner timed out after 1000 ms; its process group was killed"
    );
    assert_eq!(scan["output"], "started\n");
    // Its background child went with it.
    // Its background child went with it: gone, or dead and not yet reaped by whoever
    // inherited it (a zombie, state `Z`).
    let child = std::fs::read_to_string(scanner.path("child")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.trim())).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or_default().split_whitespace().next();
        if matches!(state, None | Some("Z")) {
            break;
        }
        assert!(Instant::now() < deadline, "the scanner's child survived: {stat}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await;
}

/// The first run hangs (the server is stopped under it); later runs pass. Records when each
/// run started.
const FIRST_RUN_HANGS: &str = r#"
date +%s%3N >> "$1/runs"
if [ "$(wc -l < "$1/runs")" -eq 1 ]; then sleep 300; fi
echo done
"#;

async fn a_scan_cut_by_a_restart_runs_again_after_its_lease(b: Backend) {
    let scanner = Scanner::new(FIRST_RUN_HANGS);
    let mut app = scanner
        .app(b, |s| {
            s.timeout_secs = 3;
            s.lease_margin_secs = 1;
            s.retry_base_ms = 100;
        })
        .await;
    let alice = app.user("alice").await;
    alice.publish("alice/widget", "1.0.0").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while scanner.runs().is_empty() {
        assert!(Instant::now() < deadline, "the scan never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Stopped mid-scan: the scanner is killed and nothing is recorded; the lease stays.
    app.server.take().unwrap().shutdown().await.expect("clean shutdown");
    let server = app.start_node().await;
    server.services.search_index.wait_built().await;
    app.base = server.base_url();
    app.server = Some(server);
    let alice = app.login("alice").await;
    let v = wait_scan(&alice, "alice/widget", "1.0.0", "passed").await;
    // The interrupted attempt is not counted; the new server waited for the lease
    // (timeout 3 s + margin 1 s from the claim).
    assert_eq!(v["scan"]["attempts"], 1, "{v}");
    let at: Vec<i64> = scanner.runs().iter().map(|l| l.parse().unwrap()).collect();
    assert_eq!(at.len(), 2, "{at:?}");
    assert!(at[1] - at[0] >= 3_500, "ran again before the lease expired: {at:?}");
    app.stop().await;
}

/// Lists what it was given and fails an image with a layer mentioning MALWARE.
const LAYER_CHECK: &str = r#"
echo "$TROVE_ECOSYSTEM $TROVE_PACKAGE $TROVE_VERSION $(basename "$TROVE_SCAN_FILE")" >> "$1/runs"
ls "$TROVE_SCAN_DIR" >> "$1/runs"
if cat "$TROVE_SCAN_DIR"/*.layer | grep -q MALWARE; then
  echo '{"layers":"malware"}' > "$TROVE_SCAN_FINDINGS"
  exit 1
fi
"#;

async fn an_oci_image_is_scanned_as_its_layer_set(b: Backend) {
    let scanner = Scanner::new(LAYER_CHECK);
    let app = scanner
        .app(b, |s| {
            s.retry_base_ms = 200;
        })
        .await;
    let alice = app.user("alice").await;
    let oci = crate::oci::Oci::user(&app, &alice);
    let manifest = oci.push_image("alice/app", "v1", &[b"layer one", b"layer two"]).await;
    let digest = crate::oci::sha256(&manifest);
    oci.push_image("alice/app", "v2", &[b"layer one", b"MALWARE"]).await;
    let deadline = Instant::now() + Duration::from_secs(40);
    let tags = loop {
        let tags = json_ok(alice.get("/api/v1/packages/alice/app/versions").send().await.unwrap()).await;
        let done = tags
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["scan"]["finished_at"].is_string());
        if done {
            break tags;
        }
        assert!(Instant::now() < deadline, "scans never finished: {tags}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let status = |tag: &str| {
        let t = tags.as_array().unwrap().iter().find(|t| t["version"] == tag).unwrap();
        (t["scan"]["status"].clone(), t["scan"]["findings"].clone())
    };
    assert_eq!(status("v1"), (json!("passed"), Value::Null));
    assert_eq!(status("v2"), (json!("failed"), json!({ "layers": "malware" })));
    let runs = scanner.runs();
    let first = runs.iter().position(|l| l.contains(&digest)).expect("v1 scanned");
    assert_eq!(runs[first], format!("oci alice/app {digest} manifest.json"));
    // The manifest and both layers, by digest.
    let files = &runs[first + 1..first + 4];
    assert!(files.contains(&"manifest.json".to_string()), "{runs:?}");
    assert!(
        files.contains(&format!(
            "{}.layer",
            crate::oci::sha256(b"layer two").trim_start_matches("sha256:")
        )),
        "{runs:?}"
    );
    app.stop().await;
}

both_backends!(
    an_oci_image_is_scanned_as_its_layer_set,
    pip_cannot_fetch_a_quarantined_release,
    a_passing_scan_is_shown_on_the_version,
    a_failed_scan_quarantines_the_version_until_a_pass,
    a_crashing_scanner_is_retried_with_backoff,
    a_hanging_scanner_is_killed_on_timeout,
    a_scan_cut_by_a_restart_runs_again_after_its_lease,
);
