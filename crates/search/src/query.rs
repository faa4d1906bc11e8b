//! Queries: term expansion (exact, typo, prefix), field-weighted BM25 scoring, access and
//! facet filters, facet counts, sorting and pagination.

use crate::fuzzy;
use crate::index::{FacetField, Index, Meta, NONE};
use crate::text::{for_each_token, is_stopword, normalize_name};
use std::cmp::Ordering;
use std::collections::HashSet;

/// Score multipliers for a term reached by a typo or as a prefix of the last query word.
const ONE_TYPO: f32 = 0.45;
const TWO_TYPOS: f32 = 0.25;
const PREFIX: f32 = 0.7;
/// Most expansions per query word, and most query words used.
const MAX_EXPANSIONS: usize = 24;
const MAX_PREFIX_SCAN: usize = 2_000;
const MAX_QUERY_TERMS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Exact name matches first, then by score (and downloads, then name, on ties).
    #[default]
    Relevance,
    /// Most downloaded first.
    Downloads,
    /// Most recently updated first.
    Recent,
    /// By package name, then scope.
    Name,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "relevance" => Some(Sort::Relevance),
            "downloads" => Some(Sort::Downloads),
            "recent" => Some(Sort::Recent),
            "name" => Some(Sort::Name),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Downloads => "downloads",
            Sort::Recent => "recent",
            Sort::Name => "name",
        }
    }
}

/// What to look for. Filters match facet values exactly; a filter may list several values
/// separated by commas, any of which matches (`npm,cargo`).
#[derive(Debug, Clone)]
pub struct Query<'a> {
    /// Free text; empty lists everything that passes the filters.
    pub text: &'a str,
    pub ecosystem: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub category: Option<&'a str>,
    pub license: Option<&'a str>,
    pub keyword: Option<&'a str>,
    /// Only documents of this namespace (a registry that serves one namespace, as each
    /// Cargo registry does), so that totals and facets count that namespace alone.
    pub namespace: Option<i64>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// Most values returned per facet.
    pub facet_limit: usize,
}

impl Default for Query<'_> {
    fn default() -> Self {
        Query {
            text: "",
            ecosystem: None,
            kind: None,
            category: None,
            license: None,
            keyword: None,
            namespace: None,
            sort: Sort::Relevance,
            offset: 0,
            limit: 20,
            facet_limit: 20,
        }
    }
}

/// Which private documents the caller may see (public ones are always visible).
#[derive(Default)]
pub struct Access {
    /// Every private document (site admins).
    pub all: bool,
    /// Private documents in these namespaces.
    pub namespaces: HashSet<i64>,
    /// These private documents.
    pub packages: HashSet<i64>,
    /// A further limit on private documents by full name (`scope/name`), e.g. a token's
    /// package patterns.
    pub name_filter: Option<NameFilter>,
}

/// Decides by full name (`scope/name`) whether a private document may be returned.
pub type NameFilter = Box<dyn Fn(&str) -> bool + Send + Sync>;

