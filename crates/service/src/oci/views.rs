//! OCI repositories in the native API: they are packages of ecosystem `oci`, and their tags
//! are shown as the package's versions (version = tag, digest = the manifest's digest,
//! manifest = the manifest JSON, download URL = the `/v2` manifest URL).

use crate::views::VersionView;
use crate::Result;
use trove_core::time::rfc3339;
use trove_db::packages::Package;
use trove_db::Conn;

impl crate::oci::Oci<'_> {
    /// An OCI repository's tags as versions, most recently pushed first.
    pub async fn tag_versions(&self, conn: &mut Conn, pkg: &Package) -> Result<Vec<VersionView>> {
        let full = pkg.full_name();
        let scans: std::collections::HashMap<String, trove_db::scans::Scan> =
            trove_db::scans::for_package(conn, pkg.id)
                .await?
                .into_iter()
                .filter_map(|s| Some((s.manifest_digest.clone()?, s)))
                .collect();
        let mut out = Vec::new();
        for t in trove_db::oci_tags::list_recent(conn, pkg.id).await? {
            let m = trove_db::oci_manifests::find(conn, pkg.id, &t.digest).await?;
            let manifest = match &m {
                Some(m) => match trove_core::Digest::parse(&m.storage_digest) {
                    Ok(d) => self
                        .store
                        .get_bytes(&d)
                        .await
                        .ok()
                        .and_then(|b| serde_json::from_slice(&b).ok())
                        .unwrap_or_default(),
                    Err(_) => serde_json::Value::Null,
                },
                None => serde_json::Value::Null,
            };
            let scan = scans
                .get(t.digest.as_str())
                .map(|s| crate::scans::scan_view(s, false, false));
            out.push(VersionView {
                download_url: format!("/v2/{full}/manifests/{}", t.tag),
                package: full.clone(),
                version: t.tag,
                digest: t.digest,
                size: m.as_ref().map(|m| m.size).unwrap_or(0),
                dependencies: Default::default(),
                yanked: false,
                yanked_at: None,
                yank_reason: None,
                deprecated: None,
                publisher: t.pusher,
                downloads: 0,
                created_at: rfc3339(t.updated_at),
                manifest,
                scan,
            });
        }
        Ok(out)
    }
}
