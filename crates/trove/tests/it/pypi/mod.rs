//! PyPI (`/pypi`) over real HTTP: uploads with twine and `uv publish`, installs with pip and
//! `uv pip install` from the simple index, the PEP 691 JSON field by field, privacy, and
//! hostile uploads. The clients come from `scripts/install-pypi-clients.sh` (a virtual
//! environment at `$TROVE_TEST_PYPI_CLIENTS`, default `~/.cache/trove-pypi-clients`); a missing
//! client fails the test.

mod clients;
mod privacy;
mod simple;
mod upload;

pub use crate::common::*;
pub use reqwest::{Method, StatusCode};
pub use serde_json::{json, Value};
use sha2::Digest as _;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const PASSWORD: &str = "correct horse";
pub const JSON_V1: &str = "application/vnd.pypi.simple.v1+json";

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn clients_dir() -> PathBuf {
    std::env::var_os("TROVE_TEST_PYPI_CLIENTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/trove-pypi-clients"))
}

/// A tool of the clients' virtual environment.
pub fn tool(name: &str) -> PathBuf {
    present(clients_dir().join("bin").join(name))
}

/// twine 6.1, the last release that honours `--skip-existing` for an index other than
/// pypi.org (see scripts/install-pypi-clients.sh); `tool("twine")` is the newest.
pub fn twine_6_1() -> PathBuf {
    present(clients_dir().join("twine-6.1/bin/twine"))
}

fn present(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: install the PyPI clients with scripts/install-pypi-clients.sh",
        path.display()
    );
    path
}

/// What a client printed and whether it succeeded.
pub struct Ran {
    pub ok: bool,
    pub output: String,
}

/// Runs a client in `dir` with an environment that reaches no other index and no user
/// configuration.
pub async fn run_in(dir: &Path, program: PathBuf, args: &[&str]) -> Ran {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let home = dir.join(".home");
        std::fs::create_dir_all(&home).unwrap();
        let out = Command::new(&program)
            .args(&args)
            .current_dir(&dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PIP_NO_CACHE_DIR", "1")
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("UV_CACHE_DIR", dir.join(".uv-cache"))
            .env("UV_NO_CONFIG", "1")
            .env("UV_PYTHON_DOWNLOADS", "never")
            .env("TWINE_NON_INTERACTIVE", "1")
            .output()
            .unwrap_or_else(|e| panic!("{} could not be run: {e}", program.display()));
        let output = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ran {
            ok: out.status.success(),
            output,
        }
    })
    .await
    .unwrap()
}

/// Runs a client and asserts it succeeded.
pub async fn run_ok(dir: &Path, program: PathBuf, args: &[&str]) -> String {
    let ran = run_in(dir, program.clone(), args).await;
    assert!(
        ran.ok,
        "`{} {}` failed:\n{}",
        program.display(),
        args.join(" "),
        ran.output
    );
    ran.output
}

/// Writes a tiny setuptools project and builds its sdist and wheel with `python -m build`
/// (no isolation: setuptools comes from the clients' environment, not from an index).
/// Returns `[sdist, wheel]`.
pub async fn build_project(work: &Path, name: &str, version: &str, deps: &[&str]) -> Vec<PathBuf> {
    let dir = work.join(format!("src-{name}-{version}"));
    let module = name.to_lowercase().replace(['-', '.'], "_");
    std::fs::create_dir_all(dir.join("src").join(&module)).unwrap();
    let deps: Vec<String> = deps.iter().map(|d| format!("\"{d}\"")).collect();
    std::fs::write(
        dir.join("pyproject.toml"),
        format!(
            "[build-system]\nrequires = [\"setuptools>=75\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
             [project]\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"{name} for Trove tests\"\n\
             readme = \"README.md\"\nrequires-python = \">=3.8\"\nkeywords = [\"trove\", \"test\"]\n\
             dependencies = [{}]\n\n[project.urls]\nSource = \"https://example.com/{module}\"\n",
            deps.join(", ")
        ),
    )
    .unwrap();
    std::fs::write(dir.join("README.md"), format!("# {name}\n\nA test project.\n")).unwrap();
    std::fs::write(
        dir.join("src").join(&module).join("__init__.py"),
        format!("VERSION = \"{version}\"\n"),
    )
    .unwrap();
    run_ok(
        &dir,
        tool("python"),
        &["-m", "build", "--no-isolation", "--outdir", "dist", "."],
    )
    .await;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("dist"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort_by_key(|p| !p.to_string_lossy().ends_with(".tar.gz"));
    assert_eq!(files.len(), 2, "{files:?}");
    files
}

/// The upload URL of a namespace (twine's `--repository-url`).
pub fn upload_url(app: &TestApp, scope: &str) -> String {
    app.url(&format!("/pypi/{scope}/"))
}

/// The simple index of a namespace, with credentials in it when given.
pub fn index_url(app: &TestApp, scope: &str, creds: Option<(&str, &str)>) -> String {
    let base = app.url(&format!("/pypi/{scope}/simple/"));
    match creds {
        Some((u, p)) => base.replacen("http://", &format!("http://{u}:{p}@"), 1),
        None => base,
    }
}

/// `twine upload` (the newest twine) of `files` with `__token__` and `token`.
pub async fn twine_upload(
    app: &TestApp,
    dir: &Path,
    scope: &str,
    token: &str,
    files: &[PathBuf],
    extra: &[&str],
) -> Ran {
    twine_upload_by(tool("twine"), app, dir, scope, token, files, extra).await
}

/// `twine upload` by the given twine.
pub async fn twine_upload_by(
    twine: PathBuf,
    app: &TestApp,
    dir: &Path,
    scope: &str,
    token: &str,
    files: &[PathBuf],
    extra: &[&str],
) -> Ran {
    let url = upload_url(app, scope);
    let mut args = vec![
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        &url,
        "-u",
        "__token__",
        "-p",
        token,
    ];
    args.extend_from_slice(extra);
    let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(files.iter().map(String::as_str));
    run_in(dir, twine, &args).await
}

/// A multipart upload body as twine sends it, for hostile uploads no real client would make.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "trove-test-boundary-7d1f";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The standard form fields of an upload of `filename`.
pub fn upload_fields<'a>(
    name: &'a str,
    version: &'a str,
    filetype: &'a str,
    sha256: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        (":action", "file_upload"),
        ("protocol_version", "1"),
        ("name", name),
        ("version", version),
        ("filetype", filetype),
        ("pyversion", "py3"),
        ("metadata_version", "2.4"),
        ("sha256_digest", sha256),
    ]
}

/// Posts a hand-made upload with Basic `__token__:token`.
pub async fn post_upload(app: &TestApp, scope: &str, token: &str, form: (String, Vec<u8>)) -> reqwest::Response {
    app.req(Method::POST, &format!("/pypi/{scope}/"))
        .basic_auth("__token__", Some(token))
        .header("content-type", form.0)
        .body(form.1)
        .send()
        .await
        .unwrap()
}

/// A zip archive (a hostile wheel) with the given members, deflated.
pub fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write as _;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}
