//! The service's HTTP API as the load generator uses it, spread over several instances.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One answer: status (or the transport failure), body and latency. For a retried write, the
/// last answer, the whole time the client waited, and how many times it sent.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: Result<u16, String>,
    pub body: Value,
    pub latency: Duration,
    /// The server's `Retry-After`, when it gave one.
    pub retry_after: Option<Duration>,
    pub attempts: u32,
}

/// How long a write is retried before the client gives up: longer than the service's lease on
/// an idempotency key (15 s), so a write whose instance died mid-request still gets its answer.
const GIVE_UP_AFTER: Duration = Duration::from_secs(40);

/// The wait before the second attempt, when the server did not say; doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3);

/// What a request carries besides its method and path.
#[derive(Debug, Clone, Copy)]
struct Extras<'a> {
    /// A JSON body; none sends an empty one.
    body: Option<&'a Value>,
    /// The login token, sent as `Authorization: Bearer`.
    token: Option<&'a str>,
    /// One more header.
    header: Option<(&'static str, &'a str)>,
}

impl Extras<'_> {
    const NONE: Self = Self { body: None, token: None, header: None };
}

impl Reply {
    #[must_use]
    pub fn is(&self, status: u16) -> bool {
        self.status == Ok(status)
    }
}

/// A client for one or more instances; request `n` goes to instance `n % instances`.
#[derive(Debug, Clone)]
pub struct Api {
    client: reqwest::Client,
    bases: Arc<[String]>,
    /// Whether [`Api::write`] sends keys and retries (the default).
    retries: bool,
}

