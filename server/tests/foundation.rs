//! Sign-in, sessions, the 302/403/404 rules, `/_status` and configuration,
//! against the real router on a fresh database.

mod common;
use common::*;

#[tokio::test]
async fn status_answers_ok_while_the_database_answers() {
    let app = TestApp::spawn().await;
    let page = app.get("/_status", None).await;
    assert_eq!(page.status, 200);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&page.body).unwrap(), serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn status_answers_503_when_the_database_does_not() {
    let app = TestApp::spawn().await;
    match (app.state.pool.sqlite(), app.state.pool.postgres()) {
        (Some(db), _) => db.close().await,
        (_, Some(db)) => db.close().await,
        _ => unreachable!(),
    }
    let page = app.get("/_status", None).await;
    assert_eq!(page.status, 503);
    assert!(page.body.contains("\"status\""));
}

#[tokio::test]
async fn the_sign_in_page_has_labelled_fields() {
    let app = TestApp::spawn().await;
    let page = app.get("/sign-in", None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<title>Sign in – Notify API</title>"));
    assert!(page.body.contains(r#"<label for="email_address" class="govuk-label">Email address</label>"#));
    assert!(page.body.contains(r#"<label for="password" class="govuk-label">Password</label>"#));
    assert!(page.body.contains("/css/govuk-frontend-neutral.min.css"), "the default brand's stylesheet");
}

#[tokio::test]
async fn empty_fields_each_get_their_own_error() {
    let app = TestApp::spawn().await;
    let page = app.post("/sign-in", None, &[("email_address", ""), ("password", "")]).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("There is a problem"));
    assert!(text.contains("Enter your email address"));
    assert!(text.contains("Enter your password"));
    assert!(page.body.contains(r##"<a href="#email_address">Enter your email address</a>"##));
    assert!(page.body.contains("<title>Error: Sign in – Notify API</title>"));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_get_the_same_message() {
    let app = TestApp::spawn().await;
    let wrong = app.post("/sign-in", None, &[("email_address", ADMIN), ("password", "not-the-password")]).await;
    let unknown = app.post("/sign-in", None, &[("email_address", "nobody@example.gov.uk"), ("password", "x")]).await;
    for page in [&wrong, &unknown] {
        assert_eq!(page.status, 200);
        assert!(page.text().contains("The email address or password you entered is incorrect"));
        assert!(page.set_cookie().is_none());
    }
    // The address typed is kept; the password never comes back.
    assert!(wrong.body.contains(&format!("value=\"{ADMIN}\"")));
    assert!(!wrong.body.contains("not-the-password"));
}

#[tokio::test]
async fn repeated_failures_for_one_address_are_refused_for_a_while() {
    let app = TestApp::spawn().await;
    for _ in 0..10 {
        let page = app.post("/sign-in", None, &[("email_address", ADMIN), ("password", "wrong")]).await;
        assert!(page.text().contains("The email address or password you entered is incorrect"));
    }
    // Even the right password is refused now, with a clear message.
    let page = app.post("/sign-in", None, &[("email_address", ADMIN), ("password", PASSWORD)]).await;
    assert_eq!(page.status, 429);
    assert!(page.text().contains("You have tried to sign in too many times with this email address"));
    assert!(page.set_cookie().is_none());
    // Other addresses are not affected.
    app.sign_in(VIEWER).await;
}

#[tokio::test]
async fn signing_in_sets_a_safe_cookie_and_goes_to_your_services() {
    let app = TestApp::spawn().await;
    let page = app.post("/sign-in", None, &[("email_address", ADMIN), ("password", PASSWORD)]).await;
    assert_eq!(page.status, 302);
    assert_eq!(page.location(), "/your-services");
    let cookie = page.set_cookie().unwrap();
    assert!(cookie.starts_with("notify_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    assert!(!cookie.contains("Secure"), "plain http must not set Secure");
}

#[tokio::test]
async fn the_cookie_is_secure_when_the_site_is_served_over_https() {
    let app = TestApp::spawn_with(&[("NOTIFY_BASE_URL", "https://notify.example.gov.uk")]).await;
    let page = app.post("/sign-in", None, &[("email_address", ADMIN), ("password", PASSWORD)]).await;
    assert!(page.set_cookie().unwrap().contains("; Secure"));
}

#[tokio::test]
async fn each_sign_in_gets_a_new_session_id() {
    let app = TestApp::spawn().await;
    let first = app.sign_in(ADMIN).await;
    let page = app.post("/sign-in", Some(&first), &[("email_address", ADMIN), ("password", PASSWORD)]).await;
    let second = page.set_cookie().unwrap().split(';').next().unwrap().to_string();
    assert_ne!(first, second);
    // The old id no longer works.
    assert_eq!(app.get("/your-services", Some(&first)).await.status, 302);
    assert_eq!(app.get("/your-services", Some(&second)).await.status, 200);
}

#[tokio::test]
async fn signed_out_admin_pages_redirect_to_sign_in_and_come_back() {
    let app = TestApp::spawn().await;
    let service = app.service_id("Example live service").await;
    for path in ["/your-services".to_string(), format!("/services/{service}")] {
        let page = app.get(&path, None).await;
        assert_eq!(page.status, 302, "{path}");
        let expected = format!("/sign-in?next={}", path.replace('/', "%2F"));
        assert_eq!(page.location(), expected);
        let back = app.post(&expected, None, &[("email_address", ADMIN), ("password", PASSWORD)]).await;
        assert_eq!(back.status, 302);
        assert_eq!(back.location(), path);
    }
}

#[tokio::test]
async fn next_never_leaves_the_site() {
    let app = TestApp::spawn().await;
    for next in ["https%3A%2F%2Fevil.example", "%2F%2Fevil.example", "%2F%5Cevil.example"] {
        let page =
            app.post(&format!("/sign-in?next={next}"), None, &[("email_address", ADMIN), ("password", PASSWORD)]).await;
        assert_eq!(page.status, 302);
        assert_eq!(page.location(), "/your-services", "next={next}");
    }
}

#[tokio::test]
async fn your_services_lists_the_users_services() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_in(ADMIN).await;
    let page = app.get("/your-services", Some(&cookie)).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("Example live service"));
    assert!(text.contains("Example trial service Trial mode"));
    assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");

    let outsider = app.sign_in(OUTSIDER).await;
    let page = app.get("/your-services", Some(&outsider)).await;
    assert!(page.text().contains("You are not a team member of any services yet."));
}

#[tokio::test]
async fn the_dashboard_shows_the_service_and_its_navigation() {
    let app = TestApp::spawn().await;
    let trial = app.service_id("Example trial service").await;
    let admin = app.sign_in(ADMIN).await;
    let page = app.get(&format!("/services/{trial}"), Some(&admin)).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("Example trial service"));
    assert!(text.contains("Trial mode"));
    assert!(page.body.contains(&format!(r#"href="/services/{trial}/api""#)));
    assert!(text.contains("API integration"));

    // Without manage_api_keys there is no API integration item.
    let viewer = app.sign_in(VIEWER).await;
    let page = app.get(&format!("/services/{trial}"), Some(&viewer)).await;
    assert_eq!(page.status, 200);
    assert!(!page.text().contains("API integration"));

    let live = app.service_id("Example live service").await;
    let page = app.get(&format!("/services/{live}"), Some(&admin)).await;
    assert!(!page.text().contains("Trial mode"));
}

#[tokio::test]
async fn another_services_dashboard_is_not_found() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let outsider = app.sign_in(OUTSIDER).await;
    for path in
        [format!("/services/{live}"), "/services/not-a-uuid".to_string(), format!("/services/{}", uuid::Uuid::new_v4())]
    {
        let page = app.get(&path, Some(&outsider)).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.text().contains("Page not found"));
        assert!(!page.text().contains("Example live service"));
    }
}

#[tokio::test]
async fn an_unknown_page_is_a_gov_uk_404() {
    let app = TestApp::spawn().await;
    let page = app.get("/no-such-page", None).await;
    assert_eq!(page.status, 404);
    assert!(page.text().contains("Page not found"));
}

#[tokio::test]
async fn signing_out_really_ends_the_session() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_in(ADMIN).await;
    let page = app.get("/your-services", Some(&cookie)).await;
    let csrf = page.csrf_token();
    let out = app.post("/sign-out", Some(&cookie), &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status, 302);
    assert_eq!(out.location(), "/sign-in");
    assert!(out.set_cookie().unwrap().contains("Max-Age=0"));
    // Replaying the old cookie gets nowhere.
    assert_eq!(app.get("/your-services", Some(&cookie)).await.status, 302);
}

#[tokio::test]
async fn sign_out_without_the_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_in(ADMIN).await;
    let page = app.post("/sign-out", Some(&cookie), &[("csrf_token", "forged")]).await;
    assert_eq!(page.status, 403);
    assert_eq!(app.get("/your-services", Some(&cookie)).await.status, 200);
}

#[tokio::test]
async fn a_post_from_another_site_is_refused() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(format!("{}/sign-in", app.base))
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email_address={ADMIN}&password={PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = TestApp::spawn_with(&[("NOTIFY_SESSION_IDLE_MINUTES", "5")]).await;
    let cookie = app.sign_in(ADMIN).await;
    assert_eq!(app.get("/your-services", Some(&cookie)).await.status, 200);
    // Pretend the user last did something ten minutes ago.
    let ten_minutes_ago = app::ssr::clock::ago(time::Duration::minutes(10));
    on_db!(app.state.pool, |db| sqlx::query("UPDATE sessions SET last_seen_at = $1")
        .bind(ten_minutes_ago)
        .execute(db)
        .await
        .unwrap()
        .rows_affected());
    let page = app.get("/your-services", Some(&cookie)).await;
    assert_eq!(page.status, 302);
    assert!(page.location().starts_with("/sign-in"));
}

#[tokio::test]
async fn the_demo_seed_never_duplicates() {
    let app = TestApp::spawn().await;
    server::demo::seed(&app.state.pool).await.unwrap();
    server::demo::seed(&app.state.pool).await.unwrap();
    let (users,): (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(db).await.unwrap());
    // The demo's own: not the service this server sends its own emails
    // from (made by a migration, with its templates).
    let platform = app::ssr::platform_emails::PLATFORM_SERVICE_ID;
    let (services,): (i64,) =
        on_db!(app.state.pool, |db| sqlx::query_as("SELECT COUNT(*) FROM services WHERE CAST(id AS TEXT) != $1")
            .bind(platform)
            .fetch_one(db)
            .await
            .unwrap());
    let (templates,): (i64,) = on_db!(app.state.pool, |db| sqlx::query_as(
        "SELECT COUNT(*) FROM templates WHERE CAST(service_id AS TEXT) != $1"
    )
    .bind(platform)
    .fetch_one(db)
    .await
    .unwrap());
    assert_eq!((users, services, templates), (3, 2, 6));
}

#[test]
fn a_bad_configuration_value_stops_start_up_with_status_2() {
    let output =
        std::process::Command::new(env!("CARGO_BIN_EXE_server")).env("NOTIFY_LOG_FORMAT", "xml").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("NOTIFY_LOG_FORMAT"));
    assert!(!stderr.contains("panicked"));
}

#[test]
fn admin_commands_set_up_a_deployment_without_demo_data() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(args)
            .env("NOTIFY_DATA_DIR", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    };
    let user = run(&["create-user", "--name", "Ada", "--email", "ada@example.gov.uk"], Some("a long password\n"));
    assert!(user.status.success(), "{}", String::from_utf8_lossy(&user.stderr));
    let service = run(&["create-service", "--name", "Real service", "--permissions", "email,sms"], None);
    assert!(service.status.success());
    let service_id = String::from_utf8(service.stdout).unwrap().trim().to_string();
    assert!(uuid::Uuid::parse_str(&service_id).is_ok());
    let grant =
        run(&["grant", "--email", "ada@example.gov.uk", "--service-id", &service_id, "--permissions", "all"], None);
    assert!(grant.status.success(), "{}", String::from_utf8_lossy(&grant.stderr));
    // A short password is refused and nothing is echoed.
    let short = run(&["create-user", "--name", "Bob", "--email", "bob@example.gov.uk"], Some("short\n"));
    assert!(!short.status.success());
    assert!(!String::from_utf8_lossy(&short.stderr).contains("short\n"));
}
