//! `login`, `logout`, `whoami` and `registry`.

use crate::config::{self, Config, Credential, Credentials, RegistryEntry, TokenSource};
use crate::{client_error, Ctx};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::Read;
use std::time::{Duration, Instant};
use trove_client::Client;

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// Use this API token instead of the browser flow (`-` reads it from standard input)
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Read the API token from standard input
    #[arg(long, conflicts_with = "token")]
    pub with_token: bool,
}

#[derive(Subcommand, Debug)]
pub enum RegistryCommand {
    /// Add or change a named registry
    Add {
        name: String,
        url: String,
        /// Make it the default registry
        #[arg(long)]
        default: bool,
    },
    /// Forget a named registry and its stored token
    Remove { name: String },
    /// List the configured registries
    List,
    /// Make a named registry the default
    Default { name: String },
}

fn read_token_from_stdin() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut s)
        .context("reading the token from standard input")?;
    let t = s.trim().to_string();
    if t.is_empty() {
        bail!("no token on standard input");
    }
    Ok(t)
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this machine".into())
}

/// RFC 8628: show the code, poll until it is approved, return the token.
async fn device_flow(ctx: &Ctx, client: &Client) -> anyhow::Result<String> {
    let client_name: String = format!("trove CLI on {}", host_name()).chars().take(100).collect();
    let auth = client
        .device_code(Some(&client_name))
        .await
        .map_err(client_error)
        .context("starting the device login")?;
    let complete = auth.verification_uri_complete.clone();
    if ctx.out.json {
        let line = json!({
            "user_code": auth.user_code,
            "verification_uri": auth.verification_uri,
            "verification_uri_complete": complete,
            "expires_in": auth.expires_in,
        });
        println!("{line}");
    } else {
        println!(
            "To log in, open {} and enter the code: {}",
            auth.verification_uri, auth.user_code
        );
        println!("(or go straight to {complete})");
        println!(
            "Waiting for approval; the code expires in {} minutes...",
            (auth.expires_in + 59) / 60
        );
    }
    let deadline = Instant::now() + Duration::from_secs(auth.expires_in.max(1) as u64);
    let mut interval = auth.interval.clamp(1, 60) as u64;
    loop {
        tokio::time::sleep(Duration::from_secs(interval)).await;
        if Instant::now() > deadline {
            bail!(
                "the code {} expired before it was approved; run `trove login` again",
                auth.user_code
            );
        }
        match client.device_token(&auth.device_code).await {
            Ok(grant) => return Ok(grant.access_token),
            Err(e) => match e.code() {
                Some("authorization_pending") => {}
                Some("slow_down") => interval += 5,
                Some("expired_token") => bail!(
                    "the code {} expired before it was approved; run `trove login` again",
                    auth.user_code
                ),
                Some("access_denied") => bail!("the login request {} was denied", auth.user_code),
                _ => return Err(client_error(e)).context("waiting for the login to be approved"),
            },
        }
    }
}

pub async fn login(ctx: &Ctx, a: LoginArgs) -> anyhow::Result<()> {
    let dir = ctx.config_dir()?;
    let mut cfg = Config::load(&dir)?;
    let mut creds = Credentials::load(&dir)?;
    let target = config::select(
        &cfg,
        &creds,
        ctx.globals.registry.as_deref(),
        ctx.globals.registry_url.as_deref(),
        None,
    )?;
    let client = Client::new(&target.url, None)?;
    let token = match (a.token, a.with_token) {
        (Some(t), _) if t != "-" => t.trim().to_string(),
        (Some(_), _) | (None, true) => read_token_from_stdin()?,
        (None, false) => device_flow(ctx, &client).await?,
    };
    if token.is_empty() {
        bail!("the token is empty");
    }
    let me = client
        .with_token(Some(token.clone()))
        .me()
        .await
        .map_err(client_error)
        .with_context(|| format!("the registry at {} did not accept the token", target.url))?;
    let known = cfg.registries.get(&target.name).map(|e| e.url.as_str());
    if known != Some(target.url.as_str()) {
        cfg.registries.insert(
            target.name.clone(),
            RegistryEntry {
                url: target.url.clone(),
            },
        );
        cfg.save(&dir)?;
    }
    creds.registries.insert(
        target.name.clone(),
        Credential {
            url: target.url.clone(),
            token,
            username: Some(me.user.username.clone()),
        },
    );
    creds.save(&dir)?;
    if std::env::var("TROVE_TOKEN").is_ok_and(|t| !t.trim().is_empty()) {
        ctx.out
            .warn("TROVE_TOKEN is set in the environment and still takes precedence over the stored token");
    }
    let scopes = me.scopes();
    ctx.out.emit(
        json!({
            "registry": target.name, "url": target.url, "username": me.user.username, "scopes": scopes,
            "credentials": Credentials::path(&dir),
        }),
        || {
            format!(
                "Logged in to `{}` ({}) as {}{}",
                target.name,
                target.url,
                me.user.username,
                if scopes.is_empty() {
                    String::new()
                } else {
                    format!(" (token scopes: {})", scopes.join(", "))
                }
            )
        },
    );
    Ok(())
}

