//! Writes pgbench scripts that run the adapter's own booking and cancel statements, for the
//! benchmark's database ceiling (`bench/run.sh`):
//!
//! ```sh
//! cargo run -p infra-postgres --example pgbench_scripts -- <directory>
//! ```
//!
//! The scripts expect `-D event=<id>`, a sequence `bench_user` handing out user ids that have
//! no booking for that event, and (for cancels) a sequence `bench_cancel` handing out ids of
//! the event's confirmed bookings in id order. Where the service decides in Rust between two
//! statements (the domain placing a newcomer, or serving the line), the scripts write what it
//! decides for one-seat bookings with an overtake limit of 0: a booker joins the back of the
//! line; a freed seat goes to the head (read alone, where the service reads a page).

use std::path::PathBuf;

use domain::notice::NoticeKind;
use infra_postgres::bench::{
    LOCK_EVENT, LOCK_EVENT_OF_BOOKING, PLACE, READ_LINE, TAKE_FREE_SEATS, TARGETS, WRITE_CHANGES,
    WRITE_NOTICES,
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

fn quoted(kind: NoticeKind) -> String {
    format!("'{}'", kind.as_str())
}

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".to_owned()));
    std::fs::create_dir_all(&dir)?;
    let user = "nextval('bench_user')";

    let (confirmed, waitlisted) =
        (quoted(NoticeKind::BookingConfirmed), quoted(NoticeKind::BookingWaitlisted));
    // Seats left: the one-statement fast path.
    let seats_left = bind_all(TAKE_FREE_SEATS, &[":event", user, &confirmed, "1", "NULL"], ";");
    // Sold out: the fast path finds no seat, then the guarded transaction joins the line.
    let place = [
        ":event",
        &format!("ARRAY[{user}]"),
        "ARRAY['PENDING']",
        "ARRAY[1]",
        "ARRAY[0]",
        "ARRAY[:locked_waiting]::int8[]",
        "ARRAY[:locked_seats_waiting]::int8[]",
        "ARRAY[]::int8[]",
        "ARRAY[]::int4[]",
        "0",
        "1",
        "1",
        &confirmed,
        &waitlisted,
        "false",
        "ARRAY[NULL]::text[]",
    ];
    let sold_out = [
        bind_all(TAKE_FREE_SEATS, &[":event", user, &confirmed, "1", "NULL"], ";"),
        "BEGIN;\n".to_owned(),
        bind_all(LOCK_EVENT, &[":event"], " \\gset locked_"),
        bind_all(PLACE, &place, ";"),
        "END;\n".to_owned(),
    ]
    .concat();
    // Cancel a confirmed booking, promote the head of the line, and write both notices.
    let notices = [
        format!("ARRAY[{}, {}]", quoted(NoticeKind::BookingCancelled), quoted(NoticeKind::BookingPromoted)),
        "ARRAY[:event, :event]::int8[]".to_owned(),
        "ARRAY[:booking, :head_id]::int8[]".to_owned(),
        "ARRAY[:cancelled_user_id, :head_user_id]::int8[]".to_owned(),
        "ARRAY[1, 1]::int4[]".to_owned(),
        "ARRAY[NULL, NULL]::int8[]".to_owned(),
        "ARRAY[NULL, NULL]::int8[]".to_owned(),
    ];
    let notices: Vec<&str> = notices.iter().map(String::as_str).collect();
    let changes = [
        ":event",
        "ARRAY[:booking, :head_id]",
        "ARRAY['CANCELLED', 'CONFIRMED']",
        "ARRAY[1, 1]",
        "ARRAY[0, :head_overtaken]",
        "0",
        "-1",
        "-1",
        "ARRAY[:booking, :head_id]::int8[]",
        "ARRAY['cancelled', 'promoted']",
        "ARRAY['CONFIRMED', 'PENDING']",
        "ARRAY['CANCELLED', 'CONFIRMED']",
        "ARRAY[1, 1]",
        "ARRAY[-1, 1]",
        "ARRAY[0, -1]",
        "ARRAY[0, -1]",
        "ARRAY['user', 'user']",
        "ARRAY[:cancelled_user_id, :cancelled_user_id]::int8[]",
        "ARRAY[NULL, NULL]::text[]",
    ];
    let cancel_promote = [
        "SELECT nextval('bench_cancel') AS booking \\gset\n".to_owned(),
        "BEGIN;\n".to_owned(),
        bind_all(LOCK_EVENT_OF_BOOKING, &[":booking"], " \\gset locked_"),
        bind_all(TARGETS, &[":event", "ARRAY[:booking]::int8[]", "ARRAY[]::int8[]"], " \\gset cancelled_"),
        bind_all(READ_LINE, &[":event", "1"], " \\gset head_"),
        bind_all(WRITE_CHANGES, &changes, ";"),
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
