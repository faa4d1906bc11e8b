//! Reading advisories: one by id, lists, OSV queries (osv.dev's `query` and `querybatch`),
//! and the per-ecosystem export. Only published advisories the caller may see are returned;
//! queries leave withdrawn ones out (they affect nothing), reads by id and the export keep them.

use super::{matching, osv, view, AdvisoryView};
use crate::{Ctx, Result, ServiceError};
use serde::Deserialize;
use serde_json::Value;
use trove_db::advisories::{Advisory, ListFilter};
use trove_db::Conn;

/// One query of osv.dev's API (`POST /v1/query`, an item of `/v1/querybatch`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OsvQuery {
    #[serde(default)]
    pub commit: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub package: Option<OsvQueryPackage>,
    #[serde(default)]
    pub page_token: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OsvQueryPackage {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub ecosystem: Option<String>,
    #[serde(default)]
    pub purl: Option<String>,
}

/// A query reduced to what is looked up: ecosystem (None: any), normalized name, version.
struct Lookup {
    ecosystem: Option<String>,
    name: String,
    version: Option<String>,
}

fn bad(message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request("invalid_query", message)
}

fn lookup(q: &OsvQuery) -> Result<Option<Lookup>> {
    let empty = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
    if !empty(&q.commit) {
        if !empty(&q.version) {
            return Err(bad("Only one of commit or version may be specified"));
        }
        // Trove's advisories have no GIT ranges: no commit is affected.
        return Ok(None);
    }
    let Some(pkg) = &q.package else {
        return Err(bad(
            "Invalid query: a package (name and ecosystem, or purl) is required",
        ));
    };
    if !empty(&pkg.purl) {
        if !empty(&pkg.name) || !empty(&pkg.ecosystem) {
            return Err(bad("name and ecosystem must not be specified with a purl"));
        }
        let purl = pkg.purl.as_deref().unwrap_or_default();
        if !purl.starts_with("pkg:") || !purl[4..].contains('/') {
            return Err(bad(format!("Invalid Package URL: `{purl}`")));
        }
        let Some((eco, name, version)) = osv::parse_purl(purl) else {
            // A package type no advisory here can name.
            return Ok(None);
        };
        if version.is_some() && !empty(&q.version) {
            return Err(bad("version specified in params and PURL query"));
        }
        return Ok(Some(Lookup {
            name: osv::normalize_name(&eco, &name),
            ecosystem: Some(eco),
            version: version.or(q.version.clone()),
        }));
    }
    let Some(name) = pkg.name.as_deref().filter(|n| !n.trim().is_empty()) else {
        return Err(bad("Invalid query: the package has no name"));
    };
    let ecosystem = pkg.ecosystem.clone().filter(|e| !e.trim().is_empty());
    Ok(Some(Lookup {
        name: ecosystem
            .as_deref()
            .map_or_else(|| name.trim().to_string(), |e| osv::normalize_name(e, name)),
        ecosystem,
        version: q.version.clone().filter(|v| !v.trim().is_empty()),
    }))
}

/// Filters of the native list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// OSV ecosystem (`npm`, `crates.io`, `PyPI`, `Trove`, or any of imported records).
    pub ecosystem: Option<String>,
    /// Text in the id or summary.
    pub q: Option<String>,
    pub limit: Option<i64>,
    /// Only advisories modified before this RFC 3339 time (the next page).
    pub before: Option<String>,
}

