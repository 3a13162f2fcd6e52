//! Every error a client can see, and the one place that maps them to status codes and JSON
//! bodies `{"error": ..., "error_type": ...}` (the vocabulary is `wire::ErrorType`, shared with
//! the command line). Details of internal errors go to the log only.

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use signbridge_vision::VisionError;

use crate::storage::StorageError;
use crate::wire::{ErrorBody, ErrorType};

/// Marks an error response with its `error_type`, for the failure counter.
#[derive(Clone, Copy, Debug)]
pub struct ErrorKind(pub ErrorType);

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    /// Something named in the request does not exist (an unknown class code, a member).
    #[error("{0}")]
    Unknown(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("requests from this page's origin are not allowed")]
    ForbiddenOrigin,
    #[error("{0}")]
    UriTooLong(String),
    #[error("{0}")]
    HeadersTooLarge(String),
    #[error("{0}")]
    UpgradeRequired(String),
    #[error("method {0} not allowed here")]
    MethodNotAllowed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedType(String),
    #[error("{0}")]
    Undecodable(String),
    #[error("{0}")]
    ImageTooLarge(String),
    #[error("the server is busy; retry shortly")]
    Overloaded,
    #[error("too many live sessions; retry later")]
    TooManySessions,
    #[error("the hand models are still loading")]
    NotReady,
    #[error("the server is short of memory; retry shortly")]
    MemoryPressure,
    #[error("request timed out")]
    Timeout,
    /// On-device mode cannot be offered: turned off, or its files cannot be had.
    #[error("on-device mode is unavailable: {0}")]
    OnDeviceUnavailable(String),
    #[error("progress could not be saved; retry shortly")]
    StorageUnavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The `error_type` field and the metrics label.
    pub fn kind(&self) -> ErrorType {
        match self {
            ApiError::BadRequest(_) => ErrorType::BadRequest,
            ApiError::NotFound | ApiError::Unknown(_) => ErrorType::NotFound,
            ApiError::Forbidden(_) => ErrorType::Forbidden,
            ApiError::ForbiddenOrigin => ErrorType::ForbiddenOrigin,
            ApiError::UriTooLong(_) => ErrorType::UriTooLong,
            ApiError::HeadersTooLarge(_) => ErrorType::HeadersTooLarge,
            ApiError::UpgradeRequired(_) => ErrorType::BadRequest,
            ApiError::MethodNotAllowed(_) => ErrorType::MethodNotAllowed,
            ApiError::PayloadTooLarge(_) => ErrorType::PayloadTooLarge,
            ApiError::UnsupportedType(_) => ErrorType::UnsupportedType,
            ApiError::Undecodable(_) => ErrorType::UndecodableImage,
            ApiError::ImageTooLarge(_) => ErrorType::ImageTooLarge,
            ApiError::Overloaded => ErrorType::Overloaded,
            ApiError::TooManySessions => ErrorType::TooManySessions,
            ApiError::NotReady => ErrorType::ModelsNotReady,
            ApiError::OnDeviceUnavailable(_) => ErrorType::OnDeviceUnavailable,
            ApiError::MemoryPressure => ErrorType::MemoryPressure,
            ApiError::Timeout => ErrorType::Timeout,
            ApiError::StorageUnavailable(_) => ErrorType::StorageUnavailable,
            ApiError::Internal(_) => ErrorType::Internal,
        }
    }

    /// The body shared by HTTP answers and WebSocket error messages: never the details of an
    /// internal error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.to_string(),
            error_type: self.kind(),
        }
    }
}

impl From<&ApiError> for StatusCode {
    fn from(e: &ApiError) -> StatusCode {
        match e {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound | ApiError::Unknown(_) => StatusCode::NOT_FOUND,
            ApiError::ForbiddenOrigin | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            ApiError::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::UpgradeRequired(_) => StatusCode::UPGRADE_REQUIRED,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Undecodable(_) | ApiError::ImageTooLarge(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Overloaded | ApiError::TooManySessions => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotReady
            | ApiError::StorageUnavailable(_)
            | ApiError::MemoryPressure
            | ApiError::OnDeviceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Timeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(detail) => tracing::error!(detail = %detail, "internal error"),
            ApiError::StorageUnavailable(detail) => {
                tracing::error!(detail = %detail, "storage error")
            }
            _ => tracing::debug!(error = %self, kind = self.kind().as_str(), "request refused"),
        }
        let mut response = (StatusCode::from(&self), Json(self.body())).into_response();
        response.extensions_mut().insert(ErrorKind(self.kind()));
        if matches!(
            self,
            ApiError::Overloaded | ApiError::TooManySessions | ApiError::NotReady
        ) {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if matches!(self, ApiError::MemoryPressure) {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

impl From<VisionError> for ApiError {
    /// The same `error_type` the command line gives the same failure.
    fn from(e: VisionError) -> ApiError {
        let message = e.to_string();
        match ErrorType::from(&e) {
            ErrorType::UndecodableImage => ApiError::Undecodable(message),
            ErrorType::UnsupportedType => ApiError::UnsupportedType(message),
            ErrorType::ImageTooLarge => ApiError::ImageTooLarge(message),
            _ => ApiError::Internal(message),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> ApiError {
        ApiError::StorageUnavailable(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_stay_out_of_the_body() {
        let e = ApiError::Internal("secret path /etc/x".into());
        assert_eq!(StatusCode::from(&e), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!serde_json::to_string(&e.body()).unwrap().contains("secret"));
    }

    #[test]
    fn dimension_bomb_is_422_image_too_large() {
        let e = ApiError::from(VisionError::TooLarge {
            width: 20000,
            height: 20000,
            max_pixels: 40_000_000,
        });
        assert_eq!(StatusCode::from(&e), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.kind(), ErrorType::ImageTooLarge);
    }
}
