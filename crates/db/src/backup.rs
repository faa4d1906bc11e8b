//! Portable backups of the whole database. Every table is exported to JSON lines (one JSON
//! array per row, columns listed in the manifest) from one consistent snapshot: on SQLite a
//! `VACUUM INTO` copy of the live file (kept in the backup as a ready-to-use database), on
//! PostgreSQL one `REPEATABLE READ READ ONLY` transaction. The same files import into an
//! empty, migrated database of either backend, so a backup also moves a registry between
//! SQLite and PostgreSQL. Tables, columns, foreign-key order and sequences are read from the
//! catalog, so tables added by later migrations are covered without changes here.

use crate::{Backend, Conn, Db, DbError, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyTypeInfoKind;
use sqlx::{Connection, Row, ValueRef};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use tokio::io::AsyncBufReadExt;

/// Version of the backup layout; restore refuses a newer one.
pub const FORMAT_VERSION: u32 = 1;
/// `kind` of a backup manifest.
pub const MANIFEST_KIND: &str = "trove-backup";
/// Rows fetched per query when exporting.
const PAGE: i64 = 1000;
/// Bound parameters per INSERT when importing.
const MAX_BINDS: usize = 2000;
/// Tables whose migration-seeded rows do not make a database "not empty".
const SEEDED: &[&str] = &["search_state", "health_probe"];

/// `manifest.json` at the root of a backup directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_KIND`].
    pub kind: String,
    /// [`FORMAT_VERSION`] of the trove that wrote it.
    pub format: u32,
    pub trove_version: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub created_at_ms: i64,
    /// Wall-clock seconds the backup took.
    pub duration_secs: f64,
    pub database: DbDump,
    pub blobs: BlobSummary,
    /// Every file of this backup but the blobs (whose names are their digests), with its
    /// sha256; restore checks them all before it changes anything.
    pub files: Vec<FileSum>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DbDump {
    /// Backend the data came from: `sqlite` or `postgres`.
    pub backend: String,
    /// Highest migration applied to the source; a restore target must be at the same one.
    pub migration_version: i64,
    /// Tables in foreign-key order (referenced tables first).
    pub tables: Vec<TableDump>,
    /// Last id handed out per table with a generated id (so restored ids are never reused).
    pub sequences: BTreeMap<String, i64>,
    /// `VACUUM INTO` copy of a SQLite source (path relative to the backup directory).
    #[serde(default)]
    pub sqlite_snapshot: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableDump {
    pub name: String,
    /// JSON lines file, relative to the backup directory.
    pub file: String,
    pub columns: Vec<String>,
    pub rows: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlobSummary {
    pub count: u64,
    pub bytes: u64,
    /// `sha256:<hex> <size>` per line, relative to the backup directory.
    pub list: String,
    /// Blobs the database references that the store did not have when the backup ran.
    #[serde(default)]
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileSum {
    /// Relative to the backup directory, `/`-separated.
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// What [`export`] wrote and which blobs the snapshot refers to.
#[derive(Debug, Clone)]
pub struct Export {
    pub dump: DbDump,
    /// Storage digests the snapshot needs: live versions' archives, OCI blobs and manifests.
    pub required_blobs: BTreeSet<String>,
    /// Every other `sha256:` value found in any column (deleted versions, upload parts, …);
    /// copied when the store has them.
    pub other_digests: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Real,
    Bool,
    Text,
    Blob,
}

#[derive(Debug, Clone)]
struct Col {
    name: String,
    kind: Kind,
}

#[derive(Debug, Clone)]
struct TableInfo {
    columns: Vec<Col>,
    pk: Vec<String>,
}

fn io(e: std::io::Error) -> DbError {
    DbError::Sqlx(sqlx::Error::Io(e))
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Exports the database into `root/sub` (created; `sub` is relative, e.g. `db-1700000000000`).
/// File names in the result are relative to `root`.
pub async fn export(db: &Db, root: &Path, sub: &str) -> Result<Export> {
    let out = root.join(sub);
    std::fs::create_dir_all(out.join("tables")).map_err(io)?;
    match db.backend {
        Backend::Sqlite => {
            let snap = out.join("trove.sqlite");
            match std::fs::remove_file(&snap) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
                _ => {}
            }
            let mut conn = db.conn().await?;
            sqlx::query("VACUUM INTO $1")
                .bind(snap.to_string_lossy().into_owned())
                .execute(&mut *conn)
                .await?;
            drop(conn);
            let url = format!("sqlite://{}?mode=rw", encode_path(&snap));
            let mut conn = sqlx::AnyConnection::connect(&url).await?;
            let res = export_from(&mut conn, Backend::Sqlite, root, sub).await;
            let _ = conn.close().await;
            let mut res = res?;
            res.dump.sqlite_snapshot = Some(format!("{sub}/trove.sqlite"));
            Ok(res)
        }
        Backend::Postgres => {
            let mut tx = db
                .pool
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await?;
            let res = export_from(&mut tx, Backend::Postgres, root, sub).await;
            tx.rollback().await?;
            res
        }
    }
}

/// Percent-encodes what SQLite URLs give a meaning to.
fn encode_path(p: &Path) -> String {
    const SQLITE_URL_PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}')
        .add(b'%');
    percent_encoding::utf8_percent_encode(&p.to_string_lossy(), SQLITE_URL_PATH).to_string()
}

async fn export_from(conn: &mut Conn, backend: Backend, root: &Path, sub: &str) -> Result<Export> {
    let migration_version = migration_version_on(conn).await?;
    let order = table_order(conn, backend).await?;
    let mut tables = Vec::new();
    let mut digests = BTreeSet::new();
    for name in &order {
        let info = table_info(conn, backend, name).await?;
        let file = format!("{sub}/tables/{name}.jsonl");
        let rows = export_table(conn, name, &info, &root.join(&file), &mut digests).await?;
        tables.push(TableDump {
            name: name.clone(),
            file,
            columns: info.columns.iter().map(|c| c.name.clone()).collect(),
            rows,
        });
    }
    let sequences = sequences(conn, backend).await?;
    // Blobs the registry cannot work without.
    let mut parts = Vec::new();
    if order.iter().any(|t| t == "versions") {
        parts.push("SELECT digest AS d FROM versions WHERE deleted_at IS NULL");
    }
    if order.iter().any(|t| t == "oci_blobs") {
        parts.push("SELECT storage_digest AS d FROM oci_blobs");
    }
    if order.iter().any(|t| t == "oci_manifests") {
        parts.push("SELECT storage_digest AS d FROM oci_manifests");
    }
    let mut required = BTreeSet::new();
    if !parts.is_empty() {
        let rows: Vec<(String,)> = sqlx::query_as(&parts.join(" UNION ")).fetch_all(&mut *conn).await?;
        required.extend(rows.into_iter().map(|(d,)| d).filter(|d| is_sha256(d)));
    }
    let other_digests = digests.difference(&required).cloned().collect();
    Ok(Export {
        dump: DbDump {
            backend: backend.name().into(),
            migration_version,
            tables,
            sequences,
            sqlite_snapshot: None,
        },
        required_blobs: required,
        other_digests,
    })
}

fn is_sha256(s: &str) -> bool {
    s.len() == 71 && s.starts_with("sha256:") && trove_core::Digest::parse(s).is_ok()
}

/// Writes one table, `PAGE` rows at a time in primary-key order (keyset pagination).
async fn export_table(
    conn: &mut Conn,
    name: &str,
    info: &TableInfo,
    path: &Path,
    digests: &mut BTreeSet<String>,
) -> Result<u64> {
    let file = std::fs::File::create(path).map_err(io)?;
    let mut out = std::io::BufWriter::new(file);
    let cols = info
        .columns
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let pk_idx: Vec<usize> = info
        .pk
        .iter()
        .filter_map(|p| info.columns.iter().position(|c| &c.name == p))
        .collect();
    let mut count = 0u64;
    let mut last: Option<Vec<Value>> = None;
    loop {
        let rows = if pk_idx.is_empty() {
            if last.is_some() {
                break;
            }
            last = Some(Vec::new());
            sqlx::query(&format!("SELECT {cols} FROM {}", quote(name)))
                .fetch_all(&mut *conn)
                .await?
        } else {
            let order = info.pk.iter().map(|p| quote(p)).collect::<Vec<_>>().join(", ");
            let (cond, binds) = match &last {
                None => (String::new(), Vec::new()),
                Some(key) => {
                    let params = (1..=key.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
                    (format!(" WHERE ({order}) > ({params})"), key.clone())
                }
            };
            let sql = format!("SELECT {cols} FROM {}{cond} ORDER BY {order} LIMIT {PAGE}", quote(name));
            let mut q = sqlx::query(&sql);
            for (v, &i) in binds.iter().zip(&pk_idx) {
                q = bind(q, info.columns[i].kind, v, name, &info.columns[i].name)?;
            }
            q.fetch_all(&mut *conn).await?
        };
        let n = rows.len();
        for row in rows {
            let mut values = Vec::with_capacity(info.columns.len());
            for i in 0..info.columns.len() {
                let v = decode(&row, i)?;
                if let Value::String(s) = &v {
                    if is_sha256(s) {
                        digests.insert(s.clone());
                    }
                }
                values.push(v);
            }
            serde_json::to_writer(&mut out, &values).map_err(|e| io(e.into()))?;
            out.write_all(b"\n").map_err(io)?;
            if !pk_idx.is_empty() {
                last = Some(pk_idx.iter().map(|&i| values[i].clone()).collect());
            }
            count += 1;
        }
        if pk_idx.is_empty() || (n as i64) < PAGE {
            break;
        }
    }
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(count)
}

fn decode(row: &sqlx::any::AnyRow, i: usize) -> Result<Value> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let kind = raw.type_info().kind();
    Ok(match kind {
        AnyTypeInfoKind::Null => Value::Null,
        AnyTypeInfoKind::Bool => Value::Bool(row.try_get(i)?),
        AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
            Value::from(row.try_get::<i64, _>(i)?)
        }
        AnyTypeInfoKind::Real | AnyTypeInfoKind::Double => Value::from(row.try_get::<f64, _>(i)?),
        AnyTypeInfoKind::Text => Value::String(row.try_get(i)?),
        AnyTypeInfoKind::Blob => {
            let b: Vec<u8> = row.try_get(i)?;
            serde_json::json!({ "$hex": b.iter().map(|x| format!("{x:02x}")).collect::<String>() })
        }
    })
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds a JSON value as the type of the target column.
fn bind<'q>(q: AnyQuery<'q>, kind: Kind, v: &Value, table: &str, col: &str) -> Result<AnyQuery<'q>> {
    let bad = || DbError::Corrupt(format!("{table}.{col}: value {v} does not fit the column"));
    Ok(match (kind, v) {
        (Kind::Int, Value::Null) => q.bind(None::<i64>),
        (Kind::Int, Value::Number(n)) => q.bind(n.as_i64().ok_or_else(bad)?),
        (Kind::Int, Value::Bool(b)) => q.bind(*b as i64),
        (Kind::Int, Value::String(s)) => q.bind(s.parse::<i64>().map_err(|_| bad())?),
        (Kind::Real, Value::Null) => q.bind(None::<f64>),
        (Kind::Real, Value::Number(n)) => q.bind(n.as_f64().ok_or_else(bad)?),
        (Kind::Bool, Value::Null) => q.bind(None::<bool>),
        (Kind::Bool, Value::Bool(b)) => q.bind(*b),
        (Kind::Bool, Value::Number(n)) => q.bind(n.as_i64().ok_or_else(bad)? != 0),
        (Kind::Text, Value::Null) => q.bind(None::<String>),
        (Kind::Text, Value::String(s)) => q.bind(s.clone()),
        (Kind::Text, Value::Number(n)) => q.bind(n.to_string()),
        (Kind::Text, Value::Bool(b)) => q.bind(b.to_string()),
        (Kind::Blob, Value::Null) => q.bind(None::<Vec<u8>>),
        (Kind::Blob, Value::Object(o)) => {
            let hex = o.get("$hex").and_then(|h| h.as_str()).ok_or_else(bad)?;
            q.bind(unhex(hex).ok_or_else(bad)?)
        }
        (Kind::Blob, Value::String(s)) => q.bind(s.clone().into_bytes()),
        _ => return Err(bad()),
    })
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn kind_of(declared: &str) -> Kind {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        Kind::Int
    } else if t.contains("bool") {
        Kind::Bool
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        Kind::Text
    } else if t.contains("real") || t.contains("floa") || t.contains("doub") || t.contains("numeric") {
        Kind::Real
    } else if t.contains("blob") || t.contains("bytea") {
        Kind::Blob
    } else {
        Kind::Text
    }
}

async fn table_names(conn: &mut Conn, backend: Backend) -> Result<Vec<String>> {
    let sql = match backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
    };
    let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|(n,)| n)
        .filter(|n| !n.starts_with("sqlite_") && !n.starts_with("_sqlx"))
        .collect())
}

