//! The API integration pages: permissions, keys, guest list and callbacks,
//! against the real router on a fresh database.

mod common;

use app::ssr::secrets::SealedFor;
use common::*;

async fn create_key(app: &TestApp, s: &Signed, service: &str, name: &str, key_type: &str) -> Page {
    app.post(
        &format!("/services/{service}/api/keys/create"),
        Some(&s.cookie),
        &[("csrf_token", &s.csrf), ("key_name", name), ("key_type", key_type)],
    )
    .await
}

fn key_from(page: &Page) -> String {
    let at = page.body.find("id=\"api-key\"").expect("the key is shown");
    let start = at + page.body[at..].find('>').unwrap() + 1;
    let end = start + page.body[start..].find('<').unwrap();
    page.body[start..end].to_string()
}

#[tokio::test]
async fn every_page_needs_manage_api_keys_and_a_service_of_ones_own() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let paths = [
        "/api",
        "/api/keys",
        "/api/keys/create",
        "/api/guest-list",
        "/api/callbacks",
        "/api/callbacks/delivery-status-callback",
        "/api/callbacks/received-text-messages-callback",
        "/api/callbacks/returned-letters-callback",
    ];
    let viewer = app.sign_in(VIEWER).await;
    let outsider = app.sign_in(OUTSIDER).await;
    let admin = app.sign_in(ADMIN).await;
    for p in paths {
        let path = format!("/services/{live}{p}");
        let page = app.get(&path, Some(&viewer)).await;
        assert_eq!(page.status, 403, "viewer {path}");
        assert!(page.text().contains("You do not have permission to view this page"));
        assert_eq!(app.get(&path, Some(&outsider)).await.status, 404, "outsider {path}");
        assert_eq!(app.get(&path, None).await.status, 302, "signed out {path}");
        assert_eq!(app.get(&path, Some(&admin)).await.status, 200, "admin {path}");
    }
    // A POST without the permission changes nothing either.
    let csrf = app.get("/your-services", Some(&viewer)).await.csrf_token();
    let page = app
        .post(
            &format!("/services/{live}/api/keys/create"),
            Some(&viewer),
            &[("csrf_token", &csrf), ("key_name", "x"), ("key_type", "test")],
        )
        .await;
    assert_eq!(page.status, 403);
}

#[tokio::test]
async fn the_hub_links_to_keys_guest_list_and_the_right_callbacks_page() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let trial = app.service_id("Example trial service").await;
    let page = app.get(&format!("/services/{live}/api"), Some(&s.cookie)).await;
    let text = page.text();
    assert!(text.contains("API integration"));
    assert!(text.contains("Message log"));
    assert!(text.contains("When you send messages via the API they’ll appear here."));
    assert!(page.body.contains(&format!("href=\"/services/{live}/api/callbacks\"")));
    let page = app.get(&format!("/services/{trial}/api"), Some(&s.cookie)).await;
    assert!(page.body.contains(&format!("href=\"/services/{trial}/api/callbacks/delivery-status-callback\"")));
}

#[tokio::test]
async fn creating_a_key_shows_it_once_in_notifys_format() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let empty = app.get(&format!("/services/{live}/api/keys"), Some(&s.cookie)).await;
    assert!(empty.text().contains("You have not created any API keys yet"));
    assert!(empty.text().contains("Create an API key"));

    let page = create_key(&app, &s, &live, "Some default key name 1/2", "normal").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("New API key"));
    assert!(page.text().contains("You will not be able to see it again once you leave this page."));
    assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
    let key = key_from(&page);
    assert!(key.starts_with(&format!("some_default_key_name_12-{live}-")), "{key}");
    let secret = &key[key.len() - 36..];
    assert!(secret.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(app::domain::api_key::checksum_matches(&key));

    // Never again: not in the list, not in the database in the clear.
    let list = app.get(&format!("/services/{live}/api/keys"), Some(&s.cookie)).await;
    assert!(!list.body.contains(secret));
    assert!(list
        .text()
        .contains("Some default key name 1/2 Live – sends to anyone Never used Rotate Some default key name 1/2 Revoke Some default key name 1/2"));
    let (key_id, ciphertext, digest): (String, String, String) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT CAST(id AS TEXT), secret_ciphertext, secret_digest FROM api_keys"
    )
    .fetch_one(db)
    .await
    .unwrap());
    assert!(!ciphertext.contains(secret) && !digest.contains(secret));
    let bound = SealedFor::ApiKeySecret { key_id: &key_id };
    assert_eq!(app.state.secrets.open(&ciphertext, bound).as_deref(), Some(secret));
    assert_eq!(app.state.secrets.digest(secret), digest);
    // The creation is audited.
    let events = app::ssr::store::api_key_events(&app.state.pool, &live).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, "created");
}

