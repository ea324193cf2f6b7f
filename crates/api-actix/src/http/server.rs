//! The HTTP server under an app. It is actix-web's `HttpServer` assembled from the same parts
//! (actix-server accepting, actix-http's HTTP/1 service, the app mapped onto it), with one
//! difference `HttpServer` cannot be told: every connection writes through
//! [`JsonAnswers`], so that the answers actix-http gives on its own are JSON too.

use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_http::{HttpService, KeepAlive, Request};
use actix_server::ServerBuilder;
use actix_service::{IntoServiceFactory, ServiceFactory, ServiceFactoryExt as _, fn_service, map_config};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Extensions, Response, Server};
use actix_web::rt::net::TcpStream;

use crate::http::middleware::bare_answers::JsonAnswers;

/// How long a client has to send a request head, from its connection's opening (actix-web's
/// default; the 408 that ends it is JSON here).
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a closing connection is given to read its last answer (actix-web's default).
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Connections the kernel holds for the server before it accepts them (actix-server's
/// default). A listener bound by the standard library holds 128: a burst of a few hundred new
/// connections overflows that, and a client whose connection is dropped there waits a whole
/// second before its system tries again — everyone else's `/health` included.
const ACCEPT_QUEUE: i32 = 2048;

/// How one listener is served.
#[derive(Debug, Clone, Copy)]
pub struct Serving {
    /// Worker threads.
    pub workers: usize,
    /// Open connections per worker; more wait in the kernel's queue.
    pub connections_per_worker: usize,
    /// How long in-flight requests may finish once the server is told to stop.
    pub shutdown_grace: Duration,
}

/// Serves the apps `factory` makes (one per worker) on `listener`. `on_connect` sees every new
/// connection's peer and may leave data for its requests. The server ignores signals: its
/// owner stops it.
///
/// # Errors
/// When the listener's queue cannot be set or it cannot be made non-blocking.
pub fn serve<F, I, S, B, C>(
    listener: TcpListener,
    factory: F,
    serving: Serving,
    on_connect: C,
) -> std::io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    S::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
    C: Fn(Option<SocketAddr>, &mut Extensions) + Send + Clone + 'static,
{
    let local = listener.local_addr()?;
    // Listening again on a listening socket changes only its queue's length.
    socket2::SockRef::from(&listener).listen(ACCEPT_QUEUE)?;
    let builder = ServerBuilder::default()
        .workers(serving.workers.max(1))
        .max_concurrent_connections(serving.connections_per_worker.max(1))
        .shutdown_timeout(serving.shutdown_grace.as_secs())
        .disable_signals();
    let stopping = builder.graceful_shutdown_signal();
    let builder = builder.listen("ticketing-http", listener, move || {
        let stopping = stopping.clone();
        let on_connect = on_connect.clone();
        let http = HttpService::build()
            // Idle keep-alive connections close as soon as the server starts stopping.
            .graceful_shutdown_signal(move || {
                let stopping = stopping.clone();
                async move { stopping.notified().await }
            })
            .keep_alive(KeepAlive::default())
            .client_request_timeout(HEAD_TIMEOUT)
            .client_disconnect_timeout(DISCONNECT_TIMEOUT)
            .h1_allow_half_closed(true)
            .local_addr(local)
            .on_connect_ext(move |io: &JsonAnswers<TcpStream>, data: &mut Extensions| {
                on_connect(io.get_ref().peer_addr().ok(), data);
            });
        let app = factory().into_factory().map_err(|e| e.into().error_response());
        // The app reads nothing from its config (no `url_for`, no connection-info host).
        let app = map_config(app, |()| AppConfig::default());
        fn_service(|io: TcpStream| {
            let peer = io.peer_addr().ok();
            std::future::ready(Ok((JsonAnswers::new(io), peer)))
        })
        .and_then(http.h1(app))
    })?;
    Ok(builder.run())
}
