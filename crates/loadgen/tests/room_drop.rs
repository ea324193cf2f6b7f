//! The waiting room under a drop, against real `ticketing serve` processes on one database (they
//! share `JWT_SECRET`, from which the admission key is derived, so a token one signs verifies on
//! the other), through HTTP only:
//!
//! - Thousands of buyers join at once as the sale starts, 256 clients spread over two instances:
//!   every join is a 201 (one the instance shed with a 503 before doing anything is sent again),
//!   the places are exactly 1..=n, and whenever a join was answered before another was sent, it
//!   holds the lower place. Each buyer then asks for its admission token from just before its
//!   place is due, every 100 to 300 ms, alternating instances: no token comes for a place before
//!   the room's rate has reached it (by the database's clock, which is this machine's), no more
//!   than `rate × t + 1` have come `t` seconds after the start, the last one comes `n / rate`
//!   seconds after it give or take a poll, and each token names its holder's place, account and
//!   event.
//! - An instance killed with SIGKILL while buyers join through it, with its answers to some of
//!   them lost on the way (a relay in front of it drops them) after their places were committed:
//!   those who were joining there join again on the other, and each finds the place the
//!   database had kept for it before the kill (200, the same position) or, if none, takes a new
//!   one (201); every buyer ends with exactly one place, the places are still exactly 1..=n, the
//!   serving number keeps moving after the kill, and an instance started afterwards sees the
//!   same numbers and places.
//!
//! `ROOM_DROP_BUYERS` sets the first test's size: 3 000 by default, which a debug build on two
//! cores serves at the rate; the issue's figure is 10 000. The buyers' accounts are written by
//! SQL and their login tokens signed with the instances' secret, as `/login` signs them: an
//! Argon2 hash per login through the API would be most of the test's time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use diesel::sql_types::{Array, BigInt};
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};
use domain::session::TokenGeneration;
use domain::{EmailAddress, NonEmptyText, SignedIn, User, UserId};
use infra_postgres::test_support::TestDatabase;
use loadgen::api::Api;
use loadgen::provision::{self, Buyer, Provisioning};
use serde_json::{Value, json};
use ticketing::http::auth::TokenService;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

mod support;

use support::{Instance, JWT_SECRET};

/// Buyers in the stampede unless `ROOM_DROP_BUYERS` says otherwise.
const BUYERS: usize = 3_000;

/// Places the stampede's room reaches a second.
const RATE: u32 = 500;

/// Joins in flight at once in the stampede (the clients).
const CLIENTS: usize = 256;

/// How long before its place is due a buyer starts asking for its token.
const LEAD: Duration = Duration::from_millis(100);

/// How many places the check of a token's time allows beyond `rate × t`. The database decides a
/// token at its `now()`, which is no later than our reading of the clock once the answer is in,
/// and both read this machine's realtime clock: so `place ≤ rate × t` holds exactly, and this
/// one place only absorbs the rounding of times to microseconds and of `f64`.
const SLACK_PLACES: f64 = 1.0;

/// The tests time what they measure on a small machine: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn started(env: &[(&str, &str)]) -> Instance {
    let mut instance = Instance::spawn(env);
    let ready = instance.ready().await;
    assert!(ready.is_ok(), "{ready:?}: {}", instance.stderr());
    instance
}

