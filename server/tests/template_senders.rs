//! A letter template's own contact block, chosen on its page and kept per
//! version; a text message's body with Notify's line endings.

mod common;

use app::domain::senders::SenderKind;
use app::ssr::store;
use common::*;
use serde_json::{json, Value};

/// Sends a letter with the template, as the key's service: its stored
/// notification.
async fn send_letter(app: &TestApp, service: &str, key: &Key, template: &str) -> store::Notification {
    let personalisation =
        json!({"name": "Ada", "address_line_1": "Ada", "address_line_2": "1 Street", "postcode": "SW1A 1AA"});
    let body = json!({"template_id": template, "personalisation": personalisation});
    let (status, sent) = send(app, service, key, "letter", body).await;
    assert_eq!(status, 201, "{sent}");
    store::get_notification(&app.state.pool, service, sent["id"].as_str().unwrap()).await.unwrap().unwrap()
}

async fn new_template(app: &TestApp, s: &Signed, service: &str, kind: &str, name: &str, content: &str) -> String {
    let saved = app
        .post(
            &format!("/services/{service}/templates/new"),
            Some(&s.cookie),
            &[
                ("csrf_token", &s.csrf),
                ("template_type", kind),
                ("name", name),
                ("subject", "Subject"),
                ("template_content", content),
            ],
        )
        .await;
    assert_eq!(saved.status, 302, "{}", saved.text());
    store::list_templates(&app.state.pool, service).await.unwrap().into_iter().find(|t| t.name == name).unwrap().id
}

#[tokio::test]
async fn a_letter_template_chooses_its_contact_block_and_each_version_keeps_its_choice() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Letters").await;
    let demo_contact = store::senders(&app.state.pool, &live, SenderKind::LetterContact).await.unwrap().remove(0);
    let id = new_template(&app, &s, &live, "letter", "Reminder", "Dear ((name))").await;
    let block = |v: Value| v["letter_contact_block"].clone();

    // Made without one.
    assert_eq!(block(api_get(&app, &live, &key, &format!("/v2/template/{id}")).await), Value::Null);
    let edit = app.get(&format!("/services/{live}/templates/{id}"), Some(&s.cookie)).await;
    assert!(edit.text().contains("Sender address Blank Change sender address"), "{}", edit.text());

    let choose = format!("/services/{live}/templates/{id}/set-template-sender");
    let page = app.get(&choose, Some(&s.cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"value="blank" checked"#), "Blank is chosen");
    assert!(page.text().contains("Appointments team, Example live service, 10 Whitehall, London, SW1A 2AA"));

    // Nothing chosen: asked again; another service's contact block: refused.
    let none = app.post(&choose, Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert_eq!(none.status, 200);
    assert!(none.text().contains("There is a problem Select a sender address"));
    let trial = app.service_id("Example trial service").await;
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let theirs = store::add_sender(
        &app.state.pool,
        &trial,
        SenderKind::LetterContact,
        "Trial team\nA Street",
        true,
        &admin_user.id,
    )
    .await
    .unwrap()
    .unwrap();
    let forged = app.post(&choose, Some(&s.cookie), &[("csrf_token", &s.csrf), ("sender", &theirs)]).await;
    assert_eq!(forged.status, 400);

    // Chosen: a new version with it; the letter prints it.
    let chosen = app.post(&choose, Some(&s.cookie), &[("csrf_token", &s.csrf), ("sender", &demo_contact.id)]).await;
    assert_eq!(chosen.status, 302);
    assert_eq!(chosen.location(), format!("/services/{live}/templates/{id}"));
    let edit = app.get(&format!("/services/{live}/templates/{id}"), Some(&s.cookie)).await;
    assert!(edit.text().contains("‘Reminder’ was saved"));
    assert!(edit.text().contains("Letter template, version 2"));
    let current = api_get(&app, &live, &key, &format!("/v2/template/{id}")).await;
    assert_eq!((block(current.clone()), current["version"].clone()), (json!(demo_contact.value), json!(2)));
    let n = send_letter(&app, &live, &key, &id).await;
    assert_eq!(n.reply_to.as_deref(), Some(demo_contact.value.as_str()));

    // Back to none: version 3; version 2 keeps its choice, version 1 none.
    let blank = app.post(&choose, Some(&s.cookie), &[("csrf_token", &s.csrf), ("sender", "blank")]).await;
    assert_eq!(blank.status, 302);
    assert_eq!(block(api_get(&app, &live, &key, &format!("/v2/template/{id}")).await), Value::Null);
    for (v, wanted) in [(1, Value::Null), (2, json!(demo_contact.value)), (3, Value::Null)] {
        let version = api_get(&app, &live, &key, &format!("/v2/template/{id}/version/{v}")).await;
        assert_eq!(block(version), wanted, "version {v}");
    }
    let n = send_letter(&app, &live, &key, &id).await;
    assert_eq!(n.reply_to, None);

    // Only letter templates have the page.
    let email = template_id(&app, &live, "email").await;
    let page = app.get(&format!("/services/{live}/templates/{email}/set-template-sender"), Some(&s.cookie)).await;
    assert_eq!(page.status, 404);
}

#[tokio::test]
async fn a_text_messages_body_has_newlines_whatever_its_template_was_saved_with() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Texts").await;
    // As a browser's form sends a textarea: `\r\n`.
    let sms = new_template(&app, &s, &live, "sms", "Two lines", "Line one\r\nLine two, ((name))\rend").await;
    let (status, sent) = send(
        &app,
        &live,
        &key,
        "sms",
        json!({"phone_number": "07700900123", "template_id": sms, "personalisation": {"name": "Ada"}}),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["content"]["body"], "Line one\nLine two, Ada\nend");
    let read = api_get(&app, &live, &key, &format!("/v2/notifications/{}", sent["id"].as_str().unwrap())).await;
    assert_eq!(read["body"], "Line one\nLine two, Ada\nend");
    // An email keeps its template's line endings, as Notify's does.
    let email = new_template(&app, &s, &live, "email", "Two lines email", "Line one\r\nLine two, ((name))").await;
    let (_, sent) = send(
        &app,
        &live,
        &key,
        "email",
        json!({"email_address": "someone@example.com", "template_id": email, "personalisation": {"name": "Ada"}}),
    )
    .await;
    assert_eq!(sent["content"]["body"], "Line one\r\nLine two, Ada");
}
