//! The registry's OSV API (`/osv/v1`, the request and response shapes of osv.dev): which
//! advisories affect a batch of package versions, and each advisory's document.

use crate::{Client, ClientError, Result};
use reqwest::Method;
use serde::{Deserialize, Serialize};

/// Most queries in one `querybatch` request.
pub const QUERYBATCH_MAX: usize = 1000;

/// An OSV package: its ecosystem (`Trove`, `npm`, `crates.io`, `PyPI`, …) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OsvPackage {
    pub ecosystem: String,
    pub name: String,
}

/// One query of a batch: a package at a version.
#[derive(Debug, Clone, Serialize)]
pub struct OsvQuery {
    pub package: OsvPackage,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct OsvBatchRequest<'a> {
    queries: &'a [OsvQuery],
}

/// The answer to a batch: one result per query, in order.
#[derive(Debug, Clone, Deserialize)]
pub struct OsvBatch {
    #[serde(default)]
    pub results: Vec<OsvBatchResult>,
}

/// The ids of the advisories affecting one query (the batch answer lists ids only).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OsvBatchResult {
    #[serde(default)]
    pub vulns: Vec<OsvVulnRef>,
    /// More ids follow: query again with this token.
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OsvVulnRef {
    pub id: String,
    #[serde(default)]
    pub modified: Option<String>,
}

impl Client {
    fn osv_url(&self, path: &str) -> String {
        format!("{}/osv/v1{path}", self.base_url())
    }

    /// `POST /osv/v1/querybatch` with at most [`QUERYBATCH_MAX`] queries.
    pub async fn osv_querybatch(&self, queries: &[OsvQuery]) -> Result<OsvBatch> {
        let url = self.osv_url("/querybatch");
        let rb = self.request(Method::POST, &url).json(&OsvBatchRequest { queries });
        let res = self.send(rb, &url).await?;
        let batch: OsvBatch = Self::decode(res, &url).await?;
        if batch.results.len() != queries.len() {
            return Err(ClientError::Protocol {
                url,
                status: 200,
                detail: format!("{} results for {} queries", batch.results.len(), queries.len()),
            });
        }
        Ok(batch)
    }

    /// `GET /osv/v1/vulns/{id}`: the advisory as an OSV document.
    pub async fn osv_vuln(&self, id: &str) -> Result<serde_json::Value> {
        let url = self.osv_url(&format!("/vulns/{}", crate::seg(id)));
        let res = self.send(self.request(Method::GET, &url), &url).await?;
        Self::decode(res, &url).await
    }
}
