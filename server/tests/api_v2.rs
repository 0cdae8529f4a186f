//! The public v2 API: every status code each route can answer, with
//! Notify's bodies, against the real router on a fresh database.

mod common;
use app::ssr::{clock, jwt, store};
use common::*;
use serde_json::{json, Value};

struct Api<'a> {
    app: &'a TestApp,
}

impl Api<'_> {
    async fn call(&self, method: &str, path: &str, auth: Option<String>, body: Option<&str>) -> (u16, Value) {
        let url = format!("{}{path}", self.app.base);
        let mut req = match method {
            "POST" => self.app.client.post(url),
            _ => self.app.client.get(url),
        };
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

fn error_of(body: &Value) -> (String, String) {
    let e = &body["errors"][0];
    (e["error"].as_str().unwrap_or("").to_string(), e["message"].as_str().unwrap_or("").to_string())
}

fn assert_auth_error(status: u16, body: &Value, expected_status: u16, message: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["status_code"], expected_status);
    assert_eq!(error_of(body), ("AuthError".to_string(), message.to_string()));
}

#[tokio::test]
async fn every_authentication_failure_answers_notifys_error() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let trial = app.service_id("Example trial service").await;
    let path = "/v2/templates";

    let (s, b) = api.call("GET", path, None, None).await;
    assert_auth_error(s, &b, 401, "Unauthorized: authentication token must be provided");
    let (s, b) = api.call("GET", path, Some("Basic abc".into()), None).await;
    assert_auth_error(s, &b, 401, "Unauthorized: authentication bearer scheme must be used");
    let (s, b) = api.call("GET", path, Some("Bearer not-a-jwt".into()), None).await;
    assert_auth_error(s, &b, 403, server::api_v2::auth::GENERAL_TOKEN_ERROR);
    let (s, b) = api.call("GET", path, Some(format!("Bearer {}", jwt::sign(&json!({"iat": now()}), "x"))), None).await;
    assert_auth_error(s, &b, 403, "Invalid token: iss field not provided");
    let (s, b) = api.call("GET", path, Some(format!("Bearer {}", token("not-a-uuid", "x"))), None).await;
    assert_auth_error(s, &b, 403, "Invalid token: service id is not the right data type");
    let (s, b) =
        api.call("GET", path, Some(format!("Bearer {}", token(&uuid::Uuid::new_v4().to_string(), "x"))), None).await;
    assert_auth_error(s, &b, 403, "Invalid token: service not found");
    let (s, b) = api.call("GET", path, Some(format!("Bearer {}", token(&trial, "x"))), None).await;
    assert_auth_error(s, &b, 403, "Invalid token: service has no API keys");

    let key = make_key(&app, &live, "test", "auth key").await;
    let (s, _) = api.call("GET", path, Some(format!("Bearer {}", token(&live, key.secret()))), None).await;
    assert_eq!(s, 200);
    let (s, _) = api.call("GET", path, Some(format!("bearer {}", token(&live, key.secret()))), None).await;
    assert_eq!(s, 200, "the scheme is case-insensitive");
    let (s, b) = api
        .call("GET", path, Some(format!("Bearer {}", token(&live, "0123456789abcdefghij0123456789abcdef"))), None)
        .await;
    assert_auth_error(s, &b, 403, "Invalid token: API key not found");
    for skew in [-31, 31] {
        let t = jwt::sign(&json!({"iss": live, "iat": now() + skew}), key.secret());
        let (s, b) = api.call("GET", path, Some(format!("Bearer {t}")), None).await;
        assert_auth_error(s, &b, 403, "Error: Your system clock must be accurate to within 30 seconds");
    }
    // A token whose header names another algorithm.
    let good = token(&live, key.secret());
    let mut parts: Vec<&str> = good.split('.').collect();
    let hs512 = base64_url(br#"{"typ":"JWT","alg":"HS512"}"#);
    parts[0] = &hs512;
    let (s, b) = api.call("GET", path, Some(format!("Bearer {}", parts.join("."))), None).await;
    assert_auth_error(s, &b, 403, "Invalid token: algorithm used is not HS256");

    // ApiKey-v1 with the whole key or the secret; a typo is refused.
    let (s, _) = api.call("GET", path, Some(format!("ApiKey-v1 {}", key.whole)), None).await;
    assert_eq!(s, 200);
    let (s, _) = api.call("GET", path, Some(format!("ApiKey-v1 {}", key.secret())), None).await;
    assert_eq!(s, 200);
    let mut typo = key.whole.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == 'a' { 'b' } else { 'a' });
    let (s, b) = api.call("GET", path, Some(format!("ApiKey-v1 {typo}")), None).await;
    assert_auth_error(s, &b, 403, "Invalid token: API key not found");

    // Revoked: refused on the very next request, by both schemes.
    let admin = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    store::revoke_api_key(&app.state.pool, &live, &key.id, Some(&admin.id)).await.unwrap();
    let (s, b) = api.call("GET", path, Some(format!("Bearer {}", token(&live, key.secret()))), None).await;
    assert_auth_error(s, &b, 403, "Invalid token: API key revoked");
    let (s, b) = api.call("GET", path, Some(format!("ApiKey-v1 {}", key.whole)), None).await;
    assert_auth_error(s, &b, 403, "Invalid token: API key revoked");
    // Revoked more than 7 days ago: not found any more.
    let long_ago = clock::ago(time::Duration::days(8));
    store::set_api_key_expiry(&app.state.pool, &live, &key.id, Some(long_ago)).await.unwrap();
    let other = make_key(&app, &live, "test", "another key").await;
    let (s, b) = api.call("GET", path, Some(format!("Bearer {}", token(&live, key.secret()))), None).await;
    assert_auth_error(s, &b, 403, "Invalid token: API key not found");
    let (s, b) = api.call("GET", path, Some(format!("ApiKey-v1 {}", key.whole)), None).await;
    assert_auth_error(s, &b, 403, "Invalid token: API key not found");

    // An archived service.
    store::set_service_active(&app.state.pool, &live, false).await.unwrap();
    let (s, b) = api.call("GET", path, Some(format!("Bearer {}", token(&live, other.secret()))), None).await;
    assert_auth_error(s, &b, 403, "Invalid token: service is archived");
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn sending_an_email_with_a_test_key_is_stored_first_and_delivered_soon() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "test key").await;
    let template = template_id(&app, &live, "email").await;
    let body = json!({"email_address": "anyone@example.com", "template_id": template, "personalisation": {"name": "Ada"}, "reference": "ref-1"});
    let (s, b) = api
        .call(
            "POST",
            "/v2/notifications/email",
            Some(format!("Bearer {}", token(&live, key.secret()))),
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    assert_eq!(b["reference"], "ref-1");
    assert_eq!(b["content"]["subject"], "Your appointment, Ada");
    assert!(b["content"]["body"].as_str().unwrap().starts_with("Dear Ada,"));
    assert_eq!(b["uri"], format!("{}/v2/notifications/{id}", app.state.config.base_url));
    assert_eq!(b["template"]["id"], template);
    assert_eq!(b["template"]["version"], 1);
    assert_eq!(b["sanitised_content"], json!({}), "the clients' schemas require it");
    assert!(store::get_notification(&app.state.pool, &live, &id).await.unwrap().is_some(), "stored before the 201");

    // The delivery worker moves it to delivered within a second or two.
    let mut status = String::new();
    for _ in 0..40 {
        let (_, n) = api
            .call(
                "GET",
                &format!("/v2/notifications/{id}"),
                Some(format!("Bearer {}", token(&live, key.secret()))),
                None,
            )
            .await;
        status = n["status"].as_str().unwrap().to_string();
        if status == "delivered" {
            assert_eq!(n["email_address"], "anyone@example.com");
            assert_eq!(n["type"], "email");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "delivered");
}

#[tokio::test]
async fn each_sending_refusal_answers_notifys_status_and_message() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let trial = app.service_id("Example trial service").await;
    let test_key = make_key(&app, &live, "test", "t").await;
    let team_key = make_key(&app, &live, "team", "team").await;
    // A live key of a service that went back into trial mode after making it.
    store::set_restricted(&app.state.pool, &trial, false).await.unwrap();
    let trial_live = make_key(&app, &trial, "normal", "trial live").await;
    store::set_restricted(&app.state.pool, &trial, true).await.unwrap();
    let email_t = template_id(&app, &live, "email").await;
    let sms_t = template_id(&app, &live, "sms").await;
    let letter_t = template_id(&app, &live, "letter").await;
    let trial_email_t = template_id(&app, &trial, "email").await;
    let auth = |svc: &str, k: &Key| Some(format!("Bearer {}", token(svc, k.secret())));

    // (channel, authorization, body, status, error, message)
    type Case<'a> = (&'a str, Option<String>, String, u16, &'a str, String);
    let cases: Vec<Case> = vec![
        ("email", auth(&live, &test_key), "{not json".into(), 400, "BadRequestError", "Invalid JSON supplied in POST data".into()),
        ("email", auth(&live, &test_key), json!({"template_id": email_t}).to_string(), 400, "ValidationError", "email_address is a required property".into()),
        ("email", auth(&live, &test_key), json!({"email_address": "a@b.gov.uk", "template_id": "x"}).to_string(), 400, "ValidationError", "template_id is not a valid UUID".into()),
        ("email", auth(&live, &test_key), json!({"email_address": "a@b.gov.uk", "template_id": email_t, "colour": 1}).to_string(), 400, "ValidationError", "Additional properties are not allowed (colour was unexpected)".into()),
        ("email", auth(&live, &test_key), json!({"email_address": "a@b.gov.uk", "template_id": uuid::Uuid::new_v4()}).to_string(), 400, "BadRequestError", "Template not found".into()),
        ("email", auth(&live, &test_key), json!({"email_address": "a@b.gov.uk", "template_id": sms_t, "personalisation": {"name": "x"}}).to_string(), 400, "BadRequestError", "sms template is not suitable for email notification".into()),
        ("email", auth(&live, &test_key), json!({"email_address": "a@b.gov.uk", "template_id": email_t}).to_string(), 400, "BadRequestError", "Missing personalisation: name".into()),
        ("email", auth(&live, &test_key), json!({"email_address": "not an email", "template_id": email_t, "personalisation": {"name": "x"}}).to_string(), 400, "ValidationError", "email_address Not a valid email address".into()),
        ("sms", auth(&live, &test_key), json!({"phone_number": "0770090012", "template_id": sms_t, "personalisation": {"name": "x"}}).to_string(), 400, "ValidationError", "phone_number Not enough digits".into()),
        ("email", auth(&live, &team_key), json!({"email_address": "stranger@example.com", "template_id": email_t, "personalisation": {"name": "x"}}).to_string(), 400, "BadRequestError", "Can’t send to this recipient using a team-only API key".into()),
        ("email", auth(&trial, &trial_live), json!({"email_address": "stranger@example.com", "template_id": trial_email_t, "personalisation": {"name": "x"}}).to_string(), 400, "BadRequestError", "Can’t send to this recipient when service is in trial mode – see https://www.notifications.service.gov.uk/trial-mode".into()),
        ("letter", auth(&live, &team_key), json!({"template_id": letter_t, "personalisation": {"name": "x", "address_line_1": "A", "address_line_2": "B", "address_line_3": "SW1A 1AA"}}).to_string(), 403, "BadRequestError", "Cannot send letters with a team api key".into()),
        ("letter", auth(&trial, &trial_live), json!({"template_id": trial_email_t, "personalisation": {}}).to_string(), 400, "BadRequestError", "Service is not allowed to send letters".into()),
        ("letter", auth(&live, &test_key), json!({"reference": "x", "content": "abc"}).to_string(), 400, "BadRequestError", "Cannot decode letter content (invalid base64 encoding)".into()),
        ("letter", auth(&live, &test_key), json!({"template_id": letter_t, "personalisation": {"name": "x", "address_line_1": "A"}}).to_string(), 400, "ValidationError", "Address must be at least 3 lines".into()),
        ("letter", auth(&live, &test_key), json!({"template_id": letter_t, "personalisation": {"name": "x", "address_line_1": "A", "postcode": "SW1A 1AA"}}).to_string(), 400, "ValidationError", "Address must be at least 3 lines".into()),
    ];
    for (channel, auth, body, status, error, message) in cases {
        let (s, b) = api.call("POST", &format!("/v2/notifications/{channel}"), auth, Some(&body)).await;
        assert_eq!(s, status, "{body} -> {b}");
        assert_eq!(b["status_code"], status);
        assert_eq!(error_of(&b), (error.to_string(), message), "{body}");
    }
    let (n,): (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT COUNT(*) FROM notifications").fetch_one(db).await.unwrap());
    assert_eq!(n, 0, "nothing refused is stored");

    // A live key in a trial service may not send letters.
    let mut permissions = store::service_permissions(&app.state.pool, &trial).await.unwrap();
    permissions.push(app::domain::ServicePermission::Letter);
    store::set_service_permissions(&app.state.pool, &trial, &permissions).await.unwrap();
    let trial_letter = store::create_template(
        &app.state.pool,
        store::NewTemplate {
            service_id: &trial,
            name: "l",
            template_type: app::domain::TemplateType::Letter,
            subject: Some("s"),
            content: "b",
            created_by: None,
            letter_contact_id: None,
        },
    )
    .await
    .unwrap();
    let (s, b) = api
        .call("POST", "/v2/notifications/letter", auth(&trial, &trial_live), Some(&json!({"template_id": trial_letter, "personalisation": {"address_line_1": "A", "address_line_2": "B", "address_line_3": "C"}}).to_string()))
        .await;
    assert_eq!(s, 403);
    assert_eq!(error_of(&b).1, "Cannot send letters when service is in trial mode");
}

#[tokio::test]
async fn team_keys_reach_the_team_and_guests_and_live_keys_anyone() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let team = make_key(&app, &live, "team", "team").await;
    let normal = make_key(&app, &live, "normal", "live").await;
    let sms_t = template_id(&app, &live, "sms").await;
    let api = &api;
    let send = |k: &Key, to: &str| {
        let body = json!({"phone_number": to, "template_id": sms_t, "personalisation": {"name": "x"}}).to_string();
        let auth = Some(format!("Bearer {}", token(&live, k.secret())));
        async move { api.call("POST", "/v2/notifications/sms", auth, Some(&body)).await.0 }
    };
    assert_eq!(send(&team, "07700 900001").await, 201, "a team member");
    assert_eq!(send(&team, "07700900555").await, 400);
    let audit = store::Audit { user_id: None, description: "Updated the guest list" };
    store::replace_guest_list(&app.state.pool, &live, &[], &["+447700900555".into()], audit).await.unwrap();
    assert_eq!(send(&team, "07700900555").await, 201, "a guest");
    assert_eq!(send(&normal, "07700900777").await, 201, "live keys send to anyone");
    // The embedded outbox records what live and team keys sent.
    let mut n: i64 = 0;
    for _ in 0..50 {
        (n,) = on_db!(app.state.pool, |db| sqlx::query_as("SELECT COUNT(*) FROM outbox").fetch_one(db).await.unwrap());
        if n == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(n, 3);
    let (body,): (String,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT body FROM outbox LIMIT 1").fetch_one(db).await.unwrap());
    assert_eq!(body, "Hello x,\nthis is a reminder of your appointment.");
}

#[tokio::test]
async fn rate_and_daily_limits_answer_429() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let team = make_key(&app, &live, "team", "team").await;
    let test = make_key(&app, &live, "test", "test").await;
    let email_t = template_id(&app, &live, "email").await;
    let body = json!({"email_address": ADMIN, "template_id": email_t, "personalisation": {"name": "x"}}).to_string();
    store::set_daily_limit(&app.state.pool, &live, app::domain::TemplateType::Email, 1).await.unwrap();
    let (s, _) = api
        .call("POST", "/v2/notifications/email", Some(format!("Bearer {}", token(&live, team.secret()))), Some(&body))
        .await;
    assert_eq!(s, 201);
    let (s, b) = api
        .call("POST", "/v2/notifications/email", Some(format!("Bearer {}", token(&live, team.secret()))), Some(&body))
        .await;
    assert_eq!(s, 429);
    assert_eq!(error_of(&b), ("TooManyRequestsError".into(), "Exceeded send limits (email: 1) for today".into()));
    // Test keys count against neither limit.
    let (s, _) = api
        .call("POST", "/v2/notifications/email", Some(format!("Bearer {}", token(&live, test.secret()))), Some(&body))
        .await;
    assert_eq!(s, 201);

    // A rate limit of 3 a minute holds ceil(3/3)+1 = 2 requests at once.
    store::set_rate_limit(&app.state.pool, &live, 3).await.unwrap();
    let mut statuses = vec![];
    for _ in 0..3 {
        let (s, b) = api
            .call(
                "POST",
                "/v2/notifications/email",
                Some(format!("Bearer {}", token(&live, test.secret()))),
                Some(&body),
            )
            .await;
        statuses.push(s);
        if s == 429 {
            assert_eq!(
                error_of(&b),
                ("RateLimitError".into(), "Exceeded rate limit for key type TEST of 3 requests per 60 seconds".into())
            );
        }
    }
    assert_eq!(statuses, vec![201, 201, 429]);
}

#[tokio::test]
async fn reading_notifications_by_id_and_in_pages() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let test = make_key(&app, &live, "test", "test").await;
    let team = make_key(&app, &live, "team", "team").await;
    let auth = |k: &Key| Some(format!("Bearer {}", token(&live, k.secret())));
    let sms_t = template_id(&app, &live, "sms").await;
    let mut ids = vec![];
    for i in 0..3 {
        let body = json!({"phone_number": "07700900001", "template_id": sms_t, "personalisation": {"name": format!("n{i}")}, "reference": format!("r{i}")}).to_string();
        let (s, b) = api.call("POST", "/v2/notifications/sms", auth(&test), Some(&body)).await;
        assert_eq!(s, 201);
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    let (s, b) = api.call("GET", &format!("/v2/notifications/{}", ids[0]), auth(&test), None).await;
    assert_eq!(s, 200);
    assert_eq!(b["phone_number"], "+447700900001");
    assert_eq!(b["reference"], "r0");
    assert_eq!(b["template"]["uri"], format!("{}/v2/template/{sms_t}/version/1", app.state.config.base_url));
    let (s, b) = api.call("GET", "/v2/notifications/not-a-uuid", auth(&test), None).await;
    assert_eq!((s, error_of(&b)), (400, ("ValidationError".into(), "notification_id is not a valid UUID".into())));
    let (s, b) = api.call("GET", &format!("/v2/notifications/{}", uuid::Uuid::new_v4()), auth(&test), None).await;
    assert_eq!((s, error_of(&b)), (404, ("NoResultFound".into(), "No result found".into())));

    // Newest first, with a next link that pages on.
    let (s, b) = api.call("GET", "/v2/notifications", auth(&test), None).await;
    assert_eq!(s, 200);
    let listed: Vec<&str> = b["notifications"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(listed, vec![ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]);
    assert_eq!(b["links"]["next"], format!("{}/v2/notifications?older_than={}", app.state.config.base_url, ids[0]));
    let (_, b) = api.call("GET", &format!("/v2/notifications?older_than={}", ids[1]), auth(&test), None).await;
    assert_eq!(b["notifications"].as_array().unwrap().len(), 1);
    let (_, b) = api.call("GET", &format!("/v2/notifications?older_than={}", ids[0]), auth(&test), None).await;
    assert!(b["notifications"].as_array().unwrap().is_empty());
    assert!(b["links"].get("next").is_none());
    // Filters, and the caller's key type only.
    let (_, b) = api.call("GET", "/v2/notifications?reference=r1", auth(&test), None).await;
    assert_eq!(b["notifications"].as_array().unwrap().len(), 1);
    let (_, b) = api.call("GET", "/v2/notifications?template_type=email", auth(&test), None).await;
    assert!(b["notifications"].as_array().unwrap().is_empty());
    let (_, b) = api.call("GET", "/v2/notifications", auth(&team), None).await;
    assert!(b["notifications"].as_array().unwrap().is_empty(), "a team key sees no test notifications");
    let (s, b) = api.call("GET", "/v2/notifications?status=elephant", auth(&test), None).await;
    assert_eq!(s, 400);
    assert!(error_of(&b).1.starts_with("status elephant is not one of ["));
    let (s, b) = api.call("GET", "/v2/notifications?template_type=fax", auth(&test), None).await;
    assert_eq!((s, error_of(&b).1), (400, "template_type fax is not one of [sms, email, letter]".into()));
}

#[tokio::test]
async fn templates_versions_and_previews() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "test").await;
    let auth = || Some(format!("Bearer {}", token(&live, key.secret())));
    let email_t = template_id(&app, &live, "email").await;

    let (s, b) = api.call("GET", "/v2/templates", auth(), None).await;
    assert_eq!(s, 200);
    assert_eq!(b["templates"].as_array().unwrap().len(), 3);
    let (_, b) = api.call("GET", "/v2/templates?type=sms", auth(), None).await;
    assert_eq!(b["templates"].as_array().unwrap().len(), 1);
    let (s, b) = api.call("GET", "/v2/templates?type=fax", auth(), None).await;
    assert_eq!((s, error_of(&b).1), (400, "type fax is not one of [sms, email, letter]".into()));

    let (s, b) = api.call("GET", &format!("/v2/template/{email_t}"), auth(), None).await;
    assert_eq!(s, 200);
    assert_eq!(b["type"], "email");
    assert_eq!(b["personalisation"], json!({"name": {"required": true}}));
    assert_eq!(b["created_by"], ADMIN, "the demo's templates were made by its admin");
    let viewer = store::find_user_by_email(&app.state.pool, VIEWER).await.unwrap().unwrap();
    store::update_template(
        &app.state.pool,
        &live,
        &email_t,
        "Renamed",
        Some("New ((name))"),
        "Body ((name))",
        &viewer.id,
    )
    .await
    .unwrap();
    let (_, b) = api.call("GET", &format!("/v2/template/{email_t}"), auth(), None).await;
    assert_eq!((b["version"].clone(), b["name"].clone()), (json!(2), json!("Renamed")));
    assert_eq!(b["created_by"], VIEWER, "each version names its author");
    let (_, list) = api.call("GET", "/v2/templates", auth(), None).await;
    assert!(list["templates"].as_array().unwrap().iter().all(|t| t["created_by"].is_string()));
    let (s, b) = api.call("GET", &format!("/v2/template/{email_t}/version/1"), auth(), None).await;
    assert_eq!((s, b["subject"].clone()), (200, json!("Your appointment, ((name))")));
    assert_eq!(b["created_by"], ADMIN);
    let (s, _) = api.call("GET", &format!("/v2/template/{email_t}/version/9"), auth(), None).await;
    assert_eq!(s, 404);
    let (s, b) = api.call("GET", "/v2/template/nope", auth(), None).await;
    assert_eq!((s, error_of(&b).1), (400, "template_id is not a valid UUID".into()));
    let (s, _) = api.call("GET", &format!("/v2/template/{}", uuid::Uuid::new_v4()), auth(), None).await;
    assert_eq!(s, 404);

    let (s, b) = api
        .call(
            "POST",
            &format!("/v2/template/{email_t}/preview"),
            auth(),
            Some(&json!({"personalisation": {"name": "Ada"}}).to_string()),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!((b["subject"].clone(), b["body"].clone()), (json!("New Ada"), json!("Body Ada")));
    let (s, b) = api.call("POST", &format!("/v2/template/{email_t}/preview"), auth(), Some("{}")).await;
    assert_eq!((s, error_of(&b)), (400, ("BadRequestError".into(), "Missing personalisation: name".into())));

    // The demo's live service has received one text.
    let (s, b) = api.call("GET", "/v2/received-text-messages", auth(), None).await;
    assert_eq!(s, 200);
    let texts = b["received_text_messages"].as_array().unwrap();
    assert_eq!(texts.len(), 1, "{b}");
    assert_eq!(texts[0]["content"], "Can I change my appointment to Thursday?");
}

#[tokio::test]
async fn key_use_is_recorded_in_batches_and_shown_in_the_admin() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "Used key").await;
    let (s, _) = api.call("GET", "/v2/templates", Some(format!("Bearer {}", token(&live, key.secret()))), None).await;
    assert_eq!(s, 200);
    let cookie = app.sign_in(ADMIN).await;
    let mut shown = false;
    for _ in 0..40 {
        let page = app.get(&format!("/services/{live}/api/keys"), Some(&cookie)).await;
        if page.text().contains("Used key Test – pretends to send messages Last used ") {
            shown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(shown, "the keys page shows when the key was last used");
}

#[tokio::test]
async fn an_unknown_v2_route_answers_json_404() {
    let app = TestApp::spawn().await;
    let (s, b) = Api { app: &app }.call("GET", "/v2/nothing-here", None, None).await;
    assert_eq!(s, 404);
    assert_eq!(b["status_code"], 404);
}

#[tokio::test]
async fn every_route_refuses_a_missing_or_bad_token_and_answers_its_own_errors() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "routes").await;
    let id = uuid::Uuid::new_v4();
    let routes = [
        ("POST", "/v2/notifications/email".to_string()),
        ("POST", "/v2/notifications/sms".to_string()),
        ("POST", "/v2/notifications/letter".to_string()),
        ("GET", "/v2/notifications".to_string()),
        ("GET", format!("/v2/notifications/{id}")),
        ("GET", "/v2/templates".to_string()),
        ("GET", format!("/v2/template/{id}")),
        ("GET", format!("/v2/template/{id}/version/1")),
        ("POST", format!("/v2/template/{id}/preview")),
        ("GET", "/v2/received-text-messages".to_string()),
    ];
    for (method, path) in &routes {
        let (s, b) = api.call(method, path, None, Some("{}")).await;
        assert_auth_error(s, &b, 401, "Unauthorized: authentication token must be provided");
        let (s, b) = api.call(method, path, Some("Bearer x.y.z".into()), Some("{}")).await;
        assert_auth_error(s, &b, 403, server::api_v2::auth::GENERAL_TOKEN_ERROR);
    }
    let auth = || Some(format!("Bearer {}", token(&live, key.secret())));
    let (s, b) = api.call("POST", &format!("/v2/template/{id}/preview"), auth(), Some("{}")).await;
    assert_eq!((s, error_of(&b)), (404, ("NoResultFound".into(), "No result found".into())));
    let (s, b) = api.call("GET", "/v2/received-text-messages?older_than=nope", auth(), None).await;
    assert_eq!((s, error_of(&b).1), (400, "older_than is not a valid UUID".into()));
    let (s, b) = api.call("GET", "/v2/notifications?older_than=nope", auth(), None).await;
    assert_eq!((s, error_of(&b).1), (400, "older_than is not a valid UUID".into()));
    let (s, b) = api.call("GET", "/v2/template/not-a-uuid/version/1", auth(), None).await;
    assert_eq!((s, error_of(&b).1), (400, "template_id is not a valid UUID".into()));
    // Simulated recipients answer 201 but are neither stored nor sent.
    let email_t = template_id(&app, &live, "email").await;
    let body = json!({"email_address": "simulate-delivered@notifications.service.gov.uk", "template_id": email_t, "personalisation": {"name": "x"}});
    let (s, b) = api.call("POST", "/v2/notifications/email", auth(), Some(&body.to_string())).await;
    assert_eq!(s, 201);
    let (s, _) = api.call("GET", &format!("/v2/notifications/{}", b["id"].as_str().unwrap()), auth(), None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn a_key_revoked_in_the_admin_fails_on_the_very_next_request() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "soon revoked").await;
    let auth = || Some(format!("Bearer {}", token(&live, key.secret())));
    // Warm whatever the server keeps in memory about this service.
    for _ in 0..3 {
        assert_eq!(api.call("GET", "/v2/templates", auth(), None).await.0, 200);
    }
    let cookie = app.sign_in(ADMIN).await;
    let csrf = app.get("/your-services", Some(&cookie)).await.csrf_token();
    let done = app
        .post(&format!("/services/{live}/api/keys/revoke/{}", key.id), Some(&cookie), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(done.status, 302);
    let (s, b) = api.call("GET", "/v2/templates", auth(), None).await;
    assert_auth_error(s, &b, 403, "Invalid token: API key revoked");
}

