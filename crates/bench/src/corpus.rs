//! A deterministic synthetic corpus of packages and a mix of search queries over it.
//!
//! Names, descriptions and keywords draw on a list of real technical words, so queries such
//! as `http client` or `markdwn` behave as on a real registry; READMEs add English filler and
//! 20,000 invented words, so the vocabulary is as large as a real one.

use trove_core::categories::CATEGORIES;

/// SplitMix64: small, fast, and the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// Skewed towards the front of a list (roughly Zipf).
    pub fn skewed(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

pub const TECH: &[&str] = &[
    "markdown",
    "parser",
    "json",
    "yaml",
    "toml",
    "http",
    "client",
    "server",
    "async",
    "runtime",
    "crypto",
    "hash",
    "cli",
    "terminal",
    "color",
    "logger",
    "logging",
    "database",
    "sql",
    "postgres",
    "sqlite",
    "redis",
    "cache",
    "queue",
    "image",
    "audio",
    "video",
    "model",
    "agent",
    "embedding",
    "vector",
    "search",
    "index",
    "graph",
    "tree",
    "math",
    "matrix",
    "tensor",
    "neural",
    "network",
    "socket",
    "websocket",
    "grpc",
    "protobuf",
    "serializer",
    "config",
    "environment",
    "testing",
    "mock",
    "benchmark",
    "template",
    "html",
    "css",
    "framework",
    "router",
    "authentication",
    "oauth",
    "token",
    "password",
    "encryption",
    "compression",
    "archive",
    "filesystem",
    "watcher",
    "datetime",
    "calendar",
    "uuid",
    "random",
    "regex",
    "string",
    "unicode",
    "font",
    "renderer",
    "widget",
    "window",
    "game",
    "physics",
    "sensor",
    "firmware",
    "driver",
    "serial",
    "bluetooth",
    "wasm",
    "plugin",
    "macro",
    "derive",
    "error",
    "retry",
    "ratelimit",
    "metrics",
    "tracing",
    "monitor",
    "deploy",
    "container",
    "kubernetes",
    "cloud",
    "storage",
    "backup",
    "sync",
    "diff",
    "patch",
    "git",
    "semver",
    "package",
    "build",
    "linter",
    "formatter",
    "documentation",
    "locale",
    "currency",
    "geospatial",
    "csv",
    "spreadsheet",
    "pdf",
    "email",
    "smtp",
    "dns",
    "proxy",
    "tls",
    "certificate",
    "scheduler",
    "cron",
    "workflow",
    "pipeline",
    "stream",
    "buffer",
    "allocator",
    "memory",
    "thread",
    "channel",
    "actor",
    "scraper",
    "crawler",
    "tokenizer",
    "transformer",
    "classifier",
    "dataset",
    "dataframe",
    "plotting",
    "chart",
    "dashboard",
    "notebook",
    "kernel",
    "compiler",
    "interpreter",
    "language",
    "syntax",
    "highlighter",
    "editor",
    "completion",
    "validation",
    "schema",
    "migration",
    "orm",
    "query",
    "builder",
    "generator",
    "scaffold",
    "starter",
    "snapshot",
    "fixture",
    "assertion",
    "coverage",
];

pub const ENGLISH: &[&str] = &[
    "the",
    "a",
    "and",
    "to",
    "of",
    "for",
    "with",
    "in",
    "is",
    "it",
    "this",
    "that",
    "you",
    "can",
    "use",
    "on",
    "your",
    "be",
    "by",
    "from",
    "as",
    "fast",
    "simple",
    "small",
    "easy",
    "safe",
    "modern",
    "lightweight",
    "library",
    "tool",
    "support",
    "features",
    "install",
    "example",
    "usage",
    "run",
    "add",
    "see",
    "more",
    "data",
    "works",
    "based",
    "written",
    "also",
    "new",
    "without",
    "any",
    "all",
    "one",
    "each",
    "which",
    "when",
    "api",
    "code",
    "project",
    "version",
    "license",
    "contributing",
    "read",
    "write",
    "file",
    "files",
    "default",
    "option",
    "options",
    "set",
];

pub const LICENSES: &[&str] = &[
    "MIT",
    "Apache-2.0",
    "MIT OR Apache-2.0",
    "BSD-3-Clause",
    "ISC",
    "MPL-2.0",
    "GPL-3.0-only",
    "Unlicense",
];

pub const KINDS: &[&str] = &[
    "library", "library", "library", "library", "module", "plugin", "model", "agent", "template", "other",
];

/// Invented words: consonant–vowel syllables.
pub fn pseudo_words(n: usize, rng: &mut Rng) -> Vec<String> {
    const C: &[&str] = &[
        "b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr", "ch", "sh",
    ];
    const V: &[&str] = &["a", "e", "i", "o", "u", "ai", "ou", "ee"];
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let syllables = 2 + rng.below(3);
        let mut w = String::new();
        for _ in 0..syllables {
            let (c, v): (&&str, &&str) = (rng.pick(C), rng.pick(V));
            w.push_str(c);
            w.push_str(v);
        }
        if rng.chance(30) {
            let c: &&str = rng.pick(C);
            w.push_str(c);
        }
        if seen.insert(w.clone()) {
            out.push(w);
        }
    }
    out
}

/// One synthetic package.
#[derive(Debug, Clone)]
pub struct Package {
    pub scope: String,
    pub name: String,
    pub kind: &'static str,
    pub description: String,
    pub license: &'static str,
    pub keywords: Vec<String>,
    pub categories: Vec<String>,
    pub readme: String,
    pub downloads: i64,
}

