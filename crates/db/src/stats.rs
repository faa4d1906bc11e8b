//! Download statistics: daily series, windows, trending, global totals. Days are counted
//! from the epoch (UTC).

use crate::{Conn, Result};

/// Daily counts for one version from `since_day` on: (day, count).
pub async fn daily_for_version(conn: &mut Conn, version_id: i64, since_day: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT day, CAST(SUM(count) AS BIGINT) FROM version_downloads \
         WHERE version_id = $1 AND day >= $2 GROUP BY day ORDER BY day",
    )
    .bind(version_id)
    .bind(since_day)
    .fetch_all(conn)
    .await?)
}

/// Public packages downloaded since `since_day`, with their downloads from `split_day` on
/// (recent) and before it (previous): (package_id, recent, previous). Counts per version and
/// counts on the package itself (OCI pulls) both count.
pub async fn recent_and_previous(conn: &mut Conn, since_day: i64, split_day: i64) -> Result<Vec<(i64, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT t.package_id, \
                CAST(SUM(CASE WHEN t.day >= $2 THEN t.n ELSE 0 END) AS BIGINT), \
                CAST(SUM(CASE WHEN t.day < $2 THEN t.n ELSE 0 END) AS BIGINT) \
         FROM ( \
             SELECT v.package_id AS package_id, d.day AS day, d.count AS n FROM version_downloads d \
             JOIN versions v ON v.id = d.version_id WHERE d.day >= $1 \
             UNION ALL \
             SELECT package_id, day, count FROM package_downloads WHERE day >= $1 \
         ) t \
         JOIN packages p ON p.id = t.package_id \
         WHERE p.visibility = 'public' \
         GROUP BY t.package_id",
    )
    .bind(since_day)
    .bind(split_day)
    .fetch_all(conn)
    .await?)
}

/// Registry-wide figures over public packages (and all user accounts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub packages: i64,
    pub versions: i64,
    pub downloads: i64,
    pub users: i64,
}

pub async fn totals(conn: &mut Conn) -> Result<Totals> {
    let (packages, downloads): (i64, Option<i64>) =
        sqlx::query_as("SELECT COUNT(*), CAST(SUM(downloads) AS BIGINT) FROM packages WHERE visibility = 'public'")
            .fetch_one(&mut *conn)
            .await?;
    let (versions,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM versions v JOIN packages p ON p.id = v.package_id \
         WHERE p.visibility = 'public' AND v.deleted_at IS NULL",
    )
    .fetch_one(&mut *conn)
    .await?;
    let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *conn)
        .await?;
    Ok(Totals {
        packages,
        versions,
        downloads: downloads.unwrap_or(0),
        users,
    })
}
