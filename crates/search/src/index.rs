//! The index: documents in slots, an inverted index from terms to scored postings, a
//! trigram index over the vocabulary, and interned facet values.
//!
//! Each posting carries the document's field-weighted BM25 term weight ("impact"), computed
//! when the document is indexed from its own field lengths and fixed reference lengths (not
//! the corpus averages), so it never changes afterwards and does not depend on which other
//! documents were indexed before: a query only multiplies impacts by the term's IDF.

use crate::fuzzy;
use crate::text::{for_each_token, is_stopword, normalize_name};
use std::collections::{BTreeMap, HashMap};

/// Indexed fields.
pub(crate) const FIELDS: usize = 5;
pub(crate) const NAME: usize = 0;
pub(crate) const SCOPE: usize = 1;
pub(crate) const KEYWORDS: usize = 2;
pub(crate) const DESCRIPTION: usize = 3;
pub(crate) const README: usize = 4;

/// Field weights: a word in the name counts most, then keywords, the description, the
/// scope, and the README least (a README that repeats a word a hundred times must not beat
/// a description that says it once).
const WEIGHTS: [f32; FIELDS] = [6.0, 1.5, 3.0, 2.0, 0.6];
/// BM25 length normalization per field, against a typical length per field in tokens.
const B: [f32; FIELDS] = [0.75, 0.5, 0.5, 0.75, 0.75];
const TYPICAL_LEN: [f32; FIELDS] = [2.5, 1.5, 4.0, 12.0, 300.0];
const K1: f32 = 1.2;

/// At most this many README tokens are indexed per package.
pub const MAX_README_TOKENS: usize = 3_000;

/// A package as the index sees it. The README is passed separately to [`Index::upsert`]:
/// it is indexed but not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The caller's identifier (the package id); unique in the index.
    pub id: i64,
    /// Who owns it, for access checks on private documents.
    pub namespace_id: i64,
    pub private: bool,
    pub ecosystem: String,
    pub scope: String,
    pub name: String,
    pub kind: String,
    pub description: Option<String>,
    pub license: Option<String>,
    pub keywords: Vec<String>,
    pub categories: Vec<String>,
    /// Carried for display only.
    pub latest_version: Option<String>,
    pub downloads: i64,
    /// Milliseconds since the epoch.
    pub updated_at: i64,
}

impl Document {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.scope, self.name)
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Posting {
    pub doc: u32,
    /// The field-weighted BM25 term weight in this document, before IDF.
    pub impact: f32,
}

pub(crate) struct Term {
    pub text: String,
    pub chars: Vec<char>,
    pub postings: Vec<Posting>,
}

/// Categories and keywords kept inline per document (manifests allow at most five each);
/// documents with more keep the rest in their slot.
pub(crate) const INLINE: usize = 5;

/// Per-document data read for every candidate of a query: one cache line, so filtering,
/// counting facets and sorting a hundred thousand documents stays cheap.
#[derive(Debug, Clone, Copy, Default)]
#[repr(align(64))]
pub(crate) struct Meta {
    pub alive: bool,
    pub private: bool,
    /// More categories or keywords than fit inline: read them from the slot.
    pub overflow: bool,
    pub ncat: u8,
    pub nkw: u8,
    pub ecosystem: u16,
    pub kind: u16,
    /// `NONE` when the package declares no license.
    pub license: u32,
    /// Relevance multiplier from the download count.
    pub popularity: f32,
    pub downloads: i64,
    pub updated_at: i64,
    pub cats: [u16; INLINE],
    pub kws: [u32; INLINE],
}

impl Meta {
    pub fn categories<'a>(&'a self, slot: impl FnOnce() -> &'a Slot) -> Cats<'a> {
        if self.overflow {
            Cats::Slot(&slot().categories)
        } else {
            Cats::Inline(&self.cats[..self.ncat as usize])
        }
    }
    pub fn keywords<'a>(&'a self, slot: impl FnOnce() -> &'a Slot) -> &'a [u32] {
        if self.overflow {
            &slot().keywords
        } else {
            &self.kws[..self.nkw as usize]
        }
    }
}

