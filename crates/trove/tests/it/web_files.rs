//! The web UI's file browser, raw files and version diffs over real HTTP: every ecosystem's
//! archives (native, npm, Cargo, PyPI sdists and wheels), README links into them, code
//! highlighting, traversal attempts, and private packages answering like missing ones.

use crate::common::*;
use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trove_testkit::{both_backends, Backend};

struct Got {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    bytes: Vec<u8>,
}

/// A page as a browser asks for it, redirects not followed.
async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> Got {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client.get(app.url(path)).header("accept", "text/html");
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.bytes().await.unwrap().to_vec();
    Got {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

fn header<'a>(g: &'a Got, name: &str) -> &'a str {
    g.headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
}

/// A request line sent as is (no client normalizes its `..`); the status code answered.
async fn raw_status(app: &TestApp, path: &str) -> u16 {
    let addr = app.base.trim_start_matches("http://").trim_end_matches('/').to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/html\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    text.split(' ').nth(1).unwrap().parse().unwrap()
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

fn native(full: &str, version: &str, lib: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let manifest =
        format!("[package]\nname = \"{full}\"\nversion = \"{version}\"\ndescription = \"d\"\nlicense = \"MIT\"\n");
    let readme = "# Widget\n\nSee [the license](LICENSE), [docs](docs/) and [up](../../x.md).\n\n\
                  ![logo](./docs/logo.png)\n\n<img src=\"docs/logo.png\" width=\"10\">\n\n\
                  ```rust\nfn main() { println!(\"hi\"); } // greet\n```\n";
    let mut b = trove_tarball::ArchiveBuilder::new()
        .file("trove.toml", manifest.as_bytes())
        .file("README.md", readme.as_bytes())
        .file("LICENSE", b"MIT License\n")
        .file("src/lib.rs", lib.as_bytes())
        .file("docs/logo.png", PNG);
    for (p, c) in extra {
        b = b.file(p, c);
    }
    b.finish()
}

async fn file_browser_shows_native_archives(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let lib = "/// Adds.\npub fn add(a: i32, b: i32) -> i32 {\n    a + b // \"<sum>\"\n}\n";
    let res = alice
        .publish_bytes("alice/widget", "1.0.0", native("alice/widget", "1.0.0", lib, &[]))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // The root: directories first, then files, with sizes.
    let root = page(&app, "/packages/alice/widget/-/files/1.0.0/", None).await;
    assert_eq!(root.status, StatusCode::OK, "{}", root.body);
    assert!(header(&root, "content-type").starts_with("text/html"));
    let at = |s: &str| root.body.find(s).unwrap_or_else(|| panic!("{s} in {}", root.body));
    assert!(at(">docs/<") < at(">src/<") && at(">src/<") < at(">LICENSE<") && at(">LICENSE<") < at(">trove.toml<"));
    assert!(root.body.contains("href=\"/packages/alice/widget/-/files/1.0.0/src\""));
    assert!(root.body.contains("12 bytes"), "LICENSE's size: {}", root.body);

    // A directory, then a source file: highlighted, escaped, numbered, with its digest.
    let src = page(&app, "/packages/alice/widget/-/files/1.0.0/src", None).await;
    assert_eq!(src.status, StatusCode::OK);
    assert!(src
        .body
        .contains("href=\"/packages/alice/widget/-/files/1.0.0/src/lib.rs\""));
    let file = page(&app, "/packages/alice/widget/-/files/1.0.0/src/lib.rs", None).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.body.contains("<span class=\"hl-"), "highlighted: {}", file.body);
    assert!(file.body.contains("hl-comment"), "{}", file.body);
    assert!(file.body.contains("&quot;&lt;sum&gt;&quot;") || file.body.contains("\"&lt;sum&gt;\""));
    assert!(!file.body.contains("<sum>"));
    assert!(file.body.contains("4 lines"), "{}", file.body);
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(lib.as_bytes()));
    assert!(file.body.contains(&format!("sha256:{digest}")));
    assert!(file
        .body
        .contains("href=\"/packages/alice/widget/-/raw/1.0.0/src/lib.rs\""));

    // A binary file is its size and a download.
    let png = page(&app, "/packages/alice/widget/-/files/1.0.0/docs/logo.png", None).await;
    assert_eq!(png.status, StatusCode::OK);
    assert!(png.body.contains("Binary file"), "{}", png.body);

    // Raw: images as images, text as text, all sandboxed.
    let raw = page(&app, "/packages/alice/widget/-/raw/1.0.0/docs/logo.png", None).await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(header(&raw, "content-type"), "image/png");
    assert_eq!(raw.bytes, PNG);
    assert!(header(&raw, "content-security-policy").contains("sandbox"));
    assert_eq!(header(&raw, "x-content-type-options"), "nosniff");
    let raw = page(&app, "/packages/alice/widget/-/raw/1.0.0/src/lib.rs", None).await;
    assert_eq!(header(&raw, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(raw.body, lib);

    // The README's relative links and images point into this version's files; its code is
    // highlighted.
    let pkg = page(&app, "/packages/alice/widget", None).await;
    assert_eq!(pkg.status, StatusCode::OK);
    for needle in [
        "href=\"/packages/alice/widget/-/files/1.0.0/LICENSE\"",
        "href=\"/packages/alice/widget/-/files/1.0.0/docs/\"",
        "href=\"/packages/alice/widget/-/files/1.0.0/x.md\"",
        "src=\"/packages/alice/widget/-/raw/1.0.0/docs/logo.png\" alt=\"logo\"",
        "<img src=\"/packages/alice/widget/-/raw/1.0.0/docs/logo.png\" width=\"10\">",
        "href=\"/packages/alice/widget/-/files/1.0.0/\"",
    ] {
        assert!(pkg.body.contains(needle), "{needle}: {}", pkg.body);
    }
    let readme = &pkg.body[pkg.body.find("class=\"readme\"").unwrap()..];
    assert!(
        readme.contains("<span class=\"hl-"),
        "highlighted README code: {readme}"
    );
    let license = page(&app, "/packages/alice/widget/-/files/1.0.0/LICENSE", None).await;
    assert_eq!(license.status, StatusCode::OK);
    assert!(license.body.contains("MIT License"));

    // Missing paths, versions and dot segments are 404, however they are spelled.
    for path in [
        "/packages/alice/widget/-/files/1.0.0/nope.txt",
        "/packages/alice/widget/-/files/9.9.9/",
        "/packages/alice/widget/-/raw/1.0.0/src",
        "/packages/alice/widget/-/raw/1.0.0/",
        "/packages/alice/widget/-/files/1.0.0/..%2f..%2f..%2fetc%2fpasswd",
        "/packages/alice/widget/-/raw/1.0.0/src%2f..%2f..%2ftrove.toml",
        "/packages/alice/widget/-/files/1.0.0/src/.%2flib.rs",
        "/packages/alice/widget/-/sideways/1.0.0/",
    ] {
        let g = page(&app, path, None).await;
        assert_eq!(g.status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        "/packages/alice/widget/-/files/1.0.0/../../../../etc/passwd",
        "/packages/alice/widget/-/raw/1.0.0/src/../trove.toml",
        "/packages/alice/widget/-/raw/1.0.0/./src/lib.rs",
    ] {
        assert_eq!(raw_status(&app, path).await, 404, "{path}");
    }
    // The version picker's form lands on the same path in the chosen version.
    let pick = page(
        &app,
        "/packages/alice/widget/-/files?version=1.0.0&path=src/lib.rs",
        None,
    )
    .await;
    assert_eq!(pick.status, StatusCode::SEE_OTHER);
    assert_eq!(
        header(&pick, "location"),
        "/packages/alice/widget/-/files/1.0.0/src/lib.rs"
    );
    app.stop().await;
}

async fn file_browser_reads_every_ecosystem(b: Backend) {
    use crate::pypi::{multipart, post_upload, sha256_hex, upload_fields, zip_of};
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;

    // npm: everything lies in `package/`; a README-relative path finds its way there.
    crate::npm::Npm::user(&app, &alice)
        .publish("@alice/left", "1.0.0", json!({ "description": "l" }))
        .await;
    let root = page(&app, "/packages/alice/left/-/files/1.0.0/", None).await;
    assert_eq!(root.status, StatusCode::OK, "{}", root.body);
    assert!(root.body.contains(">package/<"), "{}", root.body);
    let js = page(&app, "/packages/alice/left/-/files/1.0.0/package/index.js", None).await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.body.contains("hl-"), "{}", js.body);
    let short = page(&app, "/packages/alice/left/-/files/1.0.0/index.js", None).await;
    assert_eq!(short.status, StatusCode::SEE_OTHER);
    assert_eq!(
        header(&short, "location"),
        "/packages/alice/left/-/files/1.0.0/package/index.js"
    );
    let raw = page(&app, "/packages/alice/left/-/raw/1.0.0/index.js", None).await;
    assert_eq!(raw.status, StatusCode::SEE_OTHER);
    assert_eq!(
        header(&raw, "location"),
        "/packages/alice/left/-/raw/1.0.0/package/index.js"
    );

    // Cargo: `name-version/`.
    crate::cargo::publish_crate(&app, &alice, "alice", "tool", "0.1.0").await;
    let lib = page(&app, "/packages/alice/tool/-/files/0.1.0/tool-0.1.0/src/lib.rs", None).await;
    assert_eq!(lib.status, StatusCode::OK, "{}", lib.body);
    assert!(lib.body.contains("hello"));

    // PyPI: a wheel (zip) and an sdist; the sdist is browsed first, the wheel on request.
    let wheel = zip_of(&[
        ("snake/__init__.py", b"def hiss():\n    return 'sss'\n"),
        (
            "snake-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.4\nName: snake\nVersion: 1.0\n",
        ),
    ]);
    let whl = "snake-1.0-py3-none-any.whl";
    let d = sha256_hex(&wheel);
    let res = post_upload(
        &app,
        "alice",
        &alice.token,
        multipart(&upload_fields("snake", "1.0", "bdist_wheel", &d), Some((whl, &wheel))),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let sdist = trove_tarball::ArchiveBuilder::new()
        .file(
            "snake-1.0/PKG-INFO",
            b"Metadata-Version: 2.4\nName: snake\nVersion: 1.0\n",
        )
        .file("snake-1.0/snake/__init__.py", b"def hiss():\n    return 'ssss'\n")
        .finish();
    let d = sha256_hex(&sdist);
    let res = post_upload(
        &app,
        "alice",
        &alice.token,
        multipart(
            &upload_fields("snake", "1.0", "sdist", &d),
            Some(("snake-1.0.tar.gz", &sdist)),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let root = page(&app, "/packages/alice/snake/-/files/1.0/", None).await;
    assert_eq!(root.status, StatusCode::OK, "{}", root.body);
    assert!(root.body.contains(">snake-1.0/<"), "the sdist: {}", root.body);
    assert!(
        root.body.contains(&format!("?archive={whl}")),
        "the wheel offered: {}",
        root.body
    );
    let in_wheel = page(
        &app,
        &format!("/packages/alice/snake/-/files/1.0/snake/__init__.py?archive={whl}"),
        None,
    )
    .await;
    assert_eq!(in_wheel.status, StatusCode::OK, "{}", in_wheel.body);
    assert!(
        in_wheel.body.contains(">sss<") && in_wheel.body.contains(">hiss<"),
        "{}",
        in_wheel.body
    );
    assert!(
        !in_wheel.body.contains(".metadata"),
        "metadata files are not archives: {}",
        in_wheel.body
    );
    assert!(in_wheel.body.contains("hl-"), "Python highlighted: {}", in_wheel.body);
    let missing = page(&app, "/packages/alice/snake/-/files/1.0/?archive=nope.whl", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // A package that does not exist has no files.
    assert_eq!(
        page(&app, "/packages/alice/nothing/-/files/1.0/", None).await.status,
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

async fn diffs_show_what_changed(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let v1 = native(
        "alice/widget",
        "1.0.0",
        "pub fn one() -> u8 {\n    1\n}\n",
        &[("old.txt", b"old\n"), ("same.txt", b"same\n")],
    );
    let v2 = native(
        "alice/widget",
        "1.1.0",
        "pub fn one() -> u8 {\n    2\n}\n",
        &[("new.txt", b"new <b>\n"), ("same.txt", b"same\n")],
    );
    for (v, bytes) in [("1.0.0", v1), ("1.1.0", v2)] {
        assert_eq!(
            alice.publish_bytes("alice/widget", v, bytes).await.status(),
            StatusCode::CREATED
        );
    }
    let diff = page(&app, "/packages/alice/widget/-/diff/1.0.0...1.1.0", None).await;
    assert_eq!(diff.status, StatusCode::OK, "{}", diff.body);
    let body = &diff.body;
    // trove.toml (its version), src/lib.rs and the two text files differ; 4 others do not.
    assert!(body.contains("4 files differ: 2 changed, 1 added, 1 removed"), "{body}");
    assert!(body.contains("4 unchanged"), "{body}");
    assert!(body.contains("<span class=\"dl dl-del\">-    1\n</span>"), "{body}");
    assert!(body.contains("<span class=\"dl dl-add\">+    2\n</span>"), "{body}");
    assert!(
        body.contains("<span class=\"dl dl-add\">+new &lt;b&gt;\n</span>"),
        "{body}"
    );
    assert!(
        body.contains("<span class=\"dl dl-hunk\">@@ -1,3 +1,3 @@\n</span>"),
        "{body}"
    );
    assert!(!body.contains("same.txt"), "unchanged files are not listed: {body}");
    let same = page(&app, "/packages/alice/widget/-/diff/1.1.0...1.1.0", None).await;
    assert!(same.body.contains("No file differs"), "{}", same.body);
    let form = page(&app, "/packages/alice/widget/-/diff?from=1.0.0&to=1.1.0", None).await;
    assert_eq!(form.status, StatusCode::SEE_OTHER);
    assert_eq!(header(&form, "location"), "/packages/alice/widget/-/diff/1.0.0...1.1.0");
    for path in [
        "/packages/alice/widget/-/diff/1.0.0...9.9.9",
        "/packages/alice/widget/-/diff/1.0.0",
        "/packages/alice/widget/-/diff/1.0.0..1.1.0",
        "/packages/alice/widget/-/diff/...1.1.0",
    ] {
        assert_eq!(page(&app, path, None).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // The package and files pages link to the changes since the previous version.
    let pkg = page(&app, "/packages/alice/widget", None).await;
    assert!(
        pkg.body
            .contains("href=\"/packages/alice/widget/-/diff/1.0.0...1.1.0\""),
        "{}",
        pkg.body
    );

    // Cargo versions live in `name-version/` directories: compared as one tree.
    crate::cargo::publish_crate(&app, &alice, "alice", "tool", "0.1.0").await;
    crate::cargo::publish_crate(&app, &alice, "alice", "tool", "0.2.0").await;
    let d = page(&app, "/packages/alice/tool/-/diff/0.1.0...0.2.0", None).await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(
        d.body.contains("1 file differs: 1 changed, 0 added, 0 removed"),
        "{}",
        d.body
    );
    assert!(
        d.body.contains("+version = &quot;0.2.0&quot;") || d.body.contains("+version = \"0.2.0\""),
        "{}",
        d.body
    );
    app.stop().await;
}

async fn private_files_and_diffs_are_missing(b: Backend) {
    let app = TestApp::new(b).await;
    let olivia = app.user("olivia").await;
    let oscar = app.user("oscar").await;
    for v in ["1.0.0", "1.1.0"] {
        let res = olivia
            .req(
                Method::PUT,
                &format!("/api/v1/packages/olivia/secret/versions/{v}?visibility=private"),
            )
            .body(native("olivia/secret", v, "pub fn secret() {}\n", &[]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    for (secret, missing) in [
        (
            "/packages/olivia/secret/-/files/1.0.0/",
            "/packages/olivia/nothing/-/files/1.0.0/",
        ),
        (
            "/packages/olivia/secret/-/files/1.0.0/src/lib.rs",
            "/packages/olivia/nothing/-/files/1.0.0/src/lib.rs",
        ),
        (
            "/packages/olivia/secret/-/raw/1.0.0/src/lib.rs",
            "/packages/olivia/nothing/-/raw/1.0.0/src/lib.rs",
        ),
        (
            "/packages/olivia/secret/-/diff/1.0.0...1.1.0",
            "/packages/olivia/nothing/-/diff/1.0.0...1.1.0",
        ),
    ] {
        let m = page(&app, missing, None).await;
        assert_eq!(m.status, StatusCode::NOT_FOUND, "{missing}");
        for cookie in [None, Some(oscar.cookie.as_str())] {
            let g = page(&app, secret, cookie).await;
            assert_eq!(g.status, StatusCode::NOT_FOUND, "{secret}");
            assert!(!g.body.contains("secret()"), "{secret}");
            if cookie.is_none() {
                assert_eq!(g.body, m.body, "{secret} answers as {missing}");
            }
        }
        let own = page(&app, secret, Some(&olivia.cookie)).await;
        assert_eq!(own.status, StatusCode::OK, "{secret}: {}", own.body);
        assert_eq!(header(&own, "cache-control"), "private, no-store", "{secret}");
    }
    let own = page(
        &app,
        "/packages/olivia/secret/-/raw/1.0.0/src/lib.rs",
        Some(&olivia.cookie),
    )
    .await;
    assert_eq!(own.body, "pub fn secret() {}\n");
    assert_eq!(own.headers.get(CONTENT_TYPE).unwrap(), "text/plain; charset=utf-8");
    assert!(own.headers.get(LOCATION).is_none());
    app.stop().await;
}

/// A form posted with the session cookie, redirects not followed.
async fn post_form(app: &TestApp, path: &str, cookie: &str, form: &[(&str, &str)]) -> Got {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client
        .post(app.url(path))
        .header("accept", "text/html")
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.bytes().await.unwrap().to_vec();
    Got {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

async fn oci_tag_pages_show_images(b: Backend) {
    use crate::oci::{sha256, Oci, OCI_INDEX, OCI_MANIFEST};
    let app = TestApp::new(b).await;
    let ivy = app.user("ivy").await;
    let bob = app.user("bob").await;
    let oci = Oci::user(&app, &ivy);
    let repo = "ivy/tools/app";
    // An image with labels and annotations, two layers.
    let config = json!({
        "architecture": "arm64", "os": "linux", "variant": "v8", "created": "2026-01-02T03:04:05Z",
        "config": { "Labels": { "org.opencontainers.image.source": "https://example.com/app", "maintainer": "ivy <b>" } },
        "rootfs": { "type": "layers", "diff_ids": [] }
    })
    .to_string();
    let config_digest = oci.push_blob(repo, config.as_bytes()).await;
    let (l1, l2) = (vec![1u8; 3000], vec![2u8; 5000]);
    let (d1, d2) = (oci.push_blob(repo, &l1).await, oci.push_blob(repo, &l2).await);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len() },
        "layers": [
            { "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d1, "size": 3000 },
            { "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d2, "size": 5000 }
        ],
        "annotations": { "org.opencontainers.image.description": "The app", "org.opencontainers.image.licenses": "MIT" }
    }))
    .unwrap();
    let image_digest = sha256(&manifest);
    assert_eq!(
        oci.put_manifest(repo, "v1", OCI_MANIFEST, &manifest).await.status(),
        StatusCode::CREATED
    );
    // A signature that refers to it.
    let empty = oci.push_blob(repo, b"{}").await;
    let sig = oci.push_blob(repo, b"signature bytes").await;
    let referrer = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json",
        "config": { "mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2 },
        "layers": [{ "mediaType": "application/octet-stream", "digest": sig, "size": 15 }],
        "subject": { "mediaType": OCI_MANIFEST, "digest": image_digest, "size": manifest.len() }
    }))
    .unwrap();
    let res = oci
        .put_manifest(repo, &sha256(&referrer), OCI_MANIFEST, &referrer)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // An index of it and another platform's image.
    let amd = oci.push_image(repo, "amd-only", &[b"amd layer"]).await;
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [
            { "mediaType": OCI_MANIFEST, "digest": sha256(&amd), "size": amd.len(), "platform": { "os": "linux", "architecture": "amd64" } },
            { "mediaType": OCI_MANIFEST, "digest": image_digest, "size": manifest.len(), "platform": { "os": "linux", "architecture": "arm64", "variant": "v8" } }
        ]
    }))
    .unwrap();
    assert_eq!(
        oci.put_manifest(repo, "multi", OCI_INDEX, &index).await.status(),
        StatusCode::CREATED
    );

    let v1 = page(&app, "/packages/ivy/tools/app?version=v1", None).await;
    assert_eq!(v1.status, StatusCode::OK, "{}", v1.body);
    let body = &v1.body;
    for needle in [
        "<h2 id=\"image-title\">Image <code>v1</code></h2>",
        "<dt>Platform</dt><dd>linux/arm64/v8</dd>",
        &format!(
            "<dt>Total size</dt><dd>{:.1} KiB</dd>",
            (8000 + config.len()) as f64 / 1024.0
        ),
        "<dt>Layers</dt><dd>2</dd>",
        "2.9 KiB",
        "4.9 KiB",
        "<dt>Source</dt><dd><a class=\"ext\" href=\"https://example.com/app\"",
        "<dt>maintainer</dt><dd>ivy &lt;b&gt;</dd>",
        "<dt>Description</dt><dd>The app</dd>",
        "<dt>Licenses</dt><dd>MIT</dd>",
        "<span class=\"badge\">Signature</span>",
    ] {
        assert!(body.contains(needle), "{needle}: {body}");
    }
    assert!(!body.contains("delete-tag"), "no deletion form for anonymous readers");
    let multi = page(&app, "/packages/ivy/tools/app?version=multi", None).await;
    assert_eq!(multi.status, StatusCode::OK);
    assert!(multi.body.contains(">Platforms<"), "{}", multi.body);
    assert!(
        multi.body.contains("linux/amd64") && multi.body.contains("linux/arm64/v8"),
        "{}",
        multi.body
    );
    assert!(multi.body.contains("2 platforms"), "{}", multi.body);

    // The owner deletes a tag with the form; its CSRF token is required; others may not.
    let own = page(&app, "/packages/ivy/tools/app?version=amd-only", Some(&ivy.cookie)).await;
    assert!(
        own.body
            .contains("action=\"/packages/ivy/tools/app/-/manage/delete-tag\""),
        "{}",
        own.body
    );
    let path = "/packages/ivy/tools/app/-/manage/delete-tag";
    let no_csrf = post_form(&app, path, &ivy.cookie, &[("version", "amd-only"), ("confirm", "yes")]).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let outsider = post_form(
        &app,
        path,
        &bob.cookie,
        &[("_csrf", &bob.csrf), ("version", "amd-only"), ("confirm", "yes")],
    )
    .await;
    assert!(outsider.status.is_client_error(), "{}", outsider.status);
    let unconfirmed = post_form(
        &app,
        path,
        &ivy.cookie,
        &[("_csrf", &ivy.csrf), ("version", "amd-only")],
    )
    .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let by_digest = post_form(
        &app,
        path,
        &ivy.cookie,
        &[("_csrf", &ivy.csrf), ("version", &image_digest), ("confirm", "yes")],
    )
    .await;
    assert_eq!(by_digest.status, StatusCode::UNPROCESSABLE_ENTITY, "only tags");
    assert_eq!(
        oci.send(Method::GET, "/v2/ivy/tools/app/manifests/amd-only")
            .await
            .status(),
        StatusCode::OK
    );
    let done = post_form(
        &app,
        path,
        &ivy.cookie,
        &[("_csrf", &ivy.csrf), ("version", "amd-only"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(header(&done, "location"), "/packages/ivy/tools/app?deleted=amd-only");
    assert_eq!(
        oci.send(Method::GET, "/v2/ivy/tools/app/manifests/amd-only")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let after = page(&app, "/packages/ivy/tools/app?deleted=amd-only", Some(&ivy.cookie)).await;
    assert!(after.body.contains("Tag amd-only deleted."), "{}", after.body);
    // The image itself stays: the index still lists it.
    let multi = page(&app, "/packages/ivy/tools/app?version=multi", None).await;
    assert!(multi.body.contains("linux/amd64"));
    app.stop().await;
}

async fn search_facets_take_several_values(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    for (name, kw) in [("one", "alpha"), ("two", "beta"), ("three", "gamma")] {
        let full = format!("alice/{name}");
        let manifest = format!(
            "[package]\nname = \"{full}\"\nversion = \"1.0.0\"\ndescription = \"d\"\nkeywords = [\"{kw}\", \"shared\"]\n"
        );
        let archive = trove_tarball::ArchiveBuilder::new()
            .file("trove.toml", manifest.as_bytes())
            .finish();
        assert_eq!(
            alice.publish_bytes(&full, "1.0.0", archive).await.status(),
            StatusCode::CREATED
        );
    }
    let one = page(&app, "/search?keyword=alpha", None).await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.body.contains("href=\"/packages/alice/one\"") && !one.body.contains("href=\"/packages/alice/two\""));
    // The other keywords are still offered, with their own counts, to widen the filter.
    assert!(
        one.body.contains("href=\"/search?keyword=alpha%2Cbeta\""),
        "{}",
        one.body
    );
    let two = page(&app, "/search?keyword=alpha%2Cbeta&sort=name", None).await;
    assert_eq!(two.status, StatusCode::OK);
    let (a, b) = (
        two.body.find("href=\"/packages/alice/one\"").expect("one"),
        two.body.find("href=\"/packages/alice/two\"").expect("two"),
    );
    assert!(a < b, "sorted by name");
    assert!(!two.body.contains("href=\"/packages/alice/three\""));
    // Each chosen value is a chip that removes only itself; its facet link too.
    assert!(
        two.body.contains("href=\"/search?keyword=beta&amp;sort=name\""),
        "{}",
        two.body
    );
    assert!(
        two.body.contains("href=\"/search?keyword=alpha&amp;sort=name\""),
        "{}",
        two.body
    );
    // The search form keeps the list and submits itself when the sort changes.
    assert!(two.body.contains("data-autosubmit"), "{}", two.body);
    assert!(
        two.body.contains("name=\"keyword\" value=\"alpha,beta\""),
        "{}",
        two.body
    );
    // Several ecosystems; a bad value among them is refused with a message.
    let eco = page(&app, "/search?ecosystem=npm%2Cnative", None).await;
    assert!(eco.body.contains("href=\"/packages/alice/three\""));
    let bad = page(&app, "/search?ecosystem=native%2Cbogus", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("bogus"), "{}", bad.body);
    // The API takes the same lists.
    let api: serde_json::Value = app
        .get("/api/v1/search?keyword=alpha,gamma")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["total"], 2, "{api}");
    app.stop().await;
}

/// A counter's value in the Prometheus text of `/metrics`: the sum of its lines whose labels
/// include all of `labels` (0 when absent).
async fn counter(app: &TestApp, name: &str, labels: &[&str]) -> u64 {
    let text = app.get("/metrics").send().await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) && labels.iter().all(|x| l.contains(x)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Archives read from the blob store (by anything: nothing else reads blobs here meanwhile).
async fn blob_reads(app: &TestApp) -> u64 {
    counter(app, "trove_storage_operations_total", &["op=\"get\""]).await
}

/// The file browser and diffs keep each archive's listing (and small files) in memory by
/// digest: browsing a version again, its files, its raw files and its diffs read no blob; a
/// file too large for the cache is read again for itself, whole.
async fn browsing_again_reads_no_blob(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let big = "line of a large file\n".repeat(30_000);
    for (v, lib) in [("1.0.0", "pub fn one() {}\n"), ("1.1.0", "pub fn two() {}\n")] {
        let bytes = native("alice/widget", v, lib, &[("data/big.txt", big.as_bytes())]);
        assert_eq!(
            alice.publish_bytes("alice/widget", v, bytes).await.status(),
            StatusCode::CREATED
        );
    }
    let hits = || counter(&app, "trove_archive_cache_total", &["result=\"hit\""]);
    let before = blob_reads(&app).await;
    let root = page(&app, "/packages/alice/widget/-/files/1.0.0/", None).await;
    assert_eq!(root.status, StatusCode::OK, "{}", root.body);
    assert_eq!(
        blob_reads(&app).await,
        before + 1,
        "the first listing reads the archive"
    );

    let (reads, hit) = (blob_reads(&app).await, hits().await);
    let lib = page(&app, "/packages/alice/widget/-/files/1.0.0/src/lib.rs", None).await;
    assert!(lib.body.contains("one"), "{}", lib.body);
    let again = page(&app, "/packages/alice/widget/-/files/1.0.0/", None).await;
    assert_eq!(again.body, root.body);
    let readme = page(&app, "/packages/alice/widget/-/files/1.0.0/README.md", None).await;
    assert!(readme.body.contains("hl-"), "highlighted from the cached contents");
    let logo = page(&app, "/packages/alice/widget/-/raw/1.0.0/docs/logo.png", None).await;
    assert_eq!(logo.bytes, PNG);
    assert_eq!(blob_reads(&app).await, reads, "no blob read again");
    assert_eq!(hits().await, hit + 4, "four cache hits");

    // A diff reads the other version's archive once; shown again, nothing.
    let diff = page(&app, "/packages/alice/widget/-/diff/1.0.0...1.1.0", None).await;
    assert!(diff.body.contains("+pub fn two() {}"), "{}", diff.body);
    assert_eq!(blob_reads(&app).await, reads + 1);
    let diff2 = page(&app, "/packages/alice/widget/-/diff/1.0.0...1.1.0", None).await;
    assert_eq!(diff2.body, diff.body);
    assert_eq!(blob_reads(&app).await, reads + 1);

    // A file larger than the cache keeps (600 KB) is read whole when asked for raw.
    let raw = page(&app, "/packages/alice/widget/-/raw/1.0.0/data/big.txt", None).await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.body, big);
    assert_eq!(blob_reads(&app).await, reads + 2);
    app.stop().await;
}

both_backends!(
    browsing_again_reads_no_blob,
    search_facets_take_several_values,
    oci_tag_pages_show_images,
    file_browser_shows_native_archives,
    file_browser_reads_every_ecosystem,
    diffs_show_what_changed,
    private_files_and_diffs_are_missing,
);
