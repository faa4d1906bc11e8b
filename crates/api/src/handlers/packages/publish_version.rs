use crate::error::{ApiResult, Json, Path, Query};
use crate::extract::Caller;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use serde::Deserialize;
use trove_core::Visibility;
use trove_service::blobs::BodyLimit;
use trove_service::packages::PublishRequest;
use trove_service::views::VersionView;

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
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = BodyLimit {
        max: svc.config.max_archive_bytes,
        what: "archive",
        too_large_code: "archive_too_large",
        read_failed_code: "body_read_failed",
    };
    let staged = svc
        .blobs()
        .stage_body(&mut body.into_data_stream(), declared, limit)
        .await?;
    let v = svc
        .packages()
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
