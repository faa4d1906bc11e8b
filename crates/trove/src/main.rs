//! The `trove` binary: the registry server, its admin commands, and the client commands
//! (`login`, `publish`, `install`, …) from `trove-cli`.

mod advisories;
mod backup;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;
use trove_server::Config;
use trove_service::accounts::NewUser;
use trove_service::Ctx;

#[derive(Parser)]
#[command(name = "trove", version, about = "Trove: a self-hosted universal package registry")]
struct Cli {
    /// The server's configuration file given before the command (`trove --config FILE
    /// server`); the documented place is after `server` or `admin`.
    #[arg(long = "config", id = "config", global = true, hide = true, value_name = "FILE")]
    config_before: Option<PathBuf>,
    #[command(flatten)]
    client: trove_cli::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the registry (defaults: 127.0.0.1:8080, data in ./trove-data).
    Server {
        #[command(flatten)]
        config: ServerConfigArg,
        #[command(flatten)]
        no_client: NoClientArgs,
        /// Address to listen on (overrides server.listen).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Administration on the database and storage directly (run with the server's configuration)
    ///
    /// Run them with the server's configuration: the same --config, TROVE_* variables, or
    /// the working directory holding its ./trove-data.
    Admin {
        #[command(flatten)]
        config: ServerConfigArg,
        #[command(flatten)]
        no_client: NoClientArgs,
        /// Create the database when it does not exist yet (a new registry); otherwise a
        /// missing database is an error (the wrong directory or configuration).
        #[arg(long)]
        create: bool,
        #[command(subcommand)]
        command: AdminCommand,
    },
    #[command(flatten)]
    Client(trove_cli::Command),
}

/// The server's configuration (the server and admin commands read it; client commands have
/// their own, `~/.config/trove/config.toml`).
#[derive(clap::Args)]
struct ServerConfigArg {
    /// Server configuration file (TOML); `TROVE_*` environment variables override it.
    #[arg(
        long = "config",
        id = "config",
        global = true,
        env = "TROVE_CONFIG",
        value_name = "FILE"
    )]
    path: Option<PathBuf>,
}

