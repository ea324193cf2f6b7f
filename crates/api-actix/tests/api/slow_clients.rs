//! Clients that hold connections without finishing their requests, or send what is not HTTP:
//! a slow head or body is cut with a JSON 408, a body nobody reads ends its connection with the
//! answer, a malformed or oversized head gets a JSON 400 or 431, and one address beyond its
//! connection cap is turned away at once, while everyone else is served.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{TestApp, spawn_memory_app_with};

/// A connection from `source` (any address of 127/8 reaches loopback) that sends a login's
/// head and the first byte of its body, then nothing.
async fn slow_login(app: &TestApp, source: [u8; 4]) -> TcpStream {
    let server: SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((source, 0))).unwrap();
    let mut stream = socket.connect(server).await.unwrap();
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: {server}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// A connection from `source` that sends `request_line`, `headers` and the first chunk of a
/// chunked body, then nothing: the body never finishes.
async fn unfinished_chunks(app: &TestApp, source: [u8; 4], request_line: &str, headers: &str) -> TcpStream {
    let server: SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((source, 0))).unwrap();
    let mut stream = socket.connect(server).await.unwrap();
    let head =
        format!("{request_line}\r\nHost: {server}\r\n{headers}Transfer-Encoding: chunked\r\n\r\n1\r\n{{\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// What the server sent before closing, within `limit`; `None` if it kept the connection open.
async fn answer_before_close(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut answer)).await;
    read.ok().map(|_| String::from_utf8_lossy(&answer).into_owned())
}