/// Tables with every referenced table before the tables referencing it.
async fn table_order(conn: &mut Conn, backend: Backend) -> Result<Vec<String>> {
    let names = table_names(conn, backend).await?;
    let mut parents: BTreeMap<String, BTreeSet<String>> = names.iter().map(|n| (n.clone(), BTreeSet::new())).collect();
    let edges: Vec<(String, String)> = match backend {
        Backend::Sqlite => {
            let mut edges = Vec::new();
            for n in &names {
                let rows: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_list($1)")
                    .bind(n.clone())
                    .fetch_all(&mut *conn)
                    .await?;
                edges.extend(rows.into_iter().map(|(p,)| (n.clone(), p)));
            }
            edges
        }
        Backend::Postgres => {
            sqlx::query_as(
                "SELECT c.relname::text, p.relname::text FROM pg_constraint k \
                 JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid \
                 JOIN pg_namespace s ON s.oid = c.relnamespace \
                 WHERE k.contype = 'f' AND s.nspname = current_schema()",
            )
            .fetch_all(&mut *conn)
            .await?
        }
    };
    for (child, parent) in edges {
        if child != parent && parents.contains_key(&parent) {
            if let Some(p) = parents.get_mut(&child) {
                p.insert(parent);
            }
        }
    }
    let mut order = Vec::new();
    let mut done = BTreeSet::new();
    while order.len() < names.len() {
        let next = parents
            .iter()
            .find(|(n, ps)| !done.contains(*n) && ps.iter().all(|p| done.contains(p)))
            .map(|(n, _)| n.clone());
        match next {
            Some(n) => {
                done.insert(n.clone());
                order.push(n);
            }
            None => {
                // A cycle of foreign keys: keep the rest in name order.
                for n in &names {
                    if done.insert(n.clone()) {
                        order.push(n.clone());
                    }
                }
            }
        }
    }
    Ok(order)
}

