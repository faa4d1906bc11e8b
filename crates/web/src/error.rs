//! Error pages: service errors become an HTML page with the matching status.

use crate::layout::{Chrome, Page};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use trove_service::{ErrorKind, ServiceError};

#[derive(Debug)]
pub enum WebError {
    /// An error page.
    Page(Box<ErrorPage>),
    /// See other (303): after a form, or to the login page.
    Redirect(String),
}

#[derive(Debug)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub title: String,
    pub message: String,
    pub chrome: Chrome,
}

pub type WebResult<T = Response> = Result<T, WebError>;

impl WebError {
    pub fn page(status: StatusCode, title: &str, message: impl Into<String>, chrome: Chrome) -> Self {
        WebError::Page(Box::new(ErrorPage {
            status,
            title: title.into(),
            message: message.into(),
            chrome,
        }))
    }

    pub fn not_found(chrome: Chrome) -> Self {
        Self::page(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is nothing here. The package or page may not exist, or you may not have access to it.",
            chrome,
        )
    }

    /// The refusal of a form whose CSRF token is missing or wrong.
    pub fn csrf(chrome: Chrome) -> Self {
        Self::page(
            StatusCode::FORBIDDEN,
            "Form expired",
            "This form could not be accepted: its security token is missing or out of date. \
             Go back, reload the page and try again.",
            chrome,
        )
    }

    pub fn from_service(e: ServiceError, chrome: Chrome) -> Self {
        let (status, title, message) = match e.kind {
            ErrorKind::NotFound => return Self::not_found(chrome),
            ErrorKind::Internal => {
                tracing::error!(code = e.code, error = %e.message, "web page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The registry could not answer this request. Try again in a moment.".to_string(),
                )
            }
            ErrorKind::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "The registry cannot reach its storage right now. Try again in a moment.".to_string(),
            ),
            ErrorKind::Unauthenticated => (StatusCode::UNAUTHORIZED, "Please log in", e.message),
            ErrorKind::Forbidden => (StatusCode::FORBIDDEN, "Not allowed", e.message),
            ErrorKind::Conflict => (StatusCode::CONFLICT, "Conflict", e.message),
            ErrorKind::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "Slow down", e.message),
            ErrorKind::BadRequest => (StatusCode::BAD_REQUEST, "Bad request", e.message),
            ErrorKind::Unprocessable => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid input", e.message),
            ErrorKind::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "Too large", e.message),
            ErrorKind::RangeNotSatisfiable => (StatusCode::RANGE_NOT_SATISFIABLE, "Bad range", e.message),
        };
        Self::page(status, title, message, chrome)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Redirect(to) => redirect(&to),
            WebError::Page(p) => error_page(p.status, &p.title, &p.message, p.chrome),
        }
    }
}

/// 303 See Other.
pub fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

fn error_page(status: StatusCode, title: &str, message: &str, chrome: Chrome) -> Response {
    let signed_in = chrome.user.is_some();
    let body = html! {
        section.error-page aria-labelledby="error-title" {
            p.error-code { (status.as_u16()) }
            h1 #error-title { (title) }
            p.lede { (message) }
            p.actions {
                a.btn.btn-primary href="/" { "Go to the home page" }
                a.btn href="/search" { "Browse packages" }
                @if !signed_in && status == StatusCode::UNAUTHORIZED {
                    a.btn href="/login" { "Log in" }
                }
            }
        }
    };
    Page::new(chrome, title, body).status(status).into_response()
}

/// The 404 page for an anonymous viewer (used where no viewer is known).
pub fn not_found_page() -> Response {
    WebError::not_found(Chrome::default()).into_response()
}
