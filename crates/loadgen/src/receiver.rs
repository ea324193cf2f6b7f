//! A webhook receiver for the churn scenario: a minimal HTTP/1.1 server on loopback that
//! answers 200 to every POST and notes when each notification arrived, so that the delivery
//! lag (the notification's `createdAt`, the database's clock, to its arrival) can be reported.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A notification as it arrived.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub at: SystemTime,
    pub body: Value,
}

/// The receiver's address and what it has received.
#[derive(Debug, Clone)]
pub struct Receiver {
    pub url: String,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
}

impl Receiver {
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/webhook", listener.local_addr()?);
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&arrivals);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, Arc::clone(&sink)));
            }
        });
        Ok(Self { url, arrivals })
    }

    #[must_use]
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.arrivals.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// Requests on one keep-alive connection, until the peer closes it.
async fn serve(socket: TcpStream, sink: Arc<Mutex<Vec<Arrival>>>) {
    let mut stream = BufReader::new(socket);
    loop {
        let mut length = 0_usize;
        let mut line = String::new();
        loop {
            line.clear();
            match stream.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        let at = SystemTime::now();
        if let Ok(body) = serde_json::from_slice(&body) {
            sink.lock().unwrap_or_else(PoisonError::into_inner).push(Arrival { at, body });
        }
        if stream.get_mut().write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await.is_err() {
            return;
        }
    }
}
