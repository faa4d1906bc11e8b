//! Search-design spike for issue 11 (not product code): builds a tantivy index of the
//! trove-bench corpus on local disk, reopens it, and times the bench's query mix in
//! process, at 1 and 4 threads, in three modes:
//!
//! - `topk`: the page only (relevance: block-max WAND over boosted term queries; other
//!   sorts: top-n over a fast field);
//! - `count`: the page and the exact total;
//! - `facets`: the page, the exact total, and facet counts over at most `SAMPLE` matches.
//!
//! ```text
//! cargo run --release -- build /root/bench-1m/spike-index 1000000
//! cargo run --release -- query /root/bench-1m/spike-index 1000000 3000
//! ```

#[path = "../../../crates/bench/src/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, EnableScoring, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED};
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, Order, ReloadPolicy, Searcher, TantivyDocument, Term, TERMINATED,
};

const SAMPLE: usize = 20_000;
const FIELDS: [(&str, f32); 5] = [
    ("name", 6.0),
    ("scope", 1.5),
    ("keywords", 3.0),
    ("description", 2.0),
    ("readme", 0.6),
];

fn schema() -> Schema {
    let mut sb = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    for (f, _) in FIELDS {
        sb.add_text_field(f, text.clone());
    }
    sb.add_u64_field("id", FAST | STORED);
    sb.add_i64_field("downloads", FAST);
    sb.add_i64_field("updated", FAST);
    sb.add_u64_field("kind", FAST | INDEXED);
    sb.add_u64_field("license", FAST);
    sb.add_u64_field("category", FAST | INDEXED);
    sb.add_u64_field("keyword", FAST);
    sb.build()
}

fn intern(map: &mut HashMap<String, u64>, v: &str) -> u64 {
    let n = map.len() as u64;
    *map.entry(v.to_string()).or_insert(n)
}

fn build(dir: &str, count: usize) -> tantivy::Result<()> {
    let t = Instant::now();
    let c = corpus::generate(count, 42);
    eprintln!("corpus in {:.1?}", t.elapsed());
    std::fs::create_dir_all(dir)?;
    // The bench's query mix, written beside the index so `query` need not generate the
    // corpus (which would inflate its RSS).
    let queries = corpus::queries(&c, 20_000, 42 ^ 0x5EA2C4);
    std::fs::write(format!("{dir}.queries"), queries.join("\n"))?;
    let schema = schema();
    let index = Index::create_in_dir(dir, schema.clone())?;
    let f = |n: &str| schema.get_field(n).unwrap();
    let (name, scope, kw, desc, readme) = (f("name"), f("scope"), f("keywords"), f("description"), f("readme"));
    let mut w: tantivy::IndexWriter = index.writer_with_num_threads(2, 300_000_000)?;
    let t = Instant::now();
    let (mut kinds, mut lics, mut cats, mut kws) = (HashMap::new(), HashMap::new(), HashMap::new(), HashMap::new());
    // Kinds and categories are interned in list order, so a filter maps a value to its id
    // by position (see `Engine::facet_id`).
    for k in corpus::KINDS {
        intern(&mut kinds, k);
    }
    for c in trove_core::categories::CATEGORIES {
        intern(&mut cats, c.slug);
    }
    for (i, p) in c.packages.iter().enumerate() {
        let mut d = TantivyDocument::default();
        // The name's words and the words run together (`markdown-parser` → `markdownparser`).
        let joined: String = p.name.split(|c: char| !c.is_alphanumeric()).collect();
        d.add_text(name, format!("{} {}", p.name, joined));
        d.add_text(scope, &p.scope);
        d.add_text(kw, p.keywords.join(" "));
        d.add_text(desc, &p.description);
        d.add_text(readme, &p.readme);
        d.add_u64(f("id"), i as u64);
        d.add_i64(f("downloads"), p.downloads);
        d.add_i64(f("updated"), i as i64);
        d.add_u64(f("kind"), intern(&mut kinds, p.kind));
        d.add_u64(f("license"), intern(&mut lics, p.license));
        for x in &p.categories {
            d.add_u64(f("category"), intern(&mut cats, x));
        }
        for x in &p.keywords {
            d.add_u64(f("keyword"), intern(&mut kws, x));
        }
        w.add_document(d)?;
    }
    w.commit()?;
    eprintln!("indexed in {:.1?}", t.elapsed());
    let ids = index.searchable_segment_ids()?;
    if ids.len() > 1 {
        w.merge(&ids).wait()?;
    }
    w.wait_merging_threads()?;
    eprintln!("built and merged in {:.1?}", t.elapsed());
    Ok(())
}

