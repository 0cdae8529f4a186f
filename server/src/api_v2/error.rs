//! Notify's v2 error bodies:
//! `{"status_code": 403, "errors": [{"error": "AuthError", "message": "..."}]}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub errors: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        Self { status, errors: vec![(error, message.into())] }
    }
    pub fn auth(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "AuthError", message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequestError", message)
    }
    pub fn validation(messages: Vec<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, errors: messages.into_iter().map(|m| ("ValidationError", m)).collect() }
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NoResultFound", "No result found")
    }
    /// An unexpected failure: logged in full, answered with a fixed message.
    pub fn internal(e: impl std::fmt::Debug) -> Self {
        tracing::error!(error = ?e, "v2 request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Exception", "Internal server error")
    }
}

impl From<super::runtime::NotStored> for ApiError {
    fn from(e: super::runtime::NotStored) -> Self {
        match e {
            super::runtime::NotStored::StorageFull => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableError",
                "The service cannot store notifications at the moment: its storage is full. Try again later.",
            ),
            // Logged where it failed.
            super::runtime::NotStored::Failed => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Exception", "Internal server error")
            }
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let errors = self
            .errors
            .into_iter()
            .map(|(error, message)| super::schema::ErrorItem { error: error.to_string(), message })
            .collect();
        (self.status, Json(super::schema::ErrorResponse { status_code: self.status.as_u16(), errors })).into_response()
    }
}
