//! End to end with real clients against a running `trove server`: skopeo copies an OCI image
//! layout in and back out (and deletes a tag), podman pushes and pulls an image, and oras
//! (oras-py) pushes an artifact whose subject is that image, pulls it, and lists referrers.
//! Runs on SQLite + filesystem and on PostgreSQL + S3. A missing client fails the test:
//! install them with `scripts/install-oci-clients.sh` (scripts/test.sh does).

use super::*;
use std::path::Path;
use std::process::Command;
use trove_testkit::Backend;

const PASSWORD: &str = "correct horse";

/// Runs a client; panics with its output when it fails or is not installed.
pub(crate) async fn run(program: &'static str, args: Vec<String>, env: Vec<(String, String)>) -> String {
    tokio::task::spawn_blocking(move || {
        let out = Command::new(program)
            .args(&args)
            .envs(env)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "`{program}` could not be run ({e}): install the OCI clients with scripts/install-oci-clients.sh"
                )
            });
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "`{program} {}` failed:\n{text}", args.join(" "));
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .await
    .unwrap()
}

pub(crate) fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// An uncompressed layer tar with one file.
fn layer_tar(name: &str, contents: &[u8]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(contents.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_cksum();
    b.append_data(&mut h, name, contents).unwrap();
    b.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Writes an OCI image layout with one image tagged `v1` (a gzipped layer, as registries
/// get them); returns its manifest digest.
pub(crate) fn write_layout(dir: &Path) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let d = sha256(bytes);
        std::fs::write(blobs.join(d.trim_start_matches("sha256:")), bytes).unwrap();
        d
    };
    let tar = layer_tar("hello.txt", b"hello from a trove test image\n");
    let diff_id = sha256(&tar);
    let layer = gzip(&tar);
    let ld = put(&layer);
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "trove test"}],
    }))
    .unwrap();
    let cd = put(&config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": layer.len()}],
        "annotations": {"org.opencontainers.image.title": "trove-test"},
    }))
    .unwrap();
    let md = put(&manifest);
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": md, "size": manifest.len(),
                       "annotations": {"org.opencontainers.image.ref.name": "v1"}}],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    md
}

const ORAS_SCRIPT: &str = r#"
import json, os, sys
import oras.client, oras.oci
host, user, password, repo, subject_digest, subject_size = sys.argv[1:7]
client = oras.client.OrasClient(hostname=host, insecure=True)
client.login(username=user, password=password, hostname=host)
subject = oras.oci.Subject(mediaType="application/vnd.oci.image.manifest.v1+json",
                           digest=subject_digest, size=int(subject_size))
res = client.push(target=f"{host}/{repo}:sbom", files=["sbom.json:application/vnd.example.sbom+json"],
                  subject=subject, manifest_annotations={"org.example.note": "from oras"})
assert res.status_code == 201, (res.status_code, res.text)
assert res.headers.get("OCI-Subject") == subject_digest, res.headers
files = client.pull(target=f"{host}/{repo}:sbom", outdir="pulled")
assert len(files) == 1 and open(files[0]).read() == open("sbom.json").read(), files
r = client.do_request(f"http://{host}/v2/{repo}/referrers/{subject_digest}", "GET")
assert r.status_code == 200, (r.status_code, r.text)
print(json.dumps(r.json()))
"#;

