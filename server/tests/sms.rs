//! Text messages through Firetext's API, against a stand-in on loopback that
//! speaks Firetext's documented API (a form POST answered with
//! `{"code": 0, "description": …}`) and records what it was sent; and
//! Firetext's delivery receipts at `POST /notifications/sms/firetext`.

mod common;

use axum::extract::State;
use axum::routing::post;
use common::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const API_KEY: &str = "firetext-api-key-for-tests";
const RECEIPTS_PASSWORD: &str = "a-provider-password-for-tests";
const RECEIPT_URL: &str = "https://notify:password@notify.example.gov.uk/notifications/sms/firetext";

/// What the stand-in was posted, one form per request.
type Posted = Arc<Mutex<Vec<HashMap<String, String>>>>;

/// Firetext's stand-in: takes every message, except one to a number ending
/// `999` (answered with Firetext's refusal, code 1) and, while `failing`
/// holds a number, one to that number (HTTP 503).
#[derive(Clone, Default)]
struct StandIn {
    posted: Posted,
    failing: Arc<Mutex<Option<String>>>,
}

async fn standin_send(State(s): State<StandIn>, body: String) -> (axum::http::StatusCode, String) {
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let to = form.get("to").cloned().unwrap_or_default();
    s.posted.lock().unwrap().push(form);
    if s.failing.lock().unwrap().as_deref() == Some(to.as_str()) {
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "try later".into());
    }
    if to.ends_with("999") {
        return (axum::http::StatusCode::OK, json!({"code": 1, "description": "Authentication error"}).to_string());
    }
    (axum::http::StatusCode::OK, json!({"code": 0, "description": "SMS successfully queued"}).to_string())
}