#[tokio::test]
async fn a_wrong_method_and_a_body_over_the_limit_answer_notifys_json() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "test").await;
    let r = app.client.delete(format!("{}/v2/notifications/email", app.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["status_code"], 405);
    assert_eq!(error_of(&b), ("MethodNotAllowed".into(), "The method is not allowed for the requested URL.".into()));
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(server::api_v2::BODY_LIMIT + 1));
    let auth = Some(format!("Bearer {}", token(&live, key.secret())));
    let (s, b) = Api { app: &app }.call("POST", "/v2/notifications/email", auth, Some(&huge)).await;
    assert_eq!(s, 413);
    assert_eq!(b["status_code"], 413);
    assert_eq!(error_of(&b).0, "RequestEntityTooLarge");
}

#[tokio::test]
async fn status_failed_lists_every_kind_of_failure() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let test = make_key(&app, &live, "test", "test").await;
    let auth = || Some(format!("Bearer {}", token(&live, test.secret())));
    let sms_t = template_id(&app, &live, "sms").await;
    // Notify's simulated numbers: temporary and permanent failures, and one delivered.
    for number in ["07700900003", "07700900002", "07700900001"] {
        let body = json!({"phone_number": number, "template_id": sms_t, "personalisation": {"name": "x"}}).to_string();
        assert_eq!(api.call("POST", "/v2/notifications/sms", auth(), Some(&body)).await.0, 201);
    }
    // Each is finished on its own time: wait until all three are.
    let (mut failed, mut delivered) = (vec![], 0);
    for _ in 0..100 {
        let (s, b) = api.call("GET", "/v2/notifications?status=failed", auth(), None).await;
        assert_eq!(s, 200);
        failed =
            b["notifications"].as_array().unwrap().iter().map(|n| n["status"].as_str().unwrap().to_string()).collect();
        let (_, b) = api.call("GET", "/v2/notifications?status=delivered", auth(), None).await;
        delivered = b["notifications"].as_array().unwrap().len();
        if failed.len() == 2 && delivered == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    failed.sort();
    assert_eq!(failed, vec!["permanent-failure", "temporary-failure"]);
    assert_eq!(delivered, 1);
}

