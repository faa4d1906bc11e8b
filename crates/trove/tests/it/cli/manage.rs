//! Owners, organizations, tokens, deprecation, registries, and discovery (info, search,
//! stats) through the CLI, in human and JSON output.

use super::CliEnv;
use crate::common::*;
use trove_testkit::{both_backends, Backend};

async fn owners_orgs_tokens_and_discovery(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let _bob = app.user("bob").await;
    alice.publish("alice/widget", "1.0.0").await;
    alice.publish("alice/widget", "1.1.0").await;
    let cli = CliEnv::new(&app);
    let home = cli.home.path().to_path_buf();
    cli.login(&alice.token).await;

    // Owners.
    cli.run(&home, &["owner", "add", "alice/widget", "bob", "--role", "maintainer"])
        .await
        .ok();
    let owners = cli
        .run(&home, &["owner", "list", "alice/widget", "--json"])
        .await
        .ok()
        .json();
    let roles: Vec<(String, String)> = owners
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["username"].as_str().unwrap().into(),
                o["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(roles.contains(&("bob".into(), "maintainer".into())), "{roles:?}");
    let listed = cli.run(&home, &["owner", "list", "alice/widget"]).await.ok();
    assert!(
        listed.stdout.contains("bob") && listed.stdout.contains("maintainer"),
        "{}",
        listed.stdout
    );
    let removed = cli.run(&home, &["owner", "remove", "alice/widget", "bob"]).await.ok();
    assert!(!removed.stdout.contains("bob"), "{}", removed.stdout);

    // Organizations.
    let org = cli
        .run(
            &home,
            &["org", "create", "acme", "--description", "Acme Corp", "--json"],
        )
        .await
        .ok()
        .json();
    assert_eq!(org["name"], "acme");
    cli.run(&home, &["org", "member", "add", "acme", "bob", "--role", "write"])
        .await
        .ok();
    let members = cli.run(&home, &["org", "member", "list", "acme"]).await.ok();
    assert!(members.stdout.contains("alice  owner"), "{}", members.stdout);
    assert!(members.stdout.contains("bob    write"), "{}", members.stdout);
    let out = cli
        .run(&home, &["org", "member", "add", "acme", "bob", "--role", "emperor"])
        .await;
    assert!(
        !out.success && out.stderr.contains("invalid value 'emperor'"),
        "{}",
        out.stderr
    );
    let after = cli
        .run(&home, &["org", "member", "remove", "acme", "bob", "--json"])
        .await
        .ok()
        .json();
    assert!(!after.to_string().contains("bob"));

    // Tokens (the login token has the admin scope).
    let created = cli
        .run(
            &home,
            &[
                "token",
                "create",
                "ci",
                "--scope",
                "publish",
                "--scope",
                "yank",
                "--package",
                "alice/*",
                "--expires-in-days",
                "7",
                "--json",
            ],
        )
        .await
        .ok()
        .json();
    let secret = created["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("trv_"));
    assert_eq!(created["scopes"], serde_json::json!(["publish", "yank"]));
    assert!(created["expires_at"].is_string());
    let id = created["id"].as_i64().unwrap().to_string();
    let listed = cli.run(&home, &["token", "list"]).await.ok();
    assert!(
        listed.stdout.contains("ci  [publish,yank] packages: alice/*"),
        "{}",
        listed.stdout
    );
    // The new token works with TROVE_TOKEN, then stops working once revoked.
    cli.run_with(&home, &["whoami"], &[("TROVE_TOKEN", &secret)], None)
        .await
        .ok();
    cli.run(&home, &["token", "revoke", &id]).await.ok();
    let out = cli
        .run_with(&home, &["whoami"], &[("TROVE_TOKEN", &secret)], None)
        .await
        .fails();
    assert!(out.stderr.contains("revoked"), "{}", out.stderr);

    // Deprecation shows up in info.
    let dep = cli
        .run(&home, &["deprecate", "alice/widget@1.0.0", "--message", "use 1.1"])
        .await
        .ok();
    assert!(
        dep.stdout.contains("Deprecated alice/widget 1.0.0: use 1.1"),
        "{}",
        dep.stdout
    );
    let info = cli.run(&home, &["info", "alice/widget"]).await.ok();
    assert!(info.stdout.starts_with("alice/widget 1.1.0"), "{}", info.stdout);
    assert!(info.stdout.contains("1.0.0  (deprecated: use 1.1)"), "{}", info.stdout);
    cli.run(&home, &["deprecate", "alice/widget", "1.0.0", "--undo"])
        .await
        .ok();
    let v = cli
        .run(&home, &["info", "alice/widget@1.0.0", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(v["version"]["version"], "1.0.0");
    assert!(v["version"]["deprecated"].is_null());
    cli.run(&home, &["yank", "alice/widget", "1.0.0"]).await.ok();
    let info = cli.run(&home, &["info", "alice/widget"]).await.ok();
    assert!(info.stdout.contains("1.0.0  (yanked)"), "{}", info.stdout);
    cli.run(&home, &["unyank", "alice/widget@1.0.0"]).await.ok();

    // Search.
    let found = cli.run(&home, &["search", "widget"]).await.ok();
    assert!(found.stdout.contains("alice/widget"), "{}", found.stdout);
    let found = cli
        .run(&home, &["search", "widget", "--sort", "downloads", "--json"])
        .await
        .ok()
        .json();
    assert!(found["total"].as_i64().unwrap() >= 1);
    assert_eq!(found["results"][0]["full_name"], "alice/widget");
    let none = cli.run(&home, &["search", "zzzzqqqq"]).await.ok();
    assert!(none.stdout.contains("No packages match"), "{}", none.stdout);

    // Stats: two downloads today, then a sparkline whose last day is the peak.
    for _ in 0..2 {
        let res = app
            .get("/api/v1/packages/alice/widget/versions/1.1.0/download")
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        res.bytes().await.unwrap();
    }
    app.flush_downloads().await;
    let stats = cli.run(&home, &["stats", "alice/widget", "--days", "14"]).await.ok();
    assert!(stats.stdout.contains("total: 2"), "{}", stats.stdout);
    assert!(
        stats.stdout.contains("▁▁▁▁▁▁▁▁▁▁▁▁▁█  (last 14 days, peak 2/day)"),
        "{}",
        stats.stdout
    );
    let stats = cli.run(&home, &["stats", "alice/widget", "--json"]).await.ok().json();
    assert_eq!(stats["total"], 2);
    assert_eq!(stats["series"].as_array().unwrap().len(), 30);

    // Registries.
    cli.run(
        &home,
        &["registry", "add", "mirror", "http://127.0.0.1:1/", "--default"],
    )
    .await
    .ok();
    let list = cli.run(&home, &["registry", "list"]).await.ok();
    assert!(
        list.stdout.contains("* mirror       http://127.0.0.1:1"),
        "{}",
        list.stdout
    );
    cli.run(&home, &["registry", "remove", "mirror"]).await.ok();
    let out = cli.run(&home, &["registry", "default", "nope"]).await.fails();
    assert!(out.stderr.contains("no registry is named `nope`"), "{}", out.stderr);
    app.stop().await;
}

both_backends!(owners_orgs_tokens_and_discovery);
