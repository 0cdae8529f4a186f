//! The server side of the server functions the islands call: routed at
//! `/_fn/…`, each checked like the page it serves (the same extractors).

use super::error::PageError;
use super::extract::{ManageApiKeys, ServicePage};
use crate::AppState;
use app::pages::api_hub::MessageLog;
use app::ssr::backend::{Backend, BackendContext, BoxFuture, Refusal};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::response::IntoResponse;
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
}

/// `GET|POST /_fn/{name}`: hands the call to Leptos with the backend in its
/// context.
pub async fn handle(State(state): State<AppState>, req: Request) -> impl IntoResponse {
    let backend = BackendContext(Arc::new(state));
    leptos_axum::handle_server_fns_with_context(move || provide_context(backend.clone()), req).await
}
