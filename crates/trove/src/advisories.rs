//! `trove admin advisories import <zip|dir|file>`: reads OSV records and hands them to
//! `svc.advisories().import_osv`.

use anyhow::Context;
use std::io::Read;
use std::path::Path;
use trove_service::Services;

/// Largest OSV record read (osv.dev's biggest are a few MiB).
const MAX_RECORD: u64 = 32 << 20;

/// Reads every OSV JSON record of a zip, a directory tree or a file, as `(origin, bytes)`.
fn read_records(path: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    if path.is_dir() {
        let mut dirs = vec![path.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            let mut entries: Vec<_> = std::fs::read_dir(&dir)
                .with_context(|| format!("reading {}", dir.display()))?
                .collect::<Result<_, _>>()?;
            entries.sort_by_key(|e| e.path());
            for e in entries {
                let p = e.path();
                if e.file_type()?.is_dir() {
                    if !e.file_name().to_string_lossy().starts_with('.') {
                        dirs.push(p);
                    }
                } else if p.extension().is_some_and(|x| x == "json") {
                    let bytes = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
                    out.push((p.display().to_string(), bytes));
                }
            }
        }
        return Ok(out);
    }
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    if path.extension().is_some_and(|x| x == "json") {
        let mut bytes = Vec::new();
        file.take(MAX_RECORD).read_to_end(&mut bytes)?;
        out.push((path.display().to_string(), bytes));
        return Ok(out);
    }
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).with_context(|| {
        format!(
            "{} is not a zip of OSV JSON files (nor a directory or a .json file)",
            path.display()
        )
    })?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let name = entry.name()?.to_string();
        if !entry.is_file() || !name.ends_with(".json") {
            continue;
        }
        let mut bytes = Vec::new();
        (&mut entry).take(MAX_RECORD).read_to_end(&mut bytes)?;
        out.push((format!("{}:{name}", path.display()), bytes));
    }
    Ok(out)
}

pub async fn import(services: &Services, path: &Path, json: bool) -> anyhow::Result<()> {
    let records = read_records(path)?;
    let report = services
        .advisories()
        .import_osv(records)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "read {} OSV records: {} new, {} updated, {} unchanged, {} skipped",
            report.read,
            report.inserted,
            report.updated,
            report.unchanged,
            report.skipped.len()
        );
        for s in &report.skipped {
            println!("skipped {s}");
        }
    }
    Ok(())
}