impl Access {
    /// Public documents only.
    pub fn public() -> Self {
        Access::default()
    }
    /// Everything.
    pub fn all() -> Self {
        Access {
            all: true,
            ..Access::default()
        }
    }
    fn allows(&self, ix: &Index, d: u32, m: &Meta) -> bool {
        if !m.private {
            return true;
        }
        let (id, namespace) = (ix.ids[d as usize], ix.namespaces[d as usize]);
        (self.all || self.namespaces.contains(&namespace) || self.packages.contains(&id))
            && self
                .name_filter
                .as_ref()
                .is_none_or(|f| ix.private_name(d).is_some_and(f))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: i64,
    /// The relevance score (0 for an empty query).
    pub score: f32,
}

/// Facet values with their counts over all results, most frequent first (ties by value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub ecosystem: Vec<(String, u32)>,
    pub kind: Vec<(String, u32)>,
    pub category: Vec<(String, u32)>,
    pub license: Vec<(String, u32)>,
    pub keyword: Vec<(String, u32)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResult {
    /// Number of matching documents the caller may see.
    pub total: usize,
    /// The requested page.
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

/// A term of the vocabulary a query word reaches, with its weight.
#[derive(Debug, Clone)]
struct Expansion {
    term: String,
    weight: f32,
}

#[derive(Clone, Copy)]
struct Candidate {
    doc: u32,
    exact: bool,
    score: f32,
    /// The sort's key, ascending: see [`Index::sort_key`].
    key: u64,
}

impl Index {
    /// Runs a query for a caller.
    pub fn search(&self, q: &Query<'_>, access: &Access) -> SearchResult {
        SCRATCH.with(|scratch| self.search_with(q, access, &mut scratch.borrow_mut()))
    }

    fn search_with(&self, q: &Query<'_>, access: &Access, scratch: &mut Scratch) -> SearchResult {
        let filters = match self.resolve_filters(q) {
            Some(f) => f,
            None => return SearchResult::default(),
        };
        let passes = |d: u32| {
            let m = &self.meta[d as usize];
            m.alive
                && filters.matches(self, d, m)
                && q.namespace.is_none_or(|ns| self.namespaces[d as usize] == ns)
                && access.allows(self, d, m)
        };
        // A query that panicked half-way left its buffers dirty: start them afresh.
        if scratch.dirty {
            *scratch = Scratch::default();
        }
        scratch.dirty = true;
        let mut counts = std::mem::take(&mut scratch.facets);
        counts.prepare(self);
        let mut cands = std::mem::take(&mut scratch.cands);
        cands.clear();
        let mut push = |cands: &mut Vec<Candidate>, d: u32, score: f32, exact: bool| {
            counts.add(self, d);
            cands.push(Candidate {
                doc: d,
                exact,
                score,
                key: self.sort_key(q.sort, d),
            });
        };

        let words = query_words(q.text);
        let exact_key = normalize_name(q.text);
        if words.is_empty() && exact_key.is_empty() {
            for d in 0..self.meta.len() as u32 {
                if passes(d) {
                    push(&mut cands, d, 0.0, false);
                }
            }
        } else {
            let expansions: Vec<Vec<Expansion>> = words
                .iter()
                .enumerate()
                .map(|(i, w)| self.expand(w, i + 1 == words.len()))
                .filter(|e| !e.is_empty())
                .collect();
            self.score(&expansions, access, scratch);
            let scored = &*scratch;
            let exact: Vec<u32> = self.exact_matches(&exact_key);
            // The words some document the caller may see matches: a word only private
            // documents match counts as unknown, so that they change nothing the caller sees.
            let required: u16 = scored.visible;
            let words_known = required.count_ones();
            let mut exact_seen = vec![false; exact.len()];
            let mut collect = |fallback: bool, cands: &mut Vec<Candidate>| {
                for &d in &scored.touched {
                    let (score, mask) = (scored.total[d as usize], scored.mask[d as usize]);
                    if (fallback || mask == required) && passes(d) {
                        let share = if fallback {
                            (mask & required).count_ones() as f32 / words_known as f32
                        } else {
                            1.0
                        };
                        let is_exact = match exact.iter().position(|&e| e == d) {
                            Some(i) => {
                                exact_seen[i] = true;
                                true
                            }
                            None => false,
                        };
                        push(cands, d, score * share * self.meta[d as usize].popularity, is_exact);
                    }
                }
            };
            collect(false, &mut cands);
            // Every word must match; when no document has them all, fall back to any word,
            // scored by the share of words matched.
            if cands.is_empty() && words_known > 1 && !exact.iter().any(|&d| passes(d)) {
                collect(true, &mut cands);
            }
            for (i, &d) in exact.iter().enumerate() {
                if !exact_seen[i] && passes(d) {
                    push(&mut cands, d, 0.0, true);
                }
            }
        }

        let facets = counts.top(self, q.facet_limit);
        scratch.facets = counts;
        let total = cands.len();
        let end = q.offset.saturating_add(q.limit).min(total);
        let hits = if q.offset >= end {
            Vec::new()
        } else {
            let cmp = |a: &Candidate, b: &Candidate| self.compare(q.sort, a, b);
            if end < cands.len() {
                cands.select_nth_unstable_by(end - 1, cmp);
                cands.truncate(end);
            }
            cands.sort_unstable_by(cmp);
            cands[q.offset..end]
                .iter()
                .map(|c| Hit {
                    id: self.ids[c.doc as usize],
                    score: c.score,
                })
                .collect()
        };
        scratch.reset();
        scratch.cands = cands;
        scratch.dirty = false;
        SearchResult { total, hits, facets }
    }

    /// A key whose ascending order is the sort's order (before ties): downloads and times
    /// descending, names ascending; for relevance, downloads break score ties.
    fn sort_key(&self, sort: Sort, d: u32) -> u64 {
        let m = &self.meta[d as usize];
        let desc = |v: i64| u64::MAX - (v as u64 ^ (1 << 63));
        match sort {
            Sort::Relevance | Sort::Downloads => desc(m.downloads),
            Sort::Recent => desc(m.updated_at),
            Sort::Name => self.name_keys[d as usize],
        }
    }

    /// The vocabulary terms a query word reaches: itself, words within the typo budget, and
    /// for the last word (search as you type) words it begins.
    fn expand(&self, word: &str, last: bool) -> Vec<Expansion> {
        let mut out: Vec<Expansion> = Vec::new();
        if self.doc_freq(word) > 0 {
            out.push(Expansion {
                term: word.to_string(),
                weight: 1.0,
            });
        }
        let chars: Vec<char> = word.chars().collect();
        let typos = fuzzy::max_typos(chars.len());
        if typos > 0 {
            let mut near: Vec<(usize, u32, String)> = self
                .terms_near(word, typos as u8)
                .into_iter()
                .filter(|(t, df)| t != word && *df > 0)
                .filter_map(|(t, df)| {
                    let tc: Vec<char> = t.chars().collect();
                    let d = fuzzy::distance(&chars, &tc, typos)?;
                    Some((d, df, t))
                })
                .collect();
            near.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then_with(|| a.2.cmp(&b.2)));
            out.extend(near.into_iter().take(MAX_EXPANSIONS).map(|(d, _, t)| Expansion {
                term: t,
                weight: if d == 1 { ONE_TYPO } else { TWO_TYPOS },
            }));
        }
        if last && chars.len() >= 3 {
            let mut longer: Vec<(u32, String)> = self
                .terms_with_prefix(word, MAX_PREFIX_SCAN)
                .into_iter()
                .map(|(t, n)| (n, t))
                .filter(|&(n, _)| n > 0)
                .collect();
            longer.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            for (_, t) in longer.into_iter().take(MAX_EXPANSIONS) {
                match out.iter_mut().find(|e| e.term == t) {
                    Some(e) => e.weight = e.weight.max(PREFIX),
                    None => out.push(Expansion {
                        term: t,
                        weight: PREFIX,
                    }),
                }
            }
        }
        out
    }

    /// Scores every document reached by some word into `scratch`: for each word the best
    /// of its expansions, summed over words, and the mask of words matched.
    /// Document frequencies count public documents only, and `visible` gets the words that
    /// reach a document `access` admits, so private documents never change how public ones
    /// are scored or matched.
    fn score(&self, words: &[Vec<Expansion>], access: &Access, scratch: &mut Scratch) {
        let n = self.meta.len();
        scratch.reset();
        if scratch.total.len() < n {
            scratch.total.resize(n, 0.0);
            scratch.mask.resize(n, 0);
            scratch.cur.resize(n, 0.0);
        }
        if scratch.acc.len() < n {
            scratch.acc.resize(n, 0.0);
        }
        let live = self.public.max(1) as f32;
        scratch.visible = 0;
        let Scratch {
            total,
            mask,
            cur,
            acc,
            touched,
            touched_word,
            touched_term,
            visible,
            ..
        } = scratch;
        for (i, expansions) in words.iter().enumerate() {
            for e in expansions {
                // The term's impact per document, summed over the fields it is in.
                self.for_each_posting(&e.term, |d, field, tf, len| {
                    let a = &mut acc[d as usize];
                    if *a == 0.0 {
                        touched_term.push(d);
                    }
                    *a += Index::impact(field, tf, len);
                });
                let df = touched_term.iter().filter(|&&d| !self.meta[d as usize].private).count() as f32;
                let idf = (1.0 + (live - df + 0.5) / (df + 0.5)).ln().max(0.01);
                let w = e.weight * idf;
                for d in touched_term.drain(..) {
                    let impact = std::mem::take(&mut acc[d as usize]);
                    // Positive, so zero means "not reached by this word yet".
                    let s = (w * impact).max(f32::MIN_POSITIVE);
                    let c = &mut cur[d as usize];
                    if *c == 0.0 {
                        touched_word.push(d);
                    }
                    if s > *c {
                        *c = s;
                    }
                }
            }
            for d in touched_word.drain(..) {
                let d_us = d as usize;
                if *visible & (1 << i) == 0 && access.allows(self, d, &self.meta[d_us]) {
                    *visible |= 1 << i;
                }
                if mask[d_us] == 0 {
                    touched.push(d);
                }
                mask[d_us] |= 1 << i;
                total[d_us] += cur[d_us];
                cur[d_us] = 0.0;
            }
        }
    }

    fn compare(&self, sort: Sort, a: &Candidate, b: &Candidate) -> Ordering {
        let by_name = || {
            let first = if sort == Sort::Name {
                self.name_norm(a.doc).cmp(self.name_norm(b.doc))
            } else {
                Ordering::Equal
            };
            let ecosystem =
                |d: u32| &self.facets[FacetField::Ecosystem as usize].values[self.meta[d as usize].ecosystem as usize];
            first
                .then_with(|| self.full_norm[a.doc as usize].cmp(&self.full_norm[b.doc as usize]))
                .then_with(|| ecosystem(a.doc).cmp(ecosystem(b.doc)))
        };
        match sort {
            Sort::Relevance => b
                .exact
                .cmp(&a.exact)
                .then(b.score.total_cmp(&a.score))
                .then(a.key.cmp(&b.key))
                .then_with(by_name),
            Sort::Downloads | Sort::Recent | Sort::Name => a.key.cmp(&b.key).then_with(by_name),
        }
    }

    /// Interned ids of the filter values (a filter may list several values, separated by
    /// commas: any of them matches); `None` when no value of a filter is known (nothing
    /// matches).
    fn resolve_filters(&self, q: &Query<'_>) -> Option<Filters> {
        let get = |f: FacetField, v: Option<&str>| -> Option<Option<Vec<u32>>> {
            match v {
                None => Some(None),
                Some(v) => {
                    let ids: Vec<u32> = v
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .filter_map(|v| self.facets[f as usize].get(v))
                        .collect();
                    (!ids.is_empty()).then_some(Some(ids))
                }
            }
        };
        Some(Filters {
            ecosystem: get(FacetField::Ecosystem, q.ecosystem)?,
            kind: get(FacetField::Kind, q.kind)?,
            category: get(FacetField::Category, q.category)?,
            license: get(FacetField::License, q.license)?,
            keyword: get(FacetField::Keyword, q.keyword)?,
        })
    }
}

/// Per facet, the values of which a document must have one (`None`: no filter).
struct Filters {
    ecosystem: Option<Vec<u32>>,
    kind: Option<Vec<u32>>,
    category: Option<Vec<u32>>,
    license: Option<Vec<u32>>,
    keyword: Option<Vec<u32>>,
}

impl Filters {
    fn matches(&self, ix: &Index, d: u32, m: &Meta) -> bool {
        self.ecosystem
            .as_ref()
            .is_none_or(|vs| vs.contains(&(m.ecosystem as u32)))
            && self.kind.as_ref().is_none_or(|vs| vs.contains(&(m.kind as u32)))
            && self.license.as_ref().is_none_or(|vs| vs.contains(&m.license))
            && self.category.as_ref().is_none_or(|vs| {
                let cats = ix.categories(d);
                vs.iter().any(|&v| cats.contains(v))
            })
            && self
                .keyword
                .as_ref()
                .is_none_or(|vs| ix.keywords(d).iter().any(|k| vs.contains(k)))
    }
}

/// Per-thread buffers reused across queries, so a query over a hundred thousand documents
/// allocates (and faults in) no fresh memory.
#[derive(Default)]
struct Scratch {
    total: Vec<f32>,
    mask: Vec<u16>,
    cur: Vec<f32>,
    /// One term's impact per document, summed over fields.
    acc: Vec<f32>,
    /// Documents with a non-zero `total` / `mask`.
    touched: Vec<u32>,
    touched_word: Vec<u32>,
    touched_term: Vec<u32>,
    facets: FacetCounter,
    /// Words of the last query that reach a document the caller may see (bit per word).
    visible: u16,
    /// Set while a query uses the buffers.
    dirty: bool,
    cands: Vec<Candidate>,
}

impl Scratch {
    /// Zeroes what the last query wrote (only where it wrote).
    fn reset(&mut self) {
        for &d in &self.touched {
            self.total[d as usize] = 0.0;
            self.mask[d as usize] = 0;
        }
        self.touched.clear();
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Facet counts over the candidates, gathered as they are found. Kept per thread with the
/// other scratch buffers: only the values a query counted are read back and reset, so a
/// query costs nothing per facet value it does not meet.
#[derive(Default)]
struct FacetCounter {
    counts: [Vec<u32>; 5],
    /// Values with a non-zero count, per facet.
    seen: [Vec<u32>; 5],
}

impl FacetCounter {
    fn prepare(&mut self, ix: &Index) {
        for f in 0..5 {
            let n = ix.facets[f].values.len();
            if self.counts[f].len() < n {
                self.counts[f].resize(n, 0);
            }
        }
    }

    fn bump(&mut self, f: FacetField, v: u32) {
        let c = &mut self.counts[f as usize][v as usize];
        if *c == 0 {
            self.seen[f as usize].push(v);
        }
        *c += 1;
    }

    fn add(&mut self, ix: &Index, d: u32) {
        let m = &ix.meta[d as usize];
        self.bump(FacetField::Ecosystem, m.ecosystem as u32);
        self.bump(FacetField::Kind, m.kind as u32);
        if m.license != NONE {
            self.bump(FacetField::License, m.license);
        }
        ix.categories(d).for_each(|v| self.bump(FacetField::Category, v));
        for &v in ix.keywords(d) {
            self.bump(FacetField::Keyword, v);
        }
    }

    /// The `limit` most frequent values per facet (ties by value); resets the counts.
    fn top(&mut self, ix: &Index, limit: usize) -> Facets {
        let mut top = |f: FacetField| -> Vec<(String, u32)> {
            let values = &ix.facets[f as usize].values;
            let counts = &mut self.counts[f as usize];
            let mut list: Vec<(u32, u32)> = self.seen[f as usize]
                .drain(..)
                .map(|v| (v, std::mem::take(&mut counts[v as usize])))
                .collect();
            if limit == 0 {
                return Vec::new();
            }
            let cmp = |a: &(u32, u32), b: &(u32, u32)| {
                b.1.cmp(&a.1)
                    .then_with(|| values[a.0 as usize].cmp(&values[b.0 as usize]))
            };
            if limit < list.len() {
                list.select_nth_unstable_by(limit - 1, cmp);
                list.truncate(limit);
            }
            list.sort_unstable_by(cmp);
            list.into_iter().map(|(v, n)| (values[v as usize].clone(), n)).collect()
        };
        Facets {
            ecosystem: top(FacetField::Ecosystem),
            kind: top(FacetField::Kind),
            category: top(FacetField::Category),
            license: top(FacetField::License),
            keyword: top(FacetField::Keyword),
        }
    }
}

/// The words of a query: tokens, deduplicated, stop words dropped unless nothing else is
/// left, at most [`MAX_QUERY_TERMS`].
fn query_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for_each_token(text, |t| {
        if !words.iter().any(|w| w == t) {
            words.push(t.to_string());
        }
    });
    if words.iter().any(|w| !is_stopword(w)) {
        words.retain(|w| !is_stopword(w));
    }
    words.truncate(MAX_QUERY_TERMS);
    words
}