/// Category ids, inline (u16) or from the slot (u32).
pub(crate) enum Cats<'a> {
    Inline(&'a [u16]),
    Slot(&'a [u32]),
}

impl Cats<'_> {
    pub fn contains(&self, v: u32) -> bool {
        match self {
            Cats::Inline(c) => c.iter().any(|&x| x as u32 == v),
            Cats::Slot(c) => c.contains(&v),
        }
    }
    pub fn for_each(&self, mut f: impl FnMut(u32)) {
        match self {
            Cats::Inline(c) => c.iter().for_each(|&x| f(x as u32)),
            Cats::Slot(c) => c.iter().for_each(|&x| f(x)),
        }
    }
}

pub(crate) const NONE: u32 = u32::MAX;

/// A gentle preference for packages people use: ×1 at no downloads, ×1.3 at a million.
pub(crate) fn popularity(downloads: i64) -> f32 {
    1.0 + 0.05 * ((1 + downloads.max(0)) as f32).log10()
}

/// The first 8 bytes of a normalized name, big-endian: sorts like the name.
fn name_key(name_norm: &str) -> u64 {
    let mut b = [0u8; 8];
    for (i, x) in name_norm.bytes().take(8).enumerate() {
        b[i] = x;
    }
    u64::from_be_bytes(b)
}

pub(crate) struct Slot {
    pub doc: Document,
    /// Distinct terms, to remove the postings again.
    terms: Vec<u32>,
    pub name_norm: String,
    pub full_norm: String,
    pub categories: Vec<u32>,
    pub keywords: Vec<u32>,
}

/// The facet fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacetField {
    Ecosystem = 0,
    Kind = 1,
    Category = 2,
    License = 3,
    Keyword = 4,
}

#[derive(Default)]
pub(crate) struct Interner {
    pub values: Vec<String>,
    map: HashMap<String, u32>,
}

impl Interner {
    fn intern(&mut self, v: &str) -> u32 {
        if let Some(&i) = self.map.get(v) {
            return i;
        }
        let i = self.values.len() as u32;
        self.values.push(v.to_string());
        self.map.insert(v.to_string(), i);
        i
    }
    pub fn get(&self, v: &str) -> Option<u32> {
        self.map.get(v).copied()
    }
}

/// An in-memory full-text index of packages. Not synchronized: wrap it in a lock to share.
#[derive(Default)]
pub struct Index {
    pub(crate) meta: Vec<Meta>,
    /// Normalized name prefixes, for sorting by name.
    pub(crate) name_keys: Vec<u64>,
    pub(crate) slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    by_id: HashMap<i64, u32>,
    /// Normalized `name` and `scope/name` → documents, for exact-name matches.
    pub(crate) by_name: HashMap<String, Vec<u32>>,
    pub(crate) lookup: HashMap<String, u32>,
    /// The vocabulary in order, for prefix matches.
    pub(crate) sorted: BTreeMap<String, u32>,
    pub(crate) terms: Vec<Term>,
    /// (trigram, term length in characters) → terms.
    pub(crate) trigrams: HashMap<(u64, u16), Vec<u32>>,
    pub(crate) live: usize,
    pub(crate) facets: [Interner; 5],
}

/// Term frequencies of one document being indexed.
#[derive(Default)]
struct DocTerms {
    at: HashMap<u32, usize>,
    list: Vec<(u32, [u8; FIELDS])>,
    lens: [u32; FIELDS],
}

impl Index {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Number of distinct terms ever indexed (including ones no document uses any more).
    pub fn vocabulary_len(&self) -> usize {
        self.terms.len()
    }

    pub fn get(&self, id: i64) -> Option<&Document> {
        let &d = self.by_id.get(&id)?;
        self.slots[d as usize].as_ref().map(|s| &s.doc)
    }

