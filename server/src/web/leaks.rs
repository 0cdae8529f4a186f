//! Leaked key reports: `/report-a-leaked-key` (a page anyone can use) and
//! `POST /secret-scanning/report` (a secret-scanning service's JSON, in
//! GitHub's partner-program shape: `[{"token", "type", "url", "source"}]`).
//! Every key found (checksum first, then the store) that still works is
//! revoked, and the report goes on the service's audit log and its hub. The
//! answer is the same whether or not a key was found, and comes before the
//! work is done, so neither its words nor its timing say whether a key
//! existed.

use super::error::{show, show_with, PageError};
use super::extract::Form;
use crate::AppState;
use app::domain::api_key::{find_keys, PresentedKey};
use app::pages::leaks::{LeakReportForm, LeakReportReceived};
use app::ssr::clock;
use app::ssr::store;
use app::view_model::{FormErrors, Page};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use std::net::SocketAddr;

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

/// Reports one client may make in [`REPORT_WINDOW_MINUTES`] (each page and
/// each scanner request counts one): a person reports a handful, a scanner
/// sends what it finds in batches.
pub const MAX_CLIENT_REPORTS: i64 = 30;
pub const REPORT_WINDOW_MINUTES: i64 = 5;

/// Keys looked up from one report (a real one holds a few): each costs a
/// keyed digest and a database look-up, so a report of thousands of forged
/// keys with valid checksums must not cost thousands.
pub const MAX_KEYS_PER_REPORT: usize = 100;

/// Reports being worked on at once; beyond them a report is answered 429
/// (try again later) instead of queueing without end.
pub const REPORTS_AT_ONCE: usize = 4;

/// Takes one report from the client's budget; `false` when it is spent.
async fn client_may_report(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
) -> anyhow::Result<bool> {
    let client = super::client::client_addr(&state.config, headers, peer.map(|Extension(ConnectInfo(a))| a));
    let Some(ip) = client else { return Ok(true) };
    let key = format!("leak-report:{}", super::client::budget_key(ip));
    let since = clock::ago(time::Duration::minutes(REPORT_WINDOW_MINUTES));
    Ok(store::reserve_sign_in_attempt(&state.pool, &key, since, MAX_CLIENT_REPORTS).await?.is_some())
}

pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(report): Form<Report>,
) -> Result<Response, PageError> {
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
    let too_many = || {
        let mut errors = FormErrors::default();
        errors.push("text", "Too many reports have been sent from your network. Try again in 5 minutes.");
        let form = LeakReportForm { text: String::new(), found_at: String::new(), errors };
        show_with(Page::new(form), StatusCode::TOO_MANY_REQUESTS)
    };
    if !client_may_report(&state, &headers, peer).await? {
        return Ok(too_many());
    }
    if !handle_in_background(&state, vec![(report.text, report.found_at)]) {
        return Ok(too_many());
    }
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
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: axum::body::Bytes,
) -> Response {
    let too_many = || {
        (StatusCode::TOO_MANY_REQUESTS, axum::Json(serde_json::json!({"error": "too many reports, try again later"})))
            .into_response()
    };
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
    match client_may_report(&state, &headers, peer).await {
        Ok(true) => {}
        Ok(false) => return too_many(),
        Err(e) => {
            tracing::error!(error = ?e, "could not count a scanner's report");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let reports = matches
        .into_iter()
        .take(MAX_KEYS_PER_REPORT)
        .map(|m| {
            let found_at = match (m.url.is_empty(), m.source.is_empty()) {
                (false, false) => format!("{} ({})", m.url, m.source),
                (false, true) => m.url,
                (true, false) => m.source,
                (true, true) => String::new(),
            };
            (m.token, found_at)
        })
        .collect();
    if !handle_in_background(&state, reports) {
        return too_many();
    }
    (StatusCode::ACCEPTED, axum::Json(serde_json::json!([]))).into_response()
}

/// Works on a report's texts after the answer, in one task of at most
/// [`REPORTS_AT_ONCE`]; `false` (nothing done) when that many are running.
fn handle_in_background(state: &AppState, reports: Vec<(String, String)>) -> bool {
    let Ok(slot) = state.leak_reports.clone().try_acquire_owned() else { return false };
    let state = state.clone();
    tokio::spawn(async move {
        let _slot = slot;
        let mut budget = MAX_KEYS_PER_REPORT;
        for (text, found_at) in reports {
            match revoke_found_keys(&state, &text, &found_at, budget).await {
                Ok(looked_up) => budget -= looked_up.min(budget),
                Err(e) => tracing::error!(error = ?e, "could not handle a leak report"),
            }
            if budget == 0 {
                break;
            }
        }
    });
    true
}

/// Revokes every working key in `text`, looking up at most `budget` of
/// them; returns how many were looked up.
pub async fn revoke_found_keys(state: &AppState, text: &str, found_at: &str, budget: usize) -> anyhow::Result<usize> {
    let mut looked_up = 0;
    for key in find_keys(text).into_iter().take(budget) {
        looked_up += 1;
        let Some(presented) = PresentedKey::parse(key) else { continue };
        let digest = state.secrets.digest(presented.secret());
        let Some(stored) = store::auth_key_by_digest(&state.pool, &digest).await? else { continue };
        if presented.service_id() != Some(stored.service_id.as_str()) {
            continue;
        }
        let revoked = app::ssr::keys::revoke_leaked(&state.pool, &stored.service_id, &stored.id, found_at).await?;
        tracing::warn!(service_id = %stored.service_id, key_id = %stored.id, revoked = revoked == Some(true), "API key reported leaked");
    }
    Ok(looked_up)
}
