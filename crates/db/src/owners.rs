use crate::{Conn, Result};
use trove_core::OwnerRole;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Owner {
    pub user_id: i64,
    pub username: String,
    /// Owners also manage the owners; maintainers publish and yank.
    #[sqlx(try_from = "String")]
    pub role: OwnerRole,
    pub created_at: i64,
}

pub async fn upsert(conn: &mut Conn, package_id: i64, user_id: i64, role: OwnerRole, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO package_owners (package_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (package_id, user_id) DO UPDATE SET role = excluded.role",
    )
    .bind(package_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove(conn: &mut Conn, package_id: i64, user_id: i64) -> Result<bool> {
    let r = sqlx::query("DELETE FROM package_owners WHERE package_id = $1 AND user_id = $2")
        .bind(package_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn list(conn: &mut Conn, package_id: i64) -> Result<Vec<Owner>> {
    Ok(sqlx::query_as(
        "SELECT o.user_id, u.username, o.role, o.created_at FROM package_owners o \
         JOIN users u ON u.id = o.user_id WHERE o.package_id = $1 ORDER BY o.created_at, u.username",
    )
    .bind(package_id)
    .fetch_all(conn)
    .await?)
}

pub async fn role_of(conn: &mut Conn, package_id: i64, user_id: i64) -> Result<Option<OwnerRole>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT role FROM package_owners WHERE package_id = $1 AND user_id = $2")
            .bind(package_id)
            .bind(user_id)
            .fetch_optional(conn)
            .await?;
    row.map(|r| OwnerRole::try_from(r.0).map_err(|e| crate::DbError::Corrupt(format!("package owner role {e}"))))
        .transpose()
}

pub async fn count_role(conn: &mut Conn, package_id: i64, role: OwnerRole) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM package_owners WHERE package_id = $1 AND role = $2")
        .bind(package_id)
        .bind(role.as_str())
        .fetch_one(conn)
        .await?;
    Ok(n)
}
