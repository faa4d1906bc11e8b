//! Manifests: push (validated against the repository's blobs and manifests), pull by tag or
//! digest, delete, tags listing, and the referrers of a subject.

use super::{codes, names, OciAction, Reference, RepoName, MAX_MANIFEST_BYTES};
use crate::{audit, Ctx, ErrorKind, Result, ServiceError};
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use trove_core::{now_ms, Digest};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_SCHEMA1: &[&str] = &[
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/// A manifest as pulled.
#[derive(Debug, Clone)]
pub struct ManifestContent {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    /// The exact bytes pushed (absent for `HEAD`).
    pub body: Option<Bytes>,
    pub private: bool,
    /// The repository (package id) to count a pull for, when serving this GET counts as one
    /// (see [`Services::oci_get_manifest`]).
    pull: Option<i64>,
}

/// What a manifest push did.
#[derive(Debug, Clone)]
pub struct PushedManifest {
    pub digest: Digest,
    /// The subject's digest, for the `OCI-Subject` header.
    pub subject: Option<String>,
    /// The tags now pointing at it.
    pub tags: Vec<String>,
}

/// A page of tags.
#[derive(Debug, Clone)]
pub struct TagPage {
    pub tags: Vec<String>,
    /// Set when more tags follow the last one returned.
    pub more: bool,
}

/// A descriptor in the referrers index.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

fn manifest_invalid(why: impl Into<String>) -> ServiceError {
    ServiceError::bad_request(codes::MANIFEST_INVALID, why)
}

fn manifest_unknown(repo: &RepoName, reference: &str) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        codes::MANIFEST_UNKNOWN,
        format!("manifest `{reference}` is not known in `{repo}`"),
    )
}

/// What a manifest says about itself and what it references.
struct Parsed {
    media_type: String,
    artifact_type: Option<String>,
    subject: Option<String>,
    annotations: Option<String>,
    /// Blobs (config, layers) that must be in the repository, with their declared sizes.
    blobs: Vec<(String, i64)>,
    /// Manifests (children of an index) that must be in the repository, with their sizes.
    manifests: Vec<(String, i64)>,
}

/// A descriptor's digest, validated.
fn descriptor_digest(d: &Value, what: &str) -> Result<String> {
    descriptor(d, what).map(|(digest, _)| digest)
}

/// A descriptor's digest and size, validated.
fn descriptor(d: &Value, what: &str) -> Result<(String, i64)> {
    let obj = d
        .as_object()
        .ok_or_else(|| manifest_invalid(format!("{what} is not a descriptor object")))?;
    let digest = obj
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| manifest_invalid(format!("{what} has no digest")))?;
    let digest =
        Digest::parse(digest).map_err(|_| manifest_invalid(format!("{what} has an invalid digest `{digest}`")))?;
    let size = obj
        .get("size")
        .and_then(Value::as_i64)
        .filter(|n| *n >= 0)
        .ok_or_else(|| manifest_invalid(format!("{what} has no valid size")))?;
    if !obj.get("mediaType").is_some_and(Value::is_string) {
        return Err(manifest_invalid(format!("{what} has no mediaType")));
    }
    Ok((digest.to_string(), size))
}

/// Layers that live elsewhere (`urls`) need not be pushed.
fn non_distributable(d: &Value) -> bool {
    let mt = d.get("mediaType").and_then(Value::as_str).unwrap_or("");
    mt.contains("nondistributable") || mt.contains("foreign")
}

