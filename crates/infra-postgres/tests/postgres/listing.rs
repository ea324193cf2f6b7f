//! Listing events: keyset pages by (date, id), filters, and what the planner does with them.

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use domain::ports::{Catalog, Sales};
use domain::{CancelEvent, DateRange, EventCursor, EventDate, EventQuery, EventStatus, Limit, SearchText};

use crate::helpers::{Fixture, new_event_at};

fn day(raw: &str) -> EventDate {
    EventDate::parse(raw).unwrap()
}

#[tokio::test]
async fn events_come_by_date_then_id_in_pages_that_neither_skip_nor_repeat() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let mut expected = Vec::new();
    for (i, date) in ["2027-03-01", "2027-01-01", "2027-02-01", "2027-01-01", "2027-02-01"].iter().enumerate()
    {
        let event =
            fx.store.create_event(new_event_at(organizer, 5, &format!("E{i}"), "Kandy", date)).await.unwrap();
        expected.push((event.date, event.id));
    }
    expected.sort();

    let mut seen = Vec::new();
    let mut after: Option<EventCursor> = None;
    loop {
        let query = EventQuery { limit: Limit::new(2).unwrap(), after, ..EventQuery::default() };
        let page = fx.store.list_events(query).await.unwrap();
        seen.extend(page.items.iter().map(|a| (a.event.date, a.event.id)));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }

    assert_eq!(seen, expected);
}

#[tokio::test]
async fn events_are_filtered_by_dates_text_and_status() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let rock = fx
        .store
        .create_event(new_event_at(organizer, 5, "Rock Night", "Colombo", "2027-01-10"))
        .await
        .unwrap();
    let jazz =
        fx.store.create_event(new_event_at(organizer, 5, "Jazz", "Rockhampton", "2027-02-10")).await.unwrap();
    let _pop =
        fx.store.create_event(new_event_at(organizer, 5, "Pop 100%", "Kandy", "2027-03-10")).await.unwrap();
    fx.store.cancel_event(CancelEvent { caller: organizer, event: jazz.id }).await.unwrap();
    let list = async |query: EventQuery| -> Vec<String> {
        fx.store
            .list_events(query)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|a| a.event.name.into_inner())
            .collect()
    };

    let in_range = EventQuery {
        dates: DateRange::new(Some(day("2027-01-10")), Some(day("2027-02-10"))),
        ..EventQuery::default()
    };
    let by_text = EventQuery { search: SearchText::parse("ROCK").ok(), ..EventQuery::default() };
    let literal = EventQuery { search: SearchText::parse("0%").ok(), ..EventQuery::default() };
    let on_sale = EventQuery { status: Some(EventStatus::OnSale), ..EventQuery::default() };

    assert_eq!(list(in_range).await, ["Rock Night", "Jazz"]);
    assert_eq!(list(by_text).await, ["Rock Night", "Jazz"], "name or location, any case");
    assert_eq!(list(literal).await, ["Pop 100%"], "a % in the text is no wildcard");
    assert_eq!(list(on_sale).await, ["Rock Night", "Pop 100%"]);
    let summary = fx.store.list_events(EventQuery::default()).await.unwrap().items.remove(0);
    assert_eq!((summary.event.id, summary.tickets_available, summary.waiting_list_count), (rock.id, 5, 0));
}

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
            infra_postgres::sql::LIST_EVENTS
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