/// Takes the place of the client commands' registry options on `server` and `admin` (clap
/// does not give a subcommand a global option it defines itself), so their help does not
/// offer options they ignore.
#[derive(clap::Args)]
struct NoClientArgs {
    #[arg(long = "registry", id = "registry", hide = true)]
    _registry: Option<String>,
    #[arg(long = "registry-url", id = "registry_url", hide = true)]
    _registry_url: Option<String>,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user (works even when registration is closed).
    CreateUser {
        /// The new user's name (also their namespace); `admin` and other route names are reserved
        #[arg(long)]
        username: String,
        /// The new user's email address
        #[arg(long)]
        email: String,
        /// The password; read from standard input when omitted.
        #[arg(long)]
        password: Option<String>,
        /// Make the user a site admin.
        #[arg(long)]
        admin: bool,
    },
    /// Create an API token for a user and print it (any scopes, `admin` included: the way to
    /// an admin-scoped token from the command line), e.g. `TOKEN=$(trove admin create-token
    /// --username ops --name cli --scope admin)`.
    CreateToken {
        /// The user the token acts as
        #[arg(long)]
        username: String,
        /// A name for the token (shown in token lists)
        #[arg(long)]
        name: String,
        /// A scope the token carries (repeatable): read, publish, yank, owners, admin
        #[arg(long = "scope", value_name = "SCOPE", required = true)]
        scopes: Vec<String>,
        /// Limit the token to packages matching this `scope/name` pattern (repeatable, `*` wildcards)
        #[arg(long = "package", value_name = "PATTERN")]
        packages: Vec<String>,
        /// Days until the token expires (default: never)
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<i64>,
    },
    /// Grant or take away site admin rights.
    SetAdmin {
        /// The user to change
        username: String,
        /// `true` makes them a site admin, `false` takes the rights away
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        admin: bool,
    },
    /// Delete stored blobs that nothing references.
    Gc {
        /// Keep unreferenced blobs younger than this many seconds (uploads in flight).
        #[arg(long, default_value_t = 3600)]
        min_age_secs: i64,
    },
    /// Rebuild the search index on every running server (they poll for this each second).
    Reindex,
    /// Copy the database (one consistent snapshot, safe while servers run) and every blob it
    /// references into a directory. Re-running into the same directory copies only new blobs.
    Backup {
        /// Directory to write to: new, empty, or holding an earlier backup.
        dir: PathBuf,
        /// Also copy blobs nothing references.
        #[arg(long)]
        all_blobs: bool,
    },
    /// Security advisories.
    Advisories {
        #[command(subcommand)]
        command: AdvisoriesCommand,
    },
    /// Restore a backup into the configured database (empty, or any with --force) and blob
    /// storage, which may be other backends than the backup came from.
    Restore {
        /// Directory holding the backup (with its manifest.json).
        dir: PathBuf,
        /// Replace the contents of a database that is not empty.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum AdvisoriesCommand {
    /// Load a public OSV dump (an osv.dev ecosystem export `all.zip`, a directory of OSV JSON
    /// files such as a clone of an advisory database, or one JSON file): records are upserted
    /// by id, keep their own `modified` time, are public and read-only here.
    Import {
        /// A .zip of OSV JSON files, a directory (searched recursively for *.json), or a file.
        path: PathBuf,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    trove_server::tune_allocator();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Command::Client(command) = cli.command {
        if cli.config_before.is_some() {
            eprintln!(
                "error: --config names the server's configuration (`trove server --config FILE`); client \
                 commands read ~/.config/trove/config.toml (TROVE_CONFIG_DIR) and --registry/--registry-url"
            );
            return std::process::ExitCode::from(2);
        }
        return runtime.block_on(trove_cli::run(cli.client, command));
    }
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Refuses to run an admin command on an SQLite database that does not exist: opening it
/// would create an empty registry (and report success on it) when the command was merely run
/// from the wrong directory. PostgreSQL databases are never created here.
async fn require_existing_database(config: &Config) -> anyhow::Result<()> {
    let url = config.database_url();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let has_schema = trove_db::Db::postgres_has_schema(&url)
            .await
            .context("connecting to the PostgreSQL database")?;
        if !has_schema {
            anyhow::bail!(
                "the PostgreSQL database has no Trove schema yet (no server has run on it): check TROVE_DATABASE_URL / \
                 --config; `trove admin --create …` starts a new registry there"
            );
        }
        return Ok(());
    }
    let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
        return Ok(());
    };
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || std::path::Path::new(path).exists() {
        return Ok(());
    }
    anyhow::bail!(
        "no Trove database at {path}: run `trove admin` where the server keeps its data (./trove-data by \
         default), or with its TROVE_DATA_DIR / --config; `trove admin --create …` starts a new registry here"
    )
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let path = match &cli.command {
        Command::Server { config, .. } | Command::Admin { config, .. } => {
            config.path.clone().or(cli.config_before.clone())
        }
        Command::Client(_) => None,
    };
    let mut config = Config::load(path.as_deref())?;
    match cli.command {
        Command::Server { listen, .. } => {
            if let Some(l) = listen {
                config.server.listen = l;
            }
            trove_server::telemetry::init_logging(&config.log.format, &config.log.level);
            trove_server::run(config).await
        }
        Command::Admin { create, command, .. } => {
            let json = cli.client.json;
            trove_server::telemetry::init_logging("text", "warn");
            // A restore fills a new database; every other command works on an existing one.
            if !create && !matches!(command, AdminCommand::Restore { .. }) {
                require_existing_database(&config).await?;
            }
            let services = trove_server::open_services(&config).await?;
            let ctx = Ctx::anonymous();
            match command {
                AdminCommand::CreateUser {
                    username,
                    email,
                    password,
                    admin,
                } => {
                    let password = match password {
                        Some(p) => p,
                        None => {
                            let mut s = String::new();
                            std::io::stdin()
                                .read_to_string(&mut s)
                                .context("reading the password from stdin")?;
                            s.trim_end_matches(['\n', '\r']).to_string()
                        }
                    };
                    let user = services
                        .accounts()
                        .create_user(
                            &ctx,
                            NewUser {
                                username,
                                email,
                                password,
                            },
                            admin,
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
                    println!(
                        "created user `{}`{}",
                        user.username,
                        if admin { " (site admin)" } else { "" }
                    );
                }
                AdminCommand::CreateToken {
                    username,
                    name,
                    scopes,
                    packages,
                    expires_in_days,
                } => {
                    let created = services
                        .tokens()
                        .create_token_for(
                            &username,
                            trove_service::tokens::NewTokenRequest {
                                name,
                                scopes,
                                packages: (!packages.is_empty()).then_some(packages),
                                expires_in: expires_in_days.map(|d| d.saturating_mul(86_400)),
                            },
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&created)?);
                    } else {
                        // The secret alone on standard output, for `TOKEN=$(…)`.
                        println!("{}", created.token);
                        eprintln!(
                            "created token {} `{}` for `{username}` (scopes: {})",
                            created.info.id,
                            created.info.name,
                            created.info.scopes.join(", ")
                        );
                    }
                }
                AdminCommand::SetAdmin { username, admin } => {
                    services
                        .accounts()
                        .set_admin(&ctx, &username, admin)
                        .await
                        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
                    println!("`{username}` is {}a site admin", if admin { "" } else { "no longer " });
                }
                AdminCommand::Gc { min_age_secs } => {
                    let report = services
                        .blobs()
                        .gc_blobs(min_age_secs * 1000)
                        .await
                        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
                    println!("{}", serde_json::to_string_pretty(&report)?);
                }
                AdminCommand::Reindex => {
                    let err = |e: trove_service::ServiceError| anyhow::anyhow!("{}", e.message);
                    let generation = services.search_index.request_reindex().await.map_err(err)?;
                    let indexed = services.search_index.rebuild().await.map_err(err)?;
                    println!("search reindex {generation} requested: {indexed} packages; running servers rebuild within seconds");
                }
                AdminCommand::Backup { dir, all_blobs } => backup::backup(&services, &dir, all_blobs, json).await?,
                AdminCommand::Restore { dir, force } => backup::restore(&services, &dir, force, json).await?,
                AdminCommand::Advisories {
                    command: AdvisoriesCommand::Import { path },
                } => advisories::import(&services, &path, json).await?,
            }
            services.db.close().await;
            Ok(())
        }
        Command::Client(_) => anyhow::bail!("client commands are dispatched by trove_cli::run"),
    }
}
