//! A TCP proxy in front of the database that a test can cut off and restore: an outage
//! without stopping the server that other tests share.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub port: u16,
    refusing: Arc<AtomicBool>,
    cuts: watch::Sender<u64>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let refusing = Arc::new(AtomicBool::new(false));
        let (cuts, _) = watch::channel(0_u64);
        let (accepting, cut_signal) = (refusing.clone(), cuts.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if accepting.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection close at once
                }
                let mut cut = cut_signal.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self { port, refusing, cuts }
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.refusing.store(true, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    pub fn restore(&self) {
        self.refusing.store(false, Ordering::SeqCst);
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL, and the URL with them replaced.
pub fn reroute(url: &str, port: u16) -> (SocketAddr, String) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[after_scheme..].find('/').map_or(url.len(), |i| after_scheme + i);
    let host_start =
        url[after_scheme..authority_end].rfind('@').map_or(after_scheme, |i| after_scheme + i + 1);
    let host_port = &url[host_start..authority_end];
    let upstream = host_port.parse().unwrap_or_else(|_| {
        let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, "5432"));
        let host = if host == "localhost" { "127.0.0.1" } else { host };
        format!("{host}:{port}").parse().unwrap()
    });
    (upstream, format!("{}127.0.0.1:{port}{}", &url[..host_start], &url[authority_end..]))
}
