//! Broken on purpose: a key revoked while sends run at full speed, the
//! server killed with SIGKILL during sustained sends, and a corpus of
//! malformed requests against every /v2 route and every admin form.

mod common;

use common::*;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- revocation race

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_request_is_accepted_after_a_revocation_answers() {
    let app = Arc::new(TestApp::spawn().await);
    let live = app.service_id("Example live service").await;
    app::ssr::store::set_rate_limit(&app.state.pool, &live, 100_000_000).await.unwrap();
    let key = Arc::new(make_key(&app, &live, "normal", "Racing").await);
    let template = template_id(&app, &live, "email").await;
    let signed = admin(&app).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for _ in 0..8 {
        let (app, key, live, template, stop) = (app.clone(), key.clone(), live.clone(), template.clone(), stop.clone());
        senders.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let (status, _) = send(
                    &app,
                    &live,
                    &key,
                    "email",
                    json!({"email_address": "race@example.com", "template_id": template, "personalisation": {"name": "R"}}),
                )
                .await;
                seen.push((started, status));
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let revoke = app
        .post(
            &format!("/services/{live}/api/keys/revoke/{}", key.id),
            Some(&signed.cookie),
            &[("csrf_token", &signed.csrf)],
        )
        .await;
    assert_eq!(revoke.status, 302);
    let revoked_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(400)).await;
    stop.store(true, Ordering::Relaxed);
    let mut before = 0;
    let mut after = 0;
    let mut accepted_after = 0;
    for sender in senders {
        for (started, status) in sender.await.unwrap() {
            if started > revoked_at {
                after += 1;
                if status == 201 {
                    accepted_after += 1;
                }
            } else if status == 201 {
                before += 1;
            }
        }
    }
    println!("revocation race: {before} accepted before, {after} tried after, {accepted_after} accepted after");
    assert!(before > 20 && after > 20, "the race ran at speed: {before} before, {after} after");
    assert_eq!(accepted_after, 0);
}

// ---------------------------------------------------------------- crash consistency

/// Rounds of sustained sends, each ended by SIGKILL; then every id that got
/// a 201 must be in the database, once. `CRASH_ROUNDS` makes it longer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_201_survives_kill_9_during_sustained_sends() {
    let rounds: usize = std::env::var("CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&dir.path().join("data"), &[]).await;
    let base = server.base.clone();
    let (live, secret) = server.key_for("Example live service", app::domain::KeyType::Test).await;
    let (pool, _) = server.open_store().await;
    let template = app::ssr::store::list_templates(&pool, &live)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.template_type.as_str() == "email")
        .unwrap()
        .id;
    let client = reqwest::Client::new();
    let mut acknowledged: Vec<String> = Vec::new();
    let mut broken = 0;
    for round in 0..rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let mut senders = Vec::new();
        for _ in 0..8 {
            let (client, base, live, secret, template, stop) =
                (client.clone(), base.clone(), live.clone(), secret.clone(), template.clone(), stop.clone());
            senders.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                let mut failed = 0;
                while !stop.load(Ordering::Relaxed) {
                    let sent = client
                        .post(format!("{base}/v2/notifications/email"))
                        .header("authorization", format!("Bearer {}", token(&live, &secret)))
                        .json(&json!({"email_address": "crash@example.com", "template_id": template, "personalisation": {"name": "C"}}))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().as_u16() == 201 => match r.json::<serde_json::Value>().await {
                            Ok(body) => ids.push(body["id"].as_str().unwrap().to_string()),
                            // The answer was cut off by the kill: not acknowledged.
                            Err(_) => failed += 1,
                        },
                        Ok(r) => panic!("unexpected {} after {} sent by this task: {}", r.status(), ids.len(), r.text().await.unwrap_or_default()),
                        Err(_) => {
                            failed += 1;
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    }
                }
                (ids, failed)
            }));
        }
        tokio::time::sleep(Duration::from_millis(300 + 200 * round as u64)).await;
        server.kill_9();
        stop.store(true, Ordering::Relaxed);
        for s in senders {
            let (ids, failed) = s.await.unwrap();
            acknowledged.extend(ids);
            broken += failed;
        }
        server.start_again().await;
    }
    server.kill_9();
    let stored: Vec<(String,)> =
        on_db!(pool, |db| sqlx::query_as("SELECT id FROM notifications").fetch_all(db).await.unwrap());
    let stored: std::collections::HashMap<String, usize> =
        stored.into_iter().fold(Default::default(), |mut m, (id,)| {
            *m.entry(id).or_default() += 1;
            m
        });
    let lost: Vec<&String> = acknowledged.iter().filter(|id| !stored.contains_key(*id)).collect();
    let unique: std::collections::HashSet<&String> = acknowledged.iter().collect();
    println!(
        "crash consistency: {rounds} kills, {} acknowledged, {} stored, {broken} requests cut off, {} lost",
        acknowledged.len(),
        stored.len(),
        lost.len()
    );
    assert!(acknowledged.len() > 50, "sends ran: {}", acknowledged.len());
    assert_eq!(unique.len(), acknowledged.len(), "no id acknowledged twice");
    assert!(lost.is_empty(), "{} acknowledged ids lost: {:?}", lost.len(), &lost[..lost.len().min(5)]);
    assert!(stored.values().all(|n| *n == 1));
}

