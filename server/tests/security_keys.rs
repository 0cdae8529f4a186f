//! Security keys: what the server answers the page's script when a key's
//! answer is forged, replayed or late, and where keys cannot work. (A real
//! key's registration and sign-in, with Chromium's virtual authenticator,
//! is a browser journey: end2end/tests/security_keys.spec.ts.)

mod common;

use app::domain::sign_in_method::SignInMethod;
use app::ssr::store;
use common::*;

const USER_PASSWORD: &str = "a security key user's password";

async fn user(app: &TestApp, method: SignInMethod) -> (String, String) {
    let email = format!("key-user-{}@example.gov.uk", uuid::Uuid::new_v4());
    let hash = app::ssr::passwords::hash(USER_PASSWORD).unwrap();
    let id = store::create_user(
        &app.state.pool,
        store::NewUser {
            name: "Kit Key",
            email_address: &email,
            mobile_number: None,
            password_hash: &hash,
            platform_admin: false,
            sign_in_method: method,
        },
    )
    .await
    .unwrap();
    (id, email)
}

fn json(page: &Page) -> serde_json::Value {
    serde_json::from_str(&page.body).unwrap_or_else(|_| panic!("JSON: {}", page.body))
}

/// A forged answer to a registration: the shape of one, signed by nobody.
const FORGED_REGISTRATION: &str = r#"{"id":"AAAA","rawId":"AAAA","type":"public-key","extensions":{},
  "response":{"attestationObject":"o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVgl","clientDataJSON":"e30"}}"#;
/// A key as the server stores it (webauthn-rs's `SecurityKey`: its public
/// key and counter, no secret), registered once by Chromium's virtual
/// authenticator in the browser suite.
const STORED_KEY: &str = include_str!("fixtures/security-key.json");
const FORGED_ASSERTION: &str = r#"{"id":"AAAA","rawId":"AAAA","type":"public-key","extensions":{},
  "response":{"authenticatorData":"AAAA","clientDataJSON":"e30","signature":"AAAA","userHandle":null}}"#;

#[tokio::test]
async fn a_forged_registration_is_refused_and_its_challenge_is_spent() {
    let app = TestApp::spawn_with(&[("NOTIFY_BASE_URL", "http://localhost:3000")]).await;
    let (_, email) = user(&app, SignInMethod::PasswordOnly).await;
    let page = app.post("/sign-in", None, &[("email_address", &email), ("password", USER_PASSWORD)]).await;
    let cookie = page.cookie("notify_session");
    let keys = app.get("/user-profile/security-keys", Some(&cookie)).await;
    assert!(keys.text().contains("Register a key"), "{}", keys.text());
    let csrf = keys.csrf_token();

    // Without the session's token: refused.
    assert_eq!(app.post("/user-profile/security-keys/options", Some(&cookie), &[]).await.status, 403);
    let options = json(&app.post("/user-profile/security-keys/options", Some(&cookie), &[("csrf_token", &csrf)]).await);
    let public_key = &options["options"]["publicKey"];
    assert_eq!(public_key["rp"]["id"], "localhost");
    assert!(public_key["challenge"].as_str().is_some_and(|c| c.len() >= 43), "{options}");
    assert_eq!(public_key["user"]["name"], email.as_str());

    let answer = json(
        &app.post(
            "/user-profile/security-keys/register",
            Some(&cookie),
            &[("csrf_token", &csrf), ("credential", FORGED_REGISTRATION)],
        )
        .await,
    );
    assert_eq!(answer["error"], "There’s a problem with your security key. Try again.");
    // The challenge worked once: the same answer again is too late.
    let again = json(
        &app.post(
            "/user-profile/security-keys/register",
            Some(&cookie),
            &[("csrf_token", &csrf), ("credential", FORGED_REGISTRATION)],
        )
        .await,
    );
    assert_eq!(again["error"], "That took too long. Try again.");
    assert!(app.get("/user-profile/security-keys", Some(&cookie)).await.text().contains("Register a key"));
}