async fn table_info(conn: &mut Conn, backend: Backend, table: &str) -> Result<TableInfo> {
    match backend {
        Backend::Sqlite => {
            let rows: Vec<(String, String, i64)> =
                sqlx::query_as("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
                    .bind(table.to_string())
                    .fetch_all(&mut *conn)
                    .await?;
            let mut pk: Vec<(i64, String)> = rows.iter().filter(|r| r.2 > 0).map(|r| (r.2, r.0.clone())).collect();
            pk.sort();
            Ok(TableInfo {
                columns: rows
                    .iter()
                    .map(|(n, t, _)| Col {
                        name: n.clone(),
                        kind: kind_of(t),
                    })
                    .collect(),
                pk: pk.into_iter().map(|(_, n)| n).collect(),
            })
        }
        Backend::Postgres => {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table.to_string())
            .fetch_all(&mut *conn)
            .await?;
            let pk: Vec<(String,)> = sqlx::query_as(
                "SELECT a.attname::text FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace s ON s.oid = c.relnamespace \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                 WHERE i.indisprimary AND c.relname = $1 AND s.nspname = current_schema() \
                 ORDER BY array_position(i.indkey::int2[], a.attnum)",
            )
            .bind(table.to_string())
            .fetch_all(&mut *conn)
            .await?;
            Ok(TableInfo {
                columns: rows
                    .iter()
                    .map(|(n, t)| Col {
                        name: n.clone(),
                        kind: kind_of(t),
                    })
                    .collect(),
                pk: pk.into_iter().map(|(n,)| n).collect(),
            })
        }
    }
}