impl Api {
    /// # Errors
    /// When no base URL is given or the HTTP client cannot be built.
    pub fn new(bases: Vec<String>, connections_per_instance: usize) -> anyhow::Result<Self> {
        anyhow::ensure!(!bases.is_empty(), "give at least one --base URL");
        let bases: Vec<String> = bases.into_iter().map(|b| b.trim_end_matches('/').to_owned()).collect();
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(connections_per_instance)
            // Below the server's keep-alive (5 s), so an idle connection is never reused just
            // as the server closes it.
            .pool_idle_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self { client, bases: bases.into(), retries: true })
    }

    /// With `false`, [`Api::write`] sends once, without a key.
    #[must_use]
    pub const fn with_retries(mut self, retries: bool) -> Self {
        self.retries = retries;
        self
    }

    #[must_use]
    pub fn instances(&self) -> usize {
        self.bases.len()
    }

    fn url(&self, n: usize, path: &str) -> String {
        let base = self.bases.get(n % self.bases.len()).map_or("", String::as_str);
        format!("{base}{path}")
    }

    pub async fn post(&self, n: usize, path: &str, body: &Value, token: Option<&str>) -> Reply {
        send(self.request(reqwest::Method::POST, n, path, Extras { body: Some(body), token, ..Extras::NONE }))
            .await
    }

    /// A `POST` without a body, sent once (a poll for an admission token).
    pub async fn post_empty(&self, n: usize, path: &str, token: &str) -> Reply {
        send(self.request(reqwest::Method::POST, n, path, Extras { token: Some(token), ..Extras::NONE }))
            .await
    }

    /// A `PUT`, sent once: it sets the same state however often it arrives.
    pub async fn put(&self, n: usize, path: &str, body: &Value, token: &str) -> Reply {
        let extras = Extras { body: Some(body), token: Some(token), ..Extras::NONE };
        send(self.request(reqwest::Method::PUT, n, path, extras)).await
    }

    /// A write as a careful client sends it: with an `Idempotency-Key`, and again with the same
    /// key after a transport failure, a 408, a 503 or a 409 `idempotency_key_in_flight`,
    /// waiting what `Retry-After` says (else backing off), each attempt to the next instance.
    /// The service makes the effect happen once however often it arrives.
    pub async fn write(&self, n: usize, path: &str, body: &Value, token: Option<&str>) -> Reply {
        self.keyed(reqwest::Method::POST, n, path, Extras { body: Some(body), token, ..Extras::NONE }).await
    }

    /// A write as [`Api::write`] sends it, carrying one more header (a booking's admission
    /// token, beside the login token).
    pub async fn write_with(
        &self,
        n: usize,
        path: &str,
        body: &Value,
        token: &str,
        header: (&'static str, &str),
    ) -> Reply {
        let extras = Extras { body: Some(body), token: Some(token), header: Some(header) };
        self.keyed(reqwest::Method::POST, n, path, extras).await
    }

    /// A `PATCH` sent as [`Api::write`] sends a `POST`.
    pub async fn patch(&self, n: usize, path: &str, body: &Value, token: &str) -> Reply {
        self.keyed(
            reqwest::Method::PATCH,
            n,
            path,
            Extras { body: Some(body), token: Some(token), ..Extras::NONE },
        )
        .await
    }

    /// A bodiless `POST` whose effect is the same however often it arrives (joining a waiting
    /// room: a repeat gets the same place), retried as [`Api::write`] retries but without a
    /// key, which the service would have to store for nothing; sent once without retries.
    pub async fn post_again(&self, n: usize, path: &str, token: &str) -> Reply {
        let extras = Extras { token: Some(token), ..Extras::NONE };
        if !self.retries {
            return send(self.request(reqwest::Method::POST, n, path, extras)).await;
        }
        self.retried(reqwest::Method::POST, n, path, extras, None).await
    }

    async fn keyed(&self, method: reqwest::Method, n: usize, path: &str, extras: Extras<'_>) -> Reply {
        if !self.retries {
            return send(self.request(method, n, path, extras)).await;
        }
        let key = uuid::Uuid::new_v4().to_string();
        self.retried(method, n, path, extras, Some(&key)).await
    }

    /// Sends until the answer is final (see [`Api::write`]), with `key` as the
    /// `Idempotency-Key` of every attempt when given.
    async fn retried(
        &self,
        method: reqwest::Method,
        n: usize,
        path: &str,
        extras: Extras<'_>,
        key: Option<&str>,
    ) -> Reply {
        let started = Instant::now();
        let mut backoff = FIRST_BACKOFF;
        let mut attempt: u32 = 0;
        loop {
            let instance = n + usize::try_from(attempt).unwrap_or(0);
            let mut request = self.request(method.clone(), instance, path, extras);
            if let Some(key) = key {
                request = request.header("Idempotency-Key", key);
            }
            let mut reply = send(request).await;
            attempt += 1;
            let again = match &reply.status {
                Err(_) | Ok(408 | 503) => true,
                Ok(409) => reply.body["code"] == "idempotency_key_in_flight",
                Ok(_) => false,
            };
            if !again || started.elapsed() >= GIVE_UP_AFTER {
                reply.latency = started.elapsed();
                reply.attempts = attempt;
                return reply;
            }
            tokio::time::sleep(reply.retry_after.unwrap_or(backoff).min(MAX_BACKOFF)).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// A request to instance `n` (modulo their number) with what `extras` carries.
    fn request(
        &self,
        method: reqwest::Method,
        n: usize,
        path: &str,
        extras: Extras<'_>,
    ) -> reqwest::RequestBuilder {
        let mut request = self.client.request(method, self.url(n, path));
        if let Some(body) = extras.body {
            request = request.json(body);
        }
        if let Some(token) = extras.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        if let Some((name, value)) = extras.header {
            request = request.header(name, value);
        }
        request
    }

    pub async fn get(&self, n: usize, path: &str) -> Reply {
        send(self.client.get(self.url(n, path))).await
    }

    pub async fn get_as(&self, n: usize, path: &str, token: &str) -> Reply {
        send(self.request(reqwest::Method::GET, n, path, Extras { token: Some(token), ..Extras::NONE })).await
    }
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    let started = Instant::now();
    let outcome = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
                .map(Duration::from_secs);
            match response.bytes().await {
                Ok(bytes) => Ok((status, retry_after, serde_json::from_slice(&bytes).unwrap_or(Value::Null))),
                Err(e) => Err(e.to_string()),
            }
        }
        Err(e) => Err(e.to_string()),
    };
    let latency = started.elapsed();
    match outcome {
        Ok((status, retry_after, body)) => {
            Reply { status: Ok(status), body, latency, retry_after, attempts: 1 }
        }
        Err(error) => {
            Reply { status: Err(error), body: Value::Null, latency, retry_after: None, attempts: 1 }
        }
    }
}
