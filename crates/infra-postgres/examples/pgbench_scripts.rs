//! Writes pgbench scripts that run the adapter's own booking and cancel statements, for the
//! benchmark's database ceiling (`bench/run.sh`):
//!
//! ```sh
//! cargo run -p infra-postgres --example pgbench_scripts -- <directory>
//! ```
//!
//! The scripts expect `-D event=<id>`, a sequence `bench_user` handing out user ids that have
//! no booking for that event, and (for cancels) a sequence `bench_cancel` handing out ids of
//! the event's confirmed bookings in id order.

use std::path::PathBuf;

use infra_postgres::sql::{
    GUARD_EVENT_OF_BOOKING, GUARD_NAMESPACE, GUARD_SHARED, LOCK_BOOKING, MARK_CANCELLED, PASS_SEAT_ON,
    TAKE_FREE_SEAT, TAKE_SEAT_OR_JOIN_LINE,
};

/// A statement with its `$1`/`$2` replaced by pgbench variables or expressions.
fn bind(sql: &str, first: &str, second: &str) -> String {
    format!("{};\n", sql.replace("$2", second).replace("$1", first))
}

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".to_owned()));
    std::fs::create_dir_all(&dir)?;
    let namespace = GUARD_NAMESPACE.to_string();
    let user = "nextval('bench_user')";

    // Seats left: the one-statement fast path.
    let seats_left = bind(TAKE_FREE_SEAT, ":event", user);
    // Sold out: the fast path finds no seat, then the guarded transaction joins the line.
    let sold_out = [
        bind(TAKE_FREE_SEAT, ":event", user),
        "BEGIN;\n".to_owned(),
        bind(GUARD_SHARED, &namespace, ":event"),
        bind(TAKE_SEAT_OR_JOIN_LINE, ":event", user),
        "END;\n".to_owned(),
    ]
    .concat();
    // Cancel a confirmed booking and promote the head of the line.
    let cancel_promote = [
        "SELECT nextval('bench_cancel') AS booking \\gset\n".to_owned(),
        "BEGIN;\n".to_owned(),
        bind(GUARD_EVENT_OF_BOOKING, &namespace, ":booking"),
        bind(LOCK_BOOKING, ":booking", ""),
        bind(PASS_SEAT_ON, ":event", ""),
        bind(MARK_CANCELLED, ":booking", ""),
        "END;\n".to_owned(),
    ]
    .concat();

    for (name, script) in
        [("seats_left", seats_left), ("sold_out", sold_out), ("cancel_promote", cancel_promote)]
    {
        std::fs::write(dir.join(format!("{name}.sql")), script)?;
    }
    Ok(())
}
