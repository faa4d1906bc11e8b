//! `npm publish`: the tarball was decoded from the body and staged by the front-end; here it
//! is checked (archive rules, npm's digests, package.json against the version published),
//! and stored like every other release.

use super::tarball::{self, NpmTarball};
use crate::packages::{NewRelease, NewReleaseFile, ReleaseMeta};
use crate::{Ctx, Result, ServiceError};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use trove_core::version::EcoVersion;
use trove_core::{FileKind, PackageKind, TokenScope, Visibility};
use trove_storage::StagedBlob;
use trove_tarball::Format as _;

/// A publish as the npm front-end read it from the body.
pub struct NpmPublish {
    pub scope: String,
    pub name: String,
    /// The npm name (`@scope/name`, or an unscoped name): what package.json must say.
    pub npm_name: String,
    pub version: String,
    /// The version document of the body (`versions[version]`): package.json as the client
    /// normalized it, with `dist` naming the digests the client computed.
    pub document: Map<String, Value>,
    /// The body's top-level `readme`, shown when the tarball has no README.
    pub readme: Option<String>,
    /// Dist-tags the body points at this version.
    pub tags: Vec<String>,
    /// For a new package (`access: restricted` → private).
    pub visibility: Option<Visibility>,
    /// The dependencies by Trove name where they map onto one (for dependents and the web UI).
    pub dependencies: BTreeMap<String, String>,
    pub tarball: StagedBlob,
}

/// What a publish recorded.
#[derive(Debug, Clone)]
pub struct Published {
    pub full_name: String,
    pub version: String,
    pub shasum: String,
    pub integrity: String,
}

/// Most characters of a description copied onto the package (search, web UI); the version
/// document keeps the whole text.
const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Most keywords copied onto the package.
const MAX_KEYWORDS: usize = 20;

/// Version-document keys the registry decides, not the publisher: the digests (`dist`), the
/// deprecation (its own command), the README (kept apart) and who published.
const REGISTRY_KEYS: &[&str] = &[
    "dist",
    "deprecated",
    "readme",
    "_npmUser",
    "hasInstallScript",
    "_attachments",
];

impl super::Npm<'_> {
    /// Publishes a version from an npm publish body. Refused with nothing stored: a bad tag or
    /// version; a tarball that breaks the archive rules or whose package.json names another
    /// package or version; digests that differ from what the client computed; then whatever
    /// every release is refused for (names, rights, privacy, a number ever used).
    pub async fn publish(&self, ctx: &Ctx, req: NpmPublish) -> Result<Published> {
        ctx.require_scope(TokenScope::Publish)?;
        let packages = self.packages().of(super::ECOSYSTEM);
        let version = match packages.parse_version(&req.version)? {
            EcoVersion::Semver(v) => v,
            other => return Err(ServiceError::internal(format!("npm version {other} is not semver"))),
        };
        let npm_name = &req.npm_name;
        for tag in &req.tags {
            check_tag(tag)?;
        }
        check_document(&req.document, npm_name, &version)?;
        if req.tarball.size() == 0 {
            return Err(ServiceError::bad_request(
                "tarball_missing",
                "the attached tarball is empty",
            ));
        }
        let inspected = tarball::inspect(req.tarball.path_buf(), self.config.archive_limits.clone()).await?;
        check_digests(&req.document, &inspected)?;
        let pj = &inspected.archive.manifest;
        let pj_name = pj.get("name").and_then(Value::as_str).unwrap_or_default();
        if pj_name != npm_name {
            return Err(ServiceError::unprocessable(
                "manifest_mismatch",
                format!(
                    "{} in the tarball names `{pj_name}` but the publish is for `{npm_name}`",
                    NpmTarball::MANIFEST
                ),
            ));
        }
        let pj_version = pj.get("version").and_then(Value::as_str).unwrap_or_default();
        if loose_semver(pj_version).as_ref() != Some(&version) {
            return Err(ServiceError::unprocessable(
                "manifest_mismatch",
                format!(
                    "{} in the tarball has version `{pj_version}` but the publish is for {version}",
                    NpmTarball::MANIFEST
                ),
            ));
        }

        check_dependencies(&req.document, pj)?;

        let version = version.to_string();
        let mut document = req.document;
        for key in REGISTRY_KEYS {
            document.remove(*key);
        }
        let publisher = &ctx.require()?.user.username;
        document.insert("_id".into(), Value::String(format!("{npm_name}@{version}")));
        document.insert("_npmUser".into(), json!({ "name": publisher }));
        // Whether installing runs scripts is the tarball's to say, whatever the body claims.
        if has_install_script(&document) || has_install_script(pj) {
            document.insert("hasInstallScript".into(), Value::Bool(true));
        }
        let mut meta = release_meta(&document);
        meta.readme = inspected.archive.readme.clone().or(req.readme);
        let tags = if req.tags.is_empty() {
            vec![crate::packages::LATEST_TAG.to_string()]
        } else {
            req.tags
        };
        let release = NewRelease {
            files: vec![NewReleaseFile {
                filename: super::tarball_file_name(&req.name, &version),
                kind: FileKind::Tarball,
                blob: req.tarball,
                metadata: json!({
                    "shasum": inspected.shasum,
                    "integrity": inspected.integrity,
                    "fileCount": inspected.archive.files,
                    "unpackedSize": inspected.archive.unpacked_bytes,
                }),
            }],
            scope: req.scope,
            name: req.name,
            version,
            kind: PackageKind::Library,
            visibility: req.visibility,
            manifest: Value::Object(document),
            dependencies: serde_json::to_value(&req.dependencies).map_err(|e| ServiceError::internal(e.to_string()))?,
            meta,
            add_files: false,
        };
        let v = packages.publish_release_tagged(ctx, release, &tags).await?;
        Ok(Published {
            full_name: v.package,
            version: v.version,
            shasum: inspected.shasum,
            integrity: inspected.integrity,
        })
    }
}

