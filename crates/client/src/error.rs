//! What can go wrong talking to a registry.

/// A failed call. Server-side refusals keep the registry's error envelope
/// (`{"error": {"code", "message"}}`) and HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The registry answered with an error.
    #[error("{message}")]
    Api { status: u16, code: String, message: String },
    /// Nothing answered at that address (refused, unknown host, timed out connecting).
    #[error("cannot reach the registry at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The connection broke or timed out mid-request.
    #[error("the request to {url} failed: {reason}")]
    Transport { url: String, reason: String },
    /// The registry answered something this client does not understand.
    #[error("unexpected answer from {url} (HTTP {status}): {detail}")]
    Protocol { url: String, status: u16, detail: String },
    #[error("`{0}` is not a valid registry URL (expected http://host[:port] or https://…)")]
    InvalidUrl(String),
}

impl ClientError {
    /// The registry's machine-readable error code (`not_found`, `token_invalid`, …).
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status of a registry refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } | ClientError::Protocol { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// No or bad credentials (HTTP 401).
    pub fn is_unauthenticated(&self) -> bool {
        self.status() == Some(401)
    }

    pub(crate) fn from_reqwest(url: &str, e: reqwest::Error) -> ClientError {
        let reason = describe(&e);
        if e.is_connect() {
            ClientError::Unreachable {
                url: url.to_string(),
                reason,
            }
        } else {
            ClientError::Transport {
                url: url.to_string(),
                reason,
            }
        }
    }
}

/// The innermost useful cause ("connection refused") rather than reqwest's outer wrapper.
fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !text.is_empty() && !msg.contains(&text) {
            msg = text;
        }
        source = s.source();
    }
    msg
}

/// Builds the error for a non-success response from its body.
pub(crate) fn from_body(url: &str, status: u16, body: &[u8]) -> ClientError {
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        code: String,
        message: String,
    }
    match serde_json::from_slice::<Envelope>(body) {
        Ok(env) => ClientError::Api {
            status,
            code: env.error.code,
            message: env.error.message,
        },
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let detail = if text.is_empty() {
                "no error details".to_string()
            } else {
                text.chars().take(300).collect()
            };
            ClientError::Protocol {
                url: url.to_string(),
                status,
                detail,
            }
        }
    }
}
