//! The smaller findings of the hostile-inputs round, each as a client or an
//! admin meets it (the heavy inputs run against the release server in
//! `hostile/run.py`).

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn one_page_letter() -> Vec<u8> {
    server::letters::render_letter(&server::letters::LetterContent {
        address: vec!["Ada Lovelace", "1 Street", "SW1A 1AA"],
        contact_block: None,
        date: "1 December 2026".into(),
        heading: "A letter",
        body: "A page of the letter.",
    })
}

#[tokio::test]
async fn the_sanitiser_answers_a_long_run_with_no_dot_at_once() {
    // The request that pinned a core forever.
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Hostile").await;
    let template = template_id(&app, &live, "email").await;
    let body = json!({
        "email_address": "someone@example.com",
        "template_id": template,
        "personalisation": {"name": "a-".repeat(750)},
        "sanitise_content_for": ["name"],
    });
    let sent = tokio::time::timeout(Duration::from_secs(10), send(&app, &live, &key, "email", body)).await;
    let (status, answer) = sent.expect("answered within 10 seconds");
    assert_eq!(status, 201, "{answer}");
    let sanitised = answer["sanitised_content"]["name"]["sanitised"].as_str().unwrap();
    assert_eq!(sanitised, r"a\-".repeat(750));
}

#[tokio::test]
async fn personalisation_with_too_many_keys_is_refused_before_any_work() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Hostile").await;
    let template = template_id(&app, &live, "email").await;
    let mut personalisation: serde_json::Map<String, Value> =
        (0..1_001).map(|i| (format!("k{i}"), json!("v"))).collect();
    personalisation.insert("name".into(), json!("Ada"));
    let body =
        json!({"email_address": "someone@example.com", "template_id": template, "personalisation": personalisation});
    let (status, answer) = send(&app, &live, &key, "email", body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["errors"][0]["error"], "ValidationError");
    assert_eq!(answer["errors"][0]["message"], "personalisation has too many properties (the most is 1000)");
    // A thousand is fine.
    let mut personalisation: serde_json::Map<String, Value> = (0..999).map(|i| (format!("k{i}"), json!("v"))).collect();
    personalisation.insert("name".into(), json!("Ada"));
    let body =
        json!({"email_address": "someone@example.com", "template_id": template, "personalisation": personalisation});
    assert_eq!(send(&app, &live, &key, "email", body).await.0, 201);
}

#[tokio::test]
async fn a_3_mb_value_to_sanitise_is_answered_with_notifys_length_error() {
    // A 3 MB body, parsed, sanitised and rendered off the async workers,
    // gets its answer (the sanitised value is past an email's limit).
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Hostile").await;
    let template = template_id(&app, &live, "email").await;
    let body = json!({
        "email_address": "someone@example.com",
        "template_id": template,
        "personalisation": {"name": "a-".repeat(1_500_000)},
        "sanitise_content_for": ["name"],
    });
    let (status, answer) = send(&app, &live, &key, "email", body).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["errors"][0]["message"].as_str().unwrap().starts_with("Emails cannot be longer than 2000000 bytes"));
}

#[tokio::test]
async fn request_ids_are_kept_when_short_and_plain_and_replaced_otherwise() {
    let app = TestApp::spawn().await;
    let echo = |id: String| {
        let app = &app;
        async move {
            let r = app.client.get(format!("{}/_status", app.base)).header("x-request-id", id).send().await.unwrap();
            r.headers()["x-request-id"].to_str().unwrap().to_string()
        }
    };
    assert_eq!(echo("proxy-1234.abc_DEF".into()).await, "proxy-1234.abc_DEF");
    let long = "a".repeat(20_000);
    let replaced = echo(long.clone()).await;
    assert!(replaced.len() < 64 && replaced != long, "{replaced}");
    let odd = echo("id with spaces; and=more".into()).await;
    assert!(!odd.contains(' '), "{odd}");
    assert_eq!(echo("a".repeat(128)).await, "a".repeat(128));
    assert_ne!(echo("a".repeat(129)).await, "a".repeat(129));
}

#[tokio::test]
async fn a_server_function_with_bad_arguments_is_a_400() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    // The message log's arguments missing altogether.
    let r = app.client.get(format!("{}/_fn/message-log", app.base)).header("cookie", &s.cookie).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = app
        .client
        .post(format!("{}/_fn/send-test-callback", app.base))
        .header("cookie", &s.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("service_id=%FF%FE&&&")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn revoking_a_key_that_was_just_rotated_says_the_new_one_still_works() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let old = make_key(&app, &live, "test", "Payments").await;
    // Someone opens the revoke page; someone else rotates the key; then the
    // first person confirms.
    let revoke = format!("/services/{live}/api/keys/revoke/{}", old.id);
    assert_eq!(app.get(&revoke, Some(&s.cookie)).await.status, 200);
    let rotate = format!("/services/{live}/api/keys/rotate/{}", old.id);
    let rotated = app.post(&rotate, Some(&s.cookie), &[("csrf_token", &s.csrf), ("overlap", "24h")]).await;
    assert_eq!(rotated.status, 200);
    let revoked = app.post(&revoke, Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert_eq!(revoked.status, 302);
    let list = app.get(&format!("/services/{live}/api/keys"), Some(&s.cookie)).await;
    assert!(
        list.text().contains("‘Payments’ was revoked. The key that replaced it, ‘Payments’, still works"),
        "{}",
        list.text()
    );
    // A key never rotated: the plain message.
    let plain = make_key(&app, &live, "test", "Plain").await;
    let revoke = format!("/services/{live}/api/keys/revoke/{}", plain.id);
    app.post(&revoke, Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    let list = app.get(&format!("/services/{live}/api/keys"), Some(&s.cookie)).await;
    assert!(list.text().contains("‘Plain’ was revoked"));
    assert!(!list.text().contains("‘Plain’ was revoked. The key"));
}

#[tokio::test]
async fn letter_files_past_the_days_budget_are_refused() {
    let app = TestApp::spawn_with(&[("NOTIFY_LETTER_FILES_DAILY_MB", "1")]).await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "normal", "Live").await;
    // A valid letter padded to about 400 KB: two fit in a megabyte, three do not.
    let mut letter = one_page_letter();
    letter.extend(std::iter::repeat_n(b'%', 400_000));
    let body = json!({"reference": "big", "content": base64(&letter)});
    assert_eq!(send(&app, &live, &key, "letter", body.clone()).await.0, 201);
    assert_eq!(send(&app, &live, &key, "letter", body.clone()).await.0, 201);
    let (status, answer) = send(&app, &live, &key, "letter", body.clone()).await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["errors"][0]["error"], "TooManyRequestsError");
    assert_eq!(answer["errors"][0]["message"], "Exceeded send limits (letter files: 1 MB) for today");
    // Test keys have their own budget: the live key's files do not use it.
    let test = make_key(&app, &live, "test", "Test").await;
    assert_eq!(send(&app, &live, &test, "letter", body).await.0, 201);
}