#[actix_web::test]
async fn a_body_that_never_finishes_is_cut_with_a_json_408_at_the_body_timeout() {
    let app = spawn_memory_app_with(&[("BODY_TIMEOUT_MS", "500")]).await;
    let started = Instant::now();
    let mut slow = slow_login(&app, [127, 0, 0, 3]).await;
    let json = "Content-Type: application/json\r\n";
    let mut chunked = unfinished_chunks(&app, [127, 0, 0, 3], "POST /login HTTP/1.1", json).await;

    for stream in [&mut slow, &mut chunked] {
        let answer =
            answer_before_close(stream, Duration::from_secs(5)).await.expect("the connection was held open");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
    }
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[actix_web::test]
async fn an_address_over_its_connection_cap_is_turned_away_and_others_are_still_served() {
    let app = spawn_memory_app_with(&[("BODY_TIMEOUT_MS", "3000"), ("MAX_CONNECTIONS_PER_IP", "20")]).await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(slow_login(&app, [127, 0, 0, 2]).await);
    }

    // The accept thread hands connections to the workers, which count them, in their own time.
    tokio::time::sleep(Duration::from_millis(800)).await;

    // One more from the same address: answered at once and closed, body never waited for.
    let mut extra = slow_login(&app, [127, 0, 0, 2]).await;
    let refused =
        answer_before_close(&mut extra, Duration::from_secs(1)).await.expect("the extra connection was held");
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    assert!(refused.contains(r#""code":"too_many_connections""#), "{refused}");

    // Everyone else is served at once meanwhile.
    let started = Instant::now();
    assert_eq!(app.get("/health").await.status, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());

    // The held ones end at the body timeout, and the address may connect again.
    for mut stream in held {
        let answer = answer_before_close(&mut stream, Duration::from_secs(10)).await.expect("held for ever");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = slow_login(&app, [127, 0, 0, 2]).await;
    again.shutdown().await.unwrap();
    let answer = answer_before_close(&mut again, Duration::from_secs(5)).await.expect("held for ever");
    assert!(!answer.contains("too_many_connections"), "{answer}");
}

/// What the server answers to `bytes` sent raw on a new connection, then closes with.
async fn raw_answer(app: &TestApp, bytes: &[u8], limit: Duration) -> String {
    let server: SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    let mut stream = TcpStream::connect(server).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    answer_before_close(&mut stream, limit).await.expect("the connection was held open")
}

/// The JSON body of a raw answer, checked to be declared as such.
fn json_of(answer: &str) -> serde_json::Value {
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{answer}");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

#[actix_web::test]
async fn a_head_that_never_finishes_is_cut_with_a_json_408() {
    let app = spawn_memory_app_with(&[]).await;
    let started = Instant::now();

    let answer = raw_answer(&app, b"GET /health HTTP/1.1\r\nHost: x\r\n", Duration::from_secs(10)).await;

    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(json_of(&answer)["code"], "request_timeout");
}

#[actix_web::test]
async fn a_connection_that_never_sent_a_byte_is_closed_without_an_answer() {
    let app = spawn_memory_app_with(&[]).await;
    let server: SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    let mut idle = TcpStream::connect(server).await.unwrap();
    let started = Instant::now();

    let answer = answer_before_close(&mut idle, Duration::from_secs(10)).await.expect("held for ever");

    assert_eq!(answer, "", "nothing was asked, so nothing is answered");
    assert!(started.elapsed() > Duration::from_secs(4), "closed at {:?}", started.elapsed());
}

#[actix_web::test]
async fn what_is_not_http_gets_a_json_400_and_an_oversized_head_a_json_431() {
    let app = spawn_memory_app_with(&[]).await;
    let huge = format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n", "a".repeat(256 * 1024));

    let garbage = raw_answer(&app, b"GARBAGE \x01\x02\r\n\r\n", Duration::from_secs(5)).await;
    let oversized = raw_answer(&app, huge.as_bytes(), Duration::from_secs(5)).await;

    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    assert_eq!(json_of(&garbage)["code"], "invalid_request");
    assert!(oversized.starts_with("HTTP/1.1 431"), "{oversized}");
    assert_eq!(json_of(&oversized)["code"], "headers_too_large");
    // Nothing of either broke the server.
    assert_eq!(app.get("/health").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_chunked_body_nobody_reads_ends_its_connection_with_the_answer() {
    // The body deadline is far off: what closes these connections is the answer.
    let app = spawn_memory_app_with(&[("BODY_TIMEOUT_MS", "60000")]).await;
    let json = "Content-Type: application/json\r\n";
    let requests = [
        ("GET /health HTTP/1.1", "", "HTTP/1.1 200"),
        ("GET /nowhere HTTP/1.1", "", "HTTP/1.1 404"),
        ("DELETE /health HTTP/1.1", "", "HTTP/1.1 405"),
        ("POST /login HTTP/1.1", "Content-Type: text/plain\r\n", "HTTP/1.1 415"),
        ("POST /book HTTP/1.1", json, "HTTP/1.1 401"),
    ];
    let started = Instant::now();

    let app = &app;
    let answers = futures_util::future::join_all(requests.iter().map(|(line, headers, _)| async move {
        let mut stream = unfinished_chunks(app, [127, 0, 0, 6], line, headers).await;
        answer_before_close(&mut stream, Duration::from_secs(5)).await
    }))
    .await;

    for ((line, _, status), answer) in requests.iter().zip(answers) {
        let answer = answer.unwrap_or_else(|| panic!("{line}: the connection was held open"));
        assert!(answer.starts_with(status), "{line}: {answer}");
    }
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

#[actix_web::test]
async fn a_chunked_request_over_the_connection_cap_is_turned_away_and_closed() {
    let app = spawn_memory_app_with(&[("BODY_TIMEOUT_MS", "60000"), ("MAX_CONNECTIONS_PER_IP", "3")]).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(slow_login(&app, [127, 0, 0, 7]).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut extra = unfinished_chunks(&app, [127, 0, 0, 7], "GET /health HTTP/1.1", "").await;
    let refused =
        answer_before_close(&mut extra, Duration::from_secs(4)).await.expect("the extra connection was held");

    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    assert!(refused.contains(r#""code":"too_many_connections""#), "{refused}");
}

#[actix_web::test]
async fn unfinished_chunked_bodies_cannot_fill_the_servers_connections() {
    // Two workers of four connections each.
    let app = spawn_memory_app_with(&[("BODY_TIMEOUT_MS", "60000"), ("MAX_CONNECTIONS", "8")]).await;
    let mut held = Vec::new();
    for _ in 0..16 {
        held.push(unfinished_chunks(&app, [127, 0, 0, 8], "GET /health HTTP/1.1", "").await);
    }

    let client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 9]))
        .timeout(Duration::from_secs(8))
        .build()
        .unwrap();
    let started = Instant::now();
    let health = client.get(app.url("/health")).send().await.map(|r| r.status());

    assert_eq!(health.ok(), Some(StatusCode::OK), "after {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    for mut stream in held {
        let answer = answer_before_close(&mut stream, Duration::from_secs(5)).await.expect("held for ever");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
}

#[actix_web::test]
async fn a_malformed_chunk_size_is_a_json_400_that_names_no_internals() {
    let app = spawn_memory_app_with(&[]).await;
    let head = "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

    for chunks in ["zz\r\n{}\r\n0\r\n\r\n", "2\r\n{}\r\n-1\r\n\r\n", "1\r\n{\r\n1;x=\x01\r\n}\r\n0\r\n\r\n"] {
        let answer = raw_answer(&app, format!("{head}{chunks}").as_bytes(), Duration::from_secs(5)).await;

        assert!(answer.starts_with("HTTP/1.1 400"), "{chunks:?}: {answer}");
        let json = json_of(&answer);
        assert_eq!(json["code"], "invalid_request", "{chunks:?}: {answer}");
        assert_eq!(
            json["error"], "The request body is incomplete or its chunked encoding is malformed",
            "{chunks:?}: {answer}"
        );
    }
}
