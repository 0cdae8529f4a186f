use super::render::render;
use crate::AppState;
use app::view_model::{Content, Page};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An unexpected failure. The whole chain goes to the log; the user sees
/// GOV.UK's fixed "Sorry, there is a problem with the service" page.
#[derive(Debug)]
pub struct AppError(pub anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for AppError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        tracing::error!(error = ?self.0, "request failed");
        let body = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sorry, there is a problem with the service – GOV.UK Notify</title>\
            <link rel=\"stylesheet\" href=\"/css/govuk-frontend.min.css\"></head><body class=\"govuk-template__body\">\
            <div class=\"govuk-width-container\"><main class=\"govuk-main-wrapper\" id=\"main-content\">\
            <h1 class=\"govuk-heading-l\">Sorry, there is a problem with the service</h1><p class=\"govuk-body\">Try again later.</p>\
            </main></div></body></html>";
        (StatusCode::INTERNAL_SERVER_ERROR, axum::response::Html(body)).into_response()
    }
}

pub async fn not_found(state: &AppState, parts: &Parts) -> Response {
    let viewer = super::session::load(state, &parts.headers).await.ok().flatten();
    let mut page = Page::new(Content::NotFound);
    page.viewer = viewer.map(|s| s.viewer());
    render(state, parts, page, StatusCode::NOT_FOUND).await
}

pub async fn forbidden(state: &AppState, parts: &Parts, page: Page) -> Response {
    render(state, parts, Page { content: Content::Forbidden, ..page }, StatusCode::FORBIDDEN).await
}
