//! Content discovery: tags (with `n`/`last` pagination and `Link`), referrers (with the
//! `artifactType` filter), and the catalog.

use super::*;
use trove_testkit::{both_backends, Backend};

fn next_link(res: &Response) -> Option<String> {
    let link = header(res, "link");
    (!link.is_empty()).then(|| {
        assert!(link.ends_with("; rel=\"next\""), "{link}");
        link.trim_start_matches('<').split('>').next().unwrap().to_string()
    })
}

async fn tags_list_paginates(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let m = oci.push_image("alice/app", "v2", &[b"l"]).await;
    for tag in ["b", "a", "V1", "v10", "_x"] {
        let res = oci.put_manifest("alice/app", tag, OCI_MANIFEST, &m).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let all = ["V1", "_x", "a", "b", "v10", "v2"];
    let res = Oci::anonymous(&app).send(Method::GET, "/v2/alice/app/tags/list").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(next_link(&res).is_none());
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["name"], "alice/app");
    assert_eq!(v["tags"], json!(all));

    // Page through two at a time following Link.
    let mut seen = Vec::new();
    let mut path = "/v2/alice/app/tags/list?n=2".to_string();
    loop {
        let res = oci.send(Method::GET, &path).await;
        let next = next_link(&res);
        let v: Value = res.json().await.unwrap();
        let page: Vec<String> = serde_json::from_value(v["tags"].clone()).unwrap();
        assert!(page.len() <= 2);
        seen.extend(page);
        match next {
            Some(n) => path = n,
            None => break,
        }
    }
    assert_eq!(seen, all);
    let v: Value = oci
        .send(Method::GET, "/v2/alice/app/tags/list?n=3&last=a")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["tags"], json!(["b", "v10", "v2"]));
    let v: Value = oci
        .send(Method::GET, "/v2/alice/app/tags/list?n=0")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["tags"], json!([]));
    let v: Value = oci
        .send(Method::GET, "/v2/alice/app/tags/list?last=v2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["tags"], json!([]));
    let res = oci.send(Method::GET, "/v2/alice/app/tags/list?n=lots").await;
    oci_error(res, StatusCode::BAD_REQUEST, "UNSUPPORTED").await;
    app.stop().await;
}

