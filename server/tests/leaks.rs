//! Leaked key reports: a real key is revoked at once and its service told;
//! the answer never says whether a key was found.

mod common;

use common::*;
use std::time::{Duration, Instant};

async fn revoked(app: &TestApp, key_id: &str) -> bool {
    let (d,): (Option<app::domain::Timestamp>,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT expiry_date FROM api_keys WHERE CAST(id AS TEXT) = $1")
            .bind(key_id)
            .fetch_one(db)
            .await
            .unwrap());
    d.is_some()
}

/// Waits for the key to be revoked and the report to reach the audit log
/// (written just after the revocation: reading in between sees only one).
async fn wait_revoked(app: &TestApp, key_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (service,): (String,) = on_db!(app.state.pool, |db| sqlx::query_as(
            "SELECT CAST(service_id AS TEXT) FROM api_keys WHERE CAST(id AS TEXT) = $1"
        )
        .bind(key_id)
        .fetch_one(db)
        .await
        .unwrap());
        let reported = audit_lines(app, &service).await.iter().any(|l| l.contains("was reported as leaked"));
        if revoked(app, key_id).await && reported {
            return;
        }
        assert!(Instant::now() < deadline, "never revoked and reported");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn audit_lines(app: &TestApp, service: &str) -> Vec<String> {
    let rows: Vec<(String,)> = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT description FROM audit_events WHERE CAST(service_id AS TEXT) = $1 ORDER BY id"
    )
    .bind(service)
    .fetch_all(db)
    .await
    .unwrap());
    rows.into_iter().map(|(d,)| d).collect()
}

#[tokio::test]
async fn a_reported_key_is_revoked_and_its_service_told() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "normal", "Leaky").await;
    let other = make_key(&app, &live, "test", "Fine").await;
    let form = app.get("/report-a-leaked-key", None).await;
    assert_eq!(form.status, 200);
    assert!(form.text().contains("Report a leaked API key"));

    let text = format!("export NOTIFY_API_KEY={}\n", key.whole);
    let page = app
        .post("/report-a-leaked-key", None, &[("text", &text), ("found_at", "https://github.com/x/y/blob/main/.env")])
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Thank you for your report"));
    assert!(!page.body.contains(&key.whole));
    wait_revoked(&app, &key.id).await;
    assert!(!revoked(&app, &other.id).await, "only the reported key");

    let r = app
        .client
        .get(format!("{}/v2/templates", app.base))
        .header("authorization", format!("Bearer {}", token(&live, key.secret())))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);

    let cookie = app.sign_in(ADMIN).await;
    let hub = app.get(&format!("/services/{live}/api"), Some(&cookie)).await;
    assert!(hub.text().contains("An API key was reported as leaked in the last 7 days"), "{}", hub.text());
    assert!(hub.text().contains(
        "API key ‘Leaky’ was reported as leaked, found at https://github.com/x/y/blob/main/.env, and revoked"
    ));
    let lines = audit_lines(&app, &live).await;
    assert!(lines.contains(&"Revoked API key ‘Leaky’".to_string()), "{lines:?}");

    // Reported again: the same answer, nothing new revoked, the report noted.
    let again = app.post("/report-a-leaked-key", None, &[("text", &text), ("found_at", "")]).await;
    assert_eq!(again.text(), page.text());
    let deadline = Instant::now() + Duration::from_secs(5);
    while !audit_lines(&app, &live).await.iter().any(|l| l.contains("(it no longer worked)")) {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_answer_is_the_same_whatever_the_report_holds() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Kept").await;
    let real = app.post("/report-a-leaked-key", None, &[("text", "nothing to see here")]).await;
    // A key with one character changed: its checksum fails, nothing is looked up.
    let mut typo = key.whole.clone().into_bytes();
    let i = typo.len() - 8;
    typo[i] = if typo[i] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    let mistyped = app.post("/report-a-leaked-key", None, &[("text", &typo)]).await;
    assert_eq!((real.status, real.text()), (mistyped.status, mistyped.text()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!revoked(&app, &key.id).await);

    let empty = app.post("/report-a-leaked-key", None, &[("text", " "), ("found_at", "")]).await;
    assert_eq!(empty.status, 200);
    assert!(empty.text().contains("There is a problem Paste what you found"));
}

#[tokio::test]
async fn a_secret_scanning_service_reports_in_githubs_shape() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "team", "Scanned").await;
    let body = serde_json::json!([
        {"token": key.whole, "type": "notify_api_key", "url": "https://github.com/o/r/blob/abc/app.py", "source": "content"},
        {"token": "not-a-key", "type": "notify_api_key", "url": "", "source": "commit"}
    ]);
    let r = app.client.post(format!("{}/secret-scanning/report", app.base)).json(&body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 202);
    assert_eq!(r.text().await.unwrap(), "[]");
    wait_revoked(&app, &key.id).await;
    let lines = audit_lines(&app, &live).await;
    assert!(lines.iter().any(|l| l.contains("found at https://github.com/o/r/blob/abc/app.py (content)")), "{lines:?}");

    let bad = app
        .client
        .post(format!("{}/secret-scanning/report", app.base))
        .header("content-type", "application/json")
        .body("{\"token\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
}

#[tokio::test]
async fn with_scanners_keys_configured_only_a_signed_report_is_taken() {
    use base64::Engine;
    use p256::ecdsa::signature::Signer;
    use p256::pkcs8::EncodePublicKey;
    let signing = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
    let der = signing.verifying_key().to_public_key_der().unwrap();
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let config = format!("github-1={}", b64(der.as_bytes()));
    let app = TestApp::spawn_with(&[("NOTIFY_SECRET_SCANNING_KEYS", &config)]).await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Signed").await;
    let body = serde_json::json!([{"token": key.whole, "type": "notify_api_key", "url": "https://github.com/o/r", "source": "content"}])
        .to_string();
    let post = |id: &'static str, signature: String| {
        let (app, body) = (&app, body.clone());
        async move {
            app.client
                .post(format!("{}/secret-scanning/report", app.base))
                .header("content-type", "application/json")
                .header("github-public-key-identifier", id)
                .header("github-public-key-signature", signature)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let good: p256::ecdsa::Signature = signing.sign(body.as_bytes());
    let forged: p256::ecdsa::Signature = signing.sign(b"something else");
    assert_eq!(post("github-1", b64(forged.to_der().as_bytes())).await, 401, "a signature of other bytes");
    assert_eq!(post("github-2", b64(good.to_der().as_bytes())).await, 401, "an unknown key identifier");
    assert_eq!(post("github-1", "not base64!".into()).await, 401);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!revoked(&app, &key.id).await, "nothing unsigned is acted on");
    assert_eq!(post("github-1", b64(good.to_der().as_bytes())).await, 202);
    wait_revoked(&app, &key.id).await;
}
