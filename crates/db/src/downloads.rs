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

/// Adds buffered download counts of packages without version rows (OCI repositories): per
/// package per day, and the package's running total. `counts` holds (package_id, day, count).
pub async fn add_package_counts(conn: &mut Conn, counts: &[(i64, i64, i64)]) -> Result<()> {
    for &(package_id, day, n) in counts {
        sqlx::query(
            "INSERT INTO package_downloads (package_id, day, count) VALUES ($1, $2, $3) \
             ON CONFLICT (package_id, day) DO UPDATE SET count = package_downloads.count + excluded.count",
        )
        .bind(package_id)
        .bind(day)
        .bind(n)
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

/// Daily counts for a package from `since_day` on: (day, count), over all its versions plus
/// the downloads counted on the package itself (OCI pulls).
pub async fn daily_for_package(conn: &mut Conn, package_id: i64, since_day: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT t.day, CAST(SUM(t.n) AS BIGINT) FROM ( \
             SELECT d.day AS day, d.count AS n FROM version_downloads d \
             JOIN versions v ON v.id = d.version_id WHERE v.package_id = $1 AND d.day >= $2 \
             UNION ALL \
             SELECT day, count FROM package_downloads WHERE package_id = $1 AND day >= $2 \
         ) t GROUP BY t.day ORDER BY t.day",
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
