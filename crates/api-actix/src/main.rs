//! `ticketing`: the ticket service's command line.

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "ticketing", version, about = "Sells tickets to events without ever selling a seat twice")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending schema migrations to the database at DATABASE_URL (safe to run from
    /// several instances at once).
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Migrate => {
            let url =
                std::env::var("DATABASE_URL").context("DATABASE_URL must name the database to migrate")?;
            let applied =
                infra_postgres::migrate::run_pending(&url).await.context("migrating the database")?;
            if applied.is_empty() {
                println!("the database is up to date");
            }
            for version in applied {
                println!("applied migration {version}");
            }
        }
    }
    Ok(())
}
