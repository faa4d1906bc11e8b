//! Security advisories: the lifecycle with its permissions (native API), the OSV API against
//! osv.dev's shapes and the official OSV schema, privacy, importing an OSV dump with the real
//! `trove admin advisories import`, and real `npm audit` / `pnpm audit`.

mod import;
mod lifecycle;
mod npm;
mod osv_api;
mod web;

use serde_json::{json, Value};
use std::path::PathBuf;

/// The vendored OSV test data (`crates/trove/tests/data/osv`).
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/osv")
}

/// A validator of the official OSV schema. The schema lists the id prefixes and ecosystems
/// osv.dev aggregates; Trove's own (`TROVE-` ids, the `Trove` ecosystem of native packages)
/// are added to those two patterns, everything else is checked as written.
pub fn osv_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(data_dir().join("schema.json")).expect("vendored schema");
    let mut schema: Value = serde_json::from_str(&text).expect("schema JSON");
    let prefix = schema["$defs"]["prefix"]["pattern"].as_str().unwrap().to_string();
    assert!(prefix.starts_with("^(x_|("), "the prefix pattern changed: {prefix}");
    schema["$defs"]["prefix"]["pattern"] = json!(prefix.replacen("^(x_|(", "^(x_|(TROVE|", 1));
    let eco = schema["$defs"]["ecosystemWithSuffix"]["pattern"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(eco.starts_with("^("), "the ecosystem pattern changed: {eco}");
    schema["$defs"]["ecosystemWithSuffix"]["pattern"] = json!(eco.replacen("^(", "^(Trove|", 1));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the OSV schema compiles")
}

/// Asserts an OSV document is valid against the official schema.
pub fn assert_valid_osv(v: &jsonschema::Validator, doc: &Value) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid OSV document {doc:#}: {errors:?}");
}

/// A new advisory of `alice/pad`-like native packages.
pub fn new_advisory(package: &str, fixed: &str) -> Value {
    json!({
        "ecosystem": "native",
        "package": package,
        "summary": format!("Prototype pollution in {package}"),
        "details": "Padding with a crafted string sets `Object.prototype` members.\n\n<script>alert(1)</script>",
        "aliases": ["CVE-2099-1234", "GHSA-2345-6789-cfgh"],
        "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
        "affected": [{ "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "0" }, { "fixed": fixed }] }] }],
        "references": [{ "type": "FIX", "url": "https://example.com/pad/commit/1" }],
        "credits": [{ "name": "Eve Finder", "type": "FINDER" }],
        "cwe_ids": ["CWE-1321"]
    })
}
