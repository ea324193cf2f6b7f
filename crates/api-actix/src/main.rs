//! `ticketing`: serve the API, migrate the schema, or load the demo data.

use anyhow::Context;
use clap::{Parser, Subcommand};
use infra_postgres::{PoolSettings, migrate, pool};
use ticketing::config::Config;
use ticketing::database::Database;
use ticketing::seed::{DEMO_PASSWORD, seed};
use ticketing::startup::Application;
use ticketing::state::{self, Accounts, Events};
use ticketing::{auth, telemetry};

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
}

fn main() -> anyhow::Result<()> {
    // A .env file is optional; real environment variables win over it.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        return Err(e).context("reading .env");
    }
    let cli = Cli::parse();
    let config = Config::from_env()?;
    telemetry::init(config.log_format);
    let database = Database::open(&config)?;
    let outcome =
        actix_web::rt::System::new().block_on(run(cli.command.unwrap_or(Command::Serve), &config, &database));
    database.close()?;
    outcome
}

async fn run(command: Command, config: &Config, database: &Database) -> anyhow::Result<()> {
    let url = database.url().expose();
    match command {
        Command::Migrate => {
            let applied = migrate::run_pending(url).await.context("migrating the database")?;
            println!("applied {} migration(s)", applied.len());
        }
        Command::Seed => {
            let pool = connect(config, url)?;
            let (accounts, events) = services(&pool)?;
            let seeded = seed(&accounts, &events).await?;
            println!("seeded {} user(s) and {} event(s)", seeded.users, seeded.events);
        }
        Command::Serve => {
            migrate::run_pending(url).await.context("migrating the database")?;
            let pool = connect(config, url)?;
            if database.is_embedded() {
                let (accounts, events) = services(&pool)?;
                seed(&accounts, &events).await?;
            }
            let app = Application::build(config, &pool, &database.jwt_secret(config)?)?;
            let host =
                if config.host.is_unspecified() { "127.0.0.1".to_owned() } else { config.host.to_string() };
            println!("ticketing is serving on http://{host}:{}", app.port());
            if database.is_embedded() {
                println!("embedded PostgreSQL in {}", config.data_dir.join("postgres").display());
                println!("demo login: kaneeldias@gmail.com / {DEMO_PASSWORD}");
            }
            tracing::info!(port = app.port(), embedded_database = database.is_embedded(), "serving");
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
    }
    Ok(())
}

fn connect(config: &Config, url: &str) -> anyhow::Result<infra_postgres::PgPool> {
    let settings = PoolSettings {
        max_size: config.pool_size,
        wait_timeout: config.pool_timeout,
        ..PoolSettings::default()
    };
    pool::connect(url, &settings).context("building the connection pool")
}

fn services(pool: &infra_postgres::PgPool) -> anyhow::Result<(Accounts, Events)> {
    let hasher = auth::Argon2Hasher::new().context("starting the password hasher")?;
    Ok((state::accounts(pool, hasher), state::events(pool)))
}
