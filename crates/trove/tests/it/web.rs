//! The web UI over real HTTP: pages render, READMEs are sanitized, forms need their CSRF
//! token, private packages are a 404 page, and session cookies carry the right flags.

use crate::common::*;
use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::json;
use trove_testkit::{both_backends, Backend};

/// A client that does not follow redirects, so tests see each 303 and its cookies.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Got {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn fetch(app: &TestApp, method: Method, path: &str, cookie: Option<&str>, form: Option<&[(&str, &str)]>) -> Got {
    let mut req = browser().request(method, app.url(path)).header("accept", "text/html");
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if let Some(f) = form {
        req = req.form(f);
    }
    let res = req.send().await.unwrap();
    Got {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> Got {
    fetch(app, Method::GET, path, cookie, None).await
}

async fn post(app: &TestApp, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Got {
    fetch(app, Method::POST, path, cookie, Some(form)).await
}

/// The `Set-Cookie` header that sets `name`.
fn set_cookie<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
}

/// `name=value` of a `Set-Cookie` header.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

/// The value of the first hidden `_csrf` field in a page.
fn csrf_in(body: &str) -> String {
    let at = body.find("name=\"_csrf\" value=\"").expect("a CSRF field") + "name=\"_csrf\" value=\"".len();
    body[at..].split('"').next().unwrap().to_string()
}

fn assert_html(g: &Got) {
    let ct = g.headers.get(CONTENT_TYPE).unwrap().to_str().unwrap();
    assert!(ct.starts_with("text/html"), "{ct}");
    let csp = g.headers.get("content-security-policy").expect("CSP").to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("script-src 'self';")
            && !csp.contains("unsafe-inline")
            && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(
        g.body.starts_with("<!DOCTYPE html>"),
        "{}",
        &g.body[..g.body.len().min(200)]
    );
    assert!(g.body.contains("<main id=\"main\""), "main landmark");
    assert!(g.body.contains("href=\"#main\""), "skip link");
}

/// Logs in through the web form; returns the session cookie pair and its CSRF token.
async fn web_login(app: &TestApp, username: &str) -> (String, String) {
    let form = page(app, "/login", None).await;
    assert_eq!(form.status, StatusCode::OK);
    let pre = pair(set_cookie(&form.headers, "trove_csrf").expect("pre-session cookie"));
    let token = csrf_in(&form.body);
    let res = post(
        app,
        "/login",
        Some(&pre),
        &[
            ("_csrf", &token),
            ("username", username),
            ("password", "correct horse"),
            ("next", ""),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let session = pair(set_cookie(&res.headers, "trove_session").expect("session cookie"));
    let dash = page(app, "/dashboard", Some(&session)).await;
    assert_eq!(dash.status, StatusCode::OK);
    (session.clone(), csrf_in(&dash.body))
}

fn archive(full: &str, version: &str, readme: &str, extra: &str) -> Vec<u8> {
    let manifest = format!(
        "[package]\nname = \"{full}\"\nversion = \"{version}\"\ndescription = \"The {full} package\"\n\
         license = \"MIT\"\nkeywords = [\"widget\"]\ncategories = [\"utilities\"]\nreadme = \"README.md\"\n{extra}"
    );
    trove_tarball::ArchiveBuilder::new()
        .file("trove.toml", manifest.as_bytes())
        .file("README.md", readme.as_bytes())
        .finish()
}

async fn pages_render(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let res = alice
        .publish_bytes(
            "alice/widget",
            "1.0.0",
            archive("alice/widget", "1.0.0", "# Widget\n\nMakes *widgets*.\n", ""),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = alice
        .publish_bytes(
            "alice/gadget",
            "0.2.0",
            archive(
                "alice/gadget",
                "0.2.0",
                "# Gadget\n",
                "[dependencies]\n\"alice/widget\" = \"^1.0\"\n",
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    alice.publish("alice/widget", "1.1.0-beta.1").await;
    // A yanked and a deprecated version are marked as such.
    alice.publish("alice/widget", "0.9.0").await;
    alice
        .req(Method::PUT, "/api/v1/packages/alice/widget/versions/0.9.0/yank")
        .send()
        .await
        .unwrap();
    let res = alice
        .req(Method::PUT, "/api/v1/packages/alice/widget/versions/1.0.0/deprecation")
        .json(&json!({ "message": "use 1.1 <b>soon</b>" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // One download, flushed, shows up in the chart.
    app.get("/api/v1/packages/alice/widget/versions/1.0.0/download")
        .send()
        .await
        .unwrap();
    app.flush_downloads().await;
    alice
        .req(Method::POST, "/api/v1/orgs")
        .json(&json!({ "name": "acme", "description": "Acme Corp" }))
        .send()
        .await
        .unwrap();

    let home = page(&app, "/", None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert_html(&home);
    assert!(home.body.contains("Most downloaded") && home.body.contains("Recently updated"));
    assert!(home.body.contains("Trending"));
    assert!(home.body.contains("alice/widget") || home.body.contains("<span class=\"scope\">alice/</span>widget"));
    assert!(home.body.contains("/search?category=utilities"), "categories");

    let search = page(&app, "/search?q=widget", None).await;
    assert_eq!(search.status, StatusCode::OK);
    assert_html(&search);
    assert!(
        search.body.contains("href=\"/packages/alice/widget\""),
        "{}",
        search.body
    );
    assert!(
        search.body.contains("Ecosystem") && search.body.contains("License"),
        "facets"
    );
    let filtered = page(&app, "/search?keyword=widget&sort=name&license=MIT", None).await;
    assert_eq!(filtered.status, StatusCode::OK);
    assert!(filtered.body.contains("Active filters"));
    let first = page(&app, "/search?sort=name&per_page=1", None).await;
    assert!(
        first
            .body
            .contains("rel=\"next\" href=\"/search?sort=name&amp;page=2&amp;per_page=1\""),
        "pagination"
    );
    assert!(first.body.contains("aria-current=\"page\""));
    let bad = page(&app, "/search?sort=sideways", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("sideways"));

    let pkg = page(&app, "/packages/alice/widget", None).await;
    assert_eq!(pkg.status, StatusCode::OK, "{}", pkg.body);
    assert_html(&pkg);
    assert!(
        pkg.body.contains("<h2 id=\"user-content-widget\">Widget</h2>"),
        "rendered README"
    );
    assert!(pkg.body.contains("<em>widgets</em>"));
    assert!(pkg.body.contains("trove add alice/widget"), "install snippet");
    assert!(
        pkg.body.contains("<svg") && pkg.body.contains("class=\"bar\""),
        "download chart"
    );
    assert!(
        pkg.body.contains("1.1.0-beta.1") && pkg.body.contains("0.9.0"),
        "versions"
    );
    assert!(pkg.body.contains("yanked"), "yanked mark");
    assert!(pkg.body.contains("sha256:"), "digest");
    assert!(pkg.body.contains("href=\"/users/alice\""), "owner");
    assert!(pkg.body.contains("href=\"/packages/alice/gadget\""), "dependent");
    let gadget = page(&app, "/packages/alice/gadget", None).await;
    assert!(gadget.body.contains("href=\"/packages/alice/widget\""), "dependency");
    assert!(gadget.body.contains("^1.0"));
    assert!(
        pkg.body
            .contains("deprecated</span><span class=\"deprecation-note\">use 1.1 &lt;b&gt;soon&lt;/b&gt;</span>"),
        "deprecated mark with its message as text"
    );
    let deprecated = page(&app, "/packages/alice/widget?version=1.0.0", None).await;
    assert!(deprecated.body.contains(
        "is deprecated: </strong><span class=\"deprecation-message\">use 1.1 &lt;b&gt;soon&lt;/b&gt;</span>"
    ));
    let old = page(&app, "/packages/alice/widget?version=0.9.0", None).await;
    assert_eq!(old.status, StatusCode::OK);
    assert!(old.body.contains("has been yanked"));
    assert_eq!(
        page(&app, "/packages/alice/widget?version=7.7.7", None).await.status,
        StatusCode::NOT_FOUND
    );

    let user = page(&app, "/users/alice", None).await;
    assert_eq!(user.status, StatusCode::OK);
    assert!(user.body.contains("href=\"/orgs/acme\"") && user.body.contains("/packages/alice/widget"));
    let org = page(&app, "/orgs/acme", None).await;
    assert_eq!(org.status, StatusCode::OK);
    assert!(org.body.contains("Acme Corp") && org.body.contains("owner"));
    assert_eq!(page(&app, "/users/acme", None).await.status, StatusCode::SEE_OTHER);
    assert_eq!(page(&app, "/users/nobody", None).await.status, StatusCode::NOT_FOUND);

    for path in ["/login", "/register"] {
        let g = page(&app, path, None).await;
        assert_eq!(g.status, StatusCode::OK);
        assert!(g.body.contains("<label for=\"username\">"), "labelled inputs on {path}");
    }
    // Signed-in pages send anonymous viewers to the login page and back.
    let dash = page(&app, "/dashboard/tokens", None).await;
    assert_eq!(dash.status, StatusCode::SEE_OTHER);
    assert_eq!(dash.headers[LOCATION], "/login?next=/dashboard/tokens");

    // The stylesheet is cached for a year under its hash; unknown pages are HTML 404s for
    // browsers and the JSON envelope for API clients.
    let css_path = home
        .body
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let css = app.get(css_path).send().await.unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(css.text().await.unwrap().contains("prefers-color-scheme: dark"));
    assert_eq!(
        app.get("/static/trove-0000.css").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let missing = page(&app, "/no/such/page", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_html(&missing);
    expect_error(
        app.get("/no/such/page").send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

async fn readme_scripts_are_inert(b: Backend) {
    let app = TestApp::new(b).await;
    let eve = app.user("eve").await;
    let readme = "# Evil\n\n<script>alert('xss')</script>\n\nHello <script>alert(1)</script> world\n\n\
                  <img src=x onerror=\"alert(2)\">\n\n[click](javascript:alert(3)) [data](data:text/html;base64,PHNjcmlwdD4=)\n\n\
                  ![pic](javascript:alert(4)) <a href=\"javascript:alert(5)\" onclick=\"alert(6)\">raw link</a>\n\n\
                  <iframe src=\"https://evil.example\"></iframe> <svg onload=alert(7)></svg>\n\n[safe](https://example.com/)\n";
    let res = eve
        .publish_bytes("eve/evil", "1.0.0", archive("eve/evil", "1.0.0", readme, ""))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let g = page(&app, "/packages/eve/evil", None).await;
    assert_eq!(g.status, StatusCode::OK);
    let body = g.body.to_ascii_lowercase();
    assert_eq!(body.matches("<script").count(), 1, "only the page's own script");
    assert!(
        body.contains("<script src=\"/static/trove-") && body.contains(".js\" defer></script>"),
        "the page script is external"
    );
    assert!(
        !body.contains("<iframe") && !body.contains("<svg onload"),
        "no raw HTML elements"
    );
    assert!(
        !body.contains("onerror") && !body.contains("onclick") && !body.contains("onload"),
        "no handlers"
    );
    assert!(!body.contains("alert("), "script bodies dropped");
    for scheme in ["javascript:", "data:text"] {
        assert!(!body.contains(&format!("href=\"{scheme}")), "{scheme} link");
        assert!(!body.contains(&format!("src=\"{scheme}")), "{scheme} image");
    }
    assert!(g.body.contains("click") && g.body.contains("raw link") && g.body.contains("world"));
    assert!(g.body.contains("href=\"https://example.com/\""), "safe links stay");
    app.stop().await;
}

async fn forms_without_csrf_are_refused(b: Backend) {
    let app = TestApp::new(b).await;
    let bob = app.user("bob").await;
    let (session, csrf) = web_login(&app, "bob").await;
    let count_tokens = || async {
        let v = json_ok(bob.get("/api/v1/tokens").send().await.unwrap()).await;
        v.as_array().expect("a list").len()
    };
    let before = count_tokens().await;
    let base = [
        ("name", "ci"),
        ("scopes", "read"),
        ("scopes", "publish"),
        ("expires", "30"),
    ];
    let with = |t: &'static str| {
        let mut f = base.to_vec();
        f.push(("_csrf", t));
        f
    };
    for form in [base.to_vec(), with(""), with("wrong-token")] {
        let g = post(&app, "/dashboard/tokens", Some(&session), &form).await;
        assert_eq!(g.status, StatusCode::FORBIDDEN, "{}", g.body);
        assert_html(&g);
        assert!(g.body.contains("security token"));
    }
    assert_eq!(count_tokens().await, before, "nothing was created");

    // Another site's form is refused even with a token.
    let g = browser()
        .post(app.url("/dashboard/tokens"))
        .header("cookie", &session)
        .header("origin", "https://evil.example")
        .form(&[("name", "x"), ("scopes", "read"), ("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(g.status(), StatusCode::FORBIDDEN);

    // Login and registration need the pre-session cookie to match the form.
    let g = post(
        &app,
        "/login",
        None,
        &[("username", "bob"), ("password", "correct horse"), ("_csrf", "x")],
    )
    .await;
    assert_eq!(g.status, StatusCode::FORBIDDEN);
    assert!(set_cookie(&g.headers, "trove_session").is_none());
    let g = post(
        &app,
        "/login",
        Some("trove_csrf=aaaaaaaaaaaaaaaaaaaaaaaa"),
        &[
            ("username", "bob"),
            ("password", "correct horse"),
            ("_csrf", "bbbbbbbbbbbbbbbbbbbbbbbb"),
        ],
    )
    .await;
    assert_eq!(g.status, StatusCode::FORBIDDEN);
    let g = post(
        &app,
        "/register",
        None,
        &[
            ("username", "mallory"),
            ("email", "m@example.com"),
            ("password", "correct horse"),
        ],
    )
    .await;
    assert_eq!(g.status, StatusCode::FORBIDDEN);
    assert_eq!(page(&app, "/users/mallory", None).await.status, StatusCode::NOT_FOUND);

    // Logout, org and device forms too.
    for (path, form) in [
        ("/logout", vec![]),
        ("/dashboard/orgs", vec![("name", "bobs")]),
        ("/device", vec![("code", "BCDF-GHJK"), ("decision", "approve")]),
        ("/dashboard/tokens/1/revoke", vec![]),
    ] {
        let g = post(&app, path, Some(&session), &form).await;
        assert_eq!(g.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        page(&app, "/dashboard", Some(&session)).await.status,
        StatusCode::OK,
        "still signed in"
    );
    assert_eq!(page(&app, "/orgs/bobs", None).await.status, StatusCode::NOT_FOUND);

    // With the token, the same form works and shows the secret once.
    let mut form: Vec<(&str, &str)> = base.to_vec();
    form.push(("_csrf", &csrf));
    let g = post(&app, "/dashboard/tokens", Some(&session), &form).await;
    assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
    assert!(g.body.contains("value=\"trv_"), "secret shown");
    assert_eq!(count_tokens().await, before + 1);
    let again = page(&app, "/dashboard/tokens", Some(&session)).await;
    assert!(!again.body.contains("value=\"trv_"), "shown only once");
    assert!(
        again.body.contains(">ci<") || again.body.contains(">ci "),
        "{}",
        again.body
    );
    app.stop().await;
}

async fn private_packages_are_a_404_page(b: Backend) {
    let app = TestApp::new(b).await;
    let olivia = app.user("olivia").await;
    app.user("oscar").await;
    let res = olivia
        .req(
            Method::PUT,
            "/api/v1/packages/olivia/secret/versions/1.0.0?visibility=private",
        )
        .body(archive("olivia/secret", "1.0.0", "# Top secret readme\n", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let missing = page(&app, "/packages/olivia/nothing", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let anon = page(&app, "/packages/olivia/secret", None).await;
    assert_eq!(anon.status, StatusCode::NOT_FOUND);
    assert!(!anon.body.contains("Top secret"));
    assert_eq!(
        anon.body, missing.body,
        "the same page as a package that does not exist"
    );
    let (oscar, _) = web_login(&app, "oscar").await;
    let outsider = page(&app, "/packages/olivia/secret", Some(&oscar)).await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND);
    assert!(!outsider.body.contains("Top secret"));
    for (path, who) in [
        ("/search?q=secret", None),
        ("/search?q=secret", Some(oscar.as_str())),
        ("/users/olivia", None),
        ("/", None),
    ] {
        let g = page(&app, path, who).await;
        assert_eq!(g.status, StatusCode::OK);
        assert!(
            !g.body.contains("/packages/olivia/secret"),
            "{path} leaks the private package"
        );
    }

    let (owner, _) = web_login(&app, "olivia").await;
    let own = page(&app, "/packages/olivia/secret", Some(&owner)).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains("Top secret readme") && own.body.contains("private"));
    let search = page(&app, "/search?q=secret", Some(&owner)).await;
    assert!(search.body.contains("/packages/olivia/secret"));
    let dash = page(&app, "/dashboard", Some(&owner)).await;
    assert!(dash.body.contains("olivia/secret"));
    app.stop().await;
}

async fn login_and_logout_set_secure_cookies(b: Backend) {
    let app = TestApp::new(b).await;
    app.user("carol").await;
    let form = page(&app, "/login?next=/dashboard/tokens", None).await;
    let pre = set_cookie(&form.headers, "trove_csrf")
        .expect("pre-session cookie")
        .to_string();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(pre.contains(flag), "{pre}");
    }
    assert!(!pre.contains("Secure"), "plain http: {pre}");
    assert!(form.headers["cache-control"].to_str().unwrap().contains("no-store"));

    // The device page sends anonymous visitors to log in and back with the code.
    let device = page(&app, "/device?code=BCDF-GHJK", None).await;
    assert_eq!(device.status, StatusCode::SEE_OTHER);
    assert_eq!(device.headers[LOCATION], "/login?next=/device%3Fcode%3DBCDF-GHJK");
    let back = page(&app, device.headers[LOCATION].to_str().unwrap(), None).await;
    assert!(back.body.contains("name=\"next\" value=\"/device?code=BCDF-GHJK\""));

    // A wrong password keeps the visitor on the form.
    let token = csrf_in(&form.body);
    let bad = post(
        &app,
        "/login",
        Some(&pair(&pre)),
        &[("_csrf", &token), ("username", "carol"), ("password", "wrong password")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.body.contains("Wrong username or password"));
    assert!(set_cookie(&bad.headers, "trove_session").is_none());

    let ok = post(
        &app,
        "/login",
        Some(&pair(&pre)),
        &[
            ("_csrf", &token),
            ("username", "carol"),
            ("password", "correct horse"),
            ("next", "/dashboard/tokens"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.headers[LOCATION], "/dashboard/tokens");
    let session = set_cookie(&ok.headers, "trove_session")
        .expect("session cookie")
        .to_string();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(session.contains(flag), "{session}");
    }
    assert!(!session.contains("Secure"));
    let cleared = set_cookie(&ok.headers, "trove_csrf").expect("pre-session cookie cleared");
    assert!(cleared.contains("Max-Age=0"));
    // An open redirect is not possible through `next`.
    let form2 = page(&app, "/login", None).await;
    let pre2 = pair(set_cookie(&form2.headers, "trove_csrf").unwrap());
    let off = post(
        &app,
        "/login",
        Some(&pre2),
        &[
            ("_csrf", &csrf_in(&form2.body)),
            ("username", "carol"),
            ("password", "correct horse"),
            ("next", "//evil.example/"),
        ],
    )
    .await;
    assert_eq!(off.headers[LOCATION], "/dashboard");

    // The web session is also an API session.
    let session = pair(&session);
    let me = app.get("/api/v1/me").header("cookie", &session).send().await.unwrap();
    assert_eq!(json_ok(me).await["username"], "carol");
    let dash = page(&app, "/dashboard", Some(&session)).await;
    assert!(dash.body.contains("carol"));
    let csrf = csrf_in(&dash.body);
    let out = post(&app, "/logout", Some(&session), &[("_csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let gone = set_cookie(&out.headers, "trove_session").expect("cleared");
    assert!(gone.contains("Max-Age=0") && gone.contains("HttpOnly"), "{gone}");
    assert_eq!(
        page(&app, "/dashboard", Some(&session)).await.status,
        StatusCode::SEE_OTHER,
        "session ended"
    );
    app.stop().await;

    // Served over https, cookies are Secure.
    let app = TestApp::builder(b)
        .config(|c| c.server.base_url = Some("https://trove.example.com".into()))
        .start()
        .await;
    app.user("dave").await;
    let form = page(&app, "/login", None).await;
    let pre = set_cookie(&form.headers, "trove_csrf").unwrap().to_string();
    assert!(pre.contains("; Secure"), "{pre}");
    let ok = post(
        &app,
        "/login",
        Some(&pair(&pre)),
        &[
            ("_csrf", &csrf_in(&form.body)),
            ("username", "dave"),
            ("password", "correct horse"),
        ],
    )
    .await;
    let session = set_cookie(&ok.headers, "trove_session").unwrap();
    assert!(
        session.contains("; Secure") && session.contains("HttpOnly"),
        "{session}"
    );
    app.stop().await;
}

async fn register_tokens_orgs_and_device_login(b: Backend) {
    let app = TestApp::new(b).await;
    let form = page(&app, "/register", None).await;
    let pre = pair(set_cookie(&form.headers, "trove_csrf").unwrap());
    let csrf = csrf_in(&form.body);
    let weak = post(
        &app,
        "/register",
        Some(&pre),
        &[
            ("_csrf", &csrf),
            ("username", "frank"),
            ("email", "frank@example.com"),
            ("password", "short"),
        ],
    )
    .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("at least 8 characters") && weak.body.contains("value=\"frank\""));
    let ok = post(
        &app,
        "/register",
        Some(&pre),
        &[
            ("_csrf", &csrf),
            ("username", "frank"),
            ("email", "frank@example.com"),
            ("password", "correct horse"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let session = pair(set_cookie(&ok.headers, "trove_session").unwrap());
    let dash = page(&app, ok.headers[LOCATION].to_str().unwrap(), Some(&session)).await;
    assert!(dash.body.contains("Welcome to Trove, frank"));
    let csrf = csrf_in(&dash.body);

    // A token limited to a pattern, then revoked.
    let made = post(
        &app,
        "/dashboard/tokens",
        Some(&session),
        &[
            ("_csrf", &csrf),
            ("name", "ci"),
            ("scopes", "publish"),
            ("packages", "frank/*"),
            ("expires", "7"),
        ],
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED);
    let secret = made
        .body
        .split("value=\"trv_")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let secret = format!("trv_{secret}");
    let res = browser()
        .put(app.url("/api/v1/packages/frank/tool/versions/1.0.0"))
        .bearer_auth(&secret)
        .body(archive("frank/tool", "1.0.0", "# Tool\n", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "the token works");
    let bad = post(
        &app,
        "/dashboard/tokens",
        Some(&session),
        &[("_csrf", &csrf), ("name", "x")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "no scope");
    let list = page(&app, "/dashboard/tokens", Some(&session)).await;
    let id = list
        .body
        .split("/dashboard/tokens/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let revoked = post(
        &app,
        &format!("/dashboard/tokens/{id}/revoke"),
        Some(&session),
        &[("_csrf", &csrf)],
    )
    .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let res = browser()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "revoked");

    // Organizations and members.
    app.user("grace").await;
    let made = post(
        &app,
        "/dashboard/orgs",
        Some(&session),
        &[("_csrf", &csrf), ("name", "frankco")],
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    let add = post(
        &app,
        "/dashboard/orgs/frankco/members",
        Some(&session),
        &[("_csrf", &csrf), ("username", "grace"), ("role", "write")],
    )
    .await;
    assert_eq!(add.status, StatusCode::SEE_OTHER);
    let manage = page(&app, "/dashboard/orgs/frankco", Some(&session)).await;
    assert!(manage.body.contains("/users/grace"));
    let last_owner = post(
        &app,
        "/dashboard/orgs/frankco/members",
        Some(&session),
        &[("_csrf", &csrf), ("username", "frank"), ("role", "read")],
    )
    .await;
    assert_eq!(last_owner.status, StatusCode::CONFLICT);
    assert!(last_owner.body.contains("last owner"));
    let removed = post(
        &app,
        "/dashboard/orgs/frankco/members/grace/remove",
        Some(&session),
        &[("_csrf", &csrf)],
    )
    .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let org = page(&app, "/orgs/frankco", None).await;
    assert!(!org.body.contains("/users/grace"));

    // Device login: the CLI asks for a code, the person approves it here, the CLI gets a token.
    let code = json_ok(
        app.req(Method::POST, "/api/v1/device/code")
            .json(&json!({ "client_name": "trove CLI on test-host" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let user_code = code["user_code"].as_str().unwrap();
    let shown = page(&app, &format!("/device?code={user_code}"), Some(&session)).await;
    assert!(shown.body.contains(&format!("value=\"{user_code}\"")));
    let approved = post(
        &app,
        "/device",
        Some(&session),
        &[("_csrf", &csrf), ("code", user_code), ("decision", "approve")],
    )
    .await;
    assert_eq!(approved.status, StatusCode::OK);
    assert!(
        approved
            .body
            .contains("trove CLI on test-host is now signed in as frank"),
        "{}",
        approved.body
    );
    let grant = json_ok(
        app.req(Method::POST, "/api/v1/device/token")
            .json(&json!({ "device_code": code["device_code"] }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(grant["username"], "frank");
    let unknown = post(
        &app,
        "/device",
        Some(&session),
        &[("_csrf", &csrf), ("code", "ZZZZ-ZZZZ"), ("decision", "approve")],
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

async fn admin_pages_are_for_admins(b: Backend) {
    let app = TestApp::new(b).await;
    app.admin("ada").await;
    app.user("henry").await;
    let (admin, _) = web_login(&app, "ada").await;
    let (henry, _) = web_login(&app, "henry").await;
    let users = page(&app, "/admin", Some(&admin)).await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(users.body.contains("henry@example.com") && users.body.contains("ada@example.com"));
    let audit = page(&app, "/admin/audit", Some(&admin)).await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(audit.body.contains("login.success") && audit.body.contains("user.create"));
    let filtered = page(&app, "/admin/audit?actor=henry", Some(&admin)).await;
    assert!(filtered.body.contains("henry") && !filtered.body.contains("?actor=ada"));
    for path in ["/admin", "/admin/audit"] {
        let g = page(&app, path, Some(&henry)).await;
        assert_eq!(g.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!g.body.contains("henry@example.com"));
        assert_eq!(page(&app, path, None).await.status, StatusCode::SEE_OTHER);
    }
    app.stop().await;
}

async fn oci_repositories_have_pages(b: Backend) {
    let app = TestApp::new(b).await;
    let ivy = app.user("ivy").await;
    let oci = crate::oci::Oci::user(&app, &ivy);
    oci.push_image("ivy/tools/app", "v1", &[b"layer one"]).await;
    oci.push_image("ivy/tools/app", "v2", &[b"layer two"]).await;
    let g = page(&app, "/packages/ivy/tools/app", None).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.body);
    assert_html(&g);
    // The host is the configured base URL's (here the configured listen address).
    let host = trove_testkit_host(&app);
    assert!(
        g.body.contains(&format!("docker pull {host}/ivy/tools/app:v2")),
        "{}",
        g.body
    );
    assert!(g.body.contains("@sha256:"), "pin by digest");
    assert!(g.body.contains(">Tags<") && g.body.contains(">v1<"), "tags listed");
    assert!(g.body.contains("OCI"), "ecosystem badge");
    assert!(!g.body.contains("trove add"), "no native install snippet");
    let tag = page(&app, "/packages/ivy/tools/app?version=v1", None).await;
    assert_eq!(tag.status, StatusCode::OK);
    assert!(tag.body.contains(&format!("docker pull {host}/ivy/tools/app:v1")));
    // Repositories reach the search index through its background sync.
    let mut found = false;
    for _ in 0..50 {
        let search = page(&app, "/search?ecosystem=oci", None).await;
        if search.body.contains("href=\"/packages/ivy/tools/app\"") {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found, "the repository is found by the OCI facet");
    app.stop().await;
}

/// The `Location` of a redirect.
fn location(g: &Got) -> &str {
    g.headers.get(LOCATION).expect("a Location").to_str().unwrap()
}

/// A version's metadata through the API, as its owner sees it.
async fn version_json(user: &TestUser, full: &str, version: &str) -> serde_json::Value {
    json_ok(
        user.get(&format!("/api/v1/packages/{full}/versions/{version}"))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn owners_json(user: &TestUser, full: &str) -> Vec<(String, String)> {
    let v = json_ok(
        user.get(&format!("/api/v1/packages/{full}/owners"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    v.as_array()
        .expect("a list")
        .iter()
        .map(|o| {
            (
                o["username"].as_str().unwrap().to_string(),
                o["role"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn owners_manage_packages_in_the_browser(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    alice.publish("alice/widget", "1.0.0").await;
    alice.publish("alice/widget", "1.1.0").await;
    let (session, _) = web_login(&app, "alice").await;
    let manage = "/packages/alice/widget/-/manage";

    // The package page links to the management page.
    let pkg = page(&app, "/packages/alice/widget", Some(&session)).await;
    assert_eq!(pkg.status, StatusCode::OK);
    assert!(pkg.body.contains(&format!("href=\"{manage}\"")), "{}", pkg.body);
    let g = page(&app, manage, Some(&session)).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.body);
    assert_html(&g);
    assert!(g.body.contains("Manage") && g.body.contains("Visibility") && g.body.contains("Owners"));
    assert!(g.body.contains("aria-label=\"Yank version 1.0.0\""));
    let csrf = csrf_in(&g.body);
    let act = |a: &str| format!("{manage}/{a}");

    // Yank, see it on the page and through the API, then unyank.
    let g = post(
        &app,
        &act("yank"),
        Some(&session),
        &[("_csrf", &csrf), ("version", "1.0.0")],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    assert_eq!(location(&g), format!("{manage}?done=yanked&version=1.0.0"));
    let back = page(&app, location(&g), Some(&session)).await;
    assert_eq!(back.status, StatusCode::OK);
    assert!(back.body.contains("Version 1.0.0 is yanked"), "{}", back.body);
    assert!(back.body.contains("aria-label=\"Unyank version 1.0.0\""));
    assert_eq!(version_json(&alice, "alice/widget", "1.0.0").await["yanked"], true);
    let pkg = page(&app, "/packages/alice/widget?version=1.0.0", None).await;
    assert!(pkg.body.contains("has been yanked"), "{}", pkg.body);
    let g = post(
        &app,
        &act("unyank"),
        Some(&session),
        &[("_csrf", &csrf), ("version", "1.0.0")],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    assert_eq!(version_json(&alice, "alice/widget", "1.0.0").await["yanked"], false);

    // Deprecate with a message, refuse an empty one, remove the deprecation.
    let g = post(
        &app,
        &act("deprecate"),
        Some(&session),
        &[("_csrf", &csrf), ("version", "1.0.0"), ("message", "use 1.1 instead")],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    assert_eq!(
        version_json(&alice, "alice/widget", "1.0.0").await["deprecated"],
        "use 1.1 instead"
    );
    let pkg = page(&app, "/packages/alice/widget?version=1.0.0", None).await;
    assert!(pkg
        .body
        .contains("is deprecated: </strong><span class=\"deprecation-message\">use 1.1 instead</span>"));
    let g = post(
        &app,
        &act("deprecate"),
        Some(&session),
        &[("_csrf", &csrf), ("version", "1.1.0"), ("message", " ")],
    )
    .await;
    assert_eq!(g.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", g.body);
    assert_html(&g);
    assert!(
        g.body.contains("role=\"alert\"") && g.body.contains("1 to 1000 characters"),
        "{}",
        g.body
    );
    assert!(version_json(&alice, "alice/widget", "1.1.0").await["deprecated"].is_null());
    let g = post(
        &app,
        &act("undeprecate"),
        Some(&session),
        &[("_csrf", &csrf), ("version", "1.0.0")],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    assert!(version_json(&alice, "alice/widget", "1.0.0").await["deprecated"].is_null());
    // A version that does not exist, and one that is not a version.
    let g = post(
        &app,
        &act("yank"),
        Some(&session),
        &[("_csrf", &csrf), ("version", "9.9.9")],
    )
    .await;
    assert_eq!(g.status, StatusCode::NOT_FOUND);
    assert!(g.body.contains("version 9.9.9"), "{}", g.body);
    let g = post(
        &app,
        &act("yank"),
        Some(&session),
        &[("_csrf", &csrf), ("version", "nope")],
    )
    .await;
    assert_eq!(g.status, StatusCode::BAD_REQUEST);

    // Visibility needs the typed name; then the package is a 404 to others.
    let g = post(
        &app,
        &act("visibility"),
        Some(&session),
        &[("_csrf", &csrf), ("visibility", "private"), ("confirm", "widget")],
    )
    .await;
    assert_eq!(g.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", g.body);
    assert!(g.body.contains("to confirm"));
    assert_eq!(page(&app, "/packages/alice/widget", None).await.status, StatusCode::OK);
    let g = post(
        &app,
        &act("visibility"),
        Some(&session),
        &[("_csrf", &csrf), ("visibility", "private"), ("confirm", "alice/widget")],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    assert_eq!(location(&g), format!("{manage}?done=visibility&visibility=private"));
    let back = page(&app, location(&g), Some(&session)).await;
    assert!(back.body.contains("The package is now private."));
    assert!(back.body.contains("Make public"));
    assert_eq!(
        app.get("/api/v1/packages/alice/widget").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let meta = json_ok(alice.get("/api/v1/packages/alice/widget").send().await.unwrap()).await;
    assert_eq!(meta["visibility"], "private");
    let g = post(
        &app,
        &act("visibility"),
        Some(&session),
        &[("_csrf", &csrf), ("visibility", "public"), ("confirm", "alice/widget")],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    assert_eq!(
        app.get("/api/v1/packages/alice/widget").send().await.unwrap().status(),
        StatusCode::OK
    );

    // Owners: add bob, refuse an unknown user and the removal of the last owner, remove bob.
    let g = post(
        &app,
        &act("add-owner"),
        Some(&session),
        &[("_csrf", &csrf), ("username", "bob"), ("role", "maintainer")],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    let back = page(&app, location(&g), Some(&session)).await;
    assert!(back.body.contains("bob is now a maintainer."), "{}", back.body);
    assert!(owners_json(&alice, "alice/widget")
        .await
        .contains(&("bob".to_string(), "maintainer".to_string())));
    let g = post(
        &app,
        &act("add-owner"),
        Some(&session),
        &[("_csrf", &csrf), ("username", "nobody"), ("role", "owner")],
    )
    .await;
    assert_eq!(g.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", g.body);
    assert!(g.body.contains("user `nobody` not found") && g.body.contains("value=\"nobody\""));
    let g = post(
        &app,
        &act("remove-owner"),
        Some(&session),
        &[("_csrf", &csrf), ("username", "alice")],
    )
    .await;
    assert_eq!(g.status, StatusCode::CONFLICT, "{}", g.body);
    assert_html(&g);
    assert!(g.body.contains("is the last owner of `alice/widget`"), "{}", g.body);
    let g = post(
        &app,
        &act("remove-owner"),
        Some(&session),
        &[("_csrf", &csrf), ("username", "bob")],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    assert_eq!(
        owners_json(&alice, "alice/widget").await,
        [("alice".to_string(), "owner".to_string())]
    );

    // Delete within the grace period, after ticking the box.
    let g = post(
        &app,
        &act("delete"),
        Some(&session),
        &[("_csrf", &csrf), ("version", "1.1.0")],
    )
    .await;
    assert_eq!(g.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", g.body);
    assert_eq!(version_json(&alice, "alice/widget", "1.1.0").await["version"], "1.1.0");
    let g = post(
        &app,
        &act("delete"),
        Some(&session),
        &[("_csrf", &csrf), ("version", "1.1.0"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    assert_eq!(
        alice
            .get("/api/v1/packages/alice/widget/versions/1.1.0")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // Every change is in the audit log, by alice, as through the API.
    let root = app.admin("siteadmin").await;
    let log = json_ok(root.get("/api/v1/audit?limit=200").send().await.unwrap()).await;
    let events = log["events"].as_array().unwrap();
    for (action, target) in [
        ("version.yank", "alice/widget@1.0.0"),
        ("version.unyank", "alice/widget@1.0.0"),
        ("version.deprecate", "alice/widget@1.0.0"),
        ("version.undeprecate", "alice/widget@1.0.0"),
        ("package.visibility", "alice/widget"),
        ("owner.add", "alice/widget:bob"),
        ("owner.remove", "alice/widget:bob"),
        ("version.delete", "alice/widget@1.1.0"),
    ] {
        assert!(
            events
                .iter()
                .any(|e| e["action"] == action && e["target"] == target && e["actor"] == "alice"),
            "{action} {target} missing in {events:?}"
        );
    }
    app.stop().await;
}

async fn manage_forms_need_csrf_and_rights(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.publish("alice/widget", "1.0.0").await;
    let res = alice
        .req(
            Method::PUT,
            "/api/v1/packages/alice/secret/versions/1.0.0?visibility=private",
        )
        .body(archive("alice/secret", "1.0.0", "# Secret\n", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let (owner, owner_csrf) = web_login(&app, "alice").await;
    let (other, other_csrf) = web_login(&app, "bob").await;
    let manage = "/packages/alice/widget/-/manage";
    let yank = "/packages/alice/widget/-/manage/yank";
    let yanked = || async { version_json(&alice, "alice/widget", "1.0.0").await["yanked"] == true };

    // Without the CSRF token, with a wrong one, or from another site: refused, nothing changes.
    for form in [
        vec![("version", "1.0.0")],
        vec![("version", "1.0.0"), ("_csrf", "")],
        vec![("version", "1.0.0"), ("_csrf", "forged")],
    ] {
        let g = post(&app, yank, Some(&owner), &form).await;
        assert_eq!(g.status, StatusCode::FORBIDDEN, "{}", g.body);
        assert!(g.body.contains("security token"));
    }
    let g = browser()
        .post(app.url(yank))
        .header("cookie", &owner)
        .header("origin", "https://evil.example")
        .form(&[("version", "1.0.0"), ("_csrf", owner_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(g.status(), StatusCode::FORBIDDEN);
    let g = post(
        &app,
        "/packages/alice/widget/-/manage/visibility",
        Some(&owner),
        &[("visibility", "private"), ("confirm", "alice/widget")],
    )
    .await;
    assert_eq!(g.status, StatusCode::FORBIDDEN);
    assert!(!yanked().await, "not yanked");
    assert_eq!(
        page(&app, "/packages/alice/widget", None).await.status,
        StatusCode::OK,
        "still public"
    );

    // Anonymous: to the login page, which comes back here.
    let g = page(&app, manage, None).await;
    assert_eq!(g.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&g), format!("/login?next={manage}"));
    let g = post(&app, yank, None, &[("version", "1.0.0")]).await;
    assert_eq!(g.status, StatusCode::SEE_OTHER);
    assert!(location(&g).starts_with("/login?next="));
    assert!(!page(&app, "/packages/alice/widget", None)
        .await
        .body
        .contains("/-/manage"));

    // Another user: no link, a 403 page on a public package and the 404 page on a private one.
    let pkg = page(&app, "/packages/alice/widget", Some(&other)).await;
    assert_eq!(pkg.status, StatusCode::OK);
    assert!(!pkg.body.contains("/-/manage"), "no manage link for bob");
    let g = page(&app, manage, Some(&other)).await;
    assert_eq!(g.status, StatusCode::FORBIDDEN);
    assert_html(&g);
    assert!(g.body.contains("Not allowed") && !g.body.contains("name=\"version\""));
    let g = post(
        &app,
        yank,
        Some(&other),
        &[("_csrf", &other_csrf), ("version", "1.0.0")],
    )
    .await;
    assert_eq!(g.status, StatusCode::FORBIDDEN, "{}", g.body);
    assert!(!yanked().await, "bob could not yank");
    let missing = page(&app, "/packages/alice/nothing/-/manage", Some(&other)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let secret = page(&app, "/packages/alice/secret/-/manage", Some(&other)).await;
    assert_eq!(secret.status, StatusCode::NOT_FOUND);
    assert_eq!(secret.body, missing.body, "the same 404 page as a missing package");
    for (action, form) in [
        ("yank", vec![("_csrf", other_csrf.as_str()), ("version", "1.0.0")]),
        (
            "visibility",
            vec![
                ("_csrf", other_csrf.as_str()),
                ("visibility", "public"),
                ("confirm", "alice/secret"),
            ],
        ),
        (
            "add-owner",
            vec![("_csrf", other_csrf.as_str()), ("username", "bob"), ("role", "owner")],
        ),
    ] {
        let g = post(
            &app,
            &format!("/packages/alice/secret/-/manage/{action}"),
            Some(&other),
            &form,
        )
        .await;
        assert_eq!(g.status, StatusCode::NOT_FOUND, "{action}");
        assert_eq!(g.body, missing.body, "{action}");
    }
    let meta = json_ok(alice.get("/api/v1/packages/alice/secret").send().await.unwrap()).await;
    assert_eq!(meta["visibility"], "private");
    assert_eq!(owners_json(&alice, "alice/secret").await.len(), 1);

    // A maintainer manages versions but neither the visibility nor the owners.
    let res = alice
        .req(Method::PUT, "/api/v1/packages/alice/widget/owners/bob")
        .json(&json!({ "role": "maintainer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let pkg = page(&app, "/packages/alice/widget", Some(&other)).await;
    assert!(pkg.body.contains(&format!("href=\"{manage}\"")));
    let g = page(&app, manage, Some(&other)).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.body);
    assert!(g.body.contains("Only owners can change the visibility."));
    assert!(!g.body.contains("/-/manage/visibility") && !g.body.contains("/-/manage/add-owner"));
    let g = post(
        &app,
        yank,
        Some(&other),
        &[("_csrf", &other_csrf), ("version", "1.0.0")],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    assert!(yanked().await, "the maintainer yanked it");
    let g = post(
        &app,
        "/packages/alice/widget/-/manage/visibility",
        Some(&other),
        &[
            ("_csrf", &other_csrf),
            ("visibility", "private"),
            ("confirm", "alice/widget"),
        ],
    )
    .await;
    assert_eq!(g.status, StatusCode::FORBIDDEN, "{}", g.body);
    assert!(g.body.contains("role=\"alert\"") && g.body.contains("you may not manage the owners of"));
    assert_eq!(page(&app, "/packages/alice/widget", None).await.status, StatusCode::OK);
    drop(bob);
    app.stop().await;
}

async fn oci_repositories_visibility_is_managed(b: Backend) {
    let app = TestApp::new(b).await;
    let ivy = app.user("ivy").await;
    app.user("jack").await;
    let oci = crate::oci::Oci::user(&app, &ivy);
    oci.push_image("ivy/tools/app", "v1", &[b"layer one"]).await;
    let manage = "/packages/ivy/tools/app/-/manage";
    let (session, _) = web_login(&app, "ivy").await;
    let pkg = page(&app, "/packages/ivy/tools/app", Some(&session)).await;
    assert!(pkg.body.contains(&format!("href=\"{manage}\"")), "{}", pkg.body);
    let g = page(&app, manage, Some(&session)).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.body);
    assert!(g.body.contains("Visibility") && g.body.contains("skopeo delete"));
    assert!(!g.body.contains("/-/manage/yank") && !g.body.contains("/-/manage/add-owner"));
    let csrf = csrf_in(&g.body);
    let g = post(
        &app,
        &format!("{manage}/visibility"),
        Some(&session),
        &[
            ("_csrf", &csrf),
            ("visibility", "private"),
            ("confirm", "ivy/tools/app"),
        ],
    )
    .await;
    assert_eq!(g.status, StatusCode::SEE_OTHER, "{}", g.body);
    assert_eq!(
        page(&app, "/packages/ivy/tools/app", None).await.status,
        StatusCode::NOT_FOUND
    );
    let (jack, _) = web_login(&app, "jack").await;
    assert_eq!(page(&app, manage, Some(&jack)).await.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

/// The host the pages' install commands name: the one the request reached (no
/// `server.base_url` is configured in tests).
fn trove_testkit_host(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// Version pages: banners at the top, the not-latest and pre-release notices, the picker,
/// install commands that pin the version and warn when it is yanked; the page script is
/// one hashed, cached file the CSP allows; robots.txt is text.
async fn web_version_pages_copy_buttons_and_robots(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    for v in ["1.0.0", "1.1.0", "2.0.0-rc.1"] {
        let readme = format!("# Widget {v}\n");
        let res = alice
            .publish_bytes("alice/widget", v, archive("alice/widget", v, &readme, ""))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    alice
        .req(Method::PUT, "/api/v1/packages/alice/widget/versions/1.0.0/yank")
        .send()
        .await
        .unwrap();

    let latest = page(&app, "/packages/alice/widget", None).await;
    assert_html(&latest);
    assert!(!latest.body.contains("not the latest"), "the latest has no notice");
    assert!(latest.body.contains("trove add alice/widget@^1.1.0"), "{}", latest.body);
    assert!(latest
        .body
        .contains("<form class=\"version-picker\" method=\"get\" action=\"/packages/alice/widget\""));
    assert!(latest
        .body
        .contains("<option value=\"1.1.0\" selected>1.1.0 (latest)</option>"));
    assert!(latest.body.contains("<option value=\"1.0.0\">1.0.0 (yanked)</option>"));
    assert!(
        latest.body.contains("href=\"/packages/alice/widget?version=1.0.0\""),
        "version links"
    );
    assert!(
        !latest.body.contains("?version=1.0.0#versions"),
        "version links open the page's top"
    );
    assert!(
        latest.body.contains("data-copy data-copy-label=\"digest\""),
        "copyable digest"
    );

    let yanked = page(&app, "/packages/alice/widget?version=1.0.0", None).await;
    assert_eq!(yanked.status, StatusCode::OK);
    let banner = yanked.body.find("has been yanked").expect("yanked banner");
    let header = yanked.body.find("class=\"pkg-header\"").expect("header");
    assert!(banner < header, "the banner comes first");
    assert!(yanked.body.contains("which is not the latest version"));
    assert!(
        yanked.body.contains("class=\"notice notice-error install-warning\""),
        "install card warns"
    );
    // Each version shows its own README.
    assert!(yanked.body.contains("Widget 1.0.0"), "the version's own README");
    assert!(!yanked.body.contains("Widget 1.1.0</h1>"), "not the latest one's");
    assert!(!yanked.body.contains("README of the latest version"));

    let pre = page(&app, "/packages/alice/widget?version=2.0.0-rc.1", None).await;
    assert!(pre.body.contains("is a pre-release"));
    assert!(!pre.body.contains("install-warning"));

    // The page script: one external file under its hash, cached for a year.
    let script_path = latest
        .body
        .split("<script src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert!(script_path.starts_with("/static/trove-") && script_path.ends_with(".js"));
    let js = app.get(&script_path).send().await.unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(js.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(js.text().await.unwrap().contains("data-copy"));
    assert_eq!(
        app.get("/static/trove-000000000000.js").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    let robots = app.get("/robots.txt").send().await.unwrap();
    assert_eq!(robots.status(), StatusCode::OK);
    assert!(robots.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = robots.text().await.unwrap();
    assert!(
        text.starts_with("User-agent: *") && text.contains("Disallow: /dashboard"),
        "{text}"
    );

    let home = page(&app, "/", None).await;
    assert!(!home.body.contains("signed"), "no promise of signed releases");
    assert!(home.body.contains("Ranked by growth"));
    app.stop().await;
}

both_backends!(
    web_version_pages_copy_buttons_and_robots,
    oci_repositories_have_pages,
    pages_render,
    readme_scripts_are_inert,
    forms_without_csrf_are_refused,
    private_packages_are_a_404_page,
    login_and_logout_set_secure_cookies,
    register_tokens_orgs_and_device_login,
    admin_pages_are_for_admins,
    owners_manage_packages_in_the_browser,
    manage_forms_need_csrf_and_rights,
    oci_repositories_visibility_is_managed,
);