/// PostgreSQL: (table, sequence) of every column filled from a sequence.
async fn pg_sequences(conn: &mut Conn) -> Result<Vec<(String, String, String)>> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, \
         pg_get_serial_sequence(quote_ident(table_name::text), column_name::text)::text \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().filter_map(|(t, c, s)| Some((t, c, s?))).collect())
}

async fn sequences(conn: &mut Conn, backend: Backend) -> Result<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    match backend {
        Backend::Sqlite => {
            let has: Option<(String,)> =
                sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
                    .fetch_optional(&mut *conn)
                    .await?;
            if has.is_some() {
                let rows: Vec<(String, i64)> = sqlx::query_as("SELECT name, seq FROM sqlite_sequence")
                    .fetch_all(&mut *conn)
                    .await?;
                out.extend(rows);
            }
        }
        Backend::Postgres => {
            for (table, _, seq) in pg_sequences(conn).await? {
                let (last, called): (i64, bool) = sqlx::query_as(&format!("SELECT last_value, is_called FROM {seq}"))
                    .fetch_one(&mut *conn)
                    .await?;
                out.insert(table, if called { last } else { last - 1 });
            }
        }
    }
    Ok(out)
}

async fn migration_version_on(conn: &mut Conn) -> Result<i64> {
    let (v,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut *conn)
        .await?;
    Ok(v)
}

