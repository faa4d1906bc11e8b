use crate::auth::Caller;
use crate::errors::{OsvError, OsvResult};
use crate::OsvState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::io::Write;

/// `GET /osv/v1/export/{ecosystem}/all.zip`: every advisory of an OSV ecosystem the caller
/// may see (withdrawn ones included), as `{id}.json` files in a zip — the layout of osv.dev's
/// export bucket, so mirrors and offline scanners read it alike. 404 for an ecosystem
/// without advisories.
pub async fn export_vulns(
    State(state): State<OsvState>,
    Caller(ctx): Caller,
    Path(ecosystem): Path<String>,
) -> OsvResult<Response> {
    let docs = state.services.advisories().export_osv(&ctx, &ecosystem).await?;
    if docs.is_empty() {
        return Err(OsvError::not_found(format!(
            "no advisories in the ecosystem `{ecosystem}`"
        )));
    }
    let zip = zip_docs(docs).map_err(|e| OsvError {
        status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        code: 13,
        message: format!("building the export failed: {e}"),
    })?;
    let mut res = zip.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    Ok(res)
}

fn zip_docs(docs: Vec<(String, Vec<u8>)>) -> zip::result::ZipResult<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (id, doc) in docs {
        w.start_file(format!("{id}.json"), opts)?;
        w.write_all(&doc)?;
    }
    Ok(w.finish()?.into_inner())
}

/// `GET /osv/v1/export/ecosystems.txt`: the OSV ecosystems with advisories the caller may
/// see, one a line (as osv.dev's bucket lists them).
pub async fn list_ecosystems(State(state): State<OsvState>, Caller(ctx): Caller) -> OsvResult<Response> {
    let mut text = state.services.advisories().osv_ecosystems(&ctx).await?.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    let mut res = text.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(res)
}
