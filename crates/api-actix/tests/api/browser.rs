//! What browsers get: CORS for the configured origins only, and the security headers on every
//! answer.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use ticketing::http::routes::RouteTable;

use crate::helpers::{spawn_memory_app, spawn_memory_app_with};

const PAGE: &str = "https://tickets.example.com";

async fn preflight(address: &str, origin: &str, method: &str, headers: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{address}/book"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", headers)
        .send()
        .await
        .unwrap()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[actix_web::test]
async fn a_listed_origins_preflight_is_answered_and_its_requests_readable() {
    let app = spawn_memory_app_with(&[("CORS_ALLOWED_ORIGINS", PAGE)]).await;

    let answer = preflight(&app.address, PAGE, "POST", "authorization, content-type").await;

    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(header(answer.headers(), "access-control-allow-origin"), Some(PAGE));
    let methods = header(answer.headers(), "access-control-allow-methods").unwrap();
    assert!(methods.contains("POST") && methods.contains("PATCH"), "{methods}");
    let allowed = header(answer.headers(), "access-control-allow-headers").unwrap().to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("idempotency-key"), "{allowed}");
    assert_eq!(
        header(answer.headers(), "access-control-allow-credentials"),
        None,
        "no credentials unless asked"
    );

    let status = app.client.get(app.url("/status/1")).header("Origin", PAGE).send().await.unwrap();
    assert_eq!(header(status.headers(), "access-control-allow-origin"), Some(PAGE));
}

#[actix_web::test]
async fn another_origin_gets_no_cors_headers_and_a_json_refusal_of_its_preflight() {
    let app = spawn_memory_app_with(&[("CORS_ALLOWED_ORIGINS", PAGE)]).await;

    let answer = preflight(&app.address, "https://evil.example.net", "POST", "authorization").await;

    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert_eq!(header(answer.headers(), "access-control-allow-origin"), None);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["code"], "invalid_request", "{body}");
    let request = app
        .client
        .get(app.url("/status/1"))
        .header("Origin", "https://evil.example.net")
        .send()
        .await
        .unwrap();
    assert_eq!(header(request.headers(), "access-control-allow-origin"), None);
    assert_ne!(request.status(), StatusCode::BAD_REQUEST, "the server answers; the browser withholds it");
}

#[actix_web::test]
async fn credentials_are_allowed_to_listed_origins_only() {
    let app =
        spawn_memory_app_with(&[("CORS_ALLOWED_ORIGINS", PAGE), ("CORS_ALLOW_CREDENTIALS", "true")]).await;
    let from = |origin: Option<&'static str>| {
        let mut request = app.client.get(app.url("/status/1"));
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        request.send()
    };

    let listed = from(Some(PAGE)).await.unwrap();
    let other = from(Some("https://evil.example.net")).await.unwrap();
    let no_origin = from(None).await.unwrap();
    let preflight = preflight(&app.address, PAGE, "POST", "authorization").await;

    assert_eq!(header(listed.headers(), "access-control-allow-origin"), Some(PAGE));
    assert_eq!(header(listed.headers(), "access-control-allow-credentials"), Some("true"));
    assert_eq!(header(preflight.headers(), "access-control-allow-credentials"), Some("true"));
    for unlisted in [&other, &no_origin] {
        assert_eq!(header(unlisted.headers(), "access-control-allow-origin"), None);
        assert_eq!(header(unlisted.headers(), "access-control-allow-credentials"), None, "{unlisted:?}");
    }
}

#[actix_web::test]
async fn without_configured_origins_no_page_elsewhere_may_read_and_same_origin_pages_work() {
    let app = spawn_memory_app().await;

    let answer = preflight(&app.address, PAGE, "POST", "authorization").await;
    assert_eq!(header(answer.headers(), "access-control-allow-origin"), None);

    let own = app
        .client
        .post(app.url("/login"))
        .header("Origin", &app.address)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::BAD_REQUEST, "an ordinary validation answer, not a CORS refusal");
}

#[actix_web::test]
async fn every_route_answers_with_the_security_headers() {
    let app = spawn_memory_app().await;
    let table = RouteTable::new().unwrap();
    let mut checked = 0;
    for endpoint in table.endpoints() {
        let path: String = endpoint
            .path
            .split('/')
            .map(|segment| if segment.starts_with('{') { "1" } else { segment })
            .collect::<Vec<_>>()
            .join("/");
        let method = reqwest::Method::from_bytes(endpoint.method.as_str().as_bytes()).unwrap();
        let answer = app.client.request(method, app.url(&path)).send().await.unwrap();
        let headers = answer.headers();
        assert_eq!(header(headers, "x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(header(headers, "referrer-policy"), Some("no-referrer"), "{path}");
        assert_eq!(header(headers, "x-frame-options"), Some("DENY"), "{path}");
        assert!(
            header(headers, "content-security-policy").is_some_and(|p| p.contains("frame-ancestors 'none'")),
            "{path}"
        );
        assert!(header(headers, "strict-transport-security").is_none(), "{path}: only with HSTS=true");
        if endpoint.path != "/me/notifications/stream" {
            assert_eq!(header(headers, "cache-control"), Some("no-store"), "{path}");
        }
        checked += 1;
    }
    let unknown = app.client.get(app.url("/no/such/route")).send().await.unwrap();
    assert_eq!(header(unknown.headers(), "x-content-type-options"), Some("nosniff"));
    assert!(checked > 20, "{checked}");
}

#[actix_web::test]
async fn the_docs_may_load_only_their_own_assets_and_hsts_is_sent_when_asked() {
    let app = spawn_memory_app_with(&[("HSTS", "true")]).await;

    let docs = app.client.get(app.url("/docs/")).send().await.unwrap();

    assert_eq!(docs.status(), StatusCode::OK);
    let policy = header(docs.headers(), "content-security-policy").unwrap();
    assert!(
        policy.contains("script-src 'self'") && !policy.contains("script-src 'self' 'unsafe"),
        "{policy}"
    );
    assert_eq!(
        header(docs.headers(), "strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
    let api = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(
        header(api.headers(), "content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
}
