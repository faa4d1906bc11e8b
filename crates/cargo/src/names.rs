//! Crate names: Cargo's rules (ASCII letters, digits, `-`, `_`, starting with a letter, at
//! most 64 characters), stored lowercase as Trove package names (whose normalization already
//! equates `-` and `_`); the original spelling stays in the index lines. The sparse index
//! path of a name is `1/{n}`, `2/{n}`, `3/{c}/{n}` or `{ab}/{cd}/{n}`, lowercase.

use trove_core::PackageName;

/// Checks a crate name as crates.io does and that Trove can store it; the message says why not.
pub fn check_crate_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 {
        return Err(format!("crate name `{name}` must have 1 to 64 characters"));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(format!("crate name `{name}` must start with a letter"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!(
            "crate name `{name}` may only contain ASCII letters, digits, `-` and `_`"
        ));
    }
    PackageName::parse(&storage_name(name)).map_err(|e| format!("crate name `{name}`: {e}"))?;
    Ok(())
}

/// The Trove package name of a crate: its name in lowercase.
pub fn storage_name(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The sparse index path of a crate (relative to the index root).
pub fn index_path(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    }
}

/// The crate an index path names, when the path is the one of that name; `None` otherwise.
pub fn name_of_index_path(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    let well_formed = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (well_formed && index_path(name) == path).then_some(name)
}

/// The file name of a version's `.crate` (lowercase name, version as published).
pub fn crate_file_name(name: &str, version: &str) -> String {
    format!("{}-{version}.crate", storage_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("abc"), "3/a/abc");
        assert_eq!(index_path("Serde_Json"), "se/rd/serde_json");
        assert_eq!(name_of_index_path("se/rd/serde_json"), Some("serde_json"));
        assert_eq!(name_of_index_path("3/a/abc"), Some("abc"));
        assert_eq!(name_of_index_path("3/b/abc"), None);
        assert_eq!(name_of_index_path("Se/rd/Serde"), None);
        assert_eq!(name_of_index_path("../../etc"), None);
        assert_eq!(name_of_index_path("config.json"), None);
    }

    #[test]
    fn crate_names() {
        assert!(check_crate_name("serde_json").is_ok());
        assert!(check_crate_name("Inflector").is_ok());
        assert!(check_crate_name("1abc").is_err());
        assert!(check_crate_name("a.b").is_err());
        assert!(check_crate_name("").is_err());
        assert!(check_crate_name(&"a".repeat(65)).is_err());
        assert!(check_crate_name("ends-").is_err());
        assert_eq!(storage_name("Inflector"), "inflector");
        assert_eq!(crate_file_name("Foo", "1.0.0+b"), "foo-1.0.0+b.crate");
    }
}
