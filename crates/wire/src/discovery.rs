//! Search, categories, registry totals and the explore lists.

use crate::vocab;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A package in search results and lists
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackageSummary {
    /// `scope/name`
    pub full_name: String,
    pub scope: String,
    pub name: String,
    #[schema(value_type = vocab::Ecosystem)]
    pub ecosystem: String,
    #[schema(value_type = vocab::PackageKind)]
    pub kind: String,
    #[schema(required)]
    pub description: Option<String>,
    /// Highest non-yanked version
    #[schema(required)]
    pub latest_version: Option<String>,
    /// SPDX expression
    #[schema(required)]
    pub license: Option<String>,
    pub keywords: Vec<String>,
    /// Category slugs (see /api/v1/categories)
    pub categories: Vec<String>,
    /// All-time downloads
    pub downloads: i64,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Counts of the matching packages per value
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Facets {
    /// Value → matching packages
    pub ecosystem: BTreeMap<String, u32>,
    /// Value → matching packages
    pub kind: BTreeMap<String, u32>,
    /// Value → matching packages
    pub category: BTreeMap<String, u32>,
    /// Value → matching packages
    pub license: BTreeMap<String, u32>,
    /// Value → matching packages
    pub keyword: BTreeMap<String, u32>,
}

/// The answer of `GET /search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchResults {
    /// Matching packages
    pub total: usize,
    /// 1-based
    pub page: usize,
    pub per_page: usize,
    pub results: Vec<PackageSummary>,
    pub facets: Facets,
    /// Whether the facet counts are exact. Beyond 10,000 matching packages they are
    /// estimated from an even sample of the matches (`total` is always exact).
    pub facets_exact: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Category {
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Public packages in it
    pub packages: u32,
}

/// The answer of `GET /categories`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Categories {
    pub categories: Vec<Category>,
}

/// Registry totals over public packages (and all accounts)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Stats)]
pub struct Totals {
    pub packages: i64,
    pub versions: i64,
    pub downloads: i64,
    pub users: i64,
}

/// A package whose downloads grew over the last 7 days
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TrendingPackage {
    #[serde(flatten)]
    pub package: PackageSummary,
    pub downloads_last_7_days: i64,
    pub downloads_previous_7_days: i64,
}

/// Public packages only
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Explore {
    pub totals: Totals,
    pub trending: Vec<TrendingPackage>,
    pub most_downloaded: Vec<PackageSummary>,
    pub recently_updated: Vec<PackageSummary>,
}