/// A dist-tag name: 1 to 64 letters, digits, `-`, `_`, `.`, starting with a letter, and not
/// something npm would read as a version range (`1.x`, `v2`).
pub(crate) fn check_tag(tag: &str) -> Result<()> {
    let ok = !tag.is_empty()
        && tag.len() <= 64
        && tag.starts_with(|c: char| c.is_ascii_alphabetic())
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && semver::VersionReq::parse(tag.trim_start_matches(['v', 'V'])).is_err();
    if ok {
        Ok(())
    } else {
        Err(ServiceError::bad_request(
            "invalid_tag",
            format!(
                "`{tag}` is not a valid dist-tag: use 1 to 64 letters, digits, `-`, `_` or `.`, \
                 starting with a letter, that do not read as a version range"
            ),
        ))
    }
}

/// The version document names the package and version published.
fn check_document(doc: &Map<String, Value>, npm_name: &str, version: &semver::Version) -> Result<()> {
    let doc_name = doc.get("name").and_then(Value::as_str);
    if doc_name != Some(npm_name) {
        return Err(ServiceError::bad_request(
            "name_mismatch",
            format!(
                "the version document names `{}` but the publish is for `{npm_name}`",
                doc_name.unwrap_or_default()
            ),
        ));
    }
    let doc_version = doc.get("version").and_then(Value::as_str).unwrap_or_default();
    if loose_semver(doc_version).as_ref() != Some(version) {
        return Err(ServiceError::bad_request(
            "version_mismatch",
            format!("the version document has version `{doc_version}` but is filed under {version}"),
        ));
    }
    Ok(())
}

/// The dependency lists of the version document (what installs resolve from the packument)
/// are those of package.json in the tarball (what lands in `node_modules`), so no package
/// says one thing to resolvers and ships another ("manifest confusion"). npm's normalization
/// copies `optionalDependencies` into `dependencies`, so either form is accepted.
fn check_dependencies(doc: &Map<String, Value>, pj: &Map<String, Value>) -> Result<()> {
    fn list(v: Option<&Value>) -> BTreeMap<String, Value> {
        v.and_then(Value::as_object)
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }
    let mismatch = |key: &str, ours: &BTreeMap<String, Value>, theirs: &BTreeMap<String, Value>| {
        let differs = ours
            .iter()
            .find(|(k, v)| theirs.get(*k) != Some(*v))
            .map(|(k, v)| {
                format!(
                    "`{k}`: {v} in package.json, {} in the body",
                    theirs.get(k).unwrap_or(&Value::Null)
                )
            })
            .or_else(|| {
                theirs
                    .iter()
                    .find(|(k, _)| !ours.contains_key(*k))
                    .map(|(k, v)| format!("`{k}`: {v} in the body only"))
            })
            .unwrap_or_default();
        ServiceError::unprocessable(
            "manifest_mismatch",
            format!("the version document's {key} differ from package.json in the tarball ({differs})"),
        )
    };
    for key in ["optionalDependencies", "peerDependencies"] {
        let (ours, theirs) = (list(pj.get(key)), list(doc.get(key)));
        if ours != theirs {
            return Err(mismatch(key, &ours, &theirs));
        }
    }
    let ours = list(pj.get("dependencies"));
    let theirs = list(doc.get("dependencies"));
    let mut with_optional = ours.clone();
    with_optional.extend(list(pj.get("optionalDependencies")));
    if theirs != ours && theirs != with_optional {
        return Err(mismatch("dependencies", &ours, &theirs));
    }
    Ok(())
}

/// The digests the client sent (`dist.shasum`, `dist.integrity`) are those of the bytes
/// received.
fn check_digests(doc: &Map<String, Value>, ours: &tarball::Inspected) -> Result<()> {
    let dist = doc.get("dist");
    let mismatch = |what: &str, claimed: &str, actual: &str| {
        ServiceError::bad_request(
            "integrity_mismatch",
            format!(
                "the tarball's {what} is {actual}, not {claimed} as the version document says: the upload is corrupt"
            ),
        )
    };
    if let Some(claimed) = dist.and_then(|d| d.get("shasum")).and_then(Value::as_str) {
        if !claimed.eq_ignore_ascii_case(&ours.shasum) {
            return Err(mismatch("sha1", claimed, &ours.shasum));
        }
    }
    if let Some(claimed) = dist.and_then(|d| d.get("integrity")).and_then(Value::as_str) {
        if tarball::integrity_matches(claimed, ours) == Some(false) {
            return Err(mismatch("integrity", claimed, &ours.integrity));
        }
    }
    Ok(())
}

