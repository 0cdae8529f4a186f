//! Callback delivery against a real HTTP receiver on loopback: what it
//! receives byte for byte, retries, refusals, pause and resume, resend, and
//! the admin's view of it all.

mod common;

/// The callback's bearer token, sealed for its row.
fn seal_token(secrets: &app::ssr::secrets::Secrets, service_id: &str, callback_type: &str) -> String {
    secrets.seal(TOKEN, app::ssr::secrets::SealedFor::CallbackToken { service_id, callback_type })
}

/// A new signing secret, sealed for the callback's row.
fn seal_signing(secrets: &app::ssr::secrets::Secrets, service_id: &str, callback_type: &str) -> String {
    let secret = app::ssr::webhooks::new_signing_secret();
    secrets.seal(&secret, app::ssr::secrets::SealedFor::SigningSecret { service_id, callback_type })
}

use common::*;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the receiver answers to one request.
#[derive(Clone, Debug)]
enum Reply {
    Status(u16, Vec<(&'static str, &'static str)>),
    /// Never answers (within a minute).
    Hang,
}

#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: axum::http::HeaderMap,
    body: String,
    at: Instant,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// An HTTP server on loopback that records every request and answers from a
/// script (then 200).
#[derive(Clone)]
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(script: Vec<Reply>) -> Self {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let (r, sc) = (received.clone(), script.clone());
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let (r, sc) = (r.clone(), sc.clone());
            async move {
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                r.lock().unwrap().push(Received {
                    path: parts.uri.path().to_string(),
                    headers: parts.headers,
                    body: String::from_utf8_lossy(&body).to_string(),
                    at: Instant::now(),
                });
                let reply = sc.lock().unwrap().pop_front().unwrap_or(Reply::Status(200, vec![]));
                match reply {
                    Reply::Status(code, headers) => {
                        let mut response = axum::response::Response::new(axum::body::Body::from("ok"));
                        *response.status_mut() = axum::http::StatusCode::from_u16(code).unwrap();
                        for (k, v) in headers {
                            response.headers_mut().insert(k, v.parse().unwrap());
                        }
                        response
                    }
                    Reply::Hang => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        axum::response::Response::new(axum::body::Body::empty())
                    }
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url: format!("http://{addr}/callback"), received }
    }

    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until it has received `n` requests (or fails after `within`).
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        while self.count() < n {
            assert!(Instant::now() < deadline, "expected {n} requests, got {}: {:?}", self.count(), self.all());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.all()
    }
}

const TOKEN: &str = "receiver-bearer-token";

/// Saves the delivery-status callback through its form, as an admin does;
/// returns the signing secret the page shows once.
async fn save_callback(app: &TestApp, s: &Signed, service: &str, url: &str, token: &str) -> Option<String> {
    let page = app
        .post(
            &format!("/services/{service}/api/callbacks/delivery-status-callback"),
            Some(&s.cookie),
            &[("csrf_token", &s.csrf), ("url", url), ("bearer_token", token)],
        )
        .await;
    assert!(page.status == 200 || page.status == 302, "{}", page.text());
    let start = page.body.find("whsec_")?;
    Some(page.body[start..].split('<').next().unwrap().to_string())
}

async fn send_email(app: &TestApp, service: &str, key: &Key, to: &str, reference: &str) -> String {
    let template = template_id(app, service, "email").await;
    let body = json!({"email_address": to, "template_id": template, "personalisation": {"name": "Ada"}, "reference": reference});
    let (status, body) = send(app, service, key, "email", body).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

async fn private_app() -> TestApp {
    TestApp::spawn_with(&[("NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS", "true")]).await
}

async fn event_state(app: &TestApp, notification_id: &str) -> (String, i64, Option<String>) {
    on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT state, attempts, last_outcome FROM callback_events WHERE CAST(notification_id AS TEXT) = $1"
    )
    .bind(notification_id)
    .fetch_one(db)
    .await
    .unwrap())
}