#[derive(Default)]
pub struct Corpus {
    pub scopes: Vec<String>,
    pub packages: Vec<Package>,
}

/// `count` packages over `count / 50` scopes (at least one).
pub fn generate(count: usize, seed: u64) -> Corpus {
    let mut rng = Rng::new(seed);
    let pseudo = pseudo_words(20_000, &mut rng);
    let scopes: Vec<String> = (0..(count / 50).max(1)).map(|i| format!("user-{i:05}")).collect();
    let mut names = std::collections::HashSet::new();
    let mut packages = Vec::with_capacity(count);
    for i in 0..count {
        let scope = scopes[rng.below(scopes.len())].clone();
        let base = match rng.below(4) {
            0 => format!("{}-{}", rng.pick(TECH), rng.pick(TECH)),
            1 => format!("{}-{}", pseudo[rng.skewed(pseudo.len())], rng.pick(TECH)),
            2 => format!("{}-{}", rng.pick(TECH), pseudo[rng.skewed(pseudo.len())]),
            _ => pseudo[rng.below(pseudo.len())].clone(),
        };
        let mut name = base.clone();
        if trove_core::PackageName::parse(&name).is_err() || !names.insert(name.clone()) {
            name = format!("{base}-{i}");
            names.insert(name.clone());
        }
        let mut words = Vec::new();
        for _ in 0..6 + rng.below(9) {
            words.push(match rng.below(3) {
                0 => TECH[rng.skewed(TECH.len())].to_string(),
                1 => ENGLISH[rng.skewed(ENGLISH.len())].to_string(),
                _ => pseudo[rng.skewed(pseudo.len())].clone(),
            });
        }
        let description = words.join(" ");
        let keywords: Vec<String> =
            (0..1 + rng.below(5))
                .map(|_| rng.pick(TECH).to_string())
                .fold(Vec::new(), |mut v, k| {
                    if !v.contains(&k) {
                        v.push(k)
                    }
                    v
                });
        let categories: Vec<String> = (0..1 + rng.below(2))
            .map(|_| rng.pick(CATEGORIES).slug.to_string())
            .fold(Vec::new(), |mut v, c| {
                if !v.contains(&c) {
                    v.push(c)
                }
                v
            });
        let mut readme = format!("# {name}\n\n{description}.\n\n");
        for j in 0..50 + rng.below(350) {
            readme.push_str(&match rng.below(10) {
                0..=4 => ENGLISH[rng.skewed(ENGLISH.len())].to_string(),
                5..=6 => TECH[rng.skewed(TECH.len())].to_string(),
                _ => pseudo[rng.skewed(pseudo.len())].clone(),
            });
            readme.push(if j % 12 == 11 { '\n' } else { ' ' });
        }
        let downloads = 10f64.powf(rng.below(6_000) as f64 / 1_000.0) as i64 - 1;
        packages.push(Package {
            scope,
            name,
            kind: KINDS[rng.below(KINDS.len())],
            description,
            license: LICENSES[rng.skewed(LICENSES.len())],
            keywords,
            categories,
            readme,
            downloads,
        });
    }
    Corpus { scopes, packages }
}

/// A mix of queries as `/api/v1/search?…` query strings: single words, two words, typos,
/// exact names, prefixes, filtered and sorted searches, and browsing without text.
pub fn queries(corpus: &Corpus, n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let q = match rng.below(20) {
            0..=6 => format!("q={}", rng.pick(TECH)),
            7..=9 => format!("q={}+{}", rng.pick(TECH), rng.pick(TECH)),
            10..=12 => {
                let w = loop {
                    let w = rng.pick(TECH);
                    if w.len() >= 5 {
                        break *w;
                    }
                };
                format!("q={}", typo(w, &mut rng))
            }
            13..=14 => {
                let p = rng.pick(&corpus.packages);
                format!("q={}", p.name)
            }
            15..=16 => {
                let w = rng.pick(TECH);
                format!("q={}", &w[..w.len().min(3 + rng.below(3))])
            }
            17 => format!("q={}&category={}", rng.pick(TECH), rng.pick(CATEGORIES).slug),
            18 => format!("q={}&sort=downloads&page=2", rng.pick(TECH)),
            _ => format!("sort=recent&kind={}", rng.pick(KINDS)),
        };
        out.push(q);
    }
    out
}

/// One edit: drop, double, swap or replace a letter (not the first).
fn typo(w: &str, rng: &mut Rng) -> String {
    let mut c: Vec<char> = w.chars().collect();
    let i = 1 + rng.below(c.len() - 2);
    match rng.below(4) {
        0 => {
            c.remove(i);
        }
        1 => c.insert(i, c[i]),
        2 => c.swap(i, i + 1),
        _ => c[i] = if c[i] == 'e' { 'a' } else { 'e' },
    }
    c.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_is_deterministic_and_names_are_unique() {
        let a = generate(500, 7);
        let b = generate(500, 7);
        assert_eq!(
            a.packages.iter().map(|p| &p.name).collect::<Vec<_>>(),
            b.packages.iter().map(|p| &p.name).collect::<Vec<_>>()
        );
        let mut names: Vec<_> = a.packages.iter().map(|p| (&p.scope, &p.name)).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 500);
        for p in &a.packages {
            trove_core::name::parse_full(&format!("{}/{}", p.scope, p.name)).unwrap();
            assert!(p.keywords.len() <= 5 && p.categories.len() <= 5);
        }
        assert_eq!(queries(&a, 100, 1).len(), 100);
    }
}
