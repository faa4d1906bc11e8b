use crate::common::*;
use reqwest::StatusCode;
use trove_testkit::{both_backends, Backend};

async fn live_ready_and_request_ids(b: Backend) {
    let app = TestApp::new(b).await;
    let res = app.get("/health/live").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get("/health/ready").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("x-request-id").is_some(), "a request id is generated");
    let v = json_ok(res).await;
    assert_eq!(v["checks"]["database"]["status"], "ok");
    assert_eq!(v["checks"]["storage"]["status"], "ok");
    let res = app
        .get("/health/live")
        .header("x-request-id", "my-trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["x-request-id"],
        "my-trace-42",
        "a given request id is carried through"
    );
    app.stop().await;
}

async fn ready_is_503_when_database_is_down(b: Backend) {
    let app = TestApp::new(b).await;
    match b {
        // Really take the database away under the running server.
        Backend::Postgres => app.db.drop_now().await,
        Backend::Sqlite => app.services().db.close().await,
    }
    let res = app.get("/health/ready").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["checks"]["database"]["status"], "error");
    assert_eq!(v["checks"]["storage"]["status"], "ok");
    // API calls that need the database say so with 503, not 500.
    let res = app.get("/api/v1/packages/a/b").send().await.unwrap();
    expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "database_unavailable").await;
}

async fn ready_is_503_when_storage_is_down(b: Backend) {
    let app = TestApp::new(b).await;
    let blobs = app.dir.path().join("blobs");
    std::fs::remove_dir_all(&blobs).unwrap();
    std::fs::write(&blobs, b"not a directory").unwrap();
    let res = app.get("/health/ready").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["checks"]["storage"]["status"], "error");
    assert_eq!(v["checks"]["database"]["status"], "ok");
    app.stop().await;
}

async fn metrics_count_requests_by_route_and_status(b: Backend) {
    let app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    alice.publish("alice/metered", "1.0.0").await;
    app.get("/api/v1/packages/alice/metered/versions/1.0.0/download")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    app.get("/api/v1/packages/nobody/nothing").send().await.unwrap();
    let text = app.get("/metrics").send().await.unwrap().text().await.unwrap();
    assert!(text.contains("trove_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/v1/packages/{scope}/{name}\""), "{text}");
    assert!(text.contains("status=\"404\""), "{text}");
    assert!(text.contains("trove_http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains("trove_publishes_total"), "{text}");
    assert!(text.contains("trove_downloads_total"), "{text}");
    assert!(text.contains("trove_db_pool_connections"), "{text}");
    assert!(
        text.contains("trove_storage_operations_total{op=\"put\",result=\"ok\"}"),
        "{text}"
    );
    assert!(
        text.contains("trove_storage_operation_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("trove_download_bytes_total"), "{text}");
    // Every metric family says what it is and what it counts.
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let name = line.split(['{', ' ']).next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| text.contains(&format!("# TYPE {f} histogram")))
            })
            .unwrap_or(name);
        assert!(text.contains(&format!("# TYPE {family} ")), "no # TYPE for {family}");
        assert!(text.contains(&format!("# HELP {family} ")), "no # HELP for {family}");
    }

    app.stop().await;
}

