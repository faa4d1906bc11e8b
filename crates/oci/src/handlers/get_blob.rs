use crate::errors::{Code, OciError, OciResult};
use crate::request::Req;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use trove_http::{immutable_cache_control, redirect_headers, Serve};

/// `GET|HEAD /v2/<name>/blobs/<digest>`: streams the blob (or one `Range` of it), `304` when
/// `If-None-Match` names its digest. With `[storage] redirect` on S3, a `GET` that would send
/// bytes is a `307` to a short-lived presigned URL of them instead.
pub async fn get_blob(req: Req, digest: String) -> OciResult<Response> {
    let svc = &req.state.services;
    let info = svc.oci().stat_blob(&req.caller.ctx, &req.repo, &digest).await?;
    let size = info.size;
    let etag = format!("\"{}\"", info.digest);
    let serve = Serve::evaluate(&req.headers, &etag, size);
    let mut out = HeaderMap::new();
    let status = serve.write_headers(&mut out, &etag, size);
    if serve == Serve::Unsatisfiable {
        return Err(OciError::new(
            Code::SizeInvalid,
            format!("the requested range is outside the {size}-byte blob"),
        )
        .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
        .with_header(header::CONTENT_RANGE, &format!("bytes */{size}")));
    }
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    out.insert(header::CACHE_CONTROL, immutable_cache_control(info.private));
    out.insert(
        "docker-content-digest",
        HeaderValue::from_str(&info.digest.to_string()).expect("ascii"),
    );
    let Some(served) = serve.bytes(size).filter(|_| req.method != Method::HEAD) else {
        return Ok((status, out).into_response());
    };
    if let Some(to) = svc
        .oci()
        .blob_redirect(&info)
        .await?
        .as_deref()
        .and_then(redirect_headers)
    {
        return Ok((StatusCode::TEMPORARY_REDIRECT, to).into_response());
    }
    let read = svc.oci().open_blob(&info, serve.storage_range()).await?;
    metrics::counter!("trove_download_bytes_total", "ecosystem" => "oci").increment(served.end - served.start);
    let body = Body::from_stream(read.stream.map(|r| r.map_err(std::io::Error::other)));
    Ok((status, out, body).into_response())
}