fn parse_manifest(body: &[u8], content_type: Option<&str>) -> Result<Parsed> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| manifest_invalid(format!("the manifest is not valid JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| manifest_invalid("the manifest is not a JSON object"))?;
    let declared = obj.get("mediaType").and_then(Value::as_str);
    let content_type = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim())
        .filter(|c| !c.is_empty() && *c != "application/json" && *c != "application/octet-stream");
    let media_type = match (declared, content_type) {
        (Some(d), Some(c)) if d != c => {
            return Err(manifest_invalid(format!(
                "the manifest's mediaType `{d}` differs from the Content-Type `{c}`"
            )))
        }
        (Some(d), _) => d.to_string(),
        (None, Some(c)) => c.to_string(),
        (None, None) => {
            // An OCI manifest or index may omit mediaType; tell them apart by shape.
            if obj.contains_key("manifests") {
                OCI_INDEX.to_string()
            } else {
                OCI_MANIFEST.to_string()
            }
        }
    };
    if DOCKER_SCHEMA1.contains(&media_type.as_str()) {
        return Err(ServiceError::bad_request(
            codes::MANIFEST_INVALID,
            "Docker schema 1 manifests are not supported: push schema 2 or OCI manifests",
        ));
    }
    if obj.get("schemaVersion").and_then(Value::as_i64) != Some(2) {
        return Err(manifest_invalid("schemaVersion must be 2"));
    }
    let subject = match obj.get("subject") {
        None | Some(Value::Null) => None,
        Some(s) => Some(descriptor_digest(s, "the subject")?),
    };
    let annotations = match obj.get("annotations") {
        None | Some(Value::Null) => None,
        Some(a @ Value::Object(m)) => {
            if !m.values().all(Value::is_string) {
                return Err(manifest_invalid("annotation values must be strings"));
            }
            Some(a.to_string())
        }
        Some(_) => return Err(manifest_invalid("annotations must be an object")),
    };
    let artifact_type = obj.get("artifactType").and_then(Value::as_str).map(str::to_string);
    let mut blobs = Vec::new();
    let mut manifests = Vec::new();
    let artifact_type = match media_type.as_str() {
        OCI_MANIFEST | DOCKER_MANIFEST => {
            let config = obj
                .get("config")
                .ok_or_else(|| manifest_invalid("an image manifest needs a config descriptor"))?;
            blobs.push(descriptor(config, "the config")?);
            let layers = match obj.get("layers") {
                Some(Value::Array(l)) => l.as_slice(),
                None if media_type == OCI_MANIFEST => &[],
                _ => return Err(manifest_invalid("layers must be an array of descriptors")),
            };
            for (i, l) in layers.iter().enumerate() {
                let d = descriptor(l, &format!("layer {i}"))?;
                if !non_distributable(l) {
                    blobs.push(d);
                }
            }
            // The referrers API reports the config's media type when artifactType is absent.
            artifact_type.or_else(|| config.get("mediaType").and_then(Value::as_str).map(str::to_string))
        }
        OCI_INDEX | DOCKER_LIST => {
            let list = match obj.get("manifests") {
                Some(Value::Array(l)) => l.as_slice(),
                _ => return Err(manifest_invalid("an index needs a manifests array")),
            };
            for (i, m) in list.iter().enumerate() {
                manifests.push(descriptor(m, &format!("manifest {i}"))?);
            }
            artifact_type
        }
        other => {
            return Err(manifest_invalid(format!(
                "unsupported manifest media type `{other}`: use an OCI image manifest or index, or a Docker schema 2 \
                 manifest or manifest list"
            )))
        }
    };
    Ok(Parsed {
        media_type,
        artifact_type,
        subject,
        annotations,
        blobs,
        manifests,
    })
}

