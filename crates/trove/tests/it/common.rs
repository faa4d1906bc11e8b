//! `TestApp`: a real `trove server` in this process on 127.0.0.1:0, over a throwaway
//! SQLite or PostgreSQL database and a temporary directory (or the test S3 server), driven
//! over real HTTP.

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use trove_server::{Config, RunningServer};
use trove_service::Services;
use trove_testkit::{Backend, TestDb};

/// A change to the configuration, applied before the server starts.
type Tweak = Box<dyn FnOnce(&mut Config)>;

pub struct TestAppBuilder {
    backend: Backend,
    s3: bool,
    tweak: Vec<Tweak>,
    client: Option<reqwest::Client>,
    listener_base_url: bool,
}

impl TestAppBuilder {
    pub fn s3(mut self) -> Self {
        self.s3 = true;
        self
    }

    /// The HTTP client of the app's helpers (e.g. one trusting a test CA).
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Sets `server.base_url` to the address the server listens on, as a deployment
    /// configures it, so the URLs its pages print (install snippets) work as written.
    pub fn listener_base_url(mut self) -> Self {
        self.listener_base_url = true;
        self
    }

    /// Adjusts the configuration before the server starts.
    pub fn config(mut self, f: impl FnOnce(&mut Config) + 'static) -> Self {
        self.tweak.push(Box::new(f));
        self
    }

    pub async fn start(self) -> TestApp {
        let db = TestDb::new(self.backend).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };

