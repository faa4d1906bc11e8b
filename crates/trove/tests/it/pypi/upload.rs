//! Refused uploads: each a clear 4xx (the message as twine prints it), nothing stored, no
//! staging file left. Real twine where a real client can send the mistake (a file renamed
//! to another project); hand-made forms for what no client sends (a wrong digest, hostile
//! archives, a body over the limit).

use super::*;
use trove_testkit::Backend;

/// Asserts the status and that the message (reason phrase and body) says `needle`.
async fn refused(res: reqwest::Response, status: StatusCode, needle: &str) {
    let got = res.status();
    let reason = got.canonical_reason().unwrap_or_default().to_string();
    let body = res.text().await.unwrap();
    assert_eq!(got, status, "{body}");
    assert!(body.contains(needle), "`{needle}` not in: {body} ({reason})");
}

const META: &[u8] = b"Metadata-Version: 2.4\nName: evil-pkg\nVersion: 1.0\n";

async fn bad_uploads(backend: Backend) {
    let app = TestApp::builder(backend)
        .config(|c| {
            c.limits.max_archive_bytes = 2 << 20;
            c.limits.max_unpacked_bytes = 8 << 20;
        })
        .start()
        .await;
    let alice = app.user("alice").await;
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let built = build_project(w, "good-pkg", "1.0", &[]).await;
    let wheel = read(&built[1]);
    let digest = sha256_hex(&wheel);
    let wheel_name = "good_pkg-1.0-py3-none-any.whl";

    // twine: a wheel renamed to another project is refused with a message twine prints.
    let renamed = w.join("other_pkg-1.0-py3-none-any.whl");
    std::fs::copy(&built[1], &renamed).unwrap();
    let ran = twine_upload(&app, w, "alice", &alice.token, &[renamed], &["--verbose"]).await;
    assert!(
        !ran.ok && ran.output.contains("is not for the project"),
        "{}",
        ran.output
    );
    // twine with a token that is not valid: 401 and the reason, read by twine (the refused
    // body was drained, not cut off).
    let ran = twine_upload(&app, w, "alice", "trv_not-a-token", &built, &[]).await;
    assert!(!ran.ok && ran.output.contains("401"), "{}", ran.output);
    assert!(!ran.output.contains("ConnectionError"), "{}", ran.output);

    // The digest the client computed differs.
    let wrong = "0".repeat(64);
    let form = multipart(
        &upload_fields("good-pkg", "1.0", "bdist_wheel", &wrong),
        Some((wheel_name, &wheel)),
    );
    refused(
        post_upload(&app, "alice", &alice.token, form).await,
        StatusCode::BAD_REQUEST,
        "digest supplied does not match",
    )
    .await;
    // The file name names another version.
    let form = multipart(
        &upload_fields("good-pkg", "2.0", "bdist_wheel", &digest),
        Some((wheel_name, &wheel)),
    );
    refused(
        post_upload(&app, "alice", &alice.token, form).await,
        StatusCode::BAD_REQUEST,
        "not for version 2.0",
    )
    .await;
    // Not a PEP 440 version.
    let form = multipart(
        &upload_fields("good-pkg", "one.two", "sdist", &digest),
        Some(("good_pkg-one.two.tar.gz", &wheel)),
    );
    refused(
        post_upload(&app, "alice", &alice.token, form).await,
        StatusCode::BAD_REQUEST,
        "PEP 440",
    )
    .await;
    // A wheel without METADATA.
    let bare = zip_of(&[("evil_pkg/__init__.py", b"")]);
    let d = sha256_hex(&bare);
    let form = multipart(
        &upload_fields("evil-pkg", "1.0", "bdist_wheel", &d),
        Some(("evil_pkg-1.0-py3-none-any.whl", &bare)),
    );
    refused(
        post_upload(&app, "alice", &alice.token, form).await,
        StatusCode::BAD_REQUEST,
        "no `.dist-info/METADATA`",
    )
    .await;
    // A zip bomb: 16 MiB of zeros in a few kilobytes.
    let zeros = vec![0u8; 16 << 20];
    let bomb = zip_of(&[
        ("evil_pkg-1.0.dist-info/METADATA", META),
        ("evil_pkg/zeros.bin", &zeros),
    ]);
    let d = sha256_hex(&bomb);
    let form = multipart(
        &upload_fields("evil-pkg", "1.0", "bdist_wheel", &d),
        Some(("evil_pkg-1.0-py3-none-any.whl", &bomb)),
    );
    refused(
        post_upload(&app, "alice", &alice.token, form).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "unpacks to more than",
    )
    .await;
    // Traversal in a wheel and in an sdist.
    let zipped = zip_of(&[
        ("evil_pkg-1.0.dist-info/METADATA", META),
        ("../../evil.pth", b"import os"),
    ]);
    let d = sha256_hex(&zipped);
    let form = multipart(
        &upload_fields("evil-pkg", "1.0", "bdist_wheel", &d),
        Some(("evil_pkg-1.0-py3-none-any.whl", &zipped)),
    );
    refused(
        post_upload(&app, "alice", &alice.token, form).await,
        StatusCode::BAD_REQUEST,
        "`..`",
    )
    .await;
    let sdist = trove_tarball::ArchiveBuilder::new()
        .file("evil_pkg-1.0/PKG-INFO", META)
        .raw_path_file("evil_pkg-1.0/../../../etc/cron.d/evil", b"* * * * * root true\n")
        .finish();
    let d = sha256_hex(&sdist);
    let form = multipart(
        &upload_fields("evil-pkg", "1.0", "sdist", &d),
        Some(("evil_pkg-1.0.tar.gz", &sdist)),
    );
    refused(
        post_upload(&app, "alice", &alice.token, form).await,
        StatusCode::BAD_REQUEST,
        "`..`",
    )
    .await;
    // METADATA of another project inside a correctly named wheel.
    let liar = zip_of(&[(
        "evil_pkg-1.0.dist-info/METADATA",
        b"Metadata-Version: 2.4\nName: requests\nVersion: 1.0\n",
    )]);
    let d = sha256_hex(&liar);
    let form = multipart(
        &upload_fields("evil-pkg", "1.0", "bdist_wheel", &d),
        Some(("evil_pkg-1.0-py3-none-any.whl", &liar)),
    );
    refused(
        post_upload(&app, "alice", &alice.token, form).await,
        StatusCode::BAD_REQUEST,
        "is for requests 1.0",
    )
    .await;
    // Over the size limit: 413, before the body is stored.
    let big = vec![7u8; 3 << 20];
    let form = multipart(
        &upload_fields("good-pkg", "1.0", "bdist_wheel", &digest),
        Some((wheel_name, &big)),
    );
    refused(
        post_upload(&app, "alice", &alice.token, form).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "larger than the limit",
    )
    .await;
    // Not a form, no file, no credentials, bad credentials.
    let res = app
        .req(Method::POST, "/pypi/alice/")
        .basic_auth("__token__", Some(&alice.token))
        .body("x")
        .send()
        .await
        .unwrap();
    refused(res, StatusCode::BAD_REQUEST, "multipart/form-data").await;
    let form = multipart(&upload_fields("good-pkg", "1.0", "bdist_wheel", &digest), None);
    refused(
        post_upload(&app, "alice", &alice.token, form).await,
        StatusCode::BAD_REQUEST,
        "does not have a file",
    )
    .await;
    let form = multipart(
        &upload_fields("good-pkg", "1.0", "bdist_wheel", &digest),
        Some((wheel_name, &wheel)),
    );
    let res = app
        .req(Method::POST, "/pypi/alice/")
        .header("content-type", form.0.clone())
        .body(form.1.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Basic realm=\"trove\"");
    refused(res, StatusCode::UNAUTHORIZED, "credentials").await;
    refused(
        post_upload(&app, "alice", "trv_not-a-token", form).await,
        StatusCode::UNAUTHORIZED,
        "not valid",
    )
    .await;

    // Nothing of it was kept.
    assert_eq!(app.blob_count().await, 0);
    assert_eq!(app.staging_files(), 0);
    for project in ["good-pkg", "other-pkg", "evil-pkg"] {
        let res = app.get(&format!("/pypi/alice/simple/{project}/")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{project}");
    }
    // The real wheel still goes in.
    let form = multipart(
        &upload_fields("good-pkg", "1.0", "bdist_wheel", &digest),
        Some((wheel_name, &wheel)),
    );
    assert_eq!(
        post_upload(&app, "alice", &alice.token, form).await.status(),
        StatusCode::OK
    );
    // One sdist per release: a second one under another spelling of the name is refused.
    let sdist = read(&built[0]);
    let d = sha256_hex(&sdist);
    let fields = upload_fields("good-pkg", "1.0", "sdist", &d);
    let form = multipart(&fields, Some(("good_pkg-1.0.tar.gz", &sdist)));
    assert_eq!(
        post_upload(&app, "alice", &alice.token, form).await.status(),
        StatusCode::OK
    );
    let form = multipart(&fields, Some(("Good.Pkg-1.0.tar.gz", &sdist)));
    let res = post_upload(&app, "alice", &alice.token, form).await;
    refused(res, StatusCode::BAD_REQUEST, "Only one sdist").await;
    app.stop().await;
}

trove_testkit::both_backends!(bad_uploads);
