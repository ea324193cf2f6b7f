//! `ticketing-load`: load scenarios against one or more ticketing instances.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use loadgen::api::Api;
use loadgen::provision::Provisioning;
use loadgen::scenarios::churn::Churn;
use loadgen::scenarios::hotdrop::Hotdrop;
use loadgen::scenarios::list::ListLoad;
use loadgen::scenarios::login::LoginLoad;
use loadgen::scenarios::mixed::Mixed;
use loadgen::scenarios::offer_churn::OfferChurn;
use loadgen::scenarios::room::Room;
use loadgen::scenarios::status::StatusLoad;
use loadgen::scenarios::{Scenario, execute};

/// Drives the ticketing service through its HTTP API and checks the invariants afterwards.
/// Exits 0 when every request succeeded and every invariant held, 2 when one broke. The
/// servers need rate limiting off (RATE_LIMIT_PER_SECOND=0).
#[derive(Debug, Parser)]
#[command(name = "ticketing-load", version)]
struct Cli {
    /// A server instance; repeat to spread requests over several.
    #[arg(long = "base", global = true, default_value = "http://127.0.0.1:3000")]
    bases: Vec<String>,
    /// Also count the invariants in this database (the one the servers use).
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    /// Send the scenarios' writes once, without an Idempotency-Key and without retrying, as the
    /// original service's clients did: what the booking fast path alone achieves.
    #[arg(long, global = true)]
    no_idempotency_keys: bool,
    /// How many accounts to create at once before the clock starts.
    #[arg(long, global = true, default_value_t = 16)]
    provision_concurrency: usize,
    /// Write the accounts straight into --database-url's database (one shared password hash)
    /// and only log them in through the API: half the servers' hashing of the set-up, which
    /// dominates a large stampede's.
    #[arg(long, global = true, requires = "database_url")]
    accounts_by_sql: bool,
    #[command(subcommand)]
    scenario: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// An event of CAPACITY seats; BUYERS distinct users each book once, CONCURRENCY at a time.
    Hotdrop {
        #[arg(long, default_value_t = 100)]
        capacity: u32,
        #[arg(long, default_value_t = 500)]
        buyers: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Buyer i books 1 + i % MAX_QUANTITY seats; 1 sends no quantity (an original client).
        #[arg(long, default_value_t = 1)]
        max_quantity: u32,
    },
    /// A hot drop with more buyers than seats, then CANCELS seat holders cancel at once; each
    /// freed seat must go to the next in line.
    Churn {
        #[arg(long, default_value_t = 100)]
        capacity: u32,
        #[arg(long, default_value_t = 500)]
        buyers: usize,
        #[arg(long, default_value_t = 100)]
        cancels: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Buyer i books 1 + i % MAX_QUANTITY seats; 1 sends no quantity (an original client).
        #[arg(long, default_value_t = 1)]
        max_quantity: u32,
        /// Subscribe a webhook receiver (on 127.0.0.1) to the event and report the delivery
        /// lag; the service must allow private targets (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true).
        #[arg(long)]
        webhooks: bool,
    },
    /// The churn on an event in offer mode: CANCELS holders cancel at once and the first in
    /// line are offered their seats for WINDOW_SECONDS; of the first 2 × LAPSES in line every
    /// second one lets the offer lapse (its seats go to the next in line), the others accept.
    /// Reports the time from a lapsed offer's deadline to the next offer (needs --database-url).
    OfferChurn {
        #[arg(long, default_value_t = 100)]
        capacity: u32,
        #[arg(long, default_value_t = 500)]
        buyers: usize,
        #[arg(long, default_value_t = 100)]
        cancels: usize,
        /// Fewer than CANCELS; half of them when left out (one round of lapses).
        #[arg(long)]
        lapses: Option<usize>,
        #[arg(long, default_value_t = 10)]
        window_seconds: u32,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// The stampede through a waiting room: an event of CAPACITY seats behind a room admitting
    /// RATE places a second from a sale starting START_IN_SECONDS after it is set up; BUYERS
    /// join as it starts, CONCURRENCY requests at a time, ask for their admission token as the
    /// room says (no sooner than 100 ms, no later than MAX_POLL_MS), and book with it. Checks
    /// the places are 1..=BUYERS in the order joins were answered, no token came before its
    /// place was reached, and no oversell. The instances must share one ADMISSION_SIGNING_KEY.
    Room {
        #[arg(long, default_value_t = 100)]
        capacity: u32,
        #[arg(long, default_value_t = 500)]
        buyers: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Admissions a second.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        rate: u32,
        #[arg(long, default_value_t = 2)]
        start_in_seconds: u64,
        /// The longest a buyer waits between two asks for its token, whatever the room says
        /// (the room says when the place is due, at most 30 s; 1000 models impatient clients).
        #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(100..))]
        max_poll_ms: u64,
        /// Buyers arriving a second, each joining at its moment (an open crowd); left out, all
        /// join at the start as fast as the clients are answered.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        arrivals_per_second: Option<u32>,
    },
    /// USERS accounts log in once each, CONCURRENCY at a time, against the machine's hashing
    /// ceiling (measured first); only 200 and 503 may come back.
    Login {
        #[arg(long, default_value_t = 500)]
        users: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// For SECONDS, CONCURRENCY clients act for USERS buyers of one event of CAPACITY seats:
    /// book 1..=MAX_QUANTITY seats, cancel, lower a waiting booking's quantity, and move the
    /// limit by up to a fifth either way; every invariant must hold afterwards.
    Mixed {
        #[arg(long, default_value_t = 300)]
        users: usize,
        #[arg(long, default_value_t = 100)]
        capacity: u32,
        #[arg(long, default_value_t = 4)]
        max_quantity: u32,
        /// How often a waiting booking that does not fit may be passed (the event's overtakeLimit).
        #[arg(long, default_value_t = 0)]
        overtake_limit: u32,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// The choices' seed (default: from the clock); reported, so a run can be replayed.
        #[arg(long)]
        seed: Option<u64>,
        /// The event offers freed seats for this many seconds (10 or more); buyers then accept
        /// and decline offers, and offers lapse.
        #[arg(long)]
        offer_window_seconds: Option<u32>,
        /// The organizer calls the event off when the clients stop.
        #[arg(long)]
        cancel_at_end: bool,
    },
    /// GET /status/{id} from CONCURRENCY clients for SECONDS.
    Status {
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// GET /events pages (walking the cursor) and GET /me/bookings from CONCURRENCY clients
    /// for SECONDS, over EVENTS events created first.
    List {
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 100)]
        events: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let scenario = match cli.scenario {
        Command::Hotdrop { capacity, buyers, concurrency, max_quantity } => {
            Scenario::Hotdrop(Hotdrop { capacity, buyers, concurrency, max_quantity })
        }
        Command::Churn { capacity, buyers, cancels, concurrency, max_quantity, webhooks } => {
            let drop = Hotdrop { capacity, buyers, concurrency, max_quantity };
            Scenario::Churn(Churn { drop, cancels, webhooks })
        }
        Command::OfferChurn { capacity, buyers, cancels, lapses, window_seconds, concurrency } => {
            let drop = Hotdrop { capacity, buyers, concurrency, max_quantity: 1 };
            let lapses = lapses.unwrap_or(cancels / 2);
            Scenario::OfferChurn(OfferChurn { drop, cancels, lapses, window_seconds })
        }
        Command::Room {
            capacity,
            buyers,
            concurrency,
            rate,
            start_in_seconds,
            max_poll_ms,
            arrivals_per_second,
        } => {
            let (start_in, max_poll) =
                (Duration::from_secs(start_in_seconds), Duration::from_millis(max_poll_ms));
            Scenario::Room(Room {
                capacity,
                buyers,
                concurrency,
                rate,
                start_in,
                max_poll,
                arrivals: arrivals_per_second,
            })
        }
        Command::Login { users, concurrency } => Scenario::Login(LoginLoad { users, concurrency }),
        Command::Mixed {
            users,
            capacity,
            max_quantity,
            overtake_limit,
            concurrency,
            seconds,
            seed,
            offer_window_seconds,
            cancel_at_end,
        } => {
            let seed = seed.unwrap_or_else(|| {
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_secs())
            });
            let duration = Duration::from_secs(seconds);
            Scenario::Mixed(Mixed {
                users,
                capacity,
                max_quantity,
                overtake_limit,
                concurrency,
                duration,
                seed,
                offer_window_seconds,
                cancel_at_end,
            })
        }
        Command::Status { concurrency, seconds } => {
            Scenario::Status(StatusLoad { concurrency, duration: Duration::from_secs(seconds) })
        }
        Command::List { concurrency, seconds, events } => {
            Scenario::List(ListLoad { concurrency, duration: Duration::from_secs(seconds), events })
        }
    };
    let connections = match scenario {
        Scenario::Hotdrop(h)
        | Scenario::Churn(Churn { drop: h, .. })
        | Scenario::OfferChurn(OfferChurn { drop: h, .. }) => h.concurrency,
        Scenario::Status(s) => s.concurrency,
        Scenario::List(l) => l.concurrency,
        Scenario::Login(l) => l.concurrency,
        Scenario::Mixed(m) => m.concurrency,
        Scenario::Room(r) => r.concurrency,
    };
    let api = Api::new(cli.bases, connections)?.with_retries(!cli.no_idempotency_keys);
    let provisioning = Provisioning {
        concurrency: cli.provision_concurrency,
        database_url: cli.database_url.as_deref().filter(|_| cli.accounts_by_sql),
    };
    let report = execute(&api, scenario, cli.database_url.as_deref(), provisioning).await?;
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::from(2) })
}
