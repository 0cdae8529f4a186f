//! A second factor at sign-in: after a right password, a code by text
//! message or a link and a code by email, each working once, for 15
//! minutes, for at most 10 tries, the code only in the browser that gave
//! the password; and "Your account", where users change their details.

mod common;

use app::domain::sign_in_method::SignInMethod;
use app::ssr::store;
use common::*;

const USER_PASSWORD: &str = "a second-factor user's password";

/// A user with `method`, and their email address.
async fn user(app: &TestApp, method: SignInMethod, mobile: Option<&str>) -> (String, String) {
    let email = format!("two-factor-{}@example.gov.uk", uuid::Uuid::new_v4());
    let hash = app::ssr::passwords::hash(USER_PASSWORD).unwrap();
    let id = store::create_user(
        &app.state.pool,
        store::NewUser {
            name: "Tess Two-Factor",
            email_address: &email,
            mobile_number: mobile,
            password_hash: &hash,
            platform_admin: false,
            sign_in_method: method,
        },
    )
    .await
    .unwrap();
    (id, email)
}

/// The newest message of this server's own service to `to`: its body.
async fn newest_message(app: &TestApp, to: &str) -> String {
    // The newest: by time, then (SQLite) by the order written.
    let sql = if app.state.pool.is_postgres() {
        "SELECT body FROM notifications WHERE CAST(service_id AS TEXT) = $1 AND recipient = $2
         ORDER BY created_at DESC LIMIT 1"
    } else {
        "SELECT body FROM notifications WHERE service_id = $1 AND recipient = $2
         ORDER BY created_at DESC, rowid DESC LIMIT 1"
    };
    let (body,): (String,) = on_db!(app.state.pool, |db| sqlx::query_as(sql)
        .bind(app::ssr::platform_emails::PLATFORM_SERVICE_ID)
        .bind(to)
        .fetch_one(db)
        .await
        .unwrap_or_else(|e| panic!("no message to {to}: {e}")));
    body
}

/// The code in a sign-in email ("… security code: 12345") or text message
/// ("12345 is your …").
fn code_in(body: &str) -> String {
    let at = body.find("security code: ").map(|i| i + "security code: ".len()).unwrap_or(0);
    let code = &body[at..at + 5];
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "a code in {body}");
    code.to_string()
}

fn link_in(body: &str, path: &str) -> String {
    let start = body.find(path).expect("a link in the email");
    body[start..start + path.len() + 64].to_string()
}

/// Gives the password: the pending sign-in cookie, and where it leads.
async fn password_step(app: &TestApp, email: &str) -> (String, String) {
    let page = app.post("/sign-in", None, &[("email_address", email), ("password", USER_PASSWORD)]).await;
    assert_eq!(page.status, 302, "{}", page.text());
    let all: Vec<&str> = page.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
    assert!(all.iter().all(|c| !c.starts_with("notify_session=")), "no session before the code: {all:?}");
    (page.cookie("notify_sign_in"), page.location().to_string())
}

