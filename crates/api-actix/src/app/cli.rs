//! The `ticketing` command line: serve the API, migrate the schema, or load the demo data.
//! `anyhow` lives here and in the other start-up glue only: what fails at this level is told
//! to an operator, with its causes, and the process exits.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use domain::EventId;

use crate::app::check::check;
use crate::app::config::Config;
use crate::app::embedded_db::Database;
use crate::app::seed::{DEMO_PASSWORD, seed};
use crate::app::startup::Application;
use crate::app::wiring;
use crate::telemetry::logs;

#[derive(Debug, Parser)]
#[command(name = "ticketing", version, about = "Sells tickets to events without ever selling a seat twice")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Clone, Copy, Subcommand)]
enum Command {
    /// Serve the HTTP API (the default). Without DATABASE_URL it runs its own PostgreSQL,
    /// migrated and seeded with demo data.
    Serve,
    /// Apply pending schema migrations (safe to run from several instances at once).
    Migrate,
    /// Create the demo users and events that are missing.
    Seed,
    /// Replay each event's history against its counters and bookings; exits 1 when a check
    /// fails, after printing each failure.
    Check {
        /// Only this event.
        #[arg(long)]
        event: Option<i64>,
    },
}

/// Runs the command the arguments name (serving by default) until it is done.
///
/// # Errors
/// Whatever kept the command from running, with its causes.
pub fn main() -> anyhow::Result<()> {
    let env_file = read_env_file()?;
    let cli = Cli::parse();
    let config = Config::from_env()?;
    logs::init(config.telemetry.log_format);
    if let Some(path) = env_file {
        tracing::info!(file = %path.display(), "settings read from this file too (never logged)");
    }
    let database = Database::open(&config.database)?;
    let outcome = actix_web::rt::System::new()
        .block_on(run(cli.command.unwrap_or(Command::Serve), &config, &database))
        .map_err(|e| explain_database_error(e, &config));
    database.close().context("stopping the embedded PostgreSQL")?;
    outcome
}

/// PostgreSQL's reason for refusing a connection names the problem but not the setting that
/// causes it: add which setting to change, keyed on the SQLSTATE the adapter keeps with the
/// reason (or the driver's words where the server never answered).
fn explain_database_error(error: anyhow::Error, config: &Config) -> anyhow::Error {
    let chain = format!("{error:#}");
    let has = |needles: &[&str]| needles.iter().any(|n| chain.contains(n));
    if has(&["SQLSTATE 53300", "too many clients already", "remaining connection slots are reserved"]) {
        let database = &config.database;
        let per_instance = database.connections_per_instance();
        return error.context(format!(
            "PostgreSQL has no free connection slot (max_connections). Each instance opens up to DATABASE_POOL_SIZE ({}) + DATABASE_READ_POOL_SIZE ({}) + 2 listening = {per_instance} connections, and one more while migrating: keep instances × {per_instance} + other clients ≤ max_connections − superuser_reserved_connections (and ≤ the pooler's pool in session mode), by lowering the pool sizes or raising max_connections (docs/OPERATIONS.md, \"Connection budget\")",
            database.pool_size, database.read_pool_size,
        ));
    }
    if has(&["SQLSTATE 3D000"]) {
        return error.context(
            "the database named in DATABASE_URL (DATABASE_OWNER_URL for migrations, when set) does not exist on that server: correct the name, or create it (CREATE DATABASE … OWNER …; docs/OPERATIONS.md, \"Database roles\")",
        );
    }
    if has(&["SQLSTATE 28P01", "SQLSTATE 28000"]) {
        return error.context(
            "the server refused the user or password of DATABASE_URL (DATABASE_OWNER_URL for migrations, when set): check both, and that the server's pg_hba.conf lets that user in from this host",
        );
    }
    if has(&["error connecting to server", "Connection refused", "No route to host"]) {
        return error.context(
            "nothing answered at the host and port of DATABASE_URL (DATABASE_OWNER_URL for migrations, when set): is PostgreSQL running there, listening on that address, and reachable from this machine?",
        );
    }
    error
}

