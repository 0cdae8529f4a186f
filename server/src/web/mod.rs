//! The HTTP surface: admin pages (server-rendered Leptos; `public/js/enhance.js`
//! swaps pages in without a reload), `/_status`, the v2 API and static files.

pub(crate) mod account;
mod api_integration;
mod callbacks;
pub mod client;
mod documentation;
mod error;
mod extract;
pub(crate) mod inbound;
mod jobs;
mod leaks;
mod notifications;
pub(crate) mod receipts;
mod render;
mod security_keys;
mod senders;
mod server_fns;
mod services;
mod session;
mod sign_in;
pub mod sns;
pub(crate) mod team;
mod templates;
mod two_factor;
mod uploads;
mod your_account;

pub use error::{found, show, show_with, PageError};
pub use leaks::REPORTS_AT_ONCE as LEAK_REPORTS_AT_ONCE;
pub use session::SignedIn;

use crate::AppState;
use axum::extract::MatchedPath;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tracing::Instrument;

/// The Content-Security-Policy of everything but rendered pages (which add
/// their script nonce): the API's JSON, static files, redirects.
const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

pub fn router(state: AppState) -> Router {
    let https = state.config.is_https();
    let site_root = state.leptos.site_root.to_string();
    // Admin pages answer with a page to render (or a refusal): the render
    // middleware renders it, and turns a panic into the GOV.UK 500 page. The
    // API, /_status, server functions and static files never pass through it.
    let render = middleware::from_fn_with_state(state.clone(), render::render_pages);
    let catch_panic = tower_http::catch_panic::CatchPanicLayer::custom(|_| {
        PageError::Internal(anyhow::anyhow!("a handler panicked")).into_response()
    });
    let not_found = axum::routing::any(not_found_page).layer(render.clone()).with_state(state.clone());
    let static_files = ServeDir::new(site_root).fallback(not_found);
    let pages = admin_routes()
        .into_iter()
        .fold(Router::new(), |router, (route, methods)| router.route(route.path, methods))
        .route_layer(catch_panic)
        .route_layer(middleware::from_fn(page_deadline))
        .route_layer(render);
    let router = Router::new()
        .route("/_status", get(status))
        .route("/documentation/openapi.json", get(openapi_json))
        .route("/_fn/{*name}", get(server_fns::handle).post(server_fns::handle))
        .route("/secret-scanning/report", post(leaks::scanner_report))
        .route("/notifications/sms/receive/firetext", post(inbound::receive_firetext))
        .route("/notifications/sms/firetext", post(receipts::firetext_receipt))
        .route("/notifications/email/ses", post(receipts::ses_receipt))
        .merge(pages)
        .merge(crate::api_v2::router())
        .fallback_service(static_files)
        .layer(middleware::from_fn(refuse_cross_site_posts))
        .layer(middleware::from_fn(deadline))
        .layer(CompressionLayer::new().br(true).gzip(true))
        // Outermost of ours, so that every log line of the request, the
        // cross-site refusal's included, is inside its span.
        .layer(middleware::from_fn(request_context))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        ));
    // Served over https: browsers are told to use nothing else for a year.
    let router = if https {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
    } else {
        router
    };
    router.with_state(state)
}

/// The API's OpenAPI description, made once.
async fn openapi_json() -> Response {
    static JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = JSON.get_or_init(crate::api_v2::openapi::json).clone();
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=300")], body).into_response()
}

/// Who may use an admin route: the authorisation matrix test
/// (`tests/authorisation.rs`) reads this table and checks every route,
/// method and kind of user against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Anyone signed in.
    SignedIn,
    /// Anyone signed in, on something of their own named in the URL (a
    /// security key): anyone else's, or a missing one, is not found (404).
    Own,
    /// A member of the service in the URL holding one of these permissions
    /// (none: any member).
    Service(&'static [app::domain::Permission]),
}

/// One admin route: its path, the methods it answers, and who may use it.
#[derive(Clone, Copy, Debug)]
pub struct AdminRoute {
    pub path: &'static str,
    pub methods: &'static [&'static str],
    pub access: Access,
}

