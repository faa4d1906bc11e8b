//! The `trove` binary: the registry server, its admin commands, and the client commands
//! (`login`, `publish`, `install`, …) from `trove-cli`.

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
    /// Configuration file (TOML). `TROVE_*` environment variables override it.
    #[arg(long, global = true, env = "TROVE_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    client: trove_cli::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the registry (defaults: 127.0.0.1:8080, data in ./trove-data).
    Server {
        /// Address to listen on (overrides server.listen).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Administration commands that work directly on the database and storage. Run them
    /// with the server's configuration (the same --config, TROVE_* variables or working
    /// directory with ./trove-data).
    Admin {
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

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user (works even when registration is closed).
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// The password; read from standard input when omitted.
        #[arg(long)]
        password: Option<String>,
        /// Make the user a site admin.
        #[arg(long)]
        admin: bool,
    },
    /// Grant or take away site admin rights.
    SetAdmin {
        username: String,
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

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Command::Client(command) = cli.command {
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
fn require_existing_database(config: &Config) -> anyhow::Result<()> {
    let url = config.database_url();
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
    let mut config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Server { listen } => {
            if let Some(l) = listen {
                config.server.listen = l;
            }
            trove_server::telemetry::init_logging(&config.log.format, &config.log.level);
            trove_server::run(config).await
        }
        Command::Admin { create, command } => {
            let json = cli.client.json;
            trove_server::telemetry::init_logging("text", "warn");
            // A restore fills a new database; every other command works on an existing one.
            if !create && !matches!(command, AdminCommand::Restore { .. }) {
                require_existing_database(&config)?;
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
            }
            services.db.close().await;
            Ok(())
        }
        Command::Client(_) => anyhow::bail!("client commands are dispatched by trove_cli::run"),
    }
}
