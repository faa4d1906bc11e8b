//! `trove retention …` and `trove usage` against a real server: set, show, preview (deletes
//! nothing), apply, clear, in human and JSON output, and a namespace's usage and quota.

use super::CliEnv;
use crate::common::*;
use reqwest::Method;
use serde_json::json;
use trove_testkit::{both_backends, Backend};

async fn retention_and_usage_from_the_cli(b: Backend) {
    let app = TestApp::builder(b).config(|c| c.oci.gc_min_age_secs = 0).start().await;
    let alice = app.user("alice").await;
    let admin = app.admin("sysop").await;
    for v in ["1.0.0", "1.1.0", "1.2.0"] {
        alice.publish("alice/cli-kept", v).await;
    }
    let cli = CliEnv::new(&app);
    let home = cli.home.path().to_path_buf();
    cli.login(&alice.token).await;

    let out = cli.run(&home, &["retention", "show", "alice"]).await.fails();
    assert!(out.stderr.contains("no retention policy"), "{}", out.stderr);
    let set = cli
        .run(
            &home,
            &["retention", "set", "alice", "--keep-last", "1", "--pattern", "1.*"],
        )
        .await
        .ok();
    assert!(set.stdout.contains("trove retention preview alice"), "{}", set.stdout);
    let shown = cli
        .run(&home, &["retention", "show", "alice", "--json"])
        .await
        .ok()
        .json();
    assert_eq!((&shown["keep_last"], &shown["pattern"]), (&json!(1), &json!("1.*")));

    let preview = cli.run(&home, &["retention", "preview", "alice"]).await.ok();
    assert!(
        preview.stdout.contains("Would delete 2 in `alice`"),
        "{}",
        preview.stdout
    );
    assert!(
        preview.stdout.contains("version alice/cli-kept 1.0.0"),
        "{}",
        preview.stdout
    );
    let versions = json_ok(
        app.get("/api/v1/packages/alice/cli-kept/versions")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(versions.as_array().unwrap().len(), 3, "a preview deletes nothing");

    let applied = cli
        .run(&home, &["retention", "apply", "alice", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(applied["deleted"].as_array().unwrap().len(), 2, "{applied}");
    assert!(applied["bytes_reclaimed"].as_i64().unwrap() > 0, "{applied}");
    let versions = json_ok(
        app.get("/api/v1/packages/alice/cli-kept/versions")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(versions[0]["version"], "1.2.0");
    assert_eq!(versions.as_array().unwrap().len(), 1);

    let cleared = cli.run(&home, &["retention", "clear", "alice"]).await.ok();
    assert!(
        cleared.stdout.contains("Removed the retention policy of `alice`"),
        "{}",
        cleared.stdout
    );

    // Usage, then with a quota a site admin set.
    let usage = cli.run(&home, &["usage", "alice"]).await.ok();
    assert!(usage.stdout.contains("(no quota)"), "{}", usage.stdout);
    let res = admin
        .req(Method::PUT, "/api/v1/namespaces/alice/quota")
        .json(&json!({ "max_bytes": 1073741824 }))
        .send()
        .await
        .unwrap();
    json_ok(res).await;
    let usage = cli.run(&home, &["usage", "alice"]).await.ok();
    assert!(usage.stdout.contains("of its 1.0 GiB quota"), "{}", usage.stdout);
    let json = cli.run(&home, &["usage", "alice", "--json"]).await.ok().json();
    assert_eq!(json["quota_bytes"], 1073741824);
    assert!(json["used_bytes"].as_i64().unwrap() > 0);
    app.stop().await;
}

both_backends!(retention_and_usage_from_the_cli);
