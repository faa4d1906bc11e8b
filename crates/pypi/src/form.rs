//! The upload form (`multipart/form-data`), read as it streams: text fields are kept (bounded
//! in size and number), the `content` file part goes straight into a staged blob through
//! `svc.blobs().stage_body` with its size limit (413 before anything is stored).

use crate::errors::{PypiError, PypiResult};
use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use futures::StreamExt;
use std::collections::HashMap;
use trove_service::blobs::BodyLimit;
use trove_service::Services;
use trove_storage::StagedBlob;

/// Most bytes of one text field (a long description included).
const MAX_FIELD_BYTES: usize = 4 << 20;
/// Most bytes of all text fields together.
const MAX_TEXT_BYTES: usize = 8 << 20;
const MAX_FIELDS: usize = 1000;

/// A read upload form.
pub struct UploadForm {
    fields: HashMap<String, Vec<String>>,
    /// The `content` part's file name and staged bytes.
    pub content: Option<(String, StagedBlob)>,
}

impl UploadForm {
    /// The first value of a field, trimmed; `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .and_then(|v| v.first())
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
}

/// The limit of the distribution file.
pub fn file_limit(svc: &Services) -> BodyLimit {
    BodyLimit {
        max: svc.config.max_archive_bytes,
        what: "distribution file",
        too_large_code: "file_too_large",
        read_failed_code: "upload_read_failed",
    }
}

/// Reads the form of an upload request.
pub async fn read(svc: &Services, headers: &HeaderMap, body: Body) -> PypiResult<UploadForm> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| PypiError::bad_request("the upload must be multipart/form-data"))?;
    let limit = file_limit(svc);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > limit.max + MAX_TEXT_BYTES as u64) {
        trove_service::blobs::stage::drain(&mut stream).await;
        return Err(PypiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the upload is larger than the limit of {} bytes", limit.max),
        ));
    }
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut form = UploadForm {
        fields: HashMap::new(),
        content: None,
    };
    let (mut text_bytes, mut count) = (0usize, 0usize);
    let malformed = |e: multer::Error| PypiError::bad_request(format!("malformed multipart form: {e}"));
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        count += 1;
        if count > MAX_FIELDS {
            return Err(PypiError::bad_request(format!(
                "the form has more than {MAX_FIELDS} fields"
            )));
        }
        let name = field.name().unwrap_or_default().to_string();
        if name == "content" {
            if form.content.is_some() {
                return Err(PypiError::bad_request("the form has more than one `content` file"));
            }
            let filename = field.file_name().unwrap_or_default().to_string();
            let staged = svc.blobs().stage_body(&mut field, None, limit).await?;
            form.content = Some((filename, staged));
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(malformed)?;
            text_bytes += chunk.len();
            if value.len() + chunk.len() > MAX_FIELD_BYTES || text_bytes > MAX_TEXT_BYTES {
                return Err(PypiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the form field `{name}` is too large"),
                ));
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value)
            .map_err(|_| PypiError::bad_request(format!("the form field `{name}` is not UTF-8")))?;
        form.fields.entry(name).or_default().push(value);
    }
    Ok(form)
}
