use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app;

/// Ten buyers for three seats at once, then two of the lucky three cancel at once: exactly
/// three seats sold, seven in line, and the two freed seats go to the first two in line.
#[actix_web::test]
async fn ten_buyers_race_for_three_seats_and_two_cancels_promote_the_first_two_in_line() {
    let app = spawn_app().await;
    let (_, organizer) = app.user("organizer").await;
    let event = app.event(&organizer, 3).await;
    let mut buyers = Vec::new();
    for i in 0..10 {
        buyers.push(app.user(&format!("buyer{i}")).await.1);
    }

    let answers = futures_all(buyers.iter().map(|token| app.book(token, event))).await;

    assert!(answers.iter().all(|a| a.status == StatusCode::CREATED), "{answers:?}");
    let status_of = |a: &crate::helpers::Answer| a.body["booking"]["status"].as_str().unwrap().to_owned();
    let holders: Vec<usize> = (0..10).filter(|&i| status_of(&answers[i]) == "CONFIRMED").collect();
    let mut line: Vec<i64> = answers
        .iter()
        .filter(|a| status_of(a) == "PENDING")
        .map(|a| a.body["booking"]["id"].as_i64().unwrap())
        .collect();
    line.sort_unstable();
    assert_eq!((holders.len(), line.len()), (3, 7));

    let bodies: Vec<_> =
        holders[..2].iter().map(|&i| (json!({"id": answers[i].body["booking"]["id"]}), i)).collect();
    let cancels =
        futures_all(bodies.iter().map(|(body, i)| app.post("/cancel", body, Some(&buyers[*i])))).await;

    assert!(cancels.iter().all(|a| a.status == StatusCode::OK), "{cancels:?}");
    let status = app.get(&format!("/status/{event}")).await;
    assert_eq!((&status.body["ticketsAvailable"], &status.body["waitingListCount"]), (&json!(0), &json!(5)));
    // The first two in line now hold seats: booking again tells them so.
    for (i, answer) in answers.iter().enumerate() {
        let id = answer.body["booking"]["id"].as_i64().unwrap();
        let again = app.book(&buyers[i], event).await;
        let expected = if line[..2].contains(&id) || (holders.contains(&i) && !holders[..2].contains(&i)) {
            "User already has a booking"
        } else if line.contains(&id) {
            "User is already on wait list"
        } else {
            continue; // the two who cancelled
        };
        assert_eq!(again.body["error"], expected, "buyer {i}: {again:?}");
    }
}

/// Runs the futures concurrently on this task and returns their outputs in order.
async fn futures_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    let mut pending: Vec<(usize, std::pin::Pin<Box<F>>)> = pinned.into_iter().enumerate().collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, future)| match future.as_mut().poll(cx) {
            std::task::Poll::Ready(output) => {
                outputs[*i] = Some(output);
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}
