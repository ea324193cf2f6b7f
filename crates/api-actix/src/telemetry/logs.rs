//! Where log lines go and how they look. What a request logs is its middleware's
//! (`crate::http::middleware::request_context`).

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// For people at a terminal.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// actix-http logs every malformed request a client sends (a bad header, an oversized head) as
/// an ERROR of its connection dispatcher, after answering it with a 400 or 431: anyone could
/// fill the error log. Off unless `RUST_LOG` names it.
const CLIENT_PROTOCOL_ERRORS: &str = "actix_http::h1::dispatcher=off";

/// Installs the global subscriber: `RUST_LOG` filters (default `info`), `format` shapes.
/// Colour codes only when the output is a terminal: in a file or a log collector they are
/// noise. Calling it again (as tests do) leaves the first one in place.
pub fn init(format: LogFormat) {
    let directives = std::env::var("RUST_LOG").ok().filter(|d| !d.trim().is_empty());
    let filter = filter(directives.as_deref());
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_ansi(std::io::stdout().is_terminal());
    let installed = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
    drop(installed);
}

fn filter(directives: Option<&str>) -> EnvFilter {
    let directives = directives.unwrap_or("info");
    if directives.contains("actix_http") {
        EnvFilter::new(directives)
    } else {
        EnvFilter::new(format!("{directives},{CLIENT_PROTOCOL_ERRORS}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_protocol_errors_stay_out_of_the_log_unless_asked_for() {
        assert!(filter(None).to_string().contains(CLIENT_PROTOCOL_ERRORS));
        assert!(filter(Some("warn,sqlx=off")).to_string().contains(CLIENT_PROTOCOL_ERRORS));
        assert!(!filter(Some("info,actix_http=debug")).to_string().contains(CLIENT_PROTOCOL_ERRORS));
    }
}
