//! The simple repository API checked field by field: PEP 691 JSON and PEP 503 HTML by
//! content negotiation, `Vary`, ETag and 304, redirects to the normalized name, PEP 658
//! metadata files, PEP 700 fields, PEP 592 yanks, and the Warehouse JSON API.

use super::privacy::ctx_of;
use super::*;
use trove_testkit::Backend;

async fn simple_api(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dists = build_project(w, "Field.Test", "1.0", &["beta-lib>=0.1"]).await;
    let up = twine_upload(&app, w, "alice", &alice.token, &dists, &[]).await;
    assert!(up.ok, "{}", up.output);
    let (sdist, wheel) = (read(&dists[0]), read(&dists[1]));
    let wheel_name = dists[1].file_name().unwrap().to_string_lossy().to_string();
    let sdist_name = dists[0].file_name().unwrap().to_string_lossy().to_string();

    // The project list, in both formats.
    let res = app
        .get("/pypi/alice/simple/")
        .header("accept", JSON_V1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], JSON_V1);
    let list: Value = res.json().await.unwrap();
    assert_eq!(
        list,
        json!({ "meta": { "api-version": "1.1" }, "projects": [{ "name": "field-test" }] })
    );
    let html = app
        .get("/pypi/alice/simple/")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<a href=\"field-test/\">field-test</a>"), "{html}");
    assert_eq!(
        app.get("/pypi/nobody/simple/").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // The project page in JSON, field by field.
    let res = app
        .get("/pypi/alice/simple/field-test/")
        .header("accept", JSON_V1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], JSON_V1);
    assert!(res.headers()["vary"].to_str().unwrap().contains("Accept"));
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["meta"]["api-version"], "1.1");
    assert_eq!(page["name"], "field-test");
    assert_eq!(page["versions"], json!(["1.0"]));
    let files = page["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "sdist and wheel, no metadata companions: {page}");
    for (name, bytes) in [(&sdist_name, &sdist), (&wheel_name, &wheel)] {
        let f = files.iter().find(|f| f["filename"] == name.as_str()).expect("listed");
        assert_eq!(f["url"], format!("../../files/field-test/{name}"));
        assert_eq!(f["hashes"], json!({ "sha256": sha256_hex(bytes) }));
        assert_eq!(f["requires-python"], ">=3.8");
        assert_eq!(f["size"], bytes.len());
        assert_eq!(f["yanked"], false);
        let t = f["upload-time"].as_str().unwrap();
        assert!(t.len() == 27 && t.ends_with('Z') && t.as_bytes()[19] == b'.', "{t}");
        assert_eq!(f["core-metadata"], f["dist-info-metadata"]);
        // PEP 658: the metadata file is served beside the file, with the advertised hash.
        let meta_hash = f["core-metadata"]["sha256"].as_str().expect("metadata served");
        let url = format!("/pypi/alice/files/field-test/{name}.metadata");
        let meta = app.get(&url).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(sha256_hex(&meta), meta_hash);
        let text = String::from_utf8(meta.to_vec()).unwrap();
        assert!(
            text.contains("Name: Field.Test") && text.contains("Requires-Dist: beta-lib>=0.1"),
            "{text}"
        );
        // The file itself, counted, with ranges and validators.
        let res = app
            .get(&format!("/pypi/alice/files/field-test/{name}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["etag"], format!("\"sha256:{}\"", sha256_hex(bytes)));
        assert_eq!(&res.bytes().await.unwrap()[..], &bytes[..]);
    }

    // ETag and 304; the HTML form; 406 for what it cannot give; redirects.
    let res = app
        .get("/pypi/alice/simple/field-test/")
        .header("accept", JSON_V1)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let res = app.get("/pypi/alice/simple/field-test/").send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert_ne!(res.headers()["etag"].to_str().unwrap(), etag);
    let html = res.text().await.unwrap();
    let link = format!(
        "<a href=\"../../files/field-test/{wheel_name}#sha256={}\" data-requires-python=\"&gt;=3.8\" data-core-metadata=\"sha256=",
        sha256_hex(&wheel)
    );
    assert!(html.contains(&link), "{html}");
    let res = app
        .get("/pypi/alice/simple/field-test/")
        .header("accept", "application/vnd.pypi.simple.v1+html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/vnd.pypi.simple.v1+html");
    let res = app
        .get("/pypi/alice/simple/field-test/")
        .header("accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_ACCEPTABLE);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (from, to) in [
        ("/pypi/alice/simple/Field_Test/", "../field-test/"),
        ("/pypi/alice/simple/Field.Test", "field-test/"),
        ("/pypi/alice/simple", "simple/"),
    ] {
        let res = no_redirects.get(app.url(from)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY, "{from}");
        assert_eq!(res.headers()["location"], to, "{from}");
    }

    // Search finds it under the `pypi` facet, with the summary of its metadata.
    let params = [("q", "field test"), ("ecosystem", "pypi")];
    let found = json_ok(app.get("/api/v1/search").query(&params).send().await.unwrap()).await;
    assert_eq!(found["results"][0]["full_name"], "alice/field-test", "{found}");
    assert_eq!(found["results"][0]["ecosystem"], "pypi");
    assert_eq!(found["results"][0]["description"], "Field.Test for Trove tests");
    assert_eq!(found["facets"]["ecosystem"], json!({ "pypi": 1 }));

    // PEP 592: a yanked version says so in both formats.
    let simple_json = || async {
        let res = app
            .get("/pypi/alice/simple/field-test/")
            .header("accept", JSON_V1)
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()
    };
    let simple_html = || async {
        app.get("/pypi/alice/simple/field-test/")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let warehouse_json = || async {
        app.get("/pypi/alice/field-test/json")
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let pypi = app.services().packages().of(trove_core::Ecosystem::Pypi);
    let ctx = ctx_of(&app, &alice.token).await;
    pypi.set_yanked(&ctx, "alice", "field-test", "1.0", true, None)
        .await
        .unwrap();
    let page = simple_json().await;
    assert_eq!(page["files"][0]["yanked"], true);
    let html = simple_html().await;
    assert!(html.contains("data-yanked=\"\""), "{html}");

    // A reason is the yank's value in both formats and the Warehouse JSON's `yanked_reason`.
    pypi.set_yanked(&ctx, "alice", "field-test", "1.0", true, Some("broken <wheel>"))
        .await
        .unwrap();
    let page = simple_json().await;
    assert_eq!(page["files"][0]["yanked"], "broken <wheel>");
    let html = simple_html().await;
    assert!(html.contains("data-yanked=\"broken &lt;wheel&gt;\""), "{html}");
    let doc = warehouse_json().await;
    assert_eq!(doc["info"]["yanked_reason"], "broken <wheel>", "{doc}");
    assert_eq!(doc["releases"]["1.0"][0]["yanked_reason"], "broken <wheel>", "{doc}");
    // Unyanking clears it.
    pypi.set_yanked(&ctx, "alice", "field-test", "1.0", false, None)
        .await
        .unwrap();
    let doc = warehouse_json().await;
    assert_eq!(doc["releases"]["1.0"][0]["yanked"], false, "{doc}");
    assert_eq!(doc["releases"]["1.0"][0]["yanked_reason"], Value::Null, "{doc}");

    // The Warehouse JSON API.
    let doc = warehouse_json().await;
    assert_eq!(doc["info"]["name"], "Field.Test");
    assert_eq!(doc["info"]["requires_dist"], json!(["beta-lib>=0.1"]));
    assert_eq!(doc["info"]["project_urls"]["Source"], "https://example.com/field_test");
    let rel = doc["releases"]["1.0"].as_array().unwrap();
    assert_eq!(rel.len(), 2);
    let w = rel
        .iter()
        .find(|f| f["packagetype"] == "bdist_wheel")
        .expect("the wheel");
    assert_eq!(w["digests"]["sha256"], sha256_hex(&wheel));
    assert_eq!(w["filename"], wheel_name.as_str());
    assert!(w["url"].as_str().unwrap().starts_with(&app.base));
    let url = w["url"].as_str().unwrap().to_string();
    assert_eq!(
        &app.client.get(url).send().await.unwrap().bytes().await.unwrap()[..],
        &wheel[..]
    );
    app.stop().await;
}

trove_testkit::both_backends!(simple_api);
