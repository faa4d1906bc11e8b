//! The `trove.toml` manifest at the root of every native package archive.
//!
//! ```toml
//! [package]
//! name = "acme/widget"          # required, `scope/name`
//! version = "1.2.3"             # required, strict semver 2.0
//! kind = "library"              # optional, default `library`
//! description = "..."           # optional, at most 1000 characters
//! license = "MIT OR Apache-2.0" # optional SPDX expression
//! keywords = ["a", "b"]         # optional, at most 5
//! categories = ["cli"]          # optional, at most 5, slugs from `categories::CATEGORIES`
//! homepage = "https://..."      # optional
//! repository = "https://..."    # optional
//! readme = "README.md"          # optional path inside the archive
//! [dependencies]
//! "acme/other" = "^1.0"
//! [metadata]                    # free table, e.g. a model card
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

use crate::{categories, name, version, PackageKind};

pub const MAX_DESCRIPTION_CHARS: usize = 1000;
pub const MAX_KEYWORDS: usize = 5;
pub const MAX_CATEGORIES: usize = 5;
const MAX_KEYWORD_CHARS: usize = 20;
const MAX_URL_LEN: usize = 2048;
const MAX_LICENSE_LEN: usize = 512;
const MAX_PATH_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub package: PackageSection,
    /// Full package name -> version requirement text (validated by [`Manifest::parse`]).
    #[serde(default)]
    pub dependencies: BTreeMap<String, String>,
    /// The free `[metadata]` table; always a JSON object (`{}` when absent).
    #[serde(default = "empty_object")]
    pub metadata: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageSection {
    pub name: String,
    pub version: String,
    #[serde(default = "default_kind")]
    pub kind: PackageKind,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub homepage: Option<String>,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub readme: Option<String>,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

fn default_kind() -> PackageKind {
    PackageKind::Library
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("trove.toml is not valid TOML: {0}")]
    Syntax(#[from] toml::de::Error),
    #[error("trove.toml `{field}`: {message}")]
    Invalid { field: String, message: String },
}

impl ManifestError {
    /// The offending field as a dotted path (`package.version`, `dependencies.acme/x`), if known.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Syntax(_) => None,
        }
    }
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> ManifestError {
    ManifestError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

fn wrong_type(field: &str, expected: &str, found: &Value) -> ManifestError {
    invalid(field, format!("expected {expected}, found {}", found.type_str()))
}

fn take_table(doc: &mut Table, key: &str) -> Result<Option<Table>, ManifestError> {
    match doc.remove(key) {
        None => Ok(None),
        Some(Value::Table(t)) => Ok(Some(t)),
        Some(v) => Err(wrong_type(key, "a table", &v)),
    }
}

fn take_str(t: &mut Table, key: &str) -> Result<Option<String>, ManifestError> {
    match t.remove(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(wrong_type(&format!("package.{key}"), "a string", &v)),
    }
}

fn take_list(t: &mut Table, key: &str) -> Result<Vec<String>, ManifestError> {
    let field = format!("package.{key}");
    match t.remove(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                v => Err(wrong_type(&field, "an array of strings", &v)),
            })
            .collect(),
        Some(v) => Err(wrong_type(&field, "an array of strings", &v)),
    }
}

impl Manifest {
    /// Parses and fully validates `trove.toml` text.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let mut doc: Table = text.parse()?;
        let mut pkg =
            take_table(&mut doc, "package")?.ok_or_else(|| invalid("package", "the [package] section is missing"))?;
        let deps = take_table(&mut doc, "dependencies")?.unwrap_or_default();
        let metadata = take_table(&mut doc, "metadata")?.unwrap_or_default();
        if let Some(key) = doc.keys().next() {
            return Err(invalid(
                key.as_str(),
                "unknown section (expected [package], [dependencies] or [metadata])",
            ));
        }