impl crate::oci::Oci<'_> {
    /// Pushes a manifest under a tag or its digest, plus `extra_tags` (the `?tag=` parameters
    /// of a push by digest). Every blob and child manifest it references must already be in
    /// the repository (`MANIFEST_BLOB_UNKNOWN`); its subject need not be.
    pub async fn put_manifest(
        &self,
        ctx: &Ctx,
        repo: &RepoName,
        reference: &str,
        extra_tags: &[String],
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<PushedManifest> {
        let reference = Reference::parse(reference)?;
        if extra_tags.len() > 100 {
            return Err(manifest_invalid("at most 100 tags may be pushed at once"));
        }
        for t in extra_tags {
            if !names::tag_ok(t) {
                return Err(ServiceError::bad_request(
                    codes::TAG_INVALID,
                    format!("invalid tag `{t}`"),
                ));
            }
        }
        let mut tags: Vec<String> = extra_tags.to_vec();
        if let Reference::Tag(t) = &reference {
            tags.insert(0, t.clone());
        }
        let mut seen = std::collections::HashSet::new();
        tags.retain(|t| seen.insert(t.clone()));
        if body.len() > MAX_MANIFEST_BYTES {
            return Err(ServiceError::new(
                ErrorKind::TooLarge,
                codes::SIZE_INVALID,
                format!("manifests are limited to {MAX_MANIFEST_BYTES} bytes"),
            ));
        }
        let digest = match &reference {
            Reference::Tag(_) => Digest::sha256_of(&body),
            Reference::Digest(d) => {
                let actual = names::digest_like(d, &body);
                if &actual != d {
                    return Err(ServiceError::bad_request(
                        codes::DIGEST_INVALID,
                        format!("the manifest's digest is {actual}, not {d}"),
                    ));
                }
                actual
            }
        };
        let parsed = parse_manifest(&body, content_type)?;
        let pkg = self.repo(ctx, repo, OciAction::Push).await?;
        self.check_references(&pkg, repo, &parsed).await?;
        let size = body.len() as i64;
        let storage = Digest::sha256_of(&body);
        self.quotas()
            .check_blobs(pkg.namespace_id, &[(&storage, size as u64)])
            .await?;
        let user_id = ctx.user().map(|u| u.id);
        let refs: Vec<String> = parsed
            .blobs
            .iter()
            .chain(&parsed.manifests)
            .map(|(d, _)| d.clone())
            .collect();
        self.blobs().hold_blob(&storage).await?;
        let committed = async {
            self.blobs().store_bytes(body).await?;
            let now = now_ms();
            let mut tx = self.db.write().await?;
            // Again under the quota's lock: a concurrent push may have committed since.
            self.quotas()
                .check_blobs_locked(&mut tx, pkg.namespace_id, &[(&storage, size as u64)])
                .await?;
            trove_db::oci_manifests::insert_if_absent(
                &mut tx,
                trove_db::oci_manifests::NewManifest {
                    package_id: pkg.id,
                    digest: &digest.to_string(),
                    storage_digest: &storage.to_string(),
                    media_type: &parsed.media_type,
                    artifact_type: parsed.artifact_type.as_deref(),
                    subject: parsed.subject.as_deref(),
                    size,
                    annotations: parsed.annotations.as_deref(),
                    pushed_by: user_id,
                    refs: &refs,
                    now,
                },
            )
            .await?;
            for t in &tags {
                trove_db::oci_tags::set(&mut tx, pkg.id, t, &digest.to_string(), user_id, now).await?;
            }
            // An image (a manifest with blobs, not an index) is scanned as its layer set.
            if !parsed.blobs.is_empty() {
                crate::scans::queue_manifest(self, &mut tx, pkg.id, &digest.to_string(), now).await?;
            }
            if let Some(t) = tags.last() {
                trove_db::packages::set_latest(&mut tx, pkg.id, Some(t), now).await?;
            }
            audit::record(
                &mut tx,
                ctx,
                "oci.manifest.push",
                &format!("{repo}:{reference}"),
                Some(pkg.namespace_id),
                serde_json::json!({
                    "digest": digest.to_string(), "media_type": parsed.media_type, "size": size,
                }),
            )
            .await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(())
        }
        .await;
        self.blobs().release_blob(&storage).await;
        if committed.is_err() {
            if let Err(e) = self.blobs().reclaim_blob(&storage).await {
                tracing::warn!(error = %e, %storage, "could not remove a refused manifest; gc will");
            }
        }
        committed?;
        self.scan_wake.notify_one();
        if !tags.is_empty() {
            self.search().reindex_package(pkg.id).await;
        }
        metrics::counter!("trove_publishes_total", "ecosystem" => "oci").increment(1);
        tracing::info!(repository = %repo, %reference, %digest, "manifest pushed");
        Ok(PushedManifest {
            digest,
            subject: parsed.subject,
            tags,
        })
    }

    /// Every blob and child manifest a manifest references is in the repository, with the
    /// size the manifest declares (`MANIFEST_BLOB_UNKNOWN`, `MANIFEST_INVALID`).
    async fn check_references(
        &self,
        pkg: &trove_db::packages::Package,
        repo: &RepoName,
        parsed: &Parsed,
    ) -> Result<()> {
        let mut conn = self.db.conn().await?;
        let wrong_size = |what: &str, d: &str, actual: i64, declared: i64| {
            manifest_invalid(format!("{what} {d} is {actual} bytes but the manifest says {declared}"))
        };
        for (b, declared) in &parsed.blobs {
            let Some(blob) = trove_db::oci_blobs::find_linked(&mut conn, pkg.id, b).await? else {
                return Err(ServiceError::new(
                    ErrorKind::BadRequest,
                    codes::MANIFEST_BLOB_UNKNOWN,
                    format!("blob {b} referenced by the manifest is not in `{repo}`: push it first"),
                ));
            };
            if blob.size != *declared {
                return Err(wrong_size("blob", b, blob.size, *declared));
            }
        }
        for (m, declared) in &parsed.manifests {
            let Some(child) = trove_db::oci_manifests::find(&mut conn, pkg.id, m).await? else {
                return Err(ServiceError::new(
                    ErrorKind::BadRequest,
                    codes::MANIFEST_BLOB_UNKNOWN,
                    format!("manifest {m} referenced by the index is not in `{repo}`: push it first"),
                ));
            };
            if child.size != *declared {
                return Err(wrong_size("manifest", m, child.size, *declared));
            }
        }
        Ok(())
    }

    /// Resolves a reference to a manifest of the repository (with its bytes unless `head`).
    ///
    /// Pulls are counted as downloads of the repository, once per image pulled, the way
    /// Docker Hub counts them: a `GET` of a manifest counts, by tag or by digest, except a
    /// `GET` by digest of a manifest that an index of the repository lists (the platform
    /// manifest a client picks after fetching the index: that pull was counted at the index).
    /// `HEAD`s (update checks), refused or failed requests, revalidations answered `304` and
    /// blob fetches do not count. The front-end counts a served `GET` with
    /// [`Services::oci_count_pull`].
    pub async fn get_manifest(
        &self,
        ctx: &Ctx,
        repo: &RepoName,
        reference: &str,
        head: bool,
    ) -> Result<ManifestContent> {
        let parsed = match Reference::parse(reference) {
            Ok(r) => r,
            Err(e) if e.code == codes::TAG_INVALID => return Err(manifest_unknown(repo, reference)),
            Err(e) => return Err(e),
        };
        // A hit answers without the database, except that a private repository's entry
        // serves only callers who may read it (checked as every read is).
        let generation = self.db.content_generation();
        if let Some(hit) = self.manifest_cache.get(repo, reference, generation) {
            return self.answer_cached(ctx, repo, &hit, head, "hit").await;
        }
        // A miss: one request loads, those asking meanwhile share what it loaded.
        let flight = self.manifest_cache.flight(repo, reference, generation);
        let mut own = None;
        let shared = flight
            .get_or_init(|| async {
                metrics::counter!("trove_oci_manifest_cache_total", "result" => "miss").increment(1);
                let loaded = self
                    .load_manifest(ctx, repo, reference, &parsed, head, generation)
                    .await;
                let shared = loaded.as_ref().ok().and_then(|(_, cached)| cached.clone());
                own = Some(loaded);
                shared
            })
            .await
            .clone();
        self.manifest_cache.land(repo, reference, generation, &flight);
        if let Some(loaded) = own {
            return loaded.map(|(content, _)| content);
        }
        match shared {
            Some(m) => self.answer_cached(ctx, repo, &m, head, "shared").await,
            None => {
                metrics::counter!("trove_oci_manifest_cache_total", "result" => "miss").increment(1);
                let (content, _) = self
                    .load_manifest(ctx, repo, reference, &parsed, head, generation)
                    .await?;
                Ok(content)
            }
        }
    }

    /// Answers from a cached (or shared) manifest; a private repository's only to callers
    /// who may read it.
    async fn answer_cached(
        &self,
        ctx: &Ctx,
        repo: &RepoName,
        m: &super::manifest_cache::CachedManifest,
        head: bool,
        result: &'static str,
    ) -> Result<ManifestContent> {
        if m.pkg.is_private() {
            let mut conn = self.db.conn().await?;
            if !self.can_read(&mut conn, ctx, &m.pkg).await? {
                return Err(super::access::hidden(ctx, repo));
            }
        }
        metrics::counter!("trove_oci_manifest_cache_total", "result" => result).increment(1);
        Ok(ManifestContent {
            digest: m.digest.clone(),
            media_type: m.media_type.clone(),
            size: m.body.len() as u64,
            body: (!head).then(|| m.body.clone()),
            private: m.pkg.is_private(),
            pull: (m.counts && !head).then_some(m.pkg.id),
        })
    }

    /// Reads a manifest from the database and the store (for the caller: access checked)
    /// and caches it at `generation` when it is small enough; the cached entry is returned too.
    async fn load_manifest(
        &self,
        ctx: &Ctx,
        repo: &RepoName,
        reference: &str,
        parsed: &Reference,
        head: bool,
        generation: u64,
    ) -> Result<(
        ManifestContent,
        Option<std::sync::Arc<super::manifest_cache::CachedManifest>>,
    )> {
        let pkg = self.repo(ctx, repo, OciAction::Pull).await?;
        let mut conn = self.db.conn().await?;
        let digest = match parsed {
            Reference::Digest(d) => d.to_string(),
            Reference::Tag(t) => trove_db::oci_tags::resolve(&mut conn, pkg.id, t)
                .await?
                .ok_or_else(|| manifest_unknown(repo, reference))?,
        };
        let m = trove_db::oci_manifests::find(&mut conn, pkg.id, &digest)
            .await?
            .ok_or_else(|| manifest_unknown(repo, reference))?;
        let size = m.size.max(0) as u64;
        // Small manifests are read whole even for a HEAD, to fill the cache.
        let cacheable = size <= super::manifest_cache::MAX_BODY;
        let counts = match parsed {
            Reference::Tag(_) => true,
            Reference::Digest(_) if head && !cacheable => false,
            Reference::Digest(_) => !trove_db::oci_manifests::is_referenced(&mut conn, pkg.id, &digest).await?,
        };
        drop(conn);
        let parse = |s: &str| Digest::parse(s).map_err(|e| ServiceError::internal(e.to_string()));
        let body = if head && !cacheable {
            None
        } else {
            match self.store.get_bytes(&parse(&m.storage_digest)?).await {
                Ok(b) => Some(b),
                Err(trove_storage::StorageError::NotFound(_)) => {
                    tracing::error!(repository = %repo, digest = %m.digest, "manifest bytes missing from storage");
                    return Err(manifest_unknown(repo, reference));
                }
                Err(e) => return Err(e.into()),
            }
        };
        let digest = parse(&m.digest)?;
        let cached = match &body {
            Some(b) if cacheable => {
                let entry = std::sync::Arc::new(super::manifest_cache::CachedManifest {
                    pkg: pkg.clone(),
                    digest: digest.clone(),
                    media_type: m.media_type.clone(),
                    body: b.clone(),
                    counts,
                });
                self.manifest_cache.put(repo, reference, generation, entry.clone());
                Some(entry)
            }
            _ => None,
        };
        let content = ManifestContent {
            digest,
            media_type: m.media_type,
            size,
            body: if head { None } else { body },
            private: pkg.is_private(),
            pull: (counts && !head).then_some(pkg.id),
        };
        Ok((content, cached))
    }

    /// Counts a manifest `GET` that was answered in full as a pull of its repository, when
    /// [`Services::oci_get_manifest`] decided it is one (buffered in memory, like native
    /// downloads: no database write per request).
    pub fn count_pull(&self, m: &ManifestContent) {
        if let Some(package_id) = m.pull {
            self.downloads.record_package(package_id);
        }
    }

    /// Deletes a manifest (by digest: the manifest and its tags) or a tag (by tag: only the tag).
    pub async fn delete_manifest(&self, ctx: &Ctx, repo: &RepoName, reference: &str) -> Result<()> {
        let parsed = match Reference::parse(reference) {
            Ok(r) => r,
            Err(e) if e.code == codes::TAG_INVALID => return Err(manifest_unknown(repo, reference)),
            Err(e) => return Err(e),
        };
        let pkg = self.repo(ctx, repo, OciAction::Delete).await?;
        if !self.remove_reference(ctx, &pkg, &parsed, None).await? {
            return Err(manifest_unknown(repo, reference));
        }
        Ok(())
    }

    /// Deletes a manifest (with its tags) or a tag of a repository the caller may delete in,
    /// with its audit entry (`via`: what deleted it when not the caller directly); false when
    /// it was not there.
    pub(crate) async fn remove_reference(
        &self,
        ctx: &Ctx,
        pkg: &trove_db::packages::Package,
        parsed: &Reference,
        via: Option<&str>,
    ) -> Result<bool> {
        let repo = pkg.full_name();
        let mut tx = self.db.write().await?;
        let (found, action) = match parsed {
            Reference::Digest(d) => (
                trove_db::oci_manifests::delete(&mut tx, pkg.id, &d.to_string()).await?,
                "oci.manifest.delete",
            ),
            Reference::Tag(t) => (trove_db::oci_tags::delete(&mut tx, pkg.id, t).await?, "oci.tag.delete"),
        };
        if !found {
            return Ok(false);
        }
        let latest = trove_db::oci_tags::list_recent(&mut tx, pkg.id).await?;
        let now = now_ms();
        trove_db::packages::set_latest(&mut tx, pkg.id, latest.first().map(|t| t.tag.as_str()), now).await?;
        let details = match via {
            Some(via) => serde_json::json!({ "via": via }),
            None => serde_json::json!({}),
        };
        audit::record(
            &mut tx,
            ctx,
            action,
            &format!("{repo}:{parsed}"),
            Some(pkg.namespace_id),
            details,
        )
        .await?;
        tx.commit().await?;
        self.search().reindex_package(pkg.id).await;
        Ok(true)
    }

    /// Tags in lexical order after `last`, at most `n` (`None`: all of them).
    pub async fn list_tags(&self, ctx: &Ctx, repo: &RepoName, n: Option<usize>, last: Option<&str>) -> Result<TagPage> {
        let pkg = self.repo(ctx, repo, OciAction::Pull).await?;
        let mut conn = self.db.conn().await?;
        let limit = n.unwrap_or(usize::MAX);
        let mut tags = trove_db::oci_tags::list_names(&mut conn, pkg.id, last, limit.saturating_add(1)).await?;
        let more = tags.len() > limit;
        tags.truncate(limit);
        Ok(TagPage { tags, more })
    }

    /// Manifests whose subject is `digest` (optionally only of one artifact type).
    pub async fn referrers(
        &self,
        ctx: &Ctx,
        repo: &RepoName,
        digest: &str,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        let digest = names::parse_digest(digest)?;
        let pkg = match self.repo(ctx, repo, OciAction::Pull).await {
            Ok(p) => p,
            // A repository that does not exist (or that the caller cannot see: the answer is
            // the same) has no referrers; anonymous callers are still asked to log in.
            Err(e) if e.code == codes::NAME_UNKNOWN => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut conn = self.db.conn().await?;
        let rows = trove_db::oci_manifests::referrers(&mut conn, pkg.id, &digest.to_string(), artifact_type).await?;
        Ok(rows
            .into_iter()
            .map(|m| Descriptor {
                media_type: m.media_type,
                digest: m.digest,
                size: m.size,
                artifact_type: m.artifact_type,
                annotations: m.annotations.and_then(|a| serde_json::from_str(&a).ok()),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn parses_image_manifests() {
        let m = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.acme.config", "digest": d('a'), "size": 2},
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d('b'), "size": 3},
                {"mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar", "digest": d('c'), "size": 3},
            ],
            "subject": {"mediaType": OCI_MANIFEST, "digest": d('e'), "size": 9},
            "annotations": {"k": "v"},
        });
        let p = parse_manifest(m.to_string().as_bytes(), Some(OCI_MANIFEST)).unwrap();
        assert_eq!(p.blobs, vec![(d('a'), 2), (d('b'), 3)]);
        assert_eq!(p.artifact_type.as_deref(), Some("application/vnd.acme.config"));
        assert_eq!(p.subject, Some(d('e')));
        assert!(p.annotations.unwrap().contains("\"k\""));
    }

    #[test]
    fn refuses_bad_manifests() {
        for (body, ct) in [
            ("not json", Some(OCI_MANIFEST)),
            ("{\"schemaVersion\": 1}", Some(OCI_MANIFEST)),
            ("{\"schemaVersion\": 2, \"mediaType\": \"x/y\"}", None),
            ("{\"schemaVersion\": 2}", Some(OCI_MANIFEST)),
            ("{\"schemaVersion\": 2, \"manifests\": {}}", Some(OCI_INDEX)),
        ] {
            let e = parse_manifest(body.as_bytes(), ct)
                .err()
                .unwrap_or_else(|| panic!("accepted {body}"));
            assert_eq!(e.code, codes::MANIFEST_INVALID, "{body}");
        }
        let m = serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []});
        let e = parse_manifest(m.to_string().as_bytes(), Some(OCI_MANIFEST))
            .err()
            .unwrap();
        assert!(e.message.contains("differs"));
    }
}
