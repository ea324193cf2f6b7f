//! The service's settings, read from the environment once at start-up into typed values.
//! Every error names the variable at fault.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use domain::webhook::RetryPolicy;

use crate::auth::HashingLimits;
use crate::client_address::TrustedProxies;
use crate::state::NotificationSettings;
use crate::webhooks::{DeliverySettings, TargetPolicy};

/// Text that must not appear in logs or `Debug` output (database passwords, signing keys).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    #[must_use]
    pub const fn new(value: String) -> Self {
        Self(value)
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// For people at a terminal.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Requests per second and burst allowed per user (per client address without a token);
/// `None` turns limiting off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

/// Sign-in attempts per minute and burst, per client address on `/login` and `/register` and
/// per e-mail on `/login`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimit {
    pub per_minute: u32,
    pub burst: u32,
}

/// Which web origins may call the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CorsOrigins {
    /// None: browsers keep other origins' pages from reading any answer.
    #[default]
    None,
    /// Any origin (`*`): for a public API called without credentials.
    Any,
    /// Exactly these, each `scheme://host[:port]`.
    Listed(Vec<String>),
}

impl CorsOrigins {
    fn parse(list: &str) -> Result<Self, ConfigError> {
        let origins: Vec<&str> = list.split(',').map(str::trim).filter(|o| !o.is_empty()).collect();
        if origins == ["*"] {
            return Ok(Self::Any);
        }
        for origin in &origins {
            let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            let valid = rest.is_some_and(|host| {
                !host.is_empty()
                    && !host.contains(['/', '?', '#', '*', ' '])
                    && origin.parse::<actix_web::http::Uri>().is_ok()
            });
            if !valid {
                return Err(invalid(
                    "CORS_ALLOWED_ORIGINS",
                    origin,
                    "expected * alone, or origins such as https://app.example.com (scheme, host, optional port; no path)",
                ));
            }
        }
        Ok(if origins.is_empty() {
            Self::None
        } else {
            Self::Listed(origins.into_iter().map(str::to_owned).collect())
        })
    }
}

/// Group commit: the bookings of one event that arrive while one of its bookings is in flight
/// wait for it (at most [`BookingBatch::waiting`] of them) and go together, at most
/// [`BookingBatch::max`] to a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingBatch {
    pub max: usize,
    pub waiting: usize,
}