        let required =
            |v: Option<String>, key: &str| v.ok_or_else(|| invalid(format!("package.{key}"), "missing required field"));
        let package = PackageSection {
            name: required(take_str(&mut pkg, "name")?, "name")?,
            version: required(take_str(&mut pkg, "version")?, "version")?,
            kind: match take_str(&mut pkg, "kind")? {
                None => PackageKind::Library,
                Some(k) => k.parse().map_err(|e: String| invalid("package.kind", e))?,
            },
            description: take_str(&mut pkg, "description")?,
            license: take_str(&mut pkg, "license")?,
            keywords: take_list(&mut pkg, "keywords")?,
            categories: take_list(&mut pkg, "categories")?,
            homepage: take_str(&mut pkg, "homepage")?,
            repository: take_str(&mut pkg, "repository")?,
            readme: take_str(&mut pkg, "readme")?,
        };
        if let Some(key) = pkg.keys().next() {
            return Err(invalid(format!("package.{key}"), "unknown key"));
        }
        let dependencies = deps
            .into_iter()
            .map(|(dep, req)| match req {
                Value::String(r) => Ok((dep, r)),
                v => Err(wrong_type(
                    &format!("dependencies.{dep}"),
                    "a version requirement string",
                    &v,
                )),
            })
            .collect::<Result<_, _>>()?;
        let manifest = Manifest {
            package,
            dependencies,
            metadata: toml_to_json(Value::Table(metadata))?,
        };
        manifest.validate()?;
        Ok(manifest)
    }

    /// Checks every rule `parse` enforces; useful for manifests built or deserialized by hand.
    pub fn validate(&self) -> Result<(), ManifestError> {
        let p = &self.package;
        name::parse_full(&p.name).map_err(|e| invalid("package.name", e.to_string()))?;
        version::parse_version(&p.version).map_err(|e| invalid("package.version", e))?;
        if let Some(d) = &p.description {
            if d.chars().count() > MAX_DESCRIPTION_CHARS {
                return Err(invalid(
                    "package.description",
                    format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
                ));
            }
            if d.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
                return Err(invalid(
                    "package.description",
                    "must not contain control characters other than tabs and line breaks",
                ));
            }
        }
        if let Some(l) = &p.license {
            validate_license(l).map_err(|e| invalid("package.license", e))?;
        }
        check_list("package.keywords", &p.keywords, MAX_KEYWORDS, check_keyword)?;
        check_list("package.categories", &p.categories, MAX_CATEGORIES, |c| {
            if categories::is_category(c) {
                return Ok(());
            }
            let known: Vec<_> = categories::CATEGORIES.iter().map(|c| c.slug).collect();
            Err(format!("`{c}` is not a known category (one of: {})", known.join(", ")))
        })?;
        for (field, url) in [("package.homepage", &p.homepage), ("package.repository", &p.repository)] {
            if let Some(u) = url {
                check_url(u).map_err(|e| invalid(field, e))?;
            }
        }
        if let Some(r) = &p.readme {
            check_relative_path(r).map_err(|e| invalid("package.readme", e))?;
        }

        let own = name::normalize(&p.name);
        let mut seen = BTreeSet::new();
        for (dep, req) in &self.dependencies {
            let field = format!("dependencies.{dep}");
            name::parse_full(dep).map_err(|e| invalid(&field, e.to_string()))?;
            semver::VersionReq::parse(req)
                .map_err(|e| invalid(&field, format!("`{req}` is not a valid version requirement: {e}")))?;
            let norm = name::normalize(dep);
            if norm == own {
                return Err(invalid(field, "a package cannot depend on itself"));
            }
            if !seen.insert(norm) {
                return Err(invalid(field, "listed twice under equivalent names"));
            }
        }
        if !self.metadata.is_object() {
            return Err(invalid("metadata", "must be a table"));
        }
        Ok(())
    }

    /// The scope part of `package.name`.
    pub fn scope(&self) -> &str {
        self.package.name.split_once('/').map_or("", |(s, _)| s)
    }

    /// The name part of `package.name` (without the scope).
    pub fn name(&self) -> &str {
        self.package.name.split_once('/').map_or(&self.package.name, |(_, n)| n)
    }

    /// The package version. Validated by `parse`; a hand-built manifest with an invalid version
    /// yields `0.0.0` instead of panicking.
    pub fn version(&self) -> semver::Version {
        semver::Version::parse(&self.package.version).unwrap_or(semver::Version::new(0, 0, 0))
    }

    /// Renders the manifest as `trove.toml` text that `parse` reads back to an equal value.
    pub fn to_toml(&self) -> String {
        let p = &self.package;
        let s = |v: &str| Value::String(v.to_string());
        let list = |v: &[String]| Value::Array(v.iter().map(|x| s(x)).collect());
        let mut fields = vec![
            ("name", s(&p.name)),
            ("version", s(&p.version)),
            ("kind", s(p.kind.as_str())),
        ];
        let optional = [
            ("description", &p.description),
            ("license", &p.license),
            ("homepage", &p.homepage),
            ("repository", &p.repository),
            ("readme", &p.readme),
        ];
        fields.extend(
            optional
                .into_iter()
                .filter_map(|(k, v)| v.as_deref().map(|v| (k, s(v)))),
        );
        for (k, v) in [("keywords", &p.keywords), ("categories", &p.categories)] {
            if !v.is_empty() {
                fields.push((k, list(v)));
            }
        }
        let mut out = String::from("[package]\n");
        for (k, v) in fields {
            out += &format!("{k} = {v}\n");
        }

        let mut rest = Table::new();
        if !self.dependencies.is_empty() {
            let deps = self.dependencies.iter().map(|(k, v)| (k.clone(), s(v))).collect();
            rest.insert("dependencies".into(), Value::Table(deps));
        }
        if let Some(Value::Table(meta)) = json_to_toml(&self.metadata) {
            if !meta.is_empty() {
                rest.insert("metadata".into(), Value::Table(meta));
            }
        }
        if !rest.is_empty() {
            // Serializing a plain table of strings, numbers, booleans, arrays and tables cannot fail.
            out += "\n";
            out += &toml::to_string(&rest).unwrap_or_default();
        }
        out
    }
}