#[tokio::test]
async fn a_text_message_code_signs_in_once_in_the_browser_that_gave_the_password() {
    let app = TestApp::spawn().await;
    let (_, email) = user(&app, SignInMethod::SmsAuth, Some("07700900456")).await;
    let (pending, to) = password_step(&app, &email).await;
    assert_eq!(to, "/two-factor-sms");
    let page = app.get(&to, Some(&pending)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("Check your phone")
            && page.text().contains("We’ve sent you a text message with a security code.")
    );
    let text = newest_message(&app, "+447700900456").await;
    assert!(text.ends_with("is your Notify API security code"), "{text}");
    let code = code_in(&text);

    // Not a code; a wrong one; then the right one.
    let page = app.post(&to, Some(&pending), &[("code", "")]).await;
    assert!(page.text().contains("Enter your text message code"), "{}", page.text());
    let page = app.post(&to, Some(&pending), &[("code", "12a45")]).await;
    assert!(page.text().contains("Numbers only"));
    let page = app.post(&to, Some(&pending), &[("code", "1234")]).await;
    assert!(page.text().contains("Security code must be 5 digits"));
    let wrong = if code == "00000" { "00001" } else { "00000" };
    let page = app.post(&to, Some(&pending), &[("code", wrong)]).await;
    assert!(page.text().contains("Code not found"), "{}", page.text());
    assert!(page.body.contains(&format!("value=\"{wrong}\"")), "the input kept");

    // Another browser (no pending cookie, or a forged one) gets nowhere.
    let page = app.post(&to, None, &[("code", &code)]).await;
    assert_eq!((page.status, page.location()), (302, "/sign-in"));
    let forged = format!("notify_sign_in={}", app::ssr::tokens::random_token());
    let page = app.post(&to, Some(&forged), &[("code", &code)]).await;
    assert_eq!((page.status, page.location()), (302, "/sign-in"));

    let page = app.post(&to, Some(&pending), &[("code", &format!("{} {}", &code[..3], &code[3..]))]).await;
    assert_eq!((page.status, page.location()), (302, "/your-services"), "{}", page.text());
    let session = page.cookie("notify_session");
    assert_eq!(app.get("/your-services", Some(&session)).await.status, 200);

    // Used once: the same code again is refused (and the cookie was cleared).
    let page = app.post(&to, Some(&pending), &[("code", &code)]).await;
    assert!(page.status == 302 || page.text().contains("Code has expired"), "{}", page.text());
    assert!(page.location() != "/your-services");
}

#[tokio::test]
async fn an_email_link_works_once_in_any_browser_and_its_code_in_the_browser_that_signed_in() {
    let app = TestApp::spawn().await;
    let (_, email) = user(&app, SignInMethod::EmailAuth, None).await;
    let (pending, to) = password_step(&app, &email).await;
    assert_eq!(to, "/two-factor-email-sent");
    assert!(app.get(&to, Some(&pending)).await.text().contains("Check your email"));
    let body = newest_message(&app, &email).await;
    let link = link_in(&body, "/email-auth/");

    // Opening the link spends nothing; the button does, in any browser.
    let page = app.get(&link, None).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Continue to dashboard"));
    let page = app.post(&link, None, &[]).await;
    assert_eq!((page.status, page.location()), (302, "/your-services"));
    let session = page.cookie("notify_session");
    assert_eq!(app.get("/your-services", Some(&session)).await.status, 200);
    let again = app.post(&link, None, &[]).await;
    assert!(again.text().contains("The link has expired"), "{}", again.text());
    // Spent by the link, its code no longer works either.
    let page = app.post(&to, Some(&pending), &[("code", &code_in(&body))]).await;
    assert!(page.location() != "/your-services");

    // A forged link.
    let forged = format!("/email-auth/{}", app::ssr::tokens::random_token());
    assert!(app.post(&forged, None, &[]).await.text().contains("The link has expired"));

    // The code in the next email signs in this browser.
    let (pending, to) = password_step(&app, &email).await;
    let body = newest_message(&app, &email).await;
    let page = app.post(&to, Some(&pending), &[("code", &code_in(&body))]).await;
    assert_eq!((page.status, page.location()), (302, "/your-services"), "{}", page.text());
}

#[tokio::test]
async fn codes_and_links_expire_after_15_minutes() {
    let app = TestApp::spawn().await;
    let (user_id, email) = user(&app, SignInMethod::EmailAuth, None).await;
    let (pending, to) = password_step(&app, &email).await;
    let body = newest_message(&app, &email).await;
    on_db!(app.state.pool, |db| sqlx::query(
        "UPDATE verify_codes SET created_at = $1 WHERE CAST(user_id AS TEXT) = $2"
    )
    .bind(app::ssr::clock::ago(time::Duration::minutes(15) + time::Duration::seconds(1)))
    .bind(&user_id)
    .execute(db)
    .await
    .unwrap()
    .rows_affected());
    // The sign-in in progress is over: back to the password.
    let page = app.post(&to, Some(&pending), &[("code", &code_in(&body))]).await;
    assert_eq!((page.status, page.location()), (302, "/sign-in"));
    let page = app.post(&link_in(&body, "/email-auth/"), None, &[]).await;
    assert!(page.text().contains("The link has expired"));
}