#[tokio::test]
async fn messages_over_notifys_size_limits_are_refused_and_not_stored() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "test").await;
    let auth = || Some(format!("Bearer {}", token(&live, key.secret())));
    let sms_t = template_id(&app, &live, "sms").await;
    let email_t = template_id(&app, &live, "email").await;
    let body =
        json!({"phone_number": "07700900001", "template_id": sms_t, "personalisation": {"name": "a".repeat(1000)}});
    let (s, b) = api.call("POST", "/v2/notifications/sms", auth(), Some(&body.to_string())).await;
    assert_eq!(s, 400);
    let (error, message) = error_of(&b);
    assert_eq!(error, "BadRequestError");
    assert!(message.starts_with("Text messages cannot be longer than 918 characters. Your message is "), "{message}");
    let body = json!({"email_address": "a@example.com", "template_id": email_t, "personalisation": {"name": "a".repeat(2_000_001)}});
    let (s, b) = api.call("POST", "/v2/notifications/email", auth(), Some(&body.to_string())).await;
    assert_eq!(s, 400);
    assert!(error_of(&b).1.starts_with("Emails cannot be longer than 2000000 bytes. Your message is "));
    let (n,): (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT COUNT(*) FROM notifications").fetch_one(db).await.unwrap());
    assert_eq!(n, 0);
}

