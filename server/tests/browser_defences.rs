//! What a browser is told to enforce: a Content-Security-Policy with a fresh
//! script nonce per page, HSTS and a `__Host-` cookie over https, and an
//! absolute session lifetime.

mod common;

use common::*;

fn csp(page: &Page) -> String {
    page.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

#[tokio::test]
async fn every_page_has_a_csp_whose_nonce_only_its_own_scripts_carry() {
    let app = TestApp::spawn().await;
    let first = app.get("/sign-in", None).await;
    let policy = csp(&first);
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(policy.contains("object-src 'none'") && policy.contains("frame-ancestors 'none'"));
    assert!(!policy.contains("unsafe-inline") && !policy.contains("'unsafe-eval'"), "{policy}");
    let nonce = policy.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("a nonce").to_string();
    assert!(nonce.len() >= 32);
    // Every inline script carries it; scripts from files need none.
    let scripts: Vec<&str> = first.body.split("<script").skip(1).map(|s| s.split('>').next().unwrap()).collect();
    assert!(!scripts.is_empty());
    for attrs in &scripts {
        assert!(attrs.contains(" src=") || attrs.contains(&format!("nonce=\"{nonce}\"")), "<script{attrs}>");
    }
    // A fresh nonce each time.
    let second = app.get("/sign-in", None).await;
    assert_ne!(csp(&second), policy);
    // Signed in, an island page too.
    let signed = admin(&app).await;
    let live = app.service_id("Example live service").await;
    let hub = app.get(&format!("/services/{live}/api"), Some(&signed.cookie)).await;
    let policy = csp(&hub);
    let nonce = policy.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).unwrap();
    assert!(hub.body.contains(&format!("nonce=\"{nonce}\"")));
    // The API and static files get the policy without a nonce.
    let api = app.client.get(format!("{}/v2/templates", app.base)).send().await.unwrap();
    let api_policy = api.headers().get("content-security-policy").unwrap().to_str().unwrap();
    assert!(api_policy.contains("default-src 'self'") && !api_policy.contains("nonce"));
    // Plain http: no HSTS (it would be ignored, and breaks local demos).
    assert!(!first.headers.contains_key("strict-transport-security"));
}

#[tokio::test]
async fn over_https_the_session_cookie_is_host_only_and_hsts_is_sent() {
    let app = TestApp::spawn_with(&[("NOTIFY_BASE_URL", "https://notify.example.gov.uk")]).await;
    let page = app.post("/sign-in", None, &[("email_address", ADMIN), ("password", PASSWORD)]).await;
    assert_eq!(page.status, 302);
    let set = page.set_cookie().unwrap();
    assert!(set.starts_with("__Host-notify_session="), "{set}");
    assert!(set.contains("; Path=/") && set.contains("; Secure") && set.contains("HttpOnly"), "{set}");
    assert!(!set.to_ascii_lowercase().contains("domain="), "{set}");
    assert_eq!(
        page.headers.get("strict-transport-security").unwrap().to_str().unwrap(),
        "max-age=31536000; includeSubDomains"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    assert_eq!(app.get("/your-services", Some(&cookie)).await.status, 200);
    // The same id under the unprefixed name (as a subdomain or an http page
    // could set it) is not a session.
    let shadow = cookie.replace("__Host-notify_session=", "notify_session=");
    assert_eq!(app.get("/your-services", Some(&shadow)).await.status, 302);
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_active() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_in(ADMIN).await;
    assert_eq!(app.get("/your-services", Some(&cookie)).await.status, 200);
    let started = app::ssr::clock::now() - time::Duration::hours(21);
    on_db!(app.state.pool, |db| sqlx::query("UPDATE sessions SET created_at = $1")
        .bind(started)
        .execute(db)
        .await
        .unwrap()
        .rows_affected());
    // Active a second ago, but signed in 21 hours ago: the default limit is 20.
    let page = app.get("/your-services", Some(&cookie)).await;
    assert_eq!(page.status, 302);
    assert!(page.location().starts_with("/sign-in"), "{}", page.location());
}
