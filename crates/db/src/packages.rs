use crate::{Conn, Result};
use trove_core::name::normalize;
use trove_core::{Ecosystem, PackageKind, Visibility};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Package {
    pub id: i64,
    pub namespace_id: i64,
    pub scope: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub ecosystem: Ecosystem,
    #[sqlx(try_from = "String")]
    pub kind: PackageKind,
    #[sqlx(try_from = "String")]
    pub visibility: Visibility,
    pub description: Option<String>,
    pub license: Option<String>,
    /// Stored as a JSON array.
    #[sqlx(try_from = "crate::decode::JsonStrings")]
    pub keywords: Vec<String>,
    /// Stored as a JSON array.
    #[sqlx(try_from = "crate::decode::JsonStrings")]
    pub categories: Vec<String>,
    pub homepage: Option<String>,
    pub repository: Option<String>,
    pub readme: Option<String>,
    pub latest_version: Option<String>,
    pub downloads: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Package {
    pub fn is_private(&self) -> bool {
        self.visibility == Visibility::Private
    }
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.scope, self.name)
    }
}

/// The one column list of a package row (with its scope), for every query that returns one.
pub(crate) const SELECT: &str = "SELECT p.id, p.namespace_id, n.name AS scope, p.name, p.ecosystem, p.kind, \
    p.visibility, p.description, p.license, p.keywords, p.categories, p.homepage, p.repository, \
    p.readme, p.latest_version, p.downloads, p.created_at, p.updated_at \
    FROM packages p JOIN namespaces n ON n.id = p.namespace_id";

/// Finds a package by scope and name, both compared in normalized form.
pub async fn find(conn: &mut Conn, ecosystem: &str, scope: &str, name: &str) -> Result<Option<Package>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE p.ecosystem = $1 AND n.name_norm = $2 AND p.name_norm = $3"
    ))
    .bind(ecosystem)
    .bind(normalize(scope))
    .bind(normalize(name))
    .fetch_optional(conn)
    .await?)
}

/// Takes the package's row lock for the rest of the transaction (PostgreSQL; SQLite write
/// transactions are serialized anyway), so that changes computed from its versions (the
/// latest version) see every version committed by a concurrent publish.
pub async fn lock(conn: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("UPDATE packages SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find_by_id(conn: &mut Conn, id: i64) -> Result<Option<Package>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn list_in_namespace(conn: &mut Conn, namespace_id: i64) -> Result<Vec<Package>> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE p.namespace_id = $1 ORDER BY p.name"))
            .bind(namespace_id)
            .fetch_all(conn)
            .await?,
    )
}

pub struct NewPackage<'a> {
    pub namespace_id: i64,
    pub name: &'a str,
    pub ecosystem: &'a str,
    pub kind: &'a str,
    pub visibility: &'a str,
    pub now: i64,
}

/// Inserts a package row; a unique violation means someone else created it first.
pub async fn insert(conn: &mut Conn, p: NewPackage<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO packages (namespace_id, name, name_norm, ecosystem, kind, visibility, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(p.namespace_id)
    .bind(p.name)
    .bind(normalize(p.name))
    .bind(p.ecosystem)
    .bind(p.kind)
    .bind(p.visibility)
    .bind(p.now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Metadata copied onto the package from its newest version.
pub struct PackageMeta<'a> {
    pub kind: &'a str,
    pub description: Option<&'a str>,
    pub license: Option<&'a str>,
    pub keywords: &'a str,
    pub categories: &'a str,
    pub homepage: Option<&'a str>,
    pub repository: Option<&'a str>,
    pub readme: Option<&'a str>,
    pub latest_version: Option<&'a str>,
}

pub async fn update_meta(conn: &mut Conn, id: i64, m: PackageMeta<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE packages SET kind = $1, description = $2, license = $3, keywords = $4, categories = $5, \
         homepage = $6, repository = $7, readme = $8, latest_version = $9, updated_at = $10 WHERE id = $11",
    )
    .bind(m.kind)
    .bind(m.description)
    .bind(m.license)
    .bind(m.keywords)
    .bind(m.categories)
    .bind(m.homepage)
    .bind(m.repository)
    .bind(m.readme)
    .bind(m.latest_version)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_latest(conn: &mut Conn, id: i64, latest: Option<&str>, now: i64) -> Result<()> {
    sqlx::query("UPDATE packages SET latest_version = $1, updated_at = $2 WHERE id = $3")
        .bind(latest)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_visibility(conn: &mut Conn, id: i64, visibility: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE packages SET visibility = $1, updated_at = $2 WHERE id = $3")
        .bind(visibility)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM packages").fetch_one(conn).await?;
    Ok(n)
}