/// The typo/prefix dictionary: the words of names, keywords and descriptions (not READMEs,
/// not numbers), with document frequencies and a trigram index.
struct Dict {
    words: Vec<(String, Vec<char>, u32)>,
    sorted: BTreeMap<String, u32>,
    trigrams: HashMap<(u64, u16), Vec<u32>>,
    typos_always: bool,
}

fn trigrams(term: &str) -> Vec<u64> {
    let mut chars = vec!['\u{1}'];
    chars.extend(term.chars());
    chars.push('\u{1}');
    let mut out: Vec<u64> = chars
        .windows(3)
        .map(|w| ((w[0] as u64) << 42) | ((w[1] as u64) << 21) | w[2] as u64)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let (n, m) = (a.len(), b.len());
    let mut prev2 = vec![max + 1; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![max + 1; m + 1];
    for i in 1..=n {
        cur[0] = i;
        let mut row_min = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    (prev[m] <= max).then_some(prev[m])
}

impl Dict {
    fn load(searcher: &Searcher, fields: &[Field]) -> tantivy::Result<Dict> {
        let mut df: BTreeMap<String, u32> = BTreeMap::new();
        for seg in searcher.segment_readers() {
            for &f in fields {
                let inv = seg.inverted_index(f)?;
                let mut s = inv.terms().stream()?;
                while s.advance() {
                    let Ok(k) = std::str::from_utf8(s.key()) else { continue };
                    // No numbers and nothing with digits (`foo-bar-123` joined is `foobar123`,
                    // one per package at a million).
                    if k.bytes().any(|b| b.is_ascii_digit()) {
                        continue;
                    }
                    *df.entry(k.to_string()).or_default() += s.value().doc_freq;
                }
            }
        }
        let mut d = Dict {
            words: Vec::new(),
            sorted: BTreeMap::new(),
            trigrams: HashMap::new(),
            typos_always: std::env::var("SPIKE_TYPOS").is_ok_and(|v| v == "always"),
        };
        // Words of a single document are left out too: they name one package, which an
        // exact search finds, and they would make the dictionary as large as the registry.
        for (k, n) in df.into_iter().filter(|&(_, n)| n >= 2) {
            let i = d.words.len() as u32;
            let chars: Vec<char> = k.chars().collect();
            for g in trigrams(&k) {
                d.trigrams.entry((g, chars.len() as u16)).or_default().push(i);
            }
            d.sorted.insert(k.clone(), i);
            d.words.push((k, chars, n));
        }
        Ok(d)
    }

    /// (term, weight): the word, near words (one typo from 5 chars, two from 9), and for the
    /// last word the words it begins.
    fn expand(&self, word: &str, last: bool) -> Vec<(String, f32)> {
        let mut out = vec![(word.to_string(), 1.0)];
        let chars: Vec<char> = word.chars().collect();
        let typos = match chars.len() {
            0..=4 => 0,
            5..=8 => 1,
            _ => 2,
        };
        // Typos are only looked for when the word itself is not a known word of names,
        // keywords and descriptions (SPIKE_TYPOS=always: always, as the in-memory engine).
        let known = self.sorted.contains_key(word);
        if typos > 0 && (!known || self.typos_always) {
            let grams = trigrams(word);
            let mut shared: HashMap<u32, u16> = HashMap::new();
            for g in &grams {
                for len in chars.len().saturating_sub(typos)..=chars.len() + typos {
                    for &t in self
                        .trigrams
                        .get(&(*g, len as u16))
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                    {
                        *shared.entry(t).or_default() += 1;
                    }
                }
            }
            let need = grams.len().saturating_sub(4 * typos).max(1) as u16;
            let mut near: Vec<(usize, u32, u32)> = shared
                .into_iter()
                .filter(|&(t, n)| n >= need && self.words[t as usize].0 != word)
                .filter_map(|(t, _)| {
                    let w = &self.words[t as usize];
                    distance(&chars, &w.1, typos).map(|d| (d, w.2, t))
                })
                .collect();
            near.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            out.extend(
                near.into_iter()
                    .take(24)
                    .map(|(d, _, t)| (self.words[t as usize].0.clone(), if d == 1 { 0.45 } else { 0.25 })),
            );
        }
        if last && chars.len() >= 3 {
            let mut longer: Vec<(u32, u32)> = self
                .sorted
                .range::<str, _>((std::ops::Bound::Excluded(word), std::ops::Bound::Unbounded))
                .take(2000)
                .take_while(|(k, _)| k.starts_with(word))
                .map(|(_, &t)| (self.words[t as usize].2, t))
                .collect();
            longer.sort_unstable_by(|a, b| b.0.cmp(&a.0));
            for (_, t) in longer.into_iter().take(24) {
                let w = &self.words[t as usize].0;
                if !out.iter().any(|(x, _)| x == w) {
                    out.push((w.clone(), 0.7));
                }
            }
        }
        out
    }
}

struct Engine {
    reader: IndexReader,
    schema: Schema,
    dict: Dict,
    /// SPIKE_README=0: leave the README field out of queries (to measure what it costs).
    readme: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    TopK,
    Count,
    Facets,
}

impl Engine {
    fn open(dir: &str) -> tantivy::Result<Engine> {
        let index = Index::open_in_dir(dir)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let schema = index.schema();
        let fields: Vec<Field> = ["name", "keywords", "description"]
            .iter()
            .map(|f| schema.get_field(f).unwrap())
            .collect();
        let dict = Dict::load(&reader.searcher(), &fields)?;
        let readme = std::env::var("SPIKE_README").map_or(true, |v| v != "0");
        Ok(Engine {
            reader,
            schema,
            dict,
            readme,
        })
    }

    fn field(&self, n: &str) -> Field {
        self.schema.get_field(n).unwrap()
    }

    fn run(&self, qs: &str, mode: Mode) -> tantivy::Result<(usize, Vec<DocAddress>)> {
        let params: HashMap<&str, String> = qs
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k, v.replace('+', " ")))
            .collect();
        let page: usize = params.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let (offset, limit) = ((page - 1) * 20, 20);
        let words: Vec<String> = params
            .get("q")
            .map(|q| {
                q.split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (term, weight) in self.dict.expand(w, i + 1 == words.len()) {
                for (fname, fw) in FIELDS {
                    // README: the word itself only (no typo or prefix expansions there).
                    if fname == "readme" && (weight < 1.0 || !self.readme) {
                        continue;
                    }
                    let q = TermQuery::new(
                        Term::from_field_text(self.field(fname), &term),
                        IndexRecordOption::WithFreqs,
                    );
                    should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), fw * weight))));
                }
            }
            must.push((Occur::Must, Box::new(BooleanQuery::new(should))));
        }
        let searcher = self.reader.searcher();
        if let Some(k) = params.get("kind") {
            let id = facet_id("kind", k);
            must.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_u64(self.field("kind"), id),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if let Some(c) = params.get("category") {
            let id = facet_id("category", c);
            must.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_u64(self.field("category"), id),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let query: Box<dyn Query> = match must.len() {
            0 => Box::new(AllQuery),
            1 if params.get("kind").is_none() && params.get("category").is_none() => {
                // One word: its disjunction alone, so block-max WAND applies.
                let (_, q) = must.pop().unwrap();
                q
            }
            _ => Box::new(BooleanQuery::new(must)),
        };
        let top = TopDocs::with_limit(limit).and_offset(offset);
        let sort = params.get("sort").map(String::as_str).unwrap_or("relevance");
        let hits: Vec<DocAddress> = match sort {
            "downloads" => searcher
                .search(
                    query.as_ref(),
                    &top.order_by_fast_field::<i64>("downloads", Order::Desc),
                )?
                .into_iter()
                .map(|x| x.1)
                .collect(),
            "recent" => searcher
                .search(query.as_ref(), &top.order_by_fast_field::<i64>("updated", Order::Desc))?
                .into_iter()
                .map(|x| x.1)
                .collect(),
            _ => searcher
                .search(query.as_ref(), &top)?
                .into_iter()
                .map(|x| x.1)
                .collect(),
        };
        let mut total = 0;
        if mode != Mode::TopK {
            total = searcher.search(query.as_ref(), &Count)?;
        }
        if mode == Mode::Facets {
            // Facet counts over the first SAMPLE matches (in index order).
            let weight = query.weight(EnableScoring::disabled_from_searcher(&searcher))?;
            let mut counts = [vec![0u32; 64], vec![0u32; 64], vec![0u32; 64], vec![0u32; 256]];
            let mut n = 0;
            for seg in searcher.segment_readers() {
                let ff = seg.fast_fields();
                let cols = [
                    ff.u64("kind")?,
                    ff.u64("license")?,
                    ff.u64("category")?,
                    ff.u64("keyword")?,
                ];
                let mut s = weight.scorer(seg, 1.0)?;
                let mut doc = s.doc();
                while doc != TERMINATED && n < SAMPLE {
                    for (c, col) in counts.iter_mut().zip(&cols) {
                        for v in col.values_for_doc(doc) {
                            if let Some(x) = c.get_mut(v as usize) {
                                *x += 1;
                            }
                        }
                    }
                    n += 1;
                    doc = s.advance();
                }
            }
            std::hint::black_box(counts);
        }
        Ok((total, hits))
    }
}

