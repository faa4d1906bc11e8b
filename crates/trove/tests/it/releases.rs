//! Releases of every ecosystem through the shared use cases (`svc.packages().of(eco)`): what
//! the npm, Cargo and PyPI front-ends build on. Versions follow the ecosystem's scheme, a
//! version may hold several files, numbers are never reused, and private packages are
//! missing to outsiders for reads and writes.

use crate::common::TestApp;
use serde_json::json;
use trove_core::{Ecosystem, FileKind, PackageKind, Visibility};
use trove_service::packages::{NewRelease, NewReleaseFile, ReleaseMeta};
use trove_service::{Ctx, ErrorKind};
use trove_testkit::{both_backends, Backend};

async fn ctx(app: &TestApp, token: &str) -> Ctx {
    let principal = app
        .services()
        .accounts()
        .authenticate_token(token)
        .await
        .expect("token");
    Ctx {
        principal: Some(principal),
        ip: None,
    }
}

async fn file(app: &TestApp, filename: &str, kind: FileKind, bytes: &[u8]) -> NewReleaseFile {
    let mut blob = app.services().store.stage().await.expect("stage");
    blob.write(bytes, u64::MAX).await.expect("write");
    blob.finish().await.expect("finish");
    NewReleaseFile {
        filename: filename.into(),
        kind,
        blob,
        metadata: json!({ "requires_python": ">=3.9" }),
    }
}

fn release(version: &str, files: Vec<NewReleaseFile>, add_files: bool) -> NewRelease {
    NewRelease {
        scope: "alice".into(),
        name: "demo".into(),
        version: version.into(),
        kind: PackageKind::Library,
        visibility: None,
        manifest: json!({ "name": "demo", "version": version }),
        dependencies: json!([{ "name": "requests", "req": ">=2" }]),
        meta: ReleaseMeta {
            description: Some(format!("demo {version}")),
            ..ReleaseMeta::default()
        },
        files,
        add_files,
    }
}

async fn pep440_versions_files_and_reuse(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let cx = ctx(&app, &alice.token).await;
    let pypi = app.services().packages().of(Ecosystem::Pypi);

    for v in ["1.0rc1", "1.0", "1.0.post1", "0.9"] {
        let sdist = file(&app, &format!("demo-{v}.tar.gz"), FileKind::Sdist, v.as_bytes()).await;
        pypi.publish_release(&cx, release(v, vec![sdist], false))
            .await
            .expect("publish");
    }
    // A wheel joins an existing release; the same file again is refused.
    let wheel = file(&app, "demo-1.0-py3-none-any.whl", FileKind::Wheel, b"wheel").await;
    pypi.publish_release(&cx, release("1.0", vec![wheel], true))
        .await
        .expect("add a wheel");
    let again = file(&app, "demo-1.0-py3-none-any.whl", FileKind::Wheel, b"wheel 2").await;
    let err = pypi
        .publish_release(&cx, release("1.0", vec![again], true))
        .await
        .unwrap_err();
    assert_eq!((err.kind, err.code), (ErrorKind::Conflict, "file_exists"));
    // Without `add_files` a used number is refused; PEP 440 normalizes `1.0.0c1` to `1.0rc1`.
    let dup = file(&app, "demo-1.0.0c1.tar.gz", FileKind::Sdist, b"x").await;
    let err = pypi
        .publish_release(&cx, release("1.0.0c1", vec![dup], false))
        .await
        .unwrap_err();
    assert_eq!(err.code, "version_exists", "{err:?}");

    let rel = pypi.releases(&cx, "alice", "demo").await.expect("releases");
    let order: Vec<&str> = rel.versions.iter().map(|v| v.version.version.as_str()).collect();
    assert_eq!(order, ["1.0.post1", "1.0", "1.0rc1", "0.9"]);
    assert_eq!(rel.package.latest_version.as_deref(), Some("1.0.post1"));
    assert_eq!(rel.package.description.as_deref(), Some("demo 1.0.post1"));
    assert_eq!(rel.package.ecosystem, Ecosystem::Pypi);
    let one = &rel.versions[1];
    let names: Vec<&str> = one.files.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(names, ["demo-1.0.tar.gz", "demo-1.0-py3-none-any.whl"]);
    assert_eq!(one.files[1].kind, FileKind::Wheel);
    assert_eq!(one.files[1].metadata["requires_python"], ">=3.9");
    assert_eq!(one.dependencies[0]["name"], "requests");
    assert_eq!(one.version.manifest["version"], "1.0");

    // A file downloads by name and counts.
    let d = pypi
        .prepare_file(&cx, "alice", "demo", "demo-1.0-py3-none-any.whl")
        .await
        .expect("file");
    assert_eq!(d.size, 5);
    pypi.open_download(&d, None, true).await.expect("open");
    app.flush_downloads().await;
    let rel = pypi.releases(&Ctx::anonymous(), "alice", "demo").await.unwrap();
    assert_eq!(rel.package.downloads, 1);

    // Yank and delete by the ecosystem's version rules.
    pypi.set_yanked(&cx, "alice", "demo", "1.0.post1", true, None)
        .await
        .expect("yank");
    let rel = pypi.releases(&cx, "alice", "demo").await.unwrap();
    assert_eq!(rel.package.latest_version.as_deref(), Some("1.0"));
    pypi.delete_version(&cx, "alice", "demo", "1.0.0rc1")
        .await
        .expect("delete");
    let rel = pypi.releases(&cx, "alice", "demo").await.unwrap();
    assert_eq!(rel.versions.len(), 3);
    let gone = file(&app, "demo-1.0rc1-2.tar.gz", FileKind::Sdist, b"y").await;
    let err = pypi
        .publish_release(&cx, release("1.0rc1", vec![gone], true))
        .await
        .unwrap_err();
    assert_eq!(err.code, "version_deleted");

    // The native API shows it (by name alone, whatever its ecosystem), versions in PEP 440 order.
    let pkg: serde_json::Value = app
        .get("/api/v1/packages/alice/demo")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pkg["ecosystem"], "pypi");
    let versions: serde_json::Value = app
        .get("/api/v1/packages/alice/demo/versions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shown: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(shown, ["1.0.post1", "1.0", "0.9"]);

    // The native download serves the version's primary file under its own name.
    let res = app
        .get("/api/v1/packages/alice/demo/versions/0.9/download")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.contains("demo-0.9.tar.gz"), "{disposition}");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"0.9");

    // The same name in another ecosystem is another package.
    assert_eq!(
        app.services()
            .packages()
            .of(Ecosystem::Npm)
            .releases(&cx, "alice", "demo")
            .await
            .unwrap_err()
            .kind,
        ErrorKind::NotFound
    );
}

