//! Reading a Server-Sent Events response event by event.

use std::time::Duration;

use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Event {
    pub id: i64,
    pub kind: String,
    pub data: Value,
}

pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
    /// Comment lines seen (heartbeats), in order.
    pub comments: Vec<String>,
    /// The reason of the `session.ended` event, once one arrived.
    pub ended: Option<String>,
}

impl EventStream {
    pub fn new(response: reqwest::Response) -> Self {
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/event-stream"), "{content_type}");
        Self { response, buffer: String::new(), comments: Vec::new(), ended: None }
    }

    /// The next event with an id, or `None` if none arrives within `within` (or the stream
    /// ends).
    pub async fn next(&mut self, within: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = self.parse(&frame) {
                    return Some(event);
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?.ok()??;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    fn parse(&mut self, frame: &str) -> Option<Event> {
        let (mut id, mut kind, mut data) = (None, None, None);
        for line in frame.lines() {
            if let Some(comment) = line.strip_prefix(':') {
                self.comments.push(comment.trim().to_owned());
            } else if let Some(value) = line.strip_prefix("id: ") {
                id = value.parse().ok();
            } else if let Some(value) = line.strip_prefix("event: ") {
                kind = Some(value.to_owned());
            } else if let Some(value) = line.strip_prefix("data: ") {
                data = serde_json::from_str(value).ok();
            }
        }
        if kind.as_deref() == Some("session.ended") {
            self.ended = data.as_ref().and_then(|d: &Value| d["reason"].as_str()).map(str::to_owned);
            return None;
        }
        Some(Event { id: id?, kind: kind?, data: data? })
    }

    /// Waits, at most `within`, for the server to end the stream; returns how long that took,
    /// or `None` if it is still open.
    pub async fn closed(&mut self, within: Duration) -> Option<Duration> {
        let started = tokio::time::Instant::now();
        let deadline = started + within;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return None,
                Ok(Ok(Some(chunk))) => {
                    self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
                    while let Some(end) = self.buffer.find("\n\n") {
                        let frame: String = self.buffer.drain(..end + 2).collect();
                        self.parse(&frame);
                    }
                }
                Ok(Ok(None) | Err(_)) => return Some(started.elapsed()),
            }
        }
    }

    /// Every event that arrives within `within`.
    pub async fn drain(&mut self, within: Duration) -> Vec<Event> {
        let mut events = Vec::new();
        while let Some(event) = self.next(within).await {
            events.push(event);
        }
        events
    }
}
