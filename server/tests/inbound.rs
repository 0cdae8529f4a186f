//! Received text messages: the provider's endpoint (Firetext's shape, Basic
//! authentication), the inbox page, `GET /v2/received-text-messages` with
//! `older_than` paging, and the `inbound_sms` callback queued.

mod common;

use app::ssr::store;
use common::*;
use serde_json::Value;

const PASSWORD_FOR_PROVIDER: &str = "a-provider-password-for-tests";

async fn provider_post(app: &TestApp, auth: Option<(&str, &str)>, form: &[(&str, &str)]) -> u16 {
    use base64::Engine;
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut req = app
        .client
        .post(format!("{}/notifications/sms/receive/firetext", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some((user, password)) = auth {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        req = req.header("authorization", format!("Basic {encoded}"));
    }
    req.send().await.unwrap().status().as_u16()
}

async fn received(app: &TestApp, service: &str, secret: &str, query: &str) -> Value {
    app.client
        .get(format!("{}/v2/received-text-messages{query}", app.base))
        .header("authorization", format!("Bearer {}", token(service, secret)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn texts_to_a_services_number_reach_its_inbox_the_api_and_its_callback() {
    let app = TestApp::spawn_with(&[("NOTIFY_INBOUND_SMS_PASSWORD", PASSWORD_FOR_PROVIDER)]).await;
    let live = app.service_id("Example live service").await;
    without_demo_senders_and_texts(&app, &live).await;
    assert_eq!(store::inbound_number(&app.state.pool, &live).await.unwrap().as_deref(), Some("07700900500"));
    let text = [
        ("source", "447700900111"),
        ("destination", "447700900500"),
        ("message", "Can I change my appointment?"),
        ("time", "2026-11-29 10:00:00"),
    ];
    // The provider's credentials, or nothing.
    assert_eq!(provider_post(&app, None, &text).await, 401);
    assert_eq!(provider_post(&app, Some(("notify", "wrong")), &text).await, 403);
    assert_eq!(provider_post(&app, Some(("someone", PASSWORD_FOR_PROVIDER)), &text).await, 403);
    assert_eq!(provider_post(&app, Some(("notify", PASSWORD_FOR_PROVIDER)), &[("source", "447700900111")]).await, 400);
    // A callback is set, so the text is queued for it.
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    let token_sealed = app.state.secrets.seal(
        "a-long-enough-token",
        app::ssr::secrets::SealedFor::CallbackToken { service_id: &live, callback_type: "inbound_sms" },
    );
    store::save_callback(
        &app.state.pool,
        &live,
        app::domain::CallbackKind::ReceivedTextMessages,
        store::CallbackSettings {
            url: "https://example.gov.uk/inbound",
            bearer_token_ciphertext: &token_sealed,
            new_signing_secret_ciphertext: None,
        },
        store::Audit { user_id: Some(&admin_user.id), description: "Set the callback" },
    )
    .await
    .unwrap();
    assert_eq!(provider_post(&app, Some(("notify", PASSWORD_FOR_PROVIDER)), &text).await, 200);
    // A number nobody has: the provider is told it arrived; nothing is kept.
    let stray = [("source", "447700900111"), ("destination", "447700900999"), ("message", "Hello?")];
    assert_eq!(provider_post(&app, Some(("notify", PASSWORD_FOR_PROVIDER)), &stray).await, 200);

    let key = make_key(&app, &live, "test", "Inbound").await;
    let page = received(&app, &live, key.secret(), "").await;
    let texts = page["received_text_messages"].as_array().unwrap();
    assert_eq!(texts.len(), 1);
    let first = &texts[0];
    assert_eq!(first["content"], "Can I change my appointment?");
    assert_eq!(first["user_number"], "447700900111");
    assert_eq!(first["notify_number"], "07700900500");
    assert_eq!(first["service_id"], live);
    let mut keys: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["content", "created_at", "id", "notify_number", "service_id", "user_number"],
        "Notify's fields, no more"
    );
    let (event_payload,): (String,) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT payload FROM callback_events WHERE callback_type = 'inbound_sms'"
    )
    .fetch_one(db)
    .await
    .unwrap());
    let event: Value = serde_json::from_str(&event_payload).unwrap();
    assert_eq!((event["id"].clone(), event["source_number"].clone()), (first["id"].clone(), "447700900111".into()));

    // Another service sees none of them.
    let trial = app.service_id("Example trial service").await;
    let other = make_key(&app, &trial, "test", "Other").await;
    assert_eq!(received(&app, &trial, other.secret(), "").await["received_text_messages"], serde_json::json!([]));

    // The inbox page, for those who can see activity.
    let viewer = app.sign_in(VIEWER).await;
    let inbox = app.get(&format!("/services/{live}/inbox"), Some(&viewer)).await;
    assert_eq!(inbox.status, 200);
    assert!(inbox.text().contains("People can text 07700900500 to reach your service."));
    assert!(inbox.text().contains("Can I change my appointment?"));
    let outsider = app.sign_in(OUTSIDER).await;
    assert_eq!(app.get(&format!("/services/{live}/inbox"), Some(&outsider)).await.status, 404);
}

#[tokio::test]
async fn received_texts_page_back_with_older_than() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    without_demo_senders_and_texts(&app, &live).await;
    for i in 0..5 {
        store::receive_text(&app.state.pool, "07700900500", "447700900111", &format!("text {i}"), None, None)
            .await
            .unwrap()
            .unwrap();
    }
    let key = make_key(&app, &live, "test", "Paging").await;
    let page = received(&app, &live, key.secret(), "").await;
    let contents: Vec<&str> =
        page["received_text_messages"].as_array().unwrap().iter().map(|t| t["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["text 4", "text 3", "text 2", "text 1", "text 0"], "newest first");
    let third = page["received_text_messages"][2]["id"].as_str().unwrap().to_string();
    assert!(page["links"]["next"]
        .as_str()
        .unwrap()
        .ends_with(&format!("older_than={}", page["received_text_messages"][4]["id"].as_str().unwrap())));
    let older = received(&app, &live, key.secret(), &format!("?older_than={third}")).await;
    let contents: Vec<&str> =
        older["received_text_messages"].as_array().unwrap().iter().map(|t| t["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["text 1", "text 0"]);
    let last = older["received_text_messages"][1]["id"].as_str().unwrap().to_string();
    let none = received(&app, &live, key.secret(), &format!("?older_than={last}")).await;
    assert_eq!(none["received_text_messages"], serde_json::json!([]));
    assert!(none["links"].get("next").is_none(), "no next link after the last page");
    let bad = received(&app, &live, key.secret(), "?older_than=nope").await;
    assert_eq!(bad["errors"][0]["message"], "older_than is not a valid UUID");
    // The inbound number is the service's default text message sender.
    let senders = store::senders(&app.state.pool, &live, app::domain::senders::SenderKind::SmsSender).await.unwrap();
    assert!(senders.iter().any(|s| s.value == "07700900500" && s.is_default), "{senders:?}");
}

#[tokio::test]
async fn field_lengths_are_counted_in_characters_as_the_description_says() {
    let app = TestApp::spawn_with(&[("NOTIFY_INBOUND_SMS_PASSWORD", PASSWORD_FOR_PROVIDER)]).await;
    let auth = Some(("notify", PASSWORD_FOR_PROVIDER));
    // 32 characters of two bytes each: within the 32 the description allows.
    let wide = "é".repeat(32);
    let text = [("source", wide.as_str()), ("destination", wide.as_str()), ("message", "Hello")];
    assert_eq!(provider_post(&app, auth, &text).await, 200);
    let too_long = "7".repeat(33);
    let text = [("source", too_long.as_str()), ("destination", "447700900500"), ("message", "Hello")];
    assert_eq!(provider_post(&app, auth, &text).await, 400);
}