// ---------------------------------------------------------------- malformed input

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Strings that break naive parsers.
fn nasty_string(rng: &mut Rng) -> String {
    match rng.below(12) {
        0 => String::new(),
        1 => "a".repeat(rng.below(100_000)),
        2 => "😀".repeat(rng.below(5_000)),
        3 => "\u{0}\u{1}\u{7f}\u{202e}".to_string(),
        4 => "((name))".repeat(rng.below(2_000)),
        5 => "'; DROP TABLE notifications; --".to_string(),
        6 => "%ff%fe%00".to_string(),
        7 => "<script>alert(1)</script>".to_string(),
        8 => "\u{feff}\u{200b} 07700900123 \u{a0}".to_string(),
        9 => format!("{}@{}.com", "x".repeat(rng.below(400)), "y".repeat(rng.below(300))),
        10 => "-1e309".to_string(),
        _ => (0..rng.below(64)).map(|_| char::from_u32(rng.below(0x2FFF) as u32).unwrap_or('?')).collect(),
    }
}

fn nasty_json(rng: &mut Rng, depth: usize) -> serde_json::Value {
    match rng.below(if depth > 3 { 6 } else { 9 }) {
        0 => serde_json::Value::Null,
        1 => json!(rng.next() as i64),
        2 => json!(f64::MAX),
        3 => json!(rng.below(2) == 0),
        4 | 5 => json!(nasty_string(rng)),
        6 => serde_json::Value::Array((0..rng.below(5)).map(|_| nasty_json(rng, depth + 1)).collect()),
        7 => {
            let mut m = serde_json::Map::new();
            for field in [
                "email_address",
                "phone_number",
                "template_id",
                "personalisation",
                "reference",
                "email_reply_to_id",
                "sms_sender_id",
                "scheduled_for",
                "postage",
                "content",
                "one_click_unsubscribe_url",
                "sanitise_content_for",
                "older_than",
                "letter_contact_block",
            ] {
                if rng.below(3) == 0 {
                    m.insert(field.to_string(), nasty_json(rng, depth + 1));
                }
            }
            serde_json::Value::Object(m)
        }
        _ => {
            // Deep nesting.
            let mut v = json!(1);
            for _ in 0..rng.below(200) {
                v = json!([v]);
            }
            v
        }
    }
}

fn nasty_body(rng: &mut Rng, template: &str) -> Vec<u8> {
    match rng.below(8) {
        0 => b"{".to_vec(),
        1 => vec![0xff, 0xfe, 0x00, 0x7b],
        2 => nasty_string(rng).into_bytes(),
        3 => vec![b'['; 100_000],
        4 => json!({"email_address": nasty_string(rng), "template_id": template, "personalisation": nasty_json(rng, 0)}).to_string().into_bytes(),
        5 => json!({"phone_number": nasty_string(rng), "template_id": template, "personalisation": {"name": nasty_string(rng)}}).to_string().into_bytes(),
        6 => vec![b'a'; 5 * 1024 * 1024],
        _ => nasty_json(rng, 0).to_string().into_bytes(),
    }
}

