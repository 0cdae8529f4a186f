//! A service's senders: reply-to email addresses and text message sender
//! IDs, their admin pages (add, default, change, delete, Notify's messages)
//! and `email_reply_to_id` / `sms_sender_id` on the API.

mod common;

use app::domain::senders::SenderKind;
use app::ssr::store;
use common::*;
use serde_json::json;

fn list(service: &str) -> String {
    format!("/services/{service}/service-settings/email-reply-to")
}

async fn stored_reply_to(app: &TestApp, id: &str) -> Option<String> {
    let (r,): (Option<String>,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT reply_to FROM notifications WHERE CAST(id AS TEXT) = $1")
            .bind(id)
            .fetch_one(db)
            .await
            .unwrap());
    r
}

/// Posts a new reply-to address (`form`) to `path`: it is checked first
/// (302 to the check's page), and the check's page says it was added once
/// its email was delivered (to the built-in outbox, here).
async fn add_checked(app: &TestApp, s: &Signed, service: &str, path: &str, form: &[(&str, &str)], address: &str) {
    let posted = app.post(path, Some(&s.cookie), form).await;
    assert_eq!(posted.status, 302, "{}", posted.text());
    assert!(posted.location().starts_with(&format!("{}/check/", list(service))), "{}", posted.location());
    let check = app.get(posted.location(), Some(&s.cookie)).await;
    assert_eq!(check.status, 200);
    let text = check.text();
    assert!(text.contains("Reply-to email address check") && text.contains("The check is complete."), "{text}");
    assert!(text.contains(&format!("We’ve added ‘{address}’ to your reply-to email addresses.")), "{text}");
    // Looking again changes nothing more.
    assert_eq!(app.get(posted.location(), Some(&s.cookie)).await.status, 200);
}