/// The id the build gave a kind or category (interned in list order).
fn facet_id(field: &str, value: &str) -> u64 {
    match field {
        "kind" => corpus::KINDS.iter().position(|k| *k == value).unwrap_or(0) as u64,
        _ => trove_core::categories::CATEGORIES
            .iter()
            .position(|c| c.slug == value)
            .unwrap_or(0) as u64,
    }
}

fn rss() -> String {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .filter(|l| {
            l.starts_with("VmRSS") || l.starts_with("VmHWM") || l.starts_with("RssAnon") || l.starts_with("RssFile")
        })
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

fn report(label: &str, mut ms: Vec<f64>, wall: f64) {
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1];
    println!(
        "{label}: n={} p50={:.2}ms p95={:.2}ms p99={:.2}ms max={:.2}ms throughput={:.0}/s",
        ms.len(),
        pct(0.5),
        pct(0.95),
        pct(0.99),
        ms[ms.len() - 1],
        ms.len() as f64 / wall
    );
}

fn query(dir: &str, n: usize) -> tantivy::Result<()> {
    let t = Instant::now();
    let engine = Engine::open(dir)?;
    println!(
        "opened index and loaded the typo dictionary ({} words) in {:.2?}; {}",
        engine.dict.words.len(),
        t.elapsed(),
        rss()
    );
    let queries: Vec<String> = std::fs::read_to_string(format!("{dir}.queries"))?
        .lines()
        .take(n + 300)
        .map(String::from)
        .collect();
    for q in &queries[..300] {
        engine.run(q, Mode::Facets)?;
    }
    let (total, hits) = engine.run("q=markdwn", Mode::Count)?;
    let ids: Vec<u64> = hits
        .iter()
        .take(3)
        .map(|a| {
            let d: TantivyDocument = engine.reader.searcher().doc(*a).unwrap();
            d.get_first(engine.field("id")).and_then(|v| v.as_u64()).unwrap()
        })
        .collect();
    println!("sample: q=markdwn → total {total}, first ids {ids:?}");
    let measured = &queries[300..];
    for mode in [Mode::TopK, Mode::Count, Mode::Facets] {
        for clients in [1usize, 4] {
            let t = Instant::now();
            let all: Vec<Vec<(f64, String)>> = std::thread::scope(|s| {
                let hs: Vec<_> = (0..clients)
                    .map(|cl| {
                        let engine = &engine;
                        s.spawn(move || {
                            measured
                                .iter()
                                .skip(cl)
                                .step_by(clients)
                                .map(|q| {
                                    let t = Instant::now();
                                    engine.run(q, mode).unwrap();
                                    (t.elapsed().as_secs_f64() * 1000.0, q.clone())
                                })
                                .collect()
                        })
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let wall = t.elapsed().as_secs_f64();
            let mut flat: Vec<(f64, String)> = all.into_iter().flatten().collect();
            let label = format!(
                "{} {} thread(s)",
                match mode {
                    Mode::TopK => "page only         ",
                    Mode::Count => "page + exact total",
                    Mode::Facets => "page+total+facets ",
                },
                clients
            );
            report(&label, flat.iter().map(|x| x.0).collect(), wall);
            if std::env::var_os("SPIKE_SLOWEST").is_some() {
                flat.sort_by(|a, b| b.0.total_cmp(&a.0));
                for (t, q) in flat.iter().take(8) {
                    println!("    {t:.2}ms {q}");
                }
            }
        }
    }
    println!("after queries: {}", rss());
    Ok(())
}

fn main() -> tantivy::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    match args.get(1).map(String::as_str) {
        Some("build") => build(&args[2], count),
        Some("query") => query(&args[2], args.get(4).and_then(|s| s.parse().ok()).unwrap_or(3000)),
        _ => {
            eprintln!("usage: trove-search-spike build DIR COUNT | query DIR COUNT [QUERIES]");
            std::process::exit(2)
        }
    }
}