/// The admin routes, as the router serves them and the tests read them.
pub fn admin_route_table() -> Vec<AdminRoute> {
    admin_routes().into_iter().map(|(route, _)| route).collect()
}

/// Every admin route with its handlers: one list, so a route cannot be
/// served without being declared (and tested).
fn admin_routes() -> Vec<(AdminRoute, axum::routing::MethodRouter<AppState>)> {
    use extract::{
        ManageApiKeys as Keys, ManageService, ManageTemplates as Templates, Member, PageAccess, ReadSettings,
        SendFromFile, ViewMessages as Messages,
    };
    const GET: &[&str] = &["GET"];
    const POST: &[&str] = &["POST"];
    const BOTH: &[&str] = &["GET", "POST"];
    let route = |path, methods, access| AdminRoute { path, methods, access };
    let keys = Access::Service(Keys::ANY_OF);
    let templates = Access::Service(Templates::ANY_OF);
    let settings = Access::Service(ManageService::ANY_OF);
    let read_settings = Access::Service(ReadSettings::ANY_OF);
    vec![
        (route("/", GET, Access::Public), get(|| async { found("/your-services") })),
        (route("/sign-in", BOTH, Access::Public), get(sign_in::show_form).post(sign_in::submit)),
        (route("/sign-out", POST, Access::Public), post(sign_in::sign_out)),
        (route("/forgot-password", BOTH, Access::Public), get(account::forgot_form).post(account::forgot)),
        (route("/forgot-password/sent", GET, Access::Public), get(account::sent)),
        (
            route("/new-password/{reset_token}", BOTH, Access::Public),
            get(account::new_password_form).post(account::new_password),
        ),
        (route("/two-factor-sms", BOTH, Access::Public), get(two_factor::sms_form).post(two_factor::check_sms)),
        (
            route("/two-factor-email-sent", BOTH, Access::Public),
            get(two_factor::email_form).post(two_factor::check_email),
        ),
        (route("/text-not-received", BOTH, Access::Public), get(two_factor::sms_not_received).post(two_factor::resend)),
        (
            route("/email-not-received", BOTH, Access::Public),
            get(two_factor::email_not_received).post(two_factor::resend),
        ),
        (
            route("/email-auth/{token}", BOTH, Access::Public),
            get(two_factor::email_link).post(two_factor::use_email_link),
        ),
        (
            route("/two-factor-webauthn", BOTH, Access::Public),
            get(security_keys::sign_in_page).post(security_keys::sign_in_with_key),
        ),
        (route("/two-factor-webauthn/options", POST, Access::Public), post(security_keys::sign_in_options)),
        (route("/user-profile", GET, Access::SignedIn), get(your_account::show_account)),
        (route("/user-profile/security-keys", GET, Access::SignedIn), get(security_keys::list)),
        (
            route("/user-profile/security-keys/options", POST, Access::SignedIn),
            post(security_keys::registration_options),
        ),
        (route("/user-profile/security-keys/register", POST, Access::SignedIn), post(security_keys::register)),
        (
            route("/user-profile/security-keys/{security_key_id}", BOTH, Access::Own),
            get(security_keys::manage_form).post(security_keys::rename),
        ),
        (route("/user-profile/security-keys/{security_key_id}/delete", POST, Access::Own), post(security_keys::delete)),
        (
            route("/user-profile/name", BOTH, Access::SignedIn),
            get(your_account::name_form).post(your_account::change_name),
        ),
        (
            route("/user-profile/email", BOTH, Access::SignedIn),
            get(your_account::email_form).post(your_account::change_email),
        ),
        (route("/user-profile/email/confirm/{token}", GET, Access::SignedIn), get(your_account::confirm_email)),
        (
            route("/user-profile/mobile-number", BOTH, Access::SignedIn),
            get(your_account::mobile_form).post(your_account::change_mobile),
        ),
        (
            route("/user-profile/mobile-number/confirm", BOTH, Access::SignedIn),
            get(your_account::confirm_mobile_form).post(your_account::confirm_mobile),
        ),
        (
            route("/user-profile/password", BOTH, Access::SignedIn),
            get(your_account::password_form).post(your_account::change_password),
        ),
        (
            route("/user-profile/sign-in-method", BOTH, Access::SignedIn),
            get(your_account::method_form).post(your_account::change_method),
        ),
        (route("/report-a-leaked-key", BOTH, Access::Public), get(leaks::form).post(leaks::report)),
        (route("/documentation", GET, Access::Public), get(documentation::index)),
        (route("/documentation/{section}", GET, Access::Public), get(documentation::section)),
        (route("/your-services", GET, Access::SignedIn), get(services::your_services)),
        (route("/invitation/{token}", BOTH, Access::Public), get(team::invitation).post(team::create_account)),
        (route("/services/{service_id}/users", GET, Access::Service(Member::ANY_OF)), get(team::users)),
        (route("/services/{service_id}/users/invite", BOTH, settings), get(team::invite_form).post(team::invite)),
        (
            route("/services/{service_id}/cancel-invited-user/{invited_user_id}", POST, settings),
            post(team::cancel_invitation),
        ),
        (
            route("/services/{service_id}/users/{user_id}", BOTH, settings),
            get(team::member_page).post(team::set_permissions),
        ),
        (
            route("/services/{service_id}/users/{user_id}/delete", BOTH, settings),
            get(team::confirm_remove).post(team::remove),
        ),
        (
            route("/services/{service_id}/api/departures/{departure_id}/dismiss", POST, keys),
            post(team::dismiss_departure),
        ),
        (route("/services/{service_id}", GET, Access::Service(Member::ANY_OF)), get(services::dashboard)),
        (route("/services/{service_id}/api", GET, keys), get(api_integration::hub)),
        (
            route("/services/{service_id}/notification/{notification_id}", GET, Access::Service(Messages::ANY_OF)),
            get(notifications::notification),
        ),
        (
            route("/services/{service_id}/notification/{notification_id}/pdf", GET, Access::Service(Messages::ANY_OF)),
            get(notifications::notification_pdf),
        ),
        (route("/services/{service_id}/templates", GET, templates), get(templates::list)),
        (
            route("/services/{service_id}/templates/new", BOTH, templates),
            get(templates::new_form).post(templates::create),
        ),
        (
            route("/services/{service_id}/templates/{template_id}", BOTH, templates),
            get(templates::edit_form).post(templates::update),
        ),
        (
            route("/services/{service_id}/templates/{letter_template_id}/set-template-sender", BOTH, templates),
            get(templates::sender_form).post(templates::set_sender),
        ),
        (route("/services/{service_id}/inbox", GET, Access::Service(Messages::ANY_OF)), get(inbound::inbox)),
        (
            route("/services/{service_id}/send/{template_id}/csv", BOTH, Access::Service(SendFromFile::ANY_OF)),
            get(uploads::upload_form)
                .post(uploads::upload)
                .layer(axum::extract::DefaultBodyLimit::max(uploads::UPLOAD_LIMIT)),
        ),
        (
            route("/services/{service_id}/send/{template_id}/one-off", BOTH, Access::Service(SendFromFile::ANY_OF)),
            get(uploads::send_one_form).post(uploads::send_one),
        ),
        (
            route("/services/{service_id}/{template_id}/check/{upload_id}", GET, Access::Service(SendFromFile::ANY_OF)),
            get(uploads::check),
        ),
        (
            route("/services/{service_id}/start-job/{upload_id}", POST, Access::Service(SendFromFile::ANY_OF)),
            post(jobs::start),
        ),
        (route("/services/{service_id}/jobs/{job_id}", GET, Access::Service(Messages::ANY_OF)), get(jobs::job_page)),
        (
            route("/services/{service_id}/jobs/{job_id}/cancel", POST, Access::Service(SendFromFile::ANY_OF)),
            post(jobs::cancel),
        ),
        (route("/services/{service_id}/api/keys", GET, keys), get(api_integration::keys)),
        (route("/services/{service_id}/api/audit", GET, keys), get(api_integration::audit_log)),
        (
            route("/services/{service_id}/api/keys/create", BOTH, keys),
            get(api_integration::create_key_form).post(api_integration::create_key),
        ),
        (route("/services/{service_id}/api/keys/{key_id}", GET, keys), get(api_integration::key_page)),
        (
            route("/services/{service_id}/api/alerts/{alert_id}/dismiss", POST, keys),
            post(api_integration::dismiss_alert),
        ),
        (
            route("/services/{service_id}/api/keys/revoke/{key_id}", BOTH, keys),
            get(api_integration::revoke_confirm).post(api_integration::revoke),
        ),
        (
            route("/services/{service_id}/api/keys/rotate/{key_id}", BOTH, keys),
            get(api_integration::rotate_form).post(api_integration::rotate),
        ),
        (
            route("/services/{service_id}/api/guest-list", BOTH, keys),
            get(api_integration::guest_list_form).post(api_integration::save_guest_list),
        ),
        (route("/services/{service_id}/api/whitelist", GET, Access::Public), get(api_integration::old_guest_list)),
        // Notify's address for the documentation, from its API pages.
        (route("/services/{service_id}/api/documentation", GET, Access::Public), get(documentation::moved)),
        (route("/services/{service_id}/api/callbacks", GET, keys), get(callbacks::callbacks)),
        (
            route("/services/{service_id}/api/callbacks/{callback}", BOTH, keys),
            get(callbacks::callback_form).post(callbacks::save_callback),
        ),
        (route("/services/{service_id}/api/callbacks/{callback}/test", POST, keys), post(callbacks::send_test)),
        (route("/services/{service_id}/api/callbacks/{callback}/resend", POST, keys), post(callbacks::resend)),
        (route("/services/{service_id}/api/callbacks/{callback}/resume", POST, keys), post(callbacks::resume)),
        (
            route("/services/{service_id}/api/callbacks/{callback}/rotate-secret", POST, keys),
            post(callbacks::rotate_secret),
        ),
        (
            route("/services/{service_id}/service-settings/email-reply-to", GET, read_settings),
            get(senders::reply_to::list),
        ),
        (
            route("/services/{service_id}/service-settings/email-reply-to/add", BOTH, settings),
            get(senders::reply_to::add_form).post(senders::reply_to::add),
        ),
        (
            route("/services/{service_id}/service-settings/email-reply-to/{reply_to_id}/edit", BOTH, settings),
            get(senders::reply_to::edit_form).post(senders::reply_to::edit),
        ),
        (
            route("/services/{service_id}/service-settings/email-reply-to/{reply_to_id}/delete", BOTH, settings),
            get(senders::reply_to::confirm_delete).post(senders::reply_to::delete),
        ),
        (
            route("/services/{service_id}/service-settings/email-reply-to/check/{check_id}", GET, settings),
            get(senders::reply_to_check),
        ),
        (route("/services/{service_id}/service-settings/sms-sender", GET, read_settings), get(senders::sms::list)),
        (
            route("/services/{service_id}/service-settings/sms-sender/add", BOTH, settings),
            get(senders::sms::add_form).post(senders::sms::add),
        ),
        (
            route("/services/{service_id}/service-settings/sms-sender/{sms_sender_id}/edit", BOTH, settings),
            get(senders::sms::edit_form).post(senders::sms::edit),
        ),
        (
            route("/services/{service_id}/service-settings/sms-sender/{sms_sender_id}/delete", BOTH, settings),
            get(senders::sms::confirm_delete).post(senders::sms::delete),
        ),
        (
            route("/services/{service_id}/service-settings/letter-contacts", GET, read_settings),
            get(senders::letter_contact::list),
        ),
        (
            route("/services/{service_id}/service-settings/letter-contact/add", BOTH, settings),
            get(senders::letter_contact::add_form).post(senders::letter_contact::add),
        ),
        (
            route("/services/{service_id}/service-settings/letter-contact/make-blank-default", POST, settings),
            post(senders::letter_contact::make_blank_default),
        ),
        (
            route("/services/{service_id}/service-settings/letter-contact/{letter_contact_id}/edit", BOTH, settings),
            get(senders::letter_contact::edit_form).post(senders::letter_contact::edit),
        ),
        (
            route("/services/{service_id}/service-settings/letter-contact/{letter_contact_id}/delete", BOTH, settings),
            get(senders::letter_contact::confirm_delete).post(senders::letter_contact::delete),
        ),
    ]
}

