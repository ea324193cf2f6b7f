use diesel::QueryableByName;
use diesel::result::QueryResult;
use diesel::sql_types::{Array, BigInt, Binary, Bool, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use std::time::Duration;

use super::{Prepared, millis};

/// A held key, as [`READ_KEY`] reads it.
#[derive(Debug, QueryableByName)]
pub(crate) struct HeldRow {
    #[diesel(sql_type = Bool)]
    pub same_request: bool,
    /// The effect stored with the key, as JSON.
    #[diesel(sql_type = Nullable<Text>)]
    pub effect: Option<String>,
    /// The answer to a request that made no effect.
    #[diesel(sql_type = Nullable<Binary>)]
    pub verbatim: Option<Vec<u8>>,
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
    WHERE requester = $1 AND key = $2 AND fingerprint = $3 AND effect IS NULL AND verbatim IS NULL
      AND lease_until < now()";

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
    SELECT fingerprint = $3 AS same_request, effect::text AS effect, verbatim
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

/// The answer to a request that made no effect, kept by the attempt that holds the key; no
/// row when the attempt no longer holds it.
const KEEP_VERBATIM: &str = "\
    UPDATE idempotency_keys SET verbatim = $4
    WHERE requester = $1 AND key = $2 AND attempt = $3::uuid AND effect IS NULL AND verbatim IS NULL";

/// Keeps the answer; whether the attempt still held the key.
pub(crate) async fn keep_verbatim(
    conn: &mut AsyncPgConnection,
    name: &KeyName<'_>,
    attempt: &str,
    answer: &[u8],
) -> QueryResult<bool> {
    let updated = Prepared(
        diesel::sql_query(KEEP_VERBATIM)
            .bind::<Text, _>(name.requester)
            .bind::<Text, _>(name.key)
            .bind::<Text, _>(attempt)
            .bind::<Binary, _>(answer),
    )
    .execute(conn)
    .await?;
    Ok(updated == 1)
}

/// One attempt's effect, for [`store_effects`].
pub(crate) struct KeptEffect<'a> {
    pub name: KeyName<'a>,
    pub attempt: String,
    /// As [`crate::rows::encode_effect`] writes it.
    pub effect: String,
}

#[derive(QueryableByName)]
struct Ordinal {
    #[diesel(sql_type = BigInt)]
    ord: i64,
}

/// Effects stored with their keys inside the effects' own transaction, for one request or a
/// batch at once: parallel arrays of requester, key, attempt and effect; returns the ordinals
/// (from 1) of those whose attempts still held their keys.
const STORE_EFFECTS: &str = "\
    UPDATE idempotency_keys k SET effect = a.effect::jsonb
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         WITH ORDINALITY AS a(requester, key, attempt, effect, ord)
    WHERE k.requester = a.requester AND k.key = a.key AND k.attempt = a.attempt::uuid
      AND k.effect IS NULL AND k.verbatim IS NULL
    RETURNING a.ord";

/// Stores several effects in one statement; for each, whether its attempt still held the key.
pub(crate) async fn store_effects(
    conn: &mut AsyncPgConnection,
    effects: &[KeptEffect<'_>],
) -> QueryResult<Vec<bool>> {
    let requesters: Vec<&str> = effects.iter().map(|e| e.name.requester).collect();
    let keys: Vec<&str> = effects.iter().map(|e| e.name.key).collect();
    let attempts: Vec<&str> = effects.iter().map(|e| e.attempt.as_str()).collect();
    let encoded: Vec<&str> = effects.iter().map(|e| e.effect.as_str()).collect();
    let stored: Vec<Ordinal> = Prepared(
        diesel::sql_query(STORE_EFFECTS)
            .bind::<Array<Text>, _>(requesters)
            .bind::<Array<Text>, _>(keys)
            .bind::<Array<Text>, _>(attempts)
            .bind::<Array<Text>, _>(encoded),
    )
    .load(conn)
    .await?;
    let mut held = vec![false; effects.len()];
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
    DELETE FROM idempotency_keys
    WHERE requester = $1 AND key = $2 AND attempt = $3::uuid AND effect IS NULL AND verbatim IS NULL";

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
