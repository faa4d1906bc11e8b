//! The Cargo alternate registry (`/cargo/{scope}/…`): the sparse index, the web API and
//! downloads over real HTTP, hostile publish bodies, private registries, and the machine's
//! real `cargo` publishing, resolving, building, yanking, managing owners and searching.

mod bad_input;
mod clients;
mod index;
mod privacy;
mod web;

use crate::common::*;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary publish body: u32 LE JSON length, JSON, u32 LE `.crate` length, `.crate`.
pub fn wire(metadata: &Value, crate_bytes: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(metadata).unwrap();
    let mut out = Vec::new();
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&(crate_bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(crate_bytes);
    out
}

/// A minimal `.crate` for `name@version` (whose Cargo.toml says `toml_name`).
pub fn crate_file(root: &str, toml_name: &str, version: &str) -> Vec<u8> {
    let toml = format!("[package]\nname = \"{toml_name}\"\nversion = \"{version}\"\nedition = \"2021\"\n");
    trove_tarball::ArchiveBuilder::new()
        .file(&format!("{root}/Cargo.toml"), toml.as_bytes())
        .file(&format!("{root}/src/lib.rs"), b"pub fn hello() {}\n")
        .finish()
}

/// Publish metadata as cargo sends it.
pub fn metadata(name: &str, version: &str, deps: Value) -> Value {
    json!({
        "name": name, "vers": version, "deps": deps, "features": {}, "authors": [],
        "description": format!("{name} test crate"), "documentation": null, "homepage": null,
        "readme": null, "readme_file": null, "keywords": [], "categories": [],
        "license": "MIT", "license_file": null, "repository": null, "badges": {},
        "links": null, "rust_version": null
    })
}

/// `PUT /cargo/{scope}/api/v1/crates/new` with a bare token, as cargo sends it.
pub async fn publish_raw(app: &TestApp, token: &str, scope: &str, body: Vec<u8>) -> Response {
    app.req(Method::PUT, &format!("/cargo/{scope}/api/v1/crates/new"))
        .header("authorization", token)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Publishes a minimal crate over HTTP and asserts success.
pub async fn publish_crate(app: &TestApp, user: &TestUser, scope: &str, name: &str, version: &str) {
    let body = wire(
        &metadata(name, version, json!([])),
        &crate_file(&format!("{name}-{version}"), name, version),
    );
    let res = publish_raw(app, &user.token, scope, body).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "publish {name}@{version}: {}",
        res.text().await.unwrap()
    );
}

/// A request as cargo sends it: the bare token in `Authorization` (`None`: anonymous).
pub async fn call(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> Response {
    let mut req = app.req(method, path);
    if let Some(token) = token {
        req = req.header("authorization", token);
    }
    req.send().await.unwrap()
}

/// An anonymous GET of `path` with one request header (a validator for revalidation).
pub async fn get_with(app: &TestApp, path: &str, header: &str, value: &str) -> Response {
    app.get(path).header(header, value).send().await.unwrap()
}

/// The body of an anonymous GET of `path` (an index file), whatever the status.
pub async fn get_text(app: &TestApp, path: &str) -> String {
    app.get(path).send().await.unwrap().text().await.unwrap()
}

/// The JSON of an anonymous GET of `path`, which must succeed.
pub async fn get_json(app: &TestApp, path: &str) -> Value {
    json_ok(app.get(path).send().await.unwrap()).await
}

/// An index file's lines, one JSON object each.
pub fn index_lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Asserts a cargo-shaped error (`{"errors":[{"detail"}]}`) with `status`; returns the detail.
pub async fn expect_cargo_error(res: Response, status: StatusCode) -> String {
    let got = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not a cargo error body: {text}"));
    let detail = v["errors"][0]["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail: {text}"));
    assert!(!detail.is_empty());
    detail.to_string()
}

/// Makes `scope`'s registry require a token.
pub async fn require_auth(app: &TestApp, admin: &TestUser, scope: &str) {
    let res = admin
        .req(Method::PUT, &format!("/cargo/{scope}/settings"))
        .json(&json!({ "auth_required": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let _ = app;
}

/// A throwaway `CARGO_HOME` whose config names Trove registries, and a target directory.
pub struct CargoHome {
    pub dir: tempfile::TempDir,
}

impl CargoHome {
    /// `registries`: `(name, scope)`; `crates_io`: a scope standing in for crates.io (source
    /// replacement), so that crates.io dependencies resolve offline.
    pub fn new(base: &str, registries: &[(&str, &str)], crates_io: Option<&str>) -> CargoHome {
        let dir = tempfile::tempdir().unwrap();
        let mut config = String::from("[net]\nretry = 0\n\n[term]\ncolor = \"never\"\n\n");
        for (name, scope) in registries {
            config.push_str(&format!(
                "[registries.{name}]\nindex = \"sparse+{base}/cargo/{scope}/index/\"\ncredential-provider = \"cargo:token\"\n\n"
            ));
        }
        if let Some(scope) = crates_io {
            config.push_str(&format!(
                "[source.crates-io]\nreplace-with = \"stand-in\"\n\n[source.stand-in]\nregistry = \"sparse+{base}/cargo/{scope}/index/\"\n"
            ));
        }
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        CargoHome { dir }
    }

    /// Runs the machine's cargo in `cwd` with this home; returns (success, stdout, stderr).
    pub async fn run(&self, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
        self.run_with_stdin(cwd, args, env, None).await
    }

    pub async fn run_with_stdin(
        &self,
        cwd: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<String>,
    ) -> (bool, String, String) {
        let home = self.dir.path().to_path_buf();
        let cwd = cwd.to_path_buf();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        tokio::task::spawn_blocking(move || {
            use std::io::Write as _;
            let mut cmd = Command::new("cargo");
            cmd.args(&args)
                .current_dir(&cwd)
                .env("CARGO_HOME", &home)
                .env("CARGO_TARGET_DIR", home.join("target"))
                .env("CARGO_TERM_COLOR", "never")
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_BUILD_TARGET_DIR")
                .envs(env)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let mut child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("`cargo` could not be run ({e}): it must be on PATH"));
            let input = stdin.unwrap_or_default();
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
        .await
        .unwrap()
    }

    /// Runs cargo and panics with its output unless it succeeds; returns stdout.
    pub async fn ok(&self, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
        let (ok, out, err) = self.run(cwd, args, env).await;
        assert!(ok, "`cargo {}` failed:\n{out}\n{err}", args.join(" "));
        out
    }
}

/// Writes a crate project (`Cargo.toml` body after `[package]`, and `src/lib.rs` or `src/main.rs`).
pub fn project(root: &Path, dir: &str, cargo_toml: &str, file: &str, source: &str) -> PathBuf {
    let path = root.join(dir);
    std::fs::create_dir_all(path.join("src")).unwrap();
    std::fs::write(path.join("Cargo.toml"), cargo_toml).unwrap();
    std::fs::write(path.join("src").join(file), source).unwrap();
    path
}
