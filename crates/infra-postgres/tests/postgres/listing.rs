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
/// Slower than any index read here, even on a machine busy with other tests: the plans' shapes
/// are what the tests check, the time only that nothing reads every event.
const SLOW: Duration = Duration::from_millis(50);

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
             PREPARE list_events(date, int8, date, text, int8) AS {};",
            infra_postgres::bench::LIST_EVENTS
        ))
        .await
        .unwrap();
        let plan: Vec<PlanLine> = diesel::sql_query(
            "EXPLAIN (ANALYZE, FORMAT TEXT) EXECUTE list_events(DATE '2027-06-01', 5000, NULL, NULL, 21)",
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
        // The plan's shape above is the check; the time (well under a millisecond on an idle
        // machine) is bounded loosely, so that a busy machine does not fail it.
        assert!(
            Duration::from_secs_f64(execution / 1000.0) < SLOW,
            "{plan_cache_mode}: {execution} ms\n{text}"
        );
    }
}

/// A search of 100 000 events is served by the trigram indexes, not by reading every event:
/// text that few events contain, a word that a hundred do, and text that none does. Planned for
/// its own text (the adapter does not keep this statement prepared), and measured warm, as a
/// service's searches are; the first, cold read of each is printed too.
#[tokio::test]
async fn a_search_of_a_hundred_thousand_events_reads_an_index_in_milliseconds() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let mut conn = fx.raw().await;
    conn.batch_execute(&format!(
        "INSERT INTO events (organizer_id, name, description, date, location, ticket_limit, price_cents)
         SELECT {organizer}, 'Event ' || g || (CASE WHEN g % 1000 = 0 THEN ' Jazz Night' ELSE '' END),
                'Generated', DATE '2027-01-01' + (g % 700), 'City ' || (g % 50), 100, 1000
         FROM generate_series(1, 100000) AS g",
        organizer = organizer.get()
    ))
    .await
    .unwrap();
    // Statistics from every row, not a random sample of them: with a sample the planner's
    // estimate of how many names hold a word varied from run to run, and now and then it
    // chose to walk the events by date instead (one run in five of the whole suite).
    conn.batch_execute("SET default_statistics_target = 10000; ANALYZE events; ANALYZE bookings")
        .await
        .unwrap();
    conn.batch_execute(&format!(
        "SET plan_cache_mode = force_custom_plan;
         PREPARE search_events(date, int8, date, text, int8, text) AS {};",
        infra_postgres::bench::SEARCH_EVENTS
    ))
    .await
    .unwrap();

    for pattern in ["%jazz%", "%77777%", "%nowhere at all%"] {
        let mut timings = Vec::new();
        for _ in 0..2 {
            let plan: Vec<PlanLine> = diesel::sql_query(format!(
                "EXPLAIN (ANALYZE, FORMAT TEXT) EXECUTE search_events(NULL, 0, NULL, NULL, 21, '{pattern}')"
            ))
            .load(&mut conn)
            .await
            .unwrap();
            let text: Vec<String> = plan.into_iter().map(|p| p.line).collect();
            let text = text.join("\n");
            assert!(!text.contains("Seq Scan on events"), "{pattern}:\n{text}");
            assert!(!text.contains("events_date_id_idx"), "{pattern} walked the events by date:\n{text}");
            assert!(text.contains("events_name_trgm_idx"), "{pattern}:\n{text}");
            timings.push(
                text.lines()
                    .find_map(|l| l.trim().strip_prefix("Execution Time: "))
                    .and_then(|t| t.trim_end_matches(" ms").parse::<f64>().ok())
                    .unwrap(),
            );
        }
        eprintln!("{pattern}: {:.2} ms cold, {:.2} ms warm at the database", timings[0], timings[1]);
        assert!(Duration::from_secs_f64(timings[1] / 1000.0) < SLOW, "{pattern}: {timings:?} ms");
    }
}
