//! The service's HTTP API as the load generator uses it, spread over several instances.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One answer: status (or the transport failure), body and latency.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: Result<u16, String>,
    pub body: Value,
    pub latency: Duration,
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
        Ok(Self { client, bases: bases.into() })
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
        let mut request = self.client.post(self.url(n, path)).json(body);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        send(request).await
    }

    pub async fn get(&self, n: usize, path: &str) -> Reply {
        send(self.client.get(self.url(n, path))).await
    }

    pub async fn get_as(&self, n: usize, path: &str, token: &str) -> Reply {
        send(self.client.get(self.url(n, path)).header("Authorization", format!("Bearer {token}"))).await
    }
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    let started = Instant::now();
    let outcome = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.bytes().await {
                Ok(bytes) => Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))),
                Err(e) => Err(e.to_string()),
            }
        }
        Err(e) => Err(e.to_string()),
    };
    let latency = started.elapsed();
    match outcome {
        Ok((status, body)) => Reply { status: Ok(status), body, latency },
        Err(error) => Reply { status: Err(error), body: Value::Null, latency },
    }
}