async fn wait_for_state(
    app: &TestApp,
    notification_id: &str,
    state: &str,
    within: Duration,
) -> (String, i64, Option<String>) {
    let deadline = Instant::now() + within;
    loop {
        let found: Option<(String, i64, Option<String>)> = on_db!(app.state.pool, |db| sqlx::query_as(
            "SELECT state, attempts, last_outcome FROM callback_events WHERE CAST(notification_id AS TEXT) = $1"
        )
        .bind(notification_id)
        .fetch_optional(db)
        .await
        .unwrap());
        if let Some(found) = found.filter(|f| f.0 == state) {
            return found;
        }
        assert!(Instant::now() < deadline, "event of {notification_id} never became {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn is_notify_datetime(s: &str) -> bool {
    // %Y-%m-%dT%H:%M:%S.%fZ
    let b = s.as_bytes();
    s.len() == 27
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[26] == b'Z'
        && s[20..26].bytes().all(|c| c.is_ascii_digit())
}

#[tokio::test]
async fn a_delivery_receipt_reaches_the_receiver_with_notifys_payload_headers_and_a_valid_signature() {
    let app = private_app().await;
    let receiver = Receiver::start(vec![]).await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let secret = save_callback(&app, &s, &live, &receiver.url, TOKEN).await.expect("a signing secret");
    let key = make_key(&app, &live, "test", "Callback test").await;
    let id = send_email(&app, &live, &key, "anyone@example.com", "ref-42").await;
    let got = receiver.wait_for(1, Duration::from_secs(10)).await.remove(0);

    assert_eq!(got.path, "/callback");
    assert_eq!(got.header("content-type"), "application/json");
    assert_eq!(got.header("authorization"), format!("Bearer {TOKEN}"));
    let webhook_id = got.header("webhook-id").to_string();
    assert!(webhook_id.starts_with("msg_"), "{webhook_id}");
    let timestamp: i64 = got.header("webhook-timestamp").parse().unwrap();
    assert!((now() - timestamp).abs() < 60);
    assert!(
        app::ssr::webhooks::verify(
            &secret,
            got.header("webhook-signature"),
            &webhook_id,
            timestamp,
            got.body.as_bytes()
        ),
        "the Standard Webhooks signature verifies: {}",
        got.header("webhook-signature")
    );

    let payload = got.json();
    // Byte for byte as Notify's json.dumps writes it, fields in its order.
    let t = |f: &str| payload[f].as_str().unwrap().to_string();
    assert_eq!(
        got.body,
        format!(
            "{{\"id\": \"{id}\", \"reference\": \"ref-42\", \"to\": \"anyone@example.com\", \"status\": \"delivered\", \
             \"created_at\": \"{}\", \"completed_at\": \"{}\", \"sent_at\": \"{}\", \"notification_type\": \"email\", \
             \"template_id\": \"{}\", \"template_version\": {}}}",
            t("created_at"),
            t("completed_at"),
            t("sent_at"),
            t("template_id"),
            payload["template_version"]
        )
    );
    let keys: Vec<&str> = payload.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "id",
        "reference",
        "to",
        "status",
        "created_at",
        "completed_at",
        "sent_at",
        "notification_type",
        "template_id",
        "template_version",
    ];
    let mut sorted = keys.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "exactly Notify's fields");
    assert_eq!(payload["id"], id);
    assert_eq!(payload["reference"], "ref-42");
    assert_eq!(payload["to"], "anyone@example.com");
    assert_eq!(payload["status"], "delivered");
    assert_eq!(payload["notification_type"], "email");
    assert_eq!(payload["template_id"], template_id(&app, &live, "email").await);
    assert!(payload["template_version"].is_i64());
    for field in ["created_at", "completed_at", "sent_at"] {
        assert!(is_notify_datetime(payload[field].as_str().unwrap()), "{field}: {}", payload[field]);
    }
    let (state, attempts, outcome) = wait_for_state(&app, &id, "delivered", Duration::from_secs(5)).await;
    assert_eq!((state.as_str(), attempts, outcome.as_deref()), ("delivered", 1, Some("HTTP 200")));
    // Delivered at the first try: the attempt log shows it with its status,
    // though it is kept on the event alone (no attempt row to write).
    let log = app::ssr::store::callback_attempts(&app.state.pool, &live, app::domain::CallbackKind::DeliveryStatus, 50)
        .await
        .unwrap();
    let shown: Vec<_> = log.iter().filter(|a| a.notification_id.as_deref() == Some(id.as_str())).collect();
    assert_eq!(shown.len(), 1, "{log:?}");
    assert_eq!((shown[0].status_code, shown[0].outcome.as_str()), (Some(200), "HTTP 200"));
    assert!(shown[0].at.text().ends_with('Z') && shown[0].next_attempt_at.is_none());
    let (rows,): (i64,) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT count(*) FROM callback_attempts a JOIN callback_events e ON e.id = a.event_id
         WHERE CAST(e.notification_id AS TEXT) = $1",
    )
    .bind(&id)
    .fetch_one(db)
    .await
    .unwrap());
    assert_eq!(rows, 0);

    // A simulated failure is reported too, with its status.
    let failed = send_email(&app, &live, &key, "temp-fail@simulator.notify", "ref-43").await;
    let got = receiver.wait_for(2, Duration::from_secs(10)).await.remove(1);
    assert_eq!(got.json()["id"], failed);
    assert_eq!(got.json()["status"], "temporary-failure");
    assert_ne!(got.header("webhook-id"), webhook_id, "one webhook-id per event");

    // The hub's message log shows each notification's callback outcome.
    wait_for_state(&app, &failed, "delivered", Duration::from_secs(5)).await;
    let hub = app.get(&format!("/services/{live}/api"), Some(&s.cookie)).await;
    assert!(hub.text().contains("callback: sent"), "{}", hub.text());
}

