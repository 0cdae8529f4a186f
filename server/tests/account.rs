//! "Forgotten your password?": the same answer for any address, an email
//! with a single-use 24-hour link to the address's account only, a new
//! password that ends every other session of the user.

mod common;

use app::ssr::store;
use common::*;

/// The reset link in the newest email to `to` (a path), if any.
async fn reset_link(app: &TestApp, to: &str) -> Option<String> {
    let row: Option<(String,)> = on_db!(app.state.pool, |db| {
        sqlx::query_as(
        "SELECT body FROM notifications WHERE CAST(service_id AS TEXT) = $1 AND recipient = $2 AND subject = 'Reset your password'
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(app::ssr::platform_emails::PLATFORM_SERVICE_ID)
    .bind(to).fetch_optional(db).await.unwrap()
    });
    row.map(|(body,)| {
        let start = body.find("/new-password/").unwrap();
        body[start..start + "/new-password/".len() + 64].to_string()
    })
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_a_link_that_works_once_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let sign_in = app.get("/sign-in", None).await;
    assert!(sign_in.body.contains("href=\"/forgot-password\""), "the sign-in page links to it");
    let form = app.get("/forgot-password", None).await;
    assert!(form.text().contains("Forgotten your password?") && form.text().contains("Send email"));
    let bad = app.post("/forgot-password", None, &[("email_address", "not an address")]).await;
    assert!(bad.body.contains("govuk-error-summary") && bad.body.contains("value=\"not an address\""));

    // The same answer for an address with no account, and no email.
    for address in ["nobody@example.gov.uk", VIEWER] {
        let sent = app.post("/forgot-password", None, &[("email_address", address)]).await;
        assert_eq!((sent.status, sent.location()), (302, "/forgot-password/sent"));
    }
    assert!(app.get("/forgot-password/sent", None).await.text().contains("Check your inbox"));
    assert!(reset_link(&app, "nobody@example.gov.uk").await.is_none());
    let link = reset_link(&app, VIEWER).await.expect("an email to the viewer");

    // The viewer was signed in elsewhere: that session ends with the reset.
    let elsewhere = app.sign_in(VIEWER).await;
    assert_eq!(app.get("/your-services", Some(&elsewhere)).await.status, 200);
    let page = app.get(&link, None).await;
    assert!(page.text().contains("Create a new password"), "{}", page.text());
    let short = app.post(&link, None, &[("new_password", "short")]).await;
    assert!(short.text().contains("Your password must be 8 characters or more"));
    let done = app.post(&link, None, &[("new_password", "a brand new password")]).await;
    assert_eq!((done.status, done.location()), (302, "/your-services"));
    let cookie = done.set_cookie().unwrap().split(';').next().unwrap().to_string();
    assert_eq!(app.get("/your-services", Some(&cookie)).await.status, 200);
    let ended = app.get("/your-services", Some(&elsewhere)).await;
    assert_eq!(ended.status, 302, "the other session ended");

    // The new password signs in; the old one does not.
    let old = app.post("/sign-in", None, &[("email_address", VIEWER), ("password", PASSWORD)]).await;
    assert_eq!(old.status, 200);
    let new = app.post("/sign-in", None, &[("email_address", VIEWER), ("password", "a brand new password")]).await;
    assert_eq!(new.status, 302);

    // Once only; an old link expires; a forged one is not found.
    let again = app.get(&link, None).await.text();
    assert!(again.contains("The link has already been used"), "{again}");
    assert_eq!(app.post(&link, None, &[("new_password", "yet another password")]).await.status, 200);
    let sent = app.post("/forgot-password", None, &[("email_address", ADMIN)]).await;
    assert_eq!(sent.status, 302);
    let admin_link = reset_link(&app, ADMIN).await.unwrap();
    on_db!(app.state.pool, |db| sqlx::query("UPDATE password_resets SET created_at = $1")
        .bind(app::ssr::clock::ago(time::Duration::hours(25)))
        .execute(db)
        .await
        .unwrap()
        .rows_affected());
    assert!(app.get(&admin_link, None).await.text().contains("The link has expired"));
    assert_eq!(app.get(&format!("/new-password/{}", "cd".repeat(32)), None).await.status, 404);
    let admin_user = store::find_user_by_email(&app.state.pool, ADMIN).await.unwrap().unwrap();
    assert!(app::ssr::passwords::verify(PASSWORD, &admin_user.password_hash), "an expired link changes nothing");
}

#[tokio::test]
async fn reset_emails_to_one_address_are_limited() {
    let app = TestApp::spawn().await;
    for _ in 0..8 {
        assert_eq!(app.post("/forgot-password", None, &[("email_address", ADMIN)]).await.status, 302);
    }
    let (emails,): (i64,) = on_db!(app.state.pool, |db| {
        sqlx::query_as(
        "SELECT count(*) FROM notifications WHERE CAST(service_id AS TEXT) = $1 AND recipient = $2 AND subject = 'Reset your password'",
    )
    .bind(app::ssr::platform_emails::PLATFORM_SERVICE_ID)
    .bind(ADMIN).fetch_one(db).await.unwrap()
    });
    assert_eq!(emails, 5);
}
