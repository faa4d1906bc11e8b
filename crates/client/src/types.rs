//! What the API sends and receives: the wire types of `trove-wire`, the same the server
//! builds (re-exported here), and the parameters of `GET /search`.

use serde::{Deserialize, Serialize};

pub use trove_wire::{
    Auth, Categories, Category, DailyCount, Delivery, DeliveryAttempt, DeliveryQueued, DeviceCode, DeviceCodeRequest,
    DeviceDecision, DeviceGrant, DeviceTokenRequest, Explore, Facets, Me, Member, MemberRole, Membership, NewOrg,
    NewToken, NewWebhook, Org, Owner, OwnerRoleRequest, Package, PackageStats, PackageSummary, QuotaUpdate,
    RetentionItem, RetentionPolicy, RetentionReport, RetentionRules, SearchResults, StorageUsage, Token, TokenCreated,
    Totals, TrendingPackage, User, UserCode, Version, VersionDownloads, VersionStats, Webhook, WebhookCreated,
};

/// Parameters of `GET /search`; unset ones are left out of the query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SearchQuery {
    pub q: String,
    pub ecosystem: Option<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub license: Option<String>,
    pub keyword: Option<String>,
    /// `relevance`, `downloads`, `recent` or `name`.
    pub sort: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl SearchQuery {
    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("q", self.q.clone())];
        let opt = [
            ("ecosystem", &self.ecosystem),
            ("kind", &self.kind),
            ("category", &self.category),
            ("license", &self.license),
            ("keyword", &self.keyword),
            ("sort", &self.sort),
        ];
        out.extend(opt.into_iter().filter_map(|(k, v)| v.clone().map(|v| (k, v))));
        out.extend(self.page.map(|p| ("page", p.to_string())));
        out.extend(self.per_page.map(|p| ("per_page", p.to_string())));
        out
    }
}