fn check_list(
    field: &str,
    items: &[String],
    max: usize,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<(), ManifestError> {
    if items.len() > max {
        return Err(invalid(field, format!("at most {max} entries are allowed")));
    }
    let mut seen = BTreeSet::new();
    for item in items {
        check(item).map_err(|e| invalid(field, e))?;
        if !seen.insert(item) {
            return Err(invalid(field, format!("`{item}` is listed twice")));
        }
    }
    Ok(())
}

fn check_keyword(k: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    let starts_alnum = k.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    if k.len() <= MAX_KEYWORD_CHARS && starts_alnum && k.chars().all(ok_char) {
        Ok(())
    } else {
        Err(format!(
            "keyword `{k}` must be 1-{MAX_KEYWORD_CHARS} characters of [a-z0-9-_] starting with a letter or digit"
        ))
    }
}

fn check_url(u: &str) -> Result<(), String> {
    let rest = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://"));
    match rest {
        None => Err(format!("`{u}` must start with http:// or https://")),
        Some(r) if r.is_empty() || r.starts_with('/') => Err(format!("`{u}` has no host")),
        Some(_) if u.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Err("URLs must not contain whitespace or control characters".into())
        }
        Some(_) if u.len() > MAX_URL_LEN => Err(format!("URLs must be at most {MAX_URL_LEN} bytes")),
        Some(_) => Ok(()),
    }
}

/// A relative path to a file inside the archive: no absolute paths, `..`, backslashes or controls.
fn check_relative_path(p: &str) -> Result<(), String> {
    if p.len() > MAX_PATH_LEN {
        return Err(format!("paths must be at most {MAX_PATH_LEN} bytes"));
    }
    if p.starts_with('/') || p.contains('\\') || p.chars().any(char::is_control) {
        return Err(format!("`{p}` must be a relative path using `/` separators"));
    }
    if p.split('/').any(|c| c == "..") {
        return Err(format!("`{p}` must not contain `..`"));
    }
    if p.ends_with('/') || p.split('/').all(|c| c.is_empty() || c == ".") {
        return Err(format!("`{p}` does not name a file"));
    }
    Ok(())
}

fn toml_to_json(v: Value) -> Result<serde_json::Value, ManifestError> {
    use serde_json::Value as J;
    Ok(match v {
        Value::String(s) => J::String(s),
        Value::Integer(i) => J::from(i),
        Value::Float(f) => serde_json::Number::from_f64(f)
            .map(J::Number)
            .ok_or_else(|| invalid("metadata", "nan and inf are not allowed"))?,
        Value::Boolean(b) => J::Bool(b),
        Value::Datetime(d) => J::String(d.to_string()),
        Value::Array(a) => J::Array(a.into_iter().map(toml_to_json).collect::<Result<_, _>>()?),
        Value::Table(t) => J::Object(
            t.into_iter()
                .map(|(k, v)| Ok((k, toml_to_json(v)?)))
                .collect::<Result<_, ManifestError>>()?,
        ),
    })
}

