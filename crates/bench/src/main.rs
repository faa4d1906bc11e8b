//! `trove-bench`: seeds a Trove database with synthetic packages and measures search
//! latency as a client does, over HTTP. Used by `bench/search.sh`; not part of the server.
//!
//! ```text
//! trove-bench seed --database-url sqlite:///tmp/b/trove.db --count 100000
//! trove-bench search --url http://127.0.0.1:8080 --count 100000 --queries 3000
//! trove-bench inproc --count 100000 --queries 3000      # the index alone, no HTTP
//! ```

mod corpus;
mod http;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "trove-bench", about = "Seed and measure a Trove registry")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write `count` synthetic public packages (one version each) through the repositories.
    Seed {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 100_000)]
        count: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Packages per transaction.
        #[arg(long, default_value_t = 2_000)]
        batch: usize,
    },
    /// Send a mix of search queries one after another over one keep-alive connection per
    /// client, and print latency percentiles as measured by the client.
    Search {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// The corpus size and seed the database was seeded with (queries use its names).
        #[arg(long, default_value_t = 100_000)]
        count: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 3_000)]
        queries: usize,
        #[arg(long, default_value_t = 300)]
        warmup: usize,
        /// Concurrent clients (each sends `queries / clients` queries).
        #[arg(long, default_value_t = 1)]
        clients: usize,
    },
    /// Build the index in this process and time queries against it directly.
    Inproc {
        #[arg(long, default_value_t = 100_000)]
        count: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 3_000)]
        queries: usize,
        /// Run only this query string (e.g. `q=cli`), `queries` times.
        #[arg(long)]
        only: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed {
            database_url,
            count,
            seed,
            batch,
        } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(seed_db(&database_url, count, seed, batch)),
        Command::Search {
            url,
            count,
            seed,
            queries,
            warmup,
            clients,
        } => search(&url, count, seed, queries, warmup, clients),
        Command::Inproc {
            count,
            seed,
            queries,
            only,
        } => inproc(count, seed, queries, only),
    }
}

async fn seed_db(url: &str, count: usize, seed: u64, batch: usize) -> anyhow::Result<()> {
    use trove_db::{downloads, namespaces, owners, packages, users, versions};
    let started = Instant::now();
    let corpus = corpus::generate(count, seed);
    eprintln!("generated {count} packages in {:.1?}", started.elapsed());
    let db = trove_db::Db::connect(url, 4).await.context("opening the database")?;
    let now = trove_core::now_ms();
    let today = trove_core::time::day_of(now);
    let mut rng = corpus::Rng::new(seed ^ 0xDEAD_BEEF);

    let mut ns_ids = std::collections::HashMap::new();
    let mut user_ids = std::collections::HashMap::new();
    let mut tx = db.write().await?;
    for scope in &corpus.scopes {
        let uid = users::insert(&mut tx, scope, &format!("{scope}@bench.invalid"), None, false, now).await?;
        let ns = namespaces::insert(&mut tx, scope, trove_core::NamespaceKind::User, Some(uid), None, now).await?;
        user_ids.insert(scope.clone(), uid);
        ns_ids.insert(scope.clone(), ns);
    }
    tx.commit().await?;

    let version = trove_core::version::parse_version("1.0.0").map_err(anyhow::Error::msg)?;
    let version_key = trove_core::version::version_key(&version);
    for (chunk_no, chunk) in corpus.packages.chunks(batch.max(1)).enumerate() {
        let mut tx = db.write().await?;
        for (i, p) in chunk.iter().enumerate() {
            let n = chunk_no * batch + i;
            let at = now - rng.below(365 * 24 * 3600) as i64 * 1000;
            let id = packages::insert(
                &mut tx,
                packages::NewPackage {
                    namespace_id: ns_ids[&p.scope],
                    name: &p.name,
                    ecosystem: "native",
                    kind: p.kind,
                    visibility: "public",
                    now: at,
                },
            )
            .await?;
            let keywords = serde_json::to_string(&p.keywords)?;
            let categories = serde_json::to_string(&p.categories)?;
            packages::update_meta(
                &mut tx,
                id,
                packages::PackageMeta {
                    kind: p.kind,
                    description: Some(&p.description),
                    license: Some(p.license),
                    keywords: &keywords,
                    categories: &categories,
                    homepage: None,
                    repository: None,
                    readme: Some(&p.readme),
                    latest_version: Some("1.0.0"),
                },
                at,
            )
            .await?;
            let manifest = serde_json::json!({
                "package": { "name": format!("{}/{}", p.scope, p.name), "version": "1.0.0", "kind": p.kind,
                             "description": p.description, "license": p.license,
                             "keywords": p.keywords, "categories": p.categories },
            });
            let vid = versions::insert(
                &mut tx,
                versions::NewVersion {
                    package_id: id,
                    version: "1.0.0",
                    version_key: &version_key,
                    digest: &format!("sha256:{n:064x}"),
                    size: 1024,
                    manifest: &manifest.to_string(),
                    dependencies: "{}",
                    readme: Some(&p.readme),
                    publisher_id: user_ids[&p.scope],
                    now: at,
                },
            )
            .await?;
            owners::upsert(&mut tx, id, user_ids[&p.scope], trove_core::OwnerRole::Owner, at).await?;
            if p.downloads > 0 {
                // Spread over the last four weeks so trending has something to compare.
                let recent = p.downloads / 3;
                downloads::add_counts(
                    &mut tx,
                    &[
                        (id, vid, today - 1 - rng.below(7) as i64, recent),
                        (id, vid, today - 8 - rng.below(20) as i64, p.downloads - recent),
                    ],
                )
                .await?;
            }
        }
        tx.commit().await?;
        if chunk_no % 10 == 9 {
            eprintln!("  {} packages written", (chunk_no + 1) * batch);
        }
    }
    db.close().await;
    println!(
        "seeded {count} packages over {} scopes in {:.1?}",
        corpus.scopes.len(),
        started.elapsed()
    );
    Ok(())
}

