//! Project names (PEP 503 normalization) and distribution file names: wheels (PEP 427/491)
//! and sdists (`{name}-{version}.tar.gz`, PEP 625).

use trove_core::version::EcoVersion;
use trove_core::Ecosystem;

/// PEP 503: lowercase, every run of `-`, `_` and `.` becomes one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// Whether `name` is a valid Python project name (PEP 508: letters, digits, `-_.`, starting
/// and ending with a letter or digit).
pub fn is_valid_project_name(name: &str) -> bool {
    let ok_edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    ok_edge(name.chars().next())
        && ok_edge(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Which kind of distribution a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistKind {
    Sdist,
    Wheel,
}

impl DistKind {
    /// The `filetype` form field twine and uv send for it.
    pub fn filetype(self) -> &'static str {
        match self {
            DistKind::Sdist => "sdist",
            DistKind::Wheel => "bdist_wheel",
        }
    }
}

/// A distribution file name taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistFile {
    pub kind: DistKind,
    /// The project name as written in the file name, normalized.
    pub project: String,
    pub version: EcoVersion,
    /// Wheel tags (`py3-none-any`, each compressed set expanded), empty for sdists.
    pub tags: Vec<String>,
}

/// Parses a distribution file name; the message says what is wrong.
pub fn parse_filename(filename: &str) -> Result<DistFile, String> {
    if filename.is_empty() || filename.len() > 255 || filename.contains(['/', '\\', '\0']) || filename.starts_with('.')
    {
        return Err(format!("invalid distribution file name `{filename}`"));
    }
    if let Some(stem) = filename.strip_suffix(".whl") {
        return parse_wheel(filename, stem);
    }
    if let Some(stem) = filename.strip_suffix(".tar.gz") {
        let (name, version) = stem
            .rsplit_once('-')
            .ok_or_else(|| format!("`{filename}` is not `{{name}}-{{version}}.tar.gz`"))?;
        return Ok(DistFile {
            kind: DistKind::Sdist,
            project: normalize(name),
            version: parse_version(filename, version)?,
            tags: Vec::new(),
        });
    }
    Err(format!(
        "`{filename}` is neither a wheel (.whl) nor an sdist (.tar.gz); other formats are not accepted"
    ))
}

fn parse_wheel(filename: &str, stem: &str) -> Result<DistFile, String> {
    let parts: Vec<&str> = stem.split('-').collect();
    let bad = || {
        format!(
            "`{filename}` is not a wheel name `{{name}}-{{version}}(-{{build}})?-{{python}}-{{abi}}-{{platform}}.whl`"
        )
    };
    let (name, version, build, py, abi, plat) = match parts.as_slice() {
        [n, v, py, abi, plat] => (*n, *v, None, *py, *abi, *plat),
        [n, v, b, py, abi, plat] => (*n, *v, Some(*b), *py, *abi, *plat),
        _ => return Err(bad()),
    };
    if [name, py, abi, plat].iter().any(|s| s.is_empty())
        || build.is_some_and(|b| !b.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Err(bad());
    }
    let mut tags = Vec::new();
    for p in py.split('.') {
        for a in abi.split('.') {
            for pl in plat.split('.') {
                tags.push(format!("{p}-{a}-{pl}"));
            }
        }
    }
    Ok(DistFile {
        kind: DistKind::Wheel,
        project: normalize(name),
        version: parse_version(filename, version)?,
        tags,
    })
}

fn parse_version(filename: &str, version: &str) -> Result<EcoVersion, String> {
    EcoVersion::parse(Ecosystem::Pypi, version).map_err(|e| format!("in `{filename}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_normalization() {
        assert_eq!(normalize("Alpha.Pkg"), "alpha-pkg");
        assert_eq!(normalize("a__b--c..D"), "a-b-c-d");
        assert_eq!(normalize("friendly-bard"), "friendly-bard");
        assert!(is_valid_project_name("Alpha.Pkg") && !is_valid_project_name("-x") && !is_valid_project_name("a b"));
    }

    #[test]
    fn file_names() {
        let w = parse_filename("alpha_pkg-1.0-py3-none-any.whl").unwrap();
        assert_eq!(
            (w.kind, w.project.as_str(), w.version.to_string().as_str()),
            (DistKind::Wheel, "alpha-pkg", "1.0")
        );
        assert_eq!(w.tags, ["py3-none-any"]);
        let w = parse_filename("x-2.0rc1-1-py2.py3-none-any.whl").unwrap();
        assert_eq!(w.tags, ["py2-none-any", "py3-none-any"]);
        assert_eq!(w.version.to_string(), "2.0rc1");
        let s = parse_filename("Alpha.Pkg-1.0.post1.tar.gz").unwrap();
        assert_eq!(
            (s.kind, s.project.as_str(), s.version.to_string().as_str()),
            (DistKind::Sdist, "alpha-pkg", "1.0.post1")
        );
        for bad in [
            "x-1.0.zip",
            "x.whl",
            "x-1.0-py3-none.whl",
            "x-1.0-b-py3-none-any.whl",
            "x-notaversion.tar.gz",
            "../x-1.0.tar.gz",
            "x-1.0+local.tar.gz",
            "",
        ] {
            assert!(parse_filename(bad).is_err(), "{bad}");
        }
    }
}