#[tokio::test]
async fn a_team_keeps_reply_to_addresses_with_one_default() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    without_demo_senders_and_texts(&app, &live).await;
    let s = admin(&app).await;
    let page = app.get(&list(&live), Some(&s.cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("You have not added any reply-to email addresses yet"));

    let add = format!("{}/add", list(&live));
    let form = app.get(&add, Some(&s.cookie)).await;
    assert!(form.text().contains("This will be your default reply-to address."), "{}", form.text());
    for (typed, message) in [
        ("", "Enter an email address"),
        ("not an address", "Enter an email address in the correct format, like name@example.gov.uk"),
    ] {
        let page = app.post(&add, Some(&s.cookie), &[("csrf_token", &s.csrf), ("email_address", typed)]).await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains(message), "{typed:?}: {}", page.text());
        assert!(page.body.contains("govuk-error-summary"));
        assert!(page.body.contains(&format!("value=\"{}\"", typed)), "the input is kept");
    }
    let first = [("csrf_token", s.csrf.as_str()), ("email_address", " help@example.gov.uk ")];
    add_checked(&app, &s, &live, &add, &first, "help@example.gov.uk").await;
    // The check's email went to the address, from this server's own service.
    let (subject,): (String,) = on_db!(app.state.pool, |db| {
        sqlx::query_as(
        "SELECT subject FROM notifications WHERE CAST(service_id AS TEXT) = $1 AND recipient = 'help@example.gov.uk'"
    )
    .bind(app::ssr::platform_emails::PLATFORM_SERVICE_ID)
    .fetch_one(db)
    .await
    .unwrap()
    });
    assert_eq!(subject, "Your reply-to email address for Example live service");
    let again =
        app.post(&add, Some(&s.cookie), &[("csrf_token", &s.csrf), ("email_address", "HELP@example.gov.uk")]).await;
    assert!(again.text().contains("Your service already uses ‘HELP@example.gov.uk’ as an email reply-to address."));
    // A second, made the default.
    let second = [("csrf_token", s.csrf.as_str()), ("email_address", "team@example.gov.uk"), ("is_default", "y")];
    add_checked(&app, &s, &live, &add, &second, "team@example.gov.uk").await;
    let all = store::senders(&app.state.pool, &live, SenderKind::EmailReplyTo).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!((all[0].value.as_str(), all[0].is_default), ("team@example.gov.uk", true));
    let help = all[1].id.clone();
    let page = app.get(&list(&live), Some(&s.cookie)).await;
    assert!(page.text().contains("team@example.gov.uk (default)"), "{}", page.text());
    assert!(page.body.contains(&help), "with several, each shows its ID to copy");

    // Change the other one; the default cannot be deleted.
    let edit = format!("{}/{help}/edit", list(&live));
    let changed = [("csrf_token", s.csrf.as_str()), ("email_address", "help-desk@example.gov.uk")];
    add_checked(&app, &s, &live, &edit, &changed, "help-desk@example.gov.uk").await;
    assert_eq!(store::senders(&app.state.pool, &live, SenderKind::EmailReplyTo).await.unwrap().len(), 2);
    let default_id = all[0].id.clone();
    let default_edit = app.get(&format!("{}/{default_id}/edit", list(&live)), Some(&s.cookie)).await;
    assert!(default_edit.text().contains("This is the default reply-to address for Example live service emails"));
    assert!(!default_edit.text().contains("Delete"));
    let refused =
        app.post(&format!("{}/{default_id}/delete", list(&live)), Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert_eq!(refused.status, 400);
    let confirm = app.get(&format!("{}/{help}/delete", list(&live)), Some(&s.cookie)).await;
    assert!(confirm.text().contains("Are you sure you want to delete this reply-to email address?"));
    let deleted =
        app.post(&format!("{}/{help}/delete", list(&live)), Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert_eq!(deleted.status, 302);
    let page = app.get(&list(&live), Some(&s.cookie)).await.text();
    assert!(page.contains("‘help-desk@example.gov.uk’ was deleted"), "{page}");
    assert!(!page.contains("help-desk@example.gov.uk (") && page.contains("team@example.gov.uk (default)"));
    // Every change is on the audit log.
    let audit = app.get(&format!("/services/{live}/api/audit"), Some(&s.cookie)).await.text();
    for line in [
        "Added the reply-to email address help@example.gov.uk",
        "Changed a reply-to email address to help-desk@example.gov.uk",
        "Deleted the reply-to email address help-desk@example.gov.uk",
    ] {
        assert!(audit.contains(line), "{line}");
    }
    // Without manage_service: the viewer may not see it at all (403).
    let viewer = app.sign_in(VIEWER).await;
    assert_eq!(app.get(&list(&live), Some(&viewer)).await.status, 403);
}

#[tokio::test]
async fn emails_use_the_reply_to_asked_for_or_the_default() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    without_demo_senders_and_texts(&app, &live).await;
    let trial = app.service_id("Example trial service").await;
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let key = make_key(&app, &live, "test", "Reply").await;
    let template = template_id(&app, &live, "email").await;
    let email = |reply_to: Option<&str>| {
        let mut body =
            json!({"email_address": "someone@example.com", "template_id": template, "personalisation": {"name": "A"}});
        if let Some(id) = reply_to {
            body["email_reply_to_id"] = json!(id);
        }
        body
    };
    // No address yet: none, and any id is refused in Notify's words.
    let (status, body) = send(&app, &live, &key, "email", email(None)).await;
    assert_eq!(status, 201);
    assert_eq!(stored_reply_to(&app, body["id"].as_str().unwrap()).await, None);
    let missing = uuid::Uuid::new_v4().to_string();
    let (status, body) = send(&app, &live, &key, "email", email(Some(&missing))).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["message"],
        format!("email_reply_to_id {missing} does not exist in database for service id {live}")
    );
    let (status, body) = send(&app, &live, &key, "email", email(Some("not-a-uuid"))).await;
    assert_eq!((status, body["errors"][0]["message"].as_str()), (400, Some("email_reply_to_id is not a valid UUID")));

    store::add_sender(&app.state.pool, &live, SenderKind::EmailReplyTo, "main@example.gov.uk", false, &admin_user.id)
        .await
        .unwrap()
        .unwrap();
    let other = store::add_sender(
        &app.state.pool,
        &live,
        SenderKind::EmailReplyTo,
        "other@example.gov.uk",
        false,
        &admin_user.id,
    )
    .await
    .unwrap()
    .unwrap();
    let elsewhere = store::add_sender(
        &app.state.pool,
        &trial,
        SenderKind::EmailReplyTo,
        "trial@example.gov.uk",
        false,
        &admin_user.id,
    )
    .await
    .unwrap()
    .unwrap();
    let (status, body) = send(&app, &live, &key, "email", email(None)).await;
    assert_eq!(status, 201);
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(stored_reply_to(&app, &id).await.as_deref(), Some("main@example.gov.uk"));
    // The message's page says which address replies go to.
    let signed = admin(&app).await;
    let page = app.get(&format!("/services/{live}/notification/{id}"), Some(&signed.cookie)).await.text();
    assert!(page.contains("Reply-to address main@example.gov.uk"), "{page}");
    let (status, body) = send(&app, &live, &key, "email", email(Some(&other))).await;
    assert_eq!(status, 201);
    assert_eq!(stored_reply_to(&app, body["id"].as_str().unwrap()).await.as_deref(), Some("other@example.gov.uk"));
    // Another service's id, and a deleted one, do not exist for this service.
    let (status, _) = send(&app, &live, &key, "email", email(Some(&elsewhere))).await;
    assert_eq!(status, 400);
    store::delete_sender(&app.state.pool, &live, SenderKind::EmailReplyTo, &other, &admin_user.id).await.unwrap();
    let (status, _) = send(&app, &live, &key, "email", email(Some(&other))).await;
    assert_eq!(status, 400, "deleted: refused on the very next request");
}