/// Everything the service can be told from outside.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`; without it the service runs its own PostgreSQL in [`Config::data_dir`].
    pub database_url: Option<Secret>,
    /// `DATABASE_OWNER_URL`: where migrations run, when the schema's owner is another role than
    /// `DATABASE_URL`'s (which then needs only to read and write rows). Default: `DATABASE_URL`.
    pub database_owner_url: Option<Secret>,
    /// `DATABASE_PREPARED_STATEMENTS`, default `true`: each connection keeps its statements
    /// prepared. Behind a pooler that lends server connections per transaction (PgBouncer's
    /// `pool_mode = transaction`) a statement prepared on one server connection could run on
    /// another, as another client's statement: set `false` there, and every statement runs
    /// inside a transaction with nothing left prepared. With `true`, the service refuses to
    /// start behind such a pooler.
    pub prepared_statements: bool,
    /// `DATABASE_LISTEN_URL`: where `LISTEN` (the instances' wake-ups and token revocations)
    /// connects when `DATABASE_PREPARED_STATEMENTS=false` — PostgreSQL itself, or a pooler in
    /// session mode: a subscription needs a session, which a transaction pooler does not give.
    /// Required then with `DATABASE_URL`.
    pub database_listen_url: Option<Secret>,
    /// `DATABASE_READ_URL`: a streaming replica of the database that serves the anonymous
    /// public reads (`/status`, `/events`, `/events/{id}`) while it is no more than
    /// `READ_MAX_LAG_MS` behind; never migrated. Reads of signed-in callers — their own
    /// bookings, and whatever they read right after a write — stay on the primary.
    pub database_read_url: Option<Secret>,
    /// `READ_MAX_LAG_MS`, default 1000: how far the replica may fall behind the primary (time
    /// since the oldest change it has not replayed) before the public reads move back to the
    /// primary.
    pub read_max_lag: Duration,
    /// `HOST`, default `127.0.0.1`: a service started without a word about where it should be
    /// reachable (the embedded demo, with its published demo passwords) is reachable from this
    /// machine only. Containers set `0.0.0.0` (`docker/Dockerfile`).
    pub host: IpAddr,
    /// `PORT`, default 3000; 0 picks a free port.
    pub port: u16,
    /// `JWT_SECRET`: required to serve with `DATABASE_URL`; the embedded default keeps one in
    /// its data directory.
    pub jwt_secret: Option<Secret>,
    /// `JWT_PREVIOUS_SECRETS`, comma-separated: keys that no longer sign but still verify the
    /// tokens they signed, so that `JWT_SECRET` can be rotated without signing everyone out.
    pub jwt_previous_secrets: Vec<Secret>,
    /// `CORS_ALLOWED_ORIGINS`, comma-separated origins (`https://app.example.com`) that web
    /// pages may call the API from, or `*` for any; none by default.
    pub cors_allowed_origins: CorsOrigins,
    /// `CORS_ALLOW_CREDENTIALS`: let those pages send cookies and client certificates (never
    /// with `*`); off by default, since the API reads only the `Authorization` header.
    pub cors_allow_credentials: bool,
    /// `HSTS`: send `Strict-Transport-Security` (only behind TLS); off by default.
    pub hsts: bool,
    /// `JWT_TTL`, seconds (or `30m`, `1h`), default one hour.
    pub jwt_ttl: Duration,
    /// `RATE_LIMIT_PER_SECOND` (default 20; 0 turns limiting off) and `RATE_LIMIT_BURST`
    /// (default 120: a script of the original's clients makes about sixty calls at once).
    pub rate_limit: Option<RateLimit>,
    /// `SIGN_IN_PER_MINUTE` (default 30) and `SIGN_IN_BURST` (default 10).
    pub sign_in_limit: SignInLimit,
    /// `TRUSTED_PROXIES`: addresses or networks whose `X-Forwarded-For` names the client; none
    /// by default.
    pub trusted_proxies: TrustedProxies,
    /// `DATABASE_POOL_SIZE`, default 16.
    pub pool_size: usize,
    /// `DATABASE_READ_POOL_SIZE`, default 4: connections of the public reads' own pool (an
    /// event, `/status`, the event pages), so a surge of writes never starves them.
    pub read_pool_size: usize,
    /// `DATABASE_POOL_QUEUE`, default 512: requests that may wait for a connection of each
    /// pool; one more gets a 503 with `Retry-After` at once.
    pub pool_queue: usize,
    /// `BOOKING_BATCH_MAX` (default 256) and `BOOKING_BATCH_WAITING` (default 4096; 0 books
    /// every request alone): group commit of one event's concurrent bookings.
    pub booking_batch: BookingBatch,
    /// `DATABASE_POOL_TIMEOUT_MS`: how long a request waits for a connection before a 503,
    /// default 1000.
    pub pool_timeout: Duration,
    /// `WORKERS`: HTTP worker threads, default one per core.
    pub workers: Option<usize>,
    /// `DRAIN_DELAY_MS`: on SIGTERM, how long `/ready` answers 503 before the listener closes,
    /// so a load balancer's health check notices first; default 0.
    pub drain_delay: Duration,
    /// `LOG_FORMAT`: `pretty` (default) or `json`.
    pub log_format: LogFormat,
    /// `METRICS_TOKEN`: when set, `/metrics` answers only requests carrying it as a bearer
    /// token (the figures tell an outsider the traffic and the booking rate).
    pub metrics_token: Option<Secret>,
    /// `METRICS_ADDR` (`host:port`): serve `/metrics` on this address only (an internal
    /// interface, say), not on the service's.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// `BODY_TIMEOUT_MS`: how long a request body may take to arrive after its head; default
    /// 10000 (with the 64 KiB body limit, at least 6.4 KiB/s).
    pub body_timeout: Duration,
    /// `MAX_CONNECTIONS`: open connections per instance, beyond which new ones wait in the
    /// kernel's queue; default 10000 (keep it below the process's file-descriptor limit).
    pub max_connections: usize,
    /// `MAX_CONNECTIONS_PER_IP`: open connections one client address may hold per instance;
    /// the requests of any more are answered 429 and their connections closed; default 256,
    /// `0` for no cap.
    pub max_connections_per_ip: usize,
    /// `TICKETING_DATA_DIR`: where the embedded PostgreSQL keeps its data, default `.data`.
    pub data_dir: PathBuf,
    /// `WEBHOOK_ALLOW_PRIVATE_NETWORKS`: let webhooks post to loopback, private and link-local
    /// addresses; default `false`.
    pub webhook_allow_private: bool,
    /// `WEBHOOK_RETRY_BASE_MS`: the first retry's delay, doubling after; default 5000.
    pub webhook_retry_base: Duration,
    /// `WEBHOOK_TIMEOUT_MS`: how long a receiver has to answer; default 10000.
    pub webhook_timeout: Duration,
    /// `WEBHOOK_LEASE_MS`: how long a claimed delivery is held before another instance may take
    /// it; default the timeout plus 20 s, and never below the timeout.
    pub webhook_lease: Duration,
    /// `SSE_HEARTBEAT_MS`: the comment line's period on notification streams; default 15000.
    pub sse_heartbeat: Duration,
    /// `HASHING_SLOTS`, `HASHING_QUEUE`, `HASHING_WAIT_MS`: password hashes computed at once
    /// (default: one per core), requests that may wait for one (default 32 per slot), and how
    /// long (default 3000 ms); beyond either, 503 with `Retry-After`.
    pub hashing: HashingLimits,
}

