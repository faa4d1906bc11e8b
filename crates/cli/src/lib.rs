//! The `trove` client commands. The binary (`crates/trove`) flattens [`Command`] and
//! [`GlobalArgs`] into its own command line and calls [`run`].
//!
//! ```text
//! trove login                          # device flow: approve the shown code while signed in
//! trove login --token trv_…            # or a token (`--with-token` / `--token -` read stdin)
//! TROVE_TOKEN=trv_… trove whoami       # CI: nothing stored
//! trove registry add work https://trove.example.com --default
//! trove init --name alice/widget --kind library
//! trove package --list                 # .trove/alice-widget-0.1.0.tar.gz, honours .troveignore
//! trove publish --dry-run              # validate locally, upload nothing
//! trove publish
//! trove add alice/gears@^1.2           # edit trove.toml, resolve, download, verify, extract
//! trove install --locked               # CI: fail if trove.lock would change
//! trove update [alice/gears]           # re-resolve ignoring the lock
//! trove yank alice/widget@0.1.0
//! trove stats alice/widget --days 30   # totals and a sparkline
//! trove webhook create alice https://ci.example.com/hook --event publish --event yank
//! trove audit --severity high             # lock files against the registry's advisories
//! ```
//!
//! Every command prints human text by default and one JSON document with `--json` (`login`
//! by device flow first prints one JSON line with the code); failures print `error: …` (with
//! a hint where one helps) and exit with status 1.

pub mod audit;
pub mod cmd;
pub mod config;
pub mod install;
pub mod lockfile;
pub mod lockfiles;
pub mod output;
pub mod project;
pub mod resolve;

use clap::{Args, Subcommand};
use config::{Config, Credentials, Target, TokenSource};
use output::Out;
use std::path::PathBuf;
use std::process::ExitCode;
use trove_client::{Client, ClientError};

/// Options every client command accepts.
#[derive(Args, Debug, Clone, Default)]
pub struct GlobalArgs {
    /// Registry to use, by its name in config.toml (default: the configured default)
    #[arg(
        long,
        global = true,
        env = "TROVE_REGISTRY",
        value_name = "NAME",
        help_heading = "Registry options"
    )]
    pub registry: Option<String>,
    /// Registry URL, overriding the named registry's (e.g. http://127.0.0.1:8080)
    #[arg(
        long,
        global = true,
        env = "TROVE_REGISTRY_URL",
        value_name = "URL",
        help_heading = "Registry options"
    )]
    pub registry_url: Option<String>,
    /// Print machine-readable JSON instead of text
    #[arg(long, global = true, help_heading = "Output")]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Log in: approve a code in your browser (device flow), or give a token
    Login(cmd::auth::LoginArgs),
    /// Forget the stored token of the registry
    Logout,
    /// Show who the current token belongs to
    Whoami,
    /// Manage named registries in config.toml
    #[command(subcommand)]
    Registry(cmd::auth::RegistryCommand),
    /// Create a trove.toml in the current directory
    Init(cmd::project::InitArgs),
    /// Build the package archive (.tar.gz) without uploading it
    Package(cmd::project::PackageArgs),
    /// Build and upload the package (needs a token with the `publish` scope)
    Publish(cmd::project::PublishArgs),
    /// Resolve, download and extract the dependencies into trove_packages/
    Install(cmd::project::InstallArgs),
    /// Add dependencies to trove.toml and install them
    Add(cmd::project::AddArgs),
    /// Remove dependencies from trove.toml and uninstall them
    Remove(cmd::project::RemoveArgs),
    /// Re-resolve dependencies to their newest allowed versions, ignoring trove.lock
    Update(cmd::project::UpdateArgs),
    /// Search the registry
    Search(cmd::discover::SearchArgs),
    /// Show a package and its versions
    Info(cmd::discover::InfoArgs),
    /// Download statistics with a sparkline of daily downloads
    Stats(cmd::discover::StatsArgs),
    /// Yank a version: new resolutions skip it, existing lock files keep it (`yank` scope)
    Yank(cmd::manage::YankArgs),
    /// Undo a yank (`yank` scope)
    Unyank(cmd::manage::VersionArgs),
    /// Mark a version deprecated with a message (or --undo) (`yank` scope)
    Deprecate(cmd::manage::DeprecateArgs),
    /// Manage a package's owners (needs a token with the `owners` scope)
    #[command(subcommand)]
    Owner(cmd::manage::OwnerCommand),
    /// Manage organizations and their members (needs a token with the `owners` scope)
    #[command(subcommand)]
    Org(cmd::manage::OrgCommand),
    /// Manage API tokens (needs a token with the `admin` scope)
    #[command(subcommand)]
    Token(cmd::manage::TokenCommand),
    /// Manage a namespace's webhooks (needs a token with the `owners` scope)
    #[command(subcommand)]
    Webhook(cmd::webhook::WebhookCommand),
    /// Manage a namespace's retention policy (needs a token with the `owners` scope)
    #[command(subcommand)]
    Retention(cmd::retention::RetentionCommand),
    /// Show a namespace's storage use and quota
    Usage(cmd::retention::UsageArgs),
    /// Check lock files (trove.lock, package-lock.json, Cargo.lock, uv.lock, requirements.txt)
    /// against the registry's advisories; fails when one affects a pinned version
    Audit(cmd::audit::AuditArgs),
}

