use crate::common::*;
use reqwest::{Method, StatusCode};
use trove_testkit::{both_backends, Backend};

/// The served document lists every route, and every documented operation is routed
/// (nothing falls through to the "no such endpoint" fallback or 405).
async fn openapi_document_matches_the_router(b: Backend) {
    let app = TestApp::new(b).await;
    let doc = json_ok(app.get("/api/v1/openapi.json").send().await.unwrap()).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for r in trove_api::ROUTES {
        let p = &paths[&format!("/api/v1{}", r.path)];
        assert!(p[r.method].is_object(), "{} {} undocumented", r.method, r.path);
    }
    let search = &paths["/api/v1/search"]["get"]["parameters"];
    let names: Vec<&str> = search
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "q",
            "ecosystem",
            "kind",
            "category",
            "license",
            "keyword",
            "sort",
            "page",
            "per_page"
        ]
    );
    let mut operations = 0;

    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            assert!(op["operationId"].is_string() && op["summary"].is_string());
            assert!(op["responses"]["401"].is_object());
            assert!(op["responses"]["429"]["headers"]["Retry-After"].is_object());

            let concrete = path
                .replace("{scope}", "s")
                .replace("{name}", "n")
                .replace("{version}", "1.0.0")
                .replace("{org}", "o")
                .replace("{username}", "u")
                .replace("{id}", "1");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app.req(m.clone(), &concrete).send().await.unwrap();
            assert_ne!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if m != Method::HEAD {
                let text = res.text().await.unwrap();
                assert!(!text.contains("no such endpoint"), "{method} {path} is not routed");
            }
        }
    }
    assert_eq!(
        operations,
        trove_api::ROUTES.len() + 1,
        "every route plus HEAD download"
    );
    app.stop().await;
}

both_backends!(openapi_document_matches_the_router);
