use std::time::Duration;

use diesel::sql_types::{BigInt, Integer, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::history::integrity::{self, IntegrityReport};
use domain::ports::{Audit, Catalog, Sales, Users};
use domain::{
    BookTicket, BookingId, BookingOutcome, ChangeEvent, ChangeEventError, EmailAddress, EventChange,
    EventChanges, EventDate, EventId, NewEvent, NewUser, NonEmptyText, PasswordHash, Price, TicketLimit,
    UserId,
};
use infra_postgres::invariants::{line_jumps, recount};
use infra_postgres::test_support::TestDatabase;
use infra_postgres::{PgPool, PgStore, PoolSettings};

/// A database of its own with the store on one pool.
pub struct Fixture {
    pub store: PgStore,
    pub pool: PgPool,
    // Dropped last: the database outlives the pool's connections.
    pub db: TestDatabase,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_pool(PoolSettings::default()).await
    }

    pub async fn with_pool(settings: PoolSettings) -> Self {
        let db = TestDatabase::new().await;
        let pool = db.pool_with(&settings);
        Self { store: PgStore::new(pool.clone()), pool, db }
    }

    pub async fn raw(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(self.db.url()).await.unwrap()
    }

    pub async fn user(&self, name: &str) -> UserId {
        self.store.create_user(new_user(&format!("{name}@example.com")), None).await.unwrap().id
    }

    /// Many users in one statement, in id order.
    pub async fn users(&self, count: i32) -> Vec<UserId> {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let ids: Vec<Id> = diesel::sql_query(
            "INSERT INTO users (email, password_hash, first_name, last_name)
             SELECT 'buyer' || g || '-' || $2 || '@example.com', 'not-a-hash', 'Buyer', 'Number ' || g
             FROM generate_series(1, $1) AS g ORDER BY g RETURNING id",
        )
        .bind::<Integer, _>(count)
        .bind::<Text, _>(format!("{:x}", rand_seed()))
        .load(&mut self.raw().await)
        .await
        .unwrap();
        let mut ids: Vec<UserId> = ids.into_iter().map(|r| UserId::new(r.id).unwrap()).collect();
        ids.sort();
        ids
    }

    pub async fn event(&self, organizer: UserId, seats: i64) -> EventId {
        self.store.create_event(new_event(organizer, seats), None).await.unwrap().id
    }

    pub async fn book(&self, event: EventId, user: UserId) -> BookingOutcome {
        self.store.book(BookTicket::new(user, event, None).unwrap(), None).await.unwrap()
    }

    /// A fast-path booking (and its notice) written in a transaction left open: the caller
    /// commits or rolls it back on the returned connection. Its ids are drawn now, so anything
    /// committed meanwhile gets higher ones.
    pub async fn booking_left_open(&self, event: EventId, user: UserId) -> AsyncPgConnection {
        let mut conn = self.raw().await;
        diesel_async::SimpleAsyncConnection::batch_execute(&mut conn, "BEGIN").await.unwrap();
        diesel::sql_query(infra_postgres::bench::TAKE_FREE_SEATS)
            .bind::<BigInt, _>(event.get())
            .bind::<BigInt, _>(user.get())
            .bind::<Text, _>(domain::notice::NoticeKind::BookingConfirmed.as_str())
            .bind::<diesel::sql_types::Integer, _>(1)
            .bind::<diesel::sql_types::Nullable<Text>, _>(None::<&str>)
            .execute(&mut conn)
            .await
            .unwrap();
        conn
    }

    /// Sets the event's ticket limit as its organizer would.
    pub async fn set_limit(
        &self,
        caller: UserId,
        event: EventId,
        seats: i64,
    ) -> Result<EventChange, ChangeEventError> {
        let changes =
            EventChanges { ticket_limit: Some(TicketLimit::new(seats).unwrap()), ..EventChanges::default() };
        self.store.change_event(ChangeEvent { caller, event, changes }, None).await
    }

    /// Recounts the invariants (docs/ARCHITECTURE.md, "Guarantees") over every event, in one
    /// snapshot; then replays each event's history against it (each in a snapshot of its own).
    pub async fn assert_invariants(&self) {
        assert_invariants_on(&mut self.raw().await).await;
        self.assert_history_adds_up().await;
    }

    /// The integrity check of every event holds.
    pub async fn assert_history_adds_up(&self) {
        for event in self.store.audited_events().await.unwrap() {
            let report = self.integrity(event).await;
            assert!(report.ok(), "{:#?}", report.violations().collect::<Vec<_>>());
        }
    }

    /// The integrity check of `event`.
    pub async fn integrity(&self, event: EventId) -> IntegrityReport {
        let trail = self.store.audit_trail(event).await.unwrap().expect("a trail");
        integrity::check(&trail)
    }
}