/// What a command runs with.
pub struct Ctx {
    pub globals: GlobalArgs,
    pub out: Out,
    pub cwd: PathBuf,
}

impl Ctx {
    pub fn new(globals: GlobalArgs) -> anyhow::Result<Ctx> {
        Ok(Ctx {
            out: Out { json: globals.json },
            globals,
            cwd: std::env::current_dir()?,
        })
    }

    pub fn config_dir(&self) -> anyhow::Result<PathBuf> {
        config::config_dir()
    }

    /// The registry this command talks to and the token to send.
    pub fn target(&self) -> anyhow::Result<Target> {
        let dir = self.config_dir()?;
        config::select(
            &Config::load(&dir)?,
            &Credentials::load(&dir)?,
            self.globals.registry.as_deref(),
            self.globals.registry_url.as_deref(),
            std::env::var("TROVE_TOKEN").ok(),
        )
    }

    /// A client, with the token when there is one.
    pub fn client(&self) -> anyhow::Result<(Client, Target)> {
        let t = self.target()?;
        Ok((Client::new(&t.url, t.token.clone())?, t))
    }

    /// A client that must carry a token.
    pub fn authed_client(&self) -> anyhow::Result<(Client, Target)> {
        let (c, t) = self.client()?;
        if t.token_source == TokenSource::None {
            anyhow::bail!(
                "you are not logged in to registry `{}` ({}): run `trove login`, or set TROVE_TOKEN",
                t.name,
                t.url
            );
        }
        Ok((c, t))
    }
}

/// Converts a client error, keeping it reachable for hints.
pub fn client_error(e: ClientError) -> anyhow::Error {
    anyhow::Error::new(e)
}

fn hint(e: &anyhow::Error) -> Option<String> {
    let ce = e.chain().find_map(|c| c.downcast_ref::<ClientError>())?;
    match ce {
        ClientError::Unreachable { .. } => {
            Some("is the registry running at that address? Check --registry-url or `trove registry list`".into())
        }
        ClientError::Api { status: 401, .. } => Some("log in again with `trove login` (or check TROVE_TOKEN)".into()),
        ClientError::Api { code, .. } if code == "insufficient_scope" => Some(
            "log in with a token that has the scope named above (`trove login --token`; `trove help <command>` \
             names each command's scope): create one on the dashboard (/dashboard/tokens), or on the server with \
             `trove admin create-token --username <you> --name <name> --scope <scope>`"
                .into(),
        ),
        _ => None,
    }
}