fn nasty_auth(rng: &mut Rng, live: &str, secret: &str) -> Option<String> {
    Some(match rng.below(14) {
        0 => return None,
        1 => format!("Bearer {}", token(live, secret)),
        2 => "Bearer".to_string(),
        3 => "Bearer a.b.c".to_string(),
        4 => format!("Bearer {}", nasty_string(rng)),
        // alg none, and a JWT with a huge payload.
        5 => {
            use base64::Engine;
            let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
            format!("Bearer {}.{}.", b64(json!({"alg": "none", "typ": "JWT"})), b64(json!({"iss": live, "iat": now()})))
        }
        6 => format!("Bearer eyJhbGciOiJIUzI1NiJ9.{}.sig", "A".repeat(rng.below(200_000))),
        7 => app::ssr::jwt::sign(&json!({"iss": live, "iat": "yesterday"}), secret),
        8 => format!("Bearer {}", app::ssr::jwt::sign(&json!({"iss": nasty_string(rng), "iat": now()}), secret)),
        9 => format!("ApiKey-v1 {}", nasty_string(rng)),
        10 => format!("ApiKey-v1 {}", "x".repeat(36)),
        11 => format!("apikey-v1 {secret}"),
        12 => format!("Basic {}", nasty_string(rng)),
        _ => format!("Bearer {}", app::ssr::jwt::sign(&json!({"iss": live, "iat": now() + 3600}), secret)),
    })
}

