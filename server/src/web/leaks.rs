//! Leaked key reports: `/report-a-leaked-key` (a page anyone can use) and
//! `POST /secret-scanning/report` (a secret-scanning service's JSON, in
//! GitHub's partner-program shape: `[{"token", "type", "url", "source"}]`).
//! Every key found (checksum first, then the store) that still works is
//! revoked, and the report goes on the service's audit log and its hub. The
//! answer is the same whether or not a key was found, and comes before the
//! work is done, so neither its words nor its timing say whether a key
//! existed.

use super::error::{show, PageError};
use super::extract::Form;
use crate::AppState;
use app::domain::api_key::{find_keys, PresentedKey};
use app::pages::leaks::{LeakReportForm, LeakReportReceived};
use app::ssr::store;
use app::view_model::{FormErrors, Page};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// How much of a report is read.
const MAX_TEXT: usize = 64 * 1024;

pub async fn form() -> Response {
    show(Page::new(LeakReportForm::default()))
}

#[derive(Deserialize)]
pub struct Report {
    #[serde(default)]
    text: String,
    #[serde(default)]
    found_at: String,
}

pub async fn report(State(state): State<AppState>, Form(report): Form<Report>) -> Result<Response, PageError> {
    let mut errors = FormErrors::default();
    if report.text.trim().is_empty() {
        errors.push("text", "Paste what you found");
    } else if report.text.len() > MAX_TEXT {
        errors.push("text", "What you found must be 64,000 characters or fewer");
    }
    if report.found_at.chars().count() > 500 {
        errors.push("found_at", "Where you found it must be 500 characters or fewer");
    }
    if !errors.is_empty() {
        // The text is not echoed back: it may hold a live key.
        let form = LeakReportForm { text: String::new(), found_at: report.found_at, errors };
        return Ok(show(Page::new(form)));
    }
    handle_in_background(state, report.text, report.found_at);
    Ok(show(Page::new(LeakReportReceived)))
}

#[derive(Deserialize)]
pub struct ScannerMatch {
    #[serde(default)]
    token: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    source: String,
}

/// Whether the report is signed by a configured scanner: the
/// `Github-Public-Key-Signature` header, base64 of a DER ECDSA P-256
/// signature of the body, under the key `Github-Public-Key-Identifier` names.
fn signed_by_a_scanner(state: &AppState, headers: &axum::http::HeaderMap, body: &[u8]) -> bool {
    use base64::Engine;
    use p256::ecdsa::signature::Verifier;
    use p256::pkcs8::DecodePublicKey;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(id), Some(signature)) = (header("github-public-key-identifier"), header("github-public-key-signature"))
    else {
        return false;
    };
    let Some((_, der)) = state.config.secret_scanning_keys.iter().find(|(known, _)| known == id) else {
        return false;
    };
    let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(der) else { return false };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else { return false };
    let Ok(signature) = p256::ecdsa::Signature::from_der(&bytes) else { return false };
    key.verify(body, &signature).is_ok()
}

/// `POST /secret-scanning/report`: answers `[]` (202) to any well-formed
/// report, 400 to anything else; when scanners' keys are configured
/// (`NOTIFY_SECRET_SCANNING_KEYS`), 401 to a report without a valid
/// signature.
pub async fn scanner_report(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if body.len() > 1024 * 1024 {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    if !state.config.secret_scanning_keys.is_empty() && !signed_by_a_scanner(&state, &headers, &body) {
        return (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({"error": "the signature is not valid"})))
            .into_response();
    }
    let Ok(matches) = serde_json::from_slice::<Vec<ScannerMatch>>(&body) else {
        return (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({"error": "expected a JSON array of matches"})))
            .into_response();
    };
    for m in matches.into_iter().take(1000) {
        let found_at = match (m.url.is_empty(), m.source.is_empty()) {
            (false, false) => format!("{} ({})", m.url, m.source),
            (false, true) => m.url,
            (true, false) => m.source,
            (true, true) => String::new(),
        };
        handle_in_background(state.clone(), m.token, found_at);
    }
    (StatusCode::ACCEPTED, axum::Json(serde_json::json!([]))).into_response()
}

fn handle_in_background(state: AppState, text: String, found_at: String) {
    tokio::spawn(async move {
        if let Err(e) = revoke_found_keys(&state, &text, &found_at).await {
            tracing::error!(error = ?e, "could not handle a leak report");
        }
    });
}

/// Revokes every working key in `text`; returns how many.
pub async fn revoke_found_keys(state: &AppState, text: &str, found_at: &str) -> anyhow::Result<usize> {
    let found_at: String =
        found_at.chars().filter(|c| !c.is_control()).take(500).collect::<String>().trim().to_string();
    let mut revoked = 0;
    for key in find_keys(text) {
        let Some(presented) = PresentedKey::parse(key) else { continue };
        let digest = state.secrets.digest(presented.secret());
        let Some(stored) = store::auth_key_by_digest(&state.pool, &digest).await? else { continue };
        if presented.service_id() != Some(stored.service_id.as_str()) {
            continue;
        }
        let was_working = store::revoke_api_key(&state.pool, &stored.service_id, &stored.id, None).await?;
        let place = if found_at.is_empty() { "somewhere not given".to_string() } else { found_at.clone() };
        let description = if was_working {
            format!("API key ‘{}’ was reported as leaked, found at {place}, and revoked", stored.name)
        } else {
            format!("API key ‘{}’ was reported as leaked, found at {place} (it no longer worked)", stored.name)
        };
        store::audit_leak(&state.pool, &stored.service_id, &stored.id, &description).await?;
        tracing::warn!(service_id = %stored.service_id, key_id = %stored.id, revoked = was_working, "API key reported leaked");
        revoked += usize::from(was_working);
    }
    Ok(revoked)
}