/// Runs one client command; prints the error and returns the exit status.
pub async fn run(globals: GlobalArgs, command: Command) -> ExitCode {
    let json = globals.json;
    let result = async {
        let ctx = Ctx::new(globals)?;
        dispatch(&ctx, command).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `trove audit` printed its findings (its JSON document too): only say why it fails.
        Err(e) if e.downcast_ref::<cmd::audit::FindingsFound>().is_some() => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            let hint = hint(&e);
            if json {
                let ce = e.chain().find_map(|c| c.downcast_ref::<ClientError>());
                let body = serde_json::json!({ "error": {
                    "code": ce.and_then(|c| c.code()).unwrap_or("error"),
                    "status": ce.and_then(|c| c.status()),
                    "message": format!("{e:#}"),
                    "hint": hint,
                }});
                println!("{}", serde_json::to_string_pretty(&body).unwrap_or_default());
            }
            eprintln!("error: {e:#}");
            if let Some(h) = hint {
                eprintln!("hint: {h}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(ctx: &Ctx, command: Command) -> anyhow::Result<()> {
    use cmd::*;
    match command {
        Command::Login(a) => auth::login(ctx, a).await,
        Command::Logout => auth::logout(ctx).await,
        Command::Whoami => auth::whoami(ctx).await,
        Command::Registry(c) => auth::registry(ctx, c),
        Command::Init(a) => project::init(ctx, a).await,
        Command::Package(a) => project::package(ctx, a),
        Command::Publish(a) => project::publish(ctx, a).await,
        Command::Install(a) => project::install(ctx, a).await,
        Command::Add(a) => project::add(ctx, a).await,
        Command::Remove(a) => project::remove(ctx, a).await,
        Command::Update(a) => project::update(ctx, a).await,
        Command::Search(a) => discover::search(ctx, a).await,
        Command::Info(a) => discover::info(ctx, a).await,
        Command::Stats(a) => discover::stats(ctx, a).await,
        Command::Yank(a) => manage::yank(ctx, a.version, true, a.reason.as_deref()).await,
        Command::Unyank(a) => manage::yank(ctx, a, false, None).await,
        Command::Deprecate(a) => manage::deprecate(ctx, a).await,
        Command::Owner(c) => manage::owner(ctx, c).await,
        Command::Org(c) => manage::org(ctx, c).await,
        Command::Token(c) => manage::token(ctx, c).await,
        Command::Webhook(c) => webhook::webhook(ctx, c).await,
        Command::Retention(c) => retention::retention(ctx, c).await,
        Command::Usage(a) => retention::usage(ctx, a).await,
        Command::Audit(a) => audit::audit(ctx, a).await,
    }
}

/// `scope/name` validated, or a clear error.
pub fn parse_package_name(s: &str) -> anyhow::Result<String> {
    trove_core::name::parse_full(s.trim())
        .map_err(|e| anyhow::anyhow!("`{s}` is not a package name (scope/name): {e}"))?;
    Ok(s.trim().to_string())
}

/// `scope/name@1.2.3` (or `scope/name` + a separate version) → validated parts.
pub fn parse_package_version(spec: &str, version: Option<&str>) -> anyhow::Result<(String, String)> {
    let (name, v) = match (spec.split_once('@'), version) {
        (Some((n, v)), None) => (n, v),
        (None, Some(v)) => (spec, v),
        (Some(_), Some(_)) => anyhow::bail!("give the version once: `{spec}` already names one"),
        (None, None) => anyhow::bail!("give a version: `{spec}@1.2.3`"),
    };
    let name = parse_package_name(name)?;
    trove_core::version::parse_version(v.trim()).map_err(anyhow::Error::msg)?;
    Ok((name, v.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        assert_eq!(
            parse_package_version("alice/a@1.0.0", None).unwrap(),
            ("alice/a".into(), "1.0.0".into())
        );
        assert_eq!(parse_package_version("alice/a", Some("2.0.0")).unwrap().1, "2.0.0");
        assert!(parse_package_version("alice/a", None).is_err());
        assert!(parse_package_version("alice/a@1.0", None).is_err());
        assert!(parse_package_version("../a@1.0.0", None).is_err());
        assert!(parse_package_name("noscope").is_err());
    }
}
