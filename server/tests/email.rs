//! Email over SMTP against a real SMTP server on loopback (mailin-embedded):
//! what arrives is the email as Notify sends it; the relay's answers decide
//! the statuses (250 delivered, 550 permanent failure, 451 offered again
//! later); a relay that is down does not slow the API, and what waited goes
//! out when it returns.

mod common;

use app::domain::senders::SenderKind;
use app::ssr::store;
use common::*;
use mailin_embedded::response::{self, Response};
use mailin_embedded::{Handler, Server};
use serde_json::json;
use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An email as the relay received it.
#[derive(Clone, Debug)]
struct Received {
    to: Vec<String>,
    data: String,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    /// Recipients refused once with 451 already.
    deferred: Vec<String>,
}

/// The relay: takes everything, except a recipient with `refused` in its
/// address (550 at RCPT) and one with `busy` (451 the first time).
#[derive(Clone)]
struct Relay {
    shared: Arc<Mutex<Shared>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Relay {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        self.to.clear();
        self.data.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if to.contains("refused") {
            return Response::custom(550, "5.1.1 No such mailbox".to_string());
        }
        if to.contains("busy") {
            let mut shared = self.shared.lock().unwrap();
            if !shared.deferred.iter().any(|d| d == to) {
                shared.deferred.push(to.to_string());
                return Response::custom(451, "4.2.0 Mailbox busy, try again later".to_string());
            }
        }
        self.to.push(to.to_string());
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let data = String::from_utf8_lossy(&self.data).into_owned();
        self.shared.lock().unwrap().received.push(Received { to: self.to.clone(), data });
        response::OK
    }
}

/// Starts the relay on `listener` (in its own threads: the server blocks).
fn start_relay(listener: TcpListener) -> Arc<Mutex<Shared>> {
    let shared = Arc::new(Mutex::new(Shared::default()));
    let mut server = Server::new(Relay { shared: shared.clone(), to: Vec::new(), data: Vec::new() });
    // More threads than the app keeps connections open (8): each serves one.
    server.with_name("relay.test").with_num_threads(16).with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    shared
}

async fn spawn_app(port: u16) -> TestApp {
    let _ = tracing_subscriber::fmt().with_env_filter("info,sqlx=warn").with_test_writer().try_init();
    let url = format!("smtp://127.0.0.1:{port}");
    TestApp::spawn_with(&[("NOTIFY_SMTP_URL", url.as_str()), ("NOTIFY_EMAIL_FROM_DOMAIN", "notify.example.gov.uk")])
        .await
}

/// A relay, and an app sending to it: the live service and a live key.
async fn with_relay() -> (TestApp, Arc<Mutex<Shared>>, String, Key) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let relay = start_relay(listener);
    let app = spawn_app(port).await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "normal", "Mail").await;
    (app, relay, live, key)
}