#[tokio::test]
async fn a_letter_whose_checks_never_finish_is_refused_not_retried_forever() {
    // The checker is a program that dies at once, as a reader killed by its
    // memory limit does.
    let dir = tempfile::tempdir().unwrap();
    let checker = dir.path().join("dies");
    std::fs::write(&checker, "#!/bin/sh\nkill -9 $$\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&checker, std::fs::Permissions::from_mode(0o755)).unwrap();
    let app = TestApp::spawn_with(&[("NOTIFY_LETTER_CHECKER", checker.to_str().unwrap())]).await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Test").await;
    let (status, answer) =
        send(&app, &live, &key, "letter", json!({"reference": "x", "content": base64(&one_page_letter())})).await;
    assert_eq!(status, 201);
    let id = answer["id"].as_str().unwrap().to_string();
    let mut last = Value::Null;
    for _ in 0..100 {
        last = api_get(&app, &live, &key, &format!("/v2/notifications/{id}")).await;
        if last["status"] != "pending-virus-check" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last["status"], "validation-failed", "{last}");
    let attempts: (i64, Option<String>) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT check_attempts, invalid_reason FROM letter_pdfs WHERE CAST(notification_id AS TEXT) = $1"
    )
    .bind(&id)
    .fetch_one(db)
    .await
    .unwrap());
    assert_eq!(attempts, (2, Some("unable-to-read-the-file".to_string())));
}

#[tokio::test]
async fn a_letter_whose_check_was_under_way_twice_when_the_server_died_is_set_aside_at_start() {
    // As if the server had died twice while checking this letter: its
    // attempts were counted, no result was recorded.
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Test").await;
    let checker = server::letters::Checker::new(app.state.pool.clone(), Some("/nonexistent".into())).unwrap();
    let (_, answer) =
        send(&app, &live, &key, "letter", json!({"reference": "x", "content": base64(&one_page_letter())})).await;
    let id = answer["id"].as_str().unwrap().to_string();
    on_db!(app.state.pool, |db| sqlx::query(
        "UPDATE letter_pdfs SET check_attempts = 2, checked_at = NULL WHERE CAST(notification_id AS TEXT) = $1"
    )
    .bind(&id)
    .execute(db)
    .await
    .unwrap()
    .rows_affected());
    on_db!(app.state.pool, |db| sqlx::query(
        "UPDATE notifications SET status = 'pending-virus-check' WHERE CAST(id AS TEXT) = $1"
    )
    .bind(&id)
    .execute(db)
    .await
    .unwrap()
    .rows_affected());
    let waiting = app::ssr::store::letters_to_check(&app.state.pool, 20).await.unwrap();
    let letter = waiting.iter().find(|l| l.notification_id == id).expect("still waiting");
    // Not checked again (the checker here cannot even start): refused.
    checker.check_one(letter).await.unwrap();
    let n = app::ssr::store::get_notification(&app.state.pool, &live, &id).await.unwrap().unwrap();
    assert_eq!(n.status.as_str(), "validation-failed");
}

#[tokio::test]
async fn a_page_of_large_notifications_ends_early_and_its_next_link_goes_on() {
    // 14 emails of 1.5 MB: 21 MB of bodies, more than a page may carry.
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Hostile").await;
    let template = template_id(&app, &live, "email").await;
    let mut sent = Vec::new();
    for i in 0..14 {
        let name = format!("{i:02}{}", "x".repeat(1_500_000));
        let body =
            json!({"email_address": "someone@example.com", "template_id": template, "personalisation": {"name": name}});
        let (status, answer) = send(&app, &live, &key, "email", body).await;
        assert_eq!(status, 201, "{answer}");
        sent.push(answer["id"].as_str().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut url = format!("{}/v2/notifications", app.base);
    let mut pages = 0;
    loop {
        let page: Value = app
            .client
            .get(&url)
            .header("authorization", format!("Bearer {}", token(&live, key.secret())))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = page["notifications"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        pages += 1;
        let bytes: usize = items.iter().map(|n| n["body"].as_str().unwrap().len()).sum();
        assert!(bytes <= server::api_v2::read::PAGE_BYTES, "a page carried {bytes} bytes of bodies");
        seen.extend(items.iter().map(|n| n["id"].as_str().unwrap().to_string()));
        url = page["links"]["next"].as_str().expect("a next link").replace("http://127.0.0.1:3000", &app.base);
    }
    sent.reverse();
    assert_eq!(seen, sent, "every notification once, newest first");
    assert!(pages >= 3, "{pages} pages");
}
