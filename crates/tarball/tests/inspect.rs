use std::time::{Duration, Instant};

use trove_tarball::*;

fn manifest() -> String {
    manifest_toml("acme/widget", "1.0.0", &[("acme/other", "^1")])
}

fn base() -> ArchiveBuilder {
    ArchiveBuilder::new().file("trove.toml", manifest().as_bytes())
}

fn check(bytes: &[u8]) -> Result<ArchiveInfo, TarballError> {
    inspect(bytes, &Limits::default())
}

fn code(bytes: &[u8]) -> &'static str {
    match check(bytes) {
        Ok(_) => "ok",
        Err(e) => {
            assert!(!e.to_string().is_empty());
            e.code()
        }
    }
}

#[test]
fn good_archive() {
    let info = check(&simple_package("acme/widget", "1.2.3", "# Widget\n")).unwrap();
    assert_eq!(info.manifest.package.name, "acme/widget");
    assert_eq!(info.manifest.version().to_string(), "1.2.3");
    assert_eq!(info.manifest_text, manifest_toml("acme/widget", "1.2.3", &[]));
    assert_eq!(info.readme.as_deref(), Some("# Widget\n"));
    assert_eq!(info.files, 3);

    let info = check(
        &ArchiveBuilder::new()
            .dir("./")
            .dir("./docs")
            .file("./docs/guide.md", "guide".as_bytes())
            .file("./trove.toml", manifest().as_bytes())
            .symlink("docs/latest", "guide.md")
            .symlink("docs/up", "../docs/guide.md")
            .file(&format!("{}/f", "d".repeat(150)), b"long path")
            .finish(),
    )
    .unwrap();
    assert_eq!((info.files, info.readme), (3, None));
    assert_eq!(info.unpacked_bytes, (manifest().len() + 5 + 9) as u64);
    assert_eq!(info.manifest.dependencies["acme/other"], "^1");
}

#[test]
fn hostile_paths() {
    assert_eq!(
        code(&base().raw_path_file("../../etc/passwd", b"x").finish()),
        "path_traversal"
    );
    assert_eq!(
        code(&base().raw_path_file("a/../../x", b"x").finish()),
        "path_traversal"
    );
    assert_eq!(code(&base().raw_path_file("/etc/x", b"x").finish()), "path_traversal");
    // GNU long-name records carry the path too.
    let long = format!("{}/../../../x", "a/".repeat(60));
    assert_eq!(code(&base().raw_path_file(&long, b"x").finish()), "path_traversal");
    // And so do PAX records, which override the header name.
    assert_eq!(
        code(&base().pax_path_file("../../etc/passwd", b"x").finish()),
        "path_traversal"
    );
    let info = check(
        &base()
            .pax_path_file(&format!("{}/ok.txt", "p".repeat(120)), b"x")
            .finish(),
    );
    assert_eq!(info.unwrap().files, 2);
    assert_eq!(
        code(&base().raw_path_file(&"a".repeat(300), b"x").finish()),
        "path_invalid"
    );
    assert_eq!(
        code(&base().raw_path_file("a\\..\\..\\x", b"x").finish()),
        "path_invalid"
    );
}

#[test]
fn symlinks() {
    assert_eq!(code(&base().symlink("etc", "../../etc").finish()), "link_escape");
    assert_eq!(code(&base().symlink("a/b/etc", "../../../etc").finish()), "link_escape");
    assert_eq!(code(&base().symlink("passwd", "/etc/passwd").finish()), "link_escape");
    assert_eq!(code(&base().symlink("a/l", "../a/../..").finish()), "link_escape");
    assert_eq!(code(&base().symlink("docs/l", "../src/lib.txt").finish()), "ok");
    assert_eq!(code(&base().symlink("here", ".").finish()), "ok");
    // Writing through a symlink, in either order.
    let through = base().symlink("d", "sub").file("d/x", b"x").finish();
    assert_eq!(code(&through), "link_escape");
    let through = base().file("d/x", b"x").symlink("d", "sub").finish();
    assert_eq!(code(&through), "link_escape");
}

#[test]
fn links_and_special_files() {
    assert_eq!(code(&base().file("a", b"a").hardlink("b", "a").finish()), "hard_link");
    assert_eq!(code(&base().char_device("dev/null").finish()), "special_file");
}

#[test]
fn gzip_bomb_fails_fast() {
    let bomb = gzip_bomb(64 << 20);
    assert!(bomb.len() < 1 << 20, "bomb is {} bytes", bomb.len());
    let limits = Limits {
        max_unpacked_bytes: 1 << 20,
        ..Limits::default()
    };
    let start = Instant::now();
    let err = inspect(&bomb[..], &limits).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
    assert!(err.is_too_large() && err.code() == "archive_too_large", "{err}");
    assert!(matches!(err, TarballError::ArchiveTooLarge(_)), "{err}");
}

