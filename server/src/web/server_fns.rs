//! The server side of the server functions the islands call: routed at
//! `/_fn/…`, each checked like the page it serves (the same extractors).

use super::error::PageError;
use super::extract::{ManageApiKeys, ServicePage, ViewMessages};
use crate::AppState;
use app::activity::{CallbackActivity, MessageLog};
use app::domain::CallbackKind;
use app::ssr::backend::{Backend, BackendContext, BoxFuture, Refusal};
use app::ssr::store;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use leptos::prelude::provide_context;
use std::sync::Arc;

impl From<PageError> for Refusal {
    fn from(e: PageError) -> Self {
        match e {
            PageError::SignIn { .. } => Refusal::SignedOut,
            PageError::NotFound => Refusal::NotFound,
            PageError::Forbidden(_) => Refusal::Forbidden,
            PageError::BadRequest(_) | PageError::TooLarge => Refusal::NotFound,
            PageError::Internal(e) => {
                tracing::error!(error = ?e, "server function failed");
                Refusal::Failed
            }
        }
    }
}

impl Backend for AppState {
    fn message_log(&self, mut request: Parts, service_id: String) -> BoxFuture<Result<MessageLog, Refusal>> {
        let state = self.clone();
        Box::pin(async move {
            let page = ServicePage::<ManageApiKeys>::open(&mut request, &state, &service_id).await?;
            Ok(super::notifications::message_log(&state, &page.service).await?)
        })
    }

    fn send_test_callback(
        &self,
        mut request: Parts,
        service_id: String,
        callback: String,
        csrf_token: String,
    ) -> BoxFuture<Result<CallbackActivity, Refusal>> {
        let state = self.clone();
        Box::pin(async move {
            let page = ServicePage::<ManageApiKeys>::open(&mut request, &state, &service_id).await?;
            if !page.signed_in.csrf_matches(&csrf_token) {
                return Err(Refusal::Forbidden);
            }
            let kind = saved_callback(&state, &page, &callback).await?;
            let message = super::callbacks::test_callback(&state, page.id(), kind).await.map_err(PageError::from)?;
            Ok(super::callbacks::activity(&state, page.id(), kind, Some(message)).await.map_err(PageError::from)?)
        })
    }

    fn job_progress(
        &self,
        mut request: Parts,
        service_id: String,
        job_id: String,
    ) -> BoxFuture<Result<app::activity::JobProgress, Refusal>> {
        let state = self.clone();
        Box::pin(async move {
            let page = ServicePage::<ViewMessages>::open(&mut request, &state, &service_id).await?;
            let job = store::get_job(&state.pool, page.id(), &job_id)
                .await
                .map_err(PageError::from)?
                .filter(|_| uuid::Uuid::parse_str(&job_id).is_ok())
                .ok_or(Refusal::NotFound)?;
            Ok(super::jobs::progress(&state, &page, &job).await?)
        })
    }

    fn callback_activity(
        &self,
        mut request: Parts,
        service_id: String,
        callback: String,
    ) -> BoxFuture<Result<CallbackActivity, Refusal>> {
        let state = self.clone();
        Box::pin(async move {
            let page = ServicePage::<ManageApiKeys>::open(&mut request, &state, &service_id).await?;
            let kind = saved_callback(&state, &page, &callback).await?;
            Ok(super::callbacks::activity(&state, page.id(), kind, None).await.map_err(PageError::from)?)
        })
    }
}

/// The kind of a callback the service has saved, named by its URL slug; 404
/// otherwise.
async fn saved_callback(
    state: &AppState,
    page: &ServicePage<ManageApiKeys>,
    slug: &str,
) -> Result<CallbackKind, Refusal> {
    let kind = CallbackKind::from_slug(slug).ok_or(Refusal::NotFound)?;
    match app::ssr::store::callback(&state.pool, page.id(), kind).await {
        Ok(Some(_)) => Ok(kind),
        Ok(None) => Err(Refusal::NotFound),
        Err(e) => Err(PageError::from(e).into()),
    }
}

/// `GET|POST /_fn/{name}`: hands the call to Leptos with the backend in its
/// context. Leptos answers arguments it cannot read with a 500; they are the
/// caller's mistake, so they are answered 400 (the same body).
pub async fn handle(State(state): State<AppState>, req: Request) -> Response {
    let backend = BackendContext(Arc::new(state));
    let response = leptos_axum::handle_server_fns_with_context(move || provide_context(backend.clone()), req)
        .await
        .into_response();
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // An error body is a line of text; anything larger is not Leptos's.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if is_argument_error(&bytes) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Leptos's encoding of a server function error about its arguments
/// (`Args|…`: missing or unreadable; `Deserialization|…`: a body it could
/// not decode).
fn is_argument_error(body: &[u8]) -> bool {
    body.starts_with(b"Args|") || body.starts_with(b"Deserialization|")
}
