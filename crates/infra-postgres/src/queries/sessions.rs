use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::result::QueryResult;
use diesel::sql_types::{BigInt, Bool, Int4, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::Prepared;
use crate::rows::UserRow;
use crate::sql::{
    ADMITS, ANNOUNCE_REVOCATION, CHANGE_PASSWORD, FORGET_EXPIRED_REVOCATIONS, REVOCATIONS, REVOKE_TOKEN,
    UPGRADE_HASH,
};

/// One row of [`REVOCATIONS`]: a logout (`jti` set) or a password change (`user_id` set).
#[derive(Debug, QueryableByName)]
pub(crate) struct RevocationRow {
    #[diesel(sql_type = Nullable<Text>)]
    pub jti: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub user_id: Option<i64>,
    #[diesel(sql_type = Nullable<Int4>)]
    pub token_generation: Option<i32>,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
}

#[derive(Debug, QueryableByName)]
pub(crate) struct ChangedRow {
    #[diesel(embed)]
    pub user: UserRow,
    #[diesel(sql_type = Int4)]
    pub token_generation: i32,
    #[diesel(sql_type = Timestamptz)]
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, QueryableByName)]
struct AdmittedRow {
    #[diesel(sql_type = Bool)]
    admitted: bool,
}

pub(crate) async fn announce(conn: &mut AsyncPgConnection, payload: &str) -> QueryResult<usize> {
    Prepared(diesel::sql_query(ANNOUNCE_REVOCATION).bind::<Text, _>(payload)).execute(conn).await
}

pub(crate) async fn revoke(
    conn: &mut AsyncPgConnection,
    jti: &str,
    user: i64,
    expires_at: DateTime<Utc>,
) -> QueryResult<usize> {
    Prepared(
        diesel::sql_query(REVOKE_TOKEN)
            .bind::<Text, _>(jti)
            .bind::<BigInt, _>(user)
            .bind::<Timestamptz, _>(expires_at),
    )
    .execute(conn)
    .await
}

pub(crate) async fn change_password(
    conn: &mut AsyncPgConnection,
    user: i64,
    hash: &str,
) -> QueryResult<Option<ChangedRow>> {
    use diesel::OptionalExtension as _;
    Prepared(diesel::sql_query(CHANGE_PASSWORD).bind::<BigInt, _>(user).bind::<Text, _>(hash))
        .get_result(conn)
        .await
        .optional()
}

pub(crate) async fn upgrade_hash(
    conn: &mut AsyncPgConnection,
    user: i64,
    old: &str,
    new: &str,
) -> QueryResult<usize> {
    Prepared(
        diesel::sql_query(UPGRADE_HASH).bind::<BigInt, _>(user).bind::<Text, _>(old).bind::<Text, _>(new),
    )
    .execute(conn)
    .await
}

pub(crate) async fn revocations(
    conn: &mut AsyncPgConnection,
    changed_since: DateTime<Utc>,
) -> QueryResult<Vec<RevocationRow>> {
    Prepared(diesel::sql_query(REVOCATIONS).bind::<Timestamptz, _>(changed_since)).load(conn).await
}

pub(crate) async fn admits(
    conn: &mut AsyncPgConnection,
    user: i64,
    generation: i32,
    jti: &str,
) -> QueryResult<bool> {
    let rows: Vec<AdmittedRow> = Prepared(
        diesel::sql_query(ADMITS).bind::<BigInt, _>(user).bind::<Int4, _>(generation).bind::<Text, _>(jti),
    )
    .load(conn)
    .await?;
    Ok(rows.iter().any(|row| row.admitted))
}

pub(crate) async fn forget_expired(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    Prepared(diesel::sql_query(FORGET_EXPIRED_REVOCATIONS)).execute(conn).await
}