#[tokio::test]
async fn the_delivery_worker_finds_waiting_notifications_by_index_not_by_scan() {
    let app = TestApp::spawn().await;
    // Both read only the partial index of waiting notifications (however
    // long the history), in the order the worker wants.
    for plan in store::waiting_query_plans(&app.state.pool).await.unwrap() {
        assert!(plan.contains("INDEX notifications_waiting"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}

#[tokio::test]
async fn a_row_the_database_refuses_fails_only_its_own_request() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "test").await;
    let template = template_id(&app, &live, "email").await;
    let row = |service_id: &str| store::NewNotification {
        id: uuid::Uuid::new_v4().to_string(),
        service_id: service_id.to_string(),
        api_key_id: Some(key.id.clone()),
        key_type: app::domain::KeyType::Test,
        template_id: template.clone(),
        template_version: 1,
        notification_type: app::domain::TemplateType::Email,
        recipient: "a@example.com".into(),
        client_reference: None,
        personalisation: "{}".into(),
        subject: None,
        body: "Hello".into(),
        postage: None,
        created_at: clock::now(),
        reply_to: None,
        one_click_unsubscribe_url: None,
        job: None,
    };
    // Sent together, so they share a group commit; the second names no service.
    let good = row(&live);
    let bad = row(&uuid::Uuid::new_v4().to_string());
    let good_id = good.id.clone();
    let (ok, refused) = tokio::join!(app.state.api.store(good), app.state.api.store(bad));
    assert!(ok.is_ok(), "{ok:?}");
    assert!(refused.is_err());
    let (n,): (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE CAST(id AS TEXT) = $1")
            .bind(&good_id)
            .fetch_one(db)
            .await
            .unwrap());
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_letter_with_two_lines_and_a_postcode_is_sent_as_notifys_documentation_shows() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "test key").await;
    let letter = template_id(&app, &live, "letter").await;
    let body = json!({"template_id": letter, "personalisation": {
        "name": "Ada", "address_line_1": "The Occupier", "address_line_2": "123 High Street", "postcode": "SW14 6BH"}});
    let (s, b) = api
        .call(
            "POST",
            "/v2/notifications/letter",
            Some(format!("Bearer {}", token(&live, key.secret()))),
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap();
    let (_, n) = api
        .call("GET", &format!("/v2/notifications/{id}"), Some(format!("Bearer {}", token(&live, key.secret()))), None)
        .await;
    assert_eq!(n["line_1"], "The Occupier");
    assert_eq!(n["postcode"], "SW14 6BH");
}

#[tokio::test]
async fn a_template_keeps_the_line_endings_the_browser_sent() {
    let app = TestApp::spawn().await;
    let api = Api { app: &app };
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "test key").await;
    let cookie = app.sign_in(ADMIN).await;
    let csrf = app.get("/your-services", Some(&cookie)).await.csrf_token();
    let page = app
        .post(
            &format!("/services/{live}/templates/new"),
            Some(&cookie),
            &[
                ("csrf_token", &csrf),
                ("template_type", "email"),
                ("name", "Line endings"),
                ("subject", "Hello"),
                ("template_content", "Line one\r\nLine two ((name))"),
            ],
        )
        .await;
    assert_eq!(page.status, 302, "{}", page.text());
    let id = store::list_templates(&app.state.pool, &live)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "Line endings")
        .unwrap()
        .id;
    let auth = || Some(format!("Bearer {}", token(&live, key.secret())));
    let (_, t) = api.call("GET", &format!("/v2/template/{id}"), auth(), None).await;
    assert_eq!(t["body"], "Line one\r\nLine two ((name))");
    assert_eq!(t["created_by"], ADMIN);
    let body = json!({"email_address": "a@example.com", "template_id": id, "personalisation": {"name": "Ada"}});
    let (s, b) = api.call("POST", "/v2/notifications/email", auth(), Some(&body.to_string())).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["content"]["body"], "Line one\r\nLine two Ada");
}

