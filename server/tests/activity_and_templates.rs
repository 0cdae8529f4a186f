//! The hub's message log, the notification page and the templates pages.

mod common;
use common::*;
use serde_json::json;

async fn email_template(app: &TestApp, service_id: &str) -> String {
    app::ssr::store::list_templates(&app.state.pool, service_id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.template_type == app::domain::TemplateType::Email)
        .unwrap()
        .id
}

#[tokio::test]
async fn the_message_log_lists_api_messages_newest_first_with_details() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Log key").await;
    let template = email_template(&app, &live).await;
    let admin = app.sign_in(ADMIN).await;
    let empty = app.get(&format!("/services/{live}/api"), Some(&admin)).await;
    assert!(empty
        .text()
        .contains("When you send messages via the API they’ll appear here. Notify deletes messages after 7 days."));

    let (s, first) = send(&app, &live, &key, "email", json!({"email_address": "first@example.com", "template_id": template, "personalisation": {"name": "A"}, "reference": "my-ref"})).await;
    assert_eq!(s, 201);
    let (_, second) = send(
        &app,
        &live,
        &key,
        "email",
        json!({"email_address": "second@example.com", "template_id": template, "personalisation": {"name": "B"}}),
    )
    .await;
    let page = app.get(&format!("/services/{live}/api"), Some(&admin)).await;
    let text = page.text();
    let (a, b) = (
        text.find("second@example.com Log key just now").unwrap(),
        text.find("first@example.com Log key just now").unwrap(),
    );
    assert!(a < b, "newest first");
    assert!(text.contains(&format!("id: {}", first["id"].as_str().unwrap())));
    assert!(text.contains("client_reference: my-ref"));
    assert!(text.contains("notification_type: email"));
    assert!(page.body.contains(&format!("href=\"/services/{live}/notification/{}\"", second["id"].as_str().unwrap())));
    assert!(text.contains("View email"));
    assert!(page.body.contains("data-notify-module=\"update-relative-time\""));
    assert!(text.contains("Notify deletes messages after 7 days."));
    assert!(!text.contains("Only showing the first 50 messages."));
}

#[tokio::test]
async fn the_log_stops_at_fifty_and_says_so() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Bulk").await;
    let template = email_template(&app, &live).await;
    for i in 0..51 {
        let (s, _) = send(&app, &live, &key, "email", json!({"email_address": format!("p{i}@example.com"), "template_id": template, "personalisation": {"name": "x"}})).await;
        assert_eq!(s, 201);
    }
    let admin = app.sign_in(ADMIN).await;
    let page = app.get(&format!("/services/{live}/api"), Some(&admin)).await;
    assert_eq!(page.body.matches("<details class=\"govuk-details").count(), 50);
    assert!(page.text().contains("Only showing the first 50 messages. Notify deletes messages after 7 days."));
    assert!(!page.text().contains("p0@example.com"), "the oldest is not shown");
}

#[tokio::test]
async fn the_notification_page_shows_the_message_to_those_who_may_see_it() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "team", "Team key").await;
    let template = email_template(&app, &live).await;
    let (s, sent) = send(
        &app,
        &live,
        &key,
        "email",
        json!({"email_address": ADMIN, "template_id": template, "personalisation": {"name": "Ada"}}),
    )
    .await;
    assert_eq!(s, 201);
    let path = format!("/services/{live}/notification/{}", sent["id"].as_str().unwrap());
    // The embedded outbox delivers within a moment.
    let viewer = app.sign_in(VIEWER).await;
    let mut page = app.get(&path, Some(&viewer)).await;
    for _ in 0..50 {
        if page.text().contains("Status Delivered") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = app.get(&path, Some(&viewer)).await;
    }
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains(&format!("Email to {ADMIN}")));
    assert!(text.contains("Status Delivered"));
    assert!(text.contains("Sent with API key ‘Team key’"));
    assert!(text.contains("Your appointment, Ada"));
    assert!(text.contains("Dear Ada,"));
    assert!(text.contains("Delivered to the built-in outbox"));
    // The viewer may read it but not manage API keys.
    assert_eq!(app.get(&format!("/services/{live}/api"), Some(&viewer)).await.status, 403);
    let outsider = app.sign_in(OUTSIDER).await;
    assert_eq!(app.get(&path, Some(&outsider)).await.status, 404);
    let trial = app.service_id("Example trial service").await;
    let admin = app.sign_in(ADMIN).await;
    assert_eq!(
        app.get(&format!("/services/{trial}/notification/{}", sent["id"].as_str().unwrap()), Some(&admin)).await.status,
        404
    );
    // A member with neither view_activity nor send_messages gets 403.
    on_db!(app.state.pool, |db| sqlx::query(
        "DELETE FROM user_service_permissions WHERE permission IN ('view_activity', 'send_messages')"
    )
    .execute(db)
    .await
    .unwrap()
    .rows_affected());
    assert_eq!(app.get(&path, Some(&admin)).await.status, 403);
}

