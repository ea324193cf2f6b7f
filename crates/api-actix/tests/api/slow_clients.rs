//! Clients that hold connections without finishing their requests: a slow body is cut at the
//! body timeout, and one address beyond its connection cap is turned away at once, while
//! everyone else is served.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{TestApp, spawn_app_with};

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

/// What the server sent before closing, within `limit`; `None` if it kept the connection open.
async fn answer_before_close(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut answer)).await;
    read.ok().map(|_| String::from_utf8_lossy(&answer).into_owned())
}

#[actix_web::test]
async fn a_body_that_never_finishes_is_cut_with_a_json_408_at_the_body_timeout() {
    let app = spawn_app_with(&[("BODY_TIMEOUT_MS", "500")]).await;
    let started = Instant::now();
    let mut slow = slow_login(&app, [127, 0, 0, 3]).await;

    let answer =
        answer_before_close(&mut slow, Duration::from_secs(5)).await.expect("the connection was held open");

    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
}

#[actix_web::test]
async fn an_address_over_its_connection_cap_is_turned_away_and_others_are_still_served() {
    let app = spawn_app_with(&[("BODY_TIMEOUT_MS", "3000"), ("MAX_CONNECTIONS_PER_IP", "20")]).await;
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