impl super::Advisories<'_> {
    /// An advisory by id (Trove's view with the OSV document).
    pub async fn get_advisory(&self, ctx: &Ctx, id: &str) -> Result<AdvisoryView> {
        let mut conn = self.db.conn().await?;
        let (a, pkg) = self.visible(&mut conn, ctx, id).await?;
        Ok(view(&a, pkg.as_ref()))
    }

    /// The OSV document of a published advisory (withdrawn ones included, with `withdrawn`).
    pub async fn get_osv(&self, ctx: &Ctx, id: &str) -> Result<Value> {
        let mut conn = self.db.conn().await?;
        let (a, _) = self.visible(&mut conn, ctx, id).await?;
        if !a.is_published() {
            return Err(super::not_found(id));
        }
        serde_json::from_str(&a.doc).map_err(|e| ServiceError::internal(format!("stored OSV document: {e}")))
    }

    /// Published advisories, newest modification first.
    pub async fn list_advisories(&self, ctx: &Ctx, q: ListQuery) -> Result<Vec<AdvisoryView>> {
        let limit = q.limit.unwrap_or(50).clamp(1, 200);
        let mut conn = self.db.conn().await?;
        let mut before = match &q.before {
            Some(b) => Some(trove_core::time::parse_rfc3339(b).ok_or_else(|| {
                ServiceError::bad_request("invalid_before", format!("`{b}` is not an RFC 3339 time"))
            })?),
            None => None,
        };
        let mut out = Vec::new();
        // Private packages' advisories are skipped, so a page is filled in rounds.
        for _ in 0..10 {
            let rows = trove_db::advisories::list(
                &mut conn,
                &ListFilter {
                    state: Some("published".into()),
                    ecosystem: q.ecosystem.clone(),
                    text: q.q.clone().filter(|t| !t.trim().is_empty()),
                    namespace_ids: None,
                    before_modified: before,
                    limit,
                },
            )
            .await?;
            let done = (rows.len() as i64) < limit;
            for a in rows {
                before = Some(a.modified_at);
                if out.len() as i64 >= limit {
                    break;
                }
                if self.may_see_advisory(&mut conn, ctx, &a).await? {
                    let pkg = self.advisory_package(&mut conn, &a).await?;
                    out.push(view(&a, pkg.as_ref()));
                }
            }
            if done || out.len() as i64 >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Published, not withdrawn advisories of a package that the caller may see, matched
    /// against `versions` (all of the package's advisories when `None`).
    async fn matching(
        &self,
        conn: &mut Conn,
        ctx: &Ctx,
        ecosystem: &str,
        name: &str,
        versions: Option<&[String]>,
    ) -> Result<Vec<(Advisory, Value)>> {
        let mut out = Vec::new();
        for a in trove_db::advisories::for_package(conn, ecosystem, name).await? {
            if !a.is_published() || a.withdrawn_at.is_some() || !self.may_see_advisory(conn, ctx, &a).await? {
                continue;
            }
            let doc: Value = serde_json::from_str(&a.doc).unwrap_or(Value::Null);
            let hit = match versions {
                None => true,
                Some(vs) => {
                    let parsed = osv::Doc::parse(&doc);
                    let entries: Vec<&osv::Affected> = parsed.affected_for(ecosystem, name).collect();
                    vs.iter()
                        .any(|v| entries.iter().any(|e| matching::affects(ecosystem, e, v)))
                }
            };
            if hit {
                out.push((a, doc));
            }
        }
        Ok(out)
    }

    async fn run_query(&self, conn: &mut Conn, ctx: &Ctx, q: &OsvQuery) -> Result<Vec<(Advisory, Value)>> {
        let Some(l) = lookup(q)? else {
            return Ok(Vec::new());
        };
        let ecosystems = match &l.ecosystem {
            Some(e) => vec![e.clone()],
            None => trove_db::advisories::ecosystems(conn).await?,
        };
        let versions = l.version.map(|v| vec![v]);
        let mut out: Vec<(Advisory, Value)> = Vec::new();
        for eco in ecosystems {
            let name = osv::normalize_name(&eco, &l.name);
            for hit in self.matching(conn, ctx, &eco, &name, versions.as_deref()).await? {
                if !out.iter().any(|(a, _)| a.id == hit.0.id) {
                    out.push(hit);
                }
            }
        }
        Ok(out)
    }

    /// osv.dev's `POST /v1/query`: the full OSV documents affecting the package (at the
    /// version, when given).
    pub async fn query_osv(&self, ctx: &Ctx, q: &OsvQuery) -> Result<Vec<Value>> {
        let mut conn = self.db.conn().await?;
        Ok(self
            .run_query(&mut conn, ctx, q)
            .await?
            .into_iter()
            .map(|(_, d)| d)
            .collect())
    }

    /// osv.dev's `POST /v1/querybatch`: per query, the ids and modification times of the
    /// advisories affecting it, in the order of the queries. Every query is checked first.
    pub async fn query_osv_batch(&self, ctx: &Ctx, queries: &[OsvQuery]) -> Result<Vec<Vec<(String, String)>>> {
        for (i, q) in queries.iter().enumerate() {
            lookup(q).map_err(|e| bad(format!("query {i}: {}", e.message)))?;
        }
        let mut conn = self.db.conn().await?;
        let mut out = Vec::with_capacity(queries.len());
        for q in queries {
            let hits = self.run_query(&mut conn, ctx, q).await?;
            out.push(
                hits.into_iter()
                    .map(|(a, d)| {
                        let modified = d
                            .get("modified")
                            .and_then(Value::as_str)
                            .map_or_else(|| trove_core::time::rfc3339(a.modified_at), str::to_string);
                        (a.id, modified)
                    })
                    .collect(),
            );
        }
        Ok(out)
    }

    /// The OSV documents affecting any of `versions` of a package (OSV ecosystem and name as
    /// its clients write it), for the protocol front-ends' own audit endpoints.
    pub async fn affecting(&self, ctx: &Ctx, ecosystem: &str, name: &str, versions: &[String]) -> Result<Vec<Value>> {
        let mut conn = self.db.conn().await?;
        let name = osv::normalize_name(ecosystem, name);
        Ok(self
            .matching(&mut conn, ctx, ecosystem, &name, Some(versions))
            .await?
            .into_iter()
            .map(|(_, d)| d)
            .collect())
    }

    /// Every published advisory of an OSV ecosystem the caller may see (withdrawn ones
    /// included), as `(id, OSV JSON)`, for the export.
    pub async fn export_osv(&self, ctx: &Ctx, ecosystem: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let mut conn = self.db.conn().await?;
        let mut out = Vec::new();
        for a in trove_db::advisories::in_ecosystem(&mut conn, ecosystem).await? {
            if a.is_published() && self.may_see_advisory(&mut conn, ctx, &a).await? {
                out.push((a.id, a.doc.into_bytes()));
            }
        }
        Ok(out)
    }

    /// Published, not withdrawn advisories affecting a Trove package the caller can see (at
    /// `version`, when given; 404 for a package the caller cannot see), with the affected
    /// versions of each as a range expression: the web UI's banner.
    pub async fn affecting_package(
        &self,
        ctx: &Ctx,
        ecosystem: &str,
        scope: &str,
        name: &str,
        version: Option<&str>,
    ) -> Result<Vec<(AdvisoryView, String)>> {
        let Ok(eco) = ecosystem.parse::<trove_core::Ecosystem>() else {
            return Ok(Vec::new());
        };
        let Some(osv_eco) = osv::osv_ecosystem(eco) else {
            return Ok(Vec::new());
        };
        let mut conn = self.db.conn().await?;
        let pkg = self.visible_package(&mut conn, ctx, eco.as_str(), scope, name).await?;
        let osv_name = osv::normalize_name(
            osv_eco,
            &osv::osv_name(&pkg, self.config.npm_unscoped_namespace.as_deref()),
        );
        let versions = version.map(|v| vec![v.to_string()]);
        let mut out = Vec::new();
        for (a, doc) in self
            .matching(&mut conn, ctx, osv_eco, &osv_name, versions.as_deref())
            .await?
        {
            let parsed = osv::Doc::parse(&doc);
            let entries: Vec<&osv::Affected> = parsed.affected_for(osv_eco, &osv_name).collect();
            let range = matching::npm_range(&entries);
            let owner = self.advisory_package(&mut conn, &a).await?;
            out.push((view(&a, owner.as_ref()), range));
        }
        Ok(out)
    }

    /// The OSV ecosystems that have advisories the caller may see (one whose advisories are
    /// all of private packages is not listed to those who cannot read them).
    pub async fn osv_ecosystems(&self, ctx: &Ctx) -> Result<Vec<String>> {
        let mut conn = self.db.conn().await?;
        let mut out = Vec::new();
        for eco in trove_db::advisories::ecosystems(&mut conn).await? {
            for a in trove_db::advisories::in_ecosystem(&mut conn, &eco).await? {
                if a.is_published() && self.may_see_advisory(&mut conn, ctx, &a).await? {
                    out.push(eco);
                    break;
                }
            }
        }
        Ok(out)
    }
}
