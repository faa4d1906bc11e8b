use crate::error::{ApiError, ApiResult, Json, Path, Query};
use crate::extract::Caller;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use futures::StreamExt;
use serde::Deserialize;
use trove_core::Visibility;
use trove_service::packages::PublishRequest;
use trove_service::views::VersionView;
use trove_service::{ErrorKind, ServiceError};

#[derive(Deserialize)]
pub struct PublishParams {
    /// Visibility of a new package (`public` by default).
    pub visibility: Option<Visibility>,
}

/// `PUT /api/v1/packages/{scope}/{name}/versions/{version}` with the `.tar.gz` as the body.
/// The body is streamed to a staging file while hashed; nothing is stored until the archive
/// is validated and the version committed.
pub async fn publish_version(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path((scope, name, version)): Path<(String, String, String)>,
    Query(params): Query<PublishParams>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<VersionView>)> {
    let svc = &state.services;
    // Refuse before reading the body when the caller may not publish at all.
    ctx.require_scope(trove_core::TokenScope::Publish)?;
    let limit = svc.config.max_archive_bytes;
    let too_large = || {
        ApiError(ServiceError::new(
            ErrorKind::TooLarge,
            "archive_too_large",
            format!("the archive is larger than the limit of {limit} bytes"),
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > limit) {
        drain(&mut stream).await;
        return Err(too_large());
    }
    let mut staged = svc.store.stage().await.map_err(ServiceError::from)?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| ServiceError::bad_request("body_read_failed", format!("reading the upload failed: {e}")))?;
        match staged.write(&chunk, limit).await {
            Ok(()) => {}
            Err(trove_storage::StagingError::TooLarge { .. }) => {
                drain(&mut stream).await;
                return Err(too_large());
            }
            Err(other) => return Err(ApiError(ServiceError::from(other))),
        }
    }

    staged.finish().await.map_err(ServiceError::from)?;
    let v = svc
        .publish(
            &ctx,
            PublishRequest {
                scope,
                name,
                version,
                visibility: params.visibility,
                archive: staged,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Reads and discards a bounded amount of a refused body, so that ordinary clients still
/// writing it receive the 413 instead of a reset connection. Huge bodies are cut off.
async fn drain(stream: &mut axum::body::BodyDataStream) {
    let mut left: usize = 8 * 1024 * 1024;
    while let Some(Ok(chunk)) = stream.next().await {
        match left.checked_sub(chunk.len()) {
            Some(l) => left = l,
            None => break,
        }
    }
}
