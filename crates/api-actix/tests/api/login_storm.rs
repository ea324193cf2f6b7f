//! A login storm against bounded password hashing: every sign-in is answered, either with its
//! token or with a 503 that says when to come back, and never with a timeout or a 500; each
//! 503 is counted as overload.

use std::collections::BTreeMap;

use futures_util::StreamExt as _;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_memory_app_with};

#[actix_web::test]
async fn four_hundred_logins_sixty_four_at_a_time_on_two_slots_are_all_answered() {
    let app = spawn_memory_app_with(&[
        ("HASHING_SLOTS", "2"),
        ("HASHING_QUEUE", "16"),
        ("HASHING_WAIT_MS", "2000"),
    ])
    .await;
    app.user("storm").await;
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().unwrap();
    let refused_before = hashing_overloads(&app).await;

    let answers: Vec<(StatusCode, Option<String>, serde_json::Value)> = futures_util::stream::iter(0..400)
        .map(|_| {
            let client = client.clone();
            let url = app.url("/login");
            async move {
                let response = client
                    .post(url)
                    .json(&json!({"email": "storm@example.com", "password": PASSWORD}))
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let retry_after =
                    response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
                (status, retry_after, response.json().await.unwrap())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;

    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for (status, retry_after, body) in &answers {
        *by_status.entry(status.as_u16()).or_default() += 1;
        match *status {
            StatusCode::OK => assert!(body["token"].is_string(), "{body}"),
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(body["code"], "service_unavailable", "{body}");
                assert!(retry_after.is_some(), "a 503 says when to come back");
            }
            other => panic!("{other}: {body}"),
        }
    }
    println!("answers by status: {by_status:?}");
    assert!(by_status.get(&200).copied().unwrap_or(0) >= 2, "{by_status:?}");
    assert!(by_status.contains_key(&503), "a queue of 16 cannot hold 62 waiting sign-ins: {by_status:?}");
    // The counter is the process's: other tests' refusals may add to it, never take away.
    let counted = hashing_overloads(&app).await - refused_before;
    assert!(counted >= by_status[&503], "{counted} counted, {by_status:?}");
}

/// `overload_refusals_total{resource="password_hashing"}` as `/metrics` says it now.
async fn hashing_overloads(app: &TestApp) -> usize {
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find(|line| line.starts_with(r#"overload_refusals_total{resource="password_hashing"}"#))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}
