//! Storage quotas: site admins set them, members read the usage, and an upload that would go
//! over the quota is refused by every protocol with a 403 naming the namespace and the quota:
//! the native API, OCI (raw pushes, mounts and the real skopeo), npm, Cargo (the real cargo)
//! and PyPI (the real twine).

use crate::common::*;
use crate::npm::{npm_error, Npm};
use crate::oci::clients::write_layout;
use crate::oci::{bytes_of, oci_error, Oci};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use trove_testkit::{both_backends, Backend};

async fn set_quota(admin: &TestUser, scope: &str, max: Option<i64>) -> Value {
    json_ok(
        admin
            .req(Method::PUT, &format!("/api/v1/namespaces/{scope}/quota"))
            .json(&json!({ "max_bytes": max }))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn usage(user: &TestUser, scope: &str) -> Value {
    json_ok(
        user.get(&format!("/api/v1/namespaces/{scope}/usage"))
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn names_quota(message: &str, scope: &str) {
    assert!(
        message.contains(&format!("namespace {scope} is over its storage quota (")),
        "{message}"
    );
}

async fn quota_on_native_publish_and_usage(b: Backend) {
    let app = TestApp::new(b).await;
    let root = app.admin("sysop").await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let first = alice.publish("alice/a", "1.0.0").await;
    let size = first["size"].as_i64().unwrap();
    // Usage: the archive's bytes; no quota yet.
    let u = usage(&alice, "alice").await;
    assert_eq!(
        (&u["namespace"], &u["used_bytes"], &u["quota_bytes"]),
        (&json!("alice"), &json!(size), &Value::Null)
    );
    // Only site admins set quotas; outsiders do not see the usage.
    let res = alice
        .req(Method::PUT, "/api/v1/namespaces/alice/quota")
        .json(&json!({ "max_bytes": 1 }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    expect_error(
        bob.get("/api/v1/namespaces/alice/usage").send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let res = root
        .req(Method::PUT, "/api/v1/namespaces/alice/quota")
        .json(&json!({ "max_bytes": -1 }))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_quota").await;

    let u = set_quota(&root, "alice", Some(size + 100)).await;
    assert_eq!(
        (&u["used_bytes"], &u["quota_bytes"]),
        (&json!(size), &json!(size + 100))
    );
    assert_eq!(usage(&root, "alice").await["quota_bytes"], size + 100);
    // The dashboard shows a user their namespace's usage and quota.
    let page = alice
        .with_cookie(Method::GET, "/dashboard")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"storage-usage\""), "{page}");
    assert!(
        page.contains(&format!(
            "of {} quota",
            trove_service::quotas::human_bytes((size + 100) as u64)
        )),
        "{page}"
    );
    let blobs = app.blob_count().await;
    let res = alice
        .publish_bytes(
            "alice/a",
            "1.1.0",
            trove_tarball::simple_package("alice/a", "1.1.0", "# Hello\n"),
        )
        .await;
    let msg = expect_error(res, StatusCode::FORBIDDEN, "quota_exceeded").await;
    names_quota(&msg, "alice");
    assert_eq!(app.blob_count().await, blobs, "nothing stored");
    assert_eq!(usage(&alice, "alice").await["used_bytes"], size);
    // Other namespaces are not limited by it.
    bob.publish("bob/b", "1.0.0").await;
    // Deleting frees room.
    let res = alice
        .req(Method::DELETE, "/api/v1/packages/alice/a/versions/1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(usage(&alice, "alice").await["used_bytes"], 0);
    alice.publish("alice/a", "1.1.0").await;
    // Removing the quota lifts the limit.
    assert_eq!(set_quota(&root, "alice", None).await["quota_bytes"], Value::Null);
    alice.publish("alice/a", "1.2.0").await;
    alice.publish("alice/a", "1.3.0").await;
    // The web UI shows an organization's usage and quota to its members.
    alice.create_org(json!({ "name": "acme" })).await;
    alice.publish("acme/tool", "1.0.0").await;
    set_quota(&root, "acme", Some(1 << 30)).await;
    let page = alice
        .with_cookie(Method::GET, "/dashboard/orgs/acme")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"storage-usage\""), "{page}");
    assert!(page.contains(" of 1.0 GiB quota"), "{page}");
    app.stop().await;
}

async fn quota_on_oci_push(b: Backend) {
    let app = TestApp::new(b).await;
    let root = app.admin("sysop").await;
    let alice = app.user("alice").await;
    set_quota(&root, "alice", Some(20_000)).await;
    let oci = Oci::user(&app, &alice);
    let layer = bytes_of(8_000, 1);
    let manifest = oci.push_image("alice/img", "v1", &[&layer]).await;
    let used = usage(&alice, "alice").await["used_bytes"].as_i64().unwrap();
    assert!(used > 8_000 + manifest.len() as i64, "{used}");
    // A monolithic blob push over the quota.
    let big = bytes_of(16_000, 2);
    let digest = crate::oci::sha256(&big);
    let res = oci
        .req(Method::POST, &format!("/v2/alice/img/blobs/uploads/?digest={digest}"))
        .header("content-type", "application/octet-stream")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    let body = oci_error(res, StatusCode::FORBIDDEN, "DENIED").await;
    names_quota(body["errors"][0]["message"].as_str().unwrap(), "alice");
    assert_eq!(body["errors"][0]["detail"]["reason"], "quota_exceeded");
    // A chunked upload: the chunk that would go over is refused.
    let res = oci.send(Method::POST, "/v2/alice/img/blobs/uploads/").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let res = oci
        .req(Method::PATCH, &location)
        .header("content-type", "application/octet-stream")
        .body(big)
        .send()
        .await
        .unwrap();
    oci_error(res, StatusCode::FORBIDDEN, "DENIED").await;
    // Mounting another repository's blob counts too; re-mounting one already here does not.
    let bob = app.user("bob").await;
    let bobs = Oci::user(&app, &bob).push_blob("bob/base", &bytes_of(16_000, 3)).await;
    let res = oci
        .send(
            Method::POST,
            &format!("/v2/alice/img/blobs/uploads/?mount={bobs}&from=bob/base"),
        )
        .await;
    oci_error(res, StatusCode::FORBIDDEN, "DENIED").await;
    let own = crate::oci::sha256(&layer);
    let res = oci
        .send(
            Method::POST,
            &format!("/v2/alice/img/blobs/uploads/?mount={own}&from=alice/img"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(usage(&alice, "alice").await["used_bytes"], used);

    // At the limit, bytes the namespace already holds still go to another of its repositories.
    set_quota(&root, "alice", Some(used)).await;
    oci.push_blob("alice/other", &layer).await;
    assert_eq!(usage(&alice, "alice").await["used_bytes"], used);
    // The real skopeo is refused with the quota's message.
    let host = app.base.trim_start_matches("http://").to_string();
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    write_layout(&layout);
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("skopeo")
            .args([
                "copy",
                "--dest-tls-verify=false",
                "--dest-creds",
                "alice:correct horse",
                &format!("oci:{}:v1", layout.display()),
                &format!("docker://{host}/alice/skopeo:v1"),
            ])
            .output()
            .expect("skopeo: install the OCI clients with scripts/install-oci-clients.sh")
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "skopeo pushed over the quota");
    assert!(text.contains("over its storage quota"), "{text}");
    app.stop().await;
}

async fn quota_on_npm_publish(b: Backend) {
    let app = TestApp::new(b).await;
    let root = app.admin("sysop").await;
    let alice = app.user("alice").await;
    set_quota(&root, "alice", Some(10)).await;
    let npm = Npm::user(&app, &alice);
    let tgz = crate::npm::tarball("@alice/left-pad", "1.0.0", json!({}));
    let body = crate::npm::publish_body("@alice/left-pad", "1.0.0", &tgz, "latest", json!({}));
    let res = npm.publish_raw("@alice/left-pad", &body).await;
    let msg = npm_error(res, StatusCode::FORBIDDEN, "quota_exceeded").await;
    names_quota(&msg, "alice");
    let res = npm.get(&crate::npm::escape("@alice/left-pad")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    set_quota(&root, "alice", Some(1 << 20)).await;
    npm.publish("@alice/left-pad", "1.0.0", json!({})).await;
    app.stop().await;
}

async fn quota_on_pypi_upload(b: Backend) {
    use crate::pypi::{build_project, twine_upload};
    let app = TestApp::new(b).await;
    let root = app.admin("sysop").await;
    let alice = app.user("alice").await;
    let work = tempfile::tempdir().unwrap();
    let files = build_project(work.path(), "quota-demo", "1.0.0", &[]).await;
    set_quota(&root, "alice", Some(100)).await;
    let up = twine_upload(&app, work.path(), "alice", &alice.token, &files, &[]).await;
    assert!(!up.ok, "twine uploaded over the quota:\n{}", up.output);
    assert!(up.output.contains("403"), "{}", up.output);
    assert!(
        up.output.contains("namespace alice is over its storage quota"),
        "{}",
        up.output
    );
    set_quota(&root, "alice", None).await;
    let up = twine_upload(&app, work.path(), "alice", &alice.token, &files, &[]).await;
    assert!(up.ok, "{}", up.output);
    let u = usage(&alice, "alice").await;
    let on_disk: u64 = files.iter().map(|f| std::fs::metadata(f).unwrap().len()).sum();
    // Both files and the wheel's stored core metadata.
    assert!(u["used_bytes"].as_i64().unwrap() as u64 > on_disk, "{u}");
    app.stop().await;
}

async fn quota_on_cargo_publish(b: Backend) {
    use crate::cargo::{project, CargoHome};
    let app = TestApp::new(b).await;
    let root = app.admin("sysop").await;
    let alice = app.user("alice").await;
    set_quota(&root, "alice", Some(10)).await;
    let work = tempfile::tempdir().unwrap();
    let home = CargoHome::new(&app.base, &[("trove", "alice")], None);
    let krate = project(
        work.path(),
        "quota-crate",
        "[package]\nname = \"quota-crate\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"too big\"\n",
        "lib.rs",
        "pub fn f() {}\n",
    );
    let env = [("CARGO_REGISTRIES_TROVE_TOKEN", alice.token.as_str())];
    let publish = ["publish", "--registry", "trove", "--no-verify", "--allow-dirty"];
    let (ok, _, err) = home.run(&krate, &publish, &env).await;
    assert!(!ok, "cargo published over the quota");
    assert!(err.contains("403"), "{err}");
    assert!(err.contains("namespace alice is over its storage quota"), "{err}");
    set_quota(&root, "alice", None).await;
    home.ok(&krate, &publish, &env).await;
    app.stop().await;
}

/// A blob counts once in a namespace however many of its repositories hold it, and fully
/// in every namespace that holds it.
async fn usage_counts_shared_blobs_once_per_namespace(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let layer = bytes_of(100_000, 7);
    let a = Oci::user(&app, &alice);
    a.push_image("alice/one", "v1", &[&layer]).await;
    let first = usage(&alice, "alice").await["used_bytes"].as_i64().unwrap();
    assert!(first > 100_000, "{first}");
    a.push_image("alice/two", "v2", &[&layer]).await;
    let second = usage(&alice, "alice").await["used_bytes"].as_i64().unwrap();
    // Only the second image's (small) config and manifest were added.
    assert!(second > first && second - first < 2_000, "{first} → {second}");
    Oci::user(&app, &bob).push_image("bob/copy", "v1", &[&layer]).await;
    assert!(usage(&bob, "bob").await["used_bytes"].as_i64().unwrap() > 100_000);
    assert_eq!(usage(&alice, "alice").await["used_bytes"], second);
    app.stop().await;
}

/// Publishes racing at the limit: the quota is checked again under its lock in the
/// committing transaction, so of eight concurrent publishes that each fit alone but no two
/// together, exactly one gets in; the others get the quota's 403, and nothing of theirs is
/// left (no version, no stored file).
async fn concurrent_publishes_never_exceed_the_quota(b: Backend) {
    let app = TestApp::new(b).await;
    let root = app.admin("sysop").await;
    let alice = app.user("alice").await;
    // Incompressible READMEs, so each archive is a few KiB and all are about the same size.
    let archives: Vec<(String, Vec<u8>)> = (0..8u64)
        .map(|i| {
            // splitmix64, one letter per output.
            let mut state = 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i + 1);
            let noise: String = (0..6_000)
                .map(|_| {
                    state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                    let mut z = state;
                    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                    z ^= z >> 31;
                    char::from(b'a' + (z % 26) as u8)
                })
                .collect();
            let name = format!("alice/race{i}");
            let archive = trove_tarball::simple_package(&name, "1.0.0", &noise);
            (name, archive)
        })
        .collect();
    let min = archives.iter().map(|(_, a)| a.len()).min().unwrap() as i64;
    let max = archives.iter().map(|(_, a)| a.len()).max().unwrap() as i64;
    let quota = 2 * min - 1;
    assert!(max <= quota && min > 4_000, "archives of {min}..{max} bytes");
    set_quota(&root, "alice", Some(quota)).await;
    let blobs = app.blob_count().await;
    let results = futures::future::join_all(
        archives
            .iter()
            .map(|(name, archive)| alice.publish_bytes(name, "1.0.0", archive.clone())),
    )
    .await;
    let mut won = Vec::new();
    for (res, (name, _)) in results.into_iter().zip(&archives) {
        if res.status() == StatusCode::CREATED || res.status() == StatusCode::OK {
            won.push(name.clone());
        } else {
            let msg = expect_error(res, StatusCode::FORBIDDEN, "quota_exceeded").await;
            names_quota(&msg, "alice");
        }
    }
    assert_eq!(won.len(), 1, "exactly one publish fits: {won:?}");
    let used = usage(&alice, "alice").await["used_bytes"].as_i64().unwrap();
    assert!(used <= quota, "usage {used} over the quota {quota}");
    let winner = archives.iter().find(|(n, _)| *n == won[0]).unwrap();
    assert_eq!(used, winner.1.len() as i64);
    assert_eq!(app.blob_count().await, blobs + 1, "only the winner's archive is stored");
    for (name, _) in &archives {
        let res = alice.get(&format!("/api/v1/packages/{name}")).send().await.unwrap();
        let expected = if *name == won[0] {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(res.status(), expected, "{name}");
    }
    app.stop().await;
}

both_backends!(
    concurrent_publishes_never_exceed_the_quota,
    usage_counts_shared_blobs_once_per_namespace,
    quota_on_cargo_publish,
    quota_on_native_publish_and_usage,
    quota_on_oci_push,
    quota_on_npm_publish,
    quota_on_pypi_upload,
);