#[tokio::test]
async fn templates_are_listed_created_and_edited_into_new_versions() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let admin = app.sign_in(ADMIN).await;
    let csrf = app.get("/your-services", Some(&admin)).await.csrf_token();
    let list = app.get(&format!("/services/{live}/templates"), Some(&admin)).await;
    assert_eq!(list.status, 200);
    assert!(list.text().contains("Appointment reminder email Email template 1"));

    let new = format!("/services/{live}/templates/new");
    let page = app
        .post(
            &new,
            Some(&admin),
            &[
                ("csrf_token", &csrf),
                ("template_type", "email"),
                ("name", ""),
                ("subject", ""),
                ("template_content", " "),
            ],
        )
        .await;
    let text = page.text();
    assert!(text.contains("There is a problem"));
    assert!(text.contains("Enter a name for this template"));
    assert!(text.contains("Enter a subject line"));
    assert!(text.contains("Enter the message"));
    let page = app.post(&new, Some(&admin), &[("csrf_token", &csrf), ("name", "x"), ("template_content", "y")]).await;
    assert!(page.text().contains("Select a type of template"));

    let saved = app
        .post(
            &new,
            Some(&admin),
            &[
                ("csrf_token", &csrf),
                ("template_type", "sms"),
                ("name", "Code"),
                ("subject", "ignored"),
                ("template_content", "Your code is ((code))"),
            ],
        )
        .await;
    assert_eq!(saved.status, 302);
    let list = app.get(&format!("/services/{live}/templates"), Some(&admin)).await;
    assert!(list.text().contains("‘Code’ was saved"));
    let code = app::ssr::store::list_templates(&app.state.pool, &live)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "Code")
        .unwrap();
    assert_eq!((code.subject.clone(), code.version), (None, 1));

    let edit = format!("/services/{live}/templates/{}", code.id);
    let form = app.get(&edit, Some(&admin)).await;
    assert!(form.body.contains("Your code is ((code))</textarea>"));
    let saved = app
        .post(
            &edit,
            Some(&admin),
            &[("csrf_token", &csrf), ("name", "Code"), ("template_content", "Your new code is ((code))")],
        )
        .await;
    assert_eq!(saved.status, 302);
    let v2 = app::ssr::store::get_template(&app.state.pool, &live, &code.id).await.unwrap().unwrap();
    assert_eq!((v2.version, v2.content.as_str(), v2.template_type.as_str()), (2, "Your new code is ((code))", "sms"));
    assert!(app::ssr::store::get_template_version(&app.state.pool, &live, &code.id, 1).await.unwrap().is_some());

    // Another service's template is not found; a viewer may not manage templates.
    let trial = app.service_id("Example trial service").await;
    assert_eq!(app.get(&format!("/services/{trial}/templates/{}", code.id), Some(&admin)).await.status, 404);
    let viewer = app.sign_in(VIEWER).await;
    assert_eq!(app.get(&format!("/services/{live}/templates"), Some(&viewer)).await.status, 403);
    let forged =
        app.post(&edit, Some(&admin), &[("csrf_token", "x"), ("name", "Hacked"), ("template_content", "x")]).await;
    assert_eq!(forged.status, 403);
}

#[tokio::test]
async fn the_message_log_server_function_is_checked_like_the_hub() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Live log").await;
    let call = |cookie: Option<String>, service: String| {
        let mut req = app.client.get(format!("{}/_fn/message-log?service_id={service}", app.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(call(None, live.clone()).await.0, 401);
    let outsider = app.sign_in(OUTSIDER).await;
    assert_eq!(call(Some(outsider), live.clone()).await.0, 404);
    let viewer = app.sign_in(VIEWER).await;
    assert_eq!(call(Some(viewer), live.clone()).await.0, 403);
    let admin = app.sign_in(ADMIN).await;
    assert_eq!(call(Some(admin.clone()), "not-a-uuid".into()).await.0, 404);

    let (status, body) = call(Some(admin.clone()), live.clone()).await;
    assert_eq!(status, 200);
    let empty: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(empty["items"].as_array().unwrap().len(), 0);
    let template = email_template(&app, &live).await;
    let (s, sent) = send(
        &app,
        &live,
        &key,
        "email",
        json!({"email_address": "ada@example.com", "template_id": template, "personalisation": {"name": "Ada"}}),
    )
    .await;
    assert_eq!(s, 201);
    let (_, body) = call(Some(admin), live).await;
    let log: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(log["items"][0]["id"], sent["id"]);
    assert_eq!(log["items"][0]["key_name"], "Live log");
}