/// A variable that is set but unusable, or missing where it is needed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{var} is invalid ({value:?}): {reason}")]
    Invalid { var: &'static str, value: String, reason: String },
    #[error("{var} is required {reason}")]
    Missing { var: &'static str, reason: &'static str },
}

impl Config {
    /// Reads the process environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first variable that is invalid or missing.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    ///
    /// # Errors
    /// As [`Config::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |var: &str| lookup(var).filter(|v| !v.trim().is_empty());
        let database_url = get("DATABASE_URL").map(Secret::new);
        let jwt_secret = get("JWT_SECRET").map(Secret::new);
        if jwt_secret.as_ref().is_some_and(|s| s.expose().len() < 16) {
            return Err(invalid("JWT_SECRET", "<redacted>", "use at least 16 characters"));
        }
        let jwt_previous_secrets: Vec<Secret> = get("JWT_PREVIOUS_SECRETS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Secret::new(s.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        if jwt_previous_secrets.iter().any(|s| s.expose().len() < 16) {
            return Err(invalid("JWT_PREVIOUS_SECRETS", "<redacted>", "use at least 16 characters for each"));
        }
        let cors_allowed_origins =
            get("CORS_ALLOWED_ORIGINS").map_or(Ok(CorsOrigins::None), |list| CorsOrigins::parse(&list))?;
        let cors_allow_credentials = parsed(&get, "CORS_ALLOW_CREDENTIALS", false)?;
        if cors_allow_credentials && cors_allowed_origins == CorsOrigins::Any {
            return Err(invalid(
                "CORS_ALLOW_CREDENTIALS",
                "true",
                "not with CORS_ALLOWED_ORIGINS=*: any site could then act with its visitors' credentials; list the origins",
            ));
        }
        let per_second: u32 = parsed(&get, "RATE_LIMIT_PER_SECOND", 20)?;
        let burst: u32 = parsed(&get, "RATE_LIMIT_BURST", 120)?;
        let sign_in_limit = SignInLimit {
            per_minute: parsed(&get, "SIGN_IN_PER_MINUTE", 30)?,
            burst: parsed(&get, "SIGN_IN_BURST", 10)?,
        };
        if sign_in_limit.per_minute == 0 || sign_in_limit.burst == 0 {
            return Err(invalid(
                "SIGN_IN_PER_MINUTE",
                "0",
                "the sign-in budget needs at least 1 a minute and a burst of 1",
            ));
        }
        if per_second > 0 && burst == 0 {
            return Err(invalid("RATE_LIMIT_BURST", "0", "must be at least 1 while rate limiting is on"));
        }
        let pool_size: usize = parsed(&get, "DATABASE_POOL_SIZE", 16)?;
        if pool_size == 0 {
            return Err(invalid("DATABASE_POOL_SIZE", "0", "must be at least 1"));
        }
        let read_pool_size: usize = parsed(&get, "DATABASE_READ_POOL_SIZE", 4)?;
        if read_pool_size == 0 {
            return Err(invalid("DATABASE_READ_POOL_SIZE", "0", "must be at least 1"));
        }
        let booking_batch = BookingBatch {
            max: match parsed(&get, "BOOKING_BATCH_MAX", 256)? {
                0 => return Err(invalid("BOOKING_BATCH_MAX", "0", "must be at least 1")),
                n => n,
            },
            waiting: parsed(&get, "BOOKING_BATCH_WAITING", 4096)?,
        };
        let workers: usize = parsed(&get, "WORKERS", 0)?;
        let webhook_timeout = positive_millis(&get, "WEBHOOK_TIMEOUT_MS", 10_000)?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let hashing_slots = match parsed(&get, "HASHING_SLOTS", cores)? {
            0 => return Err(invalid("HASHING_SLOTS", "0", "must be at least 1")),
            n => n,
        };
        let prepared_statements = parsed(&get, "DATABASE_PREPARED_STATEMENTS", true)?;
        let database_listen_url = get("DATABASE_LISTEN_URL").map(Secret::new);
        if !prepared_statements && database_url.is_some() && database_listen_url.is_none() {
            return Err(ConfigError::Missing {
                var: "DATABASE_LISTEN_URL",
                reason: "with DATABASE_PREPARED_STATEMENTS=false: LISTEN needs a session of its own (PostgreSQL itself, or a pooler in session mode)",
            });
        }
        let hashing = HashingLimits {
            slots: hashing_slots,
            queue: parsed(&get, "HASHING_QUEUE", hashing_slots * 32)?,
            wait: positive_millis(&get, "HASHING_WAIT_MS", 3000)?,
        };
        Ok(Self {
            database_url,
            database_owner_url: get("DATABASE_OWNER_URL").map(Secret::new),
            prepared_statements,
            database_listen_url,
            database_read_url: get("DATABASE_READ_URL").map(Secret::new),
            read_max_lag: positive_millis(&get, "READ_MAX_LAG_MS", 1000)?,
            host: parsed(&get, "HOST", IpAddr::from([127, 0, 0, 1]))?,
            port: parsed(&get, "PORT", 3000)?,
            jwt_secret,
            jwt_previous_secrets,
            cors_allowed_origins,
            cors_allow_credentials,
            hsts: parsed(&get, "HSTS", false)?,
            jwt_ttl: get("JWT_TTL")
                .map_or(Ok(Duration::from_secs(3600)), |v| parse_duration("JWT_TTL", &v))?,
            rate_limit: (per_second > 0).then_some(RateLimit { per_second, burst }),
            sign_in_limit,
            trusted_proxies: parsed(&get, "TRUSTED_PROXIES", TrustedProxies::default())?,
            pool_size,
            read_pool_size,
            pool_queue: parsed(&get, "DATABASE_POOL_QUEUE", 512)?,
            booking_batch,
            pool_timeout: Duration::from_millis(parsed(&get, "DATABASE_POOL_TIMEOUT_MS", 1000)?),
            workers: (workers > 0).then_some(workers),
            drain_delay: Duration::from_millis(parsed(&get, "DRAIN_DELAY_MS", 0)?),
            log_format: match get("LOG_FORMAT").as_deref() {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(other) => return Err(invalid("LOG_FORMAT", other, "expected pretty or json")),
            },
            metrics_token: get("METRICS_TOKEN").map(Secret::new),
            metrics_addr: get("METRICS_ADDR")
                .map(|addr| {
                    addr.parse().map_err(|_| {
                        invalid("METRICS_ADDR", &addr, "expected host:port, e.g. 127.0.0.1:9100")
                    })
                })
                .transpose()?,
            body_timeout: positive_millis(&get, "BODY_TIMEOUT_MS", 10_000)?,
            max_connections: match parsed(&get, "MAX_CONNECTIONS", 10_000)? {
                0 => return Err(invalid("MAX_CONNECTIONS", "0", "must be at least 1")),
                n => n,
            },
            max_connections_per_ip: parsed(&get, "MAX_CONNECTIONS_PER_IP", 256)?,
            data_dir: get("TICKETING_DATA_DIR").map_or_else(|| PathBuf::from(".data"), PathBuf::from),
            webhook_allow_private: parsed(&get, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", false)?,
            webhook_retry_base: positive_millis(&get, "WEBHOOK_RETRY_BASE_MS", 5000)?,
            webhook_timeout,
            webhook_lease: positive_millis(&get, "WEBHOOK_LEASE_MS", webhook_timeout.as_millis() + 20_000)?
                .max(webhook_timeout),
            sse_heartbeat: positive_millis(&get, "SSE_HEARTBEAT_MS", 15_000)?,
            hashing,
        })
    }

