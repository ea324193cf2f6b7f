use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{EmailAddress, NewUser, UserId};

use crate::rows::UserRow;
use crate::schema::users;

pub(crate) async fn insert(conn: &mut AsyncPgConnection, user: &NewUser) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values((
            users::email.eq(user.email.as_str()),
            users::password_hash.eq(user.password_hash.as_str()),
            users::first_name.eq(user.first_name.as_str()),
            users::last_name.eq(user.last_name.as_str()),
        ))
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
}

/// A user, their password hash and their token generation.
pub(crate) type CredentialsRow = (UserRow, String, i32);

/// Addresses are stored lower-cased (a CHECK enforces it) and `EmailAddress` is lower-cased,
/// so plain equality is the case-insensitive comparison and uses the unique index.
pub(crate) async fn with_hash_by_email(
    conn: &mut AsyncPgConnection,
    email: &EmailAddress,
) -> QueryResult<Option<CredentialsRow>> {
    users::table
        .filter(users::email.eq(email.as_str()))
        .select((UserRow::as_select(), users::password_hash, users::token_generation))
        .first(conn)
        .await
        .optional()
}

pub(crate) async fn with_hash_by_id(
    conn: &mut AsyncPgConnection,
    id: UserId,
) -> QueryResult<Option<CredentialsRow>> {
    users::table
        .find(id.get())
        .select((UserRow::as_select(), users::password_hash, users::token_generation))
        .first(conn)
        .await
        .optional()
}

pub(crate) async fn by_id(conn: &mut AsyncPgConnection, id: UserId) -> QueryResult<Option<UserRow>> {
    users::table.find(id.get()).select(UserRow::as_select()).first(conn).await.optional()
}

/// Accounts whose address holds a character outside ASCII: the only ones the normalisation
/// rules added since they were stored can change (ASCII is its own normal form, and stored
/// addresses are lower-cased).
pub(crate) async fn beyond_ascii(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("octet_length(email) <> char_length(email)"))
        .select((users::id, users::email))
        .order(users::id)
        .load(conn)
        .await
}

pub(crate) async fn set_email(
    conn: &mut AsyncPgConnection,
    id: i64,
    email: &EmailAddress,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::email.eq(email.as_str())).execute(conn).await
}