/// I1 no oversell, I2 one live booking per user, I3 no free seat while someone waits,
/// I5 seats_taken = confirmed, in one snapshot even under load; and I4, every line served in
/// order, replayed from the notifications.
pub async fn assert_invariants_on(conn: &mut AsyncPgConnection) {
    for event in recount(conn, None).await.unwrap() {
        assert!(event.violations().is_empty(), "{:?} broken: {event:?}", event.violations());
    }
    let jumps = line_jumps(conn, None).await.unwrap();
    assert!(jumps.is_empty(), "{}", jumps.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"));
}

pub fn text(s: &str) -> NonEmptyText {
    NonEmptyText::parse(s).unwrap()
}

pub fn new_user(email: &str) -> NewUser {
    NewUser {
        email: EmailAddress::parse(email).unwrap(),
        password_hash: PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        first_name: text("Test"),
        last_name: text("User"),
    }
}

pub fn new_event(organizer: UserId, seats: i64) -> NewEvent {
    new_event_at(organizer, seats, "Concert", "Colombo", "2026-12-31")
}

pub fn new_event_at(organizer: UserId, seats: i64, name: &str, location: &str, date: &str) -> NewEvent {
    NewEvent::new(
        organizer,
        text(name),
        text("Live music"),
        EventDate::parse(date).unwrap(),
        text(location),
        TicketLimit::new(seats).unwrap(),
        Price::parse("19.99").unwrap(),
    )
}

/// The seed of a random test: `TEST_SEED` when set (to replay a run), else a new one. Printed
/// either way, so a failure's output says how to replay the same choices.
pub fn test_seed(test: &str) -> u64 {
    let seed = match std::env::var("TEST_SEED") {
        Ok(given) => given.parse().unwrap_or_else(|_| panic!("TEST_SEED={given} is not a number")),
        Err(_) => rand_seed(),
    };
    eprintln!("{test}: seed {seed} (replay its choices with TEST_SEED={seed})");
    seed
}

/// A per-call value from the clock, for names that must not collide.
pub fn rand_seed() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    u64::try_from(nanos % u128::from(u64::MAX)).unwrap() | 1
}

/// xorshift64: enough randomness for a churn test.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % u64::try_from(n).unwrap()).unwrap()
    }
}

#[derive(diesel::QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The `BIGINT` column `n` of the one row `sql` returns.
pub async fn number(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Number>(conn).await.unwrap().n
}

/// Room for many concurrent transactions on one pool.
pub fn wide_pool() -> PoolSettings {
    PoolSettings { max_size: 16, wait_timeout: Duration::from_secs(10), ..PoolSettings::default() }
}

#[derive(diesel::QueryableByName)]
struct PendingPosition {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    position: i64,
}

/// Each pending booking's place in line, read back after the dust settles.
pub async fn positions(fx: &Fixture, event: EventId) -> Vec<(BookingId, u64)> {
    let rows: Vec<PendingPosition> = diesel::sql_query(
        "SELECT id, (SELECT count(*) + 1 FROM bookings a
                     WHERE a.event_id = b.event_id AND a.status = 'PENDING' AND a.id < b.id) AS position
         FROM bookings b WHERE event_id = $1 AND status = 'PENDING' ORDER BY id",
    )
    .bind::<BigInt, _>(event.get())
    .load(&mut fx.raw().await)
    .await
    .unwrap();
    rows.into_iter().map(|r| (BookingId::new(r.id).unwrap(), u64::try_from(r.position).unwrap())).collect()
}