async fn referrers_list_and_filter(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let oci = Oci::user(&app, &alice);
    let subject = oci.push_image("alice/app", "v1", &[b"the image"]).await;
    let sd = sha256(&subject);
    let empty = oci.push_blob("alice/app", b"{}").await;
    let sig = oci.push_blob("alice/app", b"a signature").await;
    let referrer = |artifact_type: Option<&str>, config_type: &str, note: &str| {
        let mut m = json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": config_type, "digest": empty, "size": 2},
            "layers": [{"mediaType": "application/octet-stream", "digest": sig, "size": 11}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": sd, "size": subject.len()},
            "annotations": {"note": note},
        });
        if let Some(t) = artifact_type {
            m["artifactType"] = json!(t);
        }
        serde_json::to_vec(&m).unwrap()
    };
    let a = referrer(
        Some("application/vnd.example.sig"),
        "application/vnd.oci.empty.v1+json",
        "a",
    );
    // No artifactType: the config's media type stands in.
    let b2 = referrer(None, "application/vnd.example.sbom", "b");
    let c = referrer(
        Some("application/vnd.example.sig"),
        "application/vnd.oci.empty.v1+json",
        "c",
    );
    for m in [&a, &b2, &c] {
        let res = oci.put_manifest("alice/app", &sha256(m), OCI_MANIFEST, m).await;
        assert_eq!(header(&res, "oci-subject"), sd);
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "artifactType": "application/vnd.example.bundle",
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": sha256(&a), "size": a.len()}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": sd, "size": subject.len()},
        "annotations": {"note": "idx"},
    }))
    .unwrap();
    let res = oci.put_manifest("alice/app", "bundle", OCI_INDEX, &index).await;
    assert_eq!(header(&res, "oci-subject"), sd);

    let res = Oci::anonymous(&app)
        .send(Method::GET, &format!("/v2/alice/app/referrers/{sd}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-type"), OCI_INDEX);
    assert!(header(&res, "oci-filters-applied").is_empty());
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["schemaVersion"], 2);
    assert_eq!(v["mediaType"], OCI_INDEX);
    let list = v["manifests"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    let by_note = |n: &str| list.iter().find(|d| d["annotations"]["note"] == n).unwrap().clone();
    assert_eq!(by_note("a")["artifactType"], "application/vnd.example.sig");
    assert_eq!(by_note("a")["digest"], sha256(&a));
    assert_eq!(by_note("a")["size"], a.len());
    assert_eq!(by_note("a")["mediaType"], OCI_MANIFEST);
    assert_eq!(by_note("b")["artifactType"], "application/vnd.example.sbom");
    assert_eq!(by_note("idx")["mediaType"], OCI_INDEX);
    assert_eq!(by_note("idx")["artifactType"], "application/vnd.example.bundle");

    let res = oci
        .send(
            Method::GET,
            &format!("/v2/alice/app/referrers/{sd}?artifactType=application/vnd.example.sig"),
        )
        .await;
    assert_eq!(header(&res, "oci-filters-applied"), "artifactType");
    let v: Value = res.json().await.unwrap();
    let mut notes: Vec<&str> = v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["annotations"]["note"].as_str().unwrap())
        .collect();
    notes.sort_unstable();
    assert_eq!(notes, ["a", "c"]);

    // Unknown subjects have no referrers; bad digests are refused.
    let v: Value = oci
        .send(Method::GET, &format!("/v2/alice/app/referrers/{}", sha256(b"nothing")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["manifests"], json!([]));
    let res = oci.send(Method::GET, "/v2/alice/app/referrers/sha256:nope").await;
    oci_error(res, StatusCode::BAD_REQUEST, "DIGEST_INVALID").await;
    // A repository that does not exist has no referrers (anonymous callers must log in).
    let res = oci.send(Method::GET, &format!("/v2/alice/none/referrers/{sd}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["manifests"], json!([]));
    let res = Oci::anonymous(&app)
        .send(Method::GET, &format!("/v2/alice/none/referrers/{sd}"))
        .await;
    oci_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    // Deleting a referrer removes it from the list.
    let res = oci
        .send(Method::DELETE, &format!("/v2/alice/app/manifests/{}", sha256(&c)))
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let v: Value = oci
        .send(Method::GET, &format!("/v2/alice/app/referrers/{sd}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["manifests"].as_array().unwrap().len(), 3);
    app.stop().await;
}

async fn catalog_lists_readable_repositories(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let a = Oci::user(&app, &alice);
    for repo in ["alice/one", "alice/two", "alice/nested/three", "alice/hidden"] {
        a.push_blob(repo, repo.as_bytes()).await;
    }
    Oci::user(&app, &bob).push_blob("bob/thing", b"bob").await;
    let res = alice
        .req(Method::PATCH, "/api/v1/packages/alice/hidden")
        .json(&json!({"visibility": "private"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let list = |oci: Oci, q: &'static str| async move {
        let res = oci.send(Method::GET, &format!("/v2/_catalog{q}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let link = next_link(&res);
        let v: Value = res.json().await.unwrap();
        (v["repositories"].clone(), link)
    };
    let (repos, _) = list(Oci::anonymous(&app), "").await;
    assert_eq!(
        repos,
        json!(["alice/nested/three", "alice/one", "alice/two", "bob/thing"])
    );
    let (repos, _) = list(a.clone(), "").await;
    assert_eq!(
        repos,
        json!([
            "alice/hidden",
            "alice/nested/three",
            "alice/one",
            "alice/two",
            "bob/thing"
        ])
    );
    let (repos, link) = list(a.clone(), "?n=2").await;
    assert_eq!(repos, json!(["alice/hidden", "alice/nested/three"]));
    assert_eq!(link.as_deref(), Some("/v2/_catalog?n=2&last=alice%2Fnested%2Fthree"));
    let res = a.send(Method::GET, &link.unwrap()).await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["repositories"], json!(["alice/one", "alice/two"]));
    app.stop().await;
}

both_backends!(
    tags_list_paginates,
    referrers_list_and_filter,
    catalog_lists_readable_repositories
);
