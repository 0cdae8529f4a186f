//! The public JSON API, Notify's v2: axum handlers that take a [`Caller`]
//! (authenticated in Notify's order, with Notify's messages) and an
//! [`ApiBody`], and return `Result<_, ApiError>`; every refusal, 404, 405,
//! 413 and panic included, is Notify's error JSON.

pub mod auth;
pub mod bulk;
pub mod error;
pub mod openapi;
pub mod read;
pub mod runtime;
pub mod schema;
pub mod send;

use crate::AppState;
use app::domain::TemplateType;
use auth::Caller;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use error::ApiError;
#[allow(unused_imports)]
use schema::*;
use serde_json::{Map, Value};

/// The largest request body the API reads (an email may be 2,000,000 bytes,
/// as in Notify, plus its JSON); a larger one answers 413.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The v2 API: each route is served from its handler's `#[utoipa::path]`
/// declaration, which also describes it ([`openapi`]); a route cannot be
/// served without being described.
fn documented() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(send_email))
        .routes(routes!(send_sms))
        .routes(routes!(send_letter))
        .routes(routes!(send_bulk))
        .routes(routes!(get_bulk_job))
        .routes(routes!(get_notification))
        .routes(routes!(list_notifications))
        .routes(routes!(get_notification_pdf))
        .routes(routes!(get_template))
        .routes(routes!(get_template_version))
        .routes(routes!(list_templates))
        .routes(routes!(preview_template))
        .routes(routes!(received))
}

/// The OpenAPI description of the v2 API (and of the other endpoints that
/// other systems call: [`openapi::base`]).
pub fn description() -> utoipa::openapi::OpenApi {
    documented().split_for_parts().1
}

pub fn router() -> Router<AppState> {
    let (router, _) = documented().split_for_parts();
    router
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

/// A bulk request's body, read within [`bulk::BULK_BODY_LIMIT`].
pub struct BulkBody(pub axum::body::Bytes);

impl FromRequest<AppState> for BulkBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, ApiError> {
        axum::body::to_bytes(req.into_body(), bulk::BULK_BODY_LIMIT).await.map(Self).map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "The data value transmitted exceeds the capacity limit.",
            )
        })
    }
}

type Answer = Result<Response, ApiError>;

/// The refusals every v2 endpoint can answer, in its description.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
enum Refusals {
    #[response(
        status = 401,
        description = "No `Authorization` header, or not the Bearer (or ApiKey-v1) scheme: `Unauthorized: authentication token must be provided`, `Unauthorized: authentication bearer scheme must be used`."
    )]
    Unauthorised(ErrorResponse),
    #[response(
        status = 403,
        description = "The key or token is refused (`AuthError`): `Invalid token: API key not found`, `Invalid token: API key revoked`, `Invalid token: API key expired`, `Error: Your system clock must be accurate to within 30 seconds`, `Invalid token: iss field not provided`, `Invalid token: service not found`, `Invalid token: service is archived`, `Invalid token: algorithm used is not HS256`, and the general message that asks for a token like the documented one."
    )]
    Forbidden(ErrorResponse),
    #[response(
        status = 500,
        description = "An unexpected failure (`Exception`, `Internal server error`); the request id in the `X-Request-Id` header finds it in the server's log."
    )]
    Failed(ErrorResponse),
}

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

#[utoipa::path(
    post,
    path = "/v2/notifications/email",
    tag = "Send a message",
    summary = "Send an email",
    description = "Sends an email from one of the service's email templates.",
    request_body = EmailRequest,
    responses(
        (status = 201, description = "Accepted: stored, and sent from the outbox (or, for a test key, given its simulated status).", body = SentEmail),
        (status = 400, description = "`ValidationError` (the JSON does not match the request's schema: `template_id is a required property`, `email_address Not a valid email address`, `phone_number Not a UK mobile number`, `reference is too long`, …; every problem is listed) or `BadRequestError`: `Invalid JSON supplied in POST data`, `Template not found`, `Template has been deleted`, `{type} template is not suitable for {type} notification`, `Missing personalisation: {names}`, `Your message is empty.`, `Service is not allowed to send {channel}`, `Cannot schedule notifications (this feature is invite-only)`, `Can’t send to this recipient using a team-only API key`, `Can’t send to this recipient when service is in trial mode – see https://www.notifications.service.gov.uk/trial-mode`, `Email too long` messages, `email_reply_to_id {id} does not exist in database for service id {service_id}`.", body = ErrorResponse),
        Refusals,
        (status = 413, description = "The body is over 4 MiB (`RequestEntityTooLarge`).", body = ErrorResponse),
        (status = 429, description = "`RateLimitError`: `Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds` (per key type), or `TooManyRequestsError`: `Exceeded send limits (email: 1000) for today` (not for test keys).", body = ErrorResponse),
        (status = 503, description = "`ServiceUnavailableError`: `The service cannot store notifications at the moment: its storage is full. Try again later.` Nothing was stored; the same request may be sent again.", body = ErrorResponse),
    )
)]
async fn send_email(State(state): State<AppState>, caller: Caller, ApiBody(body): ApiBody) -> Answer {
    send_as(state, caller, TemplateType::Email, body).await
}

