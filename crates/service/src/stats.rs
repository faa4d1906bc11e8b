//! Download statistics per package and per version, registry totals, and the explore page
//! (trending, most downloaded, recently updated).
//!
//! Counts come from `version_downloads` (per version per UTC day), `package_downloads` (per
//! package per UTC day: OCI pulls, which have no version row) and the running totals on
//! packages and versions, as last flushed by the download counter: downloads still buffered
//! in a node's memory (at most one flush interval) are not included. Windows end today:
//! "last 7 days" is today and the six days before.

use crate::{Ctx, Result};
use trove_core::now_ms;
use trove_core::time::{date, day_of};
use trove_search::Sort;

sub_service!(
    /// Download statistics, trending and explore.
    Stats,
    stats
);

/// Days in the daily series.
pub const DAILY_DAYS: i64 = 90;
/// Packages per explore list.
pub const EXPLORE_LIMIT: usize = 10;
/// Trending growth is `(last 7 days - previous 7) / (previous 7 + TRENDING_DAMPING)`, so a
/// handful of downloads from nothing does not outrank steady growth of a popular package.
pub const TRENDING_DAMPING: i64 = 10;

pub use trove_wire::{
    DailyCount, Explore, PackageStats, Totals, TrendingPackage, VersionDownloads as VersionTotal, VersionStats,
};

/// Windows and the zero-filled daily series from (day, count) rows of the last year.
fn windows(total: i64, rows: &[(i64, i64)], today: i64) -> VersionStats {
    let since = |days: i64| -> i64 {
        rows.iter()
            .filter(|(d, _)| *d > today - days && *d <= today)
            .map(|r| r.1)
            .sum()
    };
    let daily = (today - DAILY_DAYS + 1..=today)
        .map(|day| DailyCount {
            date: date(day),
            downloads: rows.iter().filter(|r| r.0 == day).map(|r| r.1).sum(),
        })
        .collect();
    VersionStats {
        total,
        last_7_days: since(7),
        last_30_days: since(30),
        last_365_days: since(365),
        daily,
    }
}

impl Stats<'_> {
    /// Download statistics of a package the caller can see (404 otherwise), with its
    /// versions' totals; an OCI repository has no versions (its pulls count on it).
    pub async fn package_stats(&self, ctx: &Ctx, scope: &str, name: &str) -> Result<PackageStats> {
        let mut conn = self.db.conn().await?;
        let pkg = self.visible_package_any(&mut conn, ctx, scope, name).await?;
        let today = day_of(now_ms());
        let rows = trove_db::downloads::daily_for_package(&mut conn, pkg.id, today - 364).await?;
        let downloads = windows(pkg.downloads, &rows, today);
        if pkg.ecosystem == trove_core::Ecosystem::Oci {
            return Ok(PackageStats {
                downloads,
                versions: Vec::new(),
            });
        }
        let mut versions = trove_db::versions::list(&mut conn, pkg.id).await?;
        crate::packages::sort_newest_first(pkg.ecosystem, &mut versions);
        let versions = versions
            .into_iter()
            .map(|v| VersionTotal {
                version: v.version,
                total: v.downloads,
            })
            .collect();
        Ok(PackageStats { downloads, versions })
    }

    /// Download statistics of one version (404 for private packages the caller can't see).
    pub async fn version_stats(&self, ctx: &Ctx, scope: &str, name: &str, version: &str) -> Result<VersionStats> {
        let mut conn = self.db.conn().await?;
        let pkg = self.visible_package_any(&mut conn, ctx, scope, name).await?;
        let v = self
            .packages()
            .of(pkg.ecosystem)
            .find_version(&mut conn, pkg.id, &pkg.full_name(), version)
            .await?;
        let today = day_of(now_ms());
        let rows = trove_db::stats::daily_for_version(&mut conn, v.id, today - 364).await?;
        Ok(windows(v.downloads, &rows, today))
    }

    /// Registry totals over public packages (and all accounts).
    pub async fn global_stats(&self) -> Result<Totals> {
        let mut conn = self.db.conn().await?;
        Ok(crate::views::totals_view(trove_db::stats::totals(&mut conn).await?))
    }

    /// Public packages whose downloads grew most over the last 7 days against the 7 before
    /// (see [`TRENDING_DAMPING`]); ties go to more recent downloads, then to the name.
    pub async fn trending(&self, limit: usize) -> Result<Vec<TrendingPackage>> {
        let today = day_of(now_ms());
        let rows = {
            let mut conn = self.db.conn().await?;
            trove_db::stats::recent_and_previous(&mut conn, today - 13, today - 6).await?
        };
        let growing: Vec<(i64, i64, i64)> = rows.into_iter().filter(|r| r.1 > r.2).collect();
        let ids: Vec<i64> = growing.iter().map(|r| r.0).collect();
        let summaries = self.search().public_summaries(&ids);
        let mut list: Vec<(f64, TrendingPackage)> = growing
            .into_iter()
            .filter_map(|(id, recent, previous)| {
                let package = summaries.get(&id)?.clone();
                let growth = (recent - previous) as f64 / (previous + TRENDING_DAMPING) as f64;
                Some((
                    growth,
                    TrendingPackage {
                        package,
                        downloads_last_7_days: recent,
                        downloads_previous_7_days: previous,
                    },
                ))
            })
            .collect();
        list.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(b.1.downloads_last_7_days.cmp(&a.1.downloads_last_7_days))
                .then_with(|| a.1.package.full_name.cmp(&b.1.package.full_name))
        });
        Ok(list.into_iter().take(limit).map(|x| x.1).collect())
    }

    /// Everything the explore page shows (public packages only).
    pub async fn explore(&self) -> Result<Explore> {
        Ok(Explore {
            totals: self.global_stats().await?,
            trending: self.trending(EXPLORE_LIMIT).await?,
            most_downloaded: self.search().top_packages(Sort::Downloads, EXPLORE_LIMIT),
            recently_updated: self.search().top_packages(Sort::Recent, EXPLORE_LIMIT),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_back_from_today_and_fill_gaps() {
        let today = 20_000;
        let rows = [
            (today, 1),
            (today - 6, 2),
            (today - 7, 4),
            (today - 29, 8),
            (today - 30, 16),
            (today - 364, 32),
        ];
        let s = windows(1000, &rows, today);
        assert_eq!(s.total, 1000);
        assert_eq!(s.last_7_days, 3);
        assert_eq!(s.last_30_days, 15);
        assert_eq!(s.last_365_days, 63);
        assert_eq!(s.daily.len(), DAILY_DAYS as usize);
        assert_eq!(s.daily.last().unwrap().date, date(today));
        assert_eq!(s.daily.last().unwrap().downloads, 1);
        assert_eq!(s.daily[DAILY_DAYS as usize - 7].downloads, 2);
        assert_eq!(s.daily.iter().map(|d| d.downloads).sum::<i64>(), 31);
        assert_eq!(s.daily[0].date, date(today - DAILY_DAYS + 1));
    }
}