#[tokio::test]
async fn a_service_without_a_callback_records_no_events() {
    let app = private_app().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "No callback").await;
    let id = send_email(&app, &live, &key, "anyone@example.com", "r").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (n,): (i64,) = on_db!(app.state.pool, |db| sqlx::query_as("SELECT count(*) FROM callback_events")
        .fetch_one(db)
        .await
        .unwrap());
    assert_eq!(n, 0);
    let s = admin(&app).await;
    let hub = app.get(&format!("/services/{live}/api"), Some(&s.cookie)).await;
    assert!(hub.text().contains(&id));
    assert!(hub.text().contains("callback: none"));
}

#[tokio::test]
async fn a_500_is_retried_with_the_same_webhook_id_and_a_400_is_not() {
    let app = private_app().await;
    let receiver = Receiver::start(vec![Reply::Status(500, vec![]), Reply::Status(400, vec![])]).await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    save_callback(&app, &s, &live, &receiver.url, TOKEN).await;
    let key = make_key(&app, &live, "test", "Retry test").await;
    let id = send_email(&app, &live, &key, "anyone@example.com", "r").await;
    // The first retry comes 5 to 10 seconds after the 500.
    let got = receiver.wait_for(2, Duration::from_secs(15)).await;
    let gap = got[1].at - got[0].at;
    assert!(gap >= Duration::from_secs(4), "backed off: {gap:?}");
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    assert_eq!(got[0].body, got[1].body, "the same bytes every time");
    // The 400 was final.
    let (state, attempts, outcome) = wait_for_state(&app, &id, "failed", Duration::from_secs(5)).await;
    assert_eq!((state.as_str(), attempts, outcome.as_deref()), ("failed", 2, Some("HTTP 400")));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.count(), 2);

    // The callback's page shows both attempts, and offers to resend.
    let page = app.get(&format!("/services/{live}/api/callbacks/delivery-status-callback"), Some(&s.cookie)).await;
    let text = page.text();
    assert!(text.contains("HTTP 500"), "{text}");
    assert!(text.contains("HTTP 400"));
    assert!(text.contains("Failed: no more tries"));
    assert!(text.contains(&format!("Notification {id}")));
    assert!(page.body.contains("name=\"event_id\""));
}

#[tokio::test]
async fn a_429_is_retried_after_the_retry_after_it_gives() {
    let app = private_app().await;
    let receiver = Receiver::start(vec![Reply::Status(429, vec![("retry-after", "1")])]).await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    save_callback(&app, &s, &live, &receiver.url, TOKEN).await;
    let key = make_key(&app, &live, "test", "429 test").await;
    let id = send_email(&app, &live, &key, "anyone@example.com", "r").await;
    let got = receiver.wait_for(2, Duration::from_secs(6)).await;
    let gap = got[1].at - got[0].at;
    assert!(gap >= Duration::from_millis(900) && gap < Duration::from_secs(4), "Retry-After: 1 honoured: {gap:?}");
    wait_for_state(&app, &id, "delivered", Duration::from_secs(5)).await;
}

