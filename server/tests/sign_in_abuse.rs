//! Sign-in under attack: parallel guesses at one address, a flood from one
//! client over many addresses, a flood from many clients, oversized input.

mod common;

use common::*;
use std::time::{Duration, Instant};

async fn sign_in_from(app: &TestApp, client: &str, email: &str, password: &str) -> Page {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("email_address", email), ("password", password)])
        .finish();
    let r = app
        .client
        .post(format!("{}/sign-in", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", client)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Page { status, headers, body: r.text().await.unwrap() }
}

async fn failures_stored(app: &TestApp) -> Vec<String> {
    on_db!(app.state.pool, |db| sqlx::query_as::<_, (String,)>("SELECT email_address FROM sign_in_failures")
        .fetch_all(db)
        .await
        .unwrap())
    .into_iter()
    .map(|(e,)| e)
    .collect()
}

#[tokio::test]
async fn forty_parallel_guesses_at_one_address_get_ten_tries() {
    let app = TestApp::spawn().await;
    let guesses = (0..40).map(|i| {
        let app = &app;
        async move { app.post("/sign-in", None, &[("email_address", ADMIN), ("password", &format!("guess-{i}"))]).await }
    });
    let pages = futures::future::join_all(guesses).await;
    let tried =
        pages.iter().filter(|p| p.text().contains("The email address or password you entered is incorrect")).count();
    let throttled = pages
        .iter()
        .filter(|p| {
            p.status == 429 && p.text().contains("You have tried to sign in too many times with this email address")
        })
        .count();
    let busy = pages.iter().filter(|p| p.status == 429 && p.text().contains("Too many people are signing in")).count();
    assert_eq!(tried + throttled + busy, 40);
    assert!(tried <= 10, "{tried} passwords were checked: the budget is 10");
    assert!(pages.iter().filter(|p| p.status == 429).all(|p| p.headers.contains_key("retry-after")));
    // The right password is refused too now.
    let right = app.post("/sign-in", None, &[("email_address", ADMIN), ("password", PASSWORD)]).await;
    assert_eq!(right.status, 429);
}

#[tokio::test]
async fn one_client_guessing_many_addresses_is_stopped() {
    let app = TestApp::spawn_with(&[("NOTIFY_TRUST_X_FORWARDED_FOR", "true")]).await;
    for i in 0..50 {
        let page = sign_in_from(&app, "203.0.113.7", &format!("person{i}@example.gov.uk"), "guess").await;
        assert_eq!(page.status, 200, "attempt {i}: {}", page.text());
    }
    let page = sign_in_from(&app, "203.0.113.7", "person50@example.gov.uk", "guess").await;
    assert_eq!(page.status, 429);
    assert!(page.text().contains("There have been too many failed attempts to sign in from your network"));
    // Even the admin, from that client; from another client, the admin is fine.
    assert_eq!(sign_in_from(&app, "203.0.113.7", ADMIN, PASSWORD).await.status, 429);
    assert_eq!(sign_in_from(&app, "198.51.100.1", ADMIN, PASSWORD).await.status, 302);
    // The refused attempt spent nothing of the address's own budget.
    assert!(!failures_stored(&app).await.contains(&"person50@example.gov.uk".to_string()));
}

#[tokio::test]
async fn a_successful_sign_in_gives_its_client_reservation_back() {
    let app = TestApp::spawn_with(&[("NOTIFY_TRUST_X_FORWARDED_FOR", "true")]).await;
    for _ in 0..60 {
        assert_eq!(sign_in_from(&app, "192.0.2.50", VIEWER, PASSWORD).await.status, 302);
    }
    assert!(failures_stored(&app).await.is_empty());
}

#[tokio::test]
async fn oversized_input_is_refused_before_any_work_and_never_stored() {
    let app = TestApp::spawn().await;
    let long = format!("{}@example.gov.uk", "a".repeat(100_000));
    let page = app.post("/sign-in", None, &[("email_address", &long), ("password", "x")]).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Email address must be 320 characters or fewer"));
    let page = app.post("/sign-in", None, &[("email_address", ADMIN), ("password", &"p".repeat(5_000))]).await;
    assert!(page.text().contains("Password must be 1,024 characters or fewer"));
    assert!(failures_stored(&app).await.is_empty());
}

#[tokio::test]
async fn a_flood_of_sign_ins_does_not_hold_up_the_api() {
    let app = TestApp::spawn_with(&[("NOTIFY_TRUST_X_FORWARDED_FOR", "true")]).await;
    let flood = (0..120).map(|i| {
        let app = &app;
        async move {
            let client = format!("10.{}.{}.1", i / 200, i % 200);
            sign_in_from(app, &client, &format!("random{i}@example.gov.uk"), "guess").await
        }
    });
    let probe = async {
        // While the flood runs, /_status still answers quickly.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut slowest = Duration::ZERO;
        for _ in 0..10 {
            let started = Instant::now();
            let r = app.client.get(format!("{}/_status", app.base)).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            slowest = slowest.max(started.elapsed());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        slowest
    };
    let (pages, slowest) = tokio::join!(futures::future::join_all(flood), probe);
    let busy = pages.iter().filter(|p| p.status == 429 && p.text().contains("Too many people are signing in")).count();
    assert!(busy > 0, "a full queue answers at once");
    assert!(pages.iter().all(|p| p.status == 200 || p.status == 429));
    assert!(slowest < Duration::from_millis(500), "/_status took {slowest:?} during the flood");
}