async fn clients_end_to_end(app: TestApp) {
    let _alice = app.user("alice").await;
    let host = app.base.trim_start_matches("http://").to_string();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let creds = format!("alice:{PASSWORD}");

    // skopeo: an OCI layout into trove, and back out anonymously.
    let layout = w.join("layout");
    let md = write_layout(&layout);
    let src = format!("oci:{}:v1", layout.display());
    let dest = format!("docker://{host}/alice/skopeo:v1");
    run(
        "skopeo",
        args(&["copy", "--dest-tls-verify=false", "--dest-creds", &creds, &src, &dest]),
        vec![],
    )
    .await;
    let oci = Oci::basic(&app, "alice", PASSWORD);
    let res = oci.send(Method::GET, "/v2/alice/skopeo/manifests/v1").await;
    assert_eq!(
        header(&res, "docker-content-digest"),
        md,
        "skopeo kept the manifest as is"
    );
    let raw = run(
        "skopeo",
        args(&[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{host}/alice/skopeo:v1"),
        ]),
        vec![],
    )
    .await;
    assert_eq!(sha256(raw.as_bytes()), md);
    let out = w.join("out");
    run(
        "skopeo",
        args(&[
            "copy",
            "--src-tls-verify=false",
            &dest,
            &format!("oci:{}:v1", out.display()),
        ]),
        vec![],
    )
    .await;
    for entry in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(out.join("blobs/sha256").join(&name).exists(), "{name:?} came back");
    }
    // A second tag, deleted with skopeo.
    run(
        "skopeo",
        args(&[
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            &creds,
            &src,
            &format!("docker://{host}/alice/skopeo-del:old"),
        ]),
        vec![],
    )
    .await;
    run(
        "skopeo",
        args(&[
            "delete",
            "--tls-verify=false",
            "--creds",
            &creds,
            &format!("docker://{host}/alice/skopeo-del:old"),
        ]),
        vec![],
    )
    .await;
    let res = oci
        .send(Method::GET, &format!("/v2/alice/skopeo-del/manifests/{md}"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // podman: import a root filesystem, push it, remove it, pull it back.
    let storage = [
        "--root".to_string(),
        w.join("podman-root").display().to_string(),
        "--runroot".to_string(),
        w.join("podman-run").display().to_string(),
        "--storage-driver".to_string(),
        "vfs".to_string(),
    ];
    let podman = |more: &[&str]| {
        let mut a = storage.to_vec();
        a.extend(more.iter().map(|s| s.to_string()));
        a
    };
    let rootfs = w.join("rootfs.tar");
    std::fs::write(&rootfs, layer_tar("etc/motd", b"pushed by podman\n")).unwrap();
    let image_id = run(
        "podman",
        podman(&[
            "import",
            "--quiet",
            &rootfs.display().to_string(),
            "localhost/imported:1",
        ]),
        vec![],
    )
    .await
    .trim()
    .to_string();
    let remote = format!("{host}/alice/podman:1");
    run(
        "podman",
        podman(&[
            "push",
            "--tls-verify=false",
            "--creds",
            &creds,
            "localhost/imported:1",
            &format!("docker://{remote}"),
        ]),
        vec![],
    )
    .await;
    run("podman", podman(&["rmi", "--force", "localhost/imported:1"]), vec![]).await;
    run(
        "podman",
        podman(&["pull", "--quiet", "--tls-verify=false", "--creds", &creds, &remote]),
        vec![],
    )
    .await;
    let pulled = run(
        "podman",
        podman(&["image", "inspect", "--format", "{{.Id}}", &remote]),
        vec![],
    )
    .await;
    assert!(
        image_id.contains(pulled.trim()) || pulled.trim().contains(image_id.trim_start_matches("sha256:")),
        "pulled {pulled} pushed {image_id}"
    );
    let v: Value = oci
        .send(Method::GET, "/v2/alice/podman/tags/list")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["tags"], json!(["1"]));

    // oras (oras-py): an artifact whose subject is the skopeo image, then its referrers.
    std::fs::write(w.join("sbom.json"), br#"{"packages": ["hello"]}"#).unwrap();
    std::fs::write(w.join("push.py"), ORAS_SCRIPT).unwrap();
    let manifest = oci
        .send(Method::GET, "/v2/alice/skopeo/manifests/v1")
        .await
        .bytes()
        .await
        .unwrap();
    let listing = tokio::task::spawn_blocking({
        let w = w.to_path_buf();
        let host = host.clone();
        let size = manifest.len().to_string();
        let md = md.clone();
        move || {
            let out = Command::new("python3")
                .current_dir(&w)
                .env("HOME", &w)
                .args(["push.py", &host, "alice", PASSWORD, "alice/skopeo", &md, &size])
                .output()
                .expect("python3 could not be run");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                out.status.success(),
                "oras (oras-py) failed; install it with scripts/install-oci-clients.sh:\n{text}"
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    })
    .await
    .unwrap();
    let via_oras: Value = serde_json::from_str(listing.trim().lines().last().unwrap()).unwrap();
    assert_eq!(via_oras["manifests"].as_array().unwrap().len(), 1, "{via_oras}");
    let res = Oci::anonymous(&app)
        .send(Method::GET, &format!("/v2/alice/skopeo/referrers/{md}"))
        .await;
    let v: Value = res.json().await.unwrap();
    let r = &v["manifests"][0];
    assert_eq!(r["annotations"]["org.example.note"], "from oras");
    let tag: Value = oci
        .send(Method::GET, "/v2/alice/skopeo/tags/list")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tag["tags"], json!(["sbom", "v1"]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_sqlite_and_filesystem() {
    clients_end_to_end(TestApp::new(Backend::Sqlite).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_postgres_and_s3() {
    clients_end_to_end(TestApp::builder(Backend::Postgres).s3().start().await).await;
}