    pub fn contains(&self, id: i64) -> bool {
        self.by_id.contains_key(&id)
    }

    /// Every document id with its `updated_at`.
    pub fn versions(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.slots.iter().flatten().map(|s| (s.doc.id, s.doc.updated_at))
    }

    /// Sets a document's download count (no-op when absent).
    pub fn set_downloads(&mut self, id: i64, downloads: i64) {
        if let Some(&d) = self.by_id.get(&id) {
            let m = &mut self.meta[d as usize];
            m.downloads = downloads;
            m.popularity = popularity(downloads);
            if let Some(s) = self.slots[d as usize].as_mut() {
                s.doc.downloads = downloads;
            }
        }
    }

    /// Adds to a document's download count (no-op when absent).
    pub fn add_downloads(&mut self, id: i64, n: i64) {
        if let Some(doc) = self.get(id) {
            let total = doc.downloads + n;
            self.set_downloads(id, total);
        }
    }

    /// Adds or replaces a document.
    pub fn upsert(&mut self, doc: Document, readme: &str) {
        self.remove(doc.id);
        let mut dt = DocTerms::default();
        self.add_name_like(&mut dt, NAME, &doc.name);
        self.add_text(&mut dt, SCOPE, &doc.scope, false, usize::MAX);
        for k in &doc.keywords {
            self.add_name_like(&mut dt, KEYWORDS, k);
        }
        if let Some(d) = &doc.description {
            self.add_text(&mut dt, DESCRIPTION, d, true, usize::MAX);
        }
        self.add_text(&mut dt, README, readme, true, MAX_README_TOKENS);

        let docno = match self.free.pop() {
            Some(d) => d,
            None => {
                self.meta.push(Meta::default());
                self.name_keys.push(0);
                self.slots.push(None);
                (self.meta.len() - 1) as u32
            }
        };
        let mut terms = Vec::with_capacity(dt.list.len());
        for (t, tf) in dt.list {
            let impact = impact(&tf, &dt.lens);
            self.terms[t as usize].postings.push(Posting { doc: docno, impact });
            terms.push(t);
        }
        let ecosystem = self.facets[FacetField::Ecosystem as usize].intern(&doc.ecosystem);
        let kind = self.facets[FacetField::Kind as usize].intern(&doc.kind);
        let license = match &doc.license {
            Some(l) => self.facets[FacetField::License as usize].intern(l),
            None => NONE,
        };
        let mut categories: Vec<u32> = doc
            .categories
            .iter()
            .map(|c| self.facets[FacetField::Category as usize].intern(c))
            .collect();
        categories.sort_unstable();
        categories.dedup();
        let mut keywords: Vec<u32> = doc
            .keywords
            .iter()
            .map(|k| self.facets[FacetField::Keyword as usize].intern(k))
            .collect();
        keywords.sort_unstable();
        keywords.dedup();
        let name_norm = normalize_name(&doc.name);
        let full_norm = format!("{}/{}", normalize_name(&doc.scope), name_norm);
        for key in [&name_norm, &full_norm] {
            self.by_name.entry(key.clone()).or_default().push(docno);
        }
        let overflow = categories.len() > INLINE
            || keywords.len() > INLINE
            || categories.iter().any(|&c| c > u16::MAX as u32)
            || ecosystem > u16::MAX as u32
            || kind > u16::MAX as u32;
        let mut cats = [0; INLINE];
        let mut kws = [0; INLINE];
        if !overflow {
            for (i, &c) in categories.iter().enumerate() {
                cats[i] = c as u16;
            }
            kws[..keywords.len()].copy_from_slice(&keywords);
        }
        self.meta[docno as usize] = Meta {
            alive: true,
            private: doc.private,
            overflow,
            ncat: categories.len().min(INLINE) as u8,
            nkw: keywords.len().min(INLINE) as u8,
            ecosystem: ecosystem.min(u16::MAX as u32) as u16,
            kind: kind.min(u16::MAX as u32) as u16,
            license,
            popularity: popularity(doc.downloads),
            downloads: doc.downloads,
            updated_at: doc.updated_at,
            cats,
            kws,
        };
        self.name_keys[docno as usize] = name_key(&name_norm);
        self.by_id.insert(doc.id, docno);
        self.slots[docno as usize] = Some(Slot {
            doc,
            terms,
            name_norm,
            full_norm,
            categories,
            keywords,
        });
        self.live += 1;
    }

