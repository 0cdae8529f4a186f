//! The OpenAPI description: generated from the handlers, served at
//! `/documentation/openapi.json`, committed as `docs/openapi.json`; every API
//! route the router serves is in it, and every route in it is served.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn repository_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn generated() -> Value {
    serde_json::from_str(&server::api_v2::openapi::json()).unwrap()
}

#[test]
fn the_committed_description_is_the_generated_one() {
    let path = repository_root().join(server::api_v2::openapi::COMMITTED_PATH);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == server::api_v2::openapi::json(),
        "{} differs from the description the code generates: run\n  \
         cargo run -q -p server -- openapi > docs/openapi.json\nand commit it",
        path.display()
    );
}

#[test]
fn the_description_is_openapi_3_1_with_both_ways_to_authenticate() {
    let d = generated();
    assert_eq!(d["openapi"], "3.1.0");
    let schemes = d["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["jwt"]["scheme"], "bearer");
    assert_eq!(schemes["jwt"]["bearerFormat"], "JWT");
    assert_eq!(schemes["apiKeyV1"]["in"], "header");
    assert_eq!(schemes["apiKeyV1"]["name"], "Authorization");
    // Every operation answers its success, and Notify's error JSON for each
    // refusal it documents.
    for (path, item) in d["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path} documents no success");
            if path.starts_with("/v2/") {
                for status in ["400", "401", "403", "500"] {
                    let r = responses.get(status).unwrap_or_else(|| panic!("{method} {path}: no {status}"));
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorResponse",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}

/// `(METHOD, path)` of every route the description has.
fn described_routes(d: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in d["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// Every `.route("…")` path literal in the server's source under `/v2/` or
/// `/notifications/` (the API and the endpoints providers call), with the
/// methods of the `get(..)`/`post(..)` that follows it.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut stack = vec![repository_root().join("server/src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for (at, _) in source.match_indices(".route(") {
                let rest = &source[at + 7..];
                let rest = rest.trim_start();
                let Some(rest) = rest.strip_prefix('"') else { continue };
                let literal = &rest[..rest.find('"').unwrap()];
                if !(literal.starts_with("/v2/") || literal.starts_with("/notifications/")) || literal.contains("{*") {
                    continue;
                }
                let call = &rest[..rest.find(")\n").unwrap_or(rest.len())];
                for method in ["get", "post", "put", "patch", "delete"] {
                    if call.contains(&format!("{method}(")) {
                        out.insert((method.to_uppercase(), literal.to_string()));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_api_route_served_outside_the_documented_router_is_described() {
    let described = described_routes(&generated());
    let served = routes_in_source();
    // The one the provider calls is served by the web router (it is not
    // part of the v2 API's); the source scan finds it.
    assert!(served.contains(&("POST".to_string(), "/notifications/sms/receive/firetext".to_string())));
    let missing: Vec<_> = served.difference(&described).collect();
    assert!(missing.is_empty(), "served but not in the OpenAPI description: {missing:?}");
}

#[tokio::test]
async fn every_described_route_is_served_and_the_served_description_is_the_committed_one() {
    let app = TestApp::spawn().await;
    let r = app.client.get(format!("{}/documentation/openapi.json", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let served: Value = r.json().await.unwrap();
    assert_eq!(served, generated());
    // Without credentials every v2 route answers 401 in Notify's words, and
    // the provider's 401 (in its own form): none is the router's 404 or 405.
    for (method, path) in described_routes(&served) {
        let url = format!(
            "{}{}",
            app.base,
            path.replace("{id}", &uuid::Uuid::new_v4().to_string()).replace("{version}", "1")
        );
        let req = match method.as_str() {
            "GET" => app.client.get(url),
            "POST" => app.client.post(url).body("{}"),
            other => panic!("an unexpected method {other}"),
        };
        let r = req.send().await.unwrap();
        // SES's receipts carry no credentials (SNS signs them): refused with
        // 403 while they are not enabled.
        let expected = if path == "/notifications/email/ses" { 403 } else { 401 };
        assert_eq!(r.status(), expected, "{method} {path}");
        let body: Value = r.json().await.unwrap();
        if path.starts_with("/v2/") {
            assert_eq!(body["errors"][0]["message"], "Unauthorized: authentication token must be provided", "{path}");
        }
    }
}

#[tokio::test]
async fn answers_match_the_described_types_for_every_template_and_message() {
    // The handlers answer with the schema's types, so only their content can
    // be wrong: a template of each type, its preview and a message of each
    // type answer with every field the description requires.
    let app = TestApp::spawn().await;
    let service = app.service_id("Example live service").await;
    let key = make_key(&app, &service, "test", "openapi").await;
    let d = generated();
    let required = |schema: &str| -> Vec<String> {
        d["components"]["schemas"][schema]["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let templates = api_get(&app, &service, &key, "/v2/templates").await;
    let templates = templates["templates"].as_array().unwrap();
    assert!(templates.len() >= 3);
    for t in templates {
        for field in required("Template") {
            assert!(t.get(&field).is_some(), "template {} has no {field}", t["id"]);
        }
    }
    let has_all = |answer: &Value, schema: &str| {
        for field in required(schema) {
            assert!(answer.get(&field).is_some(), "{schema}: no {field} in {answer}");
        }
    };
    let email = template_id(&app, &service, "email").await;
    let sms = template_id(&app, &service, "sms").await;
    let letter = template_id(&app, &service, "letter").await;
    let personalisation = serde_json::json!({
        "name": "Ada", "reference_number": "1", "day": "Monday", "date": "today", "time": "noon",
        "address_line_1": "Ada", "address_line_2": "1 Street", "address_line_3": "SW1A 1AA",
    });
    let (status, sent) = send(
        &app,
        &service,
        &key,
        "email",
        serde_json::json!({
        "template_id": email, "email_address": "ada@example.com", "personalisation": personalisation}),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    has_all(&sent, "SentEmail");
    let (status, sent) = send(
        &app,
        &service,
        &key,
        "sms",
        serde_json::json!({
        "template_id": sms, "phone_number": "07700900123", "personalisation": personalisation}),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    has_all(&sent, "SentSms");
    let (status, sent) = send(
        &app,
        &service,
        &key,
        "letter",
        serde_json::json!({
        "template_id": letter, "personalisation": personalisation}),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    has_all(&sent, "SentLetter");
    let list = api_get(&app, &service, &key, "/v2/notifications").await;
    assert_eq!(list["notifications"].as_array().map(Vec::len), Some(3));
    for field in required("NotificationList") {
        assert!(list.get(&field).is_some(), "the list has no {field}");
    }
    for n in list["notifications"].as_array().unwrap() {
        for field in required("Notification") {
            assert!(n.get(&field).is_some(), "notification {} has no {field}", n["id"]);
        }
    }
}