/// Latency percentiles of a sample, in milliseconds.
fn report(label: &str, mut ms: Vec<f64>, wall: Duration) {
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1];
    println!(
        "{label}: n={} p50={:.2}ms p95={:.2}ms p99={:.2}ms max={:.2}ms mean={:.2}ms throughput={:.0}/s",
        ms.len(),
        pct(0.50),
        pct(0.95),
        pct(0.99),
        ms[ms.len() - 1],
        ms.iter().sum::<f64>() / ms.len() as f64,
        ms.len() as f64 / wall.as_secs_f64()
    );
}

fn search(url: &str, count: usize, seed: u64, n: usize, warmup: usize, clients: usize) -> anyhow::Result<()> {
    let corpus = corpus::generate(count, seed);
    let queries = corpus::queries(&corpus, n + warmup, seed ^ 0x5EA2C4);
    let addr = url.trim_start_matches("http://").trim_end_matches('/').to_string();
    // Warm up (and check the answers look right).
    let mut conn = http::Conn::open(&addr)?;
    for q in &queries[..warmup] {
        let (status, body) = conn.get(&format!("/api/v1/search?{q}"))?;
        anyhow::ensure!(
            status == 200,
            "search `{q}` answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let (_, body) = conn.get("/api/v1/search?q=markdwn&per_page=3")?;
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    let names: Vec<&str> = v["results"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["full_name"].as_str()).collect())
        .unwrap_or_default();
    println!("sample: q=markdwn → total {} first {:?}", v["total"], names);
    drop(conn);

    let measured: Vec<String> = queries[warmup..].to_vec();
    let clients = clients.max(1);
    let started = Instant::now();
    let per_client: Vec<Vec<String>> = (0..clients)
        .map(|c| measured.iter().skip(c).step_by(clients).cloned().collect())
        .collect();
    let results: Vec<anyhow::Result<Vec<f64>>> = std::thread::scope(|s| {
        let handles: Vec<_> = per_client
            .iter()
            .map(|qs| {
                let addr = addr.clone();
                s.spawn(move || -> anyhow::Result<Vec<f64>> {
                    let mut conn = http::Conn::open(&addr)?;
                    let mut ms = Vec::with_capacity(qs.len());
                    for q in qs {
                        let t = Instant::now();
                        let (status, _) = conn.get(&format!("/api/v1/search?{q}"))?;
                        ms.push(t.elapsed().as_secs_f64() * 1000.0);
                        anyhow::ensure!(status == 200, "search `{q}` answered {status}");
                    }
                    Ok(ms)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("client thread")).collect()
    });
    let wall = started.elapsed();
    let mut all = Vec::new();
    for r in results {
        all.extend(r?);
    }
    report(&format!("search latency over HTTP, {clients} client(s)"), all, wall);
    Ok(())
}

fn inproc(count: usize, seed: u64, n: usize, only: Option<String>) -> anyhow::Result<()> {
    use trove_search::{Access, Document, Index, Query, Sort};
    // On disk when TROVE_BENCH_INDEX_DIR is set: an index already holding the corpus there
    // is opened, not rebuilt (what a restarted server does), and the queries drawn when it
    // was built are read back from beside it, so the corpus is not generated again (its
    // 3 GB would otherwise be in this process's RSS, and it takes a while).
    let dir = std::env::var_os("TROVE_BENCH_INDEX_DIR").map(std::path::PathBuf::from);
    let saved = dir
        .as_ref()
        .map(|d| d.with_extension(format!("queries-{count}-{seed}-{n}.txt")));
    let started = Instant::now();
    let mut ix = match &dir {
        Some(d) => Index::open(d)?,
        None => Index::new(),
    };
    let reuse = ix.len() == count && (only.is_some() || saved.as_ref().is_some_and(|p| p.exists()));
    let corpus = if reuse {
        corpus::Corpus::default()
    } else {
        corpus::generate(count, seed)
    };
    if ix.len() == count {
        println!(
            "opened the index of {count} packages in {:.2?} ({} MB on disk, RSS {})",
            started.elapsed(),
            ix.disk_bytes() >> 20,
            rss_mb()
        );
    }
    let build = ix.len() != count;
    if build {
        ix.clear();
    }
    for (i, p) in corpus.packages.iter().enumerate().filter(|_| build) {
        ix.upsert(
            Document {
                id: i as i64,
                namespace_id: 1,
                private: false,
                ecosystem: "native".into(),
                scope: p.scope.clone(),
                name: p.name.clone(),
                kind: p.kind.into(),
                description: Some(p.description.clone()),
                license: Some(p.license.into()),
                keywords: p.keywords.clone(),
                categories: p.categories.clone(),
                latest_version: Some("1.0.0".into()),
                downloads: p.downloads,
                updated_at: i as i64,
            },
            &p.readme,
        );
    }
    if build {
        ix.commit()?;
        ix.merge_all()?;
        println!(
            "built the index of {count} packages in {:.2?} ({} segment(s), {} MB on disk, RSS {})",
            started.elapsed(),
            ix.segments(),
            ix.disk_bytes() >> 20,
            rss_mb()
        );
    }
    let queries = match (only, &saved) {
        (Some(q), _) => vec![q; n],
        (None, Some(path)) if reuse => std::fs::read_to_string(path)?.lines().map(str::to_string).collect(),
        (None, saved) => {
            let queries = corpus::queries(&corpus, n, seed ^ 0x5EA2C4);
            if let Some(path) = saved {
                std::fs::write(path, queries.join("\n"))?;
            }
            queries
        }
    };
    drop(corpus);
    println!("RSS before the queries: {}", rss_mb());
    let started = Instant::now();
    let mut ms = Vec::with_capacity(n);
    let mut slowest = (0.0, String::new());
    for qs in &queries {
        let params: std::collections::HashMap<String, String> = qs
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.replace('+', " ")))
            .collect();
        let page: usize = params.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let q = Query {
            text: params.get("q").map(String::as_str).unwrap_or(""),
            kind: params.get("kind").map(String::as_str),
            category: params.get("category").map(String::as_str),
            sort: params
                .get("sort")
                .and_then(|s| Sort::parse(s))
                .unwrap_or(Sort::Relevance),
            offset: (page - 1) * 20,
            limit: 20,
            ..Query::default()
        };
        let t = Instant::now();
        let r = ix.search(&q, &Access::public());
        let e = t.elapsed().as_secs_f64() * 1000.0;
        std::hint::black_box(r);
        if e > slowest.0 {
            slowest = (e, qs.clone());
        }
        ms.push(e);
    }
    if std::env::var_os("TROVE_BENCH_SLOWEST").is_some() {
        let mut by: Vec<(f64, &String)> = ms.iter().copied().zip(queries.iter()).collect();
        by.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (t, q) in by.iter().take(30) {
            println!("  {t:.2}ms {q}");
        }
    }
    report("search in process", ms, started.elapsed());
    println!("RSS after the queries: {}", rss_mb());
    println!("slowest: {:.2}ms for {}", slowest.0, slowest.1);
    Ok(())
}

/// This process's resident set size in MiB (0 where /proc is missing), with its anonymous
/// and file-backed (mapped index files) parts.
fn rss_mb() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .unwrap_or(0)
    };
    format!(
        "{} MB (anonymous {} MB, file-backed {} MB)",
        kb("VmRSS:") >> 10,
        kb("RssAnon:") >> 10,
        kb("RssFile:") >> 10
    )
}
