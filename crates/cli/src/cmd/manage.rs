//! `yank`, `unyank`, `deprecate`, `owner`, `org`, `token`.

use crate::{client_error, parse_package_name, parse_package_version, Ctx};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::json;
use trove_client::NewToken;

#[derive(Args, Debug)]
pub struct VersionArgs {
    /// `scope/name@version`, or `scope/name` followed by the version
    pub package: String,
    pub version: Option<String>,
}

#[derive(Args, Debug)]
pub struct YankArgs {
    #[command(flatten)]
    pub version: VersionArgs,
    /// Why (shown to users of the version: PyPI clients, the API, the web UI)
    #[arg(long, short)]
    pub reason: Option<String>,
}

#[derive(Args, Debug)]
pub struct DeprecateArgs {
    /// `scope/name@version`, or `scope/name` followed by the version
    pub package: String,
    pub version: Option<String>,
    /// Why, and what to use instead
    #[arg(long, short, required_unless_present = "undo")]
    pub message: Option<String>,
    /// Remove the deprecation
    #[arg(long, conflicts_with = "message")]
    pub undo: bool,
}

#[derive(Subcommand, Debug)]
pub enum OwnerCommand {
    /// Add an owner (or a maintainer with --role maintainer)
    Add {
        package: String,
        username: String,
        #[arg(long, default_value = "owner", value_parser = ["owner", "maintainer"])]
        role: String,
    },
    /// Remove an owner or maintainer
    Remove { package: String, username: String },
    /// List owners and maintainers
    List { package: String },
}

#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    /// Create an organization (you become its owner)
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Manage members
    #[command(subcommand)]
    Member(MemberCommand),
}

#[derive(Subcommand, Debug)]
pub enum MemberCommand {
    /// Add a member, or change their role
    Add {
        org: String,
        username: String,
        #[arg(long, default_value = "read", value_parser = ["owner", "admin", "write", "read"])]
        role: String,
    },
    /// Remove a member
    Remove { org: String, username: String },
    /// List members and their roles
    List { org: String },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token; its secret is printed once
    Create {
        name: String,
        /// read, publish, yank, owners, admin (repeatable; default: read)
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// Limit to packages matching `scope/name` patterns with `*` (repeatable)
        #[arg(long = "package", value_name = "PATTERN")]
        packages: Vec<String>,
        /// Expire after this many days
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<i64>,
    },
    /// List your tokens with their last use
    List,
    /// Revoke a token by id
    Revoke { id: i64 },
}

pub async fn yank(ctx: &Ctx, a: VersionArgs, yanked: bool, reason: Option<&str>) -> anyhow::Result<()> {
    let (name, version) = parse_package_version(&a.package, a.version.as_deref())?;
    let (client, _) = ctx.authed_client()?;
    let v = client
        .set_yanked(&name, &version, yanked, reason)
        .await
        .map_err(client_error)?;
    ctx.out.emit(serde_json::to_value(&v)?, || {
        if yanked {
            format!(
                "Yanked {} {}: new installs skip it; existing trove.lock files keep it",
                v.package, v.version
            )
        } else {
            format!("Unyanked {} {}", v.package, v.version)
        }
    });
    Ok(())
}

pub async fn deprecate(ctx: &Ctx, a: DeprecateArgs) -> anyhow::Result<()> {
    let (name, version) = parse_package_version(&a.package, a.version.as_deref())?;
    let message = if a.undo {
        None
    } else {
        a.message.as_deref().map(str::trim)
    };
    if message.is_some_and(str::is_empty) {
        bail!("the deprecation message is empty");
    }
    let (client, _) = ctx.authed_client()?;
    let v = client
        .set_deprecated(&name, &version, message)
        .await
        .map_err(client_error)?;
    ctx.out.emit(serde_json::to_value(&v)?, || match &v.deprecated {
        Some(m) => format!("Deprecated {} {}: {m}", v.package, v.version),
        None => format!("{} {} is no longer deprecated", v.package, v.version),
    });
    Ok(())
}

