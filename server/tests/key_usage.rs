//! A key's page (its usage charted, flags, history), the alerts on unusual
//! usage and their dismissal, expiry on the audit log, and keys archived from
//! the list but still on their page.

mod common;

use app::ssr::{clock, store};
use common::*;

fn key_path(service: &str, key_id: &str) -> String {
    format!("/services/{service}/api/keys/{key_id}")
}

fn hours_ago(h: i64) -> String {
    app::domain::key_usage::hour_of((clock::now() - time::Duration::hours(h)).time())
}

#[tokio::test]
async fn a_keys_page_charts_what_it_sent_and_what_was_refused() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Charted").await;
    let signed = admin(&app).await;

    let page = app.get(&key_path(&live, &key.id), Some(&signed.cookie)).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("Charted"), "{text}");
    assert!(text.contains("Test – pretends to send messages"), "{text}");
    assert!(text.contains(&format!("by Demo Admin ({ADMIN})")), "{text}");
    assert!(text.contains("Never used"));
    assert!(text.contains("No expiry"));
    assert!(text.contains("Never expires"));
    assert!(text.contains("Last 7 days: 0 messages sent, 0 delivered, 0 failed, 0 requests refused"), "{text}");
    assert!(page.body.contains("<svg"), "a chart without JavaScript");
    assert!(text.contains("Created API key ‘Charted’"), "its history: {text}");

    let template = template_id(&app, &live, "email").await;
    for _ in 0..3 {
        let (status, _) = send(
            &app,
            &live,
            &key,
            "email",
            serde_json::json!({"email_address": "someone@example.com", "template_id": template, "personalisation": {"name": "Ada"}}),
        )
        .await;
        assert_eq!(status, 201);
    }
    // A whole key string with this key's name and service but another
    // secret is refused, and counted against this key.
    let forged_prefix = format!("{}{}", &key.whole[..key.whole.len() - 36], "A".repeat(30));
    let forged = format!("{forged_prefix}{}", app::domain::api_key::checksum(&forged_prefix));
    let r = app
        .client
        .get(format!("{}/v2/templates", app.base))
        .header("authorization", format!("ApiKey-v1 {forged}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Test keys are delivered by the background loop; wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        app.state.api.flush_usage(&app.state.pool).await;
        let text = app.get(&key_path(&live, &key.id), Some(&signed.cookie)).await.text();
        if text.contains("Last 7 days: 3 messages sent, 3 delivered, 0 failed, 1 request refused") {
            assert!(!text.contains("Never used"));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_keys_page_is_its_services_only() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let trial = app.service_id("Example trial service").await;
    let key = make_key(&app, &live, "test", "Mine").await;
    let signed = admin(&app).await;
    assert_eq!(app.get(&key_path(&trial, &key.id), Some(&signed.cookie)).await.status, 404);
    assert_eq!(app.get(&key_path(&live, "not-a-key"), Some(&signed.cookie)).await.status, 404);
    let nobody = uuid::Uuid::new_v4().to_string();
    assert_eq!(app.get(&key_path(&live, &nobody), Some(&signed.cookie)).await.status, 404);
    let signed_out = app.get(&key_path(&live, &key.id), None).await;
    assert_eq!(signed_out.status, 302);
    let viewer = app.sign_in(VIEWER).await;
    assert_eq!(app.get(&key_path(&live, &key.id), Some(&viewer)).await.status, 403);
}

#[tokio::test]
async fn a_send_spike_raises_one_alert_that_can_be_dismissed() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let steady = make_key(&app, &live, "test", "Steady").await;
    let spiky = make_key(&app, &live, "test", "Spiky").await;
    let now = hours_ago(0);
    // Steady sends 100 an hour all week, then 900 this hour: under ten times.
    let mut usage = vec![];
    for h in 1..=168 {
        usage.push((steady.id.clone(), hours_ago(h), "email:sent", 100));
    }
    usage.push((steady.id.clone(), now.clone(), "email:sent", 900));
    // Spiky sent nothing before and 600 this hour.
    usage.push((spiky.id.clone(), now.clone(), "sms:sent", 600));
    store::record_usage(&app.state.pool, &usage, &[]).await.unwrap();
    assert_eq!(store::raise_alerts(&app.state.pool, clock::now()).await.unwrap(), 1);
    // Once per key and hour, however often the job runs.
    assert_eq!(store::raise_alerts(&app.state.pool, clock::now()).await.unwrap(), 0);

    let signed = admin(&app).await;
    let hub = app.get(&format!("/services/{live}/api"), Some(&signed.cookie)).await;
    let text = hub.text();
    assert!(text.contains("Alerts on unusual usage (1)"), "{text}");
    assert!(text.contains("‘Spiky’ sent 600 messages in the hour from"), "{text}");
    assert!(text.contains("against an average of 0 an hour over the 7 days before"), "{text}");
    assert!(text.contains("When we raise an alert"));
    let key_page = app.get(&key_path(&live, &spiky.id), Some(&signed.cookie)).await;
    assert!(key_page.text().contains("Alerts (1)"), "{}", key_page.text());

    let alert = store::open_alerts(&app.state.pool, &live).await.unwrap().remove(0);
    let dismiss = format!("/services/{live}/api/alerts/{}/dismiss", alert.id);
    // No CSRF token, another service's URL: refused, nothing changes.
    assert_eq!(app.post(&dismiss, Some(&signed.cookie), &[("back", "hub")]).await.status, 403);
    let trial = app.service_id("Example trial service").await;
    let elsewhere = format!("/services/{trial}/api/alerts/{}/dismiss", alert.id);
    assert_eq!(
        app.post(&elsewhere, Some(&signed.cookie), &[("csrf_token", &signed.csrf), ("back", "hub")]).await.status,
        404
    );
    let done = app.post(&dismiss, Some(&signed.cookie), &[("csrf_token", &signed.csrf), ("back", "key")]).await;
    assert_eq!(done.status, 302);
    assert_eq!(done.location(), key_path(&live, &spiky.id));
    let page = app.get(&key_path(&live, &spiky.id), Some(&signed.cookie)).await.text();
    assert!(page.contains("Alert dismissed"), "{page}");
    assert!(page.contains("Dismissed "), "the key keeps its dismissed alerts: {page}");
    assert!(page.contains("Dismissed the alert: ‘Spiky’ sent 600 messages"), "on its history: {page}");
    let hub = app.get(&format!("/services/{live}/api"), Some(&signed.cookie)).await.text();
    assert!(!hub.contains("Alerts on unusual usage"), "{hub}");
    let again = app.post(&dismiss, Some(&signed.cookie), &[("csrf_token", &signed.csrf), ("back", "hub")]).await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn a_burst_of_refused_requests_raises_an_alert() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Revoked soon").await;
    store::revoke_api_key(&app.state.pool, &live, &key.id, None).await.unwrap();
    // 99 refused requests: no alert yet.
    for _ in 0..99 {
        let r = app
            .client
            .get(format!("{}/v2/templates", app.base))
            .header("authorization", format!("Bearer {}", token(&live, key.secret())))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
    }
    app.state.api.flush_usage(&app.state.pool).await;
    assert_eq!(store::raise_alerts(&app.state.pool, clock::now()).await.unwrap(), 0);
    let r = app
        .client
        .get(format!("{}/v2/templates", app.base))
        .header("authorization", format!("Bearer {}", token(&live, "x".repeat(36).as_str())))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    app.state.api.flush_usage(&app.state.pool).await;
    assert_eq!(store::raise_alerts(&app.state.pool, clock::now()).await.unwrap(), 1);
    let alerts = store::open_alerts(&app.state.pool, &live).await.unwrap();
    assert_eq!(alerts[0].kind, "refusals");
    assert!(alerts[0].detail.starts_with("100 requests naming this service were refused in the hour from"));
    // The revoked key's own refusals are on its page.
    let signed = admin(&app).await;
    let page = app.get(&key_path(&live, &key.id), Some(&signed.cookie)).await.text();
    assert!(page.contains("99 requests refused"), "{page}");
    // A service that does not exist is not counted anywhere.
    let nobody = uuid::Uuid::new_v4().to_string();
    let r = app
        .client
        .get(format!("{}/v2/templates", app.base))
        .header("authorization", format!("Bearer {}", token(&nobody, key.secret())))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test]
async fn a_key_used_after_ninety_idle_days_raises_an_alert() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let sleepy = make_key(&app, &live, "test", "Sleepy").await;
    let busy = make_key(&app, &live, "test", "Busy").await;
    let long_ago = clock::now() - time::Duration::days(100);
    let lately = clock::now() - time::Duration::days(89);
    store::record_last_used(&app.state.pool, &[(sleepy.id.clone(), long_ago), (busy.id.clone(), lately)])
        .await
        .unwrap();
    let signed = admin(&app).await;
    let page = app.get(&key_path(&live, &sleepy.id), Some(&signed.cookie)).await.text();
    assert!(page.contains("Unused for 90 days"), "{page}");

    let template = template_id(&app, &live, "sms").await;
    for key in [&sleepy, &busy] {
        let (status, _body) = send(
            &app,
            &live,
            key,
            "sms",
            serde_json::json!({"phone_number": "07700900111", "template_id": template, "personalisation": {"name": "Ada"}}),
        )
        .await;
        assert_eq!(status, 201, "{_body}");
    }
    app.state.api.flush_usage(&app.state.pool).await;
    let alerts = store::open_alerts(&app.state.pool, &live).await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].kind, "idle_key_used");
    assert_eq!(alerts[0].key_id.as_deref(), Some(sleepy.id.as_str()));
    assert!(alerts[0].detail.starts_with("‘Sleepy’ was used "), "{}", alerts[0].detail);
    assert!(alerts[0].detail.contains(" after last used "), "{}", alerts[0].detail);
    let page = app.get(&key_path(&live, &sleepy.id), Some(&signed.cookie)).await.text();
    assert!(!page.contains("Unused for 90 days"), "{page}");
}

