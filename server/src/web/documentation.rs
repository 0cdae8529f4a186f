//! `/documentation` and `/documentation/{section}`: the API's documentation
//! ([`crate::docs`]), for anyone, signed in or not.

use super::{show, PageError};
use crate::docs;
use app::pages::documentation::DocumentationPage;
use app::view_model::Page;
use axum::extract::Path;
use axum::response::Response;

/// `/services/{id}/api/documentation`, Notify's own link: 301 to the
/// documentation, which is the same for every service.
pub async fn moved() -> Response {
    use axum::response::IntoResponse;
    (axum::http::StatusCode::MOVED_PERMANENTLY, [(axum::http::header::LOCATION, "/documentation")]).into_response()
}

pub async fn index() -> Result<Response, PageError> {
    render("")
}

pub async fn section(Path(section): Path<String>) -> Result<Response, PageError> {
    // The overview is at /documentation only.
    if section.is_empty() {
        return Err(PageError::NotFound);
    }
    render(&section)
}

fn address(slug: &str) -> String {
    if slug.is_empty() {
        "/documentation".to_string()
    } else {
        format!("/documentation/{slug}")
    }
}

fn render(slug: &str) -> Result<Response, PageError> {
    let page = docs::page(slug).ok_or(PageError::NotFound)?;
    Ok(show(Page::new(DocumentationPage {
        title: page.title.to_string(),
        path: address(slug),
        pages: docs::SECTIONS.iter().map(|s| (address(s.slug), s.title.to_string())).collect(),
        contents: page.contents.clone(),
        html: page.html.clone(),
    })))
}
