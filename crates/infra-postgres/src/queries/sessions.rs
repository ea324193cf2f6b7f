use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::result::QueryResult;
use diesel::sql_types::{BigInt, Bool, Int4, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::Prepared;
use crate::rows::UserRow;

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

/// The channel every revocation is announced on, its payload the revocation itself (see
/// `store::sessions` for the format): one listener per server instance.
macro_rules! channel {
    () => {
        "ticketing_sessions"
    };
}

/// Subscribes a connection to the revocations [`ANNOUNCE_REVOCATION`] announces.
const LISTEN_SESSIONS: &str = concat!("LISTEN ", channel!());

pub(crate) async fn listen(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    diesel::sql_query(LISTEN_SESSIONS).execute(conn).await
}

/// Announces a revocation to every listener, when the transaction commits.
const ANNOUNCE_REVOCATION: &str = concat!("SELECT pg_notify('", channel!(), "', $1)");

pub(crate) async fn announce(conn: &mut AsyncPgConnection, payload: &str) -> QueryResult<usize> {
    Prepared(diesel::sql_query(ANNOUNCE_REVOCATION).bind::<Text, _>(payload)).execute(conn).await
}

/// A logout; revoking a token twice is not an error.
const REVOKE_TOKEN: &str = "\
    INSERT INTO revoked_tokens (jti, user_id, expires_at) VALUES ($1::uuid, $2, $3)
    ON CONFLICT (jti) DO NOTHING";

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

/// A password change: the new hash, and the next token generation.
const CHANGE_PASSWORD: &str = "\
    UPDATE users SET password_hash = $2, token_generation = token_generation + 1, password_changed_at = now()
    WHERE id = $1
    RETURNING id, email, first_name, last_name, token_generation, password_changed_at AS changed_at";

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

/// A rehash with today's parameters: only while the hash is still the one that was checked.
const UPGRADE_HASH: &str = "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2";

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

/// Every revocation that can still refuse a token: logouts not yet expired, password changes
/// since `$1`.
const REVOCATIONS: &str = "\
    SELECT replace(jti::text, '-', '') AS jti, NULL::int8 AS user_id, NULL::int4 AS token_generation,
           expires_at AS at
    FROM revoked_tokens WHERE expires_at > now()
    UNION ALL
    SELECT NULL, id, token_generation, password_changed_at
    FROM users WHERE password_changed_at > $1";

pub(crate) async fn revocations(
    conn: &mut AsyncPgConnection,
    changed_since: DateTime<Utc>,
) -> QueryResult<Vec<RevocationRow>> {
    Prepared(diesel::sql_query(REVOCATIONS).bind::<Timestamptz, _>(changed_since)).load(conn).await
}

/// Whether a token may act: its user exists, has not moved past its generation, and has not
/// logged it out.
const ADMITS: &str = "\
    SELECT u.token_generation = $2 AND NOT EXISTS (SELECT FROM revoked_tokens r WHERE r.jti = $3::uuid)
           AS admitted
    FROM users u WHERE u.id = $1";

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

/// Expired revocations refuse nothing; the minute's grace covers instances' clock differences.
const FORGET_EXPIRED_REVOCATIONS: &str =
    "DELETE FROM revoked_tokens WHERE expires_at < now() - interval '1 minute'";

pub(crate) async fn forget_expired(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    Prepared(diesel::sql_query(FORGET_EXPIRED_REVOCATIONS)).execute(conn).await
}