#[tokio::test]
async fn the_create_form_explains_each_mistake() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let page = create_key(&app, &s, &live, "", "").await;
    let text = page.text();
    assert!(text.contains("There is a problem"));
    assert!(text.contains("Enter a name for this API key"));
    assert!(text.contains("Select a type of API key"));
    assert!(page.body.contains(r##"<a href="#key_type">Select a type of API key</a>"##));

    create_key(&app, &s, &live, "My Key", "test").await;
    for same in ["my_key", "MY-KEY", "mykey"] {
        let page = create_key(&app, &s, &live, same, "team").await;
        assert!(page.text().contains("A key with this name already exists"), "{same}");
        assert!(page.body.contains(&format!("value=\"{same}\"")), "the name typed is kept");
    }
    let long = "x".repeat(256);
    assert!(create_key(&app, &s, &live, &long, "test")
        .await
        .text()
        .contains("Key name must be 255 characters or fewer"));
    let (n,): (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT COUNT(*) FROM api_keys").fetch_one(db).await.unwrap());
    assert_eq!(n, 1);
}

#[tokio::test]
async fn trial_mode_disables_live_keys_and_refuses_them_with_400() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let trial = app.service_id("Example trial service").await;
    let live = app.service_id("Example live service").await;
    let form = app.get(&format!("/services/{trial}/api/keys/create"), Some(&s.cookie)).await;
    assert!(form.text().contains("Not available because your service is in trial mode"));
    assert!(form.body.contains("value=\"normal\" disabled"));
    let page = create_key(&app, &s, &trial, "Sneaky live key", "normal").await;
    assert_eq!(page.status, 400);
    let (n,): (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT COUNT(*) FROM api_keys").fetch_one(db).await.unwrap());
    assert_eq!(n, 0);
    // A live service with letters warns that team keys cannot send letters.
    let form = app.get(&format!("/services/{live}/api/keys/create"), Some(&s.cookie)).await;
    assert!(form.text().contains("Cannot be used to send letters"));
    assert!(!form.text().contains("Not available because"));
}

#[tokio::test]
async fn revoking_asks_first_then_revokes_once_and_keeps_the_key_listed() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    create_key(&app, &s, &live, "beta key", "team").await;
    create_key(&app, &s, &live, "Alpha key", "test").await;
    let keys = app::ssr::store::list_api_keys(&app.state.pool, &live, app::ssr::clock::ago(time::Duration::days(3650)))
        .await
        .unwrap();
    assert_eq!(keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(), vec!["Alpha key", "beta key"]);
    let beta = keys.iter().find(|k| k.name == "beta key").unwrap().id.clone();

    let confirm = app.get(&format!("/services/{live}/api/keys/revoke/{beta}"), Some(&s.cookie)).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("role=\"alert\""));
    assert!(confirm.text().contains(
        "Are you sure you want to revoke ‘beta key’? You will not be able to use this API key to connect to Notify API. Yes, revoke this API key"
    ));

    let done = app
        .post(&format!("/services/{live}/api/keys/revoke/{beta}"), Some(&s.cookie), &[("csrf_token", &s.csrf)])
        .await;
    assert_eq!(done.status, 302);
    assert_eq!(done.location(), format!("/services/{live}/api/keys"));
    let list = app.get(&format!("/services/{live}/api/keys"), Some(&s.cookie)).await;
    assert!(list.text().contains("‘beta key’ was revoked"));
    assert!(list.text().contains("beta key Team and guest list – limits who you can send to Never used Revoked "));
    assert!(!list.body.contains(&format!("/api/keys/revoke/{beta}")));
    // The flash shows once.
    assert!(!app.get(&format!("/services/{live}/api/keys"), Some(&s.cookie)).await.text().contains("was revoked"));

    // Revoking again changes nothing.
    let expiry = || async {
        on_db!(app.state.pool, |db| sqlx::query_as::<_, (Option<app::domain::Timestamp>,)>(
            "SELECT expiry_date FROM api_keys WHERE CAST(id AS TEXT) = $1"
        )
        .bind(&beta)
        .fetch_one(db)
        .await
        .unwrap())
    };
    let (before,) = expiry().await;
    app.post(&format!("/services/{live}/api/keys/revoke/{beta}"), Some(&s.cookie), &[("csrf_token", &s.csrf)]).await;
    let (after,) = expiry().await;
    assert_eq!(before, after);
    let events = app::ssr::store::api_key_events(&app.state.pool, &live).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.event == "revoked").count(), 1);

    // Revoked more than 7 days ago: gone from the list.
    let long_ago = app::ssr::clock::ago(time::Duration::days(8));
    app::ssr::store::set_api_key_expiry(&app.state.pool, &live, &beta, Some(long_ago)).await.unwrap();
    assert!(!app.get(&format!("/services/{live}/api/keys"), Some(&s.cookie)).await.text().contains("beta key"));
}

