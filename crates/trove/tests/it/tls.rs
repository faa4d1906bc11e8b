//! TLS and HTTP/2 with real clients: curl negotiates HTTP/2 and HTTP/1.1 by ALPN against a
//! certificate of a test CA (made with the openssl command), the certificate is replaced on
//! disk and served without a restart (a broken replacement is ignored), plain HTTP/2 (h2c)
//! works when enabled for a TLS-terminating proxy, and skopeo pushes and pulls an image over
//! HTTPS trusting the CA through a certificate directory.

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