#[utoipa::path(
    post,
    path = "/v2/notifications/sms",
    tag = "Send a message",
    summary = "Send a text message",
    description = "Sends a text message from one of the service's text message templates.",
    request_body = SmsRequest,
    responses(
        (status = 201, description = "Accepted: stored, and sent from the outbox (or, for a test key, given its simulated status).", body = SentSms),
        (status = 400, description = "`ValidationError` (the JSON does not match the request's schema: `template_id is a required property`, `email_address Not a valid email address`, `phone_number Not a UK mobile number`, `reference is too long`, …; every problem is listed) or `BadRequestError`: `Invalid JSON supplied in POST data`, `Template not found`, `Template has been deleted`, `{type} template is not suitable for {type} notification`, `Missing personalisation: {names}`, `Your message is empty.`, `Service is not allowed to send {channel}`, `Cannot schedule notifications (this feature is invite-only)`, the team and trial-mode refusals, `Text messages cannot be longer than 918 characters. Your message is {n} characters long.`, `sms_sender_id {id} does not exist in database for service id {service_id}`.", body = ErrorResponse),
        Refusals,
        (status = 413, description = "The body is over 4 MiB (`RequestEntityTooLarge`).", body = ErrorResponse),
        (status = 429, description = "`RateLimitError`: `Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds` (per key type), or `TooManyRequestsError`: `Exceeded send limits (email: 1000) for today` (not for test keys).", body = ErrorResponse),
        (status = 503, description = "`ServiceUnavailableError`: `The service cannot store notifications at the moment: its storage is full. Try again later.` Nothing was stored; the same request may be sent again.", body = ErrorResponse),
    )
)]
async fn send_sms(State(state): State<AppState>, caller: Caller, ApiBody(body): ApiBody) -> Answer {
    send_as(state, caller, TemplateType::Sms, body).await
}

#[utoipa::path(
    post,
    path = "/v2/notifications/letter",
    tag = "Send a message",
    summary = "Send a letter",
    description = "Sends a letter: from one of the service's letter templates (the address in the personalisation), or your own PDF as `content`. A PDF is checked after the 201 (`pending-virus-check`, then `validation-failed` or on).",
    request_body = LetterSendRequest,
    responses(
        (status = 201, description = "Accepted: stored, and sent from the outbox (or, for a test key, given its simulated status).", body = SentLetterAnswer),
        (status = 400, description = "`ValidationError` (the JSON does not match the request's schema: `template_id is a required property`, `email_address Not a valid email address`, `phone_number Not a UK mobile number`, `reference is too long`, …; every problem is listed) or `BadRequestError`: `Invalid JSON supplied in POST data`, `Template not found`, `Template has been deleted`, `{type} template is not suitable for {type} notification`, `Missing personalisation: {names}`, `Your message is empty.`, `Service is not allowed to send {channel}`, `Cannot schedule notifications (this feature is invite-only)`, `Address must be at least 3 lines`, `Cannot decode letter content (invalid base64 encoding)`, `postage invalid. It must be first, second, economy, europe or rest-of-world, not …`. 403 (`BadRequestError`) for `Cannot send letters with a team api key` and `Cannot send letters when service is in trial mode`.", body = ErrorResponse),
        Refusals,
        (status = 413, description = "The body is over 4 MiB (`RequestEntityTooLarge`).", body = ErrorResponse),
        (status = 429, description = "`RateLimitError`: `Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds` (per key type), or `TooManyRequestsError`: `Exceeded send limits (email: 1000) for today` (not for test keys).", body = ErrorResponse),
        (status = 503, description = "`ServiceUnavailableError`: `The service cannot store notifications at the moment: its storage is full. Try again later.` Nothing was stored; the same request may be sent again.", body = ErrorResponse),
    )
)]
async fn send_letter(State(state): State<AppState>, caller: Caller, ApiBody(body): ApiBody) -> Answer {
    send_as(state, caller, TemplateType::Letter, body).await
}

