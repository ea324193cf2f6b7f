use diesel::QueryableByName;
use diesel::result::QueryResult;
use diesel::sql_types::{Array, BigInt, Binary, Bool, Nullable, SmallInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use std::time::Duration;

use super::{Prepared, millis};

/// A held key, as [`READ_KEY`] reads it.
#[derive(Debug, QueryableByName)]
pub(crate) struct HeldRow {
    #[diesel(sql_type = Bool)]
    pub same_request: bool,
    #[diesel(sql_type = Nullable<SmallInt>)]
    pub status: Option<i16>,
    #[diesel(sql_type = Nullable<Binary>)]
    pub body: Option<Vec<u8>>,
}

/// The columns that name a key: requester and key.
pub(crate) struct KeyName<'a> {
    pub requester: &'a str,
    pub key: &'a str,
}

/// A key nobody holds, claimed by a new attempt.
const CLAIM_KEY: &str = "\
    INSERT INTO idempotency_keys (requester, key, fingerprint, attempt, lease_until)
    VALUES ($1, $2, $3, $4::uuid, now() + $5 * interval '1 millisecond')
    ON CONFLICT (requester, key) DO NOTHING";

/// A key whose attempt's lease ran out without an answer, taken over for the same request.
const TAKE_OVER_KEY: &str = "\
    UPDATE idempotency_keys SET attempt = $4::uuid, lease_until = now() + $5 * interval '1 millisecond'
    WHERE requester = $1 AND key = $2 AND fingerprint = $3 AND status IS NULL AND lease_until < now()";

/// Whether a new attempt got the key: free (`CLAIM_KEY`), or left unanswered past its lease
/// (`TAKE_OVER_KEY`).
pub(crate) async fn claim(
    conn: &mut AsyncPgConnection,
    name: &KeyName<'_>,
    fingerprint: &[u8],
    attempt: &str,
    lease: Duration,
) -> QueryResult<bool> {
    for statement in [CLAIM_KEY, TAKE_OVER_KEY] {
        let claimed = Prepared(
            diesel::sql_query(statement)
                .bind::<Text, _>(name.requester)
                .bind::<Text, _>(name.key)
                .bind::<Binary, _>(fingerprint)
                .bind::<Text, _>(attempt)
                .bind::<BigInt, _>(millis(lease)),
        )
        .execute(conn)
        .await?;
        if claimed == 1 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What a held key is: for the same request or not, and its answer if it has one.
const READ_KEY: &str = "\
    SELECT fingerprint = $3 AS same_request, status, body
    FROM idempotency_keys WHERE requester = $1 AND key = $2";

pub(crate) async fn held(
    conn: &mut AsyncPgConnection,
    name: &KeyName<'_>,
    fingerprint: &[u8],
) -> QueryResult<Option<HeldRow>> {
    let rows: Vec<HeldRow> = Prepared(
        diesel::sql_query(READ_KEY)
            .bind::<Text, _>(name.requester)
            .bind::<Text, _>(name.key)
            .bind::<Binary, _>(fingerprint),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().next())
}

/// The answer, stored by the attempt that holds the key (inside the effect's transaction, or
/// after a refusal); no row when the attempt no longer holds it.
const ANSWER_KEY: &str = "\
    UPDATE idempotency_keys SET status = $4, body = $5
    WHERE requester = $1 AND key = $2 AND attempt = $3::uuid AND status IS NULL";

/// Stores the answer; whether the attempt still held the key.
pub(crate) async fn answer(
    conn: &mut AsyncPgConnection,
    name: &KeyName<'_>,
    attempt: &str,
    status: i16,
    body: &[u8],
) -> QueryResult<bool> {
    let updated = Prepared(
        diesel::sql_query(ANSWER_KEY)
            .bind::<Text, _>(name.requester)
            .bind::<Text, _>(name.key)
            .bind::<Text, _>(attempt)
            .bind::<SmallInt, _>(status)
            .bind::<Binary, _>(body),
    )
    .execute(conn)
    .await?;
    Ok(updated == 1)
}

/// One attempt's answer, for [`answer_many`].
pub(crate) struct Answer<'a> {
    pub name: KeyName<'a>,
    pub attempt: String,
    pub status: i16,
    pub body: &'a [u8],
}

#[derive(QueryableByName)]
struct Ordinal {
    #[diesel(sql_type = BigInt)]
    ord: i64,
}

/// [`ANSWER_KEY`] for many attempts at once (a batch of bookings): parallel arrays of
/// requester, key, attempt, status and body; returns the ordinals (from 1) of those that still
/// held their keys.
const ANSWER_KEYS: &str = "\
    UPDATE idempotency_keys k SET status = a.status, body = a.body
    FROM unnest($1::text[], $2::text[], $3::text[], $4::int2[], $5::bytea[])
         WITH ORDINALITY AS a(requester, key, attempt, status, body, ord)
    WHERE k.requester = a.requester AND k.key = a.key AND k.attempt = a.attempt::uuid AND k.status IS NULL
    RETURNING a.ord";

/// Stores several answers in one statement; for each, whether its attempt still held the key.
pub(crate) async fn answer_many(
    conn: &mut AsyncPgConnection,
    answers: &[Answer<'_>],
) -> QueryResult<Vec<bool>> {
    let requesters: Vec<&str> = answers.iter().map(|a| a.name.requester).collect();
    let keys: Vec<&str> = answers.iter().map(|a| a.name.key).collect();
    let attempts: Vec<&str> = answers.iter().map(|a| a.attempt.as_str()).collect();
    let statuses: Vec<i16> = answers.iter().map(|a| a.status).collect();
    let bodies: Vec<&[u8]> = answers.iter().map(|a| a.body).collect();
    let stored: Vec<Ordinal> = Prepared(
        diesel::sql_query(ANSWER_KEYS)
            .bind::<Array<Text>, _>(requesters)
            .bind::<Array<Text>, _>(keys)
            .bind::<Array<Text>, _>(attempts)
            .bind::<Array<SmallInt>, _>(statuses)
            .bind::<Array<Binary>, _>(bodies),
    )
    .load(conn)
    .await?;
    let mut held = vec![false; answers.len()];
    for Ordinal { ord } in stored {
        if let Some(slot) =
            usize::try_from(ord).ok().and_then(|ord| ord.checked_sub(1)).and_then(|i| held.get_mut(i))
        {
            *slot = true;
        }
    }
    Ok(held)
}

/// An attempt gives its key back unanswered, so a retry runs again.
const RELEASE_KEY: &str = "\
    DELETE FROM idempotency_keys WHERE requester = $1 AND key = $2 AND attempt = $3::uuid AND status IS NULL";

pub(crate) async fn release(
    conn: &mut AsyncPgConnection,
    name: &KeyName<'_>,
    attempt: &str,
) -> QueryResult<usize> {
    Prepared(
        diesel::sql_query(RELEASE_KEY)
            .bind::<Text, _>(name.requester)
            .bind::<Text, _>(name.key)
            .bind::<Text, _>(attempt),
    )
    .execute(conn)
    .await
}

/// Keys past their keeping time.
const FORGET_KEYS: &str =
    "DELETE FROM idempotency_keys WHERE created_at < now() - $1 * interval '1 millisecond'";

pub(crate) async fn forget_older_than(conn: &mut AsyncPgConnection, kept: Duration) -> QueryResult<usize> {
    Prepared(diesel::sql_query(FORGET_KEYS).bind::<BigInt, _>(millis(kept))).execute(conn).await
}