#[tokio::test]
async fn another_services_key_is_not_found_and_csrf_is_required() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let trial = app.service_id("Example trial service").await;
    create_key(&app, &s, &live, "live key", "test").await;
    let key = app::ssr::store::list_api_keys(&app.state.pool, &live, app::ssr::clock::ago(time::Duration::days(3650)))
        .await
        .unwrap()
        .remove(0)
        .id;
    assert_eq!(app.get(&format!("/services/{trial}/api/keys/revoke/{key}"), Some(&s.cookie)).await.status, 404);
    assert_eq!(
        app.post(&format!("/services/{trial}/api/keys/revoke/{key}"), Some(&s.cookie), &[("csrf_token", &s.csrf)])
            .await
            .status,
        404
    );
    assert_eq!(app.get(&format!("/services/{live}/api/keys/revoke/not-a-uuid"), Some(&s.cookie)).await.status, 404);
    let forged =
        app.post(&format!("/services/{live}/api/keys/revoke/{key}"), Some(&s.cookie), &[("csrf_token", "nope")]).await;
    assert_eq!(forged.status, 403);
    let (expiry,): (Option<String>,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT expiry_date FROM api_keys").fetch_one(db).await.unwrap());
    assert!(expiry.is_none());
}

#[tokio::test]
async fn the_guest_list_validates_each_line_and_saves_normalised() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let path = format!("/services/{live}/api/guest-list");
    let page = app
        .post(
            &path,
            Some(&s.cookie),
            &[("csrf_token", &s.csrf), ("email_addresses", "ok@example.gov.uk\nnope"), ("phone_numbers", "0770090012")],
        )
        .await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("There is a problem"));
    assert!(text.contains("Enter email address 2 in the correct format, like name@example.gov.uk"));
    assert!(text.contains("Mobile number 1 is too short"));
    assert!(page.body.contains(r##"<a href="#phone_numbers">Mobile number 1 is too short</a>"##));
    assert!(page.body.contains("ok@example.gov.uk\nnope</textarea>"), "input is kept");
    assert!(app::ssr::store::guest_list(&app.state.pool, &live).await.unwrap().email_addresses.is_empty());

    let saved = app
        .post(
            &path,
            Some(&s.cookie),
            &[
                ("csrf_token", &s.csrf),
                ("email_addresses", "\nA@example.gov.uk\na@example.gov.uk\n"),
                ("phone_numbers", "07700 900123\n+1 202-555-0104"),
            ],
        )
        .await;
    assert_eq!(saved.status, 302);
    assert_eq!(saved.location(), format!("/services/{live}/api"));
    let hub = app.get(&format!("/services/{live}/api"), Some(&s.cookie)).await;
    assert!(hub.text().contains("Guest list updated"));
    let stored = app::ssr::store::guest_list(&app.state.pool, &live).await.unwrap();
    assert_eq!(stored.email_addresses, vec!["A@example.gov.uk"]);
    assert_eq!(stored.phone_numbers, vec!["+447700900123", "+12025550104"]);
    let form = app.get(&path, Some(&s.cookie)).await;
    assert!(form.body.contains("+447700900123\n+12025550104</textarea>"));

    // The old URL moves permanently.
    let old = app.get(&format!("/services/{live}/api/whitelist"), Some(&s.cookie)).await;
    assert_eq!(old.status, 301);
    assert_eq!(old.location(), path);
}

#[tokio::test]
async fn team_keys_may_send_to_the_team_and_the_guest_list_only() {
    use app::domain::{EmailAddress, PhoneNumber};
    use app::ssr::recipients::{team_key_may_send_to, Recipient};
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let pool = &app.state.pool;
    let email = |s: &str| Recipient::Email(EmailAddress::parse(s).unwrap());
    let phone = |s: &str| Recipient::Phone(PhoneNumber::parse(s).unwrap());
    // Team members (the demo admin and viewer), by email and mobile.
    assert!(team_key_may_send_to(pool, &live, &email("ADMIN@example.gov.uk")).await.unwrap());
    assert!(team_key_may_send_to(pool, &live, &phone("07700 900002")).await.unwrap());
    // The outsider is not in this team.
    assert!(!team_key_may_send_to(pool, &live, &email(OUTSIDER)).await.unwrap());
    assert!(!team_key_may_send_to(pool, &live, &phone("07700900003")).await.unwrap());
    // Guests are.
    let audit = app::ssr::store::Audit { user_id: None, description: "Updated the guest list" };
    app::ssr::store::replace_guest_list(pool, &live, &["Guest@Example.com".into()], &["+447700900999".into()], audit)
        .await
        .unwrap();
    assert!(team_key_may_send_to(pool, &live, &email("guest@example.com")).await.unwrap());
    assert!(team_key_may_send_to(pool, &live, &phone("447700900999")).await.unwrap());
}

#[tokio::test]
async fn callbacks_are_listed_by_permission_and_saved_with_the_token_hidden() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let trial = app.service_id("Example trial service").await;

    // A service without inbound_sms or letter goes straight to delivery receipts.
    let r = app.get(&format!("/services/{trial}/api/callbacks"), Some(&s.cookie)).await;
    assert_eq!(r.status, 302);
    assert_eq!(r.location(), format!("/services/{trial}/api/callbacks/delivery-status-callback"));

    let list = app.get(&format!("/services/{live}/api/callbacks"), Some(&s.cookie)).await;
    let text = list.text();
    assert!(text.contains("Delivery receipts Not set Change delivery receipts callback settings"));
    assert!(text.contains("Received text messages Not set Change received text messages callback settings"));
    assert!(text.contains("Returned letters Not set Change returned letters callback settings"));

    let path = format!("/services/{live}/api/callbacks/delivery-status-callback");
    for (url, token, message) in [
        ("https://example.com", "", "Cannot be empty"),
        ("http://not_https.com", "1234567890", "Must be a valid https URL"),
        ("https://test.com", "123456789", "The bearer token must be at least 10 characters long"),
        ("https://127.0.0.1/hook", "1234567890", "Must not be a local or private network address"),
    ] {
        let page =
            app.post(&path, Some(&s.cookie), &[("csrf_token", &s.csrf), ("url", url), ("bearer_token", token)]).await;
        assert_eq!(page.status, 200, "{url}");
        assert!(page.text().contains(message), "{url}: {}", page.text());
        assert!(!page.body.contains(&format!("value=\"{token}\"")) || token.is_empty(), "the token is not echoed");
    }

    let saved = app
        .post(
            &path,
            Some(&s.cookie),
            &[
                ("csrf_token", &s.csrf),
                ("url", "https://hello2.gov.uk/delivery_status"),
                ("bearer_token", "a-real-secret-token"),
            ],
        )
        .await;
    // The first save shows the signing secret, this once.
    assert_eq!(saved.status, 200);
    assert!(saved.text().contains("Signing secret"), "{}", saved.text());
    let secret_start = saved.body.find("whsec_").expect("the secret is shown");
    let secret = saved.body[secret_start..].split('<').next().unwrap().to_string();
    assert!(saved.body.contains(&format!("href=\"{path}\"")), "Continue goes back to the callback");
    let form = app.get(&path, Some(&s.cookie)).await;
    assert!(!form.body.contains(&secret), "never shown again");
    assert!(form.body.contains("value=\"https://hello2.gov.uk/delivery_status\""));
    assert!(form.body.contains("value=\"bearer_token_set\""));
    assert!(!form.body.contains("a-real-secret-token"));
    let stored = app::ssr::store::callbacks(&app.state.pool, &live).await.unwrap().remove(0);
    let sealed_secret = stored.signing_secret_ciphertext.clone().unwrap();
    assert!(!sealed_secret.contains(&secret[6..]), "sealed at rest");
    let signing_for = SealedFor::SigningSecret { service_id: &live, callback_type: "delivery_status" };
    let token_for = SealedFor::CallbackToken { service_id: &live, callback_type: "delivery_status" };
    assert_eq!(app.state.secrets.open(&sealed_secret, signing_for), Some(secret.clone()));
    assert!(!stored.bearer_token_ciphertext.contains("a-real-secret-token"));
    assert_eq!(
        app.state.secrets.open(&stored.bearer_token_ciphertext, token_for).as_deref(),
        Some("a-real-secret-token")
    );

    // Posting the placeholder keeps the old token, even with a new URL.
    app.post(
        &path,
        Some(&s.cookie),
        &[("csrf_token", &s.csrf), ("url", "https://hello3.gov.uk/x"), ("bearer_token", "bearer_token_set")],
    )
    .await;
    let stored = app::ssr::store::callbacks(&app.state.pool, &live).await.unwrap().remove(0);
    assert_eq!(stored.url, "https://hello3.gov.uk/x");
    assert_eq!(stored.signing_secret_ciphertext, Some(sealed_secret), "a change keeps the signing secret");
    assert_eq!(
        app.state.secrets.open(&stored.bearer_token_ciphertext, token_for).as_deref(),
        Some("a-real-secret-token")
    );

    // Clearing the URL deletes the callback.
    let cleared = app.post(&path, Some(&s.cookie), &[("csrf_token", &s.csrf), ("url", ""), ("bearer_token", "")]).await;
    assert_eq!(cleared.status, 302);
    assert!(app::ssr::store::callbacks(&app.state.pool, &live).await.unwrap().is_empty());
}