fn client(connections: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .pool_idle_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// An organizer (written by SQL and logged in through the instances) with an event, and
/// `count` buyers: accounts written straight into the database, each with a login token signed
/// as `/login` signs one, by the service's own token service under the instances' `JWT_SECRET`.
/// Logging in thousands through the API would cost an Argon2 hash each (about 40 a second on two
/// cores), which is not what is measured here.
async fn people(api: &Api, database_url: &str, count: usize) -> (Buyer, Vec<Buyer>, i64) {
    let run = provision::run_id();
    let by_sql = Provisioning { concurrency: 1, database_url: Some(database_url) };
    let organizer = provision::buyers(api, &run, 1, by_sql).await.unwrap().remove(0);
    let event = provision::event(api, &organizer, 100).await.unwrap();

    let emails: Vec<String> = (0..count).map(|i| format!("drop-{run}-{i}@example.com")).collect();
    let mut conn = AsyncPgConnection::establish(database_url).await.unwrap();
    // A hash no password matches: these accounts never sign in.
    let unusable =
        "$argon2id$v=19$m=19456,t=2,p=1$bm90LWEtcmVhbC1zYWx0$bm90LWEtcmVhbC1oYXNoLW5vdC1hLXJlYWwtaGFzaA";
    let ids =
        infra_postgres::bench::write_accounts(&mut conn, &emails, "Drop", "Buyer", unusable).await.unwrap();
    let tokens = TokenService::new(JWT_SECRET.as_bytes(), &[], Duration::from_secs(1_800));
    let text = |s: &str| NonEmptyText::parse(s).unwrap();
    let buyers = ids
        .iter()
        .zip(&emails)
        .map(|(&id, email)| {
            let user = User {
                id: UserId::new(id).unwrap(),
                email: EmailAddress::parse(email).unwrap(),
                first_name: text("Drop"),
                last_name: text("Buyer"),
            };
            let token = tokens.issue(&SignedIn { user, token_generation: TokenGeneration::new(0) }).unwrap();
            Buyer { id, token }
        })
        .collect();
    (organizer, buyers, event)
}

/// Puts a room in front of `event`, opening now, whose sale starts `start_in` from now (to the
/// millisecond, as the answers say it); returns the start as the database keeps it and the
/// moment it is on this process's monotonic clock.
async fn open_room(
    client: &reqwest::Client,
    base: &str,
    organizer: &Buyer,
    event: i64,
    rate: u32,
    start_in: Duration,
) -> (DateTime<Utc>, Instant) {
    let now = Utc::now();
    let start = now + TimeDelta::from_std(start_in).unwrap();
    let body = json!({
        "opensAt": now.to_rfc3339_opts(SecondsFormat::Millis, true),
        "saleStartsAt": start.to_rfc3339_opts(SecondsFormat::Millis, true),
        "admissionsPerSecond": rate,
    });
    let reply = client
        .put(format!("{base}/events/{event}/waiting-room"))
        .bearer_auth(&organizer.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let room: Value = reply.json().await.unwrap();
    assert_eq!(status, 201, "{room}");
    assert_eq!(room["admissionsPerSecond"], rate, "{room}");
    let start = DateTime::parse_from_rfc3339(room["saleStartsAt"].as_str().unwrap()).unwrap().to_utc();
    (start, monotonic(start))
}

/// `at` on this process's monotonic clock.
fn monotonic(at: DateTime<Utc>) -> Instant {
    let (now, wall) = (Instant::now(), Utc::now());
    match (at - wall).to_std() {
        Ok(ahead) => now + ahead,
        Err(_) => now - (wall - at).to_std().unwrap(),
    }
}

/// Seconds from `start` to `at`, both on the realtime clock.
fn seconds_after(start: DateTime<Utc>, at: DateTime<Utc>) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "microseconds of a test's span")]
    let micros = (at - start).num_microseconds().unwrap() as f64;
    micros / 1e6
}

/// A `POST` with the login token and no body: its status, `Retry-After` and body, or the
/// transport failure.
async fn post(client: &reqwest::Client, url: &str, token: &str) -> Result<(u16, Option<u64>, Value), String> {
    let reply = client.post(url).bearer_auth(token).send().await.map_err(|e| e.to_string())?;
    let status = reply.status().as_u16();
    let retry_after = reply
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = reply.json().await.map_err(|e| e.to_string())?;
    Ok((status, retry_after, body))
}

async fn get_json(client: &reqwest::Client, url: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = client.get(url).header(reqwest::header::ACCEPT, "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap())
}

/// An admission token's claims, read without checking its signature.
fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn place_in(body: &Value) -> u64 {
    body["position"].as_u64().unwrap_or_else(|| panic!("no position in {body}"))
}

/// Whether `positions` are exactly 1..=n, each once.
fn dense(mut positions: Vec<u64>) -> bool {
    positions.sort_unstable();
    positions.iter().copied().eq(1..=u64::try_from(positions.len()).unwrap())
}

/// One join in the stampede.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Join {
    buyer: usize,
    sent: Instant,
    answered: Instant,
    position: u64,
}

