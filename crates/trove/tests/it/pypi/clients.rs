//! End to end with the real clients: twine and `uv publish` upload two projects (one
//! depends on the other), re-uploads skip existing files (`uv publish --check-url`, twine 6.1
//! `--skip-existing`; the newest twine refuses that option for indexes other than pypi.org),
//! pip resolves through PEP 658 metadata without downloading a wheel, then pip (also with `--require-hashes`) and
//! `uv pip install` install both from the simple index alone.

use super::*;
use trove_testkit::Backend;

/// Downloads counted for a project so far.
async fn downloads(app: &TestApp, name: &str) -> i64 {
    app.flush_downloads().await;
    let pkg = app
        .services()
        .packages()
        .of(trove_core::Ecosystem::Pypi)
        .releases(&trove_service::Ctx::anonymous(), "alice", name)
        .await
        .unwrap();
    pkg.package.downloads
}

async fn publish_and_install(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let beta = build_project(w, "beta_lib", "0.1", &[]).await;
    let alpha = build_project(w, "Alpha.Pkg", "1.0", &["beta-lib>=0.1"]).await;
    let index = index_url(&app, "alice", None);
    let upload = upload_url(&app, "alice");

    // twine uploads beta's sdist and wheel; uv publishes alpha's.
    let up = twine_upload(&app, w, "alice", &alice.token, &beta, &[]).await;
    assert!(up.ok, "twine upload:\n{}", up.output);
    let (a_sdist, a_wheel) = (alpha[0].display().to_string(), alpha[1].display().to_string());
    let token = alice.token.as_str();
    let uv_publish = [
        "publish",
        "--publish-url",
        &upload,
        "--token",
        token,
        "--check-url",
        &index,
        &a_sdist,
        &a_wheel,
    ];
    run_ok(w, tool("uv"), &uv_publish).await;

    // Existing files. The newest twine fails on them with the 409 "File already exists" it
    // prints, and refuses --skip-existing itself, before any request, for every index but
    // pypi.org's (twine >= 6.2; see scripts/install-pypi-clients.sh). twine 6.1 skips them on
    // the 409; uv skips them after looking them up in the index (--check-url).
    let again = twine_upload(&app, w, "alice", &alice.token, &beta, &[]).await;
    assert!(
        !again.ok && again.output.contains("409") && again.output.contains("File already exists"),
        "{}",
        again.output
    );
    let refused = twine_upload(&app, w, "alice", &alice.token, &beta, &["--skip-existing"]).await;
    // (twine wraps its message to the terminal's width)
    let words = refused.output.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        !refused.ok && words.contains("does not have support for the following features: --skip-existing"),
        "the newest twine took --skip-existing for a non-PyPI index: drop twine 6.1 from \
         scripts/install-pypi-clients.sh and test the newest one here\n{}",
        refused.output
    );
    let skipped = twine_upload_by(twine_6_1(), &app, w, "alice", &alice.token, &beta, &["--skip-existing"]).await;
    assert!(skipped.ok && skipped.output.contains("Skipping"), "{}", skipped.output);
    let uv_again = run_ok(w, tool("uv"), &uv_publish).await;
    assert!(
        uv_again.contains("kipping") || uv_again.contains("already exists"),
        "{uv_again}"
    );

    // pip resolves both projects from their PEP 658 metadata alone: no wheel is downloaded.
    run_ok(w, tool("python"), &["-m", "venv", "--without-pip", "venv-pip"]).await;
    let pip = |venv: &str| {
        vec![
            "-m".to_string(),
            "pip".into(),
            "--python".into(),
            format!("{venv}/bin/python"),
            "install".into(),
        ]
    };
    let mut dry = pip("venv-pip");
    dry.extend(["--dry-run", "--index-url", &index, "alpha-pkg"].map(String::from));
    let out = run_ok(w, tool("python"), &dry.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert!(
        out.contains("Would install Alpha.Pkg-1.0 beta_lib-0.1") || out.contains("Would install"),
        "{out}"
    );
    assert_eq!(
        downloads(&app, "alpha-pkg").await + downloads(&app, "beta-lib").await,
        0,
        "resolution fetched metadata only"
    );

    // pip installs both from the index alone (and checks the hashes it gives).
    let mut install = pip("venv-pip");
    install.extend(["--index-url", &index, "alpha-pkg"].map(String::from));
    run_ok(
        w,
        tool("python"),
        &install.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    let imported = run_ok(
        w,
        w.join("venv-pip/bin/python"),
        &[
            "-c",
            "import alpha_pkg, beta_lib; print(alpha_pkg.VERSION, beta_lib.VERSION)",
        ],
    )
    .await;
    assert_eq!(imported.trim(), "1.0 0.1");
    assert_eq!(downloads(&app, "alpha-pkg").await, 1);
    assert_eq!(downloads(&app, "beta-lib").await, 1);

    // --require-hashes with a lock of the wheels' digests.
    let lock = format!(
        "alpha-pkg==1.0 --hash=sha256:{}\nbeta-lib==0.1 --hash=sha256:{}\n",
        sha256_hex(&read(&alpha[1])),
        sha256_hex(&read(&beta[1]))
    );
    std::fs::write(w.join("requirements.txt"), lock).unwrap();
    run_ok(w, tool("python"), &["-m", "venv", "--without-pip", "venv-hashes"]).await;
    let mut hashed = pip("venv-hashes");
    hashed.extend(["--require-hashes", "--index-url", &index, "-r", "requirements.txt"].map(String::from));
    run_ok(
        w,
        tool("python"),
        &hashed.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;

    // uv pip install from the same index.
    run_ok(w, tool("python"), &["-m", "venv", "--without-pip", "venv-uv"]).await;
    run_ok(
        w,
        tool("uv"),
        &[
            "pip",
            "install",
            "--python",
            "venv-uv/bin/python",
            "--index-url",
            &index,
            "alpha-pkg",
        ],
    )
    .await;
    let imported = run_ok(
        w,
        w.join("venv-uv/bin/python"),
        &["-c", "import alpha_pkg, beta_lib; print(beta_lib.VERSION)"],
    )
    .await;
    assert_eq!(imported.trim(), "0.1");

    // uv lock against the index with --exclude-newer, which needs upload times: a cutoff
    // after the uploads locks both projects, one before them finds nothing.
    let consumer = w.join("consumer");
    std::fs::create_dir_all(&consumer).unwrap();
    std::fs::write(
        consumer.join("pyproject.toml"),
        "[project]\nname = \"consumer\"\nversion = \"0\"\nrequires-python = \">=3.8\"\ndependencies = [\"alpha-pkg\"]\n",
    )
    .unwrap();
    let python = tool("python").display().to_string();
    let lock = |cutoff: &'static str| {
        let args: Vec<String> = [
            "lock",
            "--python",
            &python,
            "--default-index",
            &index,
            "--exclude-newer",
            cutoff,
        ]
        .map(String::from)
        .to_vec();
        let consumer = consumer.clone();
        async move {
            run_in(
                &consumer,
                tool("uv"),
                &args.iter().map(String::as_str).collect::<Vec<_>>(),
            )
            .await
        }
    };
    let locked = lock("2100-01-01T00:00:00Z").await;
    assert!(locked.ok, "{}", locked.output);
    let text = std::fs::read_to_string(consumer.join("uv.lock")).unwrap();
    assert!(
        text.contains("name = \"beta-lib\"") && text.contains("upload-time"),
        "{text}"
    );
    let too_old = lock("2000-01-01T00:00:00Z").await;
    assert!(!too_old.ok, "{}", too_old.output);

    // PEP 592: a yanked release is skipped unless pinned with `==`.
    let beta2 = build_project(w, "beta_lib", "0.2", &[]).await;
    // (uploaded with alice's username and password rather than a token)
    let (sdist2, wheel2) = (beta2[0].display().to_string(), beta2[1].display().to_string());
    let url = upload_url(&app, "alice");
    let up = [
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        &url,
    ];
    run_ok(
        w,
        tool("twine"),
        &[&up[..], &["-u", "alice", "-p", PASSWORD, &sdist2, &wheel2]].concat(),
    )
    .await;
    let ctx = super::privacy::ctx_of(&app, &alice.token).await;
    let pypi = app.services().packages().of(trove_core::Ecosystem::Pypi);
    pypi.set_yanked(&ctx, "alice", "beta-lib", "0.2", true, None)
        .await
        .unwrap();
    run_ok(w, tool("python"), &["-m", "venv", "--without-pip", "venv-yank"]).await;
    let pip_yank = |req: &'static str| {
        let args: Vec<String> = [
            "-m",
            "pip",
            "--python",
            "venv-yank/bin/python",
            "install",
            "--index-url",
            &index,
            req,
        ]
        .map(String::from)
        .to_vec();
        async move { run_ok(w, tool("python"), &args.iter().map(String::as_str).collect::<Vec<_>>()).await }
    };
    let version = || async {
        run_ok(
            w,
            w.join("venv-yank/bin/python"),
            &["-c", "import beta_lib; print(beta_lib.VERSION)"],
        )
        .await
    };
    pip_yank("beta-lib").await;
    assert_eq!(version().await.trim(), "0.1", "the yanked 0.2 is skipped");
    pip_yank("beta-lib==0.2").await;
    assert_eq!(version().await.trim(), "0.2", "pinned, the yanked 0.2 installs");
    app.stop().await;
}

trove_testkit::both_backends!(publish_and_install);