#[tokio::test]
async fn the_tenth_wrong_code_ends_the_code_and_the_right_one_no_longer_works() {
    let app = TestApp::spawn().await;
    let (_, email) = user(&app, SignInMethod::SmsAuth, Some("07700900457")).await;
    let (pending, to) = password_step(&app, &email).await;
    let code = code_in(&newest_message(&app, "+447700900457").await);
    let wrong: Vec<String> = (0..100_000).map(|n| format!("{n:05}")).filter(|c| *c != code).take(10).collect();
    for (n, w) in wrong.iter().enumerate() {
        let page = app.post(&to, Some(&pending), &[("code", w)]).await;
        let text = page.text();
        if n < 9 {
            assert!(text.contains("Code not found"), "try {}: {text}", n + 1);
        } else {
            assert!(
                text.contains("You’ve entered the wrong code 10 times. Sign in again to get a new code."),
                "{text}"
            );
        }
    }
    // The 11th try, the right code: refused.
    let page = app.post(&to, Some(&pending), &[("code", &code)]).await;
    assert_ne!(page.location(), "/your-services");
    assert!(page.set_cookie().is_none_or(|c| !c.starts_with("notify_session=")));
}

#[tokio::test]
async fn another_code_replaces_the_last_and_a_sign_in_gets_four_at_most() {
    let app = TestApp::spawn().await;
    let (_, email) = user(&app, SignInMethod::EmailAuth, None).await;
    let (pending, _) = password_step(&app, &email).await;
    let first = newest_message(&app, &email).await;
    let page = app.get("/email-not-received", Some(&pending)).await;
    assert!(page.text().contains("If you do not receive an email link"));
    let page = app.post("/email-not-received", Some(&pending), &[]).await;
    assert_eq!(page.location(), "/two-factor-email-sent?resent=1");
    assert!(app.get(page.location(), Some(&pending)).await.text().contains("Email resent"));
    let second = newest_message(&app, &email).await;
    assert_ne!(first, second);
    // The first link stopped working.
    assert!(app.post(&link_in(&first, "/email-auth/"), None, &[]).await.text().contains("The link has expired"));
    for _ in 0..2 {
        assert_eq!(app.post("/email-not-received", Some(&pending), &[]).await.status, 302);
    }
    let page = app.post("/email-not-received", Some(&pending), &[]).await;
    assert_eq!(page.status, 429);
    assert!(page.text().contains("You’ve asked for too many codes"));
    // Without a sign-in in progress there is nothing to resend.
    assert_eq!(app.post("/email-not-received", None, &[]).await.location(), "/sign-in");
}

#[tokio::test]
async fn demo_and_password_only_users_sign_in_with_the_password_alone() {
    let app = TestApp::spawn().await;
    // The demo's users: a password alone.
    let page = app.post("/sign-in", None, &[("email_address", ADMIN), ("password", PASSWORD)]).await;
    assert_eq!(page.location(), "/your-services");
    let (_, email) = user(&app, SignInMethod::PasswordOnly, None).await;
    let page = app.post("/sign-in", None, &[("email_address", &email), ("password", USER_PASSWORD)]).await;
    assert_eq!(page.location(), "/your-services");
    assert!(page.set_cookie().unwrap().starts_with("notify_session="));
}

/// Signs in a password-only user: their session cookie and CSRF token.
async fn signed_in(app: &TestApp, email: &str) -> (String, String) {
    let page = app.post("/sign-in", None, &[("email_address", email), ("password", USER_PASSWORD)]).await;
    let cookie = page.cookie("notify_session");
    let csrf = app.get("/user-profile", Some(&cookie)).await.csrf_token();
    (cookie, csrf)
}