#[tokio::test]
async fn private_callback_urls_are_allowed_only_when_configured() {
    let app = TestApp::spawn_with(&[("NOTIFY_ALLOW_PRIVATE_CALLBACK_URLS", "true")]).await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let page = app
        .post(
            &format!("/services/{live}/api/callbacks/received-text-messages-callback"),
            Some(&s.cookie),
            &[("csrf_token", &s.csrf), ("url", "https://localhost:8443/inbound"), ("bearer_token", "1234567890")],
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Signing secret"));
}

#[tokio::test]
async fn a_form_too_large_or_not_a_form_is_refused_not_emptied() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let url = format!("{}/services/{live}/api/guest-list", app.base);
    let huge = format!("csrf_token={}&email_addresses={}", s.csrf, "a".repeat(300 * 1024));
    let r = app
        .client
        .post(&url)
        .header("cookie", &s.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert!(r.text().await.unwrap().contains("Sorry, there is a problem with the request"));
    let r = app
        .client
        .post(&url)
        .header("cookie", &s.cookie)
        .header("content-type", "application/json")
        .body(format!("{{\"csrf_token\": \"{}\"}}", s.csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // Nothing was saved either time.
    let stored = app::ssr::store::guest_list(&app.state.pool, &live).await.unwrap();
    assert!(stored.email_addresses.is_empty() && stored.phone_numbers.is_empty());
}

#[tokio::test]
async fn a_key_can_expire_and_is_then_refused_with_its_own_message() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let form = app.get(&format!("/services/{live}/api/keys/create"), Some(&s.cookie)).await;
    assert!(form.text().contains("When should this key stop working?"));
    assert!(form.body.contains("value=\"never\" checked"), "never by default without a service limit");

    let page = app
        .post(
            &format!("/services/{live}/api/keys/create"),
            Some(&s.cookie),
            &[("csrf_token", &s.csrf), ("key_name", "Thirty days"), ("key_type", "test"), ("expires_in", "30")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    let key = key_from(&page);
    let list = app.get(&format!("/services/{live}/api/keys"), Some(&s.cookie)).await;
    assert!(
        list.text().contains("Thirty days Test – pretends to send messages Never used Expires in 29 days"),
        "{}",
        list.text()
    );
    let hub = app.get(&format!("/services/{live}/api"), Some(&s.cookie)).await;
    assert!(hub.text().contains("1 API key expires within 30 days."), "{}", hub.text());

    let secret = &key[key.len() - 36..];
    let call = || async {
        app.client
            .get(format!("{}/v2/templates", app.base))
            .header("authorization", format!("Bearer {}", token(&live, secret)))
            .send()
            .await
            .unwrap()
    };
    assert_eq!(call().await.status().as_u16(), 200);
    // A day past its expiry.
    on_db!(app.state.pool, |db| sqlx::query("UPDATE api_keys SET expires_at = $1 WHERE name = 'Thirty days'")
        .bind(app::ssr::clock::now() - time::Duration::days(1))
        .execute(db)
        .await
        .unwrap()
        .rows_affected());
    app::ssr::store::set_max_key_lifetime(&app.state.pool, &live, None).await.unwrap(); // announces the change
    let r = call().await;
    assert_eq!(r.status().as_u16(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["errors"][0]["message"], "Invalid token: API key expired");
    let list = app.get(&format!("/services/{live}/api/keys"), Some(&s.cookie)).await;
    assert!(list.text().contains("Thirty days Test – pretends to send messages Never used Expired"), "{}", list.text());
    assert!(!list.body.contains("Revoke<span class=\"govuk-visually-hidden\"> Thirty days"));
}

#[tokio::test]
async fn a_services_longest_key_lifetime_limits_the_choices() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    app::ssr::store::set_max_key_lifetime(&app.state.pool, &live, Some(90)).await.unwrap();
    let form = app.get(&format!("/services/{live}/api/keys/create"), Some(&s.cookie)).await;
    assert!(form.body.contains("value=\"90\" checked"), "the longest allowed by default");
    assert!(form.text().contains("Not available: keys of this service may last at most 90 days"));
    // A forged choice the form disables.
    let forged = app
        .post(
            &format!("/services/{live}/api/keys/create"),
            Some(&s.cookie),
            &[("csrf_token", &s.csrf), ("key_name", "Forever"), ("key_type", "test"), ("expires_in", "never")],
        )
        .await;
    assert_eq!(forged.status, 400);
    let bad = app
        .post(
            &format!("/services/{live}/api/keys/create"),
            Some(&s.cookie),
            &[("csrf_token", &s.csrf), ("key_name", "Odd"), ("key_type", "test"), ("expires_in", "7")],
        )
        .await;
    assert_eq!(bad.status, 200);
    assert!(bad.text().contains("There is a problem Select when the key should expire"), "{}", bad.text());
}

#[tokio::test]
async fn rotating_a_key_makes_a_new_one_and_the_old_one_works_until_the_overlap_ends() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let old = make_key(&app, &live, "test", "Payments").await;
    let path = format!("/services/{live}/api/keys/rotate/{}", old.id);
    let form = app.get(&path, Some(&s.cookie)).await;
    assert_eq!(form.status, 200);
    assert!(form.text().contains("Rotate ‘Payments’"));
    assert!(form.body.contains("value=\"24h\" checked"));

    let bad = app.post(&path, Some(&s.cookie), &[("csrf_token", &s.csrf), ("overlap", "forever")]).await;
    assert!(bad.text().contains("There is a problem Select how long the current key should keep working"));
    let no_csrf = app.post(&path, Some(&s.cookie), &[("overlap", "1h")]).await;
    assert_eq!(no_csrf.status, 403);

    let page = app.post(&path, Some(&s.cookie), &[("csrf_token", &s.csrf), ("overlap", "1h")]).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let new_key = key_from(&page);
    assert!(new_key.starts_with("payments-"));
    let list = app.get(&format!("/services/{live}/api/keys"), Some(&s.cookie)).await;
    let text = list.text();
    assert_eq!(text.matches("Payments Test – pretends to send messages").count(), 2, "{text}");
    assert!(text.contains("Replaced by a new key Expires in 59 minutes"), "{text}");
    let hub = app.get(&format!("/services/{live}/api"), Some(&s.cookie)).await;
    assert!(!hub.text().contains("expires within 30 days"), "a rotated key is meant to expire: no warning");

    let call = |secret: String| {
        let app = &app;
        let live = live.clone();
        async move {
            let r = app
                .client
                .get(format!("{}/v2/templates", app.base))
                .header("authorization", format!("Bearer {}", token(&live, &secret)))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let new_secret = new_key[new_key.len() - 36..].to_string();
    assert_eq!(call(old.secret().to_string()).await.0, 200, "the old key works during the overlap");
    assert_eq!(call(new_secret.clone()).await.0, 200);

    // The overlap ends.
    on_db!(app.state.pool, |db| sqlx::query("UPDATE api_keys SET expires_at = $1 WHERE CAST(id AS TEXT) = $2")
        .bind(app::ssr::clock::now() - time::Duration::seconds(1))
        .bind(&old.id)
        .execute(db)
        .await
        .unwrap()
        .rows_affected());
    app::ssr::store::set_max_key_lifetime(&app.state.pool, &live, None).await.unwrap(); // announces the change
    let (status, body) = call(old.secret().to_string()).await;
    assert_eq!(
        (status, body["errors"][0]["message"].clone()),
        (403, serde_json::json!("Invalid token: API key expired"))
    );
    assert_eq!(call(new_secret).await.0, 200);

    // A rotated key cannot be rotated again; another service's key is not found.
    assert_eq!(app.get(&path, Some(&s.cookie)).await.status, 404);
    let trial = app.service_id("Example trial service").await;
    let other = make_key(&app, &trial, "test", "Other").await;
    assert_eq!(app.get(&format!("/services/{live}/api/keys/rotate/{}", other.id), Some(&s.cookie)).await.status, 404);
}

#[tokio::test]
async fn the_audit_log_says_who_changed_what_never_a_secret_newest_first_and_pages() {
    let app = TestApp::spawn().await;
    let s = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let created = create_key(&app, &s, &live, "Audited key", "test").await;
    let key = key_from(&created);
    let id = app::ssr::store::list_api_keys(&app.state.pool, &live, app::ssr::clock::ago(time::Duration::days(3650)))
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.name == "Audited key")
        .unwrap()
        .id;
    app.post(
        &format!("/services/{live}/api/keys/rotate/{id}"),
        Some(&s.cookie),
        &[("csrf_token", &s.csrf), ("overlap", "24h")],
    )
    .await;
    app.post(
        &format!("/services/{live}/api/guest-list"),
        Some(&s.cookie),
        &[("csrf_token", &s.csrf), ("email_addresses", "a@example.gov.uk"), ("phone_numbers", "")],
    )
    .await;
    app.post(
        &format!("/services/{live}/api/callbacks/delivery-status-callback"),
        Some(&s.cookie),
        &[("csrf_token", &s.csrf), ("url", "https://example.gov.uk/cb"), ("bearer_token", "a-secret-bearer-token")],
    )
    .await;
    let page = app.get(&format!("/services/{live}/api/audit"), Some(&s.cookie)).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    let order = [
        "Set the delivery receipts callback to https://example.gov.uk/cb with a new bearer token",
        "Updated the guest list: 1 email address, 0 mobile numbers",
        "Rotated API key ‘Audited key’: the previous key stops working",
        "Created API key ‘Audited key’ (Test – pretends to send messages)",
    ];
    let positions: Vec<usize> = order.iter().map(|t| text.find(t).unwrap_or_else(|| panic!("{t}: {text}"))).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "newest first: {text}");
    assert!(text.contains("Demo Admin (admin@example.gov.uk)"));
    assert!(!page.body.contains("a-secret-bearer-token") && !page.body.contains(&key[key.len() - 36..]), "no secret");

    // 60 more events: two pages.
    for i in 0..60 {
        let sql = if app.state.pool.is_postgres() {
            "INSERT INTO audit_events (service_id, at, description) VALUES (CAST($1 AS uuid), $2, $3)"
        } else {
            "INSERT INTO audit_events (service_id, at, description) VALUES ($1, $2, $3)"
        };
        on_db!(app.state.pool, |db| sqlx::query(sql)
            .bind(&live)
            .bind(app::ssr::clock::now())
            .bind(format!("Event {i}"))
            .execute(db)
            .await
            .unwrap()
            .rows_affected());
    }
    let first = app.get(&format!("/services/{live}/api/audit"), Some(&s.cookie)).await;
    assert!(first.text().contains("Event 59") && !first.text().contains("Event 9 "));
    assert!(first.body.contains("?page=2"));
    let second = app.get(&format!("/services/{live}/api/audit?page=2"), Some(&s.cookie)).await;
    assert_eq!(second.status, 200);
    assert!(second.text().contains("Created API key ‘Audited key’"));
    assert!(second.body.contains("?page=1"));
    assert_eq!(app.get(&format!("/services/{live}/api/audit?page=9"), Some(&s.cookie)).await.status, 404);
    assert_eq!(app.get(&format!("/services/{live}/api/audit?page=x"), Some(&s.cookie)).await.status, 404);
    // Only with manage_api_keys, only for one's own services.
    let viewer = app.sign_in(VIEWER).await;
    assert_eq!(app.get(&format!("/services/{live}/api/audit"), Some(&viewer)).await.status, 403);
    let outsider = app.sign_in(OUTSIDER).await;
    assert_eq!(app.get(&format!("/services/{live}/api/audit"), Some(&outsider)).await.status, 404);
}
