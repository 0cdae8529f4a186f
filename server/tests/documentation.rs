//! `/documentation`: readable signed out, every page and every section of
//! it; and the callback verification examples it shows, run against
//! signatures this server makes (the sending examples are run by
//! `compat/run.sh`, with Notify's clients).

mod common;

use app::ssr::webhooks;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

#[tokio::test]
async fn every_documentation_page_answers_signed_out_with_its_navigation() {
    let app = TestApp::spawn().await;
    for section in server::docs::SECTIONS {
        let path = if section.slug.is_empty() {
            "/documentation".to_string()
        } else {
            format!("/documentation/{}", section.slug)
        };
        let page = app.get(&path, None).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(page.body.contains(&format!("<title>{} – API documentation", section.title)), "{path}: title");
        // The navigation names every page and marks this one.
        for other in server::docs::SECTIONS {
            assert!(page.body.contains(&format!(">{}</a>", other.title)), "{path} lacks a link to {}", other.title);
        }
        assert!(page.body.contains("aria-current=\"page\""), "{path}");
    }
    assert_eq!(app.get("/documentation/no-such-page", None).await.status, 404);
    assert_eq!(app.get("/documentation/", None).await.status, 404);
    // Every page links to the documentation from its footer.
    let sign_in = app.get("/sign-in", None).await;
    assert!(sign_in.body.contains("href=\"/documentation\""));
}

#[tokio::test]
async fn the_rest_api_page_documents_every_endpoint_and_its_errors() {
    let app = TestApp::spawn().await;
    let page = app.get("/documentation/rest-api", None).await;
    // The page's text, its apostrophes as they are written in HTML.
    let text = page.text().replace("&#39;", "'");
    for (summary, route) in [
        ("Send an email", "POST /v2/notifications/email"),
        ("Send a text message", "POST /v2/notifications/sms"),
        ("Send a letter", "POST /v2/notifications/letter"),
        ("Get a message", "GET /v2/notifications/{id}"),
        ("List messages", "GET /v2/notifications"),
        ("Get a letter's PDF", "GET /v2/notifications/{id}/pdf"),
        ("Get a template", "GET /v2/template/{id}"),
        ("List templates", "GET /v2/templates"),
        ("Preview a template", "POST /v2/template/{id}/preview"),
        ("List received text messages", "GET /v2/received-text-messages"),
        ("Receive a text message (Firetext's form)", "POST /notifications/sms/receive/firetext"),
    ] {
        assert!(text.contains(summary), "no section {summary}");
        assert!(text.contains(route), "no {route}");
    }
    for message in [
        "Template not found",
        "Invalid token: API key revoked",
        "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
        "Cannot send letters with a team api key",
        "PDF not available yet, try again later",
    ] {
        assert!(text.contains(message), "the errors do not say {message}");
    }
    // The fields of a request, each in the table.
    for field in ["email_address", "template_id", "personalisation", "email_reply_to_id", "one_click_unsubscribe_url"] {
        assert!(page.body.contains(&format!("<code>{field}</code>")), "no field {field}");
    }
    // And the fields of each answer, nested ones by their path.
    for field in ["content.from_email", "template.uri", "notifications[].status", "links.next", "sanitised_content"] {
        assert!(page.body.contains(&format!("<code>{field}</code>")), "no answer field {field}");
    }
}

/// Runs a verification example with the callback's parts; whether it said
/// the callback is genuine.
fn verifies(
    program: &str,
    example: &str,
    secret: &str,
    headers: [(&str, String); 3],
    token: (&str, &str),
    body: &[u8],
) -> bool {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut child = Command::new(program)
        .arg(root.join("docs/examples").join(example))
        .env("SIGNING_SECRET", secret)
        .env("WEBHOOK_ID", &headers[0].1)
        .env("WEBHOOK_TIMESTAMP", &headers[1].1)
        .env("WEBHOOK_SIGNATURE", &headers[2].1)
        .env("AUTHORIZATION", format!("Bearer {}", token.0))
        .env("CALLBACK_TOKEN", token.1)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} must be installed (make bootstrap): {e}"));
    child.stdin.take().unwrap().write_all(body).unwrap();
    let status = child.wait().unwrap();
    assert!(status.code().is_some_and(|c| c == 0 || c == 1), "{example} crashed: {status}");
    status.success()
}

#[test]
fn the_callback_verification_examples_accept_our_signatures_and_refuse_anything_else() {
    let secret = webhooks::new_signing_secret();
    let old_secret = webhooks::new_signing_secret();
    let payload = serde_json::json!({
        "id": "740e5834-3a29-46b4-9a6f-16142fde533a", "reference": null, "to": "amala@example.com",
        "status": "delivered", "notification_type": "email", "template_version": 1,
    });
    let body = webhooks::python_json(&payload.to_string()).into_bytes();
    let id = uuid::Uuid::new_v4().to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let sign =
        |secrets: &[&str], at: i64, body: &[u8]| webhooks::signature_header(secrets.iter().copied(), &id, at, body);
    let parts = |at: i64, signature: String| {
        [("webhook-id", id.clone()), ("webhook-timestamp", at.to_string()), ("webhook-signature", signature)]
    };
    let token = "a-callback-bearer-token";
    for (program, example) in [("python3", "python/verify_callback.py"), ("node", "node/verify_callback.mjs")] {
        let check = |headers, given_token: &str, sent: &[u8]| {
            verifies(program, example, &secret, headers, (given_token, token), sent)
        };
        assert!(check(parts(now, sign(&[&secret], now, &body)), token, &body), "{example}: a genuine callback");
        // While the secret is rotated, both signatures are sent.
        assert!(check(parts(now, sign(&[&old_secret, &secret], now, &body)), token, &body), "{example}: rotation");
        let mut changed = body.clone();
        changed[10] ^= 1;
        assert!(!check(parts(now, sign(&[&secret], now, &body)), token, &changed), "{example}: a changed body");
        assert!(!check(parts(now, sign(&[&old_secret], now, &body)), token, &body), "{example}: another secret");
        assert!(!check(parts(now, sign(&[&secret], now, &body)), "a-wrong-token", &body), "{example}: a wrong token");
        let old = now - 600;
        assert!(!check(parts(old, sign(&[&secret], old, &body)), token, &body), "{example}: a replay");
        assert!(!check(parts(now + 1, sign(&[&secret], now, &body)), token, &body), "{example}: another timestamp");
    }
}

#[tokio::test]
async fn the_api_pages_link_to_the_documentation() {
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    let trial = app.service_id("Example trial service").await;
    let cookie = app.sign_in(ADMIN).await;
    for (service, page, link) in [
        (&live, "/api", "/documentation"),
        (&live, "/api/keys", "/documentation/api-keys"),
        // Why a live key cannot be made, in trial mode.
        (&trial, "/api/keys/create", "/documentation/api-keys#trial-mode"),
        (&live, "/api/callbacks/delivery-status-callback", "/documentation/callbacks"),
    ] {
        let body = app.get(&format!("/services/{service}{page}"), Some(&cookie)).await.body;
        assert!(body.contains(&format!("href=\"{link}\"")), "{page} does not link to {link}");
    }
    let moved = app.get(&format!("/services/{live}/api/documentation"), Some(&cookie)).await;
    assert_eq!((moved.status, moved.location()), (301, "/documentation"));
}