#[test]
fn size_limits() {
    let limits = Limits {
        max_entries: 3,
        ..Limits::default()
    };
    let many = base().file("a", b"").file("b", b"").file("c", b"").finish();
    let err = inspect(&many[..], &limits).unwrap_err();
    assert!(
        err.is_too_large() && matches!(err, TarballError::TooManyEntries(3)),
        "{err}"
    );

    let limits = Limits {
        max_file_bytes: 10,
        ..Limits::default()
    };
    let err = inspect(&base().file("big", &[1; 11]).finish()[..], &limits).unwrap_err();
    assert!(
        err.is_too_large() && matches!(err, TarballError::FileTooLarge { .. }),
        "{err}"
    );

    let limits = Limits {
        max_manifest_bytes: 10,
        ..Limits::default()
    };
    assert_eq!(
        inspect(&base().finish()[..], &limits).unwrap_err().code(),
        "manifest_invalid"
    );

    let limits = Limits {
        max_readme_bytes: 4,
        ..Limits::default()
    };
    let info = inspect(&simple_package("a/b", "1.0.0", "abcdefgh")[..], &limits).unwrap();
    assert_eq!(info.readme.as_deref(), Some("abcd"));
}

#[test]
fn manifest_rules() {
    let only_readme = ArchiveBuilder::new().file("README.md", b"hi").finish();
    assert_eq!(code(&only_readme), "manifest_missing");
    let nested = ArchiveBuilder::new()
        .file("sub/trove.toml", manifest().as_bytes())
        .finish();
    assert_eq!(code(&nested), "manifest_missing");
    let invalid = ArchiveBuilder::new()
        .file("trove.toml", b"[package]\nname = \"x\"\nversion = \"1.0.0\"\n")
        .finish();
    let err = check(&invalid).unwrap_err();
    assert_eq!(err.code(), "manifest_invalid");
    assert!(err.to_string().contains("package.name"), "{err}");
    assert_eq!(
        code(&ArchiveBuilder::new().file("trove.toml", b"\xff").finish()),
        "manifest_invalid"
    );
    assert_eq!(
        code(&ArchiveBuilder::new().dir("trove.toml").finish()),
        "manifest_invalid"
    );
    assert_eq!(code(&base().file("./trove.toml", b"").finish()), "duplicate_path");
}

#[test]
fn readme_rules() {
    let named = |readme_first: bool, path: &str| {
        let text = format!("{}readme = \"docs/INTRO.md\"\n", manifest_toml("acme/w", "1.0.0", &[]));
        let b = ArchiveBuilder::new();
        let b = if readme_first {
            b.file(path, b"intro").file("trove.toml", text.as_bytes())
        } else {
            b.file("trove.toml", text.as_bytes()).file(path, b"intro")
        };
        check(&b.file("README.md", b"default").finish())
    };
    assert_eq!(named(false, "docs/INTRO.md").unwrap().readme.as_deref(), Some("intro"));
    assert_eq!(named(true, "./docs/INTRO.md").unwrap().readme.as_deref(), Some("intro"));
    assert_eq!(named(false, "docs/OTHER.md").unwrap_err().code(), "readme_missing");
    // The default readme is found wherever it sits.
    let info = check(
        &ArchiveBuilder::new()
            .file("README", b"plain")
            .file("trove.toml", manifest().as_bytes())
            .finish(),
    );
    assert_eq!(info.unwrap().readme.as_deref(), Some("plain"));
}

#[test]
fn malformed_archives() {
    assert_eq!(code(b"definitely not gzip"), "archive_invalid");
    assert_eq!(code(b""), "archive_invalid");
    let good = simple_package("acme/widget", "1.0.0", "readme");
    for cut in [10, good.len() / 2, good.len() - 4] {
        assert_eq!(code(&good[..cut]), "archive_invalid", "cut at {cut}");
    }
    // Valid gzip around a tar cut off in the middle of a file.
    let tar = {
        let mut t = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(1000);
        h.set_cksum();
        t.append_data(&mut h, "trove.toml", &[b' '; 1000][..]).unwrap();
        t.into_inner().unwrap()
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar[..700]).unwrap();
    assert_eq!(code(&gz.finish().unwrap()), "archive_invalid");
    assert_eq!(code(&base().file("a", b"1").file("a", b"2").finish()), "duplicate_path");
    assert_eq!(
        code(&base().file("a", b"1").file("a/b", b"2").finish()),
        "duplicate_path"
    );
}

#[test]
fn pack_dir_honours_ignores_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (path, body) in [
        ("trove.toml", manifest()),
        ("README.md", "# hi".into()),
        ("src/lib.txt", "lib".into()),
        ("src/debug.log", "log".into()),
        ("build/out.bin", "out".into()),
        ("sub/build/keep.txt", "keep".into()),
        ("target/x", "x".into()),
        (".git/HEAD", "ref".into()),
        ("web/node_modules/m.js", "m".into()),
    ] {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink("lib.txt", root.join("src/link")).unwrap();

    let ignore = ["*.log".to_string(), "/build/".into()];
    let bytes = pack_dir(root, &ignore).unwrap();
    assert_eq!(bytes, pack_dir(root, &ignore).unwrap(), "packing is deterministic");
    let info = check(&bytes).unwrap();
    assert_eq!(info.manifest.package.name, "acme/widget");
    assert_eq!(info.readme.as_deref(), Some("# hi"));

    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    let paths: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| String::from_utf8(e.unwrap().path_bytes().into_owned()).unwrap())
        .collect();
    let mut expected = vec![
        "trove.toml",
        "README.md",
        "src/",
        "src/lib.txt",
        "sub/",
        "sub/build/",
        "sub/build/keep.txt",
        "web/",
    ];
    if cfg!(unix) {
        expected.insert(4, "src/link");
    }
    assert_eq!(paths, expected);
}
