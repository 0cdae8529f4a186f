//! The admin pages' one error channel. A handler or an extractor refuses with
//! a [`PageError`]; its response carries what to render, and the
//! [`render_pages`](super::render::render_pages) middleware renders it with
//! the request it answers (so extractors, which have no renderer, can refuse).

use app::pages::errors;
use app::view_model::Page;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Why an admin request is not answered with its page.
#[derive(Debug)]
pub enum PageError {
    /// No valid session: 302 to the sign-in page, which comes back to `next`.
    SignIn { next: String },
    /// 403 with GOV.UK's "You do not have permission" page, in the frame of
    /// the service when there is one.
    Forbidden(Box<Page>),
    /// 404 with GOV.UK's "Page not found" page.
    NotFound,
    /// 400: a request the forms never send (a forged option, a body that is
    /// not a form).
    BadRequest(Box<Page>),
    /// 413: a form body over the limit.
    TooLarge,
    /// Anything unexpected: the whole chain goes to the log; the user sees
    /// GOV.UK's fixed "Sorry, there is a problem with the service" page.
    Internal(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for PageError {
    fn from(e: E) -> Self {
        Self::Internal(e.into())
    }
}

/// A page to render once the handler has answered; see the module comment.
#[derive(Clone)]
pub(super) enum Deferred {
    Page(Box<Page>),
    /// The 404 page, framed for whoever is signed in.
    NotFound,
}

/// Answers with `page` and `status`, rendered by the middleware.
pub fn show_with(page: Page, status: StatusCode) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(Deferred::Page(Box::new(page)));
    response
}

/// Answers 200 with `page`.
pub fn show(page: Page) -> Response {
    show_with(page, StatusCode::OK)
}

/// A `302 Found` to `location`, as Notify answers after a form post.
pub fn found(location: &str) -> Response {
    let value = HeaderValue::from_str(location).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::FOUND, [(header::LOCATION, value)]).into_response()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn { next } => {
                let next = form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>();
                found(&format!("/sign-in?next={next}"))
            }
            Self::Forbidden(page) => show_with(page.with(errors::Forbidden), StatusCode::FORBIDDEN),
            Self::BadRequest(page) => show_with(page.with(errors::BadRequest), StatusCode::BAD_REQUEST),
            Self::NotFound => {
                let mut response = StatusCode::NOT_FOUND.into_response();
                response.extensions_mut().insert(Deferred::NotFound);
                response
            }
            Self::TooLarge => show_with(Page::new(errors::BadRequest), StatusCode::PAYLOAD_TOO_LARGE),
            Self::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                show_with(Page::new(errors::ServerError), StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}