/// The notification's status once it is not `created`/`sending` any more
/// (or the last one seen after `within`).
async fn settled_status(app: &TestApp, live: &str, key: &Key, id: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let got = api_get(app, live, key, &format!("/v2/notifications/{id}")).await;
        let status = got["status"].as_str().unwrap_or_default().to_string();
        if !["created", "sending", "pending"].contains(&status.as_str()) || Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn send_email(app: &TestApp, live: &str, key: &Key, to: &str, name: &str) -> String {
    let template = template_id(app, live, "email").await;
    let (status, body) = send(
        app,
        live,
        key,
        "email",
        json!({"email_address": to, "template_id": template, "personalisation": {"name": name}, "reference": "ref-1"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// Makes a notification waiting for its next offer due now.
async fn due_now(app: &TestApp, id: &str) {
    on_db!(app.state.pool, |db| sqlx::query(
        "UPDATE notifications SET provider_next_attempt_at = NULL WHERE CAST(id AS TEXT) = $1"
    )
    .bind(id)
    .execute(db)
    .await
    .unwrap()
    .rows_affected());
}

#[tokio::test]
async fn an_email_reaches_the_relay_as_notify_sends_it() {
    let (app, relay, live, key) = with_relay().await;

    let template = template_id(&app, &live, "email").await;
    let (status, sent) = send(
        &app,
        &live,
        &key,
        "email",
        json!({
            "email_address": "sam@example.com",
            "template_id": template,
            "personalisation": {"name": "Sam <script>alert(1)</script> & co"},
            "one_click_unsubscribe_url": "https://example.gov.uk/unsubscribe?user=sam&list=reminders"
        }),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["id"].as_str().unwrap().to_string();
    assert_eq!(settled_status(&app, &live, &key, &id, Duration::from_secs(10)).await, "delivered");

    // The message page says what "delivered" means here.
    let cookie = app.sign_in(ADMIN).await;
    let page = app.get(&format!("/services/{live}/notification/{id}"), Some(&cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Delivered means the email server this service sends through accepted the email"));
    assert!(!page.text().contains("built-in outbox"));

    let received = relay.lock().unwrap().received.clone();
    assert_eq!(received.len(), 1, "{received:?}");
    let email = &received[0];
    assert_eq!(email.to, vec!["sam@example.com".to_string()]);
    let data = email.data.replace("\r\n", "\n");
    let (headers, body) = data.split_once("\n\n").unwrap();
    let header = |name: &str| {
        headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())))
            .map(|l| l.split_once(':').unwrap().1.trim().to_string())
            .unwrap_or_else(|| panic!("no {name} header in:\n{headers}"))
    };
    assert_eq!(header("From"), "\"Example live service\" <example.live.service@notify.example.gov.uk>");
    assert_eq!(header("To"), "sam@example.com");
    assert_eq!(header("Reply-To"), "appointments@example.gov.uk");
    assert_eq!(header("Message-ID"), format!("<{id}@notify.example.gov.uk>"));
    assert!(header("Subject").contains("Your appointment"), "{}", header("Subject"));
    assert!(header("Content-Type").starts_with("multipart/alternative"), "{}", header("Content-Type"));
    // One-click unsubscribe (RFC 8058), as the send asked.
    assert_eq!(header("List-Unsubscribe"), "<https://example.gov.uk/unsubscribe?user=sam&list=reminders>");
    assert_eq!(header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    assert!(body.contains("Content-Type: text/plain; charset=utf-8"), "{body}");
    assert!(body.contains("Content-Type: text/html; charset=utf-8"), "{body}");
    // The HTML part escapes what the personalisation held; the plain part
    // keeps it as typed. (Both may be quoted-printable: read them decoded.)
    let decoded = decode_quoted_printable(body);
    assert!(decoded.contains("Dear Sam &lt;script&gt;alert(1)&lt;/script&gt; &amp; co,</p>"), "{decoded}");
    assert!(!decoded.contains("<script>alert(1)</script></p>"), "{decoded}");
    assert!(
        decoded.contains("Dear Sam <script>alert(1)</script> & co,\n\nThis is a reminder of your appointment."),
        "{decoded}"
    );
}

/// Soft line breaks joined and `=XX` read (enough for these parts).
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn the_relays_answers_decide_the_statuses() {
    let (app, relay, live, key) = with_relay().await;

    // The service has a delivery-status callback: each final status queues
    // its receipt (where it is sent is the callback tests' business).
    set_delivery_status_callback(&app, &live).await;

    // 550 at RCPT: a permanent failure, not tried again, and its receipt.
    let refused = send_email(&app, &live, &key, "refused@example.com", "Ann").await;
    assert_eq!(settled_status(&app, &live, &key, &refused, Duration::from_secs(10)).await, "permanent-failure");
    let receipts: Vec<(String,)> = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT payload FROM callback_events WHERE CAST(notification_id AS TEXT) = $1"
    )
    .bind(&refused)
    .fetch_all(db)
    .await
    .unwrap());
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let receipt: serde_json::Value = serde_json::from_str(&receipts[0].0).unwrap();
    assert_eq!(
        (receipt["status"].as_str(), receipt["to"].as_str()),
        (Some("permanent-failure"), Some("refused@example.com"))
    );

    // 451: still waiting, offered again in about 30 seconds.
    let busy = send_email(&app, &live, &key, "busy@example.com", "Bo").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let next: app::domain::Timestamp = loop {
        let (attempts, next): (i64, Option<app::domain::Timestamp>) = on_db!(app.state.pool, |db| sqlx::query_as(
            "SELECT provider_attempts, provider_next_attempt_at FROM notifications WHERE CAST(id AS TEXT) = $1"
        )
        .bind(&busy)
        .fetch_one(db)
        .await
        .unwrap());
        if attempts == 1 {
            break next.expect("a next attempt");
        }
        assert!(Instant::now() < deadline, "the 451 was not recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let wait = next - app::ssr::clock::now();
    assert!(wait > time::Duration::seconds(20) && wait <= time::Duration::seconds(30), "{wait}");
    let got = api_get(&app, &live, &key, &format!("/v2/notifications/{busy}")).await;
    assert_eq!(got["status"], "created");
    // When it is due, the relay takes it.
    due_now(&app, &busy).await;
    assert_eq!(settled_status(&app, &live, &key, &busy, Duration::from_secs(10)).await, "delivered");
    // Waiting queued no receipt; delivering queued one.
    let (receipts,): (i64,) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT count(*) FROM callback_events WHERE CAST(notification_id AS TEXT) = $1"
    )
    .bind(&busy)
    .fetch_one(db)
    .await
    .unwrap());
    assert_eq!(receipts, 1);

    let received = relay.lock().unwrap().received.clone();
    let to: Vec<&str> = received.iter().flat_map(|r| r.to.iter().map(String::as_str)).collect();
    assert_eq!(to, vec!["busy@example.com"], "only the busy address's second offer arrived");
    // No unsubscribe link given: no List-Unsubscribe headers.
    assert!(!received[0].data.to_ascii_lowercase().contains("list-unsubscribe"), "{}", received[0].data);
}

#[tokio::test]
async fn a_relay_that_is_down_slows_nothing_and_what_waited_goes_out_when_it_returns() {
    // A port with nothing listening (bound, then let go).
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app(port).await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "normal", "Mail").await;

    let mut ids = Vec::new();
    for n in 0..5 {
        let started = Instant::now();
        ids.push(send_email(&app, &live, &key, &format!("person{n}@example.com"), "Cy").await);
        assert!(started.elapsed() < Duration::from_secs(1), "a send took {:?}", started.elapsed());
    }
    // Each was offered and found no relay: waiting, not failed.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (waiting,): (i64,) = on_db!(app.state.pool, |db| {
            sqlx::query_as(
            "SELECT count(*) FROM notifications WHERE status = 'created' AND provider_attempts >= 1 AND key_type = 'normal'",
        ).fetch_one(db).await.unwrap()
        });
        if waiting == 5 {
            break;
        }
        assert!(Instant::now() < deadline, "{waiting} of 5 offered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let relay = start_relay(TcpListener::bind(("127.0.0.1", port)).unwrap());
    for id in &ids {
        due_now(&app, id).await;
    }
    for id in &ids {
        assert_eq!(settled_status(&app, &live, &key, id, Duration::from_secs(10)).await, "delivered");
    }
    assert_eq!(relay.lock().unwrap().received.len(), 5);
}

/// `Message-ID`s of what the relay received, with how many times each came.
fn message_ids(relay: &Arc<Mutex<Shared>>) -> std::collections::HashMap<String, usize> {
    let mut ids = std::collections::HashMap::new();
    for r in relay.lock().unwrap().received.iter() {
        let header = r.data.lines().find(|l| l.to_ascii_lowercase().starts_with("message-id:")).unwrap_or_default();
        let id = header.split_once('<').and_then(|(_, rest)| rest.split_once('@')).map(|(id, _)| id.to_string());
        *ids.entry(id.unwrap_or_default()).or_default() += 1;
    }
    ids
}

/// Sends with a live key while the server is killed (SIGKILL) twice: every
/// email that got a 201 reaches the relay after the restarts. One the relay
/// was taking at the moment of a kill, or had taken before the outcomes
/// were written, may come twice: at most as many as are handed over at once
/// (8) and written together (`OUTCOME_CHUNK`) per kill, with the same
/// `Message-ID`, so the copy can be recognised.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_while_emails_go_out_loses_none() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp_port = listener.local_addr().unwrap().port();
    let relay = start_relay(listener);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("smtp://127.0.0.1:{smtp_port}");
    let mut server = ServerProcess::start(
        &dir.path().join("data"),
        &[("NOTIFY_SMTP_URL", url.as_str()), ("NOTIFY_EMAIL_FROM_DOMAIN", "notify.example.gov.uk")],
    )
    .await;
    let base = server.base.clone();
    let (live, secret) = server.key_for("Example live service", app::domain::KeyType::Normal).await;
    let (pool, _) = server.open_store().await;
    let template = template_id_in(&pool, &live).await;
    let client = reqwest::Client::new();
    let mut acknowledged: Vec<String> = Vec::new();
    for round in 0..2 {
        let mut sent_this_round = 0;
        let deadline = Instant::now() + Duration::from_millis(400 + 300 * round);
        while Instant::now() < deadline {
            let r = client
                .post(format!("{base}/v2/notifications/email"))
                .header("authorization", format!("Bearer {}", token(&live, &secret)))
                .json(&json!({"email_address": format!("crash{round}@example.com"), "template_id": template, "personalisation": {"name": "C"}}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 201);
            acknowledged.push(r.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string());
            sent_this_round += 1;
        }
        assert!(sent_this_round > 0);
        server.kill_9();
        server.start_again().await;
    }
    // Everything acknowledged arrives.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ids = message_ids(&relay);
        let missing = acknowledged.iter().filter(|id| !ids.contains_key(*id)).count();
        if missing == 0 {
            let twice: usize = ids.values().map(|n| n - 1).sum();
            println!("{} acknowledged, all received, {twice} received twice", acknowledged.len());
            let bound = 2 * (8 + server::workers::delivery::OUTCOME_CHUNK);
            assert!(twice <= bound, "{twice} emails came twice (at most {bound})");
            assert!(ids.keys().all(|id| acknowledged.contains(id)), "an email nobody sent");
            break;
        }
        assert!(Instant::now() < deadline, "{missing} of {} acknowledged emails never arrived", acknowledged.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill_9();
}

async fn template_id_in(pool: &app::ssr::store::Store, service_id: &str) -> String {
    app::ssr::store::list_templates(pool, service_id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.template_type.as_str() == "email")
        .unwrap()
        .id
}

// Amazon SES's receipts through SNS. The tests sign SNS messages with a
// throwaway key whose certificate the app pins (`NOTIFY_SNS_CERTIFICATE`,
// tests/fixtures), building the signed text as AWS documents it.

const SNS_CERTIFICATE_URL: &str = "https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-test.pem";
const SNS_TOPIC: &str = "arn:aws:sns:eu-west-2:123456789012:ses-receipts";

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// An SNS notification carrying `ses_event`, signed (SignatureVersion
/// `version`) with the test key.
fn sns_notification(ses_event: &serde_json::Value, version: &str, certificate_url: &str) -> serde_json::Value {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let message = ses_event.to_string();
    let message_id = uuid::Uuid::new_v4().to_string();
    let timestamp = "2026-12-06T10:00:00.000Z";
    let signed = format!(
        "Message\n{message}\nMessageId\n{message_id}\nTimestamp\n{timestamp}\nTopicArn\n{SNS_TOPIC}\nType\nNotification\n"
    );
    let pem = std::fs::read_to_string(fixture("sns-test-key.pem")).unwrap();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();
    let signature = match version {
        "1" => rsa::pkcs1v15::SigningKey::<sha1::Sha1>::new(key).sign(signed.as_bytes()).to_vec(),
        _ => rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key).sign(signed.as_bytes()).to_vec(),
    };
    use base64::Engine;
    json!({
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": SNS_TOPIC,
        "Message": message,
        "Timestamp": timestamp,
        "SignatureVersion": version,
        "Signature": base64::engine::general_purpose::STANDARD.encode(signature),
        "SigningCertURL": certificate_url,
        "UnsubscribeURL": "https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe",
    })
}

/// SES's event about our email `id`.
fn ses_event(kind: &str, id: &str, detail: serde_json::Value) -> serde_json::Value {
    let mut event = json!({
        "notificationType": kind,
        "mail": {
            "timestamp": "2026-12-06T09:59:59.000Z",
            "messageId": "0102018c0000aaaa-ses",
            "commonHeaders": {"messageId": format!("<{id}@notify.example.gov.uk>")},
        },
    });
    event.as_object_mut().unwrap().extend(detail.as_object().unwrap().clone());
    event
}

async fn post_sns(app: &TestApp, body: &serde_json::Value) -> u16 {
    app.client
        .post(format!("{}/notifications/email/ses", app.base))
        .header("content-type", "text/plain; charset=UTF-8")
        .header("x-amz-sns-message-type", "Notification")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn status_of(app: &TestApp, live: &str, key: &Key, id: &str) -> String {
    api_get(app, live, key, &format!("/v2/notifications/{id}")).await["status"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn ses_receipts_through_sns_set_the_status_once_their_signature_holds() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _relay = start_relay(listener);
    let url = format!("smtp://127.0.0.1:{port}");
    let certificate = fixture("sns-test-certificate.pem");
    let app = TestApp::spawn_with(&[
        ("NOTIFY_SMTP_URL", url.as_str()),
        ("NOTIFY_EMAIL_FROM_DOMAIN", "notify.example.gov.uk"),
        ("NOTIFY_SES_RECEIPTS", "true"),
        ("NOTIFY_SNS_TOPIC_ARNS", SNS_TOPIC),
        ("NOTIFY_SNS_CERTIFICATE", certificate.as_str()),
    ])
    .await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "normal", "Mail").await;

    // With receipts, the relay taking an email is not its delivery.
    let delivered = send_email(&app, &live, &key, "ann@example.com", "Ann").await;
    let bounced = send_email(&app, &live, &key, "bob@example.com", "Bob").await;
    let deferred = send_email(&app, &live, &key, "cy@example.com", "Cy").await;
    for id in [&delivered, &bounced, &deferred] {
        assert_eq!(status_once_offered(&app, &live, &key, id).await, "sending");
    }
    let cookie = app.sign_in(ADMIN).await;
    let page = app.get(&format!("/services/{live}/notification/{delivered}"), Some(&cookie)).await;
    assert!(page.text().contains("The email provider has this email."), "{}", page.text());

    // A forged receipt: signed, then its message changed.
    let mut forged = sns_notification(&ses_event("Delivery", &delivered, json!({})), "2", SNS_CERTIFICATE_URL);
    forged["Message"] =
        json!(ses_event("Bounce", &delivered, json!({"bounce": {"bounceType": "Permanent"}})).to_string());
    assert_eq!(post_sns(&app, &forged).await, 403);
    // A certificate that is not SNS's (however well the message is signed).
    let elsewhere = sns_notification(
        &ses_event("Delivery", &delivered, json!({})),
        "2",
        "https://sns.eu-west-2.amazonaws.com.attacker.example/SimpleNotificationService-test.pem",
    );
    assert_eq!(post_sns(&app, &elsewhere).await, 403);
    // Another topic.
    let mut other_topic = sns_notification(&ses_event("Delivery", &delivered, json!({})), "2", SNS_CERTIFICATE_URL);
    other_topic["TopicArn"] = json!("arn:aws:sns:eu-west-2:123456789012:someone-else");
    assert_eq!(post_sns(&app, &other_topic).await, 403);
    // Not SNS's shape.
    assert_eq!(post_sns(&app, &json!({"hello": "world"})).await, 400);
    assert_eq!(status_of(&app, &live, &key, &delivered).await, "sending");

    // Genuine receipts, in both signature versions.
    let delivery = sns_notification(&ses_event("Delivery", &delivered, json!({})), "2", SNS_CERTIFICATE_URL);
    assert_eq!(post_sns(&app, &delivery).await, 200);
    assert_eq!(status_of(&app, &live, &key, &delivered).await, "delivered");
    let permanent = ses_event("Bounce", &bounced, json!({"bounce": {"bounceType": "Permanent"}}));
    assert_eq!(post_sns(&app, &sns_notification(&permanent, "1", SNS_CERTIFICATE_URL)).await, 200);
    assert_eq!(status_of(&app, &live, &key, &bounced).await, "permanent-failure");
    let transient = ses_event("Bounce", &deferred, json!({"bounce": {"bounceType": "Transient"}}));
    assert_eq!(post_sns(&app, &sns_notification(&transient, "2", SNS_CERTIFICATE_URL)).await, 200);
    assert_eq!(status_of(&app, &live, &key, &deferred).await, "temporary-failure");
    // The same receipt again changes nothing.
    assert_eq!(post_sns(&app, &delivery).await, 200);

    // A complaint: still delivered, and the message page says so.
    let complaint = ses_event(
        "Complaint",
        &delivered,
        json!({"complaint": {"complaintFeedbackType": "abuse", "timestamp": "2026-12-06T11:30:00.000Z"}}),
    );
    assert_eq!(post_sns(&app, &sns_notification(&complaint, "2", SNS_CERTIFICATE_URL)).await, 200);
    assert_eq!(status_of(&app, &live, &key, &delivered).await, "delivered");
    let page = app.get(&format!("/services/{live}/notification/{delivered}"), Some(&cookie)).await;
    assert!(
        page.text().contains("The recipient reported this email as spam on 6 December at 11:30am"),
        "{}",
        page.text()
    );
    assert!(
        page.text().contains("spam on 6 December at 11:30am (the provider called it “abuse”). Do not send"),
        "{}",
        page.text()
    );

    // An event about an email that is not ours: taken, and nothing changes.
    let foreign = ses_event("Delivery", &uuid::Uuid::now_v7().to_string(), json!({}));
    assert_eq!(post_sns(&app, &sns_notification(&foreign, "2", SNS_CERTIFICATE_URL)).await, 200);
}

#[tokio::test]
async fn without_ses_receipts_the_endpoint_refuses_everything() {
    let (app, _relay, _live, _key) = with_relay().await;
    let event = ses_event("Delivery", &uuid::Uuid::now_v7().to_string(), json!({}));
    assert_eq!(post_sns(&app, &sns_notification(&event, "2", SNS_CERTIFICATE_URL)).await, 403);
}

/// The check of a new reply-to address, through a real relay: an address
/// the relay refuses fails the check (the form again, to try again, and
/// nothing saved); one the relay defers past the 45-second limit fails too;
/// a check is its service's only.
#[tokio::test]
async fn a_reply_to_address_the_relay_refuses_is_not_saved() {
    let (app, relay, live, _key) = with_relay().await;
    without_demo_senders_and_texts(&app, &live).await;
    let s = admin(&app).await;
    let base = format!("/services/{live}/service-settings/email-reply-to");
    let add = format!("{base}/add");

    let posted =
        app.post(&add, Some(&s.cookie), &[("csrf_token", &s.csrf), ("email_address", "refused@example.gov.uk")]).await;
    assert_eq!(posted.status, 302);
    let check = posted.location().to_string();
    let page = app.get(&check, Some(&s.cookie)).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("There’s a problem with your reply-to address"), "{text}");
    assert!(text.contains("We sent an email to ‘refused@example.gov.uk’ but it could not be delivered."), "{text}");
    assert!(text.contains("You can try again, or use a different address."));
    // The form again, with the address kept, posting to the add page.
    assert!(page.body.contains("value=\"refused@example.gov.uk\""), "{}", page.body);
    assert!(page.body.contains(&format!("action=\"{add}\"")), "{}", page.body);
    assert!(text.contains("Try again"));
    assert!(store::senders(&app.state.pool, &live, SenderKind::EmailReplyTo).await.unwrap().is_empty());
    // The relay was asked (the check's email, from this server's own service).
    assert!(relay.lock().unwrap().received.is_empty(), "refused at RCPT: nothing arrived");

    // Deferred (451) past the check's 45 seconds: failed as well.
    let posted =
        app.post(&add, Some(&s.cookie), &[("csrf_token", &s.csrf), ("email_address", "busy@example.gov.uk")]).await;
    let check_id = posted.location().rsplit('/').next().unwrap().to_string();
    on_db!(app.state.pool, |db| sqlx::query("UPDATE notifications SET created_at = $1 WHERE CAST(id AS TEXT) = $2")
        .bind(app::ssr::clock::ago(time::Duration::seconds(60)))
        .bind(&check_id)
        .execute(db)
        .await
        .unwrap()
        .rows_affected());
    let page = app.get(posted.location(), Some(&s.cookie)).await.text();
    assert!(page.contains("We sent an email to ‘busy@example.gov.uk’ but it could not be delivered."), "{page}");

    // Another service's check, or no check: 404.
    let trial = app.service_id("Example trial service").await;
    let elsewhere = check.replace(&live, &trial);
    assert_eq!(app.get(&elsewhere, Some(&s.cookie)).await.status, 404);
    let nothing = format!("{base}/check/{}", uuid::Uuid::new_v4());
    assert_eq!(app.get(&nothing, Some(&s.cookie)).await.status, 404);
    assert!(store::senders(&app.state.pool, &live, SenderKind::EmailReplyTo).await.unwrap().is_empty());

    // An address the relay takes is saved once its check is seen.
    let posted =
        app.post(&add, Some(&s.cookie), &[("csrf_token", &s.csrf), ("email_address", "help@example.gov.uk")]).await;
    let page = app.get(posted.location(), Some(&s.cookie)).await.text();
    assert!(page.contains("We’ve added ‘help@example.gov.uk’ to your reply-to email addresses."), "{page}");
    let saved = store::senders(&app.state.pool, &live, SenderKind::EmailReplyTo).await.unwrap();
    assert_eq!(saved.iter().map(|s| s.value.as_str()).collect::<Vec<_>>(), vec!["help@example.gov.uk"]);
}
