//! What the web UI shows of an image tag, as Docker Hub and Harbor do: an index's platforms
//! (each with its size), an image's layers and total size, its config's labels, OS and
//! architecture, the manifest's annotations, and the artifacts that refer to it (signatures,
//! SBOMs, attestations). Read with the access rules of every read: a repository the caller
//! may not see is missing.

use super::ECOSYSTEM;
use crate::{Ctx, Result, ServiceError};
use serde_json::Value;
use std::collections::BTreeMap;
use trove_core::Digest;
use trove_db::Conn;

/// Largest image config read for its labels.
const MAX_CONFIG_BYTES: i64 = 1 << 20;
/// Most platforms of an index looked into.
const MAX_PLATFORMS: usize = 64;

/// A tag's image.
#[derive(Debug, Clone)]
pub struct ImageDetails {
    pub tag: String,
    pub digest: String,
    pub media_type: String,
    /// The manifest's own size.
    pub manifest_size: i64,
    /// The platforms of an index (empty for a single image).
    pub platforms: Vec<PlatformImage>,
    /// A single image's details (`None` for an index).
    pub image: Option<ImageInfo>,
    pub annotations: BTreeMap<String, String>,
    pub referrers: Vec<Referrer>,
}

/// One platform of an index.
#[derive(Debug, Clone)]
pub struct PlatformImage {
    /// `linux/amd64`, `linux/arm64/v8`, or `unknown`.
    pub platform: String,
    pub digest: String,
    /// Config and layers, compressed, when the platform's manifest is in the repository.
    pub total_size: Option<u64>,
    pub layers: usize,
    /// An attestation manifest (BuildKit's `unknown/unknown` entries).
    pub attestation: bool,
}