async fn unknown_routes_get_json_404(b: Backend) {
    let app = TestApp::new(b).await;
    expect_error(
        app.get("/api/v1/nope").send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        app.get("/nope").send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

/// A database that answers reads but refuses writes (a full disk, a read-only replica) is not
/// ready: readiness proves a write. Here a trigger makes the probe's write fail as a full
/// disk would; once it is gone the node is ready again.
async fn ready_is_503_when_database_cannot_write(b: Backend) {
    let app = TestApp::new(b).await;
    let ddl: &[&str] = match b {
        Backend::Sqlite => &["CREATE TRIGGER refuse_writes BEFORE UPDATE ON health_probe \
              BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END"],
        Backend::Postgres => &[
            "CREATE FUNCTION refuse_writes() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_writes BEFORE UPDATE ON health_probe \
             FOR EACH ROW EXECUTE FUNCTION refuse_writes()",
        ],
    };
    let mut conn = app.services().db.conn().await.unwrap();
    for q in ddl {
        sqlx::query(q).execute(&mut *conn).await.unwrap();
    }
    drop(conn);
    let res = app.get("/health/ready").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["checks"]["database"]["status"], "error", "{v}");
    // Reads still work.
    let res = app.get("/api/v1/search?q=x").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut conn = app.services().db.conn().await.unwrap();
    let drop_trigger = match b {
        Backend::Sqlite => "DROP TRIGGER refuse_writes",
        Backend::Postgres => "DROP TRIGGER refuse_writes ON health_probe",
    };
    sqlx::query(drop_trigger).execute(&mut *conn).await.unwrap();
    drop(conn);
    let res = app.get("/health/ready").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
}

/// Starts the app's server again on its configuration (after a shutdown).
async fn restart(app: &mut TestApp) {
    let server = app.start_node().await;
    app.base = server.base_url();
    app.server = Some(server);
}

/// Renames the table search reads its reindex generation from, so that building an index
/// fails until the test renames it back (`search_state_away` → `search_state`); returns
/// the connection to do that with.
async fn hide_search_state(app: &TestApp) -> sqlx::AnyConnection {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
    sqlx::raw_sql("ALTER TABLE search_state RENAME TO search_state_away")
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

/// Undoes [`hide_search_state`].
async fn show_search_state(mut conn: sqlx::AnyConnection) {
    use sqlx::Connection as _;
    sqlx::raw_sql("ALTER TABLE search_state_away RENAME TO search_state")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

/// Without a saved index, the search index is built in the background at start: the node
/// answers `/health/live` at once, `/health/ready` (and searches) 503 until the index is
/// built, and builds it once it can. Here the build cannot read the search state until the
/// test gives it back.
async fn ready_waits_for_the_search_index(b: Backend) {
    let mut app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    alice.publish("alice/widget", "1.0.0").await;
    app.server.take().unwrap().shutdown().await.expect("clean shutdown");
    // No saved index: it must be built.
    std::fs::remove_dir_all(app.config.data_dir.join("search")).unwrap();
    let conn = hide_search_state(&app).await;
    restart(&mut app).await;
    assert_eq!(app.get("/health/live").send().await.unwrap().status(), StatusCode::OK);
    let res = app.get("/health/ready").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v = res.json::<serde_json::Value>().await.unwrap();
    assert_eq!(v["checks"]["search"]["status"], "error", "{v}");
    assert_eq!(v["checks"]["database"]["status"], "ok", "{v}");
    let res = app.get("/api/v1/search?q=widget").send().await.unwrap();
    expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "search_unavailable").await;
    // Other requests are served meanwhile.
    let res = app.get("/api/v1/packages/alice/widget").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    show_search_state(conn).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let res = app.get("/health/ready").send().await.unwrap();
        if res.status() == StatusCode::OK {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never ready: {}",
            res.text().await.unwrap()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let found = json_ok(app.get("/api/v1/search?q=widget").send().await.unwrap()).await;
    assert_eq!(found["results"][0]["full_name"], "alice/widget", "{found}");
    app.stop().await;
}

/// A restarted node opens the index it saved instead of rebuilding it: it is ready as soon
/// as the index is open, even while the database cannot tell it anything about search (a
/// rebuild would need that), and it then catches up with what changed while it was down.
async fn a_restart_opens_the_saved_search_index(b: Backend) {
    let mut app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    alice.publish("alice/widget", "1.0.0").await;
    alice.publish("alice/gadget", "1.0.0").await;
    let search_dir = app.config.data_dir.join("search");
    let current = std::fs::read_to_string(search_dir.join("CURRENT")).unwrap();
    assert!(
        search_dir.join(current.trim()).is_dir(),
        "CURRENT names the index: {current}"
    );
    app.server.take().unwrap().shutdown().await.expect("clean shutdown");

    // While the node is down, a package changes behind its back.
    let mut conn = hide_search_state(&app).await;
    let sql = |s: &'static str| sqlx::raw_sql(s);
    sql("UPDATE packages SET description = 'Changed while the node was down', updated_at = updated_at + 1 WHERE name = 'gadget'")
        .execute(&mut conn)
        .await
        .unwrap();
    restart(&mut app).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.get("/health/ready").send().await.unwrap().status() != StatusCode::OK {
        assert!(std::time::Instant::now() < deadline, "the saved index was not opened");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let found = json_ok(app.get("/api/v1/search?q=widget").send().await.unwrap()).await;
    assert_eq!(found["results"][0]["full_name"], "alice/widget", "{found}");
    assert_eq!(
        std::fs::read_to_string(search_dir.join("CURRENT")).unwrap(),
        current,
        "opened, not rebuilt"
    );

    let found = json_ok(app.get("/api/v1/search?q=changed").send().await.unwrap()).await;
    assert_eq!(found["total"], 0, "the saved index knows nothing of it yet: {found}");

    // Once the database answers again, the node catches up.
    show_search_state(conn).await;
    let index = app.services().search_index.clone();
    index.sync().await.unwrap();
    let found = json_ok(app.get("/api/v1/search?q=changed").send().await.unwrap()).await;
    assert_eq!(found["results"][0]["full_name"], "alice/gadget", "{found}");
    assert_eq!(index.generation().await, 0, "no reindex was asked for");
    app.stop().await;
}

/// A saved index that cannot be read (damaged files, or a directory that is no index) is
/// not trusted: the node rebuilds it from the database into a new directory and removes
/// the damaged one.
async fn a_damaged_saved_index_is_rebuilt(b: Backend) {
    let mut app = TestApp::new(b).await;
    let alice = app.user("alice").await;
    alice.publish("alice/widget", "1.0.0").await;
    app.server.take().unwrap().shutdown().await.expect("clean shutdown");
    let search_dir = app.config.data_dir.join("search");
    let damaged = search_dir.join(std::fs::read_to_string(search_dir.join("CURRENT")).unwrap().trim());
    std::fs::write(damaged.join("meta.json"), b"{ not json").unwrap();
    restart(&mut app).await;
    app.services().search_index.wait_built().await;
    let found = json_ok(app.get("/api/v1/search?q=widget").send().await.unwrap()).await;
    assert_eq!(found["results"][0]["full_name"], "alice/widget", "{found}");
    let current = std::fs::read_to_string(search_dir.join("CURRENT")).unwrap();
    assert_ne!(search_dir.join(current.trim()), damaged, "rebuilt elsewhere");
    assert!(!damaged.exists(), "the damaged index is removed");
    app.stop().await;
}

both_backends!(
    ready_waits_for_the_search_index,
    a_restart_opens_the_saved_search_index,
    a_damaged_saved_index_is_rebuilt,
    ready_is_503_when_database_cannot_write,
    live_ready_and_request_ids,
    ready_is_503_when_database_is_down,
    ready_is_503_when_storage_is_down,
    metrics_count_requests_by_route_and_status,
    unknown_routes_get_json_404,
);
