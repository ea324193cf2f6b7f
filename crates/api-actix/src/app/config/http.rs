//! How the HTTP service listens, and what it allows each client.

use std::net::IpAddr;
use std::time::Duration;

use super::ConfigError;
use super::vars::{Vars, invalid};
use crate::http::client_address::TrustedProxies;
use crate::http::middleware::browser::{CorsOrigins, CorsPolicy};
use crate::http::middleware::rate_limit::{RateLimit, SignInLimit};

/// The HTTP settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// `HOST`, default `127.0.0.1`: a service started without a word about where it should be
    /// reachable (the embedded demo, with its published demo passwords) is reachable from this
    /// machine only. Containers set `0.0.0.0` (`docker/Dockerfile`).
    pub host: IpAddr,
    /// `PORT`, default 3000; 0 picks a free port.
    pub port: u16,
    /// `WORKERS`: HTTP worker threads, default one per core.
    pub workers: Option<usize>,
    /// `DRAIN_DELAY_MS`: on SIGTERM, how long `/ready` answers 503 before the listener closes,
    /// so a load balancer's health check notices first; default 0.
    pub drain_delay: Duration,
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
    /// `CORS_ALLOWED_ORIGINS`, comma-separated origins (`https://app.example.com`) that web
    /// pages may call the API from, or `*` for any; none by default. `CORS_ALLOW_CREDENTIALS`:
    /// let those pages send cookies and client certificates (never with `*`); off by default,
    /// since the API reads only the `Authorization` header.
    pub cors: CorsPolicy,
    /// `HSTS`: send `Strict-Transport-Security` (only behind TLS); off by default.
    pub hsts: bool,
    /// `RATE_LIMIT_PER_SECOND` (default 20; 0 turns limiting off) and `RATE_LIMIT_BURST`
    /// (default 120: a script of the original's clients makes about sixty calls at once).
    pub rate_limit: Option<RateLimit>,
    /// `SIGN_IN_PER_MINUTE` (default 30) and `SIGN_IN_BURST` (default 10).
    pub sign_in_limit: SignInLimit,
    /// `TRUSTED_PROXIES`: addresses or networks whose `X-Forwarded-For` names the client; none
    /// by default.
    pub trusted_proxies: TrustedProxies,
    /// `SSE_HEARTBEAT_MS`: the comment line's period on notification streams; default 15000.
    pub sse_heartbeat: Duration,
}

impl HttpConfig {
    pub(super) fn read(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let cors = CorsPolicy {
            origins: vars.get("CORS_ALLOWED_ORIGINS").map_or(Ok(CorsOrigins::None), |list| origins(&list))?,
            allow_credentials: vars.parsed("CORS_ALLOW_CREDENTIALS", false)?,
        };
        if cors.allow_credentials && cors.origins == CorsOrigins::Any {
            return Err(invalid(
                "CORS_ALLOW_CREDENTIALS",
                "true",
                "not with CORS_ALLOWED_ORIGINS=*: any site could then act with its visitors' credentials; list the origins",
            ));
        }
        let per_second: u32 = vars.parsed("RATE_LIMIT_PER_SECOND", 20)?;
        let burst: u32 = vars.parsed("RATE_LIMIT_BURST", 120)?;
        if per_second > 0 && burst == 0 {
            return Err(invalid("RATE_LIMIT_BURST", "0", "must be at least 1 while rate limiting is on"));
        }
        let sign_in_limit = SignInLimit {
            per_minute: vars.parsed("SIGN_IN_PER_MINUTE", 30)?,
            burst: vars.parsed("SIGN_IN_BURST", 10)?,
        };
        if sign_in_limit.per_minute == 0 || sign_in_limit.burst == 0 {
            return Err(invalid(
                "SIGN_IN_PER_MINUTE",
                "0",
                "the sign-in budget needs at least 1 a minute and a burst of 1",
            ));
        }
        let workers: usize = vars.parsed("WORKERS", 0)?;
        Ok(Self {
            host: vars.parsed("HOST", IpAddr::from([127, 0, 0, 1]))?,
            port: vars.parsed("PORT", 3000)?,
            workers: (workers > 0).then_some(workers),
            drain_delay: vars.millis("DRAIN_DELAY_MS", 0)?,
            body_timeout: vars.positive_millis("BODY_TIMEOUT_MS", 10_000)?,
            max_connections: vars.at_least_one("MAX_CONNECTIONS", 10_000)?,
            max_connections_per_ip: vars.parsed("MAX_CONNECTIONS_PER_IP", 256)?,
            cors,
            hsts: vars.parsed("HSTS", false)?,
            rate_limit: (per_second > 0).then_some(RateLimit { per_second, burst }),
            sign_in_limit,
            trusted_proxies: vars.parsed("TRUSTED_PROXIES", TrustedProxies::default())?,
            sse_heartbeat: vars.positive_millis("SSE_HEARTBEAT_MS", 15_000)?,
        })
    }
}

/// `*` alone, or a list of plain origins (scheme, host, optional port).
fn origins(list: &str) -> Result<CorsOrigins, ConfigError> {
    let origins: Vec<&str> = list.split(',').map(str::trim).filter(|o| !o.is_empty()).collect();
    if origins == ["*"] {
        return Ok(CorsOrigins::Any);
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
        CorsOrigins::None
    } else {
        CorsOrigins::Listed(origins.into_iter().map(str::to_owned).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use super::*;

    #[test]
    fn cors_origins_are_none_any_or_a_list_of_plain_origins() {
        let origins = |vars: &[(&str, &str)]| config(vars).map(|c| c.http.cors.origins);
        assert_eq!(origins(&[]).unwrap(), CorsOrigins::None);
        assert_eq!(origins(&[("CORS_ALLOWED_ORIGINS", "*")]).unwrap(), CorsOrigins::Any);
        let listed = origins(&[("CORS_ALLOWED_ORIGINS", "https://app.example.com, http://localhost:5173")]);
        assert_eq!(
            listed.unwrap(),
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
    fn a_zero_rate_turns_limiting_off() {
        assert_eq!(config(&[("RATE_LIMIT_PER_SECOND", "0")]).unwrap().http.rate_limit, None);
    }
}