#[utoipa::path(
    post,
    path = "/v2/notifications/bulk",
    tag = "Send a message",
    summary = "Send a list of messages",
    description = "Sends one template to a list of recipients as one job (GC Notify's bulk API), now or at a time within the next 96 hours. The list is checked as a file uploaded in the admin is: every row, the team and guest list for a team key or a service in trial mode, and the daily limit. Its messages are left out of `GET /v2/notifications` unless `include_jobs=true`.",
    request_body = BulkRequest,
    responses(
        (status = 201, description = "The job is made: its rows are being stored as messages (or it waits for its time). `GET` its `uri` for its progress.", body = BulkJobAnswer),
        (status = 400, description = "`ValidationError`: `name is a required property`, `template_id is not a valid UUID`, `You should specify either rows or csv`, `rows[{n}] is not of type array`, `Additional properties are not allowed ({name} was unexpected)`, …; or `BadRequestError`: `Invalid JSON supplied in POST data`, `Template not found`, `Template has been deleted`, `Service is not allowed to send {channel}`, `scheduled_for datetime cannot be in the past`, `scheduled_for datetime can only be up to 96 hours in the future`, `reply_to_id {id} does not exist in database for service id {service_id}`, `Missing column headers: {names}`, `Duplicate column headers: {names}`, `Too many rows. Maximum number of rows allowed is 100000`, `The list must be smaller than 10MB`, `You cannot send to these recipients because …`, or `Some rows have errors` followed by one error per row (the header is row 1): ``Row 3 - `email address`: Not a valid email address``.", body = ErrorResponse),
        (status = 403, description = "`BadRequestError`: `Cannot send letters with a team api key`, `Cannot send letters when service is in trial mode`; or a refused key.", body = ErrorResponse),
        Refusals,
        (status = 413, description = "The body is over 30 MiB (`RequestEntityTooLarge`).", body = ErrorResponse),
        (status = 429, description = "`RateLimitError` (the request counts as one against the rate limit), or `TooManyRequestsError`: `You only have {n} remaining messages before you reach your daily limit. You've tried to send {m} messages.`", body = ErrorResponse),
        (status = 503, description = "`ServiceUnavailableError`: the storage is full; nothing was stored.", body = ErrorResponse),
    )
)]
async fn send_bulk(State(state): State<AppState>, caller: Caller, BulkBody(body): BulkBody) -> Answer {
    crate::bounded::off_workers(async move { bulk::bulk(&state, &caller, &body).await })
        .await
        .unwrap_or_else(|e| Err(ApiError::internal(e)))
}

