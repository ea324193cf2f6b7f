use diesel_async::RunQueryDsl;
use domain::ports::Users;
use domain::{EmailAddress, RegisterError, UserId};

use crate::helpers::{Fixture, new_user};

#[tokio::test]
async fn a_registered_user_can_be_found_by_id_and_by_address() {
    let fx = Fixture::new().await;

    let user = fx.store.create_user(new_user("jane@doe.com")).await.unwrap();
    let by_id = fx.store.find(user.id).await.unwrap();
    let credentials =
        fx.store.credentials(EmailAddress::parse("Jane@Doe.com").unwrap()).await.unwrap().unwrap();

    assert_eq!(user.email.as_str(), "jane@doe.com");
    assert_eq!(by_id, Some(user.clone()));
    assert_eq!(credentials.user, user);
    assert_eq!(credentials.password_hash, new_user("jane@doe.com").password_hash);
}

#[tokio::test]
async fn an_address_that_is_taken_is_refused() {
    let fx = Fixture::new().await;
    fx.store.create_user(new_user("jane@doe.com")).await.unwrap();

    let again = fx.store.create_user(new_user("JANE@doe.com")).await;

    assert!(matches!(again, Err(RegisterError::EmailTaken)), "{again:?}");
}

#[tokio::test]
async fn two_sign_ups_with_one_address_at_the_same_instant_make_one_account() {
    let fx = Fixture::new().await;

    let (a, b) = tokio::join!(
        fx.store.create_user(new_user("twin@doe.com")),
        fx.store.create_user(new_user("twin@doe.com"))
    );

    assert!(a.is_ok() != b.is_ok(), "exactly one succeeds: {a:?} {b:?}");
    assert!(matches!(a.err().or(b.err()), Some(RegisterError::EmailTaken)));
}

#[tokio::test]
async fn unknown_users_are_absent_rather_than_errors() {
    let fx = Fixture::new().await;

    assert_eq!(fx.store.find(UserId::new(424_242).unwrap()).await.unwrap(), None);
    assert!(fx.store.credentials(EmailAddress::parse("nobody@doe.com").unwrap()).await.unwrap().is_none());
}

#[tokio::test]
async fn looking_up_a_login_address_uses_an_index() {
    #[derive(diesel::QueryableByName)]
    struct Plan {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let fx = Fixture::new().await;
    let mut conn = fx.raw().await;
    diesel_async::SimpleAsyncConnection::batch_execute(&mut conn, "SET enable_seqscan = off").await.unwrap();

    let plan: Vec<Plan> = diesel_async::RunQueryDsl::load(
        diesel::sql_query("EXPLAIN SELECT id FROM users WHERE email = 'jane@doe.com'"),
        &mut conn,
    )
    .await
    .unwrap();

    let plan: Vec<String> = plan.into_iter().map(|p| p.line).collect();
    assert!(plan.iter().any(|line| line.contains("users_email_unique")), "{plan:#?}");
}

/// Rows an earlier version stored, before addresses were normalised and look-alikes refused.
#[tokio::test]
async fn addresses_stored_before_the_rules_are_normalised_or_reported_and_stay_readable() {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let fx = Fixture::new().await;
    fx.store.create_user(new_user("taken@doe.com")).await.unwrap();
    let mut conn = fx.raw().await;
    let mut legacy = Vec::new();
    for email in
        ["ｊｏｈｎ@doe.com", "jo\u{200b}hn@doe.com", "ｔａｋｅｎ@doe.com", "plain@doe.com", "иван@doe.com"]
    {
        let row: Id = diesel::sql_query(
            "INSERT INTO users (email, password_hash, first_name, last_name) VALUES ($1, 'x', 'A', 'B') RETURNING id",
        )
        .bind::<diesel::sql_types::Text, _>(email)
        .get_result(&mut conn)
        .await
        .unwrap();
        legacy.push(row.id);
    }

    let found = fx.store.normalise_emails().await.unwrap();

    assert_eq!(found.rewritten, [legacy[0]]);
    assert_eq!(found.refused, [legacy[1]]);
    assert_eq!(found.colliding, [legacy[2]]);
    let john = fx.store.credentials(EmailAddress::parse("john@doe.com").unwrap()).await.unwrap();
    assert_eq!(john.map(|c| c.user.id.get()), Some(legacy[0]), "the owner logs in with the normal form");
    let invisible = fx.store.find(UserId::new(legacy[1]).unwrap()).await.unwrap().unwrap();
    assert_eq!(invisible.email.as_str(), "jo\u{200b}hn@doe.com", "a refused address stays readable");
    assert_eq!(
        fx.store.normalise_emails().await.unwrap().rewritten,
        Vec::<i64>::new(),
        "a second pass has nothing to do"
    );
}