fn people(rows: &[(String, String)]) -> String {
    if rows.is_empty() {
        return "(none)".into();
    }
    let w = rows.iter().map(|(u, _)| u.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(u, r)| format!("{u:<w$}  {r}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub async fn owner(ctx: &Ctx, c: OwnerCommand) -> anyhow::Result<()> {
    let owners = match &c {
        OwnerCommand::List { package } => {
            let (client, _) = ctx.client()?;
            client
                .list_owners(&parse_package_name(package)?)
                .await
                .map_err(client_error)?
        }
        OwnerCommand::Add {
            package,
            username,
            role,
        } => {
            let (client, _) = ctx.authed_client()?;
            let list = client
                .add_owner(&parse_package_name(package)?, username, role)
                .await
                .map_err(client_error)?;
            ctx.out.status(format!("Added {username} to {package} as {role}"));
            list
        }
        OwnerCommand::Remove { package, username } => {
            let (client, _) = ctx.authed_client()?;
            let name = parse_package_name(package)?;
            client.remove_owner(&name, username).await.map_err(client_error)?;
            ctx.out.status(format!("Removed {username} from {package}"));
            client.list_owners(&name).await.map_err(client_error)?
        }
    };
    let rows: Vec<(String, String)> = owners.iter().map(|o| (o.username.clone(), o.role.clone())).collect();
    ctx.out.emit(serde_json::to_value(&owners)?, || people(&rows));
    Ok(())
}

pub async fn org(ctx: &Ctx, c: OrgCommand) -> anyhow::Result<()> {
    let members = match c {
        OrgCommand::Create { name, description } => {
            let (client, _) = ctx.authed_client()?;
            let org = client
                .create_org(&name, description.as_deref())
                .await
                .map_err(client_error)?;
            ctx.out.emit(serde_json::to_value(&org)?, || {
                format!("Created organization `{}`; you are its owner", org.name)
            });
            return Ok(());
        }
        OrgCommand::Member(MemberCommand::List { org }) => {
            let (client, _) = ctx.client()?;
            client.get_org(&org).await.map_err(client_error)?.members
        }
        OrgCommand::Member(MemberCommand::Add { org, username, role }) => {
            let (client, _) = ctx.authed_client()?;
            let list = client.set_member(&org, &username, &role).await.map_err(client_error)?;
            ctx.out.status(format!("{username} is now {role} in {org}"));
            list
        }
        OrgCommand::Member(MemberCommand::Remove { org, username }) => {
            let (client, _) = ctx.authed_client()?;
            client.remove_member(&org, &username).await.map_err(client_error)?;
            ctx.out.status(format!("Removed {username} from {org}"));
            client.get_org(&org).await.map_err(client_error)?.members
        }
    };
    let rows: Vec<(String, String)> = members.iter().map(|m| (m.username.clone(), m.role.clone())).collect();
    ctx.out.emit(serde_json::to_value(&members)?, || people(&rows));
    Ok(())
}

pub async fn token(ctx: &Ctx, c: TokenCommand) -> anyhow::Result<()> {
    let (client, _) = ctx.authed_client()?;
    match c {
        TokenCommand::Create {
            name,
            scopes,
            packages,
            expires_in_days,
        } => {
            let expires_in = match expires_in_days {
                Some(d) if d <= 0 => bail!("--expires-in-days must be positive"),
                Some(d) => Some(d.checked_mul(86_400).context("--expires-in-days is too large")?),
                None => None,
            };
            let new = NewToken {
                name,
                scopes: if scopes.is_empty() { vec!["read".into()] } else { scopes },
                packages: (!packages.is_empty()).then_some(packages),
                expires_in,
            };
            let t = client.create_token(&new).await.map_err(client_error)?;
            ctx.out.emit(serde_json::to_value(&t)?, || {
                format!(
                    "Created token {} `{}` (scopes: {}{})\n{}\nThis secret is shown only now.",
                    t.info.id,
                    t.info.name,
                    t.info.scopes.join(", "),
                    t.info
                        .expires_at
                        .as_deref()
                        .map(|e| format!(", expires {e}"))
                        .unwrap_or_default(),
                    t.token
                )
            });
        }
        TokenCommand::List => {
            let list = client.list_tokens().await.map_err(client_error)?;
            ctx.out.emit(serde_json::to_value(&list)?, || {
                if list.is_empty() {
                    return "(no tokens)".into();
                }
                list.iter()
                    .map(|t| {
                        format!(
                            "{:>5}  {}  [{}]{}  last used: {}",
                            t.id,
                            t.name,
                            t.scopes.join(","),
                            t.packages
                                .as_ref()
                                .map(|p| format!(" packages: {}", p.join(",")))
                                .unwrap_or_default(),
                            t.last_used_at.as_deref().unwrap_or("never")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        TokenCommand::Revoke { id } => {
            client.revoke_token(id).await.map_err(client_error)?;
            ctx.out.emit(json!({ "revoked": id }), || format!("Revoked token {id}"));
        }
    }
    Ok(())
}