#[utoipa::path(
    get,
    path = "/v2/notifications/bulk/{id}",
    tag = "Read messages",
    summary = "Get a job",
    description = "A job made with `POST /v2/notifications/bulk` (or sent from a file in the admin), with its messages by status.",
    params(("id" = String, Path, format = Uuid, description = "The job's id, as the 201 gave it.")),
    responses(
        (status = 200, description = "Found.", body = BulkJobAnswer),
        (status = 400, description = "`ValidationError`: `job_id is not a valid UUID`.", body = ErrorResponse),
        (status = 404, description = "`NoResultFound`: `No result found` (none with this id in the key's service).", body = ErrorResponse),
        Refusals,
    )
)]
async fn get_bulk_job(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Answer {
    bulk::get_job(&state, &caller, &id).await
}

#[utoipa::path(
    get,
    path = "/v2/notifications",
    tag = "Read messages",
    summary = "List messages",
    description = "The messages sent with keys of the caller's type (a test key sees test messages), newest first, 250 a page; follow `links.next` for the next page.",
    params(
        ("template_type" = inline(Option<TemplateTypeName>), Query, description = "`email`, `sms` or `letter`."),
        ("status" = inline(Option<StatusFilter>), Query, description = "A status, or a group of them (`failed`, `sending`); may be given more than once."),
        ("reference" = Option<String>, Query, description = "Your reference, exactly."),
        ("older_than" = Option<String>, Query, format = Uuid, description = "The id of the last message of the previous page."),
        ("include_jobs" = inline(Option<IncludeJobs>), Query, description = "`true` (or `True`): also messages sent from files and the bulk API; otherwise they are left out, as in Notify."),
    ),
    responses(
        (status = 200, description = "Found.", body = NotificationList),
        (status = 400, description = "`ValidationError`: `template_type {value} is not one of [sms, email, letter]`, `status {value} is not one of […]`, `older_than is not a valid UUID`, `include_jobs {value} is not one of [true, True]`, `Additional properties are not allowed ({name} was unexpected)`.", body = ErrorResponse),
        Refusals,
    )
)]
async fn list_notifications(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Answer {
    read::notifications(&state, &caller, q.as_deref()).await
}

#[utoipa::path(
    get,
    path = "/v2/notifications/{id}",
    tag = "Read messages",
    summary = "Get a message",
    description = "A message sent with any of the service's keys, by id.",
    params(("id" = String, Path, format = Uuid, description = "The id the 201 gave.")),
    responses(
        (status = 200, description = "Found.", body = Notification),
        (status = 400, description = "`ValidationError`: `notification_id is not a valid UUID`.", body = ErrorResponse),
        (status = 404, description = "`NoResultFound`: `No result found` (none with this id in the key's service).", body = ErrorResponse),
        Refusals,
    )
)]
async fn get_notification(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Answer {
    read::notification(&state, &caller, &id).await
}

#[utoipa::path(
    get,
    path = "/v2/notifications/{id}/pdf",
    tag = "Read messages",
    summary = "Get a letter's PDF",
    description = "The PDF of a letter, as it is printed.",
    params(("id" = String, Path, format = Uuid, description = "The letter's id.")),
    responses(
        (status = 200, description = "The PDF.", content_type = "application/pdf", body = inline(PdfFile)),
        (status = 400, description = "`ValidationError`: `notification_id is not a valid UUID`; `PDFNotReadyError`: `PDF not available yet, try again later`; `BadRequestError`: `Notification is not a letter`, `File did not pass the virus scan`, `PDF not available for letters in status validation-failed`.", body = ErrorResponse),
        (status = 404, description = "`NoResultFound`: `No result found`.", body = ErrorResponse),
        Refusals,
    )
)]
async fn get_notification_pdf(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Answer {
    read::notification_pdf(&state, &caller, &id).await
}

#[utoipa::path(
    get,
    path = "/v2/templates",
    tag = "Templates",
    summary = "List templates",
    description = "The service's templates at their latest versions.",
    params(("type" = inline(Option<TemplateTypeName>), Query, description = "`email`, `sms` or `letter`.")),
    responses(
        (status = 200, description = "Found.", body = TemplateList),
        (status = 400, description = "`ValidationError`: `type {value} is not one of [sms, email, letter]`.", body = ErrorResponse),
        Refusals,
    )
)]
async fn list_templates(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Answer {
    read::templates(&state, &caller, q.as_deref()).await
}

#[utoipa::path(
    get,
    path = "/v2/template/{id}",
    tag = "Templates",
    summary = "Get a template",
    description = "A template of the service at its latest version.",
    params(("id" = String, Path, format = Uuid, description = "The template's id.")),
    responses(
        (status = 200, description = "Found.", body = Template),
        (status = 400, description = "`ValidationError`: `template_id is not a valid UUID`.", body = ErrorResponse),
        (status = 404, description = "`NoResultFound`: `No result found` (none with this id in the key's service).", body = ErrorResponse),
        Refusals,
    )
)]
async fn get_template(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Answer {
    read::template(&state, &caller, &id).await
}

#[utoipa::path(
    get,
    path = "/v2/template/{id}/version/{version}",
    tag = "Templates",
    summary = "Get a template at a version",
    description = "A template of the service as it was at a version.",
    params(
        ("id" = String, Path, format = Uuid, description = "The template's id."),
        ("version" = i64, Path, description = "The version, from 1."),
    ),
    responses(
        (status = 200, description = "Found.", body = Template),
        (status = 400, description = "`ValidationError`: `template_id is not a valid UUID`, `version is not a valid integer`.", body = ErrorResponse),
        (status = 404, description = "`NoResultFound`: `No result found` (none with this id in the key's service).", body = ErrorResponse),
        Refusals,
    )
)]
async fn get_template_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, String)>,
) -> Answer {
    read::template_version(&state, &caller, &id, &version).await
}

#[utoipa::path(
    post,
    path = "/v2/template/{id}/preview",
    tag = "Templates",
    summary = "Preview a template",
    description = "The template's subject and body with your personalisation, as a message would have them. Nothing is sent.",
    request_body = PreviewRequest,
    params(("id" = String, Path, format = Uuid, description = "The template's id.")),
    responses(
        (status = 200, description = "Found.", body = TemplatePreview),
        (status = 400, description = "`ValidationError`: `template_id is not a valid UUID`, `personalisation … is not of type object`; `BadRequestError`: `Invalid JSON supplied in POST data`, `Missing personalisation: {names}`.", body = ErrorResponse),
        (status = 404, description = "`NoResultFound`: `No result found` (none with this id in the key's service).", body = ErrorResponse),
        (status = 413, description = "The body is over 4 MiB (`RequestEntityTooLarge`).", body = ErrorResponse),
        Refusals,
    )
)]
async fn preview_template(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiBody(body): ApiBody,
) -> Answer {
    by_size(body.len(), async move { read::preview(&state, &caller, &id, &body).await }).await
}

#[utoipa::path(
    get,
    path = "/v2/received-text-messages",
    tag = "Received text messages",
    summary = "List received text messages",
    description = "Text messages sent to the service's inbound number, newest first, 250 a page.",
    params(("older_than" = Option<String>, Query, format = Uuid, description = "The id of the last text of the previous page.")),
    responses(
        (status = 200, description = "Found.", body = ReceivedTextList),
        (status = 400, description = "`ValidationError`: `older_than is not a valid UUID`.", body = ErrorResponse),
        Refusals,
    )
)]
async fn received(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Answer {
    read::received_text_messages(&state, &caller, q.as_deref()).await
}