/// Reads the settings file the operator put there: `ENV_FILE` when set (it must exist), else
/// `.env` in the working directory if there is one. Never a parent directory's (what
/// `dotenvy::dotenv()` would search): whoever can write there could plant a `JWT_SECRET`. Real
/// environment variables win over the file.
fn read_env_file() -> anyhow::Result<Option<PathBuf>> {
    let (path, required) = match std::env::var_os("ENV_FILE") {
        Some(path) => (PathBuf::from(path), true),
        None => (PathBuf::from(".env"), false),
    };
    match dotenvy::from_path(&path) {
        Ok(()) => Ok(Some(path)),
        Err(e) if e.not_found() && !required => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Brings addresses stored before today's rules to their normal form, and logs (by account
/// id, never the address) the accounts that need an operator.
async fn report_emails(store: &wiring::Store) -> anyhow::Result<()> {
    let found = store.normalise_emails().await.context("normalising stored e-mail addresses")?;
    if !found.rewritten.is_empty() {
        tracing::info!(accounts = ?found.rewritten, "e-mail addresses rewritten to their normal form (their owners log in with it)");
    }
    if !found.refused.is_empty() {
        tracing::warn!(accounts = ?found.refused, "e-mail addresses with invisible characters or mixed scripts: their owners cannot log in until the address is changed");
    }
    if !found.colliding.is_empty() {
        tracing::warn!(accounts = ?found.colliding, "e-mail addresses that another account's address equals once normalised: left unchanged");
    }
    Ok(())
}

/// Refuses a pooler that lends server connections per transaction unless statements are not
/// kept prepared: there, one instance's prepared statement would run as another's.
async fn check_pooling(url: &str, config: &Config, database: &Database) -> anyhow::Result<()> {
    if !config.database.prepared_statements || database.is_embedded() {
        return Ok(());
    }
    if wiring::lends_per_transaction(url).await.context("checking DATABASE_URL for a connection pooler")? {
        anyhow::bail!(
            "DATABASE_URL reaches PostgreSQL through a pooler that lends server connections per transaction (PgBouncer's pool_mode = transaction): with statements kept prepared, one instance's statement could run as another's and damage data. Set DATABASE_PREPARED_STATEMENTS=false and DATABASE_LISTEN_URL (PostgreSQL itself, or the pooler in session mode), or use the pooler's session mode (docs/OPERATIONS.md, \"Behind a connection pooler\")"
        );
    }
    Ok(())
}

async fn run(command: Command, config: &Config, database: &Database) -> anyhow::Result<()> {
    let url = database.url().expose();
    match command {
        Command::Migrate => {
            let applied =
                wiring::migrate(database.migration_url().expose()).await.context("migrating the database")?;
            println!("applied {applied} migration(s)");
        }
        Command::Seed => {
            check_pooling(url, config, database).await?;
            let store = wiring::store(url, &config.database).context("building the connection pool")?;
            let accounts = wiring::accounts(&store, &config.auth).context("starting the password hasher")?;
            let seeded = seed(&accounts, &store).await?;
            println!("seeded {} user(s) and {} event(s)", seeded.users, seeded.events);
        }
        Command::Check { event } => {
            check_pooling(url, config, database).await?;
            let event = event.map(EventId::new).transpose().context("--event must be a positive integer")?;
            let store = wiring::store(url, &config.database).context("building the connection pool")?;
            let checked = check(&store, event).await?;
            for failure in &checked.failed {
                print!("{failure}");
            }
            if !checked.failed.is_empty() {
                anyhow::bail!(
                    "{} of {} event(s) failed the integrity check",
                    checked.failed.len(),
                    checked.events
                );
            }
            println!("checked {} event(s): every check held", checked.events);
        }
        Command::Serve => {
            let secret = config.auth.signing_secret(database.signing_secret())?;
            wiring::migrate(database.migration_url().expose()).await.context("migrating the database")?;
            check_pooling(url, config, database).await?;
            let store = wiring::store(url, &config.database).context("building the connection pool")?;
            if !config.database.prepared_statements {
                wiring::adopt_role_defaults(&store, &config.database)
                    .await
                    .context("giving the role its time limits")?;
            }
            report_emails(&store).await?;
            if store.connected_as_superuser().await.unwrap_or(false) {
                tracing::warn!(
                    "DATABASE_URL connects as a superuser, who can read the server's files and run programs on its machine: serve through a role that may only read and write rows (docs/OPERATIONS.md, \"Database roles\")"
                );
            }
            if database.is_embedded() {
                let accounts =
                    wiring::accounts(&store, &config.auth).context("starting the password hasher")?;
                seed(&accounts, &store).await?;
            }
            let tokens = wiring::tokens(&secret, &config.auth);
            tracing::info!(key_ids = ?tokens.key_ids(), "tokens signed with the first key; the others still verify");
            let adapters = wiring::adapters(&store, config)?;
            let mut app = Application::build(config, adapters, tokens)?;
            if let Some(watch) = wiring::replica_watch(&store) {
                app = app.with_worker(watch);
            }
            let host = &config.http.host;
            let host = if host.is_unspecified() { "127.0.0.1".to_owned() } else { host.to_string() };
            println!("ticketing is serving on http://{host}:{}", app.port());
            if database.is_embedded() {
                println!("embedded PostgreSQL in {}", config.database.data_dir.join("postgres").display());
                println!("demo login: kaneeldias@gmail.com / {DEMO_PASSWORD}");
            }
            tracing::info!(port = app.port(), embedded_database = database.is_embedded(), "serving");
            app.run_until_stopped().await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_is_explained_with_the_setting_to_change() {
        let config = Config::from_lookup(|_| None).unwrap();
        let explain = |reason: &str| {
            let refused = anyhow::anyhow!("{reason}").context("migrating the database");
            format!("{:#}", explain_database_error(refused, &config))
        };
        let missing = explain("db error: FATAL: database \"shop\" does not exist (SQLSTATE 3D000)");
        let password =
            explain("db error: FATAL: password authentication failed for user \"x\" (SQLSTATE 28P01)");
        let nobody = explain("error connecting to server: Connection refused (os error 111)");

        assert!(missing.starts_with("the database named in DATABASE_URL"), "{missing}");
        assert!(missing.ends_with("(SQLSTATE 3D000)"), "the reason is kept: {missing}");
        assert!(
            password.starts_with("the server refused the user or password of DATABASE_URL"),
            "{password}"
        );
        assert!(nobody.starts_with("nothing answered at the host and port of DATABASE_URL"), "{nobody}");
        assert_eq!(explain("something else"), "migrating the database: something else");
    }

    #[test]
    fn no_free_connection_slot_is_explained_with_the_settings_that_add_up_to_it() {
        let config =
            Config::from_lookup(|var| (var == "DATABASE_POOL_SIZE").then(|| "10".to_owned())).unwrap();
        let refused =
            anyhow::anyhow!("FATAL: sorry, too many clients already").context("migrating the database");

        let explained = format!("{:#}", explain_database_error(refused, &config));
        let other = format!("{:#}", explain_database_error(anyhow::anyhow!("a bug"), &config));

        assert!(
            explained.starts_with("PostgreSQL has no free connection slot (max_connections)"),
            "{explained}"
        );
        assert!(
            explained.contains("DATABASE_POOL_SIZE (10) + DATABASE_READ_POOL_SIZE (4) + 2 listening = 16"),
            "{explained}"
        );
        assert!(explained.ends_with("sorry, too many clients already"), "{explained}");
        assert_eq!(other, "a bug");
    }
}