/// An admin page not answered within [`crate::bounded::REQUEST_TIMEOUT`]:
/// 503 with GOV.UK's "Sorry, there is a problem" page instead of a browser
/// left waiting.
async fn page_deadline(req: Request, next: Next) -> Response {
    match tokio::time::timeout(crate::bounded::REQUEST_TIMEOUT, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("an admin page timed out");
            show_with(app::view_model::Page::new(app::pages::errors::ServerError), StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

/// Every other request (the API, server functions, reports): answered by
/// the deadline too, a little after the pages' own so that a page is
/// rendered by [`page_deadline`]. On `/v2`, Notify's 500 JSON.
async fn deadline(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/v2/");
    let limit = crate::bounded::REQUEST_TIMEOUT + std::time::Duration::from_secs(1);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) if api => crate::api_v2::error::ApiError::internal("the request timed out").into_response(),
        Err(_) => {
            tracing::warn!("a request timed out");
            (StatusCode::SERVICE_UNAVAILABLE, "Sorry, the service is unavailable. Try again later.").into_response()
        }
    }
}

const REQUEST_ID: &str = "x-request-id";

/// The longest request id taken from a client or proxy.
const REQUEST_ID_MAX: usize = 128;

/// A request id sent with the request is kept (a proxy's id ties our log
/// lines to its own) when it is at most [`REQUEST_ID_MAX`] characters of
/// `[A-Za-z0-9._-]`; anything else would be written to every log line and
/// echoed, so it is replaced by one of ours.
fn acceptable_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= REQUEST_ID_MAX
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A new request id: this process's random prefix and a counter, so that
/// making one costs no system call. Unique across restarts by the prefix.
fn new_request_id() -> HeaderValue {
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().simple().to_string()[..12].to_string());
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    HeaderValue::from_str(&format!("{prefix}-{n:x}")).expect("hex and a dash make a header value")
}