async fn start_standin() -> (StandIn, String) {
    let standin = StandIn::default();
    let router = axum::Router::new().route("/api/sendsms/json", post(standin_send)).with_state(standin.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/sendsms/json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (standin, url)
}

/// The stand-in, and an app sending texts to it: the live service (with a
/// delivery-status callback) and a live key.
async fn with_firetext() -> (TestApp, StandIn, String, Key) {
    let _ = tracing_subscriber::fmt().with_env_filter("info,sqlx=warn").with_test_writer().try_init();
    let (standin, url) = start_standin().await;
    let app = TestApp::spawn_with(&[
        ("NOTIFY_FIRETEXT_API_KEY", API_KEY),
        ("NOTIFY_FIRETEXT_URL", url.as_str()),
        ("NOTIFY_FIRETEXT_RECEIPT_URL", RECEIPT_URL),
        ("NOTIFY_INBOUND_SMS_PASSWORD", RECEIPTS_PASSWORD),
    ])
    .await;
    let live = app.service_id("Example live service").await;
    set_delivery_status_callback(&app, &live).await;
    let key = make_key(&app, &live, "normal", "Texts").await;
    (app, standin, live, key)
}

async fn send_text(app: &TestApp, live: &str, key: &Key, to: &str) -> Value {
    let template = template_id(app, live, "sms").await;
    let (status, body) = send(
        app,
        live,
        key,
        "sms",
        json!({"phone_number": to, "template_id": template, "personalisation": {"name": "Sam"}, "reference": "ref-1"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

async fn receipt(app: &TestApp, auth: Option<(&str, &str)>, form: &[(&str, &str)]) -> (u16, Value) {
    use base64::Engine;
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut req = app
        .client
        .post(format!("{}/notifications/sms/firetext", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some((user, password)) = auth {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        req = req.header("authorization", format!("Basic {encoded}"));
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

const FIRETEXT: Option<(&str, &str)> = Some(("notify", RECEIPTS_PASSWORD));

async fn receipts_queued(app: &TestApp, id: &str) -> Vec<Value> {
    let rows: Vec<(String,)> = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT payload FROM callback_events WHERE CAST(notification_id AS TEXT) = $1 ORDER BY created_at"
    )
    .bind(id)
    .fetch_all(db)
    .await
    .unwrap());
    rows.into_iter().map(|(p,)| serde_json::from_str(&p).unwrap()).collect()
}

#[tokio::test]
async fn a_text_reaches_firetext_as_notify_sends_it_and_its_receipts_set_its_status() {
    let (app, standin, live, key) = with_firetext().await;

    let sent = send_text(&app, &live, &key, "07700 900456").await;
    let id = sent["id"].as_str().unwrap().to_string();
    assert_eq!(status_once_offered(&app, &live, &key, &id).await, "sending");

    // What Firetext was posted.
    let posted = standin.posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 1, "{posted:?}");
    let form = &posted[0];
    assert_eq!(form["apiKey"], API_KEY);
    assert_eq!(form["to"], "447700900456");
    assert_eq!(form["from"], sent["content"]["from_number"].as_str().unwrap());
    assert_eq!(form["message"], sent["content"]["body"].as_str().unwrap());
    assert_eq!(form["message"], "Hello Sam,\nthis is a reminder of your appointment.");
    assert_eq!(form["reference"], id);
    assert_eq!(form["receipt"], RECEIPT_URL);

    // The message page says what `sending` means here.
    let cookie = app.sign_in(ADMIN).await;
    let page = app.get(&format!("/services/{live}/notification/{id}"), Some(&cookie)).await;
    assert!(page.text().contains("The text message provider has this message."), "{}", page.text());
    assert!(!page.text().contains("built-in outbox"));

    // Receipts need the provider's credentials.
    let delivered = [
        ("mobile", "447700900456"),
        ("status", "0"),
        ("reference", id.as_str()),
        ("time", "2026-12-06 10:00:00"),
        ("code", "000"),
    ];
    assert_eq!(receipt(&app, None, &delivered).await.0, 401);
    assert_eq!(receipt(&app, Some(("notify", "wrong-password-123456")), &delivered).await.0, 403);
    assert_eq!(status_once_offered(&app, &live, &key, &id).await, "sending");
    assert!(receipts_queued(&app, &id).await.is_empty(), "no receipt while it is sending");

    // Fields Notify requires, with its messages.
    let (status, body) = receipt(&app, FIRETEXT, &[("mobile", "447700900456"), ("status", "0")]).await;
    assert_eq!(
        (status, body),
        (400, json!({"result": "error", "message": ["Firetext callback failed: reference missing"]}))
    );
    let (status, body) = receipt(&app, FIRETEXT, &[("reference", id.as_str())]).await;
    assert_eq!(
        (status, body),
        (400, json!({"result": "error", "message": ["Firetext callback failed: status missing"]}))
    );
    let (status, body) = receipt(&app, FIRETEXT, &[("reference", id.as_str()), ("status", "7")]).await;
    assert_eq!(
        (status, body),
        (400, json!({"result": "error", "message": ["Firetext callback failed: status 7 not found."]}))
    );

    // Status 0: delivered, with one delivery receipt for the service.
    let (status, body) = receipt(&app, FIRETEXT, &delivered).await;
    assert_eq!((status, body), (200, json!({"result": "success"})));
    let got = api_get(&app, &live, &key, &format!("/v2/notifications/{id}")).await;
    assert_eq!(got["status"], "delivered");
    assert!(got["completed_at"].is_string(), "{got}");
    let queued = receipts_queued(&app, &id).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!((queued[0]["status"].as_str(), queued[0]["to"].as_str()), (Some("delivered"), Some("+447700900456")));

    // A late or repeated receipt changes nothing and queues nothing.
    let declined = [("status", "1"), ("reference", id.as_str()), ("code", "101")];
    assert_eq!(receipt(&app, FIRETEXT, &declined).await.0, 200);
    assert_eq!(api_get(&app, &live, &key, &format!("/v2/notifications/{id}")).await["status"], "delivered");
    assert_eq!(receipts_queued(&app, &id).await.len(), 1);

    // A reference that is not ours: answered, so Firetext stops, and ignored.
    for reference in [uuid::Uuid::now_v7().to_string(), "send-sms-code".to_string()] {
        let (status, body) = receipt(&app, FIRETEXT, &[("status", "0"), ("reference", reference.as_str())]).await;
        assert_eq!((status, body), (200, json!({"result": "success"})));
    }
}

#[tokio::test]
async fn declined_after_pending_is_a_temporary_failure_and_declined_at_once_permanent() {
    let (app, _standin, live, key) = with_firetext().await;

    let pending = send_text(&app, &live, &key, "07700900461").await["id"].as_str().unwrap().to_string();
    let declined = send_text(&app, &live, &key, "07700900462").await["id"].as_str().unwrap().to_string();
    for id in [&pending, &declined] {
        assert_eq!(status_once_offered(&app, &live, &key, id).await, "sending");
    }

    // 2: pending with the network (not final: no receipt for the service).
    assert_eq!(receipt(&app, FIRETEXT, &[("status", "2"), ("reference", pending.as_str())]).await.0, 200);
    assert_eq!(api_get(&app, &live, &key, &format!("/v2/notifications/{pending}")).await["status"], "pending");
    assert!(receipts_queued(&app, &pending).await.is_empty());
    // Then 1: the network gave up, which may pass.
    assert_eq!(
        receipt(&app, FIRETEXT, &[("status", "1"), ("reference", pending.as_str()), ("code", "102")]).await.0,
        200
    );
    assert_eq!(
        api_get(&app, &live, &key, &format!("/v2/notifications/{pending}")).await["status"],
        "temporary-failure"
    );
    let queued = receipts_queued(&app, &pending).await;
    assert_eq!(queued.iter().map(|r| r["status"].as_str().unwrap()).collect::<Vec<_>>(), vec!["temporary-failure"]);

    // 1 at once: declined for good.
    assert_eq!(
        receipt(&app, FIRETEXT, &[("status", "1"), ("reference", declined.as_str()), ("code", "101")]).await.0,
        200
    );
    assert_eq!(
        api_get(&app, &live, &key, &format!("/v2/notifications/{declined}")).await["status"],
        "permanent-failure"
    );
    assert_eq!(receipts_queued(&app, &declined).await.len(), 1);
}

#[tokio::test]
async fn a_text_firetext_does_not_take_is_offered_again_and_goes_when_it_is_taken() {
    let (app, standin, live, key) = with_firetext().await;

    // Firetext's refusal (code 1) and an HTTP error: both offered again later.
    *standin.failing.lock().unwrap() = Some("447700900463".to_string());
    let refused = send_text(&app, &live, &key, "07700900999").await["id"].as_str().unwrap().to_string();
    let unavailable = send_text(&app, &live, &key, "07700900463").await["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    for id in [&refused, &unavailable] {
        loop {
            let (status, attempts, next): (String, i64, Option<app::domain::Timestamp>) = on_db!(
                app.state.pool,
                |db| {
                    sqlx::query_as(
                "SELECT status, provider_attempts, provider_next_attempt_at FROM notifications WHERE CAST(id AS TEXT) = $1",
            )
            .bind(id).fetch_one(db).await.unwrap()
                }
            );
            if attempts == 1 {
                assert_eq!(status, "created");
                let wait = next.unwrap() - app::ssr::clock::now();
                assert!(wait > time::Duration::seconds(20) && wait <= time::Duration::seconds(30), "{wait}");
                break;
            }
            assert!(Instant::now() < deadline, "the refusal was not recorded");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(receipts_queued(&app, &refused).await.is_empty());

    // Firetext is back: when due, it takes the message.
    *standin.failing.lock().unwrap() = None;
    on_db!(app.state.pool, |db| sqlx::query(
        "UPDATE notifications SET provider_next_attempt_at = NULL WHERE CAST(id AS TEXT) = $1"
    )
    .bind(&unavailable)
    .execute(db)
    .await
    .unwrap()
    .rows_affected());
    assert_eq!(status_once_offered(&app, &live, &key, &unavailable).await, "sending");
    let offers = standin.posted.lock().unwrap().iter().filter(|f| f["reference"] == unavailable).count();
    assert_eq!(offers, 2);
}

#[tokio::test]
async fn a_text_with_no_receipt_for_72_hours_is_a_temporary_failure() {
    let (app, _standin, live, key) = with_firetext().await;
    let id = send_text(&app, &live, &key, "07700900464").await["id"].as_str().unwrap().to_string();
    assert_eq!(status_once_offered(&app, &live, &key, &id).await, "sending");
    let pool = &app.state.pool;
    // Not yet: sent just now.
    let cutoff = app::ssr::clock::ago(server::workers::delivery::RECEIPT_WAIT);
    assert_eq!(app::ssr::store::time_out_awaiting_receipts(pool, cutoff, 500).await.unwrap(), 0);
    on_db!(pool, |db| sqlx::query("UPDATE notifications SET sent_at = $1 WHERE CAST(id AS TEXT) = $2")
        .bind(app::ssr::clock::ago(time::Duration::hours(73)))
        .bind(&id)
        .execute(db)
        .await
        .unwrap()
        .rows_affected());
    assert_eq!(app::ssr::store::time_out_awaiting_receipts(pool, cutoff, 500).await.unwrap(), 1);
    assert_eq!(api_get(&app, &live, &key, &format!("/v2/notifications/{id}")).await["status"], "temporary-failure");
    let queued = receipts_queued(&app, &id).await;
    assert_eq!(queued.iter().map(|r| r["status"].as_str().unwrap()).collect::<Vec<_>>(), vec!["temporary-failure"]);
    // A receipt after the timeout changes nothing.
    assert_eq!(receipt(&app, FIRETEXT, &[("status", "0"), ("reference", id.as_str())]).await.0, 200);
    assert_eq!(api_get(&app, &live, &key, &format!("/v2/notifications/{id}")).await["status"], "temporary-failure");
}
