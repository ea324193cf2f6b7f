//! `ticketing`: serve the API, migrate the schema, or load the demo data
//! (`ticketing::app::cli`).

fn main() -> anyhow::Result<()> {
    ticketing::app::cli::main()
}
