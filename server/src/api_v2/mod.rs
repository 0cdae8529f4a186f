//! The public JSON API, Notify's v2: axum handlers that take a [`Caller`]
//! (authenticated in Notify's order, with Notify's messages) and an
//! [`ApiBody`], and return `Result<_, ApiError>`; every refusal, 404, 405,
//! 413 and panic included, is Notify's error JSON.

pub mod auth;
pub mod error;
pub mod read;
pub mod runtime;
pub mod send;

use crate::AppState;
use app::domain::TemplateType;
use auth::Caller;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use error::ApiError;
use serde_json::{Map, Value};

/// The largest request body the API reads (an email may be 2,000,000 bytes,
/// as in Notify, plus its JSON); a larger one answers 413.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/notifications/email", post(send_email))
        .route("/v2/notifications/sms", post(send_sms))
        .route("/v2/notifications/letter", post(send_letter))
        .route("/v2/notifications", get(list_notifications))
        .route("/v2/notifications/{id}", get(get_notification))
        .route("/v2/notifications/{id}/pdf", get(get_notification_pdf))
        .route("/v2/templates", get(list_templates))
        .route("/v2/template/{id}", get(get_template))
        .route("/v2/template/{id}/version/{version}", get(get_template_version))
        .route("/v2/template/{id}/preview", post(preview_template))
        .route("/v2/received-text-messages", get(received))
        .route(
            "/v2/{*rest}",
            axum::routing::any(|| async {
                ApiError::new(StatusCode::NOT_FOUND, "NotFound", "The requested URL was not found on the server.")
            }),
        )
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "The method is not allowed for the requested URL.",
            )
        })
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            ApiError::internal("a v2 handler panicked").into_response()
        }))
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

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = match auth::authenticate(state, &parts.headers).await {
            Ok(caller) => caller,
            Err(e) => {
                // A security event: Notify's message says why (never the
                // token); the route and request id are on the span.
                let client =
                    parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
                let reason = e.errors.first().map(|(_, m)| m.as_str()).unwrap_or_default();
                tracing::warn!(target: "security", event = "api_request_refused", status = e.status.as_u16(), reason, client = ?client);
                return Err(e);
            }
        };
        state.api.touch(&caller.key_id);
        Ok(caller)
    }
}

/// A request body, read within [`BODY_LIMIT`] (413 in Notify's error JSON
/// beyond it). It is decoded by the handler with [`json_body`], after the
/// checks Notify makes before it reads the JSON (rate and daily limits).
pub struct ApiBody(pub axum::body::Bytes);

impl FromRequest<AppState> for ApiBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, ApiError> {
        axum::body::to_bytes(req.into_body(), BODY_LIMIT).await.map(Self).map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "The data value transmitted exceeds the capacity limit.",
            )
        })
    }
}

type Answer = Result<Response, ApiError>;

/// Handles a request on the async worker when its body is small, else off
/// the async workers ([`crate::bounded`]): a large body's parsing,
/// sanitising and rendering take milliseconds that every other request
/// would otherwise wait for.
async fn by_size<F>(body_len: usize, work: F) -> Answer
where
    F: std::future::Future<Output = Answer> + Send + 'static,
{
    if body_len < crate::bounded::LARGE_BODY {
        work.await
    } else {
        crate::bounded::off_workers(work).await.unwrap_or_else(|e| Err(ApiError::internal(e)))
    }
}

async fn send_as(state: AppState, caller: Caller, t: TemplateType, body: axum::body::Bytes) -> Answer {
    by_size(body.len(), async move { send::send(&state, &caller, t, &body).await }).await
}

async fn send_email(State(state): State<AppState>, caller: Caller, ApiBody(body): ApiBody) -> Answer {
    send_as(state, caller, TemplateType::Email, body).await
}

async fn send_sms(State(state): State<AppState>, caller: Caller, ApiBody(body): ApiBody) -> Answer {
    send_as(state, caller, TemplateType::Sms, body).await
}

async fn send_letter(State(state): State<AppState>, caller: Caller, ApiBody(body): ApiBody) -> Answer {
    send_as(state, caller, TemplateType::Letter, body).await
}

async fn list_notifications(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Answer {
    read::notifications(&state, &caller, q.as_deref()).await
}

async fn get_notification(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Answer {
    read::notification(&state, &caller, &id).await
}

async fn get_notification_pdf(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Answer {
    read::notification_pdf(&state, &caller, &id).await
}

async fn list_templates(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Answer {
    read::templates(&state, &caller, q.as_deref()).await
}

async fn get_template(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Answer {
    read::template(&state, &caller, &id).await
}

async fn get_template_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, String)>,
) -> Answer {
    read::template_version(&state, &caller, &id, &version).await
}

async fn preview_template(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiBody(body): ApiBody,
) -> Answer {
    by_size(body.len(), async move { read::preview(&state, &caller, &id, &body).await }).await
}

async fn received(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Answer {
    read::received_text_messages(&state, &caller, q.as_deref()).await
}