/// A version as npm's `semver.clean` reads it (a leading `v` or `=` and spaces ignored).
fn loose_semver(s: &str) -> Option<semver::Version> {
    semver::Version::parse(s.trim().trim_start_matches(['v', '=']).trim()).ok()
}

/// Whether installing the version runs a script (npm's `hasInstallScript`).
fn has_install_script(doc: &Map<String, Value>) -> bool {
    doc.get("scripts").and_then(Value::as_object).is_some_and(|s| {
        ["preinstall", "install", "postinstall"]
            .iter()
            .any(|k| s.contains_key(*k))
    })
}

/// What the package shows of this version while it is the latest.
pub(super) fn release_meta(doc: &Map<String, Value>) -> ReleaseMeta {
    let text = |key: &str| doc.get(key).and_then(Value::as_str).map(str::to_string);
    // `license` and `repository` may be objects in older package.json files.
    let text_or_field = |key: &str, field: &str| {
        text(key).or_else(|| {
            doc.get(key)
                .and_then(|v| v.get(field))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
    };
    ReleaseMeta {
        description: text("description").map(|d| d.chars().take(MAX_DESCRIPTION_CHARS).collect()),
        license: text_or_field("license", "type"),
        keywords: doc
            .get("keywords")
            .and_then(Value::as_array)
            .map(|k| {
                k.iter()
                    .filter_map(Value::as_str)
                    .filter(|k| !k.is_empty() && k.len() <= 50)
                    .take(MAX_KEYWORDS)
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default(),
        categories: Vec::new(),
        homepage: text("homepage"),
        repository: text_or_field("repository", "url"),
        readme: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_lists_must_match_the_tarball() {
        let doc = |v: Value| v.as_object().unwrap().clone();
        let pj = doc(
            json!({ "dependencies": { "a": "^1" }, "optionalDependencies": { "o": "2" }, "peerDependencies": { "p": "*" } }),
        );
        // As sent, and as npm normalizes it (optional ones copied into dependencies).
        let same = json!({ "dependencies": { "a": "^1" }, "optionalDependencies": { "o": "2" }, "peerDependencies": { "p": "*" } });
        check_dependencies(&doc(same), &pj).unwrap();
        let normalized = json!({ "dependencies": { "a": "^1", "o": "2" }, "optionalDependencies": { "o": "2" }, "peerDependencies": { "p": "*" } });
        check_dependencies(&doc(normalized), &pj).unwrap();
        // Another range, a hidden dependency, an extra one, a missing peer: refused, named.
        for (body, says) in [
            (
                json!({ "dependencies": { "a": "^2" }, "optionalDependencies": { "o": "2" }, "peerDependencies": { "p": "*" } }),
                "`a`",
            ),
            (
                json!({ "optionalDependencies": { "o": "2" }, "peerDependencies": { "p": "*" } }),
                "`a`",
            ),
            (
                json!({ "dependencies": { "a": "^1", "evil": "1" }, "optionalDependencies": { "o": "2" }, "peerDependencies": { "p": "*" } }),
                "`evil`",
            ),
            (
                json!({ "dependencies": { "a": "^1" }, "optionalDependencies": { "o": "2" } }),
                "peerDependencies",
            ),
        ] {
            let e = check_dependencies(&doc(body), &pj).unwrap_err();
            assert_eq!(e.code, "manifest_mismatch");
            assert!(e.message.contains(says), "{}", e.message);
        }
        // Nothing on either side is the same as empty lists.
        check_dependencies(&doc(json!({ "dependencies": {} })), &Map::new()).unwrap();
    }

    #[test]
    fn tags() {
        for ok in ["latest", "beta", "next-2", "rc.1", "canary_x"] {
            assert!(check_tag(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1.0", "1", "v2", "1.x", "-x", "a b", "a/b", "a%2f", &"x".repeat(65)] {
            assert!(check_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn meta_from_old_and_new_shapes() {
        let doc = json!({
            "description": "d", "license": {"type": "MIT"}, "keywords": ["A", "b", 3],
            "repository": {"type": "git", "url": "git+https://x/y.git"}, "homepage": "https://h",
        });
        let m = release_meta(doc.as_object().unwrap());
        assert_eq!(m.license.as_deref(), Some("MIT"));
        assert_eq!(m.keywords, ["a", "b"]);
        assert_eq!(m.repository.as_deref(), Some("git+https://x/y.git"));
        assert!(has_install_script(
            json!({"scripts": {"postinstall": "x"}}).as_object().unwrap()
        ));
        assert!(!has_install_script(
            json!({"scripts": {"test": "x"}}).as_object().unwrap()
        ));
        assert_eq!(loose_semver("v1.2.3"), semver::Version::parse("1.2.3").ok());
    }
}
