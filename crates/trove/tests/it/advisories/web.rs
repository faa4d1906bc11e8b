//! The web UI: the advisory page with its Markdown sanitized, the report form, the review
//! queue with accept, the banner on an affected version, and privacy (a report is the 404
//! page to others).

use super::new_advisory;
use crate::common::*;
use reqwest::header::LOCATION;
use reqwest::{Method, StatusCode};
use trove_testkit::{both_backends, Backend};

struct Got {
    status: StatusCode,
    location: String,
    body: String,
}

async fn fetch(
    app: &TestApp,
    user: Option<&TestUser>,
    method: Method,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> Got {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client.request(method, app.url(path)).header("accept", "text/html");
    if let Some(u) = user {
        req = req.header("cookie", &u.cookie);
    }
    if let Some(f) = form {
        req = req.form(f);
    }
    let res = req.send().await.unwrap();
    Got {
        status: res.status(),
        location: res
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        body: res.text().await.unwrap(),
    }
}

async fn advisory_pages_report_form_review_queue_and_banner(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    alice.publish("alice/pad", "1.0.0").await;
    alice.publish("alice/pad", "1.2.0").await;
    let created = json_ok(
        alice
            .req(Method::POST, "/api/v1/advisories")
            .json(&new_advisory("alice/pad", "1.2.0"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();

    // The advisory's page: summary, severity, ranges, details sanitized.
    let got = fetch(&app, None, Method::GET, &format!("/advisories/{id}"), None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body.contains("Prototype pollution in alice/pad"), "{}", got.body);
    assert!(got.body.contains("critical 9.8"));
    assert!(got.body.contains("SEMVER: introduced 0, fixed 1.2.0"));
    assert!(got.body.contains("<code>Object.prototype</code>"));
    assert!(!got.body.contains("<script>alert(1)</script>"));
    let list = fetch(&app, None, Method::GET, "/advisories?ecosystem=Trove", None).await;
    assert!(list.body.contains(&format!("href=\"/advisories/{id}\"")));

    // The banner on the affected version, not on the fixed one.
    let page = fetch(&app, None, Method::GET, "/packages/alice/pad?version=1.0.0", None).await;
    assert!(page.body.contains("1 security advisory"), "{}", page.body);
    assert!(page.body.contains(&id));
    assert!(page.body.contains("&lt;1.2.0"));
    let page = fetch(&app, None, Method::GET, "/packages/alice/pad?version=1.2.0", None).await;
    assert!(!page.body.contains("security advisor"));

    // Bob reports through the form; the report is the 404 page to him and to the public.
    let form = [
        ("_csrf", bob.csrf.as_str()),
        ("ecosystem", "native"),
        ("package", "alice/pad"),
        ("summary", "Denial of service in alice/pad"),
        ("details", "A **long** input hangs `pad`."),
        ("cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"),
        ("introduced", ""),
        ("fixed", "1.3.0"),
        ("publish", "0"),
    ];
    let got = fetch(&app, Some(&bob), Method::POST, "/advisories/report", Some(&form)).await;
    assert_eq!(got.status, StatusCode::CREATED, "{}", got.body);
    let rid = format!("{}-2", id.rsplit_once('-').unwrap().0);
    assert!(got.body.contains(&rid));
    for who in [None, Some(&bob)] {
        let got = fetch(&app, who, Method::GET, &format!("/advisories/{rid}"), None).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND);
    }
    let got = fetch(&app, Some(&bob), Method::GET, "/advisories/reviews", None).await;
    assert!(got.body.contains("Nothing to review."));
    // Publishing directly is for the package's owners.
    let mut publish = form;
    publish[8] = ("publish", "1");
    let got = fetch(&app, Some(&bob), Method::POST, "/advisories/report", Some(&publish)).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);
    // A refused form is shown again with the message.
    let mut bad = form;
    bad[5] = ("cvss", "CVSS:3.1/nonsense");
    let got = fetch(&app, Some(&bob), Method::POST, "/advisories/report", Some(&bad)).await;
    assert_eq!(got.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(got.body.contains("not a valid CVSS vector") && got.body.contains("Denial of service in alice/pad"));
    // Without the CSRF token: refused.
    let mut forged = form;
    forged[0] = ("_csrf", "forged");
    let got = fetch(&app, Some(&bob), Method::POST, "/advisories/report", Some(&forged)).await;
    assert_eq!(got.status, StatusCode::FORBIDDEN);

    // Alice reviews and accepts it; then it is public.
    let got = fetch(&app, Some(&alice), Method::GET, "/advisories/reviews", None).await;
    assert!(got.body.contains(&rid) && got.body.contains("Denial of service in alice/pad"));
    let got = fetch(&app, Some(&alice), Method::GET, &format!("/advisories/{rid}"), None).await;
    assert!(got.body.contains("This advisory is reported"));
    let got = fetch(
        &app,
        Some(&bob),
        Method::POST,
        &format!("/advisories/{rid}/accept"),
        Some(&[("_csrf", bob.csrf.as_str())]),
    )
    .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    let got = fetch(
        &app,
        Some(&alice),
        Method::POST,
        &format!("/advisories/{rid}/accept"),
        Some(&[("_csrf", alice.csrf.as_str())]),
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER);
    assert_eq!(got.location, format!("/advisories/{rid}?accepted=1"));
    let got = fetch(&app, None, Method::GET, &format!("/advisories/{rid}"), None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got
        .body
        .contains("A <strong>long</strong> input hangs <code>pad</code>."));
    let page = fetch(&app, None, Method::GET, "/packages/alice/pad?version=1.2.0", None).await;
    assert!(page.body.contains("1 security advisory") && page.body.contains(&rid));
    app.stop().await;
}

both_backends!(advisory_pages_report_form_review_queue_and_banner);
