//! Packuments: the full document (`application/json`) and the abbreviated one npm installs
//! from (`application/vnd.npm.install-v1+json`), rendered once per package state and kept in
//! a per-node cache for public packages (the hottest read; see
//! `trove_service::package_cache::GenerationCache` for when entries are used).

use bytes::Bytes;
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};
use std::sync::{Arc, OnceLock};
use trove_core::time::rfc3339;
use trove_service::npm::{NpmPackage, NpmVersion};
use trove_service::package_cache::GenerationCache;

/// Content type of the abbreviated packument.
pub const ABBREVIATED: &str = "application/vnd.npm.install-v1+json";

/// Version-document keys the abbreviated packument keeps (besides `dist` and `deprecated`):
/// what installing needs.
const INSTALL_KEYS: &[&str] = &[
    "name",
    "version",
    "dependencies",
    "optionalDependencies",
    "devDependencies",
    "bundleDependencies",
    "bundledDependencies",
    "peerDependencies",
    "peerDependenciesMeta",
    "acceptDependencies",
    "bin",
    "directories",
    "engines",
    "os",
    "cpu",
    "libc",
    "funding",
    "_hasShrinkwrap",
    "hasInstallScript",
];

/// Top-level keys of the full packument copied from the latest version's document.
const LATEST_KEYS: &[&str] = &[
    "description",
    "license",
    "repository",
    "keywords",
    "homepage",
    "bugs",
    "author",
];

/// Rendered packuments of public packages by (registry URL, scope, name).
pub(crate) type PackumentCache = GenerationCache<(String, String, String), Arc<Packument>>;

/// One representation: its bytes and entity tag.
pub struct Doc {
    pub bytes: Bytes,
    pub etag: String,
}

impl Doc {
    fn of(v: &Value) -> Doc {
        let bytes = Bytes::from(serde_json::to_vec(v).expect("JSON values serialize"));
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&bytes))[..32]);
        Doc { bytes, etag }
    }
}

/// A package's packuments, each rendered when first asked for.
pub struct Packument {
    pub package: NpmPackage,
    /// `…/npm`, the base of tarball URLs.
    registry: String,
    /// The name npm knows it by.
    npm_name: String,
    full: OnceLock<Doc>,
    abbreviated: OnceLock<Doc>,
}

impl Packument {
    pub fn new(package: NpmPackage, registry: String, npm_name: String) -> Packument {
        Packument {
            package,
            registry,
            npm_name,
            full: OnceLock::new(),
            abbreviated: OnceLock::new(),
        }
    }

    pub fn is_private(&self) -> bool {
        self.package.package.is_private()
    }

    pub fn full(&self) -> &Doc {
        self.full.get_or_init(|| Doc::of(&self.full_value()))
    }

    pub fn abbreviated(&self) -> &Doc {
        self.abbreviated.get_or_init(|| Doc::of(&self.abbreviated_value()))
    }

    /// The full document of one version.
    pub fn version_value(&self, v: &NpmVersion) -> Value {
        let mut doc = v.document.clone();
        self.add_dist(&mut doc, v);
        Value::Object(doc)
    }

    fn add_dist(&self, doc: &mut Map<String, Value>, v: &NpmVersion) {
        let t = &v.tarball;
        let mut dist = json!({
            "tarball": format!("{}/{}/-/{}", self.registry, self.npm_name, t.file_name),
            "shasum": t.shasum,
            "integrity": t.integrity,
        });
        if let Some(n) = t.file_count {
            dist["fileCount"] = n.into();
        }
        if let Some(n) = t.unpacked_size {
            dist["unpackedSize"] = n.into();
        }
        doc.insert("dist".into(), dist);
        if let Some(d) = &v.deprecated {
            doc.insert("deprecated".into(), Value::String(d.clone()));
        }
    }

    fn dist_tags(&self) -> Value {
        let tags: Map<String, Value> = self
            .package
            .dist_tags
            .iter()
            .map(|(t, v)| (t.clone(), Value::String(v.clone())))
            .collect();
        Value::Object(tags)
    }

    fn time(&self) -> Value {
        let p = &self.package;
        let mut time = Map::new();
        time.insert("created".into(), rfc3339(p.package.created_at).into());
        time.insert("modified".into(), rfc3339(p.modified).into());
        for v in &p.versions {
            time.insert(v.version.clone(), rfc3339(v.published_at).into());
        }
        Value::Object(time)
    }

    fn full_value(&self) -> Value {
        let p = &self.package;
        let versions: Map<String, Value> = p
            .versions
            .iter()
            .map(|v| (v.version.clone(), self.version_value(v)))
            .collect();
        let maintainers: Vec<Value> = p
            .maintainers
            .iter()
            .map(|m| json!({ "name": m, "email": "" }))
            .collect();
        let mut doc = json!({
            "_id": self.npm_name,
            "_rev": p.rev,
            "name": self.npm_name,
            "dist-tags": self.dist_tags(),
            "versions": versions,
            "time": self.time(),
            "maintainers": maintainers,
            "readme": p.package.readme.clone().unwrap_or_default(),
        });
        if let Some(latest) = p.latest() {
            for key in LATEST_KEYS {
                if let Some(v) = latest.document.get(*key) {
                    doc[*key] = v.clone();
                }
            }
        }
        doc
    }

    fn abbreviated_value(&self) -> Value {
        let p = &self.package;
        let versions: Map<String, Value> = p
            .versions
            .iter()
            .map(|v| {
                let mut doc: Map<String, Value> = INSTALL_KEYS
                    .iter()
                    .filter_map(|k| v.document.get(*k).map(|x| (k.to_string(), x.clone())))
                    .collect();
                self.add_dist(&mut doc, v);
                (v.version.clone(), Value::Object(doc))
            })
            .collect();
        json!({
            "name": self.npm_name,
            "modified": rfc3339(p.modified),
            "dist-tags": self.dist_tags(),
            "versions": versions,
            "time": self.time(),
        })
    }
}

/// Whether the client asks for the abbreviated packument (npm, pnpm and yarn send
/// `application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*`).
pub fn wants_abbreviated(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|part| {
            let mut params = part.split(';').map(str::trim);
            params.next().is_some_and(|m| m.eq_ignore_ascii_case(ABBREVIATED))
                && !params.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()) == Some(0.0))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept() {
        assert!(wants_abbreviated(Some(
            "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
        )));
        assert!(wants_abbreviated(Some("application/vnd.npm.install-v1+json")));
        assert!(!wants_abbreviated(Some("application/json")));
        assert!(!wants_abbreviated(Some("application/vnd.npm.install-v1+json;q=0")));
        assert!(!wants_abbreviated(None));
    }
}
