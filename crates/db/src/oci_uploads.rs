//! OCI blob uploads in progress: the state lives here and each chunk is a blob in the store,
//! so an upload started on one node can be continued and finished on another.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OciUpload {
    pub id: String,
    pub package_id: i64,
    pub user_id: Option<i64>,
    /// Bytes received so far.
    pub size: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The running SHA-256 state of an upload appended in place (one file); `None` for an
    /// upload kept as one stored blob per chunk (`oci_upload_parts`).
    pub hash_state: Option<String>,
    /// On S3, the multipart upload the chunks are parts of (`trove_storage::MultipartState`
    /// as JSON); `None` before the first chunk and elsewhere.
    pub multipart_state: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OciUploadPart {
    pub part_offset: i64,
    pub storage_digest: String,
    pub size: i64,
}

/// Starts an upload; `hash_state` (the empty hash's state) marks one appended in place.
pub async fn insert(
    conn: &mut Conn,
    id: &str,
    package_id: i64,
    user_id: Option<i64>,
    hash_state: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO oci_uploads (id, package_id, user_id, size, created_at, updated_at, hash_state) \
         VALUES ($1, $2, $3, 0, $4, $4, $5)",
    )
    .bind(id)
    .bind(package_id)
    .bind(user_id)
    .bind(now)
    .bind(hash_state)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut Conn, id: &str) -> Result<Option<OciUpload>> {
    Ok(sqlx::query_as(
        "SELECT id, package_id, user_id, size, created_at, updated_at, hash_state, multipart_state FROM oci_uploads \
         WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Appends a part at offset `expected_size`. Returns false, changing nothing, when the upload
/// is gone or has grown meanwhile (a concurrent or out-of-order chunk).
pub async fn append_part(
    conn: &mut Conn,
    id: &str,
    expected_size: i64,
    storage_digest: &str,
    size: i64,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query("UPDATE oci_uploads SET size = $1, updated_at = $2 WHERE id = $3 AND size = $4")
        .bind(expected_size + size)
        .bind(now)
        .bind(id)
        .bind(expected_size)
        .execute(&mut *conn)
        .await?;
    if r.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("INSERT INTO oci_upload_parts (upload_id, part_offset, storage_digest, size) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(expected_size)
        .bind(storage_digest)
        .bind(size)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Moves an upload appended in place from `expected_size` to `size` bytes with the running
/// hash state over them. Returns false, changing nothing, when the upload is gone or has
/// changed meanwhile.
pub async fn advance(
    conn: &mut Conn,
    id: &str,
    expected_size: i64,
    size: i64,
    hash_state: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE oci_uploads SET size = $1, hash_state = $2, updated_at = $3 \
         WHERE id = $4 AND size = $5 AND hash_state IS NOT NULL",
    )
    .bind(size)
    .bind(hash_state)
    .bind(now)
    .bind(id)
    .bind(expected_size)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Like [`advance`], for an upload kept as an S3 multipart upload: also records where the
/// multipart upload stands.
pub async fn advance_multipart(
    conn: &mut Conn,
    id: &str,
    expected_size: i64,
    size: i64,
    hash_state: &str,
    multipart_state: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE oci_uploads SET size = $1, hash_state = $2, multipart_state = $3, updated_at = $4 \
         WHERE id = $5 AND size = $6 AND hash_state IS NOT NULL",
    )
    .bind(size)
    .bind(hash_state)
    .bind(multipart_state)
    .bind(now)
    .bind(id)
    .bind(expected_size)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records the S3 multipart upload an upload's next parts go to (`multipart_state` naming
/// it), before any part is written: only while the upload still has `expected_size` bytes and
/// the state `expected_state` (`None`: none yet), so of two requests starting it one wins.
pub async fn begin_multipart(
    conn: &mut Conn,
    id: &str,
    expected_size: i64,
    expected_state: Option<&str>,
    multipart_state: &str,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE oci_uploads SET multipart_state = $1, updated_at = $2 \
         WHERE id = $3 AND size = $4 AND hash_state IS NOT NULL AND COALESCE(multipart_state, '') = $5",
    )
    .bind(multipart_state)
    .bind(now)
    .bind(id)
    .bind(expected_size)
    .bind(expected_state.unwrap_or(""))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The parts in order.
pub async fn parts(conn: &mut Conn, id: &str) -> Result<Vec<OciUploadPart>> {
    Ok(sqlx::query_as(
        "SELECT part_offset, storage_digest, size FROM oci_upload_parts WHERE upload_id = $1 ORDER BY part_offset",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Deletes the upload and its parts when it still has `expected_size` bytes (pass `None` to
/// delete it whatever its size); false when it was gone or had changed.
pub async fn delete(conn: &mut Conn, id: &str, expected_size: Option<i64>) -> Result<bool> {
    let r = match expected_size {
        Some(size) => {
            sqlx::query("DELETE FROM oci_uploads WHERE id = $1 AND size = $2")
                .bind(id)
                .bind(size)
                .execute(&mut *conn)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM oci_uploads WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?
        }
    };
    if r.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM oci_upload_parts WHERE upload_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Deletes the upload and its parts whatever its size; returns the row as it was deleted
/// (`None` when it was gone), so what it named is known exactly, whatever a concurrent
/// request recorded just before.
pub async fn remove(conn: &mut Conn, id: &str) -> Result<Option<OciUpload>> {
    let row: Option<OciUpload> = sqlx::query_as(
        "DELETE FROM oci_uploads WHERE id = $1 \
         RETURNING id, package_id, user_id, size, created_at, updated_at, hash_state, multipart_state",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    if row.is_some() {
        sqlx::query("DELETE FROM oci_upload_parts WHERE upload_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(row)
}

/// Uploads not touched since `before`, at most `limit`.
pub async fn stale(conn: &mut Conn, before: i64, limit: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM oci_uploads WHERE updated_at < $1 ORDER BY updated_at LIMIT $2")
            .bind(before)
            .bind(limit)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM oci_uploads")
        .fetch_one(conn)
        .await?;
    Ok(n)
}