async fn private_releases_are_missing_to_outsiders(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let mallory = app.user("mallory").await;
    let (a, m) = (ctx(&app, &alice.token).await, ctx(&app, &mallory.token).await);
    let npm = app.services().packages().of(Ecosystem::Npm);
    let mut rel = release(
        "1.0.0",
        vec![file(&app, "demo-1.0.0.tgz", FileKind::Tarball, b"t").await],
        false,
    );
    rel.visibility = Some(Visibility::Private);
    npm.publish_release(&a, rel).await.expect("publish");

    let read = npm.releases(&m, "alice", "demo").await.unwrap_err();
    let missing = npm.releases(&m, "alice", "nothing").await.unwrap_err();
    assert_eq!((read.kind, read.code), (missing.kind, missing.code));
    assert_eq!(read.message.replace("demo", "nothing"), missing.message);
    let file_read = npm
        .prepare_file(&m, "alice", "demo", "demo-1.0.0.tgz")
        .await
        .unwrap_err();
    assert_eq!(file_read.kind, ErrorKind::NotFound);

    // Writing to it answers as writing a new package into alice's namespace would.
    let write = npm
        .publish_release(
            &m,
            release(
                "2.0.0",
                vec![file(&app, "demo-2.0.0.tgz", FileKind::Tarball, b"u").await],
                false,
            ),
        )
        .await
        .unwrap_err();
    let mut fresh = release(
        "2.0.0",
        vec![file(&app, "x-2.0.0.tgz", FileKind::Tarball, b"v").await],
        false,
    );
    fresh.name = "nothing".into();
    let fresh = npm.publish_release(&m, fresh).await.unwrap_err();
    assert_eq!((write.kind, write.code), (fresh.kind, fresh.code));
    assert_eq!(write.message.replace("demo", "nothing"), fresh.message);
    // A semver ecosystem refuses a PEP 440 number.
    let bad = npm
        .publish_release(
            &a,
            release(
                "1.0rc1",
                vec![file(&app, "d.tgz", FileKind::Tarball, b"w").await],
                false,
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code, "invalid_version");
}

both_backends!(
    pep440_versions_files_and_reuse,
    private_releases_are_missing_to_outsiders
);
