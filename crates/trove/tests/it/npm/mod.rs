//! The npm registry front-end (`/npm`) over real HTTP: packuments, tarballs, publishes and
//! their refusals, dist-tags, deprecations, unpublishing, owners, logins, privacy, search and
//! audit (protocol.rs, refusals.rs, privacy.rs), and the real clients — npm, pnpm and yarn —
//! from fresh projects (clients.rs).

mod clients;
mod privacy;
mod protocol;
mod refusals;

use crate::common::*;
use base64::Engine as _;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use sha2::Digest as _;

pub const ABBREVIATED: &str = "application/vnd.npm.install-v1+json";
/// What npm, pnpm and yarn send.
pub const INSTALL_ACCEPT: &str = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

/// A tarball as `npm pack` makes it: `package/package.json` (the given fields plus name and
/// version), an index.js and a README.
pub fn tarball(name: &str, version: &str, fields: Value) -> Vec<u8> {
    let mut pj = json!({ "name": name, "version": version, "main": "index.js" });
    if let (Some(o), Some(extra)) = (pj.as_object_mut(), fields.as_object()) {
        o.extend(extra.clone());
    }
    trove_tarball::ArchiveBuilder::new()
        .file(
            "package/package.json",
            serde_json::to_vec_pretty(&pj).unwrap().as_slice(),
        )
        .file(
            "package/index.js",
            format!("module.exports = '{name}@{version}';\n").as_bytes(),
        )
        .file(
            "package/README.md",
            format!("# {name}\n\nThe readme of {version}.\n").as_bytes(),
        )
        .finish()
}

pub fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(sha1::Sha1::digest(bytes))
}

pub fn integrity(bytes: &[u8]) -> String {
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(bytes))
    )
}

/// The body `npm publish` sends for one version (see libnpmpublish): the version document
/// with `dist` (shasum, integrity, tarball URL), the dist-tag, and the tarball in base64.
pub fn publish_body(name: &str, version: &str, tarball: &[u8], tag: &str, fields: Value) -> Value {
    let mut doc = json!({ "name": name, "version": version, "main": "index.js" });
    if let (Some(o), Some(extra)) = (doc.as_object_mut(), fields.as_object()) {
        o.extend(extra.clone());
    }
    let short = name.rsplit('/').next().unwrap();
    let file = format!("{name}-{version}.tgz");
    doc["_id"] = json!(format!("{name}@{version}"));
    doc["dist"] = json!({
        "shasum": sha1_hex(tarball),
        "integrity": integrity(tarball),
        "tarball": format!("http://ignored.example/{name}/-/{short}-{version}.tgz"),
    });
    json!({
        "_id": name,
        "name": name,
        "description": doc.get("description").cloned().unwrap_or(Value::Null),
        "dist-tags": { tag: version },
        "versions": { version: doc },
        "access": null,
        "_attachments": {
            file: {
                "content_type": "application/octet-stream",
                "data": base64::engine::general_purpose::STANDARD.encode(tarball),
                "length": tarball.len(),
            }
        },
    })
}

/// `/npm` requests for one caller.
#[derive(Clone)]
pub struct Npm {
    pub base: String,
    pub client: reqwest::Client,
    pub token: Option<String>,
}

impl Npm {
    pub fn anonymous(app: &TestApp) -> Npm {
        Npm {
            base: app.base.clone(),
            client: app.client.clone(),
            token: None,
        }
    }

    pub fn with_token(app: &TestApp, token: &str) -> Npm {
        Npm {
            token: Some(token.to_string()),
            ..Npm::anonymous(app)
        }
    }

    pub fn user(app: &TestApp, user: &TestUser) -> Npm {
        Npm::with_token(app, &user.token)
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        let r = self.client.request(method, format!("{}/npm/{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.unwrap()
    }

    /// The full packument, asserting 200.
    pub async fn packument(&self, name: &str) -> Value {
        json_ok(self.get(&escape(name)).await).await
    }

    pub async fn abbreviated(&self, name: &str) -> Value {
        json_ok(
            self.req(Method::GET, &escape(name))
                .header("accept", INSTALL_ACCEPT)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn publish_raw(&self, name: &str, body: &Value) -> Response {
        self.req(Method::PUT, &escape(name)).json(body).send().await.unwrap()
    }

    /// Publishes a version made by [`tarball`] with `fields`, asserting 201.
    pub async fn publish(&self, name: &str, version: &str, fields: Value) -> Vec<u8> {
        self.publish_tagged(name, version, "latest", fields).await
    }

    pub async fn publish_tagged(&self, name: &str, version: &str, tag: &str, fields: Value) -> Vec<u8> {
        let tgz = tarball(name, version, fields.clone());
        let res = self
            .publish_raw(name, &publish_body(name, version, &tgz, tag, fields))
            .await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "publish {name}@{version}: {text}");
        tgz
    }
}

/// `@scope/name` as npm sends it in paths: `@scope%2fname`.
pub fn escape(name: &str) -> String {
    name.replacen('/', "%2f", 1)
}

/// Asserts an npm error: the status and `{"error": <message>, "code": <code>}`; returns the
/// message.
pub async fn npm_error(res: Response, status: StatusCode, code: &str) -> String {
    let got = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not npm's error shape: {text}"));
    assert_eq!(v["code"], code, "body: {text}");
    let msg = v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message: {text}"))
        .to_string();
    assert!(!msg.is_empty());
    msg
}