    /// Removes a document; returns whether it was there.
    pub fn remove(&mut self, id: i64) -> bool {
        let Some(docno) = self.by_id.remove(&id) else {
            return false;
        };
        let slot = self.slots[docno as usize].take().expect("indexed slot");
        for t in slot.terms {
            let postings = &mut self.terms[t as usize].postings;
            if let Some(i) = postings.iter().position(|p| p.doc == docno) {
                postings.swap_remove(i);
            }
        }
        for key in [&slot.name_norm, &slot.full_norm] {
            if let Some(list) = self.by_name.get_mut(key) {
                list.retain(|&d| d != docno);
                if list.is_empty() {
                    self.by_name.remove(key);
                }
            }
        }
        self.meta[docno as usize] = Meta::default();
        self.free.push(docno);
        self.live -= 1;
        true
    }

    /// A name or keyword: its words, plus the words run together when there are several
    /// (`markdown-parser` also matches `markdownparser`).
    fn add_name_like(&mut self, dt: &mut DocTerms, field: usize, s: &str) {
        let mut joined = String::new();
        let mut parts = 0;
        for_each_token(s, |t| {
            joined.push_str(t);
            parts += 1;
        });
        self.add_text(dt, field, s, false, usize::MAX);
        if parts > 1 && joined.chars().count() <= crate::text::MAX_TOKEN_CHARS {
            self.add_token(dt, field, &joined, false);
        }
    }

    fn add_text(&mut self, dt: &mut DocTerms, field: usize, text: &str, skip_stopwords: bool, max_tokens: usize) {
        let mut n = 0;
        for_each_token(text, |t| {
            if n < max_tokens {
                n += 1;
                self.add_token(dt, field, t, skip_stopwords);
            }
        });
    }

    fn add_token(&mut self, dt: &mut DocTerms, field: usize, token: &str, skip_stopwords: bool) {
        if skip_stopwords && is_stopword(token) {
            return;
        }
        dt.lens[field] += 1;
        let t = self.term_id(token);
        let i = *dt.at.entry(t).or_insert_with(|| {
            dt.list.push((t, [0; FIELDS]));
            dt.list.len() - 1
        });
        let tf = &mut dt.list[i].1[field];
        *tf = tf.saturating_add(1);
    }

    fn term_id(&mut self, token: &str) -> u32 {
        if let Some(&t) = self.lookup.get(token) {
            return t;
        }
        let t = self.terms.len() as u32;
        let chars: Vec<char> = token.chars().collect();
        let len = chars.len() as u16;
        self.terms.push(Term {
            text: token.to_string(),
            chars,
            postings: Vec::new(),
        });
        self.lookup.insert(token.to_string(), t);
        self.sorted.insert(token.to_string(), t);
        for g in fuzzy::trigrams(token) {
            self.trigrams.entry((g, len)).or_default().push(t);
        }
        t
    }

    pub(crate) fn slot(&self, docno: u32) -> &Slot {
        self.slots[docno as usize].as_ref().expect("live slot")
    }
}