pub async fn logout(ctx: &Ctx) -> anyhow::Result<()> {
    let dir = ctx.config_dir()?;
    let cfg = Config::load(&dir)?;
    let mut creds = Credentials::load(&dir)?;
    let target = config::select(
        &cfg,
        &creds,
        ctx.globals.registry.as_deref(),
        ctx.globals.registry_url.as_deref(),
        None,
    )?;
    let removed = creds.registries.remove(&target.name);
    if removed.is_some() {
        creds.save(&dir)?;
    }
    let note = "the token itself stays valid until revoked (`trove token revoke <id>` or the web UI)";
    ctx.out.emit(
        json!({ "registry": target.name, "url": target.url, "removed": removed.is_some() }),
        || match &removed {
            Some(_) => format!("Logged out of `{}` ({}); {note}", target.name, target.url),
            None => format!("No stored token for `{}` ({})", target.name, target.url),
        },
    );
    if std::env::var("TROVE_TOKEN").is_ok_and(|t| !t.trim().is_empty()) {
        ctx.out.warn("TROVE_TOKEN is still set in the environment");
    }
    Ok(())
}

pub async fn whoami(ctx: &Ctx) -> anyhow::Result<()> {
    let (client, target) = ctx.authed_client()?;
    let me = client.me().await.map_err(client_error)?;
    let source = match target.token_source {
        TokenSource::Env => "TROVE_TOKEN",
        _ => "stored credentials",
    };
    let scopes = me.scopes();
    ctx.out.emit(
        json!({
            "username": me.user.username, "email": me.user.email, "admin": me.user.admin,
            "registry": target.name, "url": target.url, "token_from": source,
            "auth": me.auth, "organizations": me.organizations,
        }),
        || {
            let mut s = format!(
                "{}\n  registry: `{}` ({})\n  token: from {source}",
                me.user.username, target.name, target.url
            );
            if !scopes.is_empty() {
                s += &format!(", scopes: {}", scopes.join(", "));
            }
            if me.user.admin {
                s += "\n  site admin";
            }
            if !me.organizations.is_empty() {
                let orgs: Vec<String> = me
                    .organizations
                    .iter()
                    .map(|o| format!("{} ({})", o.name, o.role))
                    .collect();
                s += &format!("\n  organizations: {}", orgs.join(", "));
            }
            s
        },
    );
    Ok(())
}

pub fn registry(ctx: &Ctx, c: RegistryCommand) -> anyhow::Result<()> {
    let dir = ctx.config_dir()?;
    let mut cfg = Config::load(&dir)?;
    match c {
        RegistryCommand::Add { name, url, default } => {
            let valid = !name.is_empty()
                && name.len() <= 64
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !valid {
                bail!("`{name}` is not a registry name: use letters, digits, `-`, `_` and `.`");
            }
            let url = config::normalize_url(&url)?;
            cfg.registries.insert(name.clone(), RegistryEntry { url: url.clone() });
            if default {
                cfg.default = Some(name.clone());
            }
            cfg.save(&dir)?;
            ctx.out
                .emit(json!({ "name": name, "url": url, "default": default }), || {
                    format!("Registry `{name}` is {url}{}", if default { " (default)" } else { "" })
                });
        }
        RegistryCommand::Remove { name } => {
            if cfg.registries.remove(&name).is_none() {
                bail!("no registry is named `{name}`");
            }
            if cfg.default.as_deref() == Some(&name) {
                cfg.default = None;
            }
            cfg.save(&dir)?;
            let mut creds = Credentials::load(&dir)?;
            if creds.registries.remove(&name).is_some() {
                creds.save(&dir)?;
            }
            ctx.out
                .emit(json!({ "removed": name }), || format!("Removed registry `{name}`"));
        }
        RegistryCommand::Default { name } => {
            if !cfg.registries.contains_key(&name) && name != config::DEFAULT_REGISTRY {
                bail!("no registry is named `{name}`; add it with `trove registry add {name} <url>`");
            }
            cfg.default = Some(name.clone());
            cfg.save(&dir)?;
            ctx.out.emit(json!({ "default": name }), || {
                format!("`{name}` is now the default registry")
            });
        }
        RegistryCommand::List => {
            let creds = Credentials::load(&dir)?;
            let default = cfg.default.clone().unwrap_or_else(|| config::DEFAULT_REGISTRY.into());
            let mut rows: Vec<(String, String)> =
                cfg.registries.iter().map(|(n, e)| (n.clone(), e.url.clone())).collect();
            if !cfg.registries.contains_key(config::DEFAULT_REGISTRY) && default == config::DEFAULT_REGISTRY {
                rows.insert(0, (config::DEFAULT_REGISTRY.into(), config::DEFAULT_URL.into()));
            }
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|(n, u)| {
                    let user = creds
                        .registries
                        .get(n)
                        .filter(|c| &c.url == u)
                        .map(|c| c.username.clone().unwrap_or_default());
                    json!({ "name": n, "url": u, "default": *n == default, "logged_in_as": user })
                })
                .collect();
            ctx.out.emit(json!(items), || {
                items
                    .iter()
                    .map(|i| {
                        format!(
                            "{} {:<12} {}{}",
                            if i["default"] == true { "*" } else { " " },
                            i["name"].as_str().unwrap_or_default(),
                            i["url"].as_str().unwrap_or_default(),
                            i["logged_in_as"]
                                .as_str()
                                .map(|u| format!("  (logged in as {u})"))
                                .unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}
