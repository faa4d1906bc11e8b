use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Version {
    pub id: i64,
    pub package_id: i64,
    pub version: String,
    pub version_key: String,
    pub digest: String,
    pub size: i64,
    /// The manifest as JSON.
    pub manifest: String,
    /// `{"scope/name": "req"}` as JSON.
    pub dependencies: String,
    pub readme: Option<String>,
    pub publisher_id: Option<i64>,
    pub publisher: Option<String>,
    #[sqlx(try_from = "crate::decode::Flag")]
    pub yanked: bool,
    pub yanked_at: Option<i64>,
    /// Why it was yanked, when the yanker said (PEP 592).
    pub yank_reason: Option<String>,
    pub deprecated: Option<String>,
    pub deleted_at: Option<i64>,
    pub downloads: i64,
    pub created_at: i64,
}

impl Version {
    pub fn is_yanked(&self) -> bool {
        self.yanked
    }
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

const SELECT: &str = "SELECT v.id, v.package_id, v.version, v.version_key, v.digest, v.size, v.manifest, \
    v.dependencies, v.readme, v.publisher_id, u.username AS publisher, v.yanked, v.yanked_at, \
    v.yank_reason, v.deprecated, v.deleted_at, v.downloads, v.created_at \
    FROM versions v LEFT JOIN users u ON u.id = v.publisher_id";

pub struct NewVersion<'a> {
    pub package_id: i64,
    pub version: &'a str,
    pub version_key: &'a str,
    pub digest: &'a str,
    pub size: i64,
    pub manifest: &'a str,
    pub dependencies: &'a str,
    pub readme: Option<&'a str>,
    pub publisher_id: i64,
    pub now: i64,
}

/// Inserts a version; a unique violation means this number exists (or existed) already.
pub async fn insert(conn: &mut Conn, v: NewVersion<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO versions (package_id, version, version_key, digest, size, manifest, dependencies, readme, publisher_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(v.package_id)
    .bind(v.version)
    .bind(v.version_key)
    .bind(v.digest)
    .bind(v.size)
    .bind(v.manifest)
    .bind(v.dependencies)
    .bind(v.readme)
    .bind(v.publisher_id)
    .bind(v.now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Finds a version by its key (build metadata ignored), deleted ones included.
pub async fn find(conn: &mut Conn, package_id: i64, version_key: &str) -> Result<Option<Version>> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE v.package_id = $1 AND v.version_key = $2"))
            .bind(package_id)
            .bind(version_key)
            .fetch_optional(conn)
            .await?,
    )
}

/// Every version of a package that is not deleted, in publish order.
pub async fn list(conn: &mut Conn, package_id: i64) -> Result<Vec<Version>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE v.package_id = $1 AND v.deleted_at IS NULL ORDER BY v.id"
    ))
    .bind(package_id)
    .fetch_all(conn)
    .await?)
}

/// Yanks (with an optional reason) or unyanks (clearing the reason) a version.
pub async fn set_yanked(conn: &mut Conn, id: i64, yanked: bool, reason: Option<&str>, now: i64) -> Result<()> {
    sqlx::query("UPDATE versions SET yanked = $1, yanked_at = $2, yank_reason = $3 WHERE id = $4")
        .bind(yanked as i64)
        .bind(yanked.then_some(now))
        .bind(reason.filter(|_| yanked))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_deprecated(conn: &mut Conn, id: i64, message: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE versions SET deprecated = $1 WHERE id = $2")
        .bind(message)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a version but keeps a tombstone, so its number can never be published again.
pub async fn mark_deleted(conn: &mut Conn, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE versions SET deleted_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether any live version still references this blob.
pub async fn digest_in_use(conn: &mut Conn, digest: &str) -> Result<bool> {
    // A version's archive, or any file of a version that is not deleted.
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM versions WHERE digest = $1 AND deleted_at IS NULL \
         UNION ALL SELECT f.id FROM version_files f JOIN versions v ON v.id = f.version_id \
         WHERE f.digest = $1 AND v.deleted_at IS NULL LIMIT 1",
    )
    .bind(digest)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM versions WHERE deleted_at IS NULL")
        .fetch_one(conn)
        .await?;
    Ok(n)
}