#[tokio::test]
async fn your_account_changes_name_password_and_sign_in_method() {
    let app = TestApp::spawn().await;
    let (user_id, email) = user(&app, SignInMethod::PasswordOnly, None).await;
    let (cookie, csrf) = signed_in(&app, &email).await;
    let (other, _) = signed_in(&app, &email).await;
    let page = app.get("/user-profile", Some(&cookie)).await;
    let text = page.text();
    assert!(text.contains("Your account") && text.contains("Tess Two-Factor") && text.contains(&email), "{text}");
    assert!(text.contains("Password only") && text.contains("Not set"), "{text}");

    // Name.
    let page = app.post("/user-profile/name", Some(&cookie), &[("csrf_token", &csrf), ("name", "  ")]).await;
    assert!(page.text().contains("Enter your full name"));
    let page = app.post("/user-profile/name", Some(&cookie), &[("csrf_token", &csrf), ("name", "Tess Renamed")]).await;
    assert_eq!(page.location(), "/user-profile");
    let text = app.get("/user-profile", Some(&cookie)).await.text();
    assert!(text.contains("Your name has been changed") && text.contains("Tess Renamed"), "{text}");
    // Without the CSRF token: refused.
    let page = app.post("/user-profile/name", Some(&cookie), &[("name", "Mallory")]).await;
    assert_eq!(page.status, 403);

    // Sign-in method: text messages need a number first.
    let page = app
        .post("/user-profile/sign-in-method", Some(&cookie), &[("csrf_token", &csrf), ("sign_in_method", "sms_auth")])
        .await;
    assert!(page.text().contains("Add a mobile number to your account first"));
    let page = app
        .post(
            "/user-profile/sign-in-method",
            Some(&cookie),
            &[("csrf_token", &csrf), ("sign_in_method", "password_only")],
        )
        .await;
    assert!(page.text().contains("Select how you want to sign in"));
    let page = app
        .post("/user-profile/sign-in-method", Some(&cookie), &[("csrf_token", &csrf), ("sign_in_method", "email_auth")])
        .await;
    assert_eq!(page.location(), "/user-profile");
    let user = store::get_user(&app.state.pool, &user_id).await.unwrap().unwrap();
    assert_eq!(user.auth_type, SignInMethod::EmailAuth);

    // Password: the current one is asked for; the change ends other sessions.
    let form = |old: &'static str, new: &'static str| {
        vec![("csrf_token", csrf.clone()), ("old_password", old.to_string()), ("new_password", new.to_string())]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post("/user-profile/password", Some(&cookie), &f).await
        }
    };
    let page = post(form("not my password", "a brand new password")).await;
    assert!(page.text().contains("Your password is incorrect"), "{}", page.text());
    let page = post(form(USER_PASSWORD, "short")).await;
    assert!(page.text().contains("8 characters"), "{}", page.text());
    let page = post(form(USER_PASSWORD, "a brand new password")).await;
    assert_eq!(page.location(), "/user-profile");
    assert_eq!(app.get("/user-profile", Some(&cookie)).await.status, 200, "this session goes on");
    assert_eq!(app.get("/user-profile", Some(&other)).await.status, 302, "the other session ended");
}

