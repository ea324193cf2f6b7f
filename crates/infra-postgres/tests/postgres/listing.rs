//! Listing events: what the planner does with a deep page (paging and filters are the
//! contract's, `contract.rs`).

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use crate::helpers::Fixture;

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// A deep page of 10 000 events is an index range scan, answered in milliseconds, planned as
/// the prepared statement will be (generically) and as a first call would be (custom).
#[tokio::test]
async fn a_deep_page_of_ten_thousand_events_is_an_index_scan_answered_in_milliseconds() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let mut conn = fx.raw().await;
    conn.batch_execute(&format!(
        "INSERT INTO events (organizer_id, name, description, date, location, ticket_limit, price_cents)
         SELECT {organizer}, 'Event ' || g, 'Generated', DATE '2027-01-01' + (g % 700), 'City ' || (g % 50), 100, 1000
         FROM generate_series(1, 10000) AS g;
         ANALYZE events; ANALYZE bookings;",
        organizer = organizer.get()
    ))
    .await
    .unwrap();

    for plan_cache_mode in ["force_generic_plan", "force_custom_plan"] {
        conn.batch_execute(&format!(
            "SET plan_cache_mode = {plan_cache_mode};
             DEALLOCATE ALL;
             PREPARE list_events(date, int8, date, text, text, int8) AS {};",
            infra_postgres::bench::LIST_EVENTS
        ))
        .await
        .unwrap();
        let plan: Vec<PlanLine> = diesel::sql_query(
            "EXPLAIN (ANALYZE, FORMAT TEXT) EXECUTE list_events(DATE '2027-06-01', 5000, NULL, NULL, NULL, 21)",
        )
        .load(&mut conn)
        .await
        .unwrap();
        let text: Vec<String> = plan.into_iter().map(|p| p.line).collect();
        let text = text.join("\n");

        assert!(text.contains("Index Scan using events_date_id_idx"), "{plan_cache_mode}:\n{text}");
        assert!(!text.contains("Seq Scan on events"), "{plan_cache_mode}:\n{text}");
        let execution = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Execution Time: "))
            .and_then(|t| t.trim_end_matches(" ms").parse::<f64>().ok())
            .unwrap();
        eprintln!("{plan_cache_mode}: a page 5 000 events deep answered in {execution} ms at the database");
        assert!(
            Duration::from_secs_f64(execution / 1000.0) < Duration::from_millis(5),
            "{plan_cache_mode}: {execution} ms\n{text}"
        );
    }
}
