//! The client's own files, in `$TROVE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/trove`, else
//! `~/.config/trove`:
//!
//! - `config.toml`: named registries and the default one
//!   ```toml
//!   default = "work"
//!   [registries.work]
//!   url = "https://trove.example.com"
//!   ```
//! - `credentials.toml` (mode 0600): a token per registry name, with the URL it was issued for,
//!   so a token is never sent to another server.
//!
//! The token in `TROVE_TOKEN` (for CI) wins over stored credentials.

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_REGISTRY: &str = "default";
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";
const CONFIG_FILE: &str = "config.toml";
const CREDENTIALS_FILE: &str = "credentials.toml";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The registry used when `--registry` is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default)]
    pub registries: BTreeMap<String, RegistryEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistryEntry {
    pub url: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    pub registries: BTreeMap<String, Credential>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credential {
    /// The registry URL the token belongs to.
    pub url: String,
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// Where the client keeps its files.
pub fn config_dir() -> anyhow::Result<PathBuf> {
    let from_env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = from_env("TROVE_CONFIG_DIR") {
        return Ok(d);
    }
    if let Some(d) = from_env("XDG_CONFIG_HOME") {
        return Ok(d.join("trove"));
    }
    if let Some(h) = from_env("HOME") {
        return Ok(h.join(".config").join("trove"));
    }
    bail!("cannot find a configuration directory: set TROVE_CONFIG_DIR or HOME")
}

fn read_toml<T: for<'de> Deserialize<'de> + Default>(path: &Path) -> anyhow::Result<T> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).with_context(|| format!("{} is not valid", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes `text` to `path` through a temporary file; `private` files are created 0600.
fn write_file(path: &Path, text: &str, private: bool) -> anyhow::Result<()> {
    let dir = path.parent().context("config path has no parent")?;
    create_private_dir(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    let mut f = opts.open(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    std::io::Write::write_all(&mut f, text.as_bytes()).with_context(|| format!("writing {}", tmp.display()))?;
    f.sync_all().ok();
    drop(f);
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).with_context(|| format!("creating {}", dir.display()))
}

impl Config {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(CONFIG_FILE)
    }

    pub fn load(dir: &Path) -> anyhow::Result<Config> {
        read_toml(&Self::path(dir))
    }

    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let text = format!(
            "# trove client configuration: named registries. See `trove registry --help`.\n{}",
            toml::to_string(self)?
        );
        write_file(&Self::path(dir), &text, false)
    }
}

impl Credentials {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(CREDENTIALS_FILE)
    }

    pub fn load(dir: &Path) -> anyhow::Result<Credentials> {
        read_toml(&Self::path(dir))
    }

    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let text = format!(
            "# trove API tokens. Keep this file private (mode 0600).\n{}",
            toml::to_string(self)?
        );
        write_file(&Self::path(dir), &text, true)
    }
}

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Env,
    Stored,
    None,
}

/// The registry a command talks to.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub url: String,
    pub token: Option<String>,
    pub token_source: TokenSource,
}

pub fn normalize_url(url: &str) -> anyhow::Result<String> {
    let u = url.trim().trim_end_matches('/');
    let rest = u.strip_prefix("http://").or_else(|| u.strip_prefix("https://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace) => Ok(u.to_string()),
        _ => bail!("`{url}` is not a registry URL: expected http://host[:port] or https://host"),
    }
}

/// Picks the registry from `--registry`/`--registry-url`, the config's default, or the
/// built-in default (`http://127.0.0.1:8080`).
pub fn select(
    config: &Config,
    creds: &Credentials,
    name: Option<&str>,
    url: Option<&str>,
    env_token: Option<String>,
) -> anyhow::Result<Target> {
    let name = name
        .map(str::to_string)
        .or_else(|| config.default.clone())
        .unwrap_or_else(|| DEFAULT_REGISTRY.to_string());
    let url = match (url, config.registries.get(&name)) {
        (Some(u), _) => normalize_url(u)?,
        (None, Some(entry)) => normalize_url(&entry.url)?,
        (None, None) if name == DEFAULT_REGISTRY => DEFAULT_URL.to_string(),
        (None, None) => {
            let known: Vec<&str> = config.registries.keys().map(String::as_str).collect();
            bail!(
                "no registry is named `{name}` (known: {}); add it with `trove registry add {name} <url>` or pass --registry-url",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )
        }
    };
    let (token, token_source) = match env_token.filter(|t| !t.trim().is_empty()) {
        Some(t) => (Some(t.trim().to_string()), TokenSource::Env),
        None => match creds
            .registries
            .get(&name)
            .filter(|c| normalize_url(&c.url).ok().as_deref() == Some(&url))
        {
            Some(c) => (Some(c.token.clone()), TokenSource::Stored),
            None => (None, TokenSource::None),
        },
    };
    Ok(Target {
        name,
        url,
        token,
        token_source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(name: &str, url: &str) -> Credentials {
        let mut c = Credentials::default();
        c.registries.insert(
            name.into(),
            Credential {
                url: url.into(),
                token: "trv_x".into(),
                username: None,
            },
        );
        c
    }

    #[test]
    fn selects_registries() {
        let mut config = Config::default();
        let t = select(&config, &Credentials::default(), None, None, None).unwrap();
        assert_eq!((t.name.as_str(), t.url.as_str()), ("default", DEFAULT_URL));
        config.registries.insert(
            "work".into(),
            RegistryEntry {
                url: "https://w.example/".into(),
            },
        );
        config.default = Some("work".into());
        let c = creds("work", "https://w.example");
        let t = select(&config, &c, None, None, None).unwrap();
        assert_eq!(t.url, "https://w.example");
        assert_eq!(t.token_source, TokenSource::Stored);
        // A stored token never goes to another URL.
        let t = select(&config, &c, None, Some("http://evil.example"), None).unwrap();
        assert_eq!(t.token, None);
        // The environment wins.
        let t = select(&config, &c, None, None, Some("trv_env".into())).unwrap();
        assert_eq!(
            (t.token.as_deref(), t.token_source),
            (Some("trv_env"), TokenSource::Env)
        );
        let err = select(&config, &c, Some("nope"), None, None).unwrap_err().to_string();
        assert!(err.contains("no registry is named `nope` (known: work)"), "{err}");
        assert!(select(&config, &c, None, Some("ftp://x"), None).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn credentials_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("trove");
        creds("default", DEFAULT_URL).save(&sub).unwrap();
        let mode = std::fs::metadata(Credentials::path(&sub)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dmode = std::fs::metadata(&sub).unwrap().permissions().mode();
        assert_eq!(dmode & 0o777, 0o700);
        let back = Credentials::load(&sub).unwrap();
        assert_eq!(back.registries["default"].token, "trv_x");
    }
}
