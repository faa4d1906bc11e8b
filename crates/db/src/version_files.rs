//! The files of a version (an archive; or an sdist and wheels; or model weights), each with
//! its digest, size, upload time and per-file metadata.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionFile {
    pub id: i64,
    pub version_id: i64,
    pub filename: String,
    /// `archive`, `tarball`, `crate`, `sdist`, `wheel` or `other`.
    pub kind: String,
    pub digest: String,
    pub size: i64,
    /// A JSON object.
    pub metadata: String,
    pub uploaded_at: i64,
}

pub struct NewFile<'a> {
    pub version_id: i64,
    pub filename: &'a str,
    pub kind: &'a str,
    pub digest: &'a str,
    pub size: i64,
    pub metadata: &'a str,
    pub now: i64,
}

const COLUMNS: &str = "id, version_id, filename, kind, digest, size, metadata, uploaded_at";

/// Adds a file; a second file of the same name in one version is a unique violation.
pub async fn insert(conn: &mut Conn, f: NewFile<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO version_files (version_id, filename, kind, digest, size, metadata, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(f.version_id)
    .bind(f.filename)
    .bind(f.kind)
    .bind(f.digest)
    .bind(f.size)
    .bind(f.metadata)
    .bind(f.now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A version's files in upload order.
pub async fn list(conn: &mut Conn, version_id: i64) -> Result<Vec<VersionFile>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM version_files WHERE version_id = $1 ORDER BY id"
    ))
    .bind(version_id)
    .fetch_all(conn)
    .await?)
}

/// A file of a version by name.
pub async fn find(conn: &mut Conn, version_id: i64, filename: &str) -> Result<Option<VersionFile>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM version_files WHERE version_id = $1 AND filename = $2"
    ))
    .bind(version_id)
    .bind(filename)
    .fetch_optional(conn)
    .await?)
}

/// The files of every version of a package, in upload order.
pub async fn list_for_package(conn: &mut Conn, package_id: i64) -> Result<Vec<VersionFile>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {} FROM version_files f JOIN versions v ON v.id = f.version_id \
         WHERE v.package_id = $1 ORDER BY f.id",
        prefixed("f.")
    ))
    .bind(package_id)
    .fetch_all(conn)
    .await?)
}

/// A file of a live (not deleted) version of a package, by name.
pub async fn find_in_package(conn: &mut Conn, package_id: i64, filename: &str) -> Result<Option<VersionFile>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {} FROM version_files f JOIN versions v ON v.id = f.version_id \
         WHERE v.package_id = $1 AND f.filename = $2 AND v.deleted_at IS NULL",
        prefixed("f.")
    ))
    .bind(package_id)
    .bind(filename)
    .fetch_optional(conn)
    .await?)
}

/// The column list with a table alias.
fn prefixed(alias: &str) -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("{alias}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}
