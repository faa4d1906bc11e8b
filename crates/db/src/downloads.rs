use crate::{Conn, Result};

/// Adds buffered download counts: per version per day, and the running totals.
/// `counts` holds (package_id, version_id, day, count) with day = days since the epoch.
pub async fn add_counts(conn: &mut Conn, counts: &[(i64, i64, i64, i64)]) -> Result<()> {
    for &(package_id, version_id, day, n) in counts {
        sqlx::query(
            "INSERT INTO version_downloads (version_id, day, count) VALUES ($1, $2, $3) \
             ON CONFLICT (version_id, day) DO UPDATE SET count = version_downloads.count + excluded.count",
        )
        .bind(version_id)
        .bind(day)
        .bind(n)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE versions SET downloads = downloads + $1 WHERE id = $2")
            .bind(n)
            .bind(version_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE packages SET downloads = downloads + $1 WHERE id = $2")
            .bind(n)
            .bind(package_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Daily counts for a package (all versions) from `since_day` on: (day, count).
pub async fn daily_for_package(conn: &mut Conn, package_id: i64, since_day: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT d.day, CAST(SUM(d.count) AS BIGINT) FROM version_downloads d \
         JOIN versions v ON v.id = d.version_id WHERE v.package_id = $1 AND d.day >= $2 \
         GROUP BY d.day ORDER BY d.day",
    )
    .bind(package_id)
    .bind(since_day)
    .fetch_all(conn)
    .await?)
}

pub async fn total(conn: &mut Conn) -> Result<i64> {
    let (n,): (Option<i64>,) = sqlx::query_as("SELECT CAST(SUM(downloads) AS BIGINT) FROM packages")
        .fetch_one(conn)
        .await?;
    Ok(n.unwrap_or(0))
}
