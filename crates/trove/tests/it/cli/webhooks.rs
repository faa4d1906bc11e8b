//! `trove webhook …` against a real server and a real receiver on 127.0.0.1: create (the
//! secret printed once), list, test ping (signed), deliveries, delete, in human and JSON
//! output, and clear failures.

use super::CliEnv;
use crate::common::*;
use crate::webhooks::{sign, Receiver};
use trove_testkit::{both_backends, Backend};

async fn webhooks_from_the_cli(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| c.webhooks.allow_private_targets = true)
        .start()
        .await;
    let alice = app.user("alice").await;
    let _bob = app.user("bob").await;
    let (url, rec) = Receiver::start(0).await;
    let cli = CliEnv::new(&app);
    let home = cli.home.path().to_path_buf();

    // Not logged in: a clear error.
    let out = cli.run(&home, &["webhook", "list", "alice"]).await.fails();
    assert!(out.stderr.contains("not logged in"), "{}", out.stderr);
    cli.login(&alice.token).await;

    let listed = cli.run(&home, &["webhook", "list", "alice"]).await.ok();
    assert!(listed.stdout.contains("(no webhooks in `alice`)"), "{}", listed.stdout);

    // Create: the secret is printed once.
    let created = cli
        .run(
            &home,
            &[
                "webhook", "create", "alice", &url, "--event", "publish", "--event", "yank",
            ],
        )
        .await
        .ok();
    assert!(created.stdout.contains("shown only now"), "{}", created.stdout);
    let secret = created
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Signing secret: "))
        .expect("secret line")
        .trim()
        .to_string();
    assert!(secret.len() >= 32, "{secret}");
    let json = cli
        .run(&home, &["webhook", "list", "alice", "--json"])
        .await
        .ok()
        .json();
    let hooks = json.as_array().unwrap();
    assert_eq!(hooks.len(), 1, "{json}");
    assert_eq!(hooks[0]["url"], url.as_str());
    assert_eq!(hooks[0]["events"], serde_json::json!(["publish", "yank"]));
    assert!(hooks[0].get("secret").is_none(), "never listed");
    let id = hooks[0]["id"].as_i64().unwrap().to_string();
    let listed = cli.run(&home, &["webhook", "list", "alice"]).await.ok();
    assert!(
        listed.stdout.contains(&url) && listed.stdout.contains("[publish,yank]"),
        "{}",
        listed.stdout
    );
    assert!(!listed.stdout.contains(&secret));

    // --json create prints the secret in the document.
    let second = cli
        .run(
            &home,
            &["webhook", "create", "alice", &url, "--event", "delete", "--json"],
        )
        .await
        .ok()
        .json();
    assert_eq!(second["namespace"], "alice");
    assert!(second["secret"].as_str().is_some_and(|s| s.len() >= 32), "{second}");
    let second_id = second["id"].as_i64().unwrap().to_string();

    // Test: queued, then waited for; the receiver checks the signature.
    let queued = cli
        .run(&home, &["webhook", "test", "alice", &id, "--json"])
        .await
        .ok()
        .json();
    assert!(queued["delivery_id"].as_i64().is_some(), "{queued}");
    let hits = rec.wait_for(1).await;
    assert_eq!(hits[0].event, "ping");
    assert_eq!(hits[0].signature, sign(&secret, &hits[0].body));
    let waited = cli
        .run(&home, &["webhook", "test", "alice", &id, "--wait", "20"])
        .await
        .ok();
    assert!(
        waited.stdout.contains("delivered") && waited.stdout.contains("HTTP 200"),
        "{}",
        waited.stdout
    );
    let hits = rec.wait_for(2).await;
    assert_eq!(hits[1].signature, sign(&secret, &hits[1].body));

    // Deliveries, human and JSON.
    let log = cli.run(&home, &["webhook", "deliveries", "alice", &id]).await.ok();
    assert!(
        log.stdout.contains("ping") && log.stdout.contains("delivered") && log.stdout.contains("attempts: 1"),
        "{}",
        log.stdout
    );
    let log = cli
        .run(&home, &["webhook", "deliveries", "alice", &id, "--json"])
        .await
        .ok()
        .json();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|d| d["event"] == "ping"), "{log:?}");
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"][0]["status_code"], 200);
    let empty = cli
        .run(&home, &["webhook", "deliveries", "alice", &second_id])
        .await
        .ok();
    assert!(empty.stdout.contains("no deliveries yet"), "{}", empty.stdout);

    // Clear errors, exit code 1, nothing created.
    let out = cli
        .run(
            &home,
            &["webhook", "create", "alice", "not a url", "--event", "publish"],
        )
        .await
        .fails();
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("is not a valid URL"), "{}", out.stderr);
    let out = cli
        .run(
            &home,
            &["webhook", "create", "alice", &url, "--event", "bogus", "--json"],
        )
        .await
        .fails();
    assert!(out.stderr.contains("unknown event `bogus`"), "{}", out.stderr);
    assert_eq!(out.json()["error"]["code"], "invalid_events");
    let out = cli.run(&home, &["webhook", "create", "alice", &url]).await;
    assert!(!out.success && out.stderr.contains("--event"), "{}", out.stderr);
    let out = cli.run(&home, &["webhook", "list", "bob"]).await.fails();
    assert!(out.stderr.contains("not found"), "{}", out.stderr);
    let out = cli.run(&home, &["webhook", "test", "alice", "999999"]).await.fails();
    assert!(out.stderr.contains("webhook 999999 not found"), "{}", out.stderr);
    let count = cli
        .run(&home, &["webhook", "list", "alice", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(count.as_array().unwrap().len(), 2);

    // Delete.
    let deleted = cli.run(&home, &["webhook", "delete", "alice", &id]).await.ok();
    assert!(
        deleted.stdout.contains(&format!("Deleted webhook {id}")),
        "{}",
        deleted.stdout
    );
    let deleted = cli
        .run(&home, &["webhook", "delete", "alice", &second_id, "--json"])
        .await
        .ok()
        .json();
    assert_eq!(deleted["deleted"].to_string(), second_id);
    let listed = cli.run(&home, &["webhook", "list", "alice"]).await.ok();
    assert!(listed.stdout.contains("(no webhooks"), "{}", listed.stdout);
    let out = cli.run(&home, &["webhook", "delete", "alice", &id]).await.fails();
    assert!(out.stderr.contains("not found"), "{}", out.stderr);
    app.stop().await;
}

both_backends!(webhooks_from_the_cli);
