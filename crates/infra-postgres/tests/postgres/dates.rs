//! Every date the domain's parser accepts, in any of its forms, is stored and read back as the
//! same calendar day.

use domain::ports::Catalog;
use domain::{EventDate, NewEvent, Price, TicketLimit};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::helpers::{Fixture, text};

/// Days as text, `YYYY-MM-DD`, across the whole range (some do not exist: those are refused).
fn days() -> impl Strategy<Value = String> {
    (1..=9999_u32, 1..=12_u32, 1..=31_u32).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

/// ISO 8601 date-times: with seconds and a fraction or not, `Z`, an offset, or none.
fn date_times() -> impl Strategy<Value = String> {
    let offset = prop_oneof![
        Just(String::new()),
        Just("Z".to_owned()),
        (prop::bool::ANY, 0..=14_u32, 0..=59_u32)
            .prop_map(|(west, h, m)| format!("{}{h:02}:{m:02}", if west { '-' } else { '+' })),
    ];
    let seconds = prop_oneof![
        Just(String::new()),
        (0..=59_u32).prop_map(|s| format!(":{s:02}")),
        (0..=59_u32, 0..=999_999_u32).prop_map(|(s, f)| format!(":{s:02}.{f}"))
    ];
    (days(), 0..=23_u32, 0..=59_u32, seconds, offset)
        .prop_map(|(day, h, m, s, o)| format!("{day}T{h:02}:{m:02}{s}{o}"))
}

/// Milliseconds around and beyond the range of years 1 to 9999.
fn millis() -> impl Strategy<Value = i64> {
    prop_oneof![-62_200_000_000_000_i64..=253_500_000_000_000, any::<i64>()]
}

#[test]
fn every_accepted_date_is_stored_as_the_same_calendar_day() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (fx, organizer) = runtime.block_on(async {
        let fx = Fixture::new().await;
        let organizer = fx.user("organizer").await;
        (fx, organizer)
    });
    let round_trip = |date: EventDate| -> Result<(), TestCaseError> {
        let event = NewEvent::new(
            organizer,
            text("Dated"),
            text("Any day"),
            date,
            text("Anywhere"),
            TicketLimit::new(1).unwrap(),
            Price::from_cents(0).unwrap(),
        );
        let stored = runtime.block_on(async {
            let created = fx.store.create_event(event, None).await.unwrap();
            fx.store.availability(created.id).await.unwrap().event.date
        });
        prop_assert_eq!(stored, date);
        prop_assert_eq!(
            EventDate::parse(&stored.to_string()),
            Ok(date),
            "shown as YYYY-MM-DD and parsed back"
        );
        Ok(())
    };
    let mut runner = TestRunner::new(Config { cases: 128, ..Config::default() });

    runner
        .run(&prop_oneof![days(), date_times()], |raw| EventDate::parse(&raw).map_or(Ok(()), &round_trip))
        .unwrap();
    runner.run(&millis(), |ms| EventDate::from_unix_millis(ms).map_or(Ok(()), &round_trip)).unwrap();
    runner.run(&"\\PC{0,40}", |raw| EventDate::parse(&raw).map_or(Ok(()), &round_trip)).unwrap();
}