#[tokio::test]
async fn redirects_are_not_followed_and_abort_message_is_final() {
    let app = private_app().await;
    let receiver = Receiver::start(vec![
        Reply::Status(302, vec![("location", "/elsewhere")]),
        Reply::Status(503, vec![("webhook-delivery", "abort-message")]),
    ])
    .await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    save_callback(&app, &s, &live, &receiver.url, TOKEN).await;
    let key = make_key(&app, &live, "test", "Redirect test").await;
    let first = send_email(&app, &live, &key, "anyone@example.com", "r1").await;
    let (_, _, outcome) = wait_for_state(&app, &first, "failed", Duration::from_secs(10)).await;
    assert_eq!(outcome.as_deref(), Some("HTTP 302: redirects are not followed"));
    let second = send_email(&app, &live, &key, "anyone@example.com", "r2").await;
    let (_, attempts, outcome) = wait_for_state(&app, &second, "failed", Duration::from_secs(10)).await;
    assert_eq!(attempts, 1);
    assert!(outcome.unwrap().contains("abort-message"));
    assert!(receiver.all().iter().all(|r| r.path == "/callback"), "never went to /elsewhere");
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_without_slowing_sends() {
    let app = private_app().await;
    let receiver = Receiver::start(vec![Reply::Hang; 64]).await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    save_callback(&app, &s, &live, &receiver.url, TOKEN).await;
    let key = make_key(&app, &live, "test", "Hang test").await;
    let first = send_email(&app, &live, &key, "anyone@example.com", "r").await;
    receiver.wait_for(1, Duration::from_secs(5)).await;
    // While the receiver holds its requests, sending is as fast as ever.
    let started = Instant::now();
    for i in 0..40 {
        send_email(&app, &live, &key, "anyone@example.com", &format!("r{i}")).await;
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "40 sends took {took:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, attempts, outcome) = event_state(&app, &first).await;
        if attempts >= 1 {
            assert_eq!(outcome.as_deref(), Some("Timed out after 5 seconds"));
            break;
        }
        assert!(Instant::now() < deadline, "the first attempt never timed out");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn private_addresses_are_refused_at_dispatch_without_the_setting() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start(vec![]).await;
    let live = app.service_id("Example live service").await;
    let admin_user = app::ssr::store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    // Saved before the setting was turned off, or by a name that now points
    // at loopback: the dispatcher checks again.
    let port = receiver.url.split(':').nth(2).unwrap().split('/').next().unwrap().to_string();
    for (url, expected) in [
        (format!("https://127.0.0.1:{port}/callback"), "Refused: private address (127.0.0.1, loopback address)"),
        (format!("https://localhost:{port}/callback"), "Refused: private address ("),
        (format!("http://example.com:{port}/callback"), "Refused: plain http is not allowed"),
    ] {
        app::ssr::store::save_callback(
            &app.state.pool,
            &live,
            app::domain::CallbackKind::DeliveryStatus,
            app::ssr::store::CallbackSettings {
                url: &url,
                bearer_token_ciphertext: &seal_token(&app.state.secrets, &live, "delivery_status"),
                new_signing_secret_ciphertext: Some(&seal_signing(&app.state.secrets, &live, "delivery_status")),
            },
            app::ssr::store::Audit { user_id: Some(&admin_user.id), description: "Set the callback" },
        )
        .await
        .unwrap();
        let key = make_key(&app, &live, "test", &format!("Refusal {}", &url[..12])).await;
        let id = send_email(&app, &live, &key, "anyone@example.com", "r").await;
        let (_, _, outcome) = wait_for_state(&app, &id, "failed", Duration::from_secs(10)).await;
        assert!(outcome.as_deref().unwrap_or("").starts_with(expected), "{url}: {outcome:?}");
    }
    assert_eq!(receiver.count(), 0, "nothing reached the private address");
}

#[tokio::test]
async fn a_changed_token_reaches_retries_already_queued() {
    let app = private_app().await;
    let receiver = Receiver::start(vec![Reply::Status(503, vec![("retry-after", "2")])]).await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    save_callback(&app, &s, &live, &receiver.url, TOKEN).await;
    let key = make_key(&app, &live, "test", "Token change").await;
    let id = send_email(&app, &live, &key, "anyone@example.com", "r").await;
    receiver.wait_for(1, Duration::from_secs(5)).await;
    save_callback(&app, &s, &live, &receiver.url, "a-brand-new-token").await;
    let got = receiver.wait_for(2, Duration::from_secs(6)).await;
    assert_eq!(got[0].header("authorization"), format!("Bearer {TOKEN}"));
    assert_eq!(got[1].header("authorization"), "Bearer a-brand-new-token");
    wait_for_state(&app, &id, "delivered", Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_callback_failing_for_24_hours_pauses_and_resume_sends_what_waited_oldest_first() {
    let app = private_app().await;
    let receiver = Receiver::start(vec![Reply::Status(500, vec![])]).await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    save_callback(&app, &s, &live, &receiver.url, TOKEN).await;
    // It has been failing for a day.
    let day_ago = app::ssr::clock::now() - time::Duration::hours(25);
    on_db!(app.state.pool, |db| sqlx::query("UPDATE service_callbacks SET failing_since = $1")
        .bind(day_ago)
        .execute(db)
        .await
        .unwrap()
        .rows_affected());
    let key = make_key(&app, &live, "test", "Pause test").await;
    let first = send_email(&app, &live, &key, "anyone@example.com", "first").await;
    receiver.wait_for(1, Duration::from_secs(5)).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let c = app::ssr::store::callback(&app.state.pool, &live, app::domain::CallbackKind::DeliveryStatus)
            .await
            .unwrap()
            .unwrap();
        if c.paused_at.is_some() {
            assert!(c.pause_reason.unwrap().contains("HTTP 500"));
            break;
        }
        assert!(Instant::now() < deadline, "never paused");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Paused: events are recorded, not sent.
    let second = send_email(&app, &live, &key, "anyone@example.com", "second").await;
    let third = send_email(&app, &live, &key, "anyone@example.com", "third").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.count(), 1);
    let page_path = format!("/services/{live}/api/callbacks/delivery-status-callback");
    let page = app.get(&page_path, Some(&s.cookie)).await;
    assert!(page.text().contains("Callbacks are paused."), "{}", page.text());
    assert!(page.text().contains("3 callbacks waiting to be sent."), "{}", page.text());

    let resumed = app.post(&format!("{page_path}/resume"), Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert_eq!(resumed.status, 302);
    let got = receiver.wait_for(4, Duration::from_secs(10)).await;
    let mut ids: Vec<String> = got[1..].iter().map(|r| r.json()["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    let mut expected = vec![first.clone(), second.clone(), third.clone()];
    expected.sort();
    assert_eq!(ids, expected, "each waiting event, once");
    // Sent oldest first: the attempts started in that order (they run
    // side by side, so arrivals may interleave).
    for id in [&first, &second, &third] {
        wait_for_state(&app, id, "delivered", Duration::from_secs(5)).await;
    }
    // The attempt log as the page shows it, newest first.
    let log = app::ssr::store::callback_attempts(&app.state.pool, &live, app::domain::CallbackKind::DeliveryStatus, 50)
        .await
        .unwrap();
    // Each attempt is stamped as its event is taken from the lane, so the
    // stamps are in the order taken (two taken within one clock tick share a
    // stamp, and the page's order between those is arbitrary).
    let mut attempts: Vec<(app::domain::Timestamp, String)> =
        log.into_iter().map(|a| (a.at, a.notification_id.unwrap())).collect();
    attempts.sort();
    let ids: Vec<&str> = attempts.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids[0], first, "the first attempt, before the pause");
    let stamp = |id: &str| attempts.iter().skip(1).find(|(_, n)| n == id).unwrap().0;
    assert!(stamp(&first) <= stamp(&second) && stamp(&second) <= stamp(&third), "oldest first: {attempts:?}");
    assert_eq!(attempts.len(), 4, "{attempts:?}");
    let page = app.get(&page_path, Some(&s.cookie)).await;
    assert!(page.text().contains("Callbacks resumed"));
    assert!(!page.text().contains("Callbacks are paused."));
}

#[tokio::test]
async fn a_failed_event_is_resent_one_at_a_time_or_all_since_a_time() {
    let app = private_app().await;
    let receiver = Receiver::start(vec![Reply::Status(410, vec![]), Reply::Status(410, vec![])]).await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    save_callback(&app, &s, &live, &receiver.url, TOKEN).await;
    let key = make_key(&app, &live, "test", "Resend test").await;
    let a = send_email(&app, &live, &key, "anyone@example.com", "a").await;
    wait_for_state(&app, &a, "failed", Duration::from_secs(5)).await;
    let b = send_email(&app, &live, &key, "anyone@example.com", "b").await;
    wait_for_state(&app, &b, "failed", Duration::from_secs(5)).await;
    let page_path = format!("/services/{live}/api/callbacks/delivery-status-callback");
    let webhook_a = receiver.all()[0].header("webhook-id").to_string();

    let one = app
        .post(&format!("{page_path}/resend"), Some(&s.cookie), &[("csrf_token", &s.csrf), ("event_id", &webhook_a)])
        .await;
    assert_eq!(one.status, 302);
    let got = receiver.wait_for(3, Duration::from_secs(5)).await;
    assert_eq!(got[2].header("webhook-id"), webhook_a, "the same event, the same webhook-id");
    wait_for_state(&app, &a, "delivered", Duration::from_secs(5)).await;
    assert_eq!(event_state(&app, &b).await.0, "failed");

    // Another service's event, or one not failed, is not found.
    let again = app
        .post(&format!("{page_path}/resend"), Some(&s.cookie), &[("csrf_token", &s.csrf), ("event_id", &webhook_a)])
        .await;
    assert_eq!(again.status, 404);

    let all =
        app.post(&format!("{page_path}/resend"), Some(&s.cookie), &[("csrf_token", &s.csrf), ("since", "24")]).await;
    assert_eq!(all.status, 302);
    wait_for_state(&app, &b, "delivered", Duration::from_secs(5)).await;
    let page = app.get(&page_path, Some(&s.cookie)).await;
    assert!(page.text().contains("1 failed callback will be sent again now."), "{}", page.text());

    // A forged choice is refused; a missing CSRF token too.
    let forged = app
        .post(&format!("{page_path}/resend"), Some(&s.cookie), &[("csrf_token", &s.csrf), ("since", "100000")])
        .await;
    assert_eq!(forged.status, 400);
    let no_csrf = app.post(&format!("{page_path}/resend"), Some(&s.cookie), &[("since", "24")]).await;
    assert_eq!(no_csrf.status, 403);
}

#[tokio::test]
async fn a_test_callback_is_sent_signed_and_its_outcome_shown_with_and_without_javascript() {
    let app = private_app().await;
    let receiver = Receiver::start(vec![]).await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let secret = save_callback(&app, &s, &live, &receiver.url, TOKEN).await.unwrap();
    let page_path = format!("/services/{live}/api/callbacks/delivery-status-callback");

    // Without JavaScript: a form POST, and the page comes back with the outcome.
    let sent = app.post(&format!("{page_path}/test"), Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert_eq!(sent.status, 302);
    assert_eq!(sent.location(), page_path);
    let page = app.get(&page_path, Some(&s.cookie)).await;
    assert!(page.text().contains("Test callback delivered: HTTP 200 in"), "{}", page.text());
    assert!(page.text().contains("Test callback"));
    let got = receiver.wait_for(1, Duration::from_secs(1)).await.remove(0);
    assert_eq!(got.json()["status"], "delivered");
    assert_eq!(got.json()["reference"], "test-callback");
    let ts: i64 = got.header("webhook-timestamp").parse().unwrap();
    assert!(app::ssr::webhooks::verify(
        &secret,
        got.header("webhook-signature"),
        got.header("webhook-id"),
        ts,
        got.body.as_bytes()
    ));

    // With JavaScript: the island's server function, checked like the page.
    let call = |csrf: String, service: String| {
        let app = &app;
        let cookie = s.cookie.clone();
        async move {
            let r = app
                .client
                .post(format!("{}/_fn/send-test-callback", app.base))
                .header("cookie", cookie)
                .header("origin", &app.base)
                .form(&[
                    ("service_id", service.as_str()),
                    ("callback", "delivery-status-callback"),
                    ("csrf_token", csrf.as_str()),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, body) = call(s.csrf.clone(), live.clone()).await;
    assert_eq!(status, 200, "{body}");
    let activity: Value = serde_json::from_str(&body).unwrap();
    assert!(activity["message"].as_str().unwrap().starts_with("Test callback delivered: HTTP 200"));
    assert_eq!(activity["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(receiver.count(), 2);

    let (status, _) = call("wrong".into(), live.clone()).await;
    assert_eq!(status, 403, "a wrong CSRF token is refused");
    let other = app.service_id("Example trial service").await;
    let (status, _) = call(s.csrf.clone(), other).await;
    assert_eq!(status, 404, "a service without this callback");
    let viewer = app.sign_in(VIEWER).await;
    let r = app
        .client
        .get(format!("{}/_fn/callback-activity?service_id={live}&callback=delivery-status-callback", app.base))
        .header("cookie", viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "without manage_api_keys");
    assert_eq!(receiver.count(), 2);
}

#[tokio::test]
async fn a_new_signing_secret_signs_beside_the_old_one_for_24_hours() {
    let app = private_app().await;
    let receiver = Receiver::start(vec![]).await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let old = save_callback(&app, &s, &live, &receiver.url, TOKEN).await.unwrap();
    let page_path = format!("/services/{live}/api/callbacks/delivery-status-callback");
    let rotated = app.post(&format!("{page_path}/rotate-secret"), Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert_eq!(rotated.status, 200);
    let start = rotated.body.find("whsec_").unwrap();
    let new = rotated.body[start..].split('<').next().unwrap().to_string();
    assert_ne!(new, old);
    app.post(&format!("{page_path}/test"), Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    let got = receiver.wait_for(1, Duration::from_secs(8)).await.remove(0);
    let header = got.header("webhook-signature");
    assert_eq!(header.split(' ').count(), 2, "{header}");
    let ts: i64 = got.header("webhook-timestamp").parse().unwrap();
    for secret in [&old, &new] {
        assert!(app::ssr::webhooks::verify(secret, header, got.header("webhook-id"), ts, got.body.as_bytes()));
    }
    let page = app.get(&page_path, Some(&s.cookie)).await;
    assert!(page.text().contains("The previous secret also signs every request until"));
}

#[tokio::test]
async fn received_texts_and_returned_letters_reach_their_callbacks_with_notifys_fields() {
    let app = private_app().await;
    let receiver = Receiver::start(vec![]).await;
    let live = app.service_id("Example live service").await;
    let admin_user = app::ssr::store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    for kind in [app::domain::CallbackKind::ReceivedTextMessages, app::domain::CallbackKind::ReturnedLetters] {
        app::ssr::store::save_callback(
            &app.state.pool,
            &live,
            kind,
            app::ssr::store::CallbackSettings {
                url: &receiver.url,
                bearer_token_ciphertext: &seal_token(&app.state.secrets, &live, kind.as_str()),
                new_signing_secret_ciphertext: Some(&seal_signing(&app.state.secrets, &live, kind.as_str())),
            },
            app::ssr::store::Audit { user_id: Some(&admin_user.id), description: "Set the callback" },
        )
        .await
        .unwrap();
    }
    let sms = app::ssr::store::InboundSms {
        id: uuid::Uuid::new_v4().to_string(),
        source_number: "447700900111".into(),
        destination_number: "07700900000".into(),
        message: "Hello".into(),
        date_received: app::ssr::clock::now().text(),
    };
    app::ssr::store::record_inbound_sms(&app.state.pool, &live, &sms).await.unwrap().unwrap();
    app.state.callbacks.wake();
    let got = receiver.wait_for(1, Duration::from_secs(5)).await.remove(0).json();
    assert_eq!(
        got,
        json!({
            "id": sms.id, "source_number": "447700900111", "destination_number": "07700900000",
            "message": "Hello", "date_received": sms.date_received,
        })
    );
    // A letter, then its return.
    let key = make_key(&app, &live, "test", "Letters").await;
    let template = template_id(&app, &live, "letter").await;
    let (status, body) = send(
        &app,
        &live,
        &key,
        "letter",
        json!({"template_id": template, "reference": "letter-1", "personalisation": {
            "address_line_1": "A Person", "address_line_2": "1 The Street", "address_line_3": "SW1A 1AA", "name": "Ada"}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let letter = body["id"].as_str().unwrap().to_string();
    app::ssr::store::record_returned_letter(&app.state.pool, &live, &letter).await.unwrap().unwrap();
    app.state.callbacks.wake();
    let got = receiver.wait_for(2, Duration::from_secs(5)).await;
    let returned = got.iter().map(Received::json).find(|j| j.get("notification_id").is_some()).unwrap();
    assert_eq!(returned["notification_id"], letter);
    assert_eq!(returned["reference"], "letter-1");
    assert_eq!(returned["sent_by"], "API");
    assert_eq!(returned["template_id"], template);
    for null in ["spreadsheet_file_name", "spreadsheet_row_number", "upload_letter_file_name"] {
        assert!(returned[null].is_null());
    }
}

#[tokio::test]
async fn kill_9_while_a_callback_is_in_flight_loses_nothing_and_sends_it_once_more() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let receiver = Receiver::start(vec![Reply::Hang]).await;
    let mut server = ServerProcess::start(&data, &[("NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS", "true")]).await;
    let base = server.base.clone();

    // Set up a key and the callback in the server's own database.
    let (pool, secrets) = server.open_store().await;
    let live = app::ssr::store::find_service_by_name(&pool, "Example live service").await.unwrap().unwrap().id;
    let admin_user = app::ssr::store::find_user_by_email(&pool, ADMIN).await.unwrap().unwrap();
    app::ssr::store::save_callback(
        &pool,
        &live,
        app::domain::CallbackKind::DeliveryStatus,
        app::ssr::store::CallbackSettings {
            url: &receiver.url,
            bearer_token_ciphertext: &seal_token(&secrets, &live, "delivery_status"),
            new_signing_secret_ciphertext: Some(&seal_signing(&secrets, &live, "delivery_status")),
        },
        app::ssr::store::Audit { user_id: Some(&admin_user.id), description: "Set the callback" },
    )
    .await
    .unwrap();
    let key = app::ssr::keys::create(
        &pool,
        &secrets,
        &live,
        &app::domain::KeyName::parse("Crash test").unwrap(),
        app::domain::KeyType::parse("test").unwrap(),
        app::domain::api_key::KeyLifetime::Never,
        Some(&admin_user.id),
    )
    .await
    .unwrap()
    .unwrap();
    let secret = &key.key[key.key.len() - 36..];
    let template = app::ssr::store::list_templates(&pool, &live)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.template_type.as_str() == "email")
        .unwrap()
        .id;
    let sent = reqwest::Client::new()
        .post(format!("{base}/v2/notifications/email"))
        .header("authorization", format!("Bearer {}", token(&live, secret)))
        .json(
            &json!({"email_address": "anyone@example.com", "template_id": template, "personalisation": {"name": "A"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 201);

    // The POST is in flight (the receiver holds it): kill -9.
    receiver.wait_for(1, Duration::from_secs(10)).await;
    server.kill_9();

    server.start_again().await;
    // The event is still due: the new process sends it once more.
    let got = receiver.wait_for(2, Duration::from_secs(40)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.kill_9();
    assert_eq!(receiver.count(), 2, "exactly once more");
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"), "the receiver can tell it is the same event");
    let (state,): (String,) =
        on_db!(pool, |db| sqlx::query_as("SELECT state FROM callback_events").fetch_one(db).await.unwrap());
    assert_eq!(state, "delivered");
}

#[tokio::test]
async fn each_change_to_a_final_status_queues_one_receipt_with_that_status() {
    let app = private_app().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    save_callback(&app, &s, &live, "http://127.0.0.1:9/receipts", TOKEN).await;
    let pool = &app.state.pool;
    // A test key's simulated failure: its receipt says so.
    let test_key = make_key(&app, &live, "test", "Simulated").await;
    let failed = send_email(&app, &live, &test_key, "perm-fail@simulator.notify", "f").await;
    wait_for_receipt(pool, &failed).await;
    assert_eq!(receipt_statuses(pool, &failed).await, [json!("permanent-failure")]);
    // A live key's message, finished by the built-in provider; finished again
    // with the same status, no second receipt; with another, one more.
    let live_key = make_key(&app, &live, "normal", "Live").await;
    let sent = send_email(&app, &live, &live_key, "anyone@example.com", "l").await;
    wait_for_receipt(pool, &sent).await;
    let n = app::ssr::store::get_notification(&app.state.pool, &live, &sent).await.unwrap().unwrap();
    use app::domain::NotificationStatus::{Delivered, PermanentFailure};
    app::ssr::store::finish_notification(&app.state.pool, &n, Delivered, false).await.unwrap();
    assert_eq!(receipt_statuses(pool, &sent).await, [json!("delivered")]);
    app::ssr::store::finish_notification(&app.state.pool, &n, PermanentFailure, false).await.unwrap();
    assert_eq!(receipt_statuses(pool, &sent).await, [json!("delivered"), json!("permanent-failure")]);
}

/// The statuses of the notification's delivery receipts, oldest first.
async fn receipt_statuses(pool: &app::ssr::store::Store, notification_id: &str) -> Vec<Value> {
    let rows: Vec<(String,)> = on_db!(pool, |db| sqlx::query_as(
        "SELECT payload FROM callback_events WHERE CAST(notification_id AS TEXT) = $1 ORDER BY created_at, id"
    )
    .bind(notification_id)
    .fetch_all(db)
    .await
    .unwrap());
    rows.into_iter().map(|(p,)| serde_json::from_str::<Value>(&p).unwrap()["status"].clone()).collect()
}

async fn wait_for_receipt(pool: &app::ssr::store::Store, notification_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while receipt_statuses(pool, notification_id).await.is_empty() {
        assert!(Instant::now() < deadline, "no receipt for {notification_id}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