#[tokio::test]
async fn a_new_email_address_changes_when_its_link_is_used_and_a_new_number_when_its_code_is_typed() {
    let app = TestApp::spawn().await;
    let (user_id, email) = user(&app, SignInMethod::PasswordOnly, None).await;
    let (cookie, csrf) = signed_in(&app, &email).await;

    // Email: the password is asked for; the link goes to the new address.
    let new_email = format!("renamed-{}@example.gov.uk", uuid::Uuid::new_v4());
    let page = app
        .post(
            "/user-profile/email",
            Some(&cookie),
            &[("csrf_token", &csrf), ("email_address", &new_email), ("password", "wrong password")],
        )
        .await;
    assert!(page.text().contains("Your password is incorrect"));
    assert!(page.body.contains(&new_email), "the input kept");
    let page = app
        .post(
            "/user-profile/email",
            Some(&cookie),
            &[("csrf_token", &csrf), ("email_address", &new_email), ("password", USER_PASSWORD)],
        )
        .await;
    assert!(page.text().contains("Check your email"), "{}", page.text());
    assert_eq!(store::get_user(&app.state.pool, &user_id).await.unwrap().unwrap().email_address, email);
    let link = link_in(&newest_message(&app, &new_email).await, "/user-profile/email/confirm/");
    // Only its user can use it.
    let viewer = app.sign_in(VIEWER).await;
    assert!(app.get(&link, Some(&viewer)).await.text().contains("The link has expired"));
    let page = app.get(&link, Some(&cookie)).await;
    assert_eq!(page.location(), "/user-profile");
    assert_eq!(store::get_user(&app.state.pool, &user_id).await.unwrap().unwrap().email_address, new_email);
    assert!(app.get(&link, Some(&cookie)).await.text().contains("The link has expired"), "once only");

    // Mobile: a code to the new number.
    let page = app
        .post(
            "/user-profile/mobile-number",
            Some(&cookie),
            &[("csrf_token", &csrf), ("mobile_number", "not a number"), ("password", USER_PASSWORD)],
        )
        .await;
    assert!(page.text().contains("mobile number"), "{}", page.text());
    let page = app
        .post(
            "/user-profile/mobile-number",
            Some(&cookie),
            &[("csrf_token", &csrf), ("mobile_number", "07700 900 458"), ("password", USER_PASSWORD)],
        )
        .await;
    assert_eq!(page.location(), "/user-profile/mobile-number/confirm");
    let code = code_in(&newest_message(&app, "+447700900458").await);
    let wrong = if code == "00000" { "00001" } else { "00000" };
    let page =
        app.post("/user-profile/mobile-number/confirm", Some(&cookie), &[("csrf_token", &csrf), ("code", wrong)]).await;
    assert!(page.text().contains("Code not found"));
    let page =
        app.post("/user-profile/mobile-number/confirm", Some(&cookie), &[("csrf_token", &csrf), ("code", &code)]).await;
    assert_eq!(page.location(), "/user-profile");
    let user = store::get_user(&app.state.pool, &user_id).await.unwrap().unwrap();
    assert_eq!(user.mobile_number.as_deref(), Some("+447700900458"));
}

#[tokio::test]
async fn a_password_reset_still_asks_a_text_message_user_for_their_code() {
    let app = TestApp::spawn().await;
    let (_, email) = user(&app, SignInMethod::SmsAuth, Some("07700900459")).await;
    let page = app.post("/forgot-password", None, &[("email_address", &email)]).await;
    assert_eq!(page.location(), "/forgot-password/sent");
    let link = link_in(&newest_message(&app, &email).await, "/new-password/");
    let page = app.post(&link, None, &[("new_password", "a reset password for texts")]).await;
    // The email's link alone signs nobody in: the code goes to the phone.
    assert_eq!(page.location(), "/two-factor-sms", "{}", page.text());
    let pending = page.cookie("notify_sign_in");
    assert!(page.headers.get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("notify_session=")));
    let code = code_in(&newest_message(&app, "+447700900459").await);
    let page = app.post("/two-factor-sms", Some(&pending), &[("code", &code)]).await;
    assert_eq!(page.location(), "/your-services");

    // An email user is signed in by the reset link itself.
    let (_, email) = user(&app, SignInMethod::EmailAuth, None).await;
    app.post("/forgot-password", None, &[("email_address", &email)]).await;
    let link = link_in(&newest_message(&app, &email).await, "/new-password/");
    let page = app.post(&link, None, &[("new_password", "a reset password for email")]).await;
    assert_eq!(page.location(), "/your-services");
    assert!(page.set_cookie().unwrap().starts_with("notify_session="));
}

#[tokio::test]
async fn a_flood_of_forged_links_spends_the_clients_budget() {
    let app = TestApp::spawn().await;
    for n in 0..50 {
        let forged = format!("/email-auth/{}", app::ssr::tokens::random_token());
        let page = app.post(&forged, None, &[]).await;
        assert_eq!(page.status, 200, "try {n}");
        assert!(page.text().contains("The link has expired"));
    }
    let forged = format!("/email-auth/{}", app::ssr::tokens::random_token());
    let page = app.post(&forged, None, &[]).await;
    assert_eq!(page.status, 429);
    assert!(page.text().contains("There have been too many failed attempts to sign in from your network"));
}
