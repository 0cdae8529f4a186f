use crate::AppState;
use app::view_model::Page;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::Response;

/// Renders a whole page with Leptos and answers with `status`. Admin pages
/// carry session-bound forms, so they are never cached.
pub async fn render(state: &AppState, parts: &Parts, page: Page, status: StatusCode) -> Response {
    let options = state.leptos.clone();
    let mut req = Request::builder().method("GET").uri(parts.uri.clone());
    for (name, value) in parts.headers.iter() {
        req = req.header(name, value);
    }
    let req = req.body(Body::empty()).expect("a copy of a valid request is valid");
    let handler = leptos_axum::render_app_async_with_context(|| {}, move || app::shell(options.clone(), page.clone()));
    let mut response = handler(req).await;
    *response.status_mut() = status;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