/// Every request: its id (the one a proxy sent, or a new one), on the
/// request and echoed on the response, and the span its log lines carry.
/// One plain middleware rather than tower-http's trace and request-id
/// layers, which together cost the send rate about a tenth (measured with
/// bench/api.sh).
async fn request_context(mut req: Request, next: Next) -> Response {
    let id = req.headers().get(REQUEST_ID).filter(|v| acceptable_request_id(v)).cloned().unwrap_or_else(new_request_id);
    req.headers_mut().insert(REQUEST_ID, id.clone());
    let span = request_span(&req);
    let mut response = next.run(req).instrument(span).await;
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// The span of one request: its method, the route it matched (never the
/// path itself, nor any header but the request id), so that every log line
/// of the request names it.
fn request_span(req: &Request) -> tracing::Span {
    // Health checks log nothing and come every few seconds from every
    // balancer: no span for them.
    if req.uri().path() == "/_status" {
        return tracing::Span::none();
    }
    let route = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or("-");
    let request_id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), route = %route, request_id = ?request_id)
}

/// `GET /_status`: 200 `{"status": "ok"}` when the database answers.
async fn status(State(state): State<AppState>) -> Response {
    if app::ssr::store::ping(&state.pool).await {
        Json(serde_json::json!({"status": "ok"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "error", "message": "database unavailable"})),
        )
            .into_response()
    }
}

async fn not_found_page() -> PageError {
    PageError::NotFound
}

/// Cross-site request forgery, first line: a state-changing request to an
/// admin page whose `Origin` names another site is refused outright. The
/// second line is the per-session `csrf_token` every signed-in form carries.
async fn refuse_cross_site_posts(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !req.uri().path().starts_with("/v2/") {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
            let origin_host = origin
                .to_str()
                .ok()
                .and_then(|o| o.split_once("://").map(|(_, rest)| rest.trim_end_matches('/').to_string()));
            if origin_host.as_deref() != Some(host) {
                return (StatusCode::FORBIDDEN, "Cross-site request refused").into_response();
            }
        }
    }
    next.run(req).await
}