/// Σ over fields of weight × BM25 term-frequency saturation, length-normalized against the
/// field's typical length.
fn impact(tf: &[u8; FIELDS], lens: &[u32; FIELDS]) -> f32 {
    let mut s = 0.0;
    for f in 0..FIELDS {
        if tf[f] > 0 {
            let tf = tf[f] as f32;
            let norm = 1.0 - B[f] + B[f] * lens[f] as f32 / TYPICAL_LEN[f];
            s += WEIGHTS[f] * tf * (K1 + 1.0) / (tf + K1 * norm);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn doc(id: i64, name: &str) -> Document {
        Document {
            id,
            namespace_id: 1,
            private: false,
            ecosystem: "native".into(),
            scope: "alice".into(),
            name: name.into(),
            kind: "library".into(),
            description: None,
            license: None,
            keywords: vec![],
            categories: vec![],
            latest_version: Some("1.0.0".into()),
            downloads: 0,
            updated_at: 0,
        }
    }

    fn postings(ix: &Index, term: &str) -> Vec<Posting> {
        ix.terms[ix.lookup[term] as usize].postings.clone()
    }

    #[test]
    fn upsert_replace_and_remove_keep_postings_exact() {
        let mut ix = Index::new();
        ix.upsert(doc(1, "markdown-parser"), "Parses markdown. Markdown!");
        ix.upsert(doc(2, "toml-edit"), "edits toml");
        assert_eq!(postings(&ix, "markdown").len(), 1);
        assert!(ix.lookup.contains_key("markdownparser"), "joined name");
        assert_eq!(ix.len(), 2);

        // Replacing drops the old terms' postings.
        ix.upsert(doc(1, "yaml-parser"), "");
        assert!(postings(&ix, "markdown").is_empty());
        assert_eq!(ix.get(1).unwrap().name, "yaml-parser");
        assert_eq!(ix.len(), 2);

        assert!(ix.remove(2));
        assert!(!ix.remove(2));
        assert_eq!(ix.len(), 1);
        assert!(postings(&ix, "toml").is_empty());
        assert!(!ix.by_name.contains_key("toml-edit"));
        // The freed slot is reused.
        ix.upsert(doc(3, "zzz"), "");
        assert_eq!(ix.meta.len(), 2);
        assert_eq!(ix.versions().count(), 2);
    }

    #[test]
    fn impacts_weigh_fields_and_saturate() {
        let mut ix = Index::new();
        ix.upsert(doc(1, "yaml"), "");
        ix.upsert(doc(2, "other"), "yaml");
        ix.upsert(doc(3, "third"), &"yaml ".repeat(200));
        let by_doc = |d: i64| {
            let docno = ix.by_id[&d];
            postings(&ix, "yaml").iter().find(|p| p.doc == docno).unwrap().impact
        };
        assert!(by_doc(1) > 2.0 * by_doc(3), "a name beats any README");
        assert!(by_doc(3) > by_doc(2), "more mentions count more");
        assert!(by_doc(3) < 0.6 * (K1 + 1.0) + 1e-3, "but saturate");
    }

    #[test]
    fn stopwords_are_kept_in_names_only() {
        let mut ix = Index::new();
        let mut d = doc(1, "the-thing");
        d.description = Some("the best of the rest".into());
        ix.upsert(d, "");
        assert_eq!(postings(&ix, "the").len(), 1);
        let mut d = doc(2, "other");
        d.description = Some("the best of the rest".into());
        ix.upsert(d, "");
        assert_eq!(postings(&ix, "the").len(), 1, "not from descriptions");
    }

    #[test]
    fn readme_is_capped() {
        let mut ix = Index::new();
        let readme = format!("{} tail", "word ".repeat(MAX_README_TOKENS));
        ix.upsert(doc(1, "x"), &readme);
        assert!(!ix.lookup.contains_key("tail"));
    }

    #[test]
    fn many_categories_and_keywords_overflow_to_the_slot() {
        let mut ix = Index::new();
        let mut d = doc(1, "x");
        d.keywords = (0..8).map(|i| format!("k{i}")).collect();
        ix.upsert(d, "");
        let m = &ix.meta[0];
        assert!(m.overflow);
        assert_eq!(m.keywords(|| ix.slot(0)).len(), 8);
    }
}