#[tokio::test]
async fn sanitise_content_for_escapes_the_named_fields_and_reports_them() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "sanitise").await;
    let template = template_id(&app, &live, "email").await;
    let evil = "Amala, please [click this evil link](https://evil.link)";
    let body = |named: Value| {
        json!({"email_address": "anyone@example.com", "template_id": template,
               "personalisation": {"Name": evil}, "sanitise_content_for": named})
    };
    // Named (as personalisation keys are compared: case and spaces aside).
    let (status, b) = send(&app, &live, &key, "email", body(json!(["n a m e"]))).await;
    assert_eq!(status, 201, "{b}");
    let sanitised = r"Amala, please \[click this evil link\]\(\)";
    assert_eq!(b["sanitised_content"], json!({"Name": {"unsanitised": evil, "sanitised": sanitised}}));
    assert!(b["content"]["body"].as_str().unwrap().starts_with(&format!("Dear {sanitised},")), "{b}");
    assert_eq!(b["content"]["subject"], format!("Your appointment, {sanitised}"));
    // Not named, or null: nothing changes.
    for named in [json!(["reference"]), Value::Null, json!([])] {
        let (status, b) = send(&app, &live, &key, "email", body(named)).await;
        assert_eq!(status, 201);
        assert_eq!(b["sanitised_content"], json!({}));
        assert!(b["content"]["body"].as_str().unwrap().starts_with(&format!("Dear {evil},")));
    }
    // Not a list: Notify's schema error.
    let (status, b) = send(&app, &live, &key, "email", body(json!("name"))).await;
    assert_eq!(status, 400, "{b}");
    assert_eq!(b["errors"][0]["message"], "sanitise_content_for \"name\" is not of type array, null");
}

#[tokio::test]
async fn personalisation_names_match_as_notifys_do_whatever_their_case_spaces_underscores_and_hyphens() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let key = make_key(&app, &live, "test", "names").await;
    let template = template_id(&app, &live, "email").await;
    let body =
        json!({"email_address": "anyone@example.com", "template_id": template, "personalisation": {"N_a-M E": "Ada"}});
    let (status, b) = send(&app, &live, &key, "email", body).await;
    assert_eq!(status, 201, "{b}");
    assert!(b["content"]["body"].as_str().unwrap().starts_with("Dear Ada,"), "{b}");
}
