//! TLS and HTTP/2 with real clients: curl negotiates HTTP/2 and HTTP/1.1 by ALPN against a
//! certificate of a test CA (made with the openssl command), the certificate is replaced on
//! disk and served without a restart (a broken replacement is ignored), plain HTTP/2 (h2c)
//! works when enabled for a TLS-terminating proxy, skopeo pushes and pulls an image over
//! HTTPS trusting the CA through a certificate directory, cargo publishes to and fetches from
//! the sparse index trusting it through `CARGO_HTTP_CAINFO` (over HTTP/2, whose `:authority`
//! gives the links in config.json their port), and npm publishes and installs over HTTPS
//! trusting it through `cafile`.

use crate::common::TestApp;
use crate::oci::clients::{args, run, write_layout};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use trove_testkit::Backend;

/// A CA and a `localhost`/`127.0.0.1` server certificate signed by it.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_pki(dir: &Path, name: &str) -> Pki {
    let f = |s: &str| format!("{name}-{s}");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &f("ca.key"),
            "-out",
            &f("ca.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN=Trove test CA {name}"),
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &f("key.pem"),
            "-out",
            &f("csr.pem"),
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(dir.join(f("ext.cnf")), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &f("csr.pem"),
            "-CA",
            &f("ca.pem"),
            "-CAkey",
            &f("ca.key"),
            "-CAcreateserial",
            "-out",
            &f("cert.pem"),
            "-days",
            "2",
            "-extfile",
            &f("ext.cnf"),
        ],
    );
    Pki {
        ca: dir.join(f("ca.pem")),
        cert: dir.join(f("cert.pem")),
        key: dir.join(f("key.pem")),
    }
}