/// One admission token received.
#[derive(Debug, Clone, Copy)]
struct Token {
    buyer: usize,
    position: u64,
    /// On the realtime clock, the database's.
    received_at: DateTime<Utc>,
    received: Instant,
    polls: u32,
    /// Polls answered 503.
    shed: u32,
}

/// Every pair of joins where `a` was answered before `b` was sent has `a` in the lower place:
/// the joins by the time they were sent, against a running maximum of the places of those
/// answered before. The first pair out of order, if any.
fn out_of_order(joins: &[Join]) -> Option<(Join, Join)> {
    let mut by_sent: Vec<&Join> = joins.iter().collect();
    by_sent.sort_by_key(|j| j.sent);
    let mut by_answered: Vec<&Join> = joins.iter().collect();
    by_answered.sort_by_key(|j| j.answered);
    let (mut next, mut highest): (usize, Option<&Join>) = (0, None);
    for b in by_sent {
        while let Some(a) = by_answered.get(next).filter(|a| a.answered < b.sent) {
            if highest.is_none_or(|h| a.position > h.position) {
                highest = Some(a);
            }
            next += 1;
        }
        if let Some(a) = highest.filter(|a| a.position >= b.position) {
            return Some((*a, *b));
        }
    }
    None
}

/// The stampede's room as its buyers' clients see it.
#[derive(Debug, Clone)]
struct Stampede {
    client: reqwest::Client,
    bases: Arc<[String]>,
    event: i64,
    /// The sale's start.
    start: Instant,
    rate: u32,
}

/// How long a client waits after a 503 (`Retry-After` when shorter).
const SHED_BACKOFF: Duration = Duration::from_millis(100);

impl Stampede {
    /// `buyer`'s join through instance `buyer % 2`, sent again after a 503 (the instance shed
    /// it before doing anything: a full queue for the database); the last attempt's times.
    async fn join(&self, buyer: usize, login: &str) -> (Join, u32) {
        let url = format!("{}/events/{}/queue", self.bases[buyer % self.bases.len()], self.event);
        let mut shed = 0;
        loop {
            let sent = Instant::now();
            let (status, retry_after, body) = post(&self.client, &url, login).await.unwrap();
            let answered = Instant::now();
            if status == 503 && shed < 50 {
                shed += 1;
                tokio::time::sleep(
                    retry_after.map_or(SHED_BACKOFF, |r| SHED_BACKOFF.min(Duration::from_secs(r))),
                )
                .await;
                continue;
            }
            assert_eq!(status, 201, "join of buyer {buyer}: {body}");
            return (Join { buyer, sent, answered, position: place_in(&body) }, shed);
        }
    }

