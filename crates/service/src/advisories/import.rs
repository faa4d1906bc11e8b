//! Importing public OSV records (an osv.dev ecosystem export, a clone of an advisory
//! database): upserted by id, keeping each record as published, with its own `modified`.
//! Imported advisories belong to no Trove package, are public and read-only; they match
//! packages by OSV ecosystem and name like Trove's own.

use super::{osv, ID_PREFIX};
use crate::{Result, ServiceError};
use serde::Serialize;
use serde_json::Value;
use trove_core::time::parse_rfc3339;
use trove_db::advisories::AdvisoryRow;

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Records read.
    pub read: usize,
    pub inserted: usize,
    pub updated: usize,
    /// Already stored as is, or stored with a newer `modified`.
    pub unchanged: usize,
    /// Records refused, with why (`file: reason`).
    pub skipped: Vec<String>,
}

/// Records per transaction.
const BATCH: usize = 500;

impl super::Advisories<'_> {
    /// Upserts OSV records given as `(where it came from, JSON bytes)`. An operator's action
    /// (`trove admin advisories import`): no caller to check.
    pub async fn import_osv(&self, records: Vec<(String, Vec<u8>)>) -> Result<ImportReport> {
        let mut report = ImportReport::default();
        for chunk in records.chunks(BATCH) {
            let mut tx = self.db.write().await?;
            for (origin, bytes) in chunk {
                report.read += 1;
                let doc: Value = match serde_json::from_slice(bytes) {
                    Ok(d @ Value::Object(_)) => d,
                    Ok(_) => {
                        report.skipped.push(format!("{origin}: not a JSON object"));
                        continue;
                    }
                    Err(e) => {
                        report.skipped.push(format!("{origin}: not JSON: {e}"));
                        continue;
                    }
                };
                let id = doc
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                let valid_id = !id.is_empty()
                    && id.len() <= 200
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
                if !valid_id {
                    report.skipped.push(format!("{origin}: no valid `id`"));
                    continue;
                }
                if id.starts_with(&format!("{ID_PREFIX}-")) {
                    report
                        .skipped
                        .push(format!("{origin}: `{id}`: {ID_PREFIX}- ids are this registry's own"));
                    continue;
                }
                let Some(modified) = doc.get("modified").and_then(Value::as_str).and_then(parse_rfc3339) else {
                    report
                        .skipped
                        .push(format!("{origin}: `{id}` has no valid `modified` time"));
                    continue;
                };
                let packages = osv::affected_packages(&doc);
                if packages.is_empty() {
                    report
                        .skipped
                        .push(format!("{origin}: `{id}` names no affected package"));
                    continue;
                }
                let text = doc.to_string();
                match trove_db::advisories::find(&mut tx, &id).await? {
                    Some(existing) if !existing.is_imported() => {
                        report
                            .skipped
                            .push(format!("{origin}: `{id}` is an advisory of this registry"));
                        continue;
                    }
                    Some(existing) if existing.doc == text || existing.modified_at > modified => {
                        report.unchanged += 1;
                        continue;
                    }
                    Some(_) => report.updated += 1,
                    None => report.inserted += 1,
                }
                let parsed = osv::Doc::parse(&doc);
                let summary = if parsed.summary.is_empty() {
                    parsed
                        .details
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .chars()
                        .take(200)
                        .collect()
                } else {
                    parsed.summary.chars().take(200).collect::<String>()
                };
                let malicious = id.starts_with("MAL-")
                    || parsed.database_specific.get("malicious").and_then(Value::as_bool) == Some(true);
                let created = doc
                    .get("published")
                    .and_then(Value::as_str)
                    .and_then(parse_rfc3339)
                    .unwrap_or(modified);
                let withdrawn = parsed.withdrawn.as_deref().and_then(parse_rfc3339);
                trove_db::advisories::upsert(
                    &mut tx,
                    AdvisoryRow {
                        id: &id,
                        source: "imported",
                        state: "published",
                        package_id: None,
                        namespace_id: None,
                        reporter_id: None,
                        summary: &summary,
                        malicious,
                        doc: &text,
                        created_at: created,
                        modified_at: modified,
                        withdrawn_at: withdrawn,
                        packages: &packages,
                    },
                )
                .await
                .map_err(|e| ServiceError::from(e))?;
            }
            tx.commit().await?;
        }
        Ok(report)
    }
}