        config.database.url = Some(db.url.clone());
        config.database.max_connections = 8;
        config.server.listen = "127.0.0.1:0".into();
        config.auth.argon2_memory_kib = 1024;
        config.stats.flush_interval_ms = 100;
        config.server.shutdown_timeout_secs = 5;
        if self.s3 {
            if let trove_storage::StorageConfig::S3 {
                bucket,
                endpoint,
                access_key_id,
                secret_access_key,
                prefix,
                ..
            } = trove_testkit::s3_storage()
            {
                config.storage.backend = "s3".into();
                config.storage.bucket = Some(bucket);
                config.storage.endpoint = endpoint;
                config.storage.access_key_id = access_key_id;
                config.storage.secret_access_key = secret_access_key;
                config.storage.prefix = prefix;
            }
        }
        for f in self.tweak {
            f(&mut config);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        if self.listener_base_url {
            config.server.base_url = Some(format!("http://{}", listener.local_addr().expect("address")));
        }
        let server = trove_server::start(config.clone(), listener, false)
            .await
            .expect("server starts");
        // The search index is built in the background; tests search at once.
        server.services.search_index.wait_built().await;
        TestApp {
            base: server.base_url(),
            server: Some(server),
            db,
            dir,
            config,
            client: self
                .client
                .unwrap_or_else(|| reqwest::Client::builder().build().expect("client")),
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub server: Option<RunningServer>,
    pub db: TestDb,
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub client: reqwest::Client,
}

impl TestApp {
    pub fn builder(backend: Backend) -> TestAppBuilder {
        TestAppBuilder {
            backend,
            s3: false,
            tweak: Vec::new(),
            client: None,
            listener_base_url: false,
        }
    }

    pub async fn new(backend: Backend) -> TestApp {
        Self::builder(backend).start().await
    }

    /// Starts another node on this app's configuration (same database, storage and data
    /// directory) on a free port, as a second node of a scale-out or a restarted one.
    pub async fn start_node(&self) -> RunningServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        trove_server::start(self.config.clone(), listener, false).await.unwrap()
    }

    pub fn services(&self) -> &Services {
        &self.server.as_ref().expect("running").services
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// An anonymous request.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.req(Method::GET, path)
    }

    /// Registers a user through the API, logs in, and creates an all-scopes token.
    pub async fn user(&self, name: &str) -> TestUser {
        let res = self
            .req(Method::POST, "/api/v1/users")
            .json(&json!({ "username": name, "email": format!("{name}@example.com"), "password": "correct horse" }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "register {name}: {}",
            res.text().await.unwrap()
        );
        self.login(name).await
    }

    /// Creates a site admin directly through the service (as `trove admin create-user` does).
    pub async fn admin(&self, name: &str) -> TestUser {
        self.services()
            .accounts()
            .create_user(
                &trove_service::Ctx::anonymous(),
                trove_service::accounts::NewUser {
                    username: name.into(),
                    email: format!("{name}@example.com"),
                    password: "correct horse".into(),
                },
                true,
            )
            .await
            .expect("create admin");
        self.login(name).await
    }

    pub async fn login(&self, name: &str) -> TestUser {
        let res = self
            .req(Method::POST, "/api/v1/session")
            .json(&json!({ "username": name, "password": "correct horse" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("session cookie")
            .to_string();
        let body: Value = res.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().expect("csrf").to_string();
        let mut user = TestUser {
            name: name.into(),
            token: String::new(),
            cookie,
            csrf,
            base: self.base.clone(),
            client: self.client.clone(),
        };
        user.token = user.create_token(json!({ "name": "all", "scopes": ["admin"] })).await;
        user
    }

    /// Writes buffered download counts now.
    pub async fn flush_downloads(&self) {
        self.services().flush_downloads().await.expect("flush");
    }

    /// Number of blobs in the store.
    pub async fn blob_count(&self) -> usize {
        self.services().store.list().await.expect("list blobs").len()
    }

    /// Files left in the staging directory (must be none between requests).
    pub fn staging_files(&self) -> usize {
        std::fs::read_dir(self.config.staging_dir())
            .map(|d| d.count())
            .unwrap_or(0)
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await.expect("clean shutdown");
        }
    }
}

#[allow(dead_code)]
pub struct TestUser {
    pub name: String,
    pub token: String,
    pub cookie: String,
    pub csrf: String,
    base: String,
    client: reqwest::Client,
}

impl TestUser {
    /// A request authenticated with this user's all-scopes token.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.with_token(&self.token, method, path)
    }

    pub fn with_token(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(token)
    }

    /// A request authenticated with the session cookie (no CSRF header).
    pub fn with_cookie(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
            .header("cookie", &self.cookie)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.req(Method::GET, path)
    }

    /// Creates a token through the session (cookie + CSRF) and returns its secret.
    pub async fn create_token(&self, body: Value) -> String {
        let res = self
            .with_cookie(Method::POST, "/api/v1/tokens")
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "create token: {}",
            res.text().await.unwrap()
        );
        let v: Value = res.json().await.unwrap();
        v["token"].as_str().expect("token").to_string()
    }

    /// Creates an organization as setup for a test (orgs.rs tests the endpoint itself).
    pub async fn create_org(&self, body: Value) {
        let res = self.req(Method::POST, "/api/v1/orgs").json(&body).send().await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "create org: {}",
            res.text().await.unwrap()
        );
    }

    /// Adds `username` to `org` with `role` (or changes their role), as setup for a test.
    pub async fn set_member(&self, org: &str, username: &str, role: &str) {
        let res = self
            .req(Method::PUT, &format!("/api/v1/orgs/{org}/members/{username}"))
            .json(&serde_json::json!({ "role": role }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "set member: {}",
            res.text().await.unwrap()
        );
    }

    /// Uploads an archive for `full@version`.
    pub async fn publish_bytes(&self, full: &str, version: &str, archive: Vec<u8>) -> Response {
        self.publish_with(&self.token, full, version, archive).await
    }

    pub async fn publish_with(&self, token: &str, full: &str, version: &str, archive: Vec<u8>) -> Response {
        self.with_token(
            token,
            Method::PUT,
            &format!("/api/v1/packages/{full}/versions/{version}"),
        )
        .header("content-type", "application/gzip")
        .body(archive)
        .send()
        .await
        .unwrap()
    }

    /// Publishes a simple valid package and asserts 201.
    pub async fn publish(&self, full: &str, version: &str) -> Value {
        let res = self
            .publish_bytes(full, version, trove_tarball::simple_package(full, version, "# Hello\n"))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "publish {full}@{version}: {}",
            res.text().await.unwrap()
        );
        res.json().await.unwrap()
    }
}

/// Asserts the status and the error envelope's code; returns the message.
pub async fn expect_error(res: Response, status: StatusCode, code: &str) -> String {
    let got = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not a JSON error envelope: {text}"));
    assert_eq!(v["error"]["code"], code, "body: {text}");
    let msg = v["error"]["message"].as_str().expect("message").to_string();
    assert!(!msg.is_empty());
    msg
}

pub async fn json_ok(res: Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "status {status}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}"))
}

/// Archive with a manifest carrying dependencies.
pub fn package_with_deps(full: &str, version: &str, deps: &[(&str, &str)]) -> Vec<u8> {
    trove_tarball::ArchiveBuilder::new()
        .file(
            "trove.toml",
            trove_tarball::manifest_toml(full, version, deps).as_bytes(),
        )
        .file("README.md", b"# readme\n")
        .finish()
}
