//! The web UI for crates: a crate's page tells how to use it with stock cargo (the
//! `.cargo/config.toml` lines of its registry and `cargo add --registry`, pinned on an older
//! version's page), and the search page offers `cargo` in its ecosystem facet.

use super::*;
use trove_testkit::{both_backends, Backend};

both_backends!(crate_pages_show_the_cargo_setup);

/// A page's HTML with the quotes maud escapes put back.
async fn page_text(app: &TestApp, path: &str) -> String {
    let res = app.get(path).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap().replace("&quot;", "\"")
}

async fn crate_pages_show_the_cargo_setup(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = app.user("alice").await;
    publish_crate(&app, &alice, "alice", "gizmo", "0.1.0").await;
    publish_crate(&app, &alice, "alice", "gizmo", "0.2.0").await;

    let config = format!("[registries.alice]\nindex = \"sparse+{}/cargo/alice/index/\"", app.base);
    let latest = page_text(&app, "/packages/alice/gizmo").await;
    assert!(latest.contains(".cargo/config.toml"), "{latest}");
    assert!(latest.contains(&config), "{latest}");
    assert!(latest.contains("cargo add gizmo --registry alice"), "{latest}");
    let older = page_text(&app, "/packages/alice/gizmo?version=0.1.0").await;
    assert!(older.contains(&config), "{older}");
    assert!(older.contains("cargo add gizmo@=0.1.0 --registry alice"), "{older}");

    // The search page's ecosystem facet offers `cargo`, and filtering on it keeps the crate.
    let search = page_text(&app, "/search?q=gizmo").await;
    assert!(search.contains("facet-ecosystem"), "{search}");
    assert!(search.contains("ecosystem=cargo"), "{search}");
    let filtered = page_text(&app, "/search?q=gizmo&ecosystem=cargo").await;
    assert!(filtered.contains("/packages/alice/gizmo"), "{filtered}");
    let other = page_text(&app, "/search?q=gizmo&ecosystem=npm").await;
    assert!(!other.contains("/packages/alice/gizmo"), "{other}");
    app.stop().await;
}