/// A single image.
#[derive(Debug, Clone)]
pub struct ImageInfo {
    pub config_digest: String,
    pub config_media_type: String,
    pub layers: Vec<Layer>,
    /// Config and layers, as pulled (compressed).
    pub total_size: u64,
    /// `os/architecture[/variant]` from the config.
    pub platform: Option<String>,
    pub created: Option<String>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Layer {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
}

/// A manifest whose subject is the tag's manifest.
#[derive(Debug, Clone)]
pub struct Referrer {
    pub digest: String,
    pub media_type: String,
    pub artifact_type: Option<String>,
    pub size: i64,
    pub annotations: BTreeMap<String, String>,
}

/// The string values of a JSON object.
fn strings(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn platform_of(v: &Value) -> Option<String> {
    let os = v.get("os")?.as_str()?;
    let arch = v.get("architecture")?.as_str()?;
    Some(match v.get("variant").and_then(Value::as_str) {
        Some(var) => format!("{os}/{arch}/{var}"),
        None => format!("{os}/{arch}"),
    })
}

fn size_of(v: &Value) -> u64 {
    v.get("size").and_then(Value::as_u64).unwrap_or(0)
}

impl crate::oci::Oci<'_> {
    /// The image a tag points at; 404 when the repository is missing or hidden from the
    /// caller, or has no such tag.
    pub async fn image_details(&self, ctx: &Ctx, scope: &str, name: &str, tag: &str) -> Result<ImageDetails> {
        let mut conn = self.db.conn().await?;
        let pkg = self.visible_package(&mut conn, ctx, ECOSYSTEM, scope, name).await?;
        let missing = || ServiceError::not_found(format!("`{}` has no tag `{tag}`", pkg.full_name()));
        let digest = trove_db::oci_tags::resolve(&mut conn, pkg.id, tag)
            .await?
            .ok_or_else(missing)?;
        let (m, manifest) = self
            .manifest_json(&mut conn, pkg.id, &digest)
            .await?
            .ok_or_else(missing)?;
        let mut platforms = Vec::new();
        let mut image = None;
        if let Some(children) = manifest.get("manifests").and_then(Value::as_array) {
            for child in children.iter().take(MAX_PLATFORMS) {
                let Some(d) = child.get("digest").and_then(Value::as_str) else {
                    continue;
                };
                let annotations = strings(child.get("annotations"));
                let attestation = annotations.contains_key("vnd.docker.reference.type");
                let inner = self.manifest_json(&mut conn, pkg.id, d).await?;
                let (total_size, layers) = match &inner {
                    Some((_, j)) => {
                        let layers = j.get("layers").and_then(Value::as_array);
                        let total = layers.map(|l| l.iter().map(size_of).sum::<u64>()).unwrap_or(0)
                            + j.get("config").map(size_of).unwrap_or(0);
                        (Some(total), layers.map_or(0, Vec::len))
                    }
                    None => (None, 0),
                };
                platforms.push(PlatformImage {
                    platform: child
                        .get("platform")
                        .and_then(platform_of)
                        .unwrap_or_else(|| "unknown".into()),
                    digest: d.to_string(),
                    total_size,
                    layers,
                    attestation,
                });
            }
        } else {
            let config = manifest.get("config");
            let layers: Vec<Layer> = manifest
                .get("layers")
                .and_then(Value::as_array)
                .map(|ls| {
                    ls.iter()
                        .map(|l| Layer {
                            digest: l.get("digest").and_then(Value::as_str).unwrap_or_default().to_string(),
                            media_type: l
                                .get("mediaType")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            size: size_of(l),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let config_digest = config
                .and_then(|c| c.get("digest"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let config_size = config.map(size_of).unwrap_or(0);
            let config_json = if config_size as i64 <= MAX_CONFIG_BYTES {
                self.blob_json(&mut conn, pkg.id, &config_digest).await?
            } else {
                None
            };
            let cfg = config_json.as_ref();
            image = Some(ImageInfo {
                config_media_type: config
                    .and_then(|c| c.get("mediaType"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                total_size: layers.iter().map(|l| l.size).sum::<u64>() + config_size,
                layers,
                config_digest,
                platform: cfg.and_then(platform_of),
                created: cfg
                    .and_then(|c| c.get("created"))
                    .and_then(Value::as_str)
                    .map(String::from),
                labels: strings(cfg.and_then(|c| c.get("config")).and_then(|c| c.get("Labels"))),
            });
        }
        let referrers = trove_db::oci_manifests::referrers(&mut conn, pkg.id, &digest, None)
            .await?
            .into_iter()
            .map(|r| Referrer {
                digest: r.digest,
                media_type: r.media_type,
                artifact_type: r.artifact_type,
                size: r.size,
                annotations: r
                    .annotations
                    .and_then(|a| serde_json::from_str::<Value>(&a).ok())
                    .map(|a| strings(Some(&a)))
                    .unwrap_or_default(),
            })
            .collect();
        Ok(ImageDetails {
            tag: tag.to_string(),
            digest,
            media_type: m.media_type,
            manifest_size: m.size,
            platforms,
            image,
            annotations: strings(manifest.get("annotations")),
            referrers,
        })
    }

    /// A manifest of the repository and its JSON.
    async fn manifest_json(
        &self,
        conn: &mut Conn,
        package_id: i64,
        digest: &str,
    ) -> Result<Option<(trove_db::oci_manifests::OciManifest, Value)>> {
        let Some(m) = trove_db::oci_manifests::find(conn, package_id, digest).await? else {
            return Ok(None);
        };
        let Ok(storage) = Digest::parse(&m.storage_digest) else {
            return Ok(None);
        };
        let json = match self.store.get_bytes(&storage).await {
            Ok(b) => serde_json::from_slice(&b).unwrap_or(Value::Null),
            Err(trove_storage::StorageError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(Some((m, json)))
    }

    /// A blob of the repository read as JSON (an image config).
    async fn blob_json(&self, conn: &mut Conn, package_id: i64, digest: &str) -> Result<Option<Value>> {
        let Some(b) = trove_db::oci_blobs::find_linked(conn, package_id, digest).await? else {
            return Ok(None);
        };
        let Ok(storage) = Digest::parse(&b.storage_digest) else {
            return Ok(None);
        };
        match self.store.get_bytes(&storage).await {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
            Err(trove_storage::StorageError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
