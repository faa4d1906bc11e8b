//! A typed async client for Trove's native REST API (`/api/v1`), shared by the `trove` CLI and
//! tests. Every call returns typed data or a [`ClientError`] that keeps the registry's
//! `{"error": {"code", "message"}}` envelope and HTTP status.
//!
//! ```no_run
//! # async fn demo() -> Result<(), trove_client::ClientError> {
//! let client = trove_client::Client::new("http://127.0.0.1:8080", None)?;
//! let versions = client.list_versions("alice/widget").await?;
//! # Ok(()) }
//! ```

mod error;
pub mod osv;
mod types;

pub use error::ClientError;
pub use types::*;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::{header, Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// Called with the number of bytes sent so far during an upload.
pub type UploadProgress = Arc<dyn Fn(u64) + Send + Sync>;

const UPLOAD_CHUNK: usize = 64 * 1024;

/// A client for one registry, optionally authenticated with an API token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Percent-encodes one path segment (everything but unreserved characters).
fn seg(s: &str) -> String {
    if s.bytes().all(|b| b == b'.') {
        // `.` and `..` would be resolved away by URL normalization.
        return s.bytes().map(|_| "%2E").collect();
    }
    trove_core::url::encode(s)
}

/// `scope/name` → `scope/name` with both parts encoded (a missing scope stays empty).
fn pkg(full: &str) -> String {
    match full.split_once('/') {
        Some((scope, name)) => format!("{}/{}", seg(scope), seg(name)),
        None => format!("{}/", seg(full)),
    }
}

impl Client {
    /// A client for the registry at `base_url` (`http://host:port`, with or without a trailing
    /// `/`), sending `token` as a bearer credential when given.
    pub fn new(base_url: &str, token: Option<String>) -> Result<Client> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        let rest = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"))
            .ok_or_else(|| ClientError::InvalidUrl(base_url.to_string()))?;
        if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
            return Err(ClientError::InvalidUrl(base_url.to_string()));
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("trove-cli/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            // Per read, not per request: a stalled registry fails, a slow big transfer does not.
            .read_timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| ClientError::from_reqwest(&base, e))?;
        Ok(Client {
            http,
            base,
            token: token.filter(|t| !t.trim().is_empty()),
        })
    }

    /// The same registry with another credential.
    pub fn with_token(&self, token: Option<String>) -> Client {
        Client {
            token: token.filter(|t| !t.trim().is_empty()),
            ..self.clone()
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    fn request(&self, method: Method, url: &str) -> RequestBuilder {
        let rb = self.http.request(method, url);
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    async fn send(&self, rb: RequestBuilder, url: &str) -> Result<Response> {
        let res = rb.send().await.map_err(|e| ClientError::from_reqwest(url, e))?;
        if res.status().is_success() {
            return Ok(res);
        }
        let status = res.status().as_u16();
        let body = res.bytes().await.unwrap_or_default();
        Err(error::from_body(url, status, &body))
    }

    async fn decode<T: DeserializeOwned>(res: Response, url: &str) -> Result<T> {
        let status = res.status().as_u16();
        let body = res.bytes().await.map_err(|e| ClientError::from_reqwest(url, e))?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Protocol {
            url: url.to_string(),
            status,
            detail: format!("the response is not the expected JSON: {e}"),
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<T> {
        let url = self.url(path);
        let mut rb = self.request(method, &url);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = self.send(rb, &url).await?;
        Self::decode(res, &url).await
    }

    /// For endpoints answering 204 No Content.
    async fn call_empty(&self, method: Method, path: &str) -> Result<()> {
        let url = self.url(path);
        self.send(self.request(method, &url), &url).await?;
        Ok(())
    }

    // ---- accounts ----

    /// `GET /me`: who the token belongs to.
    pub async fn me(&self) -> Result<Me> {
        self.call(Method::GET, "/me", None).await
    }

    /// `POST /device/code`: starts a device login (sent without credentials).
    pub async fn device_code(&self, client_name: Option<&str>) -> Result<DeviceCode> {
        let url = self.url("/device/code");
        let rb = self.http.post(&url).json(&DeviceCodeRequest {
            client_name: client_name.map(str::to_string),
        });
        let res = self.send(rb, &url).await?;
        Self::decode(res, &url).await
    }

    /// `POST /device/token`: one poll. Pending logins fail with the codes
    /// `authorization_pending` and `slow_down`; see [`ClientError::code`].
    pub async fn device_token(&self, device_code: &str) -> Result<DeviceGrant> {
        let url = self.url("/device/token");
        let rb = self.http.post(&url).json(&DeviceTokenRequest {
            device_code: device_code.to_string(),
        });
        let res = self.send(rb, &url).await?;
        Self::decode(res, &url).await
    }

    /// `POST /device/approve` (needs an `admin`-scoped token).
    pub async fn approve_device(&self, user_code: &str) -> Result<DeviceDecision> {
        self.call(
            Method::POST,
            "/device/approve",
            Some(body(UserCode {
                user_code: user_code.to_string(),
            })),
        )
        .await
    }

    /// `POST /device/deny` (needs an `admin`-scoped token).
    pub async fn deny_device(&self, user_code: &str) -> Result<DeviceDecision> {
        self.call(
            Method::POST,
            "/device/deny",
            Some(body(UserCode {
                user_code: user_code.to_string(),
            })),
        )
        .await
    }

    // ---- tokens ----

    pub async fn list_tokens(&self) -> Result<Vec<Token>> {
        self.call(Method::GET, "/tokens", None).await
    }

    pub async fn create_token(&self, new: &NewToken) -> Result<TokenCreated> {
        self.call(Method::POST, "/tokens", Some(body(new))).await
    }

    pub async fn revoke_token(&self, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/tokens/{id}")).await
    }

    // ---- packages ----

    pub async fn get_package(&self, package: &str) -> Result<Package> {
        self.call(Method::GET, &format!("/packages/{}", pkg(package)), None)
            .await
    }

    /// Every live version, newest first, yanked ones included (and marked).
    pub async fn list_versions(&self, package: &str) -> Result<Vec<Version>> {
        self.call(Method::GET, &format!("/packages/{}/versions", pkg(package)), None)
            .await
    }

    pub async fn get_version(&self, package: &str, version: &str) -> Result<Version> {
        let path = format!("/packages/{}/versions/{}", pkg(package), seg(version));
        self.call(Method::GET, &path, None).await
    }

    /// Packages of a user or organization that the caller can see.
    pub async fn list_namespace_packages(&self, scope: &str) -> Result<Vec<Package>> {
        self.call(Method::GET, &format!("/namespaces/{}/packages", seg(scope)), None)
            .await
    }

    /// Uploads an archive. `visibility` applies to a package's first version only;
    /// `progress` is told how many bytes went out so far.
    pub async fn publish(
        &self,
        package: &str,
        version: &str,
        archive: Bytes,
        visibility: Option<&str>,
        progress: Option<UploadProgress>,
    ) -> Result<Version> {
        let mut url = self.url(&format!("/packages/{}/versions/{}", pkg(package), seg(version)));
        if let Some(v) = visibility {
            url.push_str(&format!("?visibility={}", seg(v)));
        }
        let len = archive.len();
        let chunks: Vec<Bytes> = (0..len)
            .step_by(UPLOAD_CHUNK)
            .map(|start| archive.slice(start..(start + UPLOAD_CHUNK).min(len)))
            .collect();
        let mut sent = 0u64;
        let stream = futures::stream::iter(chunks).map(move |chunk| {
            sent += chunk.len() as u64;
            if let Some(p) = &progress {
                p(sent);
            }
            Ok::<Bytes, std::io::Error>(chunk)
        });
        let rb = self
            .request(Method::PUT, &url)
            .header(header::CONTENT_TYPE, "application/gzip")
            .header(header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap_stream(stream));
        let res = self.send(rb, &url).await?;
        Self::decode(res, &url).await
    }

    /// Starts downloading a version's archive; read it with [`Download::chunk`].
    pub async fn download(&self, package: &str, version: &str) -> Result<Download> {
        let url = self.url(&format!(
            "/packages/{}/versions/{}/download",
            pkg(package),
            seg(version)
        ));
        let res = self.send(self.request(Method::GET, &url), &url).await?;
        let digest = res
            .headers()
            .get("x-trove-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(Download {
            len: res.content_length(),
            digest,
            res,
            url,
        })
    }

    /// Yanks a version (saying why, if `reason`) or unyanks it.
    pub async fn set_yanked(
        &self,
        package: &str,
        version: &str,
        yanked: bool,
        reason: Option<&str>,
    ) -> Result<Version> {
        let path = format!("/packages/{}/versions/{}/yank", pkg(package), seg(version));
        match (yanked, reason) {
            (true, Some(r)) => {
                let yank = trove_wire::Yank {
                    reason: Some(r.to_string()),
                };
                self.call(Method::PUT, &path, Some(body(yank))).await
            }
            (true, None) => self.call(Method::PUT, &path, None).await,
            (false, _) => self.call(Method::DELETE, &path, None).await,
        }
    }

    /// Deprecates a version with `message`, or removes the deprecation with `None`.
    pub async fn set_deprecated(&self, package: &str, version: &str, message: Option<&str>) -> Result<Version> {
        let path = format!("/packages/{}/versions/{}/deprecation", pkg(package), seg(version));
        match message {
            Some(m) => {
                let deprecation = trove_wire::Deprecation { message: m.to_string() };
                self.call(Method::PUT, &path, Some(body(deprecation))).await
            }
            None => self.call(Method::DELETE, &path, None).await,
        }
    }

    pub async fn list_owners(&self, package: &str) -> Result<Vec<Owner>> {
        self.call(Method::GET, &format!("/packages/{}/owners", pkg(package)), None)
            .await
    }

    /// Adds `username` as `owner` or `maintainer` (or changes their role).
    pub async fn add_owner(&self, package: &str, username: &str, role: &str) -> Result<Vec<Owner>> {
        let path = format!("/packages/{}/owners/{}", pkg(package), seg(username));
        let role = OwnerRoleRequest { role: role.to_string() };
        self.call(Method::PUT, &path, Some(body(role))).await
    }

    pub async fn remove_owner(&self, package: &str, username: &str) -> Result<()> {
        let path = format!("/packages/{}/owners/{}", pkg(package), seg(username));
        self.call_empty(Method::DELETE, &path).await
    }

    // ---- organizations ----

    pub async fn create_org(&self, name: &str, description: Option<&str>) -> Result<Org> {
        let org = NewOrg {
            name: name.to_string(),
            description: description.map(str::to_string),
        };
        self.call(Method::POST, "/orgs", Some(body(org))).await
    }

    pub async fn get_org(&self, name: &str) -> Result<Org> {
        self.call(Method::GET, &format!("/orgs/{}", seg(name)), None).await
    }

    /// Adds a member with `role` (`owner`, `admin`, `write`, `read`) or changes their role.
    pub async fn set_member(&self, org: &str, username: &str, role: &str) -> Result<Vec<Member>> {
        let path = format!("/orgs/{}/members/{}", seg(org), seg(username));
        let role = MemberRole { role: role.to_string() };
        self.call(Method::PUT, &path, Some(body(role))).await
    }

    pub async fn remove_member(&self, org: &str, username: &str) -> Result<()> {
        let path = format!("/orgs/{}/members/{}", seg(org), seg(username));
        self.call_empty(Method::DELETE, &path).await
    }

    // ---- webhooks ----

    /// `GET /namespaces/{scope}/webhooks`.
    pub async fn list_webhooks(&self, scope: &str) -> Result<Vec<Webhook>> {
        self.call(Method::GET, &format!("/namespaces/{}/webhooks", seg(scope)), None)
            .await
    }

    /// `POST /namespaces/{scope}/webhooks`: the answer holds the signing secret, shown once.
    pub async fn create_webhook(&self, scope: &str, url: &str, events: &[String]) -> Result<WebhookCreated> {
        let hook = NewWebhook {
            url: url.to_string(),
            events: events.to_vec(),
        };
        let path = format!("/namespaces/{}/webhooks", seg(scope));
        self.call(Method::POST, &path, Some(body(hook))).await
    }

    /// `DELETE /namespaces/{scope}/webhooks/{id}`: the webhook and its delivery log.
    pub async fn delete_webhook(&self, scope: &str, id: i64) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/namespaces/{}/webhooks/{id}", seg(scope)))
            .await
    }

    /// `GET /namespaces/{scope}/webhooks/{id}/deliveries`: newest first, with attempts.
    pub async fn webhook_deliveries(&self, scope: &str, id: i64) -> Result<Vec<Delivery>> {
        let path = format!("/namespaces/{}/webhooks/{id}/deliveries", seg(scope));
        self.call(Method::GET, &path, None).await
    }

    /// `POST /namespaces/{scope}/webhooks/{id}/test`: queues a `ping` delivery.
    pub async fn test_webhook(&self, scope: &str, id: i64) -> Result<DeliveryQueued> {
        let path = format!("/namespaces/{}/webhooks/{id}/test", seg(scope));
        self.call(Method::POST, &path, None).await
    }

    // ---- retention and quotas ----

    /// `GET /namespaces/{scope}/retention`.
    pub async fn retention_policy(&self, scope: &str) -> Result<RetentionPolicy> {
        self.call(Method::GET, &format!("/namespaces/{}/retention", seg(scope)), None)
            .await
    }

    /// `PUT /namespaces/{scope}/retention`.
    pub async fn set_retention_policy(&self, scope: &str, rules: &RetentionRules) -> Result<RetentionPolicy> {
        let path = format!("/namespaces/{}/retention", seg(scope));
        self.call(Method::PUT, &path, Some(body(rules))).await
    }

    /// `DELETE /namespaces/{scope}/retention`.
    pub async fn delete_retention_policy(&self, scope: &str) -> Result<()> {
        self.call_empty(Method::DELETE, &format!("/namespaces/{}/retention", seg(scope)))
            .await
    }

    /// `GET /namespaces/{scope}/retention/preview`: what applying the policy would delete.
    pub async fn preview_retention(&self, scope: &str) -> Result<RetentionReport> {
        let path = format!("/namespaces/{}/retention/preview", seg(scope));
        self.call(Method::GET, &path, None).await
    }

    /// `POST /namespaces/{scope}/retention/apply`.
    pub async fn apply_retention(&self, scope: &str) -> Result<RetentionReport> {
        let path = format!("/namespaces/{}/retention/apply", seg(scope));
        self.call(Method::POST, &path, None).await
    }

    /// `GET /namespaces/{scope}/usage`.
    pub async fn storage_usage(&self, scope: &str) -> Result<StorageUsage> {
        self.call(Method::GET, &format!("/namespaces/{}/usage", seg(scope)), None)
            .await
    }

    /// `PUT /namespaces/{scope}/quota` (site admins); `None` removes the quota.
    pub async fn set_quota(&self, scope: &str, max_bytes: Option<i64>) -> Result<StorageUsage> {
        let path = format!("/namespaces/{}/quota", seg(scope));
        self.call(Method::PUT, &path, Some(body(QuotaUpdate { max_bytes })))
            .await
    }

    // ---- discovery ----

    /// `GET /search`.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        let url = self.url("/search");
        let rb = self.request(Method::GET, &url).query(&query.pairs());
        let res = self.send(rb, &url).await?;
        Self::decode(res, &url).await
    }

    /// `GET /packages/{scope}/{name}/stats`.
    pub async fn stats(&self, package: &str) -> Result<PackageStats> {
        self.call(Method::GET, &format!("/packages/{}/stats", pkg(package)), None)
            .await
    }
}

/// A request body as JSON.
fn body(value: impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).expect("wire types serialize")
}

/// An archive download in progress.
pub struct Download {
    /// The announced size, if any.
    pub len: Option<u64>,
    /// The registry's `X-Trove-Digest` header (what it claims to send; verify it yourself).
    pub digest: Option<String>,
    res: Response,
    url: String,
}

impl Download {
    /// The next piece of the body, or `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        self.res
            .chunk()
            .await
            .map_err(|e| ClientError::from_reqwest(&self.url, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_path_segments() {
        assert_eq!(seg("1.0.0+build.1"), "1.0.0%2Bbuild.1");
        assert_eq!(seg("a/b?c"), "a%2Fb%3Fc");
        assert_eq!(pkg("alice/my-pkg_1.x"), "alice/my-pkg_1.x");
        assert_eq!(pkg("../x/y"), "%2E%2E/x%2Fy");
        assert_eq!(seg("."), "%2E");
    }

    #[test]
    fn validates_base_urls() {
        assert!(Client::new("http://127.0.0.1:8080/", None).is_ok());
        assert_eq!(
            Client::new("https://x.example/", None).unwrap().base_url(),
            "https://x.example"
        );
        assert!(matches!(Client::new("ftp://x", None), Err(ClientError::InvalidUrl(_))));
        assert!(matches!(Client::new("http://", None), Err(ClientError::InvalidUrl(_))));
        assert!(!Client::new("http://x", Some("  ".into())).unwrap().has_token());
    }

    #[test]
    fn error_envelopes_decode() {
        let e = error::from_body(
            "u",
            404,
            br#"{"error":{"code":"not_found","message":"no such package"}}"#,
        );
        assert_eq!(e.code(), Some("not_found"));
        assert!(e.is_not_found());
        assert_eq!(e.to_string(), "no such package");
        let e = error::from_body("u", 502, b"<html>bad gateway</html>");
        assert_eq!(e.status(), Some(502));
        assert!(e.to_string().contains("bad gateway"));
    }

    #[test]
    fn search_query_pairs() {
        let q = SearchQuery {
            q: "widget".into(),
            kind: Some("model".into()),
            page: Some(2),
            ..Default::default()
        };
        assert_eq!(
            q.pairs(),
            vec![
                ("q", "widget".to_string()),
                ("kind", "model".into()),
                ("page", "2".into())
            ]
        );
    }
}