    /// Asks for `buyer`'s admission token from just before its place (`position`, reached
    /// `position / rate` seconds after the start at the earliest) is due, every 100 to 300 ms
    /// (no longer than the room's `Retry-After`), alternating between the instances; panics on
    /// anything but 200, 202 or a 503 shed.
    async fn await_token(self: Arc<Self>, buyer: usize, login: String, position: u64) -> (Token, Value) {
        #[expect(clippy::cast_precision_loss, reason = "places of a test")]
        let due = self.start + Duration::from_secs_f64(position as f64 / f64::from(self.rate));
        tokio::time::sleep_until(tokio::time::Instant::from_std(due.checked_sub(LEAD).unwrap_or(due))).await;
        let (mut polls, mut shed): (u32, u32) = (0, 0);
        loop {
            let base = &self.bases[(buyer + 1 + polls as usize) % self.bases.len()];
            polls += 1;
            let answer =
                post(&self.client, &format!("{base}/events/{}/queue/token", self.event), &login).await;
            let (received_at, received) = (Utc::now(), Instant::now());
            let retry_after = match answer {
                Ok((200, _, body)) => {
                    let token =
                        Token { buyer, position: place_in(&body), received_at, received, polls, shed };
                    return (token, body);
                }
                Ok((202, retry_after, body)) => {
                    assert_eq!(body["state"], "waiting", "{body}");
                    assert_eq!(place_in(&body), position, "{body}");
                    retry_after.map(Duration::from_secs)
                }
                Ok((503, retry_after, _)) if shed < 50 => {
                    shed += 1;
                    retry_after.map(Duration::from_secs)
                }
                Ok((status, _, body)) => panic!("token for buyer {buyer}: {status} {body}"),
                Err(e) => panic!("token for buyer {buyer}: {e}"),
            };
            // A jitter of 100 to 300 ms, the same every run.
            let jitter =
                Duration::from_millis(100 + (buyer as u64 * 7_919 + u64::from(polls) * 104_729) % 201);
            tokio::time::sleep(retry_after.map_or(jitter, |r| jitter.min(r))).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_joins_across_two_instances_are_numbered_one_to_n_in_answer_order_and_admitted_at_the_rate()
 {
    let _alone = ONE_AT_A_TIME.lock().await;
    let wall = Instant::now();
    let n: usize = std::env::var("ROOM_DROP_BUYERS").ok().map_or(BUYERS, |v| v.parse().unwrap());
    let db = TestDatabase::new().await;
    let env = [("DATABASE_URL", db.url())];
    let (one, two) = (started(&env).await, started(&env).await);
    let bases: Arc<[String]> = vec![one.base.clone(), two.base.clone()].into();
    let api = Api::new(bases.to_vec(), 16).unwrap();
    let provisioning = Instant::now();
    let (organizer, buyers, event) = people(&api, db.url(), n).await;
    let provisioning = provisioning.elapsed();

    let client = client(CLIENTS);
    let (start_at, start) =
        open_room(&client, &bases[0], &organizer, event, RATE, Duration::from_secs(1)).await;
    tokio::time::sleep_until(tokio::time::Instant::from_std(start)).await;

    // The stampede: CLIENTS at once, each taking the next buyer as soon as it is answered, the
    // buyers alternating between the instances; each buyer then waits for its token on its own.
    let room = Arc::new(Stampede { client: client.clone(), bases: bases.clone(), event, start, rate: RATE });
    let logins: Arc<[String]> = buyers.iter().map(|b| b.token.clone()).collect();
    let stampede = room.clone();
    let joined = loadgen::concurrency::run(n, CLIENTS, move |buyer| {
        let (room, logins) = (stampede.clone(), logins.clone());
        async move {
            let (join, shed) = room.join(buyer, &logins[buyer]).await;
            let waiting = tokio::spawn(room.clone().await_token(buyer, logins[buyer].clone(), join.position));
            (join, shed, waiting)
        }
    })
    .await
    .unwrap();
    let joins_shed: u32 = joined.iter().map(|(_, shed, _)| shed).sum();
    let (joins, waiting): (Vec<Join>, Vec<_>) =
        joined.into_iter().map(|(join, _, waiting)| (join, waiting)).unzip();
    let last_answer = joins.iter().map(|j| j.answered).max().unwrap();
    let first_sent = joins.iter().map(|j| j.sent).min().unwrap();
    let join_span = last_answer - first_sent;
    #[expect(clippy::cast_precision_loss, reason = "figures of a test")]
    let joins_per_s = n as f64 / join_span.as_secs_f64();
    println!(
        "{n} buyers, 2 instances, {CLIENTS} clients: provisioned in {provisioning:.1?}; joins from {:.1?} after \
         the start, {join_span:.3?} from the first sent to the last answered ({joins_per_s:.0}/s, {joins_shed} \
         shed with a 503 and sent again)",
        first_sent.saturating_duration_since(start),
    );

    assert!(dense(joins.iter().map(|j| j.position).collect()), "the places are not exactly 1..={n}");
    assert_eq!(out_of_order(&joins), None, "answered before sent, yet placed after");

    let mut tokens = Vec::with_capacity(n);
    for waiting in waiting {
        let (token, body) = waiting.await.unwrap();
        let join = joins[token.buyer];
        assert_eq!(token.position, join.position, "{body}");
        let said = claims(body["token"].as_str().unwrap());
        assert_eq!(said["place"], join.position, "{said}");
        assert_eq!(said["sub"], buyers[token.buyer].id.to_string(), "{said}");
        assert_eq!(said["aud"], format!("event:{event}"), "{said}");
        tokens.push(token);
    }

    // No token before its place was reached: place ≤ rate × t at its receipt.
    let rate = f64::from(RATE);
    for token in &tokens {
        let t = seconds_after(start_at, token.received_at);
        #[expect(clippy::cast_precision_loss, reason = "places of a test")]
        let place = token.position as f64;
        assert!(
            place <= rate * t + SLACK_PLACES,
            "place {} had its token {t:.4} s after the start",
            token.position
        );
    }
    // No more than rate × t + 1 tokens by any time t (the count only rises at a receipt).
    tokens.sort_by_key(|t| t.received_at);
    for (k, token) in tokens.iter().enumerate() {
        let t = seconds_after(start_at, token.received_at);
        #[expect(clippy::cast_precision_loss, reason = "tokens of a test")]
        let count = (k + 1) as f64;
        assert!(count <= rate * t + 1.0, "{count} tokens {t:.4} s after the start");
    }
    let first = seconds_after(start_at, tokens[0].received_at);
    let last = seconds_after(start_at, tokens[n - 1].received_at);
    #[expect(clippy::cast_precision_loss, reason = "buyers of a test")]
    let expected = n as f64 / rate;
    assert!(
        (expected - 1.0..=expected + 2.0).contains(&last),
        "the last token {last:.3} s after the start, for {n} places at {RATE}/s"
    );
    let polls: u64 = tokens.iter().map(|t| u64::from(t.polls)).sum();
    let late = tokens
        .iter()
        .map(|t| {
            #[expect(clippy::cast_precision_loss, reason = "places of a test")]
            let due = t.position as f64 / rate;
            seconds_after(start_at, t.received_at) - due
        })
        .fold(0.0_f64, f64::max);
    let shed: u32 = tokens.iter().map(|t| t.shed).sum();
    let span = tokens[n - 1].received - tokens[0].received;
    #[expect(clippy::cast_precision_loss, reason = "figures of a test")]
    let tokens_per_s = n as f64 / span.as_secs_f64();
    // The most tokens received within any one second.
    let mut peak = 0;
    let mut from = 0;
    for (to, token) in tokens.iter().enumerate() {
        while token.received - tokens[from].received >= Duration::from_secs(1) {
            from += 1;
        }
        peak = peak.max(to + 1 - from);
    }
    println!(
        "{n} tokens {first:.3} to {last:.3} s after the start ({tokens_per_s:.0}/s on average, at most {peak} in \
         one second; {polls} polls, {shed} of them shed with a 503), each at most {late:.3} s after its place \
         was due; test {:.1?}",
        wall.elapsed()
    );
}

/// The places of `users` in `event`'s room that the database has committed, by user.
async fn committed(conn: &mut AsyncPgConnection, event: i64, users: &[i64]) -> HashMap<i64, u64> {
    #[derive(diesel::QueryableByName)]
    struct Place {
        #[diesel(sql_type = BigInt)]
        user_id: i64,
        #[diesel(sql_type = BigInt)]
        position: i64,
    }
    let places: Vec<Place> = diesel::sql_query(
        "SELECT user_id, position FROM queue_places WHERE event_id = $1 AND user_id = ANY($2)",
    )
    .bind::<BigInt, _>(event)
    .bind::<Array<BigInt>, _>(users)
    .load(conn)
    .await
    .unwrap();
    places.into_iter().map(|p| (p.user_id, u64::try_from(p.position).unwrap())).collect()
}

/// A TCP relay in front of an instance, standing for the network between it and its clients:
/// it can stop passing the instance's answers on (it reads and drops them, as a network that
/// loses them would), and closes a client's connection when the instance's side closes.
struct Relay {
    base: String,
    passing: Arc<AtomicBool>,
    accepting: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn new(upstream: &str) -> Self {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let passing = Arc::new(AtomicBool::new(true));
        let answers = passing.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, answers) = (upstream.clone(), answers.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else { return };
                    let ((mut from_client, mut to_client), (mut from_server, mut to_server)) =
                        (client.into_split(), server.into_split());
                    let requests = tokio::io::copy(&mut from_client, &mut to_server);
                    let replies = async {
                        let mut buffer = vec![0; 16 * 1024];
                        loop {
                            let read = from_server.read(&mut buffer).await?;
                            if read == 0 {
                                return Ok::<_, std::io::Error>(());
                            }
                            if AtomicBool::load(&answers, Ordering::SeqCst) {
                                to_client.write_all(&buffer[..read]).await?;
                            }
                        }
                    };
                    tokio::select! { _ = requests => {}, _ = replies => {} }
                });
            }
        });
        Self { base, passing, accepting }
    }

    /// From now on the instance's answers are lost.
    fn lose_answers(&self) {
        self.passing.store(false, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// One buyer's joins in the drop: each attempt's instance and answer.
#[derive(Debug)]
struct Joined {
    attempts: Vec<(usize, Result<u16, String>)>,
    position: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_killed_mid_drop_loses_and_duplicates_no_place() {
    const USERS: usize = 400;
    const DROP_RATE: u32 = 50;
    /// Joins go in groups this large, every [`EVERY`]. Instance one's answers are lost from
    /// just before the middle group is sent, and it is killed once the database shows that
    /// group's joins through it committed (or at the latest [`EVERY`] later): joins that took
    /// a place whose answer never came.
    const GROUP: usize = 40;
    const EVERY: Duration = Duration::from_millis(200);
    let _alone = ONE_AT_A_TIME.lock().await;
    let wall = Instant::now();
    let db = TestDatabase::new().await;
    let env = [("DATABASE_URL", db.url())];
    let mut one = started(&env).await;
    let two = started(&env).await;
    let api = Api::new(vec![one.base.clone(), two.base.clone()], 16).unwrap();
    let (organizer, buyers, event) = people(&api, db.url(), USERS).await;
    let relay = Relay::new(&one.base).await;
    let bases: Arc<[String]> = vec![relay.base.clone(), two.base.clone()].into();
    let client = client(64);
    let (_, start) =
        open_room(&client, &bases[1], &organizer, event, DROP_RATE, Duration::from_millis(500)).await;

    // Buyer i joins through instance i % 2 at its group's time; after a failure, through two.
    let groups = u32::try_from(USERS / GROUP).unwrap();
    let middle = USERS / GROUP / 2;
    let joining: Vec<_> = buyers
        .iter()
        .enumerate()
        .map(|(i, buyer)| {
            let (client, bases, login) = (client.clone(), bases.clone(), buyer.token.clone());
            let at = start + EVERY * u32::try_from(i / GROUP).unwrap();
            tokio::spawn(async move {
                tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
                let mut attempts = Vec::new();
                let mut instance = i % 2;
                loop {
                    let url = format!("{}/events/{event}/queue", bases[instance]);
                    let answer = post(&client, &url, &login).await;
                    attempts.push((
                        instance,
                        answer.as_ref().map(|(status, _, _)| *status).map_err(Clone::clone),
                    ));
                    match answer {
                        Ok((200 | 201, _, body)) => return Joined { attempts, position: place_in(&body) },
                        Ok((status, _, body)) if status != 503 => {
                            panic!("join of buyer {i}: {status} {body}")
                        }
                        _ => {
                            assert!(attempts.len() < 20, "buyer {i} never joined: {attempts:?}");
                            instance = 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            })
        })
        .collect();

    let middle_sent = start + EVERY * (groups / 2);
    let middle_through_one: Vec<i64> =
        (middle * GROUP..(middle + 1) * GROUP).filter(|i| i % 2 == 0).map(|i| buyers[i].id).collect();
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    tokio::time::sleep_until(tokio::time::Instant::from_std(middle_sent - Duration::from_millis(10))).await;
    relay.lose_answers();
    let at_the_latest = middle_sent + EVERY;
    while committed(&mut conn, event, &middle_through_one).await.len() < middle_through_one.len()
        && Instant::now() < at_the_latest
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    one.child.kill().unwrap();
    one.child.wait().unwrap();
    let killed = Instant::now();
    // The places instance one had committed before it died: a commit it had sent completes
    // within moments; the joins that failed wait longer than this before they go again, to two.
    tokio::time::sleep(Duration::from_millis(30)).await;
    let through_one: Vec<i64> = buyers.iter().step_by(2).map(|b| b.id).collect();
    let kept = committed(&mut conn, event, &through_one).await;

    // The serving number keeps moving on the survivor.
    let status_url = format!("{}/events/{event}/queue/status", bases[1]);
    let (code, before) = get_json(&client, &status_url, None).await;
    assert_eq!(code, 200, "{before}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_, after) = get_json(&client, &status_url, None).await;
    let serving = |status: &Value| status["serving"].as_u64().unwrap();
    assert!(serving(&after) > serving(&before), "serving stuck after the kill: {before} then {after}");

    let mut joined = Vec::with_capacity(USERS);
    for joining in joining {
        joined.push(joining.await.unwrap());
    }
    // A first answer is a new place. A join that failed goes again on two: it finds the place
    // instance one had committed for it before it died, if any (200, the same place), and only
    // otherwise takes a new one (201).
    let (mut retried, mut found_again) = (0, 0);
    for (i, (buyer, joined)) in buyers.iter().zip(&joined).enumerate() {
        let (first, last) = (&joined.attempts[0], joined.attempts.last().unwrap());
        if joined.attempts.len() == 1 {
            assert_eq!(first.1, Ok(201), "buyer {i}: {:?}", joined.attempts);
            if let Some(&position) = kept.get(&buyer.id) {
                assert_eq!(joined.position, position, "buyer {i}");
            }
            continue;
        }
        let failed = &joined.attempts[..joined.attempts.len() - 1];
        assert!(
            failed.iter().all(|(_, answer)| answer.is_err() || answer == &Ok(503)) && last.0 == 1,
            "buyer {i}: {:?}",
            joined.attempts
        );
        if first.0 == 1 {
            // Shed by instance two (a 503 before doing anything), not caught by the kill.
            assert_eq!(last.1, Ok(201), "buyer {i}: {:?}", joined.attempts);
            continue;
        }
        retried += 1;
        match kept.get(&buyer.id) {
            Some(&position) => {
                assert_eq!(
                    (&last.1, joined.position),
                    (&Ok(200), position),
                    "buyer {i}: {:?}",
                    joined.attempts
                );
                found_again += 1;
            }
            None => assert_eq!(last.1, Ok(201), "buyer {i}: {:?}", joined.attempts),
        }
    }
    assert!(retried > 0, "no join went to the killed instance after the kill");
    assert!(found_again > 0, "no join through the killed instance took a place and lost its answer");

    // Through the survivor: each buyer has exactly the place its join said, and they are 1..=n.
    let mut places = Vec::with_capacity(USERS);
    for (buyer, joined) in buyers.iter().zip(&joined) {
        let (code, place) =
            get_json(&client, &format!("{}/events/{event}/queue", bases[1]), Some(&buyer.token)).await;
        assert_eq!((code, place_in(&place)), (200, joined.position), "{place}");
        places.push(joined.position);
    }
    assert!(dense(places), "the places are not exactly 1..={USERS}");
    let (_, status) = get_json(&client, &status_url, None).await;
    assert_eq!(status["joined"], USERS, "{status}");

    // A new instance sees the same room and the same places.
    let three = started(&env).await;
    let (_, seen) = get_json(&client, &format!("{}/events/{event}/queue/status", three.base), None).await;
    assert_eq!(seen["joined"], USERS, "{seen}");
    assert!(serving(&seen) >= serving(&status), "{status} then {seen}");
    for (buyer, joined) in buyers.iter().zip(&joined) {
        let (code, place) =
            get_json(&client, &format!("{}/events/{event}/queue", three.base), Some(&buyer.token)).await;
        assert_eq!((code, place_in(&place)), (200, joined.position), "{place}");
    }
    println!(
        "{USERS} buyers, instance one killed {:.1?} after the middle group was sent: {retried} joined again on \
         two, {found_again} of them finding the place their lost answer had given (200); serving {} then {} a \
         second later; test {:.1?}",
        killed - middle_sent,
        serving(&before),
        serving(&after),
        wall.elapsed()
    );
}