fn sms_list(service: &str) -> String {
    format!("/services/{service}/service-settings/sms-sender")
}

#[tokio::test]
async fn text_message_sender_ids_start_as_govuk_and_follow_notifys_rules() {
    let app = TestApp::spawn().await;
    // The trial service: the live one's inbound number is its default sender.
    let live = app.service_id("Example trial service").await;
    let s = admin(&app).await;
    let page = app.get(&sms_list(&live), Some(&s.cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Text message sender IDs"));
    assert!(page.text().contains("GOVUK (default)"), "every service starts with GOVUK: {}", page.text());
    let add = format!("{}/add", sms_list(&live));
    for (typed, message) in [
        ("", "Enter a text message sender ID"),
        ("ab", "Text message sender ID must be at least 3 characters long"),
        (
            "Verify",
            "Text message sender ID cannot be Alert, Info or Verify as those are prohibited due to usage by spam",
        ),
        ("12345", "A numeric sender id should be a valid mobile number or short code"),
    ] {
        let page = app.post(&add, Some(&s.cookie), &[("csrf_token", &s.csrf), ("sms_sender", typed)]).await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains(message), "{typed:?}: {}", page.text());
    }
    let made =
        app.post(&add, Some(&s.cookie), &[("csrf_token", &s.csrf), ("sms_sender", "DVLA"), ("is_default", "y")]).await;
    assert_eq!(made.status, 302);
    let senders = store::senders(&app.state.pool, &live, SenderKind::SmsSender).await.unwrap();
    assert_eq!(
        senders.iter().map(|s| (s.value.as_str(), s.is_default)).collect::<Vec<_>>(),
        [("DVLA", true), ("GOVUK", false)]
    );
    let govuk = senders[1].id.clone();

    // The API: the default's name as `from_number`, or the one asked for.
    let key = make_key(&app, &live, "test", "Texts").await;
    let template = template_id(&app, &live, "sms").await;
    let text = |sender: Option<&str>| {
        let mut body =
            json!({"phone_number": "07700900123", "template_id": template, "personalisation": {"name": "A"}});
        if let Some(id) = sender {
            body["sms_sender_id"] = json!(id);
        }
        body
    };
    let (status, body) = send(&app, &live, &key, "sms", text(None)).await;
    assert_eq!((status, body["content"]["from_number"].as_str()), (201, Some("DVLA")));
    let page =
        app.get(&format!("/services/{live}/notification/{}", body["id"].as_str().unwrap()), Some(&s.cookie)).await;
    assert!(page.text().contains("Sender DVLA"), "{}", page.text());
    assert_eq!(stored_reply_to(&app, body["id"].as_str().unwrap()).await.as_deref(), Some("DVLA"));
    let (status, body) = send(&app, &live, &key, "sms", text(Some(&govuk))).await;
    assert_eq!((status, body["content"]["from_number"].as_str()), (201, Some("GOVUK")));
    let missing = uuid::Uuid::new_v4().to_string();
    let (status, body) = send(&app, &live, &key, "sms", text(Some(&missing))).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["message"],
        format!("sms_sender_id {missing} does not exist in database for service id {live}")
    );
    // A reply-to id is not a sender id.
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let reply_to =
        store::add_sender(&app.state.pool, &live, SenderKind::EmailReplyTo, "x@example.gov.uk", false, &admin_user.id)
            .await
            .unwrap()
            .unwrap();
    let (status, _) = send(&app, &live, &key, "sms", text(Some(&reply_to))).await;
    assert_eq!(status, 400);
    // Deleting the one that is not the default.
    let deleted =
        app.post(&format!("{}/{govuk}/delete", sms_list(&live)), Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    assert_eq!(deleted.status, 302);
    assert!(app.get(&sms_list(&live), Some(&s.cookie)).await.text().contains("‘GOVUK’ was deleted"));
}

#[tokio::test]
async fn sender_addresses_for_letters_may_be_blank_and_show_on_letter_templates() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    without_demo_senders_and_texts(&app, &live).await;
    let s = admin(&app).await;
    let list = format!("/services/{live}/service-settings/letter-contacts");
    let page = app.get(&list, Some(&s.cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Sender addresses"));
    assert!(page.text().contains("Blank (default)"), "{}", page.text());

    let key = make_key(&app, &live, "test", "Letters").await;
    let letter = template_id(&app, &live, "letter").await;
    let email = template_id(&app, &live, "email").await;
    let contact_block = |template: String| {
        let app = &app;
        let (live, secret) = (live.clone(), key.secret().to_string());
        async move {
            let r = app
                .client
                .get(format!("{}/v2/template/{template}", app.base))
                .header("authorization", format!("Bearer {}", token(&live, &secret)))
                .send()
                .await
                .unwrap();
            r.json::<serde_json::Value>().await.unwrap()["letter_contact_block"].clone()
        }
    };
    assert_eq!(contact_block(letter.clone()).await, serde_json::Value::Null);

    let add = format!("/services/{live}/service-settings/letter-contact/add");
    let eleven = ["A line"; 11].join("\r\n");
    let page = app.post(&add, Some(&s.cookie), &[("csrf_token", &s.csrf), ("letter_contact_block", &eleven)]).await;
    assert!(
        page.text().contains("This address is 11 lines long - the most you can have is 10 lines"),
        "{} {}",
        page.status,
        page.text()
    );
    let page = app.post(&add, Some(&s.cookie), &[("csrf_token", &s.csrf), ("letter_contact_block", "")]).await;
    assert!(page.text().contains("Enter a sender address"));
    let block = "Example Council\r\n1 High Street\r\nTown\r\nAB1 2CD";
    let added = app.post(&add, Some(&s.cookie), &[("csrf_token", &s.csrf), ("letter_contact_block", block)]).await;
    assert_eq!(added.status, 302);
    assert_eq!(added.location(), list);
    let page = app.get(&list, Some(&s.cookie)).await;
    let at = page.body.find("Example Council").expect("listed");
    assert!(page.body[at..].starts_with("Example Council<br>1 High Street<br>"), "{}", &page.body[at..at + 80]);
    assert!(!page.text().contains("Blank (default)"), "the first address is the default");
    // A template has the contact block it chose, not the service's default.
    assert_eq!(contact_block(letter.clone()).await, serde_json::Value::Null);
    let id = store::senders(&app.state.pool, &live, SenderKind::LetterContact).await.unwrap()[0].id.clone();
    let choose = format!("/services/{live}/templates/{letter}/set-template-sender");
    let chosen = app.post(&choose, Some(&s.cookie), &[("csrf_token", &s.csrf), ("sender", &id)]).await;
    assert_eq!(chosen.status, 302);
    assert_eq!(contact_block(letter.clone()).await, json!("Example Council\n1 High Street\nTown\nAB1 2CD"));
    assert_eq!(contact_block(email).await, serde_json::Value::Null, "only letters have one");

    // Blank made the default again (a POST with the token, unlike Notify's
    // link): the template keeps its own.
    let blank = format!("/services/{live}/service-settings/letter-contact/make-blank-default");
    assert_eq!(app.post(&blank, Some(&s.cookie), &[]).await.status, 403);
    assert_eq!(app.post(&blank, Some(&s.cookie), &[("csrf_token", &s.csrf)]).await.status, 302);
    assert!(app.get(&list, Some(&s.cookie)).await.text().contains("Blank (default)"));
    assert_eq!(contact_block(letter.clone()).await, json!("Example Council\n1 High Street\nTown\nAB1 2CD"));

    // The default can be deleted here (letters then have none).
    let id = store::senders(&app.state.pool, &live, SenderKind::LetterContact).await.unwrap()[0].id.clone();
    let edit = format!("/services/{live}/service-settings/letter-contact/{id}/edit");
    let made = app
        .post(&edit, Some(&s.cookie), &[("csrf_token", &s.csrf), ("letter_contact_block", block), ("is_default", "y")])
        .await;
    assert_eq!(made.status, 302);
    let text = app.get(&edit, Some(&s.cookie)).await.text();
    assert!(text.contains("This is currently your default address for Example live service."), "{text}");
    assert!(text.contains("Delete"));
    let deleted = app
        .post(
            &format!("/services/{live}/service-settings/letter-contact/{id}/delete"),
            Some(&s.cookie),
            &[("csrf_token", &s.csrf)],
        )
        .await;
    assert_eq!(deleted.status, 302);
    assert!(app.get(&list, Some(&s.cookie)).await.text().contains("Blank (default)"));
    // Deleted, it leaves the template (whose versions keep their choice).
    assert_eq!(contact_block(letter.clone()).await, serde_json::Value::Null);
}