fn is_notify_error(status: u16, body: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else { return false };
    v["status_code"].as_u64() == Some(status as u64)
        && v["errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty() && e.iter().all(|x| x["error"].is_string() && x["message"].is_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_malformed_requests_get_clear_errors_never_a_5xx() {
    let requests: usize = std::env::var("CORPUS_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_500);
    let app = TestApp::spawn().await;
    let live = app.service_id("Example live service").await;
    app::ssr::store::set_rate_limit(&app.state.pool, &live, 100_000_000).await.unwrap();
    let key = make_key(&app, &live, "test", "Corpus").await;
    let template = template_id(&app, &live, "email").await;
    let signed = admin(&app).await;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // No connection reuse: a connection the server closed after refusing a
    // huge request must not fail the next one.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let v2_routes = [
        ("POST", "/v2/notifications/email".to_string()),
        ("POST", "/v2/notifications/sms".to_string()),
        ("POST", "/v2/notifications/letter".to_string()),
        ("GET", "/v2/notifications".to_string()),
        ("GET", format!("/v2/notifications/{}", uuid::Uuid::new_v4())),
        ("GET", "/v2/notifications/not-a-uuid".to_string()),
        ("GET", "/v2/templates".to_string()),
        ("GET", format!("/v2/template/{template}")),
        ("GET", format!("/v2/template/{template}/version/99999999999999999999")),
        ("POST", format!("/v2/template/{template}/preview")),
        ("GET", "/v2/received-text-messages".to_string()),
        ("GET", "/v2/nowhere".to_string()),
    ];
    let queries = [
        "",
        "?older_than=x",
        "?template_type=fax",
        "?status=%ff",
        "?reference=",
        "?include_jobs=maybe",
        "?older_than=00000000-0000-0000-0000-000000000000",
        "?type=email&type=sms",
        "?%zz=1",
    ];
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    let mut v2_tried = 0;
    let mut form_tried = 0;
    let mut header_refusals = 0;
    let mut failures = Vec::new();
    for i in 0..requests {
        let seed = rng.0;
        if rng.below(3) > 0 {
            // The v2 API.
            let (declared, path) = rng.pick(&v2_routes).clone();
            let method = if rng.below(5) == 0 { *rng.pick(&methods) } else { declared };
            let query = if method == "GET" { *rng.pick(&queries) } else { "" };
            let mut req = client.request(method.parse().unwrap(), format!("{}{path}{query}", app.base));
            let mut huge_header = false;
            let mut huge_body = false;
            if let Some(auth) = nasty_auth(&mut rng, &live, key.secret()) {
                if let Ok(value) = reqwest::header::HeaderValue::from_str(&auth) {
                    huge_header = auth.len() > 64 * 1024;
                    req = req.header("authorization", value);
                }
            }
            if method != "GET" {
                let content_type =
                    *rng.pick(&["application/json", "text/plain", "application/x-www-form-urlencoded", ""]);
                if !content_type.is_empty() {
                    req = req.header("content-type", content_type);
                }
                let body = nasty_body(&mut rng, &template);
                // Over the 4 MiB limit: the server answers 413 and closes the
                // connection while the client may still be writing.
                huge_body = body.len() > 4 * 1024 * 1024;
                req = req.body(body);
            }
            let r = match req.send().await {
                Ok(r) => r,
                // HTTP's own limit on a request's headers (refused before any
                // handler runs), or a body cut off after its 413.
                Err(_) if huge_header || huge_body => {
                    header_refusals += 1;
                    continue;
                }
                Err(e) => panic!("#{i} (seed {seed:#x}) {method} {path}: {e}"),
            };
            let status = r.status().as_u16();
            let body = r.bytes().await.unwrap();
            v2_tried += 1;
            let ok = status < 500 && (status < 300 || method == "HEAD" || is_notify_error(status, &body));
            if !ok {
                failures.push(format!(
                    "#{i} (seed {seed:#x}) {method} {path}{query}: {status} {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ));
            }
        } else {
            // An admin form, with the session's token so the body is read.
            let route = *rng.pick(&server::web::admin_route_table());
            if !route.methods.contains(&"POST") || route.path == "/sign-out" {
                continue;
            }
            let path = route
                .path
                .replace("{service_id}", &live)
                .replace("{key_id}", &key.id)
                .replace("{template_id}", &template)
                .replace("{alert_id}", "1")
                .replace("{reply_to_id}", &uuid::Uuid::new_v4().to_string())
                .replace("{sms_sender_id}", &uuid::Uuid::new_v4().to_string())
                .replace("{letter_contact_id}", &uuid::Uuid::new_v4().to_string())
                .replace("{callback}", "delivery-status-callback");
            let mut pairs: Vec<(String, String)> = vec![("csrf_token".into(), signed.csrf.clone())];
            for field in [
                "key_name",
                "key_type",
                "expires_in",
                "overlap",
                "email_addresses",
                "phone_numbers",
                "url",
                "bearer_token",
                "name",
                "subject",
                "template_content",
                "since",
                "event_id",
                "email_address",
                "password",
                "text",
                "found_at",
                "back",
                "is_default",
                "sms_sender",
                "letter_contact_block",
            ] {
                if rng.below(3) == 0 {
                    pairs.push((field.into(), nasty_string(&mut rng)));
                }
            }
            let body: Vec<u8> = match rng.below(6) {
                0 => vec![b'%', b'f', b'f', b'&', 0xff, b'='],
                1 => vec![b'a'; 300 * 1024],
                _ => form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish().into_bytes(),
            };
            let content_type = *rng.pick(&[
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded",
                "application/json",
                "multipart/form-data",
            ]);
            let r = client
                .post(format!("{}{path}", app.base))
                .header("cookie", &signed.cookie)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let html = content_type.starts_with("text/html");
            let text = r.text().await.unwrap_or_default();
            form_tried += 1;
            // The security key exchanges answer the page's script in JSON:
            // a clear error there is `{"error": "…"}`.
            let json_error = content_type.starts_with("application/json")
                && serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v["error"].is_string());
            let ok = status < 500 && (status == 302 || (html && text.contains("govuk-template")) || json_error);
            if !ok {
                failures.push(format!("#{i} (seed {seed:#x}) POST {path}: {status} {}", &text[..text.len().min(200)]));
            }
        }
    }
    // The server is still up and answering.
    assert_eq!(app.client.get(format!("{}/_status", app.base)).send().await.unwrap().status().as_u16(), 200);
    println!(
        "malformed input: {v2_tried} /v2 requests and {form_tried} form posts answered, {} wrong; \
         {header_refusals} cut off (headers over 64 KB, bodies over 4 MiB)",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} wrong:\n{}",
        failures.len(),
        v2_tried + form_tried,
        failures[..failures.len().min(20)].join("\n")
    );
}
