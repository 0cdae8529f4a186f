//! The public JSON API, Notify's v2: plain axum handlers with their own
//! error type rendering Notify's error bodies.

pub mod auth;
pub mod error;
mod read;
pub mod runtime;
pub mod send;

use crate::AppState;
use app::domain::TemplateType;
use auth::Caller;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use error::ApiError;
use serde_json::{Map, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/notifications/email", post(|s, h, b| send_any(s, h, b, TemplateType::Email)))
        .route("/v2/notifications/sms", post(|s, h, b| send_any(s, h, b, TemplateType::Sms)))
        .route("/v2/notifications/letter", post(|s, h, b| send_any(s, h, b, TemplateType::Letter)))
        .route("/v2/notifications", get(list_notifications))
        .route("/v2/notifications/{id}", get(get_notification))
        .route("/v2/templates", get(list_templates))
        .route("/v2/template/{id}", get(get_template))
        .route("/v2/template/{id}/version/{version}", get(get_template_version))
        .route("/v2/template/{id}/preview", post(preview_template))
        .route("/v2/received-text-messages", get(received))
        .route(
            "/v2/{*rest}",
            axum::routing::any(|| async {
                ApiError::new(
                    axum::http::StatusCode::NOT_FOUND,
                    "NotFound",
                    "The requested URL was not found on the server.",
                )
            }),
        )
}

/// The public address this server is reached at, for the URIs it returns.
pub fn base_url(state: &AppState) -> String {
    state.config.base_url.clone()
}

/// The body as a JSON object, or Notify's `Invalid JSON supplied in POST data`.
pub fn json_body(raw: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::validation(vec![format!("{other} is not of type object")])),
        Err(_) => Err(ApiError::bad_request("Invalid JSON supplied in POST data")),
    }
}

pub fn string_field(body: &Map<String, Value>, field: &str) -> Option<String> {
    body.get(field).and_then(Value::as_str).map(str::to_string)
}

async fn authed(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let caller = auth::authenticate(state, headers).await?;
    state.api.touch(&caller.key_id);
    Ok(caller)
}

fn respond(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

async fn send_any(State(state): State<AppState>, headers: HeaderMap, body: Bytes, t: TemplateType) -> Response {
    respond(async { send::send(&state, &authed(&state, &headers).await?, t, &body).await }.await)
}

async fn list_notifications(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    respond(async { read::notifications(&state, &authed(&state, &headers).await?, q.as_deref()).await }.await)
}

async fn get_notification(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    respond(async { read::notification(&state, &authed(&state, &headers).await?, &id).await }.await)
}

async fn list_templates(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    respond(async { read::templates(&state, &authed(&state, &headers).await?, q.as_deref()).await }.await)
}

async fn get_template(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    respond(async { read::template(&state, &authed(&state, &headers).await?, &id).await }.await)
}

async fn get_template_version(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, version)): Path<(String, String)>,
) -> Response {
    respond(async { read::template_version(&state, &authed(&state, &headers).await?, &id, &version).await }.await)
}

async fn preview_template(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    respond(async { read::preview(&state, &authed(&state, &headers).await?, &id, &body).await }.await)
}

async fn received(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    respond(async { read::received_text_messages(&state, &authed(&state, &headers).await?, q.as_deref()).await }.await)
}
