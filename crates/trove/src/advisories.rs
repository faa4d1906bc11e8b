//! `trove admin advisories import <zip|dir|file>`: reads OSV records and hands them to
//! `svc.advisories().import_osv` a batch at a time (an osv.dev ecosystem export holds
//! hundreds of thousands of records; they are never all in memory).

use anyhow::Context;
use std::io::Read;
use std::path::{Path, PathBuf};
use trove_service::advisories::ImportReport;
use trove_service::Services;

/// Largest OSV record read (osv.dev's biggest are a few MiB).
const MAX_RECORD: u64 = 32 << 20;
/// Records handed to the service at a time.
const BATCH: usize = 1000;

/// Collects records and imports them a batch at a time.
struct Importer<'a> {
    services: &'a Services,
    batch: Vec<(String, Vec<u8>)>,
    total: ImportReport,
}

impl Importer<'_> {
    async fn push(&mut self, origin: String, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.batch.push((origin, bytes));
        if self.batch.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        let batch = std::mem::take(&mut self.batch);
        let r = self
            .services
            .advisories()
            .import_osv(batch)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        self.total.read += r.read;
        self.total.inserted += r.inserted;
        self.total.updated += r.updated;
        self.total.unchanged += r.unchanged;
        self.total.skipped.extend(r.skipped);
        Ok(())
    }
}

/// Every `*.json` file under a directory (hidden directories skipped), in name order.
fn json_files(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let e = e?;
            let p = e.path();
            if e.file_type()?.is_dir() {
                if !e.file_name().to_string_lossy().starts_with('.') {
                    dirs.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read_file(p: &Path) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(p)
        .with_context(|| format!("opening {}", p.display()))?
        .take(MAX_RECORD)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

pub async fn import(services: &Services, path: &Path, json: bool) -> anyhow::Result<()> {
    let mut importer = Importer {
        services,
        batch: Vec::new(),
        total: ImportReport::default(),
    };
    if path.is_dir() {
        for p in json_files(path)? {
            let bytes = read_file(&p)?;
            importer.push(p.display().to_string(), bytes).await?;
        }
    } else if path.extension().is_some_and(|x| x == "json") {
        importer.push(path.display().to_string(), read_file(path)?).await?;
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).with_context(|| {
            format!(
                "{} is not a zip of OSV JSON files (nor a directory or a .json file)",
                path.display()
            )
        })?;
        for i in 0..zip.len() {
            let (name, bytes) = {
                let mut entry = zip.by_index(i)?;
                let name = entry.name()?.to_string();
                if !entry.is_file() || !name.ends_with(".json") {
                    continue;
                }
                let mut bytes = Vec::new();
                (&mut entry).take(MAX_RECORD).read_to_end(&mut bytes)?;
                (name, bytes)
            };
            importer.push(format!("{}:{name}", path.display()), bytes).await?;
        }
    }
    importer.flush().await?;
    let report = importer.total;
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
