use diesel_async::RunQueryDsl;
use domain::ports::Users;
use domain::{EmailAddress, UserId};

use crate::helpers::{Fixture, new_user};

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
    fx.store.create_user(new_user("taken@doe.com"), None).await.unwrap();
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
