//! OCI distribution (`/v2`) over real HTTP: every endpoint and error path of the spec, auth
//! and token scopes, private repositories, garbage collection against concurrent pushes,
//! several nodes, S3, and real clients (skopeo, podman, oras).

mod auth;
pub(crate) mod clients;
mod discovery;
mod gc;
mod manage;
mod native;
mod perf;
mod privacy;
mod pull;
mod push;
mod s3;
mod stats;

use crate::common::*;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use sha2::Digest as _;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

pub fn sha512(bytes: &[u8]) -> String {
    format!("sha512:{}", hex::encode(sha2::Sha512::digest(bytes)))
}

/// Deterministic pseudo-random bytes.
pub fn bytes_of(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2654435761) >> 24) as u8)
        .collect()
}

/// A `/v2` client for one caller (an `Authorization` header value, or anonymous).
#[derive(Clone)]
pub struct Oci {
    pub base: String,
    pub client: reqwest::Client,
    pub auth: Option<String>,
}

impl Oci {
    pub fn anonymous(app: &TestApp) -> Oci {
        Oci {
            base: app.base.clone(),
            client: app.client.clone(),
            auth: None,
        }
    }

    /// Authenticated with the user's all-scopes API token.
    pub fn user(app: &TestApp, user: &TestUser) -> Oci {
        Self::token(app, &user.token)
    }

    pub fn token(app: &TestApp, token: &str) -> Oci {
        Oci {
            auth: Some(format!("Bearer {token}")),
            ..Self::anonymous(app)
        }
    }

    pub fn basic(app: &TestApp, user: &str, password: &str) -> Oci {
        use base64::Engine as _;
        let creds = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Oci {
            auth: Some(format!("Basic {creds}")),
            ..Self::anonymous(app)
        }
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        };
        let r = self.client.request(method, url);
        match &self.auth {
            Some(a) => r.header("authorization", a),
            None => r,
        }
    }

    /// The same caller through another node (`base`: its base URL).
    pub fn via(&self, base: String) -> Oci {
        Oci { base, ..self.clone() }
    }

    pub async fn send(&self, method: Method, path: &str) -> Response {
        self.req(method, path).send().await.unwrap()
    }

    /// Pushes a blob monolithically (`POST ?digest=`); asserts 201 and returns its digest.
    pub async fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let res = self
            .req(Method::POST, &format!("/v2/{repo}/blobs/uploads/?digest={digest}"))
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "push blob: {}",
            res.text().await.unwrap()
        );
        digest
    }

    /// Pushes a manifest; returns the response.
    pub async fn put_manifest(&self, repo: &str, reference: &str, media_type: &str, body: &[u8]) -> Response {
        self.req(Method::PUT, &format!("/v2/{repo}/manifests/{reference}"))
            .header("content-type", media_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// Pushes a small image (config + layers) under `tag`; returns the manifest's bytes.
    pub async fn push_image(&self, repo: &str, tag: &str, layers: &[&[u8]]) -> Vec<u8> {
        let config =
            json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}, "tag": tag})
                .to_string()
                .into_bytes();
        let config_digest = self.push_blob(repo, &config).await;
        let mut descs = Vec::new();
        for l in layers {
            let d = self.push_blob(repo, l).await;
            descs.push(json!({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": l.len()}));
        }
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": descs,
        }))
        .unwrap();
        let res = self.put_manifest(repo, tag, OCI_MANIFEST, &manifest).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "push manifest: {}",
            res.text().await.unwrap()
        );
        manifest
    }
}

/// An upload's location with `digest=` added (the closing `PUT`'s URL).
pub fn with_digest(loc: &str, digest: &str) -> String {
    format!("{loc}{}digest={digest}", if loc.contains('?') { '&' } else { '?' })
}

/// The id of the upload at `loc` (the last segment of its path).
pub fn upload_id_at(loc: &str) -> String {
    loc.rsplit('/').next().unwrap().split('?').next().unwrap().to_string()
}

/// Asserts the status and the spec error body's code; returns the body.
pub async fn oci_error(res: Response, status: StatusCode, code: &str) -> Value {
    let got = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not an OCI error body: {text}"));
    assert_eq!(v["errors"][0]["code"], code, "body: {text}");
    assert!(v["errors"][0]["message"].is_string(), "body: {text}");
    v
}

pub fn header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The JSON claims of a registry token.
pub fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