#[tokio::test]
async fn expired_and_old_revoked_keys_leave_the_list_but_keep_their_page() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let old = make_key(&app, &live, "test", "Old and revoked").await;
    store::revoke_api_key(&app.state.pool, &live, &old.id, None).await.unwrap();
    let eight_days_ago = clock::now() - time::Duration::days(8);
    store::set_api_key_expiry(&app.state.pool, &live, &old.id, Some(eight_days_ago)).await.unwrap();
    // A key that expired on its own a minute ago.
    let expired_at = clock::now() - time::Duration::minutes(1);
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let expired = store::create_api_key(
        &app.state.pool,
        store::NewApiKey {
            id: &store::new_id(),
            service_id: &live,
            name: "Short lived",
            name_fingerprint: "shortlived",
            key_type: app::domain::KeyType::Test,
            secret_ciphertext: "sealed",
            secret_digest: "digest-of-short-lived",
            created_by: Some(&admin_user.id),
            expires_at: Some(expired_at),
        },
    )
    .await
    .unwrap()
    .unwrap();
    store::raise_alerts(&app.state.pool, clock::now()).await.unwrap();
    store::raise_alerts(&app.state.pool, clock::now()).await.unwrap();

    let signed = admin(&app).await;
    let list = app.get(&format!("/services/{live}/api/keys"), Some(&signed.cookie)).await.text();
    assert!(!list.contains("Old and revoked"), "{list}");
    assert!(list.contains("Short lived"), "expired this week: still listed");
    let page = app.get(&key_path(&live, &old.id), Some(&signed.cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Revoked "), "{}", page.text());
    assert!(!page.text().contains("Revoke this key"));

    let audit = app.get(&format!("/services/{live}/api/audit"), Some(&signed.cookie)).await;
    let text = audit.text();
    assert_eq!(text.matches("API key ‘Short lived’ expired View key").count(), 1, "once: {text}");
    assert!(audit.body.contains(&key_path(&live, &old.id)), "the audit log links to the archived key");
    let page = app.get(&key_path(&live, &expired), Some(&signed.cookie)).await.text();
    assert!(page.contains("Expired "), "{page}");
    assert!(page.contains("API key ‘Short lived’ expired"), "{page}");
}

/// Every email this service sent its own users (the built-in outbox keeps
/// them: no provider is set up in the tests), as (to, subject, body).
async fn platform_emails(app: &TestApp) -> Vec<(String, String, String)> {
    on_db!(app.state.pool, |db| {
        sqlx::query_as(
        "SELECT o.recipient, coalesce(o.subject, ''), o.body FROM outbox o JOIN notifications n ON n.id = o.notification_id
         WHERE CAST(n.service_id AS TEXT) = $1 ORDER BY o.recipient",
    )
    .bind(app::ssr::platform_emails::PLATFORM_SERVICE_ID).fetch_all(db).await.unwrap()
    })
}

#[tokio::test]
async fn an_alert_is_emailed_once_to_each_member_who_manages_the_services_keys() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let spiky = make_key(&app, &live, "test", "Spiky").await;
    store::record_usage(&app.state.pool, &[(spiky.id.clone(), hours_ago(0), "sms:sent", 600)], &[]).await.unwrap();
    assert_eq!(store::raise_alerts(&app.state.pool, clock::now()).await.unwrap(), 1);

    let base = "https://notify.example.gov.uk";
    let queued = app::ssr::platform_emails::email_key_alerts(&app.state.pool, base).await.unwrap();
    // Once, however often the job runs.
    assert_eq!(app::ssr::platform_emails::email_key_alerts(&app.state.pool, base).await.unwrap(), 0);
    // Who may manage the live service's keys (the demo's admin; not its viewer).
    let managers: Vec<(String,)> = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT u.email_address FROM user_service_permissions p JOIN users u ON u.id = p.user_id
         WHERE CAST(p.service_id AS TEXT) = $1 AND p.permission = 'manage_api_keys' ORDER BY 1",
    )
    .bind(&live)
    .fetch_all(db)
    .await
    .unwrap());
    let managers: Vec<String> = managers.into_iter().map(|(e,)| e).collect();
    assert!(managers.contains(&ADMIN.to_string()) && !managers.contains(&VIEWER.to_string()), "{managers:?}");
    assert_eq!(queued, managers.len());

    // The delivery worker takes them like any email (to the outbox here).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let emails = loop {
        let emails = platform_emails(&app).await;
        if emails.len() == managers.len() || std::time::Instant::now() > deadline {
            break emails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(emails.iter().map(|e| e.0.clone()).collect::<Vec<_>>(), managers);
    let (_, subject, body) = &emails[0];
    assert_eq!(subject, "Unusual use of an API key for Example live service");
    assert!(body.contains("^ ‘Spiky’ sent 600 messages in the hour from"), "{body}");
    assert!(body.contains(&format!("{base}/services/{live}/api")), "{body}");
    assert!(body.contains("You get this email because you can manage the API integration of Example live service."));
}
