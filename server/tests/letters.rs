//! Letters as files: precompiled letters through `POST /v2/notifications/letter`
//! (stored, checked, refused with Notify's reasons), `GET
//! /v2/notifications/{id}/pdf` for precompiled and templated letters (read
//! back with a PDF library), and returned letters.

mod common;

use app::ssr::store;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

fn pdf_of_pages(pages: usize) -> Vec<u8> {
    let body = vec!["A page of the letter."; pages].join("\n\n***\n\n");
    server::letters::render_letter(&server::letters::LetterContent {
        address: vec!["Ada Lovelace", "1 Street", "SW1A 1AA"],
        contact_block: None,
        date: "1 December 2026".into(),
        heading: "A precompiled letter",
        body: &body,
    })
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn get(app: &TestApp, service: &str, key: &Key, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.base))
        .header("authorization", format!("Bearer {}", token(service, key.secret())))
        .send()
        .await
        .unwrap()
}

/// Waits for the notification to leave `pending-virus-check`; its JSON.
async fn checked(app: &TestApp, service: &str, key: &Key, id: &str) -> Value {
    for _ in 0..100 {
        let n: Value = get(app, service, key, &format!("/v2/notifications/{id}")).await.json().await.unwrap();
        if n["status"] != "pending-virus-check" {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{id} was never checked");
}

/// Waits for the notification to show `wanted` (as the API shows it).
async fn wait_for_status(app: &TestApp, service: &str, key: &Key, id: &str, wanted: &str) {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = get(app, service, key, &format!("/v2/notifications/{id}")).await.json().await.unwrap();
        if last["status"] == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{id} never became {wanted}: {last}");
}

fn error_of(body: &Value) -> (String, String) {
    (body["errors"][0]["error"].as_str().unwrap().into(), body["errors"][0]["message"].as_str().unwrap().into())
}

#[tokio::test]
async fn a_precompiled_letter_is_stored_checked_and_given_back() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Precompiled").await;
    let pdf = pdf_of_pages(2);
    let (status, body) =
        send(&app, &live, &key, "letter", json!({"reference": "pdf-1", "content": base64(&pdf)})).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(body, json!({"id": id, "reference": "pdf-1", "postage": "second"}));

    let n = checked(&app, &live, &key, &id).await;
    assert_eq!(n["type"], "letter");
    assert_eq!(n["line_1"], "Provided as PDF");
    assert_eq!(n["postage"], "second");
    assert_eq!(n["subject"], "Pre-compiled PDF");
    // A test key's letter goes on to be (pretend) delivered: `received`.
    wait_for_status(&app, &live, &key, &id, "received").await;
    let r = get(&app, &live, &key, &format!("/v2/notifications/{id}/pdf")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf, "the very file that was sent");

    // Postage, and the hidden template stays out of the service's list.
    let (status, body) =
        send(&app, &live, &key, "letter", json!({"reference": "pdf-2", "content": base64(&pdf), "postage": "first"}))
            .await;
    assert_eq!((status, body["postage"].as_str()), (201, Some("first")), "{body}");
    let templates: Value = get(&app, &live, &key, "/v2/templates").await.json().await.unwrap();
    let names: Vec<&str> =
        templates["templates"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(!names.contains(&"Pre-compiled PDF"), "{names:?}");
    // The template the letter names can be read at its version, as the
    // notification's `template.uri` says.
    let version =
        get(&app, &live, &key, &format!("/v2/template/{}/version/1", n["template"]["id"].as_str().unwrap())).await;
    assert_eq!(version.status(), 200);
}

#[tokio::test]
async fn precompiled_letters_are_refused_with_notifys_messages() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Precompiled").await;
    let pdf = base64(&pdf_of_pages(1));
    let cases = [
        (json!({"content": pdf}), 400, "ValidationError", "reference is a required property"),
        // Without `content` it is a templated letter, as in Notify.
        (json!({"reference": "x"}), 400, "ValidationError", "template_id is a required property"),
        (
            json!({"reference": "x", "content": pdf, "postage": "third"}),
            400,
            "ValidationError",
            "postage invalid. It must be either first, second or economy.",
        ),
        (
            json!({"reference": "x", "content": pdf, "template_id": "x"}),
            400,
            "ValidationError",
            "Additional properties are not allowed (template_id was unexpected)",
        ),
        (json!({"reference": 5, "content": pdf}), 400, "ValidationError", "reference 5 is not of type string"),
        (
            json!({"reference": "x", "content": "abc"}),
            400,
            "BadRequestError",
            "Cannot decode letter content (invalid base64 encoding)",
        ),
    ];
    for (body, want_status, want_error, want_message) in cases {
        let (status, answer) = send(&app, &live, &key, "letter", body.clone()).await;
        assert_eq!(status, want_status, "{body}: {answer}");
        assert_eq!(error_of(&answer), (want_error.to_string(), want_message.to_string()), "{body}");
    }
    let team = make_key(&app, &live, "team", "Team letters").await;
    let (status, answer) = send(&app, &live, &team, "letter", json!({"reference": "x", "content": pdf})).await;
    assert_eq!((status, error_of(&answer).1.as_str()), (403, "Cannot send letters with a team api key"));
    let trial = app.service_id("Example trial service").await;
    let trial_key = make_key(&app, &trial, "test", "Trial letters").await;
    let (status, answer) = send(&app, &trial, &trial_key, "letter", json!({"reference": "x", "content": pdf})).await;
    assert_eq!((status, error_of(&answer).1.as_str()), (400, "Service is not allowed to send letters"));
    // Nothing refused was stored.
    let all: Value = get(&app, &live, &key, "/v2/notifications").await.json().await.unwrap();
    assert_eq!(all["notifications"].as_array().unwrap().len(), 0, "{all}");
}

#[tokio::test]
async fn files_that_break_notifys_rules_fail_validation_and_say_why() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Precompiled").await;
    let signed = admin(&app).await;
    for (file, title, detail) in [
        (pdf_of_pages(11), "Your letter is too long", "Your letter is 11 pages long."),
        (b"Dear Ada, this is not a PDF".to_vec(), "There’s a problem with your file", "Notify cannot read this PDF."),
    ] {
        let (status, body) =
            send(&app, &live, &key, "letter", json!({"reference": "bad", "content": base64(&file)})).await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_str().unwrap();
        let n = checked(&app, &live, &key, id).await;
        assert_eq!(n["status"], "validation-failed");
        assert!(n["completed_at"].is_string());
        // Its sender can still download what was sent, and the message's
        // page says what was wrong.
        let r = get(&app, &live, &key, &format!("/v2/notifications/{id}/pdf")).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.bytes().await.unwrap().to_vec(), file);
        let page = app.get(&format!("/services/{live}/notification/{id}"), Some(&signed.cookie)).await;
        assert_eq!(page.status, 200);
        let text = page.text();
        assert!(text.contains(title) && text.contains(detail), "{text}");
    }
}

