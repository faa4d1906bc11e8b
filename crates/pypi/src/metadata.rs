//! Core metadata (`METADATA` in wheels, `PKG-INFO` in sdists): RFC 822-style headers, then
//! the description as the body (Metadata-Version 2.1+) or in a `Description` header.

use serde::Serialize;

/// The fields Trove uses, read from the core metadata file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CoreMetadata {
    pub metadata_version: String,
    pub name: String,
    pub version: String,
    pub summary: Option<String>,
    /// The long description (kept as the package's readme, not in its manifest).
    #[serde(skip)]
    pub description: Option<String>,
    pub description_content_type: Option<String>,
    pub keywords: Vec<String>,
    pub home_page: Option<String>,
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub license: Option<String>,
    pub license_expression: Option<String>,
    pub classifiers: Vec<String>,
    pub requires_dist: Vec<String>,
    pub requires_python: Option<String>,
    pub provides_extra: Vec<String>,
    pub project_urls: Vec<(String, String)>,
    pub dynamic: Vec<String>,
}

impl CoreMetadata {
    /// Parses the file; refused when it is not UTF-8 or lacks `Metadata-Version`, `Name` or
    /// `Version`.
    pub fn parse(bytes: &[u8]) -> Result<CoreMetadata, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "the core metadata is not valid UTF-8".to_string())?;
        let text = text.replace("\r\n", "\n");
        let (head, body) = match text.find("\n\n") {
            Some(i) => (&text[..i], Some(text[i + 2..].to_string())),
            None => (text.as_str(), None),
        };
        let mut m = CoreMetadata::default();
        for (key, value) in headers(head) {
            m.set(&key.to_ascii_lowercase(), value);
        }
        if let Some(body) = body.filter(|b| !b.trim().is_empty()) {
            m.description = Some(body);
        }
        for (field, value) in [
            ("Metadata-Version", &m.metadata_version),
            ("Name", &m.name),
            ("Version", &m.version),
        ] {
            if value.trim().is_empty() {
                return Err(format!("the core metadata has no `{field}` field"));
            }
        }
        Ok(m)
    }

    fn set(&mut self, key: &str, value: String) {
        let one = |slot: &mut Option<String>| *slot = Some(value.clone()).filter(|v| !v.is_empty() && v != "UNKNOWN");
        match key {
            "metadata-version" => self.metadata_version = value,
            "name" => self.name = value,
            "version" => self.version = value,
            "summary" => one(&mut self.summary),
            "description" => one(&mut self.description),
            "description-content-type" => one(&mut self.description_content_type),
            "home-page" => one(&mut self.home_page),
            "author" => one(&mut self.author),
            "author-email" => one(&mut self.author_email),
            "license" => one(&mut self.license),
            "license-expression" => one(&mut self.license_expression),
            "requires-python" => one(&mut self.requires_python),
            "keywords" => {
                let sep = if value.contains(',') { ',' } else { ' ' };
                self.keywords = value
                    .split(sep)
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(String::from)
                    .collect();
            }
            "classifier" => self.classifiers.push(value),
            "requires-dist" => self.requires_dist.push(value),
            "provides-extra" => self.provides_extra.push(value),
            "dynamic" => self.dynamic.push(value.to_ascii_lowercase()),
            "project-url" => {
                if let Some((label, url)) = value.split_once(',') {
                    self.project_urls
                        .push((label.trim().to_string(), url.trim().to_string()));
                }
            }
            _ => {}
        }
    }

    /// `Metadata-Version` as (major, minor).
    fn version_tuple(&self) -> (u32, u32) {
        let mut it = self.metadata_version.trim().split('.').map(|p| p.parse().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    }

    /// Whether an sdist's PKG-INFO may be served as its PEP 658 metadata: Metadata-Version 2.2
    /// or later (PEP 643), with nothing a resolver reads marked `Dynamic`.
    pub fn is_reliable_for_sdist(&self) -> bool {
        self.version_tuple() >= (2, 2)
            && !self.dynamic.iter().any(|d| {
                matches!(
                    d.as_str(),
                    "requires-dist" | "requires-python" | "provides-extra" | "name" | "version"
                )
            })
    }

    /// The URL a label such as `Source` or `Repository` names, if any.
    pub fn project_url(&self, labels: &[&str]) -> Option<&str> {
        self.project_urls
            .iter()
            .find(|(l, _)| labels.iter().any(|w| l.eq_ignore_ascii_case(w)))
            .map(|(_, u)| u.as_str())
    }

    /// The SPDX expression, else a short `License` text.
    pub fn license_text(&self) -> Option<&str> {
        self.license_expression
            .as_deref()
            .or(self.license.as_deref().filter(|l| l.len() <= 100 && !l.contains('\n')))
    }
}

/// The header lines of the head, with continuation lines (starting with whitespace) joined
/// by newlines (as `Description` and `License` use them).
fn headers(head: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push('\n');
                v.push_str(line.strip_prefix("       |").unwrap_or(line.trim_start()));
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_metadata() {
        let text = "Metadata-Version: 2.4\r\nName: Alpha.Pkg\nVersion: 1.0\nSummary: alpha\nRequires-Python: >=3.8\n\
                    Requires-Dist: beta-lib>=0.1\nRequires-Dist: rich; extra == 'cli'\nProvides-Extra: cli\n\
                    Keywords: a,b, c\nProject-URL: Source, https://example.com/src\nLicense: MIT\n  second line\n\n# Readme\n";
        let m = CoreMetadata::parse(text.as_bytes()).unwrap();
        assert_eq!((m.name.as_str(), m.version.as_str()), ("Alpha.Pkg", "1.0"));
        assert_eq!(m.requires_dist, ["beta-lib>=0.1", "rich; extra == 'cli'"]);
        assert_eq!(m.requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(m.keywords, ["a", "b", "c"]);
        assert_eq!(m.project_url(&["source"]), Some("https://example.com/src"));
        assert_eq!(m.license.as_deref(), Some("MIT\nsecond line"));
        assert_eq!(m.description.as_deref(), Some("# Readme\n"));
        assert!(m.is_reliable_for_sdist());
        let dynamic =
            CoreMetadata::parse(b"Metadata-Version: 2.2\nName: x\nVersion: 1\nDynamic: Requires-Dist\n").unwrap();
        assert!(!dynamic.is_reliable_for_sdist());
        let old = CoreMetadata::parse(b"Metadata-Version: 2.1\nName: x\nVersion: 1\n").unwrap();
        assert!(!old.is_reliable_for_sdist());
        assert!(CoreMetadata::parse(b"Name: x\nVersion: 1\n").is_err());
        assert!(CoreMetadata::parse(b"\xff\xfe").is_err());
    }
}