    /// How this instance serves notification streams and checks webhook targets.
    #[must_use]
    pub const fn notification_settings(&self) -> NotificationSettings {
        NotificationSettings {
            heartbeat: self.sse_heartbeat,
            stream_buffer: STREAM_BUFFER,
            targets: TargetPolicy { allow_private: self.webhook_allow_private },
        }
    }

    /// How the webhook delivery worker retries and times out.
    #[must_use]
    pub const fn delivery_settings(&self) -> DeliverySettings {
        DeliverySettings {
            timeout: self.webhook_timeout,
            lease: self.webhook_lease,
            retry: RetryPolicy::with_base(self.webhook_retry_base),
            poll: Duration::from_secs(1),
            targets: TargetPolicy { allow_private: self.webhook_allow_private },
        }
    }
}

/// Notifications a stream may have queued before it counts as too slow and is closed.
const STREAM_BUFFER: usize = 256;

fn positive_millis(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u128,
) -> Result<Duration, ConfigError> {
    let millis: u64 = parsed(get, var, u64::try_from(default).unwrap_or(u64::MAX))?;
    if millis == 0 {
        return Err(invalid(var, "0", "must be at least 1"));
    }
    Ok(Duration::from_millis(millis))
}

impl Config {
    /// The key to sign tokens with: `JWT_SECRET` when set, else the embedded database's own.
    ///
    /// # Errors
    /// [`ConfigError::Missing`] with `DATABASE_URL` but no `JWT_SECRET`: every instance on a
    /// shared database must sign with the same key, and a default would let anyone forge
    /// tokens.
    pub fn signing_secret(&self, embedded: Option<&Secret>) -> Result<Secret, ConfigError> {
        self.jwt_secret.as_ref().or(embedded).cloned().ok_or(ConfigError::Missing {
            var: "JWT_SECRET",
            reason: "to serve with DATABASE_URL (at least 16 characters)",
        })
    }
}