#[tokio::test]
async fn a_templated_letter_is_drawn_with_its_address_contact_block_date_and_body() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Letters").await;
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    store::add_sender(
        &app.state.pool,
        &live,
        app::domain::senders::SenderKind::LetterContact,
        "Appointments team\n10 Whitehall\nLondon",
        true,
        &admin_user.id,
    )
    .await
    .unwrap()
    .unwrap();
    let template = template_id(&app, &live, "letter").await;
    let (status, body) = send(
        &app,
        &live,
        &key,
        "letter",
        json!({"template_id": template, "personalisation": {
            "address_line_1": "Grace Hopper", "address_line_2": "2 Road", "postcode": "SW1A 2AA", "name": "Grace"}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap();
    let r = get(&app, &live, &key, &format!("/v2/notifications/{id}/pdf")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    let doc = lopdf::Document::load_mem(&pdf).expect("a PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    assert_eq!(pages.len(), 1);
    let text = doc.extract_text(&pages).unwrap();
    let local = app::domain::london_time::to_london(time::OffsetDateTime::now_utc());
    let today = format!("{} {} {}", local.day(), local.month(), local.year());
    for part in [
        "Grace Hopper",
        "2 Road",
        "SW1A 2AA",
        "Appointments team",
        "10 Whitehall",
        &today,
        "Your appointment",
        "Dear Grace,",
    ] {
        assert!(text.contains(part), "{part:?} not in {text:?}");
    }
    // A4 portrait, as a precompiled letter must be.
    assert_eq!(server::letters::check_pdf(&pdf).invalid_reason, None);
}

#[tokio::test]
async fn the_pdf_endpoint_refuses_as_notify_does() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Letters").await;
    let answer = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        (status, error_of(&body))
    };
    let e = |status: u16, error: &str, message: &str| (status, (error.to_string(), message.to_string()));
    assert_eq!(
        answer(get(&app, &live, &key, "/v2/notifications/not-a-uuid/pdf").await).await,
        e(400, "ValidationError", "notification_id is not a valid UUID")
    );
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(
        answer(get(&app, &live, &key, &format!("/v2/notifications/{unknown}/pdf")).await).await,
        e(404, "NoResultFound", "No result found")
    );
    let email_template = template_id(&app, &live, "email").await;
    let (_, email) = send(
        &app,
        &live,
        &key,
        "email",
        json!({"email_address": "a@example.com", "template_id": email_template, "personalisation": {"name": "x"}}),
    )
    .await;
    let email_id = email["id"].as_str().unwrap();
    assert_eq!(
        answer(get(&app, &live, &key, &format!("/v2/notifications/{email_id}/pdf")).await).await,
        e(400, "BadRequestError", "Notification is not a letter")
    );
    // Another service's letter is not found.
    let trial = app.service_id("Example trial service").await;
    let trial_key = make_key(&app, &trial, "test", "Other").await;
    let (_, letter) =
        send(&app, &live, &key, "letter", json!({"reference": "x", "content": base64(&pdf_of_pages(1))})).await;
    let letter_id = letter["id"].as_str().unwrap().to_string();
    assert_eq!(
        answer(get(&app, &trial, &trial_key, &format!("/v2/notifications/{letter_id}/pdf")).await).await,
        e(404, "NoResultFound", "No result found")
    );
    // While the file is being checked: Notify's PDFNotReadyError. (The
    // checker has done its work; put the letter back in the state it
    // waits in.)
    checked(&app, &live, &key, &letter_id).await;
    on_db!(app.state.pool, |db| sqlx::query(
        "UPDATE notifications SET status = 'pending-virus-check' WHERE CAST(id AS TEXT) = $1"
    )
    .bind(&letter_id)
    .execute(db)
    .await
    .unwrap()
    .rows_affected());
    assert_eq!(
        answer(get(&app, &live, &key, &format!("/v2/notifications/{letter_id}/pdf")).await).await,
        e(400, "PDFNotReadyError", "PDF not available yet, try again later")
    );
    on_db!(app.state.pool, |db| sqlx::query(
        "UPDATE notifications SET status = 'technical-failure' WHERE CAST(id AS TEXT) = $1"
    )
    .bind(&letter_id)
    .execute(db)
    .await
    .unwrap()
    .rows_affected());
    assert_eq!(
        answer(get(&app, &live, &key, &format!("/v2/notifications/{letter_id}/pdf")).await).await,
        e(400, "BadRequestError", "PDF not available for letters in status technical-failure")
    );
}

#[tokio::test]
async fn returned_letters_are_marked_by_id_or_reference_once_sent() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Letters").await;
    let template = template_id(&app, &live, "letter").await;
    let address =
        json!({"address_line_1": "A Person", "address_line_2": "1 The Street", "postcode": "SW1A 1AA", "name": "A"});
    let mut ids = Vec::new();
    for reference in ["first", "second"] {
        let (status, body) = send(
            &app,
            &live,
            &key,
            "letter",
            json!({"template_id": template, "reference": reference, "personalisation": address}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    // Both are delivered (test keys pretend), then one is returned by id and
    // one by its reference.
    for id in &ids {
        wait_for_status(&app, &live, &key, id, "received").await;
    }
    let returned =
        store::return_letters(&app.state.pool, &live, &[ids[0].clone(), "second".to_string()]).await.unwrap();
    assert_eq!(returned.len(), 2);
    for id in &ids {
        let n = store::get_notification(&app.state.pool, &live, id).await.unwrap().unwrap();
        assert_eq!(n.status, app::domain::NotificationStatus::ReturnedLetter);
    }
    // Notify shows a returned letter as `received`; it cannot come back twice,
    // nor from another service.
    let n: Value = get(&app, &live, &key, &format!("/v2/notifications/{}", ids[0])).await.json().await.unwrap();
    assert_eq!(n["status"], "received");
    assert!(store::return_letters(&app.state.pool, &live, &ids).await.unwrap().is_empty());
    let trial = app.service_id("Example trial service").await;
    assert!(store::return_letters(&app.state.pool, &trial, &["first".to_string()]).await.unwrap().is_empty());
}
