//! Pulls count as downloads: one per image pulled (a manifest `GET` by tag or digest, an
//! index and the platform manifest picked from it counting once), never for `HEAD`s, `304`s,
//! blobs or refused requests; through the same buffered counter as native downloads, so the
//! package stats, search by downloads, explore and global totals all show them.

use super::*;
use trove_core::time::date;
use trove_testkit::{both_backends, Backend};

async fn stats(app: &TestApp, path: &str) -> Value {
    json_ok(app.get(path).send().await.unwrap()).await
}

async fn get_ok(who: &Oci, path: &str) {
    let res = who.send(Method::GET, path).await;
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    assert!(!res.bytes().await.unwrap().is_empty(), "GET {path} has a body");
}

async fn head_ok(who: &Oci, path: &str) {
    let res = who.send(Method::HEAD, path).await;
    assert_eq!(res.status(), StatusCode::OK, "HEAD {path}");
}

/// Pushes two platform images (tagged `amd64`, `arm64`) and an index of both tagged
/// `latest`; returns (index digest, amd64 manifest digest).
async fn push_multi_arch(oci: &Oci, repo: &str) -> (String, String) {
    let amd = oci.push_image(repo, "amd64", &[b"amd64 layer"]).await;
    let arm = oci.push_image(repo, "arm64", &[b"arm64 layer"]).await;
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": sha256(&amd), "size": amd.len(),
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": OCI_MANIFEST, "digest": sha256(&arm), "size": arm.len(),
             "platform": {"architecture": "arm64", "os": "linux"}},
        ],
    }))
    .unwrap();
    let res = oci.put_manifest(repo, "latest", OCI_INDEX, &index).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    (sha256(&index), sha256(&amd))
}

