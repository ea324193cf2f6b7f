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

use domain::notice::NoticeKind;
use infra_postgres::bench::{
    GUARD_EVENT_OF_BOOKING, GUARD_NAMESPACE, GUARD_SHARED, LOCK_BOOKING, MARK_CANCELLED, PASS_SEAT_ON,
    TAKE_FREE_SEAT, TAKE_SEAT_OR_JOIN_LINE, WRITE_NOTICES,
};

/// A statement with its `$1`, `$2`, … replaced by pgbench variables or expressions, ended by
/// `end` (`;` or a `\gset`).
fn bind_all(sql: &str, values: &[&str], end: &str) -> String {
    let bound = values
        .iter()
        .enumerate()
        .rev()
        .fold(sql.to_owned(), |sql, (i, value)| sql.replace(&format!("${}", i + 1), value));
    format!("{bound}{end}\n")
}

fn bind(sql: &str, first: &str, second: &str) -> String {
    bind_all(sql, &[first, second], ";")
}

fn quoted(kind: NoticeKind) -> String {
    format!("'{}'", kind.as_str())
}

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".to_owned()));
    std::fs::create_dir_all(&dir)?;
    let namespace = GUARD_NAMESPACE.to_string();
    let user = "nextval('bench_user')";

    let (confirmed, waitlisted) =
        (quoted(NoticeKind::BookingConfirmed), quoted(NoticeKind::BookingWaitlisted));
    // Seats left: the one-statement fast path.
    let seats_left = bind_all(TAKE_FREE_SEAT, &[":event", user, &confirmed], ";");
    // Sold out: the fast path finds no seat, then the guarded transaction joins the line.
    let sold_out = [
        bind_all(TAKE_FREE_SEAT, &[":event", user, &confirmed], ";"),
        "BEGIN;\n".to_owned(),
        bind(GUARD_SHARED, &namespace, ":event"),
        bind_all(TAKE_SEAT_OR_JOIN_LINE, &[":event", user, &confirmed, &waitlisted], ";"),
        "END;\n".to_owned(),
    ]
    .concat();
    // Cancel a confirmed booking, promote the head of the line, and write both notices.
    let notices = [
        format!("ARRAY[{}, {}]", quoted(NoticeKind::BookingCancelled), quoted(NoticeKind::BookingPromoted)),
        "ARRAY[:event, :event]::int8[]".to_owned(),
        "ARRAY[:booking, :promoted_id]::int8[]".to_owned(),
        "ARRAY[:cancelled_user_id, :promoted_user_id]::int8[]".to_owned(),
        "ARRAY[NULL, NULL]::int8[]".to_owned(),
    ];
    let notices: Vec<&str> = notices.iter().map(String::as_str).collect();
    let cancel_promote = [
        "SELECT nextval('bench_cancel') AS booking \\gset\n".to_owned(),
        "BEGIN;\n".to_owned(),
        bind(GUARD_EVENT_OF_BOOKING, &namespace, ":booking"),
        bind(LOCK_BOOKING, ":booking", ""),
        bind_all(PASS_SEAT_ON, &[":event"], " \\gset promoted_"),
        bind_all(MARK_CANCELLED, &[":booking"], " \\gset cancelled_"),
        bind_all(WRITE_NOTICES, &notices, ";"),
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
