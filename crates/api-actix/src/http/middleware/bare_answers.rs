//! The answers actix-http gives on its own, in the JSON shape every other answer has.
//!
//! Before a request reaches the app, actix-http's connection dispatcher answers a head that
//! does not parse (400), one too large for its buffer (431) or one that does not arrive within
//! the head timeout (408) by itself, with an empty body, and offers no hook to change them: a
//! client would get a bare status where docs/API.md ("Errors") promises `{"error", "code"}`. So every
//! connection writes through [`JsonAnswers`], which recognises such an answer and writes the
//! JSON one in its place, keeping its status line and every other header.
//!
//! Recognising them is exact, not a guess: they are the last thing written before the
//! connection closes, they say `content-length: 0`, and the app never answers an error without
//! a body. A JSON body cannot contain a raw CR LF, so no body is ever taken for a head.
//!
//! One of them is not written at all: the 408 of a connection that never received a byte.
//! actix-http times a connection's first request from its opening, and answers 408 when the
//! time runs out even if the client sent nothing — but a client that opens connections ahead
//! of use and sends its first request at that moment would read the 408 as its answer. Such a
//! connection is closed without a word instead, as an idle keep-alive connection is.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::http::error::ApiError;

/// More than any answer of the app carries (security, rate-limit and CORS headers included);
/// a head with more is passed through untouched.
const MAX_HEADERS: usize = 64;

/// A connection whose bare protocol answers are rewritten as JSON on their way out.
#[derive(Debug)]
pub struct JsonAnswers<T> {
    inner: T,
    /// A rewritten answer not yet fully written; the caller was told it was.
    pending: Vec<u8>,
    sent: usize,
    /// The client has sent at least one byte on this connection.
    heard: bool,
}

impl<T> JsonAnswers<T> {
    pub const fn new(inner: T) -> Self {
        Self { inner, pending: Vec::new(), sent: 0, heard: false }
    }

