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

/// Addresses are stored lower-cased (a CHECK enforces it) and `EmailAddress` is lower-cased,
/// so plain equality is the case-insensitive comparison and uses the unique index.
pub(crate) async fn with_hash_by_email(
    conn: &mut AsyncPgConnection,
    email: &EmailAddress,
) -> QueryResult<Option<(UserRow, String)>> {
    users::table
        .filter(users::email.eq(email.as_str()))
        .select((UserRow::as_select(), users::password_hash))
        .first(conn)
        .await
        .optional()
}

pub(crate) async fn by_id(conn: &mut AsyncPgConnection, id: UserId) -> QueryResult<Option<UserRow>> {
    users::table.find(id.get()).select(UserRow::as_select()).first(conn).await.optional()
}