/// curl's answer: the HTTP version it spoke, or its failure.
fn curl(extra: &[&str], url: &str) -> Result<String, String> {
    let out = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_version}", "--max-time", "10"])
        .args(extra)
        .arg(url)
        .output()
        .expect("curl");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn client_trusting(ca: &Path) -> reqwest::Client {
    let pem = std::fs::read(ca).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_http2_and_certificate_reload() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    std::fs::create_dir_all(&live).unwrap();
    let one = make_pki(dir.path(), "one");
    let two = make_pki(dir.path(), "two");
    let (cert, key) = (live.join("cert.pem"), live.join("key.pem"));
    std::fs::copy(&one.cert, &cert).unwrap();
    std::fs::copy(&one.key, &key).unwrap();
    let (c, k) = (cert.clone(), key.clone());
    let app = TestApp::builder(Backend::Sqlite)
        .client(client_trusting(&one.ca))
        .config(move |cfg| {
            cfg.server.tls_cert = Some(c);
            cfg.server.tls_key = Some(k);
            cfg.server.tls_reload_secs = 1;
        })
        .start()
        .await;
    assert!(app.base.starts_with("https://"), "{}", app.base);
    let port = app.base.rsplit(':').next().unwrap().to_string();
    let url = format!("https://localhost:{port}/health/live");
    let ca1 = one.ca.to_str().unwrap();
    assert_eq!(curl(&["--cacert", ca1, "--http2"], &url).unwrap(), "2");
    assert_eq!(curl(&["--cacert", ca1, "--http1.1"], &url).unwrap(), "1.1");
    // The API over HTTP/2, through the app's own client too.
    let alice = app.user("alice").await;
    assert!(!alice.token.is_empty());
    let me = Command::new("curl")
        .args([
            "-sS",
            "--http2",
            "--cacert",
            ca1,
            "-H",
            &format!("authorization: Bearer {}", alice.token),
        ])
        .arg(format!("https://localhost:{port}/api/v1/me"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&me.stdout).contains("\"alice\""), "{me:?}");
    // Plain HTTP on the TLS port is refused, not served.
    assert!(curl(&[], &format!("http://127.0.0.1:{port}/health/live")).is_err());

    // A broken replacement (the key of another certificate) is ignored.
    std::fs::copy(&two.key, &key).unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        curl(&["--cacert", ca1], &url).unwrap(),
        "2",
        "the previous certificate is kept"
    );
    // A renewed pair is served without a restart.
    std::fs::copy(&two.cert, &cert).unwrap();
    let ca2 = two.ca.to_str().unwrap();
    let mut renewed = false;
    for _ in 0..50 {
        if curl(&["--cacert", ca2], &url).is_ok() {
            renewed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(renewed, "the renewed certificate is served");
    assert!(
        curl(&["--cacert", ca1], &url).is_err(),
        "the old CA no longer verifies it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_only_when_enabled() {
    let plain = TestApp::new(Backend::Sqlite).await;
    let url = format!("{}/health/live", plain.base);
    assert_eq!(curl(&[], &url).unwrap(), "1.1");
    assert!(
        curl(&["--http2-prior-knowledge"], &url).is_err(),
        "h2c is off by default"
    );
    let h2c = TestApp::builder(Backend::Sqlite)
        .config(|c| c.server.h2c = true)
        .start()
        .await;
    let url = format!("{}/health/live", h2c.base);
    assert_eq!(curl(&["--http2-prior-knowledge"], &url).unwrap(), "2");
    assert_eq!(curl(&[], &url).unwrap(), "1.1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tls_settings_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let one = make_pki(dir.path(), "one");
    let two = make_pki(dir.path(), "two");
    for (cert, key, expected) in [
        (one.cert.clone(), two.key.clone(), "is not the key of"),
        (
            dir.path().join("missing.pem"),
            one.key.clone(),
            "reading the certificate",
        ),
    ] {
        let db = trove_testkit::TestDb::new(Backend::Sqlite).await;
        let data = tempfile::tempdir().unwrap();
        let mut config = trove_server::Config {
            data_dir: data.path().to_path_buf(),
            ..trove_server::Config::default()
        };
        config.database.url = Some(db.url.clone());
        config.server.tls_cert = Some(cert);
        config.server.tls_key = Some(key);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let err = match trove_server::start(config, listener, false).await {
            Ok(_) => panic!("started with a bad certificate"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains(expected), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skopeo_over_https_with_a_ca_directory() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path(), "one");
    let (cert, key) = (pki.cert.clone(), pki.key.clone());
    let app = TestApp::builder(Backend::Sqlite)
        .client(client_trusting(&pki.ca))
        .config(move |cfg| {
            cfg.server.tls_cert = Some(cert);
            cfg.server.tls_key = Some(key);
        })
        .start()
        .await;
    let _alice = app.user("alice").await;
    let port = app.base.rsplit(':').next().unwrap().to_string();
    let host = format!("localhost:{port}");
    // containers/image reads CA certificates (*.crt) from a directory.
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(&pki.ca, certs.join("ca.crt")).unwrap();
    let certs = certs.to_str().unwrap().to_string();
    let layout = dir.path().join("layout");
    write_layout(&layout);
    let src = format!("oci:{}:v1", layout.display());
    let dest = format!("docker://{host}/alice/secure:v1");
    run(
        "skopeo",
        args(&[
            "copy",
            "--dest-cert-dir",
            &certs,
            "--dest-creds",
            "alice:correct horse",
            &src,
            &dest,
        ]),
        vec![],
    )
    .await;
    let out = run(
        "skopeo",
        args(&["inspect", "--cert-dir", &certs, "--raw", &dest]),
        vec![],
    )
    .await;
    assert!(out.contains("schemaVersion"), "{out}");
}

/// A server with TLS from a fresh test CA; its URL names `localhost` (in the certificate).
async fn tls_app(dir: &Path) -> (TestApp, Pki, String) {
    let pki = make_pki(dir, "one");
    let (cert, key) = (pki.cert.clone(), pki.key.clone());
    let app = TestApp::builder(Backend::Sqlite)
        .client(client_trusting(&pki.ca))
        .config(move |cfg| {
            cfg.server.tls_cert = Some(cert);
            cfg.server.tls_key = Some(key);
        })
        .start()
        .await;
    let port = app.base.rsplit(':').next().unwrap().to_string();
    let base = format!("https://localhost:{port}");
    (app, pki, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cargo_over_https_with_a_test_ca() {
    use crate::cargo::{project, CargoHome};
    let dir = tempfile::tempdir().unwrap();
    let (app, pki, base) = tls_app(dir.path()).await;
    let alice = app.user("alice").await;
    let home = CargoHome::new(&base, &[("trove", "alice")], None);
    let ca = pki.ca.display().to_string();
    let env = [
        ("CARGO_HTTP_CAINFO", ca.as_str()),
        ("CARGO_REGISTRIES_TROVE_TOKEN", alice.token.as_str()),
    ];
    let w = dir.path();
    let lib = project(
        w,
        "secure-lib",
        "[package]\nname = \"secure-lib\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"over https\"\n",
        "lib.rs",
        "pub fn secure() -> u32 { 7 }\n",
    );
    home.ok(
        &lib,
        &["publish", "--registry", "trove", "--no-verify", "--allow-dirty"],
        &env,
    )
    .await;
    let index = app.get("/cargo/alice/index/se/cu/secure-lib").send().await.unwrap();
    assert_eq!(index.status(), reqwest::StatusCode::OK);
    let consumer = project(
        w,
        "consumer",
        "[package]\nname = \"consumer\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nsecure-lib = { version = \"0.1\", registry = \"trove\" }\n",
        "main.rs",
        "fn main() { println!(\"{}\", secure_lib::secure()); }\n",
    );
    home.ok(&consumer, &["fetch"], &env).await;
    let out = home.ok(&consumer, &["run", "-q", "--offline"], &env).await;
    assert_eq!(out.trim(), "7");
    // Without the CA, cargo refuses the certificate.
    let (ok, _, err) = home
        .run(
            &lib,
            &["search", "--registry", "trove", "secure"],
            &[("CARGO_REGISTRIES_TROVE_TOKEN", alice.token.as_str())],
        )
        .await;
    assert!(!ok, "cargo trusted an unknown CA");
    assert!(
        err.to_lowercase().contains("certificate") || err.contains("SSL"),
        "{err}"
    );
}

/// Runs npm in `cwd` with its own home and cache; returns (success, stdout + stderr).
fn npm(home: &Path, cwd: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("npm")
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("npm_config_cache", home.join("npm-cache"))
        .env("npm_config_update_notifier", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_audit", "false")
        .env("NO_COLOR", "1")
        .env_remove("NODE_EXTRA_CA_CERTS")
        .output()
        .expect("npm must be on PATH");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_over_https_with_a_test_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (app, pki, base) = tls_app(dir.path()).await;
    let alice = app.user("alice").await;
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let registry = format!("{base}/npm/");
    let auth = format!("{}:_authToken={}", registry.trim_start_matches("https:"), alice.token);
    let ca = pki.ca.display().to_string();

    // Publish, trusting the CA through `cafile`.
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("package.json"),
        serde_json::to_vec_pretty(&serde_json::json!({
            "name": "@alice/secure", "version": "1.0.0", "main": "index.js", "license": "MIT",
            "description": "published over https"
        }))
        .unwrap(),
    )
    .unwrap();
    std::fs::write(pkg.join("index.js"), "module.exports = 'secure over https';\n").unwrap();
    std::fs::write(
        pkg.join(".npmrc"),
        format!("registry={registry}\n{auth}\ncafile={ca}\n"),
    )
    .unwrap();
    let (ok, out) = npm(&home, &pkg, &["publish"]);
    assert!(ok, "npm publish over https:\n{out}");

    // Install in a fresh project.
    let app_dir = dir.path().join("consumer");
    std::fs::create_dir_all(&app_dir).unwrap();
    std::fs::write(
        app_dir.join("package.json"),
        serde_json::to_vec_pretty(&serde_json::json!({
            "name": "consumer", "version": "0.0.0", "private": true,
            "dependencies": { "@alice/secure": "^1.0.0" }
        }))
        .unwrap(),
    )
    .unwrap();
    std::fs::write(app_dir.join(".npmrc"), format!("registry={registry}\ncafile={ca}\n")).unwrap();
    let (ok, out) = npm(&home, &app_dir, &["install"]);
    assert!(ok, "npm install over https:\n{out}");
    let installed = std::fs::read_to_string(app_dir.join("node_modules/@alice/secure/index.js")).unwrap();
    assert!(installed.contains("secure over https"));
    let lock = std::fs::read_to_string(app_dir.join("package-lock.json")).unwrap();
    assert!(lock.contains(&format!("{base}/npm/")), "tarball URLs are https: {lock}");

    // Without the CA, npm refuses the certificate.
    let fresh = dir.path().join("untrusting");
    std::fs::create_dir_all(&fresh).unwrap();
    std::fs::copy(app_dir.join("package.json"), fresh.join("package.json")).unwrap();
    std::fs::write(fresh.join(".npmrc"), format!("registry={registry}\nfetch-retries=0\n")).unwrap();
    let other_home = dir.path().join("home2");
    std::fs::create_dir_all(&other_home).unwrap();
    let (ok, out) = npm(&other_home, &fresh, &["install"]);
    assert!(!ok, "npm trusted an unknown CA:\n{out}");
    assert!(out.to_lowercase().contains("certificate"), "{out}");
}
