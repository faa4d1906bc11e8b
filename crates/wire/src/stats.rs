//! Download statistics.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DailyCount {
    /// UTC day
    #[schema(format = Date)]
    pub date: String,
    pub downloads: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VersionDownloads {
    pub version: String,
    pub total: i64,
}

/// A version's downloads
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VersionStats {
    /// All-time downloads
    pub total: i64,
    /// Today and the 6 days before
    pub last_7_days: i64,
    pub last_30_days: i64,
    pub last_365_days: i64,
    /// The last 90 days, oldest first, days without downloads included
    pub daily: Vec<DailyCount>,
}

/// A package's downloads
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackageStats {
    #[serde(flatten)]
    pub downloads: VersionStats,
    /// Per version, newest first (none for an OCI repository: its pulls count per repository)
    pub versions: Vec<VersionDownloads>,
}

impl std::ops::Deref for PackageStats {
    type Target = VersionStats;

    fn deref(&self) -> &VersionStats {
        &self.downloads
    }
}
