//! Whatever text the domain's value types accept, PostgreSQL stores and gives back: a value that
//! exists is valid all the way down (no 500 from a character the database refuses).

use domain::ports::{Catalog, Users};
use domain::{EmailAddress, EventDate, NewEvent, NewUser, NonEmptyText, PasswordHash, Price, TicketLimit};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::helpers::{Fixture, text};

/// Any characters, with the awkward ones (NUL, controls, surrogate-adjacent, combining marks,
/// right-to-left text, emoji) much more likely than chance would make them.
fn awkward_text() -> impl Strategy<Value = String> {
    prop::collection::vec(awkward_char(), 0..40).prop_map(|chars| chars.into_iter().collect())
}

/// Local parts that are mostly plausible, now and then with an awkward character (most of
/// which the address rules refuse, and some of which they normalise).
fn local_part() -> impl Strategy<Value = String> {
    let plausible = prop_oneof![
        proptest::char::range('a', 'z'),
        proptest::char::range('0', '9'),
        Just('.'),
        Just('+'),
        Just('é'),
        Just('ß'),
        Just('\u{ff41}'),
    ];
    prop::collection::vec(prop_oneof![6 => plausible, 1 => awkward_char()], 1..20)
        .prop_map(|chars| chars.into_iter().collect())
}

fn awkward_char() -> impl Strategy<Value = char> {
    prop_oneof![
        Just('\0'),
        Just('\u{7f}'),
        Just('\u{200b}'),
        Just('\u{202e}'),
        Just('\u{feff}'),
        Just('\u{301}'),
        Just('\u{fffd}'),
        Just('\u{d7ff}'),
        Just('\u{e000}'),
        Just('\u{10ffff}'),
        Just('\u{1f600}'),
        Just('\u{5d0}'),
        Just(' '),
        Just('\t'),
        Just('\n'),
        Just('\''),
        Just('\\'),
        any::<char>(),
    ]
}

#[test]
fn every_accepted_text_and_address_is_stored_and_read_back_unchanged() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (fx, organizer) = runtime.block_on(async {
        let fx = Fixture::new().await;
        let organizer = fx.user("organizer").await;
        (fx, organizer)
    });
    let accepted = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let mut runner = TestRunner::new(Config { cases: 200, ..Config::default() });
    runner
        .run(&(awkward_text(), local_part()), |(raw, local)| {
            if let Ok(name) = NonEmptyText::parse(&raw) {
                accepted.0.set(accepted.0.get() + 1);
                let event = NewEvent::new(
                    organizer,
                    name.clone(),
                    name.clone(),
                    EventDate::parse("2027-01-01").unwrap(),
                    name.clone(),
                    TicketLimit::new(1).unwrap(),
                    Price::from_cents(0).unwrap(),
                );
                let stored = runtime.block_on(async {
                    let created = fx.store.create_event(event, None).await.map_err(|e| format!("{e:?}"))?;
                    fx.store.availability(created.id).await.map(|a| a.event).map_err(|e| format!("{e:?}"))
                });
                let stored = stored.map_err(TestCaseError::fail)?;
                prop_assert_eq!(stored.name.as_str(), name.as_str());
                prop_assert_eq!(stored.location.as_str(), name.as_str());
            }
            if let Ok(email) = EmailAddress::parse(&format!("{local}@example.com")) {
                accepted.1.set(accepted.1.get() + 1);
                let user = NewUser {
                    email: email.clone(),
                    password_hash: PasswordHash::new("$argon2id$v=19$stub".to_owned()),
                    first_name: text("Any"),
                    last_name: text("One"),
                };
                let stored = runtime.block_on(async {
                    match fx.store.create_user(user, None).await {
                        Ok(user) => fx
                            .store
                            .find(user.id)
                            .await
                            .map(|u| u.map(|u| u.email))
                            .map_err(|e| format!("{e:?}")),
                        // Two generated addresses may normalise alike: that is the rule working.
                        Err(domain::RegisterError::EmailTaken) => Ok(Some(email.clone())),
                        Err(e) => Err(format!("{e:?}")),
                    }
                });
                let stored = stored.map_err(TestCaseError::fail)?;
                prop_assert_eq!(stored.as_ref().map(EmailAddress::as_str), Some(email.as_str()));
            }
            Ok(())
        })
        .unwrap();
    let (texts, addresses) = (accepted.0.get(), accepted.1.get());
    assert!(texts > 20 && addresses > 20, "too few accepted values to mean anything: {texts}, {addresses}");
}