/// The highest migration applied to this database.
pub async fn migration_version(db: &Db) -> Result<i64> {
    let mut conn = db.conn().await?;
    migration_version_on(&mut conn).await
}

/// Tables holding rows (with their counts), ignoring rows the migrations seed.
pub async fn non_empty_tables(db: &Db) -> Result<Vec<(String, i64)>> {
    let mut conn = db.conn().await?;
    let mut out = Vec::new();
    for t in table_names(&mut conn, db.backend).await? {
        if SEEDED.contains(&t.as_str()) {
            continue;
        }
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {}", quote(&t)))
            .fetch_one(&mut *conn)
            .await?;
        if n > 0 {
            out.push((t, n));
        }
    }
    Ok(out)
}

/// Checks, without writing, that `dump` can be imported here: same schema version, and every
/// table and column of the dump exists.
pub async fn check_compatible(db: &Db, dump: &DbDump) -> Result<()> {
    let mut conn = db.conn().await?;
    let here = migration_version_on(&mut conn).await?;
    if here != dump.migration_version {
        return Err(DbError::Corrupt(format!(
            "the backup is at schema version {} and this database at {here}: restore with the trove \
             version that made the backup, then start the newer trove on the result to migrate it",
            dump.migration_version
        )));
    }
    let names: BTreeSet<String> = table_names(&mut conn, db.backend).await?.into_iter().collect();
    for t in &dump.tables {
        if !names.contains(&t.name) {
            return Err(DbError::Corrupt(format!(
                "table `{}` of the backup does not exist here",
                t.name
            )));
        }
        let info = table_info(&mut conn, db.backend, &t.name).await?;
        for c in &t.columns {
            if !info.columns.iter().any(|x| &x.name == c) {
                return Err(DbError::Corrupt(format!(
                    "column `{}.{c}` of the backup does not exist here",
                    t.name
                )));
            }
        }
    }
    Ok(())
}

