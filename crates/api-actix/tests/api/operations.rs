use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use infra_postgres::test_support::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;
use ticketing::http::routes::RouteTable;

use crate::helpers::{assert_error, serve, spawn_app, spawn_app_with};
use crate::proxy::{Proxy, reroute};

#[actix_web::test]
async fn health_and_readiness_answer_while_the_database_is_up() {
    let app = spawn_app().await;
    let health = app.get("/health").await;
    let ready = app.get("/ready").await;
    assert_eq!((health.status, &health.body["status"]), (StatusCode::OK, &json!("ok")));
    assert_eq!((ready.status, &ready.body["status"]), (StatusCode::OK, &json!("ready")));
}

#[actix_web::test]
async fn metrics_count_requests_by_route_bookings_by_outcome_and_the_pool() {
    let app = spawn_app().await;
    let (_, token) = app.user("metered").await;
    let event = app.event(&token, 1).await;
    app.book(&token, event).await;
    app.book(&token, event).await;
    app.get(&format!("/status/{event}")).await;

    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();

    for expected in [
        r#"http_requests_total{method="GET",route="/status/{eventId}",status="200"}"#,
        r#"http_request_duration_seconds_bucket{method="POST",route="/book",status="201",le="0.05"}"#,
        r#"bookings_total{outcome="confirmed"}"#,
        r#"bookings_total{outcome="duplicate"}"#,
        r#"db_pool_connections{state="open"}"#,
        "db_pool_waiting_requests",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
    assert!(!text.contains(&format!("/status/{event}\"")), "raw paths must not become labels");
}

#[actix_web::test]
async fn with_a_metrics_token_only_its_bearer_reads_the_metrics() {
    let app = spawn_app_with(&[("METRICS_TOKEN", "scrape-me-0123456789")]).await;
    let scrape = |auth: Option<&'static str>| {
        let request = app.client.get(app.url("/metrics"));
        app.send(match auth {
            Some(value) => request.header("Authorization", value),
            None => request,
        })
    };

    assert_error(&scrape(None).await, StatusCode::UNAUTHORIZED, "Access denied");
    assert_error(
        &scrape(Some("Bearer scrape-me-012345678")).await,
        StatusCode::UNAUTHORIZED,
        "Access denied",
    );
    assert_error(&scrape(Some("scrape-me-0123456789")).await, StatusCode::UNAUTHORIZED, "Access denied");
    let allowed = app
        .client
        .get(app.url("/metrics"))
        .header("Authorization", "Bearer scrape-me-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    assert!(allowed.text().await.unwrap().contains("http_requests_total"));
    assert_eq!(app.get("/health").await.status, StatusCode::OK, "only /metrics is guarded");
}

#[actix_web::test]
async fn with_a_metrics_address_the_metrics_are_served_there_and_only_there() {
    let app = spawn_app_with(&[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let elsewhere = app.metrics_address.clone().expect("no metrics listener");
    app.get("/health").await;

    let public = app.get("/metrics").await;
    let scraped = app.client.get(format!("{elsewhere}/metrics")).send().await.unwrap();
    let other = app.client.get(format!("{elsewhere}/health")).send().await.unwrap();

    assert_error(&public, StatusCode::NOT_FOUND, "No route for GET /metrics");
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(scraped.text().await.unwrap().contains("http_requests_total"));
    assert_eq!(other.status(), StatusCode::NOT_FOUND, "the metrics listener serves nothing else");
}

#[actix_web::test]
async fn invented_methods_do_not_grow_the_metrics() {
    let app = spawn_app().await;
    let scrape = async || app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    app.get("/health").await;
    app.client.request("BREW".parse().unwrap(), app.url("/health")).send().await.unwrap();
    let before = scrape().await.len();

    for i in 0..1000 {
        let method = format!("M{i:04}{}", "X".repeat(1000));
        let answer = app.client.request(method.parse().unwrap(), app.url("/health")).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
    let after = scrape().await;

    // The recorder is the process's, shared with tests running alongside: their own series
    // may appear meanwhile, but nothing like the 17 MB a label per method made.
    assert!(after.len() < before + 1_000_000, "/metrics grew from {before} to {} bytes", after.len());
    let known = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "OTHER"];
    for label in after.split(r#"method=""#).skip(1).filter_map(|rest| rest.split('"').next()) {
        assert!(known.contains(&label), "a method label from outside the closed set: {label:.40}");
    }
    assert!(after.contains(r#"method="OTHER""#), "{after}");
}

#[actix_web::test]
async fn the_openapi_document_lists_exactly_the_routes_the_app_serves() {
    let app = spawn_app().await;

    let doc = app.get("/openapi.json").await;

    assert_eq!(doc.body["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = doc.body["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().unwrap().keys().map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = RouteTable::new()
        .unwrap()
        .endpoints()
        .iter()
        .map(|e| (e.method.to_string(), e.path.clone()))
        .collect();
    assert_eq!(documented, served);
    assert_eq!(doc.body["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert!(doc.body["components"]["schemas"]["ErrorBody"].is_object());
    for (method, path) in &served {
        let request = app
            .client
            .request(method.parse().unwrap(), app.url(&path.replace("{id}", "1").replace("{eventId}", "1")));
        let answer = request.send().await.unwrap();
        assert_ne!(answer.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let body: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap_or_default();
        assert_ne!(body["code"], "route_not_found", "{method} {path} is documented but not served");
    }
}

#[actix_web::test]
async fn the_docs_page_is_served_by_the_binary_with_no_outside_assets() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let redirect = client.get(app.url("/docs")).send().await.unwrap();
    let page = app.client.get(app.url("/docs/")).send().await.unwrap().text().await.unwrap();
    let initializer =
        app.client.get(app.url("/docs/swagger-initializer.js")).send().await.unwrap().text().await.unwrap();
    let bundle = app.client.get(app.url("/docs/swagger-ui-bundle.js")).send().await.unwrap();

    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
    assert!(page.contains("swagger-ui"), "{page}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "the page loads nothing from outside: {page}"
    );
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    assert_eq!(bundle.status(), StatusCode::OK);
    for map in ["swagger-ui-bundle.js.map", "swagger-ui.js.map", "swagger-ui.css.map"] {
        let answer = app.get(&format!("/docs/{map}")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{map} is served");
    }
}

/// The crates.io "unhealthy database" test, for real: cut the database off with a proxy.
#[actix_web::test]
async fn a_database_outage_gives_fast_503s_and_the_same_process_recovers() {
    let db = TestDatabase::new().await;
    let (upstream, _) = reroute(db.url(), 0);
    let proxy = Proxy::start(upstream).await;
    let (_, proxied_url) = reroute(db.url(), proxy.port);
    let app = serve(db, &proxied_url, &[("DATABASE_POOL_TIMEOUT_MS", "1000")]);
    let (_, token) = app.user("steady").await;
    let event = app.event(&token, 5).await;
    let acknowledged = app.book(&token, event).await;
    assert_eq!(acknowledged.status, StatusCode::CREATED);

    proxy.cut();
    let lost = Instant::now();
    let during = app.get(&format!("/status/{event}")).await;
    let first_503 = lost.elapsed();
    let booking_during = app.book(&token, event).await;
    let health = app.get("/health").await;
    let ready = app.get("/ready").await;

    assert_error(&during, StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable, retry later");
    assert!(during.headers.contains_key("retry-after"));
    assert!(first_503 < Duration::from_secs(2), "took {first_503:?}");
    assert_eq!(booking_during.status, StatusCode::SERVICE_UNAVAILABLE, "{booking_during:?}");
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);

    proxy.restore();
    let restored = Instant::now();
    let recovered = loop {
        let answer = app.get(&format!("/status/{event}")).await;
        if answer.status == StatusCode::OK {
            break answer;
        }
        assert!(restored.elapsed() < Duration::from_secs(10), "no recovery: {answer:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let recovery = restored.elapsed();
    eprintln!("outage: first 503 after {first_503:?}; first 200 after restore: {recovery:?}");

    assert_eq!(recovered.body["ticketsAvailable"], json!(4), "the acknowledged booking survived");
    assert_error(&app.book(&token, event).await, StatusCode::BAD_REQUEST, "User already has a booking");
    assert_eq!(app.get("/ready").await.status, StatusCode::OK);
}
