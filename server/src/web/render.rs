//! Server-side rendering of whole admin pages with Leptos.

use super::error::Deferred;
use super::session;
use crate::AppState;
use app::pages::errors;
use app::view_model::Page;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;

/// The Content-Security-Policy of a rendered page: scripts only from this
/// site or carrying this response's nonce (the islands' hydration script),
/// WebAssembly compiled, no inline styles, no plugins, no framing, forms
/// posting only here.
pub fn page_csp(nonce: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    ))
    .expect("a hex nonce makes a valid header")
}

/// Renders a whole page with Leptos and answers with `status`. Admin pages
/// carry session-bound forms, so they are never cached. Each response has
/// its own script nonce.
pub async fn render(state: &AppState, uri: &Uri, headers: &HeaderMap, mut page: Page, status: StatusCode) -> Response {
    page.brand = state.config.brand.clone();
    let options = state.leptos.clone();
    let mut req = Request::builder().method("GET").uri(uri.clone());
    for (name, value) in headers.iter() {
        req = req.header(name, value);
    }
    let req = req.body(Body::empty()).expect("a copy of a valid request is valid");
    let nonce = app::ssr::tokens::random_token();
    let csp = page_csp(&nonce);
    // After leptos_axum's own contexts, so this nonce is the one the
    // hydration scripts carry.
    let provide = move || leptos::prelude::provide_context(leptos::nonce::Nonce::from_value(nonce.clone()));
    let handler =
        leptos_axum::render_app_async_with_context(provide, move || app::shell(options.clone(), page.clone()));
    let mut response = handler(req).await;
    *response.status_mut() = status;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    response
}

/// Middleware: renders the page a handler or an extractor answered with
/// (see [`super::error`]), keeping the answer's status and headers.
pub async fn render_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    let mut response = next.run(req).await;
    let Some(deferred) = response.extensions_mut().remove::<Deferred>() else { return response };
    let page = match deferred {
        Deferred::Page(page) => *page,
        Deferred::NotFound => {
            let viewer = session::load(&state, &headers).await.ok().flatten();
            let mut page = Page::new(errors::NotFound);
            page.viewer = viewer.map(|s| s.viewer());
            page
        }
    };
    let mut rendered = render(&state, &uri, &headers, page, response.status()).await;
    for (name, value) in response.headers() {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            rendered.headers_mut().insert(name, value.clone());
        }
    }
    rendered
}
