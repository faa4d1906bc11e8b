use crate::{Conn, Result};
use trove_core::name::normalize;
use trove_core::{NamespaceKind, OrgRole};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Namespace {
    pub id: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub kind: NamespaceKind,
    pub user_id: Option<i64>,
    pub description: Option<String>,
    pub created_at: i64,
}

impl Namespace {
    pub fn is_org(&self) -> bool {
        self.kind == NamespaceKind::Org
    }
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Member {
    pub user_id: i64,
    pub username: String,
    #[sqlx(try_from = "String")]
    pub role: OrgRole,
    pub created_at: i64,
}

const COLS: &str = "id, name, kind, user_id, description, created_at";

pub async fn insert(
    conn: &mut Conn,
    name: &str,
    kind: NamespaceKind,
    user_id: Option<i64>,
    description: Option<&str>,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO namespaces (name, name_norm, kind, user_id, description, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(name)
    .bind(normalize(name))
    .bind(kind.as_str())
    .bind(user_id)
    .bind(description)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Finds a namespace by name; `foo_bar` finds `foo-bar`.
pub async fn find(conn: &mut Conn, name: &str) -> Result<Option<Namespace>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLS} FROM namespaces WHERE name_norm = $1"))
            .bind(normalize(name))
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn find_by_id(conn: &mut Conn, id: i64) -> Result<Option<Namespace>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM namespaces WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// A namespace joined with a member's role in it.
#[derive(sqlx::FromRow)]
struct NamespaceWithRole {
    #[sqlx(flatten)]
    namespace: Namespace,
    #[sqlx(try_from = "String")]
    role: OrgRole,
}

/// Organizations a user belongs to, with the user's role.
pub async fn orgs_of_user(conn: &mut Conn, user_id: i64) -> Result<Vec<(Namespace, OrgRole)>> {
    let rows: Vec<NamespaceWithRole> = sqlx::query_as(
        "SELECT n.id, n.name, n.kind, n.user_id, n.description, n.created_at, m.role \
         FROM namespaces n JOIN org_members m ON m.namespace_id = n.id \
         WHERE m.user_id = $1 ORDER BY n.name",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.namespace, r.role)).collect())
}

pub async fn member_role(conn: &mut Conn, namespace_id: i64, user_id: i64) -> Result<Option<OrgRole>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT role FROM org_members WHERE namespace_id = $1 AND user_id = $2")
            .bind(namespace_id)
            .bind(user_id)
            .fetch_optional(conn)
            .await?;
    row.map(|r| OrgRole::try_from(r.0).map_err(|e| crate::DbError::Corrupt(format!("org member role {e}"))))
        .transpose()
}

pub async fn members(conn: &mut Conn, namespace_id: i64) -> Result<Vec<Member>> {
    Ok(sqlx::query_as(
        "SELECT m.user_id, u.username, m.role, m.created_at FROM org_members m \
         JOIN users u ON u.id = m.user_id WHERE m.namespace_id = $1 ORDER BY u.username",
    )
    .bind(namespace_id)
    .fetch_all(conn)
    .await?)
}

/// Adds a member or changes their role.
pub async fn upsert_member(conn: &mut Conn, namespace_id: i64, user_id: i64, role: OrgRole, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO org_members (namespace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (namespace_id, user_id) DO UPDATE SET role = excluded.role",
    )
    .bind(namespace_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove_member(conn: &mut Conn, namespace_id: i64, user_id: i64) -> Result<bool> {
    let r = sqlx::query("DELETE FROM org_members WHERE namespace_id = $1 AND user_id = $2")
        .bind(namespace_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn count_role(conn: &mut Conn, namespace_id: i64, role: OrgRole) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM org_members WHERE namespace_id = $1 AND role = $2")
        .bind(namespace_id)
        .bind(role.as_str())
        .fetch_one(conn)
        .await?;
    Ok(n)
}