/// JSON -> TOML for `[metadata]`; `null`s (which TOML cannot express) are dropped.
fn json_to_toml(v: &serde_json::Value) -> Option<Value> {
    use serde_json::Value as J;
    Some(match v {
        J::Null => return None,
        J::Bool(b) => Value::Boolean(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Float(n.as_f64()?),
        },
        J::String(s) => Value::String(s.clone()),
        J::Array(a) => Value::Array(a.iter().filter_map(json_to_toml).collect()),
        J::Object(o) => Value::Table(
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), json_to_toml(v)?)))
                .collect(),
        ),
    })
}

/// Checks the syntax of an SPDX license expression: identifiers (`[A-Za-z0-9.-]+`, optionally
/// followed by `+`), `LicenseRef-…` / `DocumentRef-…:LicenseRef-…`, the operators `AND`, `OR`
/// and `WITH <exception>`, and balanced parentheses. Identifiers are not checked against the
/// SPDX list.
pub fn validate_license(expr: &str) -> Result<(), String> {
    if expr.trim().is_empty() {
        return Err("the license expression is empty".into());
    }
    if expr.len() > MAX_LICENSE_LEN {
        return Err(format!("the license expression is longer than {MAX_LICENSE_LEN} bytes"));
    }
    let mut p = Spdx {
        tokens: tokenize(expr),
        pos: 0,
    };
    p.expr(0)?;
    match p.next() {
        None => Ok(()),
        Some(")") => Err("unbalanced parentheses: unexpected `)`".into()),
        Some(t) => Err(expected_operator(t)),
    }
}