fn invalid(var: &'static str, value: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid { var, value: value.to_owned(), reason: reason.to_owned() }
}

fn parsed<T>(get: &impl Fn(&str) -> Option<String>, var: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    get(var)
        .map_or(Ok(default), |raw| raw.trim().parse().map_err(|e: T::Err| invalid(var, &raw, &e.to_string())))
}

/// Seconds, or a number with `s`, `m` or `h`.
fn parse_duration(var: &'static str, raw: &str) -> Result<Duration, ConfigError> {
    let raw = raw.trim();
    let (number, unit) = match raw.char_indices().last() {
        Some((i, 's')) => (&raw[..i], 1),
        Some((i, 'm')) => (&raw[..i], 60),
        Some((i, 'h')) => (&raw[..i], 3600),
        _ => (raw, 1),
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_secs(n * unit)),
        _ => Err(invalid(var, raw, "expected a positive number of seconds, or e.g. 30m or 1h")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(|var| vars.get(var).cloned())
    }

    #[test]
    fn without_prepared_statements_an_external_database_needs_a_listen_url() {
        let pooled = [("DATABASE_URL", "postgres://x@pooler/y"), ("DATABASE_PREPARED_STATEMENTS", "false")];
        let missing = config(&pooled);
        let given = config(&[pooled[0], pooled[1], ("DATABASE_LISTEN_URL", "postgres://x@db/y")]).unwrap();

        assert!(
            matches!(missing, Err(ConfigError::Missing { var: "DATABASE_LISTEN_URL", .. })),
            "{missing:?}"
        );
        assert!(!given.prepared_statements);
        assert!(config(&[]).unwrap().prepared_statements, "kept prepared by default");
        assert!(config(&[("DATABASE_PREPARED_STATEMENTS", "no")]).is_err());
    }

    #[test]
    fn a_read_replica_is_optional_and_its_lag_bound_positive() {
        let none = config(&[]).unwrap();
        let given =
            config(&[("DATABASE_READ_URL", "postgres://x@replica/y"), ("READ_MAX_LAG_MS", "250")]).unwrap();

        assert!(none.database_read_url.is_none());
        assert_eq!(none.read_max_lag, Duration::from_millis(1000));
        assert_eq!(given.database_read_url.as_ref().map(Secret::expose), Some("postgres://x@replica/y"));
        assert_eq!(given.read_max_lag, Duration::from_millis(250));
        assert!(config(&[("READ_MAX_LAG_MS", "0")]).is_err());
    }

    #[test]
    fn with_nothing_set_the_service_runs_embedded_on_port_3000_of_this_machine_only() {
        let c = config(&[]).unwrap();
        assert!(c.database_url.is_none());
        assert_eq!(c.host, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(c.port, 3000);
        assert_eq!(c.jwt_ttl, Duration::from_secs(3600));
        assert_eq!(c.rate_limit, Some(RateLimit { per_second: 20, burst: 120 }));
        assert_eq!(c.sign_in_limit, SignInLimit { per_minute: 30, burst: 10 });
        assert_eq!(c.trusted_proxies, TrustedProxies::default());
        assert_eq!(c.log_format, LogFormat::Pretty);
    }

    #[test]
    fn previous_secrets_are_a_comma_separated_list_of_long_enough_keys() {
        let c = config(&[("JWT_PREVIOUS_SECRETS", "first-old-secret-xx, second-old-secret-y,")]).unwrap();
        let listed: Vec<&str> = c.jwt_previous_secrets.iter().map(Secret::expose).collect();
        assert_eq!(listed, ["first-old-secret-xx", "second-old-secret-y"]);
        let err = config(&[("JWT_PREVIOUS_SECRETS", "first-old-secret-xx,short")]).unwrap_err().to_string();
        assert!(err.starts_with("JWT_PREVIOUS_SECRETS is invalid") && !err.contains("short"), "{err}");
        assert!(config(&[]).unwrap().jwt_previous_secrets.is_empty());
    }

    #[test]
    fn cors_origins_are_none_any_or_a_list_of_plain_origins() {
        assert_eq!(config(&[]).unwrap().cors_allowed_origins, CorsOrigins::None);
        assert_eq!(config(&[("CORS_ALLOWED_ORIGINS", "*")]).unwrap().cors_allowed_origins, CorsOrigins::Any);
        let listed =
            config(&[("CORS_ALLOWED_ORIGINS", "https://app.example.com, http://localhost:5173")]).unwrap();
        assert_eq!(
            listed.cors_allowed_origins,
            CorsOrigins::Listed(vec![
                "https://app.example.com".to_owned(),
                "http://localhost:5173".to_owned()
            ])
        );
        for bad in [
            "app.example.com",
            "https://app.example.com/path",
            "https://*.example.com",
            "*,https://a.example.com",
            "ftp://x.y",
        ] {
            let err = config(&[("CORS_ALLOWED_ORIGINS", bad)]).unwrap_err().to_string();
            assert!(err.starts_with("CORS_ALLOWED_ORIGINS is invalid"), "{bad}: {err}");
        }
    }

    #[test]
    fn credentials_are_refused_with_any_origin() {
        let err = config(&[("CORS_ALLOWED_ORIGINS", "*"), ("CORS_ALLOW_CREDENTIALS", "true")]).unwrap_err();
        assert!(err.to_string().starts_with("CORS_ALLOW_CREDENTIALS is invalid"), "{err}");
        assert!(
            config(&[("CORS_ALLOWED_ORIGINS", "https://a.example.com"), ("CORS_ALLOW_CREDENTIALS", "true")])
                .is_ok()
        );
    }

    #[test]
    fn a_short_jwt_secret_is_refused() {
        let err = config(&[("JWT_SECRET", "short")]).unwrap_err();
        assert!(err.to_string().starts_with("JWT_SECRET is invalid"), "{err}");
        assert!(config(&[("JWT_SECRET", "a-long-enough-secret")]).is_ok());
    }

    #[test]
    fn a_bad_value_is_reported_with_its_variable() {
        let err = config(&[("PORT", "eighty")]).unwrap_err();
        assert!(err.to_string().starts_with("PORT is invalid"), "{err}");
        let err = config(&[("LOG_FORMAT", "xml")]).unwrap_err();
        assert!(err.to_string().contains("LOG_FORMAT"), "{err}");
    }

    #[test]
    fn a_zero_rate_turns_limiting_off() {
        assert_eq!(config(&[("RATE_LIMIT_PER_SECOND", "0")]).unwrap().rate_limit, None);
    }

    #[test]
    fn token_lifetimes_accept_units() {
        assert_eq!(config(&[("JWT_TTL", "90")]).unwrap().jwt_ttl, Duration::from_secs(90));
        assert_eq!(config(&[("JWT_TTL", "30m")]).unwrap().jwt_ttl, Duration::from_secs(1800));
        assert_eq!(config(&[("JWT_TTL", "2h")]).unwrap().jwt_ttl, Duration::from_secs(7200));
        assert!(config(&[("JWT_TTL", "0")]).is_err());
    }

    #[test]
    fn serving_an_external_database_needs_a_jwt_secret_of_its_own() {
        let without = config(&[("DATABASE_URL", "postgres://x/y")]).unwrap();
        let with =
            config(&[("DATABASE_URL", "postgres://x/y"), ("JWT_SECRET", "a-long-enough-secret")]).unwrap();
        let embedded = Secret::new("the-embedded-databases-own-key".to_owned());

        assert!(matches!(without.signing_secret(None), Err(ConfigError::Missing { var: "JWT_SECRET", .. })));
        assert_eq!(with.signing_secret(None).unwrap().expose(), "a-long-enough-secret");
        assert_eq!(with.signing_secret(Some(&embedded)).unwrap().expose(), "a-long-enough-secret");
        assert_eq!(config(&[]).unwrap().signing_secret(Some(&embedded)).unwrap(), embedded);
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let c =
            config(&[("DATABASE_URL", "postgres://u:hunter2@h/d"), ("JWT_SECRET", "top-secret-signing-key")])
                .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("top-secret"), "{shown}");
    }
}