async fn pulls_count_as_downloads(b: Backend) {
    // The background flusher stays idle: every count is in memory until flushed below.
    let app = TestApp::builder(b)
        .config(|c| c.stats.flush_interval_ms = 3_600_000)
        .start()
        .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let a = Oci::user(&app, &alice);
    let anon = Oci::anonymous(&app);

    // A single-platform image: 3 anonymous pulls by tag, 2 authenticated pulls by digest.
    let manifest = a.push_image("alice/app", "v1", &[b"app layer"]).await;
    let digest = sha256(&manifest);
    for _ in 0..3 {
        get_ok(&anon, "/v2/alice/app/manifests/v1").await;
    }
    for _ in 0..2 {
        get_ok(&a, &format!("/v2/alice/app/manifests/{digest}")).await;
    }
    // Not pulls: update checks (HEAD), revalidations answered 304, blobs, unknown tags.
    for _ in 0..4 {
        head_ok(&anon, "/v2/alice/app/manifests/v1").await;
        head_ok(&a, &format!("/v2/alice/app/manifests/{digest}")).await;
    }
    for reference in ["v1", digest.as_str()] {
        let res = anon
            .req(Method::GET, &format!("/v2/alice/app/manifests/{reference}"))
            .header("if-none-match", format!("\"{digest}\""))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(&res, "docker-content-digest"), digest);
        assert!(res.bytes().await.unwrap().is_empty());
    }
    // A stale validator gets the manifest, and that is a pull.
    let res = anon
        .req(Method::GET, "/v2/alice/app/manifests/v1")
        .header("if-none-match", format!("\"{}\"", sha256(b"older")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), manifest.as_slice());
    for _ in 0..3 {
        get_ok(&anon, &format!("/v2/alice/app/blobs/{}", sha256(b"app layer"))).await;
    }
    oci_error(
        anon.send(Method::GET, "/v2/alice/app/manifests/v9").await,
        StatusCode::NOT_FOUND,
        "MANIFEST_UNKNOWN",
    )
    .await;
    let app_pulls = 3 + 2 + 1;

    // A multi-platform image: the index and the platform manifest picked from it are one pull.
    let (index, amd) = push_multi_arch(&a, "alice/multi").await;
    for _ in 0..2 {
        // docker, skopeo, podman: the index by tag, then the platform manifest by digest.
        get_ok(&anon, "/v2/alice/multi/manifests/latest").await;
        get_ok(&anon, &format!("/v2/alice/multi/manifests/{amd}")).await;
    }
    // containerd: resolve the tag with HEAD, then the index and the platform manifest by digest.
    head_ok(&anon, "/v2/alice/multi/manifests/latest").await;
    get_ok(&anon, &format!("/v2/alice/multi/manifests/{index}")).await;
    get_ok(&anon, &format!("/v2/alice/multi/manifests/{amd}")).await;
    // A platform image pulled by its own tag is a pull of its own.
    get_ok(&anon, "/v2/alice/multi/manifests/amd64").await;
    let multi_pulls = 2 + 1 + 1;

    // A private repository: refused pulls do not count, its owner's do.
    a.push_image("alice/secret", "v1", &[b"secret layer"]).await;
    let res = alice
        .req(Method::PATCH, "/api/v1/packages/alice/secret")
        .json(&json!({"visibility": "private"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    for _ in 0..3 {
        oci_error(
            anon.send(Method::GET, "/v2/alice/secret/manifests/v1").await,
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
        )
        .await;
        oci_error(
            Oci::user(&app, &bob)
                .send(Method::GET, "/v2/alice/secret/manifests/v1")
                .await,
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
        )
        .await;
    }
    get_ok(&a, "/v2/alice/secret/manifests/v1").await;

    // A native package downloaded once, to rank against.
    alice.publish("alice/widget", "1.0.0").await;
    let res = app
        .get("/api/v1/packages/alice/widget/versions/1.0.0/download")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.bytes().await.unwrap();

    // Counted in memory only, until the flush.
    assert_eq!(app.services().downloads.pending(), app_pulls + multi_pulls + 1 + 1);
    assert_eq!(stats(&app, "/api/v1/packages/alice/app/stats").await["total"], 0);
    app.flush_downloads().await;
    assert_eq!(app.services().downloads.pending(), 0);

    let today = trove_core::time::day_of(trove_core::now_ms());
    for (repo, n) in [("alice/app", app_pulls), ("alice/multi", multi_pulls)] {
        let s = stats(&app, &format!("/api/v1/packages/{repo}/stats")).await;
        assert_eq!(s["total"], n, "{repo}: {s}");
        assert_eq!(s["last_7_days"], n);
        assert_eq!(s["last_30_days"], n);
        assert_eq!(s["last_365_days"], n);
        let daily = s["daily"].as_array().unwrap();
        assert_eq!(daily.len(), 90);
        assert_eq!(daily[89], json!({ "date": date(today), "downloads": n }));
        assert_eq!(daily.iter().map(|d| d["downloads"].as_i64().unwrap()).sum::<i64>(), n);
        assert_eq!(s["versions"], json!([]), "tags carry no counts of their own");
        let pkg = stats(&app, &format!("/api/v1/packages/{repo}")).await;
        assert_eq!(pkg["ecosystem"], "oci");
        assert_eq!(pkg["downloads"], n);
    }
    // The private repository's stats: 404 to outsiders, its pulls to its owner.
    expect_error(
        app.get("/api/v1/packages/alice/secret/stats").send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let s = json_ok(alice.get("/api/v1/packages/alice/secret/stats").send().await.unwrap()).await;
    assert_eq!(s["total"], 1);
    assert_eq!(s["daily"][89]["downloads"], 1);
    // Native stats are unchanged.
    let s = stats(&app, "/api/v1/packages/alice/widget/stats").await;
    assert_eq!(s["total"], 1);
    assert_eq!(s["versions"], json!([{ "version": "1.0.0", "total": 1 }]));

    // Search by downloads, explore and the registry totals (public packages only).
    let v = crate::search::search(&app, &[("sort", "downloads")]).await;
    assert_eq!(crate::search::names(&v), ["alice/app", "alice/multi", "alice/widget"]);
    assert_eq!(v["results"][0]["downloads"], app_pulls);
    assert_eq!(v["results"][1]["downloads"], multi_pulls);
    let e = stats(&app, "/api/v1/explore").await;
    let full_names = |k: &str| -> Vec<String> {
        e[k].as_array()
            .unwrap()
            .iter()
            .map(|p| p["full_name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        full_names("most_downloaded"),
        ["alice/app", "alice/multi", "alice/widget"]
    );
    assert_eq!(full_names("trending"), ["alice/app", "alice/multi", "alice/widget"]);
    assert_eq!(e["trending"][0]["downloads_last_7_days"], app_pulls);
    assert_eq!(e["trending"][0]["downloads_previous_7_days"], 0);
    assert_eq!(e["totals"]["downloads"], app_pulls + multi_pulls + 1);
    assert_eq!(
        stats(&app, "/api/v1/stats").await["downloads"],
        app_pulls + multi_pulls + 1
    );

    // The repository's page shows the download chart.
    let res = app.get("/packages/alice/app").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.contains("id=\"downloads-title\""), "download section on the page");
    app.stop().await;
}

/// Many clients pull at once while the counter flushes every 100 ms: every pull is counted
/// once, and none of the HEADs or platform-manifest GETs mixed in.
async fn a_concurrent_burst_of_pulls_is_counted_exactly(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let a = Oci::user(&app, &alice);
    let (index, amd) = push_multi_arch(&a, "alice/burst").await;
    let n = 150usize;
    let mut tasks = Vec::new();
    for i in 0..n {
        let who = if i % 2 == 0 { Oci::anonymous(&app) } else { a.clone() };
        let (index, amd) = (index.clone(), amd.clone());
        tasks.push(tokio::spawn(async move {
            head_ok(&who, "/v2/alice/burst/manifests/latest").await;
            match i % 3 {
                0 => get_ok(&who, "/v2/alice/burst/manifests/latest").await,
                1 => get_ok(&who, &format!("/v2/alice/burst/manifests/{index}")).await,
                _ => get_ok(&who, "/v2/alice/burst/manifests/arm64").await,
            }
            get_ok(&who, &format!("/v2/alice/burst/manifests/{amd}")).await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Whatever the background flusher has not written yet, write now.
    app.flush_downloads().await;
    assert_eq!(app.services().downloads.pending(), 0);
    let s = stats(&app, "/api/v1/packages/alice/burst/stats").await;
    assert_eq!(s["total"], n);
    assert_eq!(s["last_7_days"], n);
    assert_eq!(s["daily"][89]["downloads"], n);
    assert_eq!(stats(&app, "/api/v1/stats").await["downloads"], n);
    app.stop().await;
}

both_backends!(pulls_count_as_downloads, a_concurrent_burst_of_pulls_is_counted_exactly);