fn tokenize(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() || c == '(' || c == ')' {
            if let Some(st) = start.take() {
                out.push(&s[st..i]);
            }
            if !c.is_whitespace() {
                out.push(&s[i..i + 1]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    out.extend(start.map(|st| &s[st..]));
    out
}

fn expected_operator(t: &str) -> String {
    let hint = if ["and", "or", "with"].iter().any(|op| t.eq_ignore_ascii_case(op)) {
        " (operators must be uppercase)"
    } else {
        ""
    };
    format!("expected AND, OR or WITH, found `{t}`{hint}")
}

fn is_idstring(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn is_license_id(t: &str) -> bool {
    if let Some((doc, lic)) = t.split_once(':') {
        doc.strip_prefix("DocumentRef-").is_some_and(is_idstring)
            && lic.strip_prefix("LicenseRef-").is_some_and(is_idstring)
    } else if let Some(r) = t.strip_prefix("LicenseRef-") {
        is_idstring(r)
    } else {
        !matches!(t, "AND" | "OR" | "WITH") && is_idstring(t.strip_suffix('+').unwrap_or(t))
    }
}

struct Spdx<'a> {
    tokens: Vec<&'a str>,
    pos: usize,
}

impl<'a> Spdx<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.tokens.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<&'a str> {
        let t = self.peek();
        self.pos += usize::from(t.is_some());
        t
    }

    /// term ((AND | OR) term)*
    fn expr(&mut self, depth: usize) -> Result<(), String> {
        loop {
            self.term(depth)?;
            if !matches!(self.peek(), Some("AND" | "OR")) {
                return Ok(());
            }
            self.pos += 1;
        }
    }

    /// `(` expr `)` | license-id [WITH exception-id]
    fn term(&mut self, depth: usize) -> Result<(), String> {
        match self.next() {
            None => Err("the license expression ends unexpectedly".into()),
            Some("(") if depth >= 16 => Err("parentheses are nested too deeply".into()),
            Some("(") => {
                self.expr(depth + 1)?;
                match self.next() {
                    Some(")") => Ok(()),
                    Some(t) => Err(expected_operator(t)),
                    None => Err("unbalanced parentheses: missing `)`".into()),
                }
            }
            Some(t) if is_license_id(t) => {
                if self.peek() == Some("WITH") {
                    self.pos += 1;
                    match self.next() {
                        Some(e) if is_idstring(e) && !matches!(e, "AND" | "OR" | "WITH") => {}
                        Some(e) => return Err(format!("`{e}` is not a valid license exception")),
                        None => return Err("`WITH` must be followed by a license exception".into()),
                    }
                }
                Ok(())
            }
            Some(t) => Err(format!("expected a license identifier, found `{t}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
[package]
name = "acme/widget"
version = "1.2.3-beta.1+build.5"
kind = "model"
description = "A widget.\nWith two lines and \"quotes\"."
license = "(MIT OR Apache-2.0) AND LicenseRef-acme"
keywords = ["widgets", "ml_ops"]
categories = ["cli", "ai-models"]
homepage = "https://acme.example/widget"
repository = "http://git.acme.example/widget"
readme = "docs/README.md"

[dependencies]
"acme/other" = "^1.0"
"beta/thing" = ">=0.2, <0.4"

[metadata]
framework = "onnx"
params = 7000000000
ratio = 0.5
released = 2024-05-01T12:00:00Z
tags = ["a", 1, true]
[metadata.card]
license = "cc-by-4.0"
[[metadata.evals]]
name = "mmlu"
score = 71.2
"#;

    fn with(package_extra: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(&format!(
            "[package]\nname = \"acme/widget\"\nversion = \"1.0.0\"\n{package_extra}\n"
        ))
    }

    fn field_of(r: Result<Manifest, ManifestError>) -> String {
        let e = r.expect_err("should be invalid");
        let f = e.field().unwrap_or("<none>").to_string();
        assert!(e.to_string().contains(&f) || f == "<none>", "{e}");
        f
    }

    #[test]
    fn parses_full_manifest() {
        let m = Manifest::parse(FULL).unwrap();
        assert_eq!((m.scope(), m.name()), ("acme", "widget"));
        assert_eq!(m.version(), semver::Version::parse("1.2.3-beta.1+build.5").unwrap());
        assert_eq!(m.package.kind, PackageKind::Model);
        assert_eq!(m.package.keywords, ["widgets", "ml_ops"]);
        assert_eq!(m.package.readme.as_deref(), Some("docs/README.md"));
        assert_eq!(m.dependencies["beta/thing"], ">=0.2, <0.4");
        assert_eq!(m.metadata["params"], 7_000_000_000i64);
        assert_eq!(m.metadata["released"], "2024-05-01T12:00:00Z");
        assert_eq!(m.metadata["card"]["license"], "cc-by-4.0");
        assert_eq!(m.metadata["evals"][0]["score"], 71.2);
    }

    #[test]
    fn minimal_manifest_has_defaults() {
        let m = with("").unwrap();
        assert_eq!(m.package.kind, PackageKind::Library);
        assert!(m.dependencies.is_empty() && m.package.keywords.is_empty());
        assert_eq!(m.metadata, serde_json::json!({}));
    }

    #[test]
    fn round_trips_through_toml() {
        let tricky = "[package]\nname = \"a/b\"\nversion = \"0.1.0\"\n[metadata]\n\
            mixed = [{ a = 1 }, 2, [3, { b = [] }]]\n\"key with.dot\" = { \"\" = \"empty key\" }\n\
            empty = {}\nnested = [[{ x = 1 }]]\nbig = -9223372036854775808\n";
        for text in [FULL, "[package]\nname = \"a/b\"\nversion = \"0.1.0\"\n", tricky] {
            let m = Manifest::parse(text).unwrap();
            let again = Manifest::parse(&m.to_toml()).unwrap_or_else(|e| panic!("{e}\n{}", m.to_toml()));
            assert_eq!(m, again);
        }
    }

    #[test]
    fn refuses_each_invalid_field() {
        let cases = [
            ("name = \"widget\"", "package.name"),
            ("name = \"Acme/widget\"", "package.name"),
            ("version = \"1.0\"", "package.version"),
            ("version = 1", "package.version"),
            ("kind = \"bogus\"", "package.kind"),
            ("description = \"{long}\"", "package.description"),
            ("description = \"a\\u0000b\"", "package.description"),
            ("description = \"bell \\u0007\"", "package.description"),
            ("license = \"MIT OR\"", "package.license"),
            (
                "keywords = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]",
                "package.keywords",
            ),
            ("keywords = [\"-a\"]", "package.keywords"),
            ("keywords = [\"Upper\"]", "package.keywords"),
            ("keywords = [\"\"]", "package.keywords"),
            ("keywords = [\"abcdefghijklmnopqrstu\"]", "package.keywords"),
            ("keywords = [\"a\", \"a\"]", "package.keywords"),
            ("keywords = \"a\"", "package.keywords"),
            ("categories = [\"nope\"]", "package.categories"),
            (
                "categories = [\"cli\", \"web\", \"gui\", \"testing\", \"devops\", \"utilities\"]",
                "package.categories",
            ),
            ("homepage = \"ftp://x\"", "package.homepage"),
            ("repository = \"https://\"", "package.repository"),
            ("repository = \"https://a b\"", "package.repository"),
            ("readme = \"../README.md\"", "package.readme"),
            ("readme = \"/etc/passwd\"", "package.readme"),
            ("readme = \"docs/\"", "package.readme"),
            ("licence = \"MIT\"", "package.licence"),
            (
                "[dependencies]\n\"acme/other\" = \"not a req\"",
                "dependencies.acme/other",
            ),
            ("[dependencies]\nother = \"1\"", "dependencies.other"),
            ("[dependencies]\n\"acme/widget\" = \"1\"", "dependencies.acme/widget"),
            (
                "[dependencies]\n\"acme/a-b\" = \"1\"\n\"acme/a_b\" = \"1\"",
                "dependencies.acme/a_b",
            ),
            ("[dependencies]\n\"acme/other\" = 1", "dependencies.acme/other"),
            ("[metadata]\nx = nan", "metadata"),
            ("[features]\nx = 1", "features"),
        ];
        let long = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        for (extra, field) in cases {
            let extra = extra.replace("{long}", &long);
            // Later duplicates of `name`/`version` are TOML errors, so replace those lines instead.
            let text = if let Some(v) = extra.strip_prefix("name = ") {
                format!("[package]\nname = {v}\nversion = \"1.0.0\"\n")
            } else if let Some(v) = extra.strip_prefix("version = ") {
                format!("[package]\nname = \"acme/widget\"\nversion = {v}\n")
            } else {
                format!("[package]\nname = \"acme/widget\"\nversion = \"1.0.0\"\n{extra}\n")
            };
            assert_eq!(field_of(Manifest::parse(&text)), field, "{extra}");
        }
    }

    #[test]
    fn refuses_structural_errors() {
        assert!(matches!(Manifest::parse("[package"), Err(ManifestError::Syntax(_))));
        assert_eq!(field_of(Manifest::parse("x = 1")), "package");
        assert_eq!(field_of(Manifest::parse("package = 1")), "package");
        assert_eq!(
            field_of(Manifest::parse("[package]\nname = \"a/b\"")),
            "package.version"
        );
        assert_eq!(
            field_of(Manifest::parse("[package]\nversion = \"1.0.0\"")),
            "package.name"
        );
        assert_eq!(field_of(with("bogus = 1")), "package.bogus");
        assert!(with("bogus = 1").unwrap_err().to_string().contains("unknown key"));
    }

    #[test]
    fn license_expressions() {
        for ok in [
            "MIT",
            "GPL-2.0+",
            "MIT OR Apache-2.0",
            "(MIT OR Apache-2.0) AND BSD-3-Clause",
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
            "LicenseRef-my.own",
            "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2",
            "((MIT))",
        ] {
            assert_eq!(validate_license(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            " ",
            "MIT OR",
            "OR MIT",
            "MIT Apache-2.0",
            "(MIT",
            "MIT)",
            "()",
            "MIT or Apache-2.0",
            "MIT WITH",
            "MIT/X11",
            "LicenseRef-",
            "MIT AND AND BSD",
            "GPL+2.0",
            "MIT WITH OR",
        ] {
            assert!(validate_license(bad).is_err(), "{bad:?}");
        }
        assert!(validate_license("MIT or X").unwrap_err().contains("uppercase"));
        assert!(validate_license(&"(".repeat(100)).is_err());
    }
}