    pub const fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T: AsyncWrite + Unpin> JsonAnswers<T> {
    /// Writes what is left of a rewritten answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.pending.len() {
            let written = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.sent..]))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += written;
        }
        self.pending.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> JsonAnswers<T> {
    /// Whether the client has sent anything: bytes already read, or bytes waiting to be (the
    /// dispatcher checks its timers before it reads, so a request arriving as the head timer
    /// fires is still unread; what this reads of it is lost, but the connection is closing).
    fn heard(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.heard {
            let mut scratch = [0; 64];
            let mut waiting = ReadBuf::new(&mut scratch);
            let read = Pin::new(&mut self.inner).poll_read(cx, &mut waiting);
            self.heard = matches!(read, Poll::Ready(Ok(()))) && !waiting.filled().is_empty();
        }
        self.heard
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonAnswers<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.heard = true;
        }
        read
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for JsonAnswers<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if is_bare_head_timeout(buf) && !self.heard(cx) {
            // Nothing was asked, so nothing is answered: the dispatcher shuts the connection
            // down right after this write.
            return Poll::Ready(Ok(buf.len()));
        }
        let Some(rewritten) = rewrite(buf) else {
            return Pin::new(&mut self.inner).poll_write(cx, buf);
        };
        self.pending = rewritten;
        // Whatever does not go now goes on the next flush, which the dispatcher always makes.
        if let Poll::Ready(Err(e)) = self.poll_pending(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// `bytes` with its last answer in JSON, when that answer is a bare one of actix-http's;
/// `None` (write as is) otherwise. `bytes` is whole answers from its start (the dispatcher's
/// write buffer); anything else — a body's continuation, a stream — is never rewritten.
fn rewrite(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut start = 0;
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut answer = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(head_length) = answer.parse(bytes.get(start..)?).ok()? else {
            return None;
        };
        let body_length = content_length(answer.headers)?;
        let end = start.checked_add(head_length)?.checked_add(body_length)?;
        if end == bytes.len() && body_length == 0 {
            let error = ApiError::answered_bare(answer.code?)?;
            let mut rewritten = bytes[..start].to_vec();
            write_json(&mut rewritten, &bytes[start..], answer.headers, &error);
            return Some(rewritten);
        }
        if end >= bytes.len() {
            return None;
        }
        start = end;
    }
}

/// `bytes` is exactly actix-http's bare 408 and nothing before it: the first request's head
/// did not arrive in time.
fn is_bare_head_timeout(bytes: &[u8]) -> bool {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut answer = httparse::Response::new(&mut headers);
    matches!(answer.parse(bytes), Ok(httparse::Status::Complete(length)) if length == bytes.len())
        && answer.code == Some(408)
        && content_length(answer.headers) == Some(0)
}

/// The answer's `Content-Length`; `None` for a chunked or streamed one.
fn content_length(headers: &[httparse::Header<'_>]) -> Option<usize> {
    let header = headers.iter().find(|h| h.name.eq_ignore_ascii_case("content-length"))?;
    std::str::from_utf8(header.value).ok()?.trim().parse().ok()
}

/// The bare answer `original` again, with `error`'s JSON body and the headers it needs.
fn write_json(out: &mut Vec<u8>, original: &[u8], headers: &[httparse::Header<'_>], error: &ApiError) {
    let status_line_end = original.windows(2).position(|w| w == b"\r\n").unwrap_or(original.len());
    let body = error.json_body();
    out.extend_from_slice(&original[..status_line_end]);
    out.extend_from_slice(b"\r\n");
    for header in headers.iter().filter(|h| !h.name.eq_ignore_ascii_case("content-length")) {
        out.extend_from_slice(header.name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(header.value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(
        format!("content-type: application/json\r\ncontent-length: {}\r\n\r\n", body.len()).as_bytes(),
    );
    out.extend_from_slice(body.as_bytes());
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    const BARE_408: &[u8] =
        b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\ndate: Mon, 30 Nov 2026 21:00:00 GMT\r\n\r\n";

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    fn body(answer: &str) -> serde_json::Value {
        serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap()
    }

    #[test]
    fn a_bare_timeout_becomes_json_and_keeps_its_status_and_other_headers() {
        let rewritten = rewrite(BARE_408).unwrap();
        let answer = text(&rewritten);

        assert!(answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{answer}");
        assert!(answer.contains("\r\nconnection: close\r\n") && answer.contains("\r\ndate: Mon, 30 Nov"));
        assert!(answer.contains("\r\ncontent-type: application/json\r\n"), "{answer}");
        assert!(!answer.contains("content-length: 0"), "{answer}");
        let json = body(answer);
        assert_eq!(json["code"], "request_timeout");
        let length = format!("content-length: {}\r\n", json.to_string().len());
        assert!(answer.contains(&length), "{answer}");
    }

    #[test]
    fn malformed_and_oversized_heads_get_their_own_codes() {
        let bad =
            rewrite(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").unwrap();
        let large =
            rewrite(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n").unwrap();

        assert_eq!(body(text(&bad))["code"], "invalid_request");
        assert_eq!(body(text(&large))["code"], "headers_too_large");
    }

    #[test]
    fn the_apps_own_answers_pass_untouched() {
        let json_400 = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        let empty_200 = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        let streamed = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n";
        let continuation = b"lo\"}";

        for bytes in [&json_400[..], empty_200, streamed, continuation, &BARE_408[..20]] {
            assert_eq!(rewrite(bytes), None, "{}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn a_bare_answer_after_a_pipelined_one_is_rewritten_and_the_first_kept() {
        let first = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        let bytes = [&first[..], b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"].concat();

        let rewritten = rewrite(&bytes).unwrap();

        assert!(rewritten.starts_with(first));
        let second = text(&rewritten[first.len()..]);
        assert_eq!(body(second)["code"], "invalid_request");
    }

    /// What the far end receives when `sent` reached the connection (and `read` of it was
    /// read through it) before the server wrote `written` and shut down.
    async fn received(sent: &[u8], read: usize, written: &[u8]) -> String {
        // Smaller than an answer, so that the answer goes out in several writes.
        let (near, mut far) = tokio::io::duplex(64);
        let mut connection = JsonAnswers::new(near);
        far.write_all(sent).await.unwrap();
        let mut head = vec![0; read];
        connection.read_exact(&mut head).await.unwrap();

        let writing = async {
            connection.write_all(written).await.unwrap();
            connection.shutdown().await.unwrap();
        };
        let mut received = Vec::new();
        let ((), read) = tokio::join!(writing, far.read_to_end(&mut received));
        read.unwrap();
        String::from_utf8(received).unwrap()
    }

    #[tokio::test]
    async fn what_is_written_through_the_connection_is_the_json_answer() {
        let answer = received(b"GET /", 5, BARE_408).await;

        assert_eq!(body(&answer)["code"], "request_timeout");
    }

    #[tokio::test]
    async fn a_connection_that_received_nothing_is_closed_without_its_408() {
        assert_eq!(received(b"", 0, BARE_408).await, "");
    }

    #[tokio::test]
    async fn bytes_waiting_unread_when_the_408_goes_out_count_as_received() {
        let answer = received(b"GET /", 0, BARE_408).await;

        assert_eq!(body(&answer)["code"], "request_timeout");
    }

    #[tokio::test]
    async fn only_the_head_timeout_goes_unsaid() {
        let bad = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

        assert_eq!(body(&received(b"", 0, bad).await)["code"], "invalid_request");
    }
}
