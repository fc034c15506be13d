use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kwm_monitor::MonitorError;

/// An API error: a status and a message a user can act on, always as JSON.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Message.
    pub message: String,
}

impl ApiError {
    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 404 with a message.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

/// Maps the monitor's errors to statuses: the caller's mistakes are 4xx, ours are 500 and logged.
pub fn status_of(e: &MonitorError) -> StatusCode {
    match e {
        MonitorError::NotFound(_) => StatusCode::NOT_FOUND,
        MonitorError::BadRequest(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<MonitorError> for ApiError {
    fn from(e: MonitorError) -> ApiError {
        let status = status_of(&e);
        if status.is_server_error() {
            tracing::error!(error = %e, "request failed");
        }
        ApiError {
            status,
            message: e.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": { "status": self.status.as_u16(), "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}
