use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use infra_postgres::migrate;
use infra_postgres::test_support::TestDatabase;

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SchemaObject {
    #[diesel(sql_type = Text)]
    description: String,
}

/// Every table, column, constraint and index of the public schema, as text.
async fn schema(conn: &mut AsyncPgConnection) -> Vec<String> {
    let mut objects: Vec<SchemaObject> = diesel::sql_query(
        "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
                || ' ' || coalesce(column_default, '') AS description
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'
         UNION ALL
         SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace
           AND conrelid::regclass::text <> '__diesel_schema_migrations'
         UNION ALL
         SELECT 'index ' || indexdef FROM pg_indexes
         WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .await
    .unwrap();
    objects.sort();
    objects.into_iter().map(|o| o.description).collect()
}

#[tokio::test]
async fn every_down_migration_reverses_its_up_migration() {
    let db = TestDatabase::new().await;
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    let migrated = schema(&mut conn).await;
    assert!(migrated.iter().any(|o| o.contains("bookings_one_live_per_user")), "{migrated:#?}");

    let reverted = migrate::revert_all(db.url()).await.unwrap();
    assert_eq!(reverted.len(), embedded());
    assert_eq!(schema(&mut conn).await, Vec::<String>::new(), "down.sql left objects behind");

    let reapplied = migrate::run_pending(db.url()).await.unwrap();
    assert_eq!(reapplied.len(), embedded());
    assert_eq!(schema(&mut conn).await, migrated, "up after down did not rebuild the same schema");
}

#[tokio::test]
async fn migrating_an_up_to_date_database_does_nothing() {
    let db = TestDatabase::new().await;
    assert_eq!(migrate::run_pending(db.url()).await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn instances_starting_together_migrate_once_between_them() {
    let db = TestDatabase::new().await;
    migrate::revert_all(db.url()).await.unwrap();
    let runs = futures_join(db.url()).await;
    let applied: usize = runs.iter().map(Vec::len).sum();
    assert_eq!(applied, embedded(), "each migration applied exactly once across the runs: {runs:?}");
}

/// Citus checks a unique constraint on one shard only when it includes the distribution column
/// (docs/SCALING.md): every unique index of the tables distributed by event must name the event.
#[tokio::test]
async fn every_key_of_the_tables_distributed_by_event_names_the_event() {
    let db = TestDatabase::new().await;
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    let keys: Vec<SchemaObject> = diesel::sql_query(
        "SELECT t.relname || ' ' || i.relname || ' ' ||
                string_agg(a.attname, ',' ORDER BY a.attname) AS description
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (x.indkey)
         WHERE x.indisunique AND t.relnamespace = 'public'::regnamespace
           AND t.relname IN ('events', 'bookings', 'notifications', 'history', 'history_archive')
         GROUP BY t.relname, i.relname",
    )
    .load(&mut conn)
    .await
    .unwrap();

    for table in ["events", "bookings", "notifications", "history", "history_archive"] {
        assert!(keys.iter().any(|k| k.description.starts_with(&format!("{table} "))), "{table}: {keys:#?}");
    }
    for key in &keys {
        let (table, rest) = key.description.split_once(' ').unwrap();
        let columns: Vec<&str> = rest.split_once(' ').unwrap().1.split(',').collect();
        let distribution = if table == "events" { "id" } else { "event_id" };
        assert!(columns.contains(&distribution), "{} lacks {distribution}", key.description);
    }
}

/// How many migrations the binary carries.
fn embedded() -> usize {
    diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&migrate::MIGRATIONS).unwrap().len()
}

async fn futures_join(url: &str) -> Vec<Vec<String>> {
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.to_owned();
            tokio::spawn(async move { migrate::run_pending(&url).await.unwrap() })
        })
        .collect();
    let mut runs = Vec::new();
    for handle in handles {
        runs.push(handle.await.unwrap());
    }
    runs
}

/// Migration 21 takes the secrets that keys kept of webhook creations out; its down puts them
/// back from the webhooks, and leaves the key of a deleted webhook unanswered.
#[tokio::test]
async fn keys_of_webhook_creations_lose_their_secret_and_get_it_back_on_the_way_down() {
    use diesel_async::SimpleAsyncConnection;

    const UP: &str =
        include_str!("../../../../migrations/2026-12-06-000021_keys_keep_no_webhook_secret/up.sql");
    const DOWN: &str =
        include_str!("../../../../migrations/2026-12-06-000021_keys_keep_no_webhook_secret/down.sql");

    let db = TestDatabase::new().await;
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    conn.batch_execute(
        "INSERT INTO users (id, email, password_hash, first_name, last_name) VALUES (1, 'o@example.com', 'x', 'O', 'O');
         INSERT INTO webhooks (id, organizer_id, url, secret) VALUES (7, 1, 'https://example.com/', '\\x070809070809070809070809070809070809070809070809');
         INSERT INTO idempotency_keys (requester, key, fingerprint, attempt, lease_until, effect) VALUES
           ('user:1', 'kept', '\\x00', gen_random_uuid(), now(), '{\"effect\": \"webhook_created\", \"webhook\": {\"id\": 7}, \"secret\": [7, 8, 9]}'),
           ('user:1', 'gone', '\\x00', gen_random_uuid(), now(), '{\"effect\": \"webhook_created\", \"webhook\": {\"id\": 8}, \"secret\": [1, 2, 3]}'),
           ('user:1', 'other', '\\x00', gen_random_uuid(), now(), '{\"effect\": \"logged_out\"}');",
    )
    .await
    .unwrap();
    let effects = async |conn: &mut AsyncPgConnection| -> Vec<String> {
        let rows: Vec<SchemaObject> = diesel::sql_query(
            "SELECT key || ' ' || coalesce(effect::text, 'unanswered') AS description FROM idempotency_keys",
        )
        .load(conn)
        .await
        .unwrap();
        let mut texts: Vec<String> = rows.into_iter().map(|r| r.description).collect();
        texts.sort();
        texts
    };

    conn.batch_execute(UP).await.unwrap();
    let up = effects(&mut conn).await;
    conn.batch_execute(DOWN).await.unwrap();
    let down = effects(&mut conn).await;

    assert_eq!(
        up,
        [
            r#"gone {"effect": "webhook_created", "webhook": {"id": 8}}"#,
            r#"kept {"effect": "webhook_created", "webhook": {"id": 7}}"#,
            r#"other {"effect": "logged_out"}"#,
        ]
    );
    assert_eq!(
        down,
        [
            "gone unanswered",
            r#"kept {"effect": "webhook_created", "secret": [7, 8, 9, 7, 8, 9, 7, 8, 9, 7, 8, 9, 7, 8, 9, 7, 8, 9, 7, 8, 9, 7, 8, 9], "webhook": {"id": 7}}"#,
            r#"other {"effect": "logged_out"}"#,
        ]
    );
}