/// Imports a dump (files under `root`) in one transaction: the dump's tables are emptied
/// (children first), filled (parents first) and the sequences moved past every restored id.
/// Returns the rows imported per table.
pub async fn import(db: &Db, root: &Path, dump: &DbDump) -> Result<Vec<(String, u64)>> {
    let backend = db.backend;
    let mut tx = db.write().await?;
    let order: Vec<String> = table_order(&mut tx, backend)
        .await?
        .into_iter()
        .filter(|t| dump.tables.iter().any(|d| &d.name == t))
        .collect();
    for t in order.iter().rev() {
        sqlx::query(&format!("DELETE FROM {}", quote(t)))
            .execute(&mut *tx)
            .await?;
    }
    let mut report = Vec::new();
    for t in &order {
        let d = dump.tables.iter().find(|d| &d.name == t).expect("filtered above");
        let info = table_info(&mut tx, backend, t).await?;
        let kinds: Vec<Kind> = d
            .columns
            .iter()
            .map(|c| {
                info.columns
                    .iter()
                    .find(|x| &x.name == c)
                    .map(|x| x.kind)
                    .ok_or_else(|| DbError::Corrupt(format!("column `{t}.{c}` does not exist here")))
            })
            .collect::<Result<_>>()?;
        let n = import_table(&mut tx, root, d, &kinds).await?;
        if n != d.rows {
            return Err(DbError::Corrupt(format!(
                "{}: {n} rows where the manifest says {}",
                d.file, d.rows
            )));
        }
        report.push((t.clone(), n));
    }
    match backend {
        Backend::Sqlite => {
            for t in &order {
                let sql: Option<(String,)> =
                    sqlx::query_as("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1")
                        .bind(t.clone())
                        .fetch_optional(&mut *tx)
                        .await?;
                if !sql.is_some_and(|(s,)| s.to_ascii_uppercase().contains("AUTOINCREMENT")) {
                    continue;
                }
                let (max,): (i64,) = sqlx::query_as(&format!("SELECT COALESCE(MAX(rowid), 0) FROM {}", quote(t)))
                    .fetch_one(&mut *tx)
                    .await?;
                let v = max.max(dump.sequences.get(t).copied().unwrap_or(0));
                sqlx::query("DELETE FROM sqlite_sequence WHERE name = $1")
                    .bind(t.clone())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES ($1, $2)")
                    .bind(t.clone())
                    .bind(v)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Backend::Postgres => {
            for (t, col, seq) in pg_sequences(&mut tx).await? {
                if !order.contains(&t) {
                    continue;
                }
                let (max,): (i64,) = sqlx::query_as(&format!(
                    "SELECT COALESCE(MAX({}), 0)::bigint FROM {}",
                    quote(&col),
                    quote(&t)
                ))
                .fetch_one(&mut *tx)
                .await?;
                let v = max.max(dump.sequences.get(&t).copied().unwrap_or(0));
                let sql = if v >= 1 {
                    "SELECT setval($1::regclass, $2, true)"
                } else {
                    "SELECT setval($1::regclass, $2 + 1, false)"
                };
                sqlx::query(sql).bind(seq).bind(v).execute(&mut *tx).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(report)
}

async fn import_table(conn: &mut Conn, root: &Path, d: &TableDump, kinds: &[Kind]) -> Result<u64> {
    let file = tokio::fs::File::open(root.join(&d.file)).await.map_err(io)?;
    let mut lines = tokio::io::BufReader::new(file).lines();
    let ncols = d.columns.len().max(1);
    let per_batch = (MAX_BINDS / ncols).max(1);
    let cols = d.columns.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ");
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_batch);
    let mut count = 0u64;
    let mut line_no = 0u64;
    loop {
        let line = lines.next_line().await.map_err(io)?;
        if let Some(line) = &line {
            line_no += 1;
            if line.is_empty() {
                continue;
            }
            let row: Vec<Value> =
                serde_json::from_str(line).map_err(|e| DbError::Corrupt(format!("{} line {line_no}: {e}", d.file)))?;
            if row.len() != d.columns.len() {
                return Err(DbError::Corrupt(format!(
                    "{} line {line_no}: {} values for {} columns",
                    d.file,
                    row.len(),
                    d.columns.len()
                )));
            }
            batch.push(row);
        }
        if !batch.is_empty() && (batch.len() >= per_batch || line.is_none()) {
            let mut sql = format!("INSERT INTO {} ({cols}) VALUES ", quote(&d.name));
            let mut p = 0;
            for (r, _) in batch.iter().enumerate() {
                if r > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for c in 0..d.columns.len() {
                    p += 1;
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("${p}"));
                }
                sql.push(')');
            }
            let mut q = sqlx::query(&sql);
            for row in &batch {
                for (c, v) in row.iter().enumerate() {
                    q = bind(q, kinds[c], v, &d.name, &d.columns[c])?;
                }
            }
            q.execute(&mut *conn).await?;
            count += batch.len() as u64;
            batch.clear();
        }
        if line.is_none() {
            break;
        }
    }
    Ok(count)
}
