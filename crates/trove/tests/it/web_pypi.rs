//! The package page of a PyPI project: the files of the shown release with their wheel tags
//! in words and as written, sizes, digests and download links that serve the files; and the
//! `pip install --index-url` and `uv add --index` snippets, taken from the page and run with
//! the real pip and uv; the search page's `pypi` facet; a release yanked with a reason
//! through the native API and unyanked from the Manage page.

use crate::pypi::*;
use trove_testkit::Backend;

/// A wheel no client here can install (another platform), with the METADATA of `tag-demo 1.0`.
fn foreign_wheel() -> Vec<u8> {
    zip_of(&[
        (
            "tag_demo-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: tag-demo\nVersion: 1.0\n",
        ),
        ("tag_demo/__init__.py", b"VERSION = \"1.0\"\n"),
    ])
}

/// The text of the snippet that starts with `prefix` (HTML-unescaped: it holds no `<>&"`).
fn snippet(html: &str, prefix: &str) -> String {
    let start = html
        .find(&format!("<code>{prefix}"))
        .unwrap_or_else(|| panic!("no `{prefix}` snippet in {html}"))
        + "<code>".len();
    let end = start + html[start..].find("</code>").unwrap();
    html[start..end].to_string()
}

async fn page(app: &TestApp, path: &str) -> String {
    let res = app.get(path).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

async fn pypi_package_page(backend: Backend) {
    let app = TestApp::builder(backend).listener_base_url().start().await;
    let alice = app.user("alice").await;
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let one = build_project(w, "Tag.Demo", "1.0", &[]).await;
    let two = build_project(w, "Tag.Demo", "2.0", &[]).await;
    for files in [&one, &two] {
        let up = twine_upload(&app, w, "alice", &alice.token, files, &[]).await;
        assert!(up.ok, "{}", up.output);
    }
    // Two platform wheels more for 1.0, as a project with compiled code uploads them.
    let foreign = foreign_wheel();
    let digest = sha256_hex(&foreign);
    let windows = "tag_demo-1.0-cp311-cp311-win_amd64.whl";
    let arm = "tag_demo-1.0-cp312-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64.whl";
    for name in [windows, arm] {
        let form = multipart(
            &upload_fields("tag-demo", "1.0", "bdist_wheel", &digest),
            Some((name, &foreign)),
        );
        let res = post_upload(&app, "alice", &alice.token, form).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    }

    // The release 1.0: its four files, no PEP 658 companion among them.
    let html = page(&app, "/packages/alice/tag-demo?version=1.0").await;
    assert!(
        html.contains("<a href=\"#files\">Files <span class=\"count\">4</span></a>"),
        "{html}"
    );
    assert!(html.contains("id=\"files\""), "{html}");
    assert!(!html.contains(".whl.metadata"), "{html}");
    let sdist_name = one[0].file_name().unwrap().to_str().unwrap().to_string();
    let wheel_name = one[1].file_name().unwrap().to_str().unwrap().to_string();
    assert_eq!(wheel_name, "tag_demo-1.0-py3-none-any.whl");
    let files: [(&str, Vec<u8>); 4] = [
        (&sdist_name, read(&one[0])),
        (&wheel_name, read(&one[1])),
        (windows, foreign.clone()),
        (arm, foreign.clone()),
    ];
    for (name, bytes) in &files {
        let href = format!("/pypi/alice/files/tag-demo/{name}");
        assert!(
            html.contains(&format!(
                "<a class=\"dist-download\" href=\"{href}\" download>{name}</a>"
            )),
            "{name}: {html}"
        );
        assert!(
            html.contains(&format!("title=\"sha256:{}\"", sha256_hex(bytes))),
            "{name}: {html}"
        );
        assert!(
            html.contains(&format!("/packages/alice/tag-demo/-/files/1.0/?archive={name}\"")),
            "{name}: {html}"
        );
        // The link serves the file itself.
        let got = app.get(&href).send().await.unwrap();
        assert_eq!(got.status(), StatusCode::OK, "{href}");
        assert_eq!(got.bytes().await.unwrap().as_ref(), bytes.as_slice(), "{href}");
    }
    // The tags in words and as written, per file.
    for (words, tags) in [
        ("Python 3 · any platform", "py3-none-any"),
        ("CPython 3.11 · Windows x86-64", "cp311-cp311-win_amd64"),
        (
            "CPython 3.12 · stable ABI (abi3) · manylinux (glibc 2.17+) aarch64",
            "cp312-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64",
        ),
    ] {
        let cell = format!(
            "<td class=\"wheel-tags\"><span class=\"tags-words\">{words}</span> <code class=\"tags\">{tags}</code></td>"
        );
        assert!(html.contains(&cell), "`{cell}` not in {html}");
    }
    assert!(
        html.contains("<td>Source</td><td class=\"wheel-tags\"><span class=\"tags-words\">any (built on install)"),
        "{html}"
    );
    // The latest release lists its own two files only.
    let latest = page(&app, "/packages/alice/tag-demo").await;
    assert!(
        latest.contains("<a href=\"#files\">Files <span class=\"count\">2</span></a>"),
        "{latest}"
    );
    assert!(
        latest.contains("tag_demo-2.0-py3-none-any.whl") && !latest.contains(windows),
        "{latest}"
    );

    // The search page offers the `pypi` facet and finds the project under it.
    let found = page(&app, "/search?q=tag").await;
    assert!(found.contains("ecosystem=pypi"), "{found}");
    let found = page(&app, "/search?q=tag&ecosystem=pypi").await;
    assert!(found.contains("href=\"/packages/alice/tag-demo\""), "{found}");

    // The snippets: the latest by name, another release pinned; the index is the namespace's.
    let index = app.url("/pypi/alice/simple/");
    assert_eq!(
        snippet(&latest, "pip "),
        format!("pip install --index-url {index} tag-demo")
    );
    assert_eq!(
        snippet(&latest, "uv "),
        format!("uv add --index alice={index} tag-demo")
    );
    let pip = snippet(&html, "pip ");
    assert_eq!(pip, format!("pip install --index-url {index} tag-demo==1.0"));
    let uv = snippet(&html, "uv ");
    assert_eq!(uv, format!("uv add --index alice={index} tag-demo==1.0"));

    // Both work as written with the real clients.
    run_ok(w, tool("python"), &["-m", "venv", "--without-pip", "venv-pip"]).await;
    let mut args = vec!["-m", "pip", "--python", "venv-pip/bin/python"];
    args.extend(pip.split(' ').skip(1));
    run_ok(w, tool("python"), &args).await;
    let got = run_ok(
        w,
        w.join("venv-pip/bin/python"),
        &["-c", "import tag_demo; print(tag_demo.VERSION)"],
    )
    .await;
    assert_eq!(got.trim(), "1.0");
    let project = w.join("consumer");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("pyproject.toml"),
        "[project]\nname = \"consumer\"\nversion = \"0\"\nrequires-python = \">=3.8\"\n",
    )
    .unwrap();
    let python = tool("python").display().to_string();
    let mut args: Vec<&str> = uv.split(' ').skip(1).collect();
    args.extend(["--python", &python]);
    run_ok(&project, tool("uv"), &args).await;
    let pyproject = std::fs::read_to_string(project.join("pyproject.toml")).unwrap();
    assert!(
        pyproject.contains("\"tag-demo==1.0\"")
            && pyproject.contains("[[tool.uv.index]]")
            && pyproject.contains(&format!("url = \"{index}\"")),
        "{pyproject}"
    );
    let got = run_ok(
        &project,
        project.join(".venv/bin/python"),
        &["-c", "import tag_demo; print(tag_demo.VERSION)"],
    )
    .await;
    assert_eq!(got.trim(), "1.0");

    // PyPI's protocol has no yank: a release is yanked with a reason through the native API
    // and unyanked from the web UI's management page, and the index says so each time.
    let yank = "/api/v1/packages/alice/tag-demo/versions/2.0/yank";
    let res = alice
        .req(Method::PUT, yank)
        .json(&json!({ "reason": "broken <build>" }))
        .send()
        .await
        .unwrap();
    let v = json_ok(res).await;
    assert_eq!(
        (v["yanked"].clone(), v["yank_reason"].clone()),
        (json!(true), json!("broken <build>")),
        "{v}"
    );
    let simple = || async {
        let res = app
            .get("/pypi/alice/simple/tag-demo/")
            .header("accept", JSON_V1)
            .send()
            .await
            .unwrap();
        let page: Value = res.json().await.unwrap();
        let file = page["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["filename"] == "tag_demo-2.0-py3-none-any.whl")
            .cloned()
            .unwrap();
        file["yanked"].clone()
    };
    assert_eq!(simple().await, json!("broken <build>"));
    let shown = page(&app, "/packages/alice/tag-demo?version=2.0").await;
    assert!(
        shown.contains("Reason: <span class=\"yank-reason\">broken &lt;build&gt;</span>"),
        "{shown}"
    );
    let manage = "/packages/alice/tag-demo/-/manage";
    let form_page = alice.with_cookie(Method::GET, manage).send().await.unwrap();
    assert_eq!(form_page.status(), StatusCode::OK);
    let body = form_page.text().await.unwrap();
    assert!(body.contains("aria-label=\"Unyank version 2.0\""), "{body}");
    let at = body.find("name=\"_csrf\" value=\"").expect("a CSRF field") + "name=\"_csrf\" value=\"".len();
    let csrf = body[at..].split('"').next().unwrap().to_string();
    let res = alice
        .with_cookie(Method::POST, &format!("{manage}/unyank"))
        .header("accept", "text/html")
        .form(&[("_csrf", csrf.as_str()), ("version", "2.0")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let done = res.text().await.unwrap();
    assert!(done.contains("Version 2.0 is no longer yanked."), "{done}");
    assert_eq!(simple().await, json!(false));
    app.stop().await;
}

trove_testkit::both_backends!(pypi_package_page);
