//! Wrong tokens, bad input, broken files, server errors and a registry that is down: clear
//! errors, exit status 1, never a panic.

use super::{write, CliEnv};
use crate::common::*;
use trove_testkit::{both_backends, Backend};

async fn bad_tokens_bad_input_and_a_dead_server(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    alice.publish("alice/real", "1.0.0").await;
    let cli = CliEnv::new(&app);
    let home = cli.home.path().to_path_buf();

    // Not logged in.
    let out = cli.run(&home, &["whoami"]).await.fails();
    assert!(
        out.stderr.contains("you are not logged in to registry `default`"),
        "{}",
        out.stderr
    );
    let out = cli.run(&home, &["yank", "alice/real@1.0.0"]).await.fails();
    assert!(out.stderr.contains("run `trove login`"), "{}", out.stderr);

    // A wrong token is refused at login and nothing is stored.
    let out = cli.run(&home, &["login", "--token", "trv_bogus"]).await.fails();
    assert!(out.stderr.contains("did not accept the token"), "{}", out.stderr);
    assert!(out.stderr.contains("the API token is not valid"), "{}", out.stderr);
    assert!(!cli.config_dir().join("credentials.toml").exists());
    let out = cli
        .run_with(&home, &["whoami"], &[("TROVE_TOKEN", "trv_wrong")], None)
        .await
        .fails();
    assert!(out.stderr.contains("the API token is not valid"), "{}", out.stderr);
    assert!(out.stderr.contains("hint: log in again"), "{}", out.stderr);
    let out = cli
        .run_with(&home, &["login", "--with-token"], &[], Some("  \n"))
        .await
        .fails();
    assert!(out.stderr.contains("no token on standard input"), "{}", out.stderr);

    // Bad input is explained before anything is sent.
    let out = cli
        .run_with(
            &home,
            &["yank", "alice/real@1.0"],
            &[("TROVE_TOKEN", &alice.token)],
            None,
        )
        .await
        .fails();
    assert!(out.stderr.contains("not a valid semver"), "{}", out.stderr);
    let out = cli.run(&home, &["info", "Not A/Name"]).await.fails();
    assert!(out.stderr.contains("is not a package name"), "{}", out.stderr);
    let out = cli.run(&home, &["install"]).await.fails();
    assert!(out.stderr.contains("no trove.toml"), "{}", out.stderr);
    let out = cli
        .run(&home, &["--registry-url", "ftp://x", "info", "alice/real"])
        .await
        .fails();
    assert!(out.stderr.contains("is not a registry URL"), "{}", out.stderr);
    let out = cli
        .run(&home, &["init", "--name", "alice/x", "--kind", "spaceship"])
        .await
        .fails();
    assert!(out.stderr.contains("`spaceship` is not one of"), "{}", out.stderr);

    let proj = cli.dir("proj");
    cli.run(&proj, &["init", "--name", "alice/proj"]).await.ok();
    let out = cli.run(&proj, &["init", "--name", "alice/proj"]).await.fails();
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    let out = cli.run(&proj, &["add", "alice/real@not a req"]).await.fails();
    assert!(out.stderr.contains("is not a version requirement"), "{}", out.stderr);
    let out = cli.run(&proj, &["add", "alice/missing"]).await.fails();
    assert!(out.stderr.contains("looking up `alice/missing`"), "{}", out.stderr);
    assert!(out.stderr.contains("not found"), "{}", out.stderr);
    // A dependency that does not exist is named by the resolver.
    let out = cli.run(&proj, &["add", "alice/missing@^1"]).await.fails();
    assert!(
        out.stderr.contains("`alice/missing` was not found on the registry"),
        "{}",
        out.stderr
    );
    // Server-side errors keep their code in --json mode.
    let out = cli.run(&home, &["--json", "info", "alice/nothing"]).await.fails();
    let v = out.json();
    assert_eq!(v["error"]["code"], "not_found");
    assert_eq!(v["error"]["status"], 404);

    // Broken project files.
    write(&proj.join("trove.lock"), "this is not toml [");
    let out = cli.run(&proj, &["install"]).await.fails();
    assert!(out.stderr.contains("is not a valid lock file"), "{}", out.stderr);
    std::fs::remove_file(proj.join("trove.lock")).unwrap();
    write(&proj.join("trove.toml"), "[package]\nname = \"alice/proj\"\n");
    let out = cli.run(&proj, &["install"]).await.fails();
    assert!(out.stderr.contains("trove.toml is invalid"), "{}", out.stderr);
    assert!(out.stderr.contains("package.version"), "{}", out.stderr);
    let out = cli.run(&proj, &["publish", "--dry-run"]).await.fails();
    assert!(out.stderr.contains("package.version"), "{}", out.stderr);

    // A version that already exists: the registry's refusal is shown as is.
    let dup = cli.dir("dup");
    cli.run(&dup, &["init", "--name", "alice/real", "--version", "1.0.0"])
        .await
        .ok();
    let out = cli
        .run_with(&dup, &["publish"], &[("TROVE_TOKEN", &alice.token)], None)
        .await
        .fails();
    assert!(out.stderr.contains("publishing alice/real 1.0.0"), "{}", out.stderr);
    assert!(out.stderr.contains("already"), "{}", out.stderr);

    // The registry goes away.
    let base = app.base.clone();
    app.stop().await;
    let out = cli
        .run_with(&home, &["whoami"], &[("TROVE_TOKEN", &alice.token)], None)
        .await
        .fails();
    assert!(
        out.stderr.contains(&format!("cannot reach the registry at {base}")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: is the registry running"), "{}", out.stderr);
    write(
        &proj.join("trove.toml"),
        "[package]\nname = \"alice/proj\"\nversion = \"0.1.0\"\n[dependencies]\n\"alice/real\" = \"^1\"\n",
    );
    let out = cli.run(&proj, &["install"]).await.fails();
    assert!(out.stderr.contains("cannot reach the registry"), "{}", out.stderr);
    let out = cli.run(&home, &["login"]).await.fails();
    assert!(out.stderr.contains("starting the device login"), "{}", out.stderr);
}

both_backends!(bad_tokens_bad_input_and_a_dead_server);