#[tokio::test]
async fn a_key_sign_in_takes_no_code_and_refuses_a_forged_answer() {
    let app = TestApp::spawn_with(&[("NOTIFY_BASE_URL", "http://localhost:3000")]).await;
    let (user_id, email) = user(&app, SignInMethod::WebauthnAuth).await;
    // A key as webauthn-rs would store it is needed for a challenge; without
    // one the sign-in falls back on an email code (no lock-out).
    let page = app.post("/sign-in", None, &[("email_address", &email), ("password", USER_PASSWORD)]).await;
    assert_eq!(page.location(), "/two-factor-email-sent");

    store::add_security_key(&app.state.pool, &user_id, "Security key 1", "AAAA", STORED_KEY).await.unwrap();
    let page = app.post("/sign-in", None, &[("email_address", &email), ("password", USER_PASSWORD)]).await;
    assert_eq!(page.location(), "/two-factor-webauthn");
    let pending = page.cookie("notify_sign_in");
    let shown = app.get("/two-factor-webauthn", Some(&pending)).await;
    assert!(shown.text().contains("Get your security key") && shown.text().contains("Check security key"));
    assert!(shown.text().contains("Security keys need JavaScript to work"), "said for browsers without it");
    // No code page and no resend for a key's sign-in.
    assert_eq!(app.get("/two-factor-sms", Some(&pending)).await.location(), "/two-factor-webauthn");
    assert_eq!(
        app.post("/two-factor-sms", Some(&pending), &[("code", "12345")]).await.location(),
        "/two-factor-webauthn"
    );
    assert_eq!(app.post("/text-not-received", Some(&pending), &[]).await.location(), "/sign-in");

    let options = json(&app.post("/two-factor-webauthn/options", Some(&pending), &[]).await);
    let allowed = options["options"]["publicKey"]["allowCredentials"].as_array().cloned().unwrap_or_default();
    assert_eq!(allowed.len(), 1, "{options}");
    let answer = json(&app.post("/two-factor-webauthn", Some(&pending), &[("credential", FORGED_ASSERTION)]).await);
    assert_eq!(answer["error"], "There’s a problem with your security key. Try again.");
    let page = app.post("/two-factor-webauthn", Some(&pending), &[("credential", FORGED_ASSERTION)]).await;
    assert!(page.headers.get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("notify_session=")));
    assert_eq!(json(&page)["error"], "That took too long. Try again.");
    // Another browser gets nothing.
    let other = json(&app.post("/two-factor-webauthn/options", None, &[]).await);
    assert_eq!(other["error"], "That took too long. Try again.");
}

#[tokio::test]
async fn keys_are_off_where_webauthn_cannot_work() {
    // The tests' own address is an IP address, which WebAuthn refuses.
    let app = TestApp::spawn().await;
    let cookie = app.sign_in(ADMIN).await;
    let page = app.get("/user-profile/security-keys", Some(&cookie)).await;
    assert!(
        page.text().contains("Security keys work only where this service is reached at a domain name"),
        "{}",
        page.text()
    );
    assert!(!page.text().contains("Register a key"));
}

#[tokio::test]
async fn deleting_the_last_key_of_a_key_user_goes_back_to_email_codes() {
    let app = TestApp::spawn_with(&[("NOTIFY_BASE_URL", "http://localhost:3000")]).await;
    let (user_id, email) = user(&app, SignInMethod::PasswordOnly).await;
    store::add_security_key(&app.state.pool, &user_id, "Security key 1", "AAAA", STORED_KEY).await.unwrap();
    let page = app.post("/sign-in", None, &[("email_address", &email), ("password", USER_PASSWORD)]).await;
    let cookie = page.cookie("notify_session");
    let csrf = app.get("/user-profile", Some(&cookie)).await.csrf_token();
    let page = app
        .post(
            "/user-profile/sign-in-method",
            Some(&cookie),
            &[("csrf_token", &csrf), ("sign_in_method", "webauthn_auth")],
        )
        .await;
    assert_eq!(page.location(), "/user-profile");
    let key = store::security_keys(&app.state.pool, &user_id).await.unwrap().remove(0);

    // Renamed, then deleted; another user's key is not found.
    let path = format!("/user-profile/security-keys/{}", key.id);
    assert!(app
        .post(&path, Some(&cookie), &[("csrf_token", &csrf), ("name", " ")])
        .await
        .text()
        .contains("Enter a name for this key"));
    assert_eq!(
        app.post(&path, Some(&cookie), &[("csrf_token", &csrf), ("name", "Blue key")]).await.location(),
        "/user-profile/security-keys"
    );
    let viewer = app.sign_in(VIEWER).await;
    assert_eq!(app.get(&path, Some(&viewer)).await.status, 404);
    let page = app.post(&format!("{path}/delete"), Some(&cookie), &[("csrf_token", &csrf)]).await;
    assert_eq!(page.location(), "/user-profile/security-keys");
    let text = app.get("/user-profile/security-keys", Some(&cookie)).await.text();
    assert!(
        text.contains("‘Blue key’ deleted. You have no security keys left: you’ll sign in with an email link or code."),
        "{text}"
    );
    assert_eq!(store::get_user(&app.state.pool, &user_id).await.unwrap().unwrap().auth_type, SignInMethod::EmailAuth);
}
