//! The index. tantivy, on local disk (or in memory), holds what grows with the catalogue:
//! the postings of every field, the vocabulary and the documents themselves. This node keeps
//! in memory only a compact record per document ([`Meta`], its normalized name and ids):
//! what filters, facet counts, sorts and access checks read for every candidate of a query.
//! That record is rebuilt from tantivy's fast fields when an index is opened, so a restart
//! reads columns instead of re-indexing every package.
//!
//! Every document version gets its own number (`docno`, stored as a fast field), which
//! indexes the in-memory records; tantivy's own document ids change when segments merge,
//! the docno does not. Changes are staged by [`Index::upsert`] and [`Index::remove`] and
//! become visible together at [`Index::commit`], which also makes them durable.
//!
//! Scores are computed here from tantivy's term frequencies and field lengths, not by
//! tantivy's scorer: each posting's field-weighted BM25 weight ("impact") uses fixed
//! reference lengths per field (not corpus averages) and the term's document frequency
//! counts live documents only, so results never depend on the order updates arrived in or
//! on how segments happen to be merged.

use crate::bits::Bits;
use crate::text::{for_each_token, is_stopword, normalize_name, MAX_TOKEN_CHARS};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tantivy::columnar::{ColumnValues, StrColumn};
use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::InvertedIndexReader;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::tokenizer::{PreTokenizedString, Token};
use tantivy::{DocAddress, DocId, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

/// Indexed text fields.
pub(crate) const FIELDS: usize = 5;
pub(crate) const NAME: usize = 0;
pub(crate) const SCOPE: usize = 1;
pub(crate) const KEYWORDS: usize = 2;
pub(crate) const DESCRIPTION: usize = 3;
pub(crate) const README: usize = 4;
const TEXT_FIELDS: [&str; FIELDS] = ["name", "scope", "keywords", "description", "readme"];

/// Field weights: a word in the name counts most, then keywords, the description, the
/// scope, and the README least (a README that repeats a word a hundred times must not beat
/// a description that says it once).
const WEIGHTS: [f32; FIELDS] = [6.0, 1.5, 3.0, 2.0, 0.6];
/// BM25 length normalization per field, against a typical length per field in tokens.
const B: [f32; FIELDS] = [0.75, 0.5, 0.5, 0.75, 0.75];
const TYPICAL_LEN: [f32; FIELDS] = [2.5, 1.5, 4.0, 12.0, 300.0];
pub(crate) const K1: f32 = 1.2;

/// At most this many README tokens are indexed per package.
pub const MAX_README_TOKENS: usize = 3_000;

/// The on-disk format; an index written in another one is rebuilt, not opened.
const FORMAT: u32 = 1;
/// Memory tantivy's writer may use before it flushes a segment (its minimum is 15 MB).
const WRITER_MEMORY: usize = 32 << 20;

/// A package as the index sees it. The README is passed separately to [`Index::upsert`]:
/// it is indexed but not kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// An index that could not be opened, written or committed.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "search index: {}", self.0)
    }
}

impl std::error::Error for Error {}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error(e.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Categories and keywords kept inline per document (manifests allow at most five each);
/// documents with more keep them in [`Index::overflow`].
pub(crate) const INLINE: usize = 5;

/// Per-document data read for every candidate of a query: one cache line, so filtering,
/// counting facets and sorting a million documents stays cheap.
#[derive(Debug, Clone, Copy, Default)]
#[repr(align(64))]
pub(crate) struct Meta {
    pub alive: bool,
    pub private: bool,
    /// More categories or keywords than fit inline: read them from `overflow`.
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

/// Category ids, inline (u16) or from the overflow (u32).
pub(crate) enum Cats<'a> {
    Inline(&'a [u16]),
    Spilled(&'a [u32]),
}

impl Cats<'_> {
    pub fn contains(&self, v: u32) -> bool {
        match self {
            Cats::Inline(c) => c.iter().any(|&x| x as u32 == v),
            Cats::Spilled(c) => c.contains(&v),
        }
    }
    pub fn for_each(&self, mut f: impl FnMut(u32)) {
        match self {
            Cats::Inline(c) => c.iter().for_each(|&x| f(x as u32)),
            Cats::Spilled(c) => c.iter().for_each(|&x| f(x)),
        }
    }
}

pub(crate) const NONE: u32 = u32::MAX;

/// A gentle preference for packages people use: ×1 at no downloads, ×1.3 at a million.
pub(crate) fn popularity(downloads: i64) -> f32 {
    1.0 + 0.05 * ((1 + downloads.max(0)) as f32).log10()
}

/// A key whose ascending order is `v`'s descending order.
pub(crate) fn descending(v: i64) -> u64 {
    u64::MAX - (v as u64 ^ (1 << 63))
}

/// The first 8 bytes of a normalized name, big-endian: sorts like the name.
fn name_key(name_norm: &str) -> u64 {
    let mut b = [0u8; 8];
    for (i, x) in name_norm.bytes().take(8).enumerate() {
        b[i] = x;
    }
    u64::from_be_bytes(b)
}

/// The facet fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FacetField {
    Ecosystem = 0,
    Kind = 1,
    Category = 2,
    License = 3,
    Keyword = 4,
}

/// Fast-field names of the facets, in [`FacetField`] order.
const FACET_COLUMNS: [&str; 5] = ["ecosystem", "kind", "category", "license", "keyword"];

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

/// The schema's fields.
struct Fields {
    text: [Field; FIELDS],
    id: Field,
    docno: Field,
    /// Normalized `name` and `scope/name`, for exact-name matches.
    exact: Field,
    /// The [`Document`] as JSON.
    doc: Field,
    namespace: Field,
    private: Field,
    facets: [Field; 5],
    downloads: Field,
    updated: Field,
    /// Normalized `scope/name`, for sorting by name.
    full: Field,
    /// `scope/name` as written, of private documents only (access checks by name).
    private_name: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::WithFreqs)
            .set_fieldnorms(true),
    );
    let text = TEXT_FIELDS.map(|n| b.add_text_field(n, text_opts.clone()));
    let fast_str = TextOptions::default().set_fast(None);
    let fast_i64 = NumericOptions::default().set_fast();
    let fields = Fields {
        text,
        id: b.add_i64_field("id", NumericOptions::default().set_fast().set_indexed()),
        docno: b.add_u64_field("docno", NumericOptions::default().set_fast()),
        exact: b.add_text_field("exact", STRING),
        doc: b.add_bytes_field("doc", STORED),
        namespace: b.add_i64_field("namespace", fast_i64.clone()),
        private: b.add_u64_field("private", NumericOptions::default().set_fast()),
        facets: FACET_COLUMNS.map(|n| b.add_text_field(n, fast_str.clone())),
        downloads: b.add_i64_field("downloads", fast_i64.clone()),
        updated: b.add_i64_field("updated", fast_i64),
        full: b.add_text_field("full", fast_str.clone()),
        private_name: b.add_text_field("private_name", fast_str),
    };
    (b.build(), fields)
}

/// What a query reads of one segment.
pub(crate) struct SegView {
    pub ord: u32,
    pub segment: tantivy::index::SegmentId,
    pub text: Vec<Arc<InvertedIndexReader>>,
    pub norms: Vec<FieldNormReader>,
    pub exact: Arc<InvertedIndexReader>,
    pub id: Arc<InvertedIndexReader>,
    /// Each document's docno, by its id in the segment: read once from the fast field when
    /// the segment is first seen (4 bytes a document), so posting walks map ids to docnos
    /// with a load instead of a bit-unpacking call through a trait object.
    pub docnos: Arc<[u32]>,
    pub alive: Option<tantivy::fastfield::AliveBitSet>,
    /// Deleted documents: deletes only grow, so with the segment's id this names its
    /// alive set (what cached reaches are keyed by).
    pub deleted: u32,
}

impl SegView {
    pub fn is_alive(&self, doc: DocId) -> bool {
        self.alive.as_ref().is_none_or(|a| a.is_alive(doc))
    }
}

enum Staged {
    Put { id: i64, docno: u32 },
    Remove { id: i64 },
}

/// A package search index. Not synchronized: wrap it in a lock to share.
pub struct Index {
    tv: tantivy::Index,
    fields: Fields,
    /// Behind its own lock so that [`Index::commit_files`] (which syncs files) runs
    /// beside searches, under a shared borrow.
    writer: std::sync::Mutex<IndexWriter<TantivyDocument>>,
    reader: IndexReader,
    pub(crate) searcher: Searcher,
    pub(crate) segs: Vec<SegView>,
    pub(crate) meta: Vec<Meta>,
    /// Normalized name prefixes, for sorting by name.
    pub(crate) name_keys: Vec<u64>,
    /// Normalized `scope/name` per docno, for exact orders between equal keys.
    pub(crate) full_norm: Vec<Box<str>>,
    pub(crate) ids: Vec<i64>,
    pub(crate) namespaces: Vec<i64>,
    /// Categories and keywords of documents with more than fit inline.
    pub(crate) overflow: HashMap<u32, (Vec<u32>, Vec<u32>)>,
    /// `scope/name` as written of private documents, for token package patterns.
    pub(crate) private_names: HashMap<u32, Box<str>>,
    free: Vec<u32>,
    by_id: HashMap<i64, u32>,
    pub(crate) live: usize,
    /// Committed public documents: what document frequencies count.
    pub(crate) public: usize,
    /// Committed documents, and those of them that are public, by docno.
    pub(crate) alive_bits: Bits,
    pub(crate) public_bits: Bits,
    /// Sort keys by downloads and by update time (see [`Index::sort_key`]), apart from the
    /// records so that sorting a million documents reads 8 bytes of each, not 64.
    pub(crate) downloads_keys: Vec<u64>,
    pub(crate) recent_keys: Vec<u64>,
    /// Each document's popularity (as in its record), 4 bytes apart for the same reason.
    pub(crate) popularity: Vec<f32>,
    /// Per segment and term, the largest README impact among its postings (segments never
    /// change, so neither does it; deletions only leave it a looser bound).
    field_max: std::sync::Mutex<HashMap<(tantivy::index::SegmentId, usize, String), f32>>,
    /// The docnos of large posting lists, per segment (and its alive set) and term, in any
    /// field ([`Index::cached_reach`]).
    reach_cache: std::sync::Mutex<ReachCache>,
    /// Per segment and term, its best-scoring documents ([`Index::champions`]).
    champions: std::sync::Mutex<ChampionCache>,
    /// Per facet value a filter asked for, the documents that have it
    /// ([`Index::value_bits`]).
    value_bits: std::sync::Mutex<ValueBits>,
    /// The largest popularity any document has had: a bound for pruning.
    pub(crate) max_popularity: f32,
    /// Results beyond which facets are counted over a sample ([`crate::query::FACET_SAMPLE`];
    /// tests lower it).
    pub(crate) facet_sample: usize,
    /// Most documents the first pruning tier scores in full
    /// ([`crate::query::FIRST_TIER_MOST`]; tests lower it).
    pub(crate) first_tier_most: usize,
    /// Fewest postings of a term in a segment for its reach to be cached
    /// ([`REACH_CACHE_MIN_DOCS`]; tests lower it).
    pub(crate) reach_cache_min_docs: usize,
    /// Most documents per champion list ([`CHAMPIONS_MOST`]; tests lower it, 0 turns
    /// champion lists off).
    pub(crate) champions_most: usize,
    pub(crate) facets: [Interner; 5],
    staged: Vec<Staged>,
    /// Whether a document is in the index once the staged changes are committed.
    staged_present: HashMap<i64, bool>,
    payload: Option<String>,
    payload_dirty: bool,
}

/// The commit payload: the format, and what the caller keeps with the index.
#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    format: u32,
    user: Option<String>,
}

impl Index {
    /// An empty index in memory (tests, benchmarks).
    pub fn new() -> Self {
        let (schema, fields) = schema();
        let tv = tantivy::Index::create_in_ram(schema);
        Self::with(tv, fields).expect("in-memory search index")
    }

    /// Opens the index in `dir`, creating it when the directory holds none. An index in
    /// another format, or one that cannot be read, is an error: the caller rebuilds it.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(|e| Error(e.to_string()))?;
        let exists = tantivy::Index::exists(&mmap).map_err(|e| Error(e.to_string()))?;
        let tv = if exists {
            let tv = tantivy::Index::open(mmap)?;
            let payload = tv.load_metas()?.payload;
            let format = payload
                .as_deref()
                .and_then(|p| serde_json::from_str::<Payload>(p).ok())
                .map(|p| p.format);
            if format != Some(FORMAT) || tv.schema() != schema {
                return Err(Error(format!(
                    "the index in {} is in another format; it must be rebuilt",
                    dir.display()
                )));
            }
            tv
        } else {
            tantivy::Index::create(mmap, schema, tantivy::IndexSettings::default())?
        };
        Self::with(tv, fields)
    }

    fn with(tv: tantivy::Index, fields: Fields) -> Result<Self> {
        let payload = tv
            .load_metas()?
            .payload
            .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
            .and_then(|p| p.user);
        let writer = tv.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = tv.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let searcher = reader.searcher();
        let mut ix = Index {
            tv,
            fields,
            writer: std::sync::Mutex::new(writer),
            reader,
            searcher,
            segs: Vec::new(),
            meta: Vec::new(),
            name_keys: Vec::new(),
            full_norm: Vec::new(),
            ids: Vec::new(),
            namespaces: Vec::new(),
            overflow: HashMap::new(),
            private_names: HashMap::new(),
            free: Vec::new(),
            by_id: HashMap::new(),
            live: 0,
            public: 0,
            alive_bits: Bits::default(),
            public_bits: Bits::default(),
            downloads_keys: Vec::new(),
            recent_keys: Vec::new(),
            popularity: Vec::new(),
            field_max: Default::default(),
            reach_cache: Default::default(),
            champions: Default::default(),
            value_bits: Default::default(),
            max_popularity: 1.0,
            facet_sample: crate::query::FACET_SAMPLE,
            first_tier_most: crate::query::FIRST_TIER_MOST,
            reach_cache_min_docs: REACH_CACHE_MIN_DOCS,
            champions_most: CHAMPIONS_MOST,
            facets: Default::default(),
            staged: Vec::new(),
            staged_present: HashMap::new(),
            payload,
            payload_dirty: false,
        };
        ix.segs = ix.views()?;
        ix.load()?;
        Ok(ix)
    }

    /// Number of documents (committed).
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// What the caller stored with the last commit ([`Index::set_payload`]).
    pub fn payload(&self) -> Option<&str> {
        self.payload.as_deref()
    }

    /// Stores `payload` with the next commit (the caller's own state, e.g. how far it has
    /// read its source), so that it is durable together with the documents.
    pub fn set_payload(&mut self, payload: String) {
        if self.payload.as_deref() != Some(payload.as_str()) {
            self.payload = Some(payload);
            self.payload_dirty = true;
        }
    }

    /// Bytes the index takes on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.searcher
            .space_usage()
            .map(|u| u.total().get_bytes())
            .unwrap_or_default()
    }

    /// The document as indexed (its download count as last set), if committed.
    pub fn get(&self, id: i64) -> Option<Document> {
        let &d = self.by_id.get(&id)?;
        let mut doc = self.read_doc(id)?;
        doc.downloads = self.meta[d as usize].downloads;
        Some(doc)
    }

    fn read_doc(&self, id: i64) -> Option<Document> {
        let term = Term::from_field_i64(self.fields.id, id);
        let mut found = None;
        for seg in &self.segs {
            each_live(seg, &seg.id, &term, IndexRecordOption::Basic, |_, doc| {
                found = Some(DocAddress::new(seg.ord, doc));
                false
            });
            if found.is_some() {
                break;
            }
        }
        let stored: TantivyDocument = self.searcher.doc(found?).ok()?;
        let bytes = stored.get_first(self.fields.doc)?.as_bytes()?;
        serde_json::from_slice(bytes).ok()
    }

    pub fn contains(&self, id: i64) -> bool {
        self.by_id.contains_key(&id)
    }

    /// A committed document's `updated_at` and download count.
    pub fn stamp(&self, id: i64) -> Option<(i64, i64)> {
        let &d = self.by_id.get(&id)?;
        let m = &self.meta[d as usize];
        Some((m.updated_at, m.downloads))
    }

    /// Every committed document id with its `updated_at`.
    pub fn versions(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.by_id
            .iter()
            .map(|(&id, &d)| (id, self.meta[d as usize].updated_at))
    }

    /// Sets a document's download count (no-op when absent). It changes sorts and scores at
    /// once; it is not written to disk (the caller sets counts again after opening).
    pub fn set_downloads(&mut self, id: i64, downloads: i64) {
        if let Some(&d) = self.by_id.get(&id) {
            let m = &mut self.meta[d as usize];
            m.downloads = downloads;
            m.popularity = popularity(downloads);
            self.downloads_keys[d as usize] = descending(downloads);
            self.popularity[d as usize] = m.popularity;
            self.max_popularity = self.max_popularity.max(m.popularity);
        }
    }

    /// Adds to a document's download count (no-op when absent).
    pub fn add_downloads(&mut self, id: i64, n: i64) {
        if let Some((_, total)) = self.stamp(id) {
            self.set_downloads(id, total + n);
        }
    }

    /// Stages adding or replacing a document; visible after [`Index::commit`].
    pub fn upsert(&mut self, doc: Document, readme: &str) {
        let docno = match self.free.pop() {
            Some(d) => d,
            None => {
                let d = self.meta.len() as u32;
                self.push_record();
                d
            }
        };
        let f = &self.fields;
        let mut td = TantivyDocument::new();
        let mut tokens: [Vec<Token>; FIELDS] = Default::default();
        add_name_like(&mut tokens[NAME], &doc.name);
        add_text(&mut tokens[SCOPE], &doc.scope, false, usize::MAX);
        for k in &doc.keywords {
            add_name_like(&mut tokens[KEYWORDS], k);
        }
        if let Some(d) = &doc.description {
            add_text(&mut tokens[DESCRIPTION], d, true, usize::MAX);
        }
        add_text(&mut tokens[README], readme, true, MAX_README_TOKENS);
        for (i, t) in tokens.into_iter().enumerate() {
            td.add_pre_tokenized_text(
                f.text[i],
                PreTokenizedString {
                    text: String::new(),
                    tokens: t,
                },
            );
        }
        let name_norm = normalize_name(&doc.name);
        let full_norm = format!("{}/{}", normalize_name(&doc.scope), name_norm);
        td.add_i64(f.id, doc.id);
        td.add_u64(f.docno, docno as u64);
        td.add_text(f.exact, &name_norm);
        td.add_text(f.exact, &full_norm);
        td.add_text(f.full, &full_norm);
        td.add_i64(f.namespace, doc.namespace_id);
        td.add_u64(f.private, doc.private as u64);
        if doc.private {
            td.add_text(f.private_name, doc.full_name());
        }
        td.add_text(f.facets[FacetField::Ecosystem as usize], &doc.ecosystem);
        td.add_text(f.facets[FacetField::Kind as usize], &doc.kind);
        if let Some(l) = &doc.license {
            td.add_text(f.facets[FacetField::License as usize], l);
        }
        for c in &doc.categories {
            td.add_text(f.facets[FacetField::Category as usize], c);
        }
        for k in &doc.keywords {
            td.add_text(f.facets[FacetField::Keyword as usize], k);
        }
        td.add_i64(f.downloads, doc.downloads);
        td.add_i64(f.updated, doc.updated_at);
        td.add_bytes(f.doc, &serde_json::to_vec(&doc).expect("document as JSON"));

        let writer = self.writer.get_mut().unwrap_or_else(|e| e.into_inner());
        writer.delete_term(Term::from_field_i64(f.id, doc.id));
        // Only fails when the indexing thread is gone; the commit reports it.
        let _ = writer.add_document(td);

        let ecosystem = self.facets[FacetField::Ecosystem as usize].intern(&doc.ecosystem);
        let kind = self.facets[FacetField::Kind as usize].intern(&doc.kind);
        let license = match &doc.license {
            Some(l) => self.facets[FacetField::License as usize].intern(l),
            None => NONE,
        };
        let categories: Vec<u32> = doc
            .categories
            .iter()
            .map(|c| self.facets[FacetField::Category as usize].intern(c))
            .collect();
        let keywords: Vec<u32> = doc
            .keywords
            .iter()
            .map(|k| self.facets[FacetField::Keyword as usize].intern(k))
            .collect();
        self.place(
            docno,
            Record {
                id: doc.id,
                namespace: doc.namespace_id,
                private: doc.private,
                ecosystem,
                kind,
                license,
                categories,
                keywords,
                downloads: doc.downloads,
                updated_at: doc.updated_at,
                full_norm,
                private_name: doc.private.then(|| doc.full_name()),
            },
            false,
        );
        self.staged.push(Staged::Put { id: doc.id, docno });
        self.staged_present.insert(doc.id, true);
    }

    /// Stages removing a document; returns whether it was there (counting staged changes).
    pub fn remove(&mut self, id: i64) -> bool {
        let present = self
            .staged_present
            .get(&id)
            .copied()
            .unwrap_or_else(|| self.by_id.contains_key(&id));
        if present {
            let writer = self.writer.get_mut().unwrap_or_else(|e| e.into_inner());
            writer.delete_term(Term::from_field_i64(self.fields.id, id));
            self.staged.push(Staged::Remove { id });
            self.staged_present.insert(id, false);
        }
        present
    }

    /// Whether changes are staged and not yet committed.
    pub fn has_staged(&self) -> bool {
        !self.staged.is_empty() || self.payload_dirty
    }

    /// Makes the staged changes durable and visible: [`Index::commit_files`], then
    /// [`Index::publish`]. When the files cannot be written (a full disk, say) the staged
    /// changes are all dropped and the index stays as it was at the last commit.
    pub fn commit(&mut self) -> Result<()> {
        if !self.has_staged() {
            return Ok(());
        }
        if let Err(e) = self.commit_files() {
            self.abandon();
            return Err(e);
        }
        self.publish()
    }

    /// The durable half of a commit: writes and syncs the staged changes and the payload.
    /// It takes a shared borrow so that searches go on meanwhile; nothing is visible until
    /// [`Index::publish`]. After an error, call [`Index::abandon`].
    pub fn commit_files(&self) -> Result<()> {
        let payload = serde_json::to_string(&Payload {
            format: FORMAT,
            user: self.payload.clone(),
        })
        .expect("payload as JSON");
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        Ok(())
    }

    /// Drops the staged changes after [`Index::commit_files`] failed.
    pub fn abandon(&mut self) {
        self.drop_staged();
    }

    /// The visible half of a commit, after [`Index::commit_files`]: reloads the searcher
    /// and applies the staged changes to the in-memory records. Quick (no file is synced).
    /// On error the changes are durable but not yet visible; the next publish shows them.
    pub fn publish(&mut self) -> Result<()> {
        self.payload_dirty = false;
        self.reader.reload()?;
        self.searcher = self.reader.searcher();
        self.segs = self.views()?;
        for s in std::mem::take(&mut self.staged) {
            match s {
                Staged::Put { id, docno } => {
                    match self.by_id.insert(id, docno) {
                        Some(old) => self.release_live(old),
                        None => self.live += 1,
                    }
                    self.mark_alive(docno);
                }
                Staged::Remove { id } => {
                    if let Some(old) = self.by_id.remove(&id) {
                        self.release_live(old);
                        self.live -= 1;
                    }
                }
            }
        }
        self.staged_present.clear();
        Ok(())
    }

    /// Forgets staged changes after a failed commit.
    fn drop_staged(&mut self) {
        let writer = self.writer.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = writer.rollback() {
            tracing_free_log(&format!("rolling back the search index writer: {e}"));
        }
        for s in std::mem::take(&mut self.staged) {
            if let Staged::Put { docno, .. } = s {
                self.release(docno);
            }
        }
        self.staged_present.clear();
        self.payload_dirty = true;
    }

    /// Removes everything (staged: [`Index::commit`] makes it so).
    pub fn clear(&mut self) {
        let ids: Vec<i64> = self.by_id.keys().copied().collect();
        for id in ids {
            self.remove(id);
        }
    }

    /// A placed document becomes committed.
    fn mark_alive(&mut self, docno: u32) {
        let m = &mut self.meta[docno as usize];
        m.alive = true;
        let public = !m.private;
        self.public += usize::from(public);
        let n = self.meta.len();
        self.alive_bits.grow(n);
        self.public_bits.grow(n);
        self.alive_bits.set(docno);
        if public {
            self.public_bits.set(docno);
        }
    }

    /// Releases a committed document's docno.
    fn release_live(&mut self, docno: u32) {
        self.public -= usize::from(!self.meta[docno as usize].private);
        self.alive_bits.unset(docno);
        self.public_bits.unset(docno);
        self.release(docno);
    }

    fn release(&mut self, docno: u32) {
        self.meta[docno as usize] = Meta::default();
        self.overflow.remove(&docno);
        self.private_names.remove(&docno);
        self.full_norm[docno as usize] = Box::from("");
        self.free.push(docno);
    }

    fn views(&self) -> Result<Vec<SegView>> {
        let f = &self.fields;
        self.searcher
            .segment_readers()
            .iter()
            .enumerate()
            .map(|(ord, seg)| {
                // Segments never change: a segment seen before keeps its docno array.
                let docnos = match self.segs.iter().find(|v| v.segment == seg.segment_id()) {
                    Some(v) => v.docnos.clone(),
                    None => {
                        let col = seg.fast_fields().u64("docno")?.values;
                        let mut all = vec![0u64; seg.max_doc() as usize];
                        let ids: Vec<u32> = (0..seg.max_doc()).collect();
                        col.get_vals(&ids, &mut all);
                        all.into_iter()
                            .map(|n| u32::try_from(n).map_err(|_| Error(format!("docno {n} out of range"))))
                            .collect::<Result<Arc<[u32]>>>()?
                    }
                };
                Ok(SegView {
                    ord: ord as u32,
                    segment: seg.segment_id(),
                    text: f
                        .text
                        .iter()
                        .map(|&t| seg.inverted_index(t))
                        .collect::<tantivy::Result<_>>()?,
                    norms: f
                        .text
                        .iter()
                        .map(|&t| seg.get_fieldnorms_reader(t))
                        .collect::<tantivy::Result<_>>()?,
                    exact: seg.inverted_index(f.exact)?,
                    id: seg.inverted_index(f.id)?,
                    docnos,
                    alive: seg.alive_bitset().cloned(),
                    deleted: seg.num_deleted_docs(),
                })
            })
            .collect()
    }

    /// Fills the in-memory records from the fast fields of every live document.
    fn load(&mut self) -> Result<()> {
        let searcher = self.searcher.clone();
        let docs = searcher.num_docs() as usize;
        self.by_id.reserve(docs);
        self.name_keys.reserve(docs);
        self.meta.reserve(docs);
        self.full_norm.reserve(docs);
        self.ids.reserve(docs);
        self.namespaces.reserve(docs);
        for seg in searcher.segment_readers() {
            let ff = seg.fast_fields();
            let docno = ff.u64("docno")?.values;
            let id = ff.i64("id")?.values;
            let namespace = ff.i64("namespace")?.values;
            let private = ff.u64("private")?.values;
            let downloads = ff.i64("downloads")?.values;
            let updated = ff.i64("updated")?.values;
            let full = ff.str("full")?;
            let full_values = match &full {
                Some(c) => dictionary(c)?,
                None => Vec::new(),
            };
            let private_name = ff.str("private_name")?;
            let private_values = match &private_name {
                Some(c) => dictionary(c)?,
                None => Vec::new(),
            };
            let mut facet_cols = Vec::new();
            for (i, name) in FACET_COLUMNS.iter().enumerate() {
                let col = ff.str(name)?;
                let map: Vec<u32> = match &col {
                    Some(c) => dictionary(c)?.iter().map(|v| self.facets[i].intern(v)).collect(),
                    None => Vec::new(),
                };
                facet_cols.push((col, map));
            }
            let ords = |i: usize, doc: DocId| -> Vec<u32> {
                match &facet_cols[i].0 {
                    Some(c) => c.term_ords(doc).map(|o| facet_cols[i].1[o as usize]).collect(),
                    None => Vec::new(),
                }
            };
            let first = |i: usize, doc: DocId| -> Option<u32> {
                let c = facet_cols[i].0.as_ref()?;
                c.term_ords(doc).next().map(|o| facet_cols[i].1[o as usize])
            };
            for doc in seg.doc_ids_alive() {
                let n = docno.get_val(doc);
                let n = u32::try_from(n).map_err(|_| Error(format!("docno {n} out of range")))?;
                while self.meta.len() <= n as usize {
                    self.push_record();
                }
                let full_norm = full
                    .as_ref()
                    .and_then(|c| c.term_ords(doc).next())
                    .map(|o| full_values[o as usize].clone())
                    .unwrap_or_default();
                let record = Record {
                    id: id.get_val(doc),
                    namespace: namespace.get_val(doc),
                    private: private.get_val(doc) != 0,
                    ecosystem: first(FacetField::Ecosystem as usize, doc).unwrap_or(0),
                    kind: first(FacetField::Kind as usize, doc).unwrap_or(0),
                    license: first(FacetField::License as usize, doc).unwrap_or(NONE),
                    categories: ords(FacetField::Category as usize, doc),
                    keywords: ords(FacetField::Keyword as usize, doc),
                    downloads: downloads.get_val(doc),
                    updated_at: updated.get_val(doc),
                    full_norm,
                    private_name: private_name
                        .as_ref()
                        .and_then(|c| c.term_ords(doc).next())
                        .map(|o| private_values[o as usize].clone()),
                };
                let rid = record.id;
                self.place(n, record, false);
                if let Some(old) = self.by_id.insert(rid, n) {
                    // Cannot happen (a document replaces its older version in one commit),
                    // but an index must never list one package twice.
                    self.release_live(old);
                } else {
                    self.live += 1;
                }
                self.mark_alive(n);
            }
        }
        let mut used = vec![false; self.meta.len()];
        for &d in self.by_id.values() {
            used[d as usize] = true;
        }
        self.free = (0..self.meta.len() as u32)
            .rev()
            .filter(|&d| !used[d as usize])
            .collect();
        Ok(())
    }

    /// Room for one more docno in every per-document array.
    fn push_record(&mut self) {
        self.meta.push(Meta::default());
        self.name_keys.push(0);
        self.full_norm.push(Box::from(""));
        self.ids.push(0);
        self.namespaces.push(0);
        self.downloads_keys.push(0);
        self.recent_keys.push(0);
        self.popularity.push(1.0);
    }

    fn place(&mut self, docno: u32, r: Record, alive: bool) {
        let mut categories = r.categories;
        categories.sort_unstable();
        categories.dedup();
        let mut keywords = r.keywords;
        keywords.sort_unstable();
        keywords.dedup();
        let overflow = categories.len() > INLINE
            || keywords.len() > INLINE
            || categories.iter().any(|&c| c > u16::MAX as u32)
            || r.ecosystem > u16::MAX as u32
            || r.kind > u16::MAX as u32;
        let mut cats = [0; INLINE];
        let mut kws = [0; INLINE];
        if !overflow {
            for (i, &c) in categories.iter().enumerate() {
                cats[i] = c as u16;
            }
            kws[..keywords.len()].copy_from_slice(&keywords);
        }
        let d = docno as usize;
        self.meta[d] = Meta {
            alive,
            private: r.private,
            overflow,
            ncat: categories.len().min(INLINE) as u8,
            nkw: keywords.len().min(INLINE) as u8,
            ecosystem: r.ecosystem.min(u16::MAX as u32) as u16,
            kind: r.kind.min(u16::MAX as u32) as u16,
            license: r.license,
            popularity: popularity(r.downloads),
            downloads: r.downloads,
            updated_at: r.updated_at,
            cats,
            kws,
        };
        let name_norm = r.full_norm.split_once('/').map_or(r.full_norm.as_str(), |(_, n)| n);
        self.name_keys[d] = name_key(name_norm);
        self.downloads_keys[d] = descending(r.downloads);
        self.recent_keys[d] = descending(r.updated_at);
        self.popularity[d] = popularity(r.downloads);
        self.max_popularity = self.max_popularity.max(popularity(r.downloads));
        self.ids[d] = r.id;
        self.namespaces[d] = r.namespace;
        if overflow {
            self.overflow.insert(docno, (categories, keywords));
        } else {
            self.overflow.remove(&docno);
        }
        match r.private_name {
            Some(n) => self.private_names.insert(docno, n.into_boxed_str()),
            None => self.private_names.remove(&docno),
        };
        self.full_norm[d] = r.full_norm.into_boxed_str();
        // Cached filter sets follow the document's values.
        let mut cache = std::mem::take(self.value_bits.get_mut().unwrap_or_else(|e| e.into_inner()));
        for (&(f, v), bits) in cache.map.iter_mut() {
            let bits = Arc::make_mut(bits);
            if self.has_value(docno, f, v) {
                bits.grow(d + 1);
                bits.set(docno);
            } else {
                bits.unset(docno);
            }
        }
        *self.value_bits.get_mut().unwrap_or_else(|e| e.into_inner()) = cache;
    }

    /// Starts fetching document `d`'s record into the cache (no effect where the target
    /// has no prefetch instruction).
    #[inline]
    pub(crate) fn prefetch_meta(&self, d: u32) {
        #[cfg(target_arch = "x86_64")]
        if let Some(m) = self.meta.get(d as usize) {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: a prefetch reads nothing into the program and cannot fault; the
            // address is that of a live record anyway.
            unsafe { _mm_prefetch::<_MM_HINT_T0>((m as *const Meta).cast()) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = d;
    }

    /// Whether document `d` has value `v` of facet `f` (as a filter matches it).
    pub(crate) fn has_value(&self, d: u32, f: FacetField, v: u32) -> bool {
        let m = &self.meta[d as usize];
        match f {
            FacetField::Ecosystem => m.ecosystem as u32 == v,
            FacetField::Kind => m.kind as u32 == v,
            FacetField::License => m.license == v,
            FacetField::Category => self.categories(d).contains(v),
            FacetField::Keyword => self.keywords(d).contains(&v),
        }
    }

    /// The documents (dead ones too) that have value `v` of facet `f`: a filter's set.
    /// Worked out on the value's first filter (a pass over every record), then kept up to
    /// date as documents are placed, within [`VALUE_BITS_BYTES`].
    pub(crate) fn value_bits(&self, f: FacetField, v: u32) -> Arc<Bits> {
        if let Some(b) = self
            .value_bits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .get(&(f, v))
        {
            return b.clone();
        }
        let mut bits = Bits::default();
        bits.reset(self.meta.len());
        for d in 0..self.meta.len() as u32 {
            if self.has_value(d, f, v) {
                bits.set(d);
            }
        }
        let bits = Arc::new(bits);
        let size = bits.bytes();
        self.value_bits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keep((f, v), bits.clone(), size, VALUE_BITS_BYTES);
        bits
    }

    pub(crate) fn categories(&self, d: u32) -> Cats<'_> {
        let m = &self.meta[d as usize];
        if m.overflow {
            Cats::Spilled(&self.overflow[&d].0)
        } else {
            Cats::Inline(&m.cats[..m.ncat as usize])
        }
    }

    pub(crate) fn keywords(&self, d: u32) -> &[u32] {
        let m = &self.meta[d as usize];
        if m.overflow {
            &self.overflow[&d].1
        } else {
            &m.kws[..m.nkw as usize]
        }
    }

    /// The normalized name (without the scope) of a docno.
    pub(crate) fn name_norm(&self, d: u32) -> &str {
        let full = &self.full_norm[d as usize];
        full.split_once('/').map_or(full, |(_, n)| n)
    }

    /// Committed documents whose normalized `name` or `scope/name` is `key`: docnos with
    /// where each is in tantivy ([`loc`]).
    pub(crate) fn exact_matches(&self, key: &str) -> Vec<(u32, u64)> {
        let mut out: Vec<(u32, u64)> = Vec::new();
        if key.is_empty() {
            return out;
        }
        let term = Term::from_field_text(self.fields.exact, key);
        for seg in &self.segs {
            each_live(seg, &seg.exact, &term, IndexRecordOption::Basic, |_, doc| {
                let d = seg.docnos[doc as usize];
                if self.meta[d as usize].alive && !out.iter().any(|e| e.0 == d) {
                    out.push((d, loc(seg.ord, doc)));
                }
                true
            });
        }
        out.sort_unstable();
        out
    }

    /// The full name (`scope/name`, as written) of a private docno.
    pub(crate) fn private_name(&self, d: u32) -> Option<&str> {
        self.private_names.get(&d).map(|n| &**n)
    }

    /// Adds each (field, term) of `text` as it is spelled to `f`: postings with their term
    /// frequency and field length, for live documents only, as docnos.
    pub(crate) fn for_each_posting(&self, text: &str, mut f: impl FnMut(u32, usize, u32, u32)) {
        for seg in &self.segs {
            for field in 0..FIELDS {
                let term = Term::from_field_text(self.fields.text[field], text);
                each_live_block(seg, &seg.text[field], &term, true, |doc, tf| {
                    f(seg.docnos[doc as usize], field, tf, seg.norms[field].fieldnorm(doc));
                });
            }
        }
    }

    /// Documents (including deleted ones not yet merged away) holding `text` in some field,
    /// summed over segments: the order in which expansions of a query word are tried.
    pub(crate) fn doc_freq(&self, text: &str) -> u32 {
        let mut n = 0;
        for seg in &self.segs {
            let mut best = 0;
            for field in 0..FIELDS {
                if let Ok(Some(info)) = seg.text[field].terms().get(text.as_bytes()) {
                    best = best.max(info.doc_freq);
                }
            }
            n += best;
        }
        n
    }

    /// Terms of every field that begin with `start` (and are longer), at most `max` per
    /// term dictionary, with their document frequencies as [`Index::doc_freq`] counts them.
    pub(crate) fn terms_with_prefix(&self, start: &str, max: usize) -> Vec<(String, u32)> {
        self.collect_terms(|dict| {
            let mut out = Vec::new();
            if let Ok(mut stream) = dict.range().gt(start.as_bytes()).into_stream() {
                while out.len() < max && stream.advance() {
                    if !stream.key().starts_with(start.as_bytes()) {
                        break;
                    }
                    out.push((stream.key().to_vec(), stream.value().doc_freq));
                }
            }
            out
        })
    }

    /// Terms of every field within `typos` edits of `word` (adjacent swaps count as one),
    /// with their document frequencies as [`Index::doc_freq`] counts them.
    pub(crate) fn terms_near(&self, word: &str, typos: u8) -> Vec<(String, u32)> {
        let dfa = crate::fuzzy::automaton(word, typos);
        self.collect_terms(|dict| {
            let mut out = Vec::new();
            if let Ok(mut stream) = dict.search(&dfa).into_stream() {
                while stream.advance() {
                    out.push((stream.key().to_vec(), stream.value().doc_freq));
                }
            }
            out
        })
    }

    /// The terms `walk` finds in each field's dictionary of each segment, with the document
    /// frequency read on the way (no second lookup): the largest over the fields of a
    /// segment, summed over segments.
    fn collect_terms(
        &self,
        walk: impl Fn(&tantivy::termdict::TermDictionary) -> Vec<(Vec<u8>, u32)>,
    ) -> Vec<(String, u32)> {
        let mut total: HashMap<Vec<u8>, u32> = HashMap::new();
        for seg in &self.segs {
            let mut here: HashMap<Vec<u8>, u32> = HashMap::new();
            for field in 0..FIELDS {
                for (term, df) in walk(seg.text[field].terms()) {
                    let e = here.entry(term).or_default();
                    *e = (*e).max(df);
                }
            }
            for (term, df) in here {
                *total.entry(term).or_default() += df;
            }
        }
        let mut out: Vec<(String, u32)> = total
            .into_iter()
            .filter_map(|(t, df)| String::from_utf8(t).ok().map(|t| (t, df)))
            .collect();
        out.sort_unstable();
        out
    }

    /// Merges every segment into one (after a bulk build: queries then read one term
    /// dictionary per field instead of one per segment). Blocks until done.
    pub fn merge_all(&mut self) -> Result<()> {
        let writer = self.writer.get_mut().unwrap_or_else(|e| e.into_inner());
        // Background merges would race this one for the same segments.
        writer.set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
        let ids = self.tv.searchable_segment_ids()?;
        let merged = if ids.len() > 1 {
            writer.merge(&ids).wait().map(drop)
        } else {
            Ok(())
        };
        writer.set_merge_policy(Box::<tantivy::merge_policy::LogMergePolicy>::default());
        merged?;
        self.reader.reload()?;
        self.searcher = self.reader.searcher();
        self.segs = self.views()?;
        Ok(())
    }

    /// Starts a bulk load: no background merges until [`Index::merge_all`] (which merges
    /// everything once at the end instead).
    pub fn begin_bulk(&mut self) {
        let writer = self.writer.get_mut().unwrap_or_else(|e| e.into_inner());
        writer.set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
    }

    /// Closes the index, waiting for merges still writing its files (so that its directory
    /// can then be removed).
    pub fn close(self) -> Result<()> {
        let writer = self.writer.into_inner().unwrap_or_else(|e| e.into_inner());
        writer.wait_merging_threads()?;
        Ok(())
    }

    /// Number of segments searched.
    pub fn segments(&self) -> usize {
        self.segs.len()
    }

    /// The term `text` in a text field.
    pub(crate) fn text_term(&self, field: usize, text: &str) -> Term {
        Term::from_field_text(self.fields.text[field], text)
    }

    /// Where the committed document `d` is in tantivy ([`loc`]).
    pub(crate) fn locate(&self, d: u32) -> Option<u64> {
        let term = Term::from_field_i64(self.fields.id, self.ids[d as usize]);
        let mut found = None;
        for seg in &self.segs {
            each_live(seg, &seg.id, &term, IndexRecordOption::Basic, |_, doc| {
                if seg.docnos[doc as usize] == d {
                    found = Some(loc(seg.ord, doc));
                }
                found.is_none()
            });
        }
        found
    }

    /// The largest [`Index::impact`] of `text` in `field` of a segment's documents: worked
    /// out once per segment, field and term (a walk of its postings), then remembered.
    pub(crate) fn field_max(&self, seg: &SegView, field: usize, text: &str) -> f32 {
        /// Terms remembered before the memory starts afresh.
        const MOST: usize = 200_000;
        let key = (seg.segment, field, text.to_string());
        if let Some(&m) = self.field_max.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return m;
        }
        let mut max = 0.0f32;
        let term = self.text_term(field, text);
        let norms = &seg.norms[field];
        each_live_block(seg, &seg.text[field], &term, true, |doc, tf| {
            max = max.max(Index::impact(field, tf, norms.fieldnorm(doc)));
        });
        let mut memo = self.field_max.lock().unwrap_or_else(|e| e.into_inner());
        if memo.len() >= MOST {
            memo.clear();
        }
        memo.insert(key, max);
        max
    }

    /// The live documents of `seg` holding `text` in any field, as docnos, when the term is
    /// common enough there that a set of every docno is smaller than walking its postings
    /// ([`REACH_CACHE_MIN_SHARE`]); `None` for rarer terms, whose postings are walked.
    /// Worked out on a term's first query and kept, within [`REACH_CACHE_BYTES`].
    pub(crate) fn cached_reach(&self, seg: &SegView, text: &str) -> Option<Arc<Bits>> {
        let key = (seg.segment, seg.deleted, text.to_string());
        if let Some(b) = self.reach_cache.lock().unwrap_or_else(|e| e.into_inner()).map.get(&key) {
            return Some(b.clone());
        }
        let terms: Vec<Term> = (0..FIELDS).map(|f| self.text_term(f, text)).collect();
        let largest = (0..FIELDS)
            .filter_map(|f| seg.text[f].doc_freq(&terms[f]).ok())
            .max()
            .unwrap_or(0);
        if (largest as usize) < (seg.docnos.len() / REACH_CACHE_MIN_SHARE).max(self.reach_cache_min_docs) {
            return None;
        }
        let mut bits = Bits::default();
        bits.reset(seg.docnos.iter().max().map_or(0, |&d| d as usize + 1));
        self.add_reach(seg, text, &mut bits);
        let bits = Arc::new(bits);
        let size = bits.bytes();
        self.reach_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keep(key, bits.clone(), size, REACH_CACHE_BYTES);
        Some(bits)
    }

    /// Adds the docnos of `seg`'s live documents holding `text` in any field to `out`
    /// (a walk of its postings, without frequencies).
    pub(crate) fn add_reach(&self, seg: &SegView, text: &str, out: &mut Bits) {
        for field in 0..FIELDS {
            let term = self.text_term(field, text);
            each_live_block(seg, &seg.text[field], &term, false, |doc, _| {
                out.set(seg.docnos[doc as usize])
            });
        }
    }

    /// A term's best-scoring documents in one segment, with a bound on the others' scores
    /// ([`Champions`]). Worked out on the term's first query in the segment (a walk of its
    /// postings outside READMEs, and seeks in those) and kept while the segment lives, within
    /// [`CHAMPION_CACHE_BYTES`]: segments never change, and deletions only remove documents
    /// (a query skips the dead ones), so neither the scores nor the bound go stale.
    pub(crate) fn champions(&self, seg: &SegView, text: &str) -> Arc<Champions> {
        let key = (seg.segment, text.to_string());
        if let Some(c) = self.champions.lock().unwrap_or_else(|e| e.into_inner()).map.get(&key) {
            return c.clone();
        }
        let c = Arc::new(self.find_champions(seg, text));
        let size = c.bytes();
        self.champions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keep(key, c.clone(), size, CHAMPION_CACHE_BYTES);
        c
    }

    fn find_champions(&self, seg: &SegView, text: &str) -> Champions {
        // Each document's score, summed over fields in field order, as every scoring
        // path sums it (so that the sums are the same to the last bit). READMEs, the
        // longest posting lists by far, come last: they are read for the documents kept
        // only (by seeking), and bounded for the others.
        let mut score = vec![0.0f32; seg.docnos.len()];
        let mut docs: Vec<DocId> = Vec::new();
        for field in (0..FIELDS).filter(|&f| f != README) {
            let term = self.text_term(field, text);
            let norms = &seg.norms[field];
            each_live_block(seg, &seg.text[field], &term, true, |doc, tf| {
                let s = &mut score[doc as usize];
                if *s == 0.0 {
                    docs.push(doc);
                }
                *s += Index::impact(field, tf, norms.fieldnorm(doc));
            });
        }
        let mut kept: Vec<(DocId, f32)> = docs.into_iter().map(|d| (d, score[d as usize])).collect();
        let most = self.champions_most.max(1);
        let mut rest = 0.0f32;
        if kept.len() > most {
            let by_score = |a: &(DocId, f32), b: &(DocId, f32)| b.1.total_cmp(&a.1);
            // Keep what a page's results could score: anything within the widest
            // popularity spread of the [`CHAMPIONS_PAGE`]-th best score (popularity
            // multiplies scores).
            let rank = CHAMPIONS_PAGE.min(most);
            kept.select_nth_unstable_by(rank - 1, by_score);
            let keep_from = kept[rank - 1].1 / CHAMPIONS_SPREAD;
            let (mut within, mut beyond): (Vec<_>, Vec<_>) = kept.into_iter().partition(|x| x.1 >= keep_from);
            if within.len() > most {
                within.select_nth_unstable_by(most - 1, by_score);
                beyond.extend(within.drain(most..));
            }
            rest = beyond.iter().map(|x| x.1).fold(0.0, f32::max);
            kept = within;
        }
        kept.sort_unstable_by_key(|x| x.0);
        let term = self.text_term(README, text);
        let mut with_readme = 0;
        if let Ok(Some(mut p)) = seg.text[README].read_postings(&term, IndexRecordOption::WithFreqs) {
            use tantivy::postings::Postings;
            use tantivy::DocSet;
            for x in kept.iter_mut() {
                if p.doc() <= x.0 && p.seek(x.0) == x.0 {
                    x.1 += Index::impact(README, p.term_freq(), seg.norms[README].fieldnorm(x.0));
                    with_readme += 1;
                }
            }
        }
        // Documents not kept whose READMEs hold the term (any, when its postings list
        // more than the kept ones: deleted documents count, which only loosens it).
        if seg.text[README].doc_freq(&term).unwrap_or(u32::MAX) > with_readme {
            rest += README_MOST;
        }
        Champions {
            docs: kept.into_boxed_slice(),
            rest,
        }
    }

    /// Reaches cached so far ([`Index::cached_reach`]).
    #[cfg(test)]
    pub(crate) fn cached_reaches(&self) -> usize {
        self.reach_cache.lock().unwrap().map.len()
    }

    /// The per-field weighted BM25 contribution of a term seen `tf` times in a field of
    /// `len` tokens.
    pub(crate) fn impact(field: usize, tf: u32, len: u32) -> f32 {
        let tf = tf.min(255) as f32;
        let norm = 1.0 - B[field] + B[field] * len as f32 / TYPICAL_LEN[field];
        WEIGHTS[field] * tf * (K1 + 1.0) / (tf + K1 * norm)
    }

    /// The tantivy index (for tools that inspect it).
    pub fn tantivy(&self) -> &tantivy::Index {
        &self.tv
    }
}

impl Default for Index {
    fn default() -> Self {
        Self::new()
    }
}

/// Calls `f` with each live document of `term`'s postings in one segment (and the postings,
/// for their frequencies) until `f` returns false.
pub(crate) fn each_live(
    seg: &SegView,
    inv: &InvertedIndexReader,
    term: &Term,
    option: IndexRecordOption,
    mut f: impl FnMut(&tantivy::postings::SegmentPostings, DocId) -> bool,
) {
    let Ok(Some(mut postings)) = inv.read_postings(term, option) else {
        return;
    };
    let mut doc = tantivy::DocSet::doc(&postings);
    while doc != tantivy::TERMINATED {
        if seg.is_alive(doc) && !f(&postings, doc) {
            return;
        }
        doc = tantivy::DocSet::advance(&mut postings);
    }
}

/// A term's postings are kept as a set of docnos ([`Index::cached_reach`]) when they list at
/// least this share of a segment's documents (1/64: a bit per document then takes no
/// more room than 4 bytes per posting would), and at least [`REACH_CACHE_MIN_DOCS`].
const REACH_CACHE_MIN_SHARE: usize = 64;
const REACH_CACHE_MIN_DOCS: usize = 4_096;
/// Memory for cached reaches (128 KB each at a million documents); when full, it starts
/// afresh.
const REACH_CACHE_BYTES: usize = 32 << 20;

/// A term's best-scoring documents in a segment ([`Index::champions`]), chosen by their
/// score without READMEs: every document holding the term outside READMEs when there are
/// at most [`CHAMPIONS_MOST`], else those scoring within [`CHAMPIONS_SPREAD`] of the
/// [`CHAMPIONS_PAGE`]-th best (at most [`CHAMPIONS_MOST`]).
pub(crate) struct Champions {
    /// Segment document ids (dead ones included: they died after) with the term's score,
    /// before weights and popularity: [`Index::impact`] summed over all fields.
    pub docs: Box<[(DocId, f32)]>,
    /// At least the score of any document holding the term that is not listed: the best
    /// unlisted score without READMEs, plus [`README_MOST`] where READMEs hold the term
    /// outside the list (0 when every document holding it is listed).
    pub rest: f32,
}

impl Champions {
    fn bytes(&self) -> usize {
        self.docs.len() * std::mem::size_of::<(DocId, f32)>() + 64
    }
}

/// More than any README adds to a score ([`Index::impact`] tends to its weight times
/// `K1 + 1` as the term frequency grows; frequencies stop at 255).
const README_MOST: f32 = WEIGHTS[README] * (K1 + 1.0);

/// Most documents listed per term and segment ([`Champions`]).
pub(crate) const CHAMPIONS_MOST: usize = 4_096;
/// The rank whose score sets what is listed ([`Champions`]): pages end sooner.
const CHAMPIONS_PAGE: usize = 100;
/// Popularity (see [`popularity`]) stays under 1.5 below 10¹⁰ downloads: a document scoring
/// less than the listed ones by more than that cannot pass them.
const CHAMPIONS_SPREAD: f32 = 1.5;
/// Memory for champion lists; when full, it starts afresh.
const CHAMPION_CACHE_BYTES: usize = 64 << 20;

type ChampionCache = Capped<(tantivy::index::SegmentId, String), Champions>;

/// Memory for filter sets ([`Index::value_bits`]: 128 KB each at a million documents).
const VALUE_BITS_BYTES: usize = 16 << 20;

type ValueBits = Capped<(FacetField, u32), Bits>;

/// Cached reaches of common terms ([`Index::cached_reach`]).
type ReachCache = Capped<(tantivy::index::SegmentId, u32, String), Bits>;

/// A memo within a memory budget: when an entry would take it over, it starts afresh.
struct Capped<K, V> {
    map: HashMap<K, Arc<V>>,
    bytes: usize,
}

impl<K, V> Default for Capped<K, V> {
    fn default() -> Self {
        Capped {
            map: HashMap::new(),
            bytes: 0,
        }
    }
}

impl<K: std::hash::Hash + Eq, V> Capped<K, V> {
    /// Keeps `value` (`size` bytes) under `key` within `budget` bytes.
    fn keep(&mut self, key: K, value: Arc<V>, size: usize, budget: usize) {
        if self.bytes + size > budget {
            self.map.clear();
            self.bytes = 0;
        }
        if self.map.insert(key, value).is_none() {
            self.bytes += size;
        }
    }
}

/// Calls `f(doc, tf)` with each live document of `term`'s postings in one segment, in
/// order, decoding them a block of 128 at a time (no per-document cursor call); `tf` is the
/// term's frequency when `freqs`, else 1. For walks of whole posting lists; [`each_live`]
/// stops early and seeks.
#[inline]
pub(crate) fn each_live_block(
    seg: &SegView,
    inv: &InvertedIndexReader,
    term: &Term,
    freqs: bool,
    mut f: impl FnMut(DocId, u32),
) {
    let option = if freqs {
        IndexRecordOption::WithFreqs
    } else {
        IndexRecordOption::Basic
    };
    let Ok(Some(mut block)) = inv.read_block_postings(term, option) else {
        return;
    };
    loop {
        let docs = block.docs();
        if docs.is_empty() {
            return;
        }
        match (&seg.alive, freqs) {
            (None, false) => docs.iter().for_each(|&doc| f(doc, 1)),
            (None, true) => docs.iter().zip(block.freqs()).for_each(|(&doc, &tf)| f(doc, tf)),
            (Some(alive), _) => {
                for (i, &doc) in docs.iter().enumerate() {
                    if alive.is_alive(doc) {
                        f(doc, if freqs { block.freq(i) } else { 1 });
                    }
                }
            }
        }
        block.advance();
    }
}

/// Where a document is in tantivy: its segment's ordinal and its id there, in one
/// number that sorts by segment, then document.
pub(crate) fn loc(seg: u32, doc: DocId) -> u64 {
    (seg as u64) << 32 | doc as u64
}

/// The values of a string column's dictionary, by term ordinal.
fn dictionary(col: &StrColumn) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(col.num_terms());
    let mut stream = col.dictionary().stream()?;
    while stream.advance() {
        out.push(String::from_utf8_lossy(stream.key()).into_owned());
    }
    Ok(out)
}

/// The search crate has no logger of its own: rare failures go to stderr.
fn tracing_free_log(msg: &str) {
    eprintln!("trove-search: {msg}");
}

/// What the in-memory record of a document is made from.
struct Record {
    id: i64,
    namespace: i64,
    private: bool,
    ecosystem: u32,
    kind: u32,
    license: u32,
    categories: Vec<u32>,
    keywords: Vec<u32>,
    downloads: i64,
    updated_at: i64,
    full_norm: String,
    private_name: Option<String>,
}

fn push_token(out: &mut Vec<Token>, text: &str) {
    let position = out.len();
    out.push(Token {
        offset_from: 0,
        offset_to: 0,
        position,
        text: text.to_string(),
        position_length: 1,
    });
}

/// A name or keyword: its words, plus the words run together when there are several
/// (`markdown-parser` also matches `markdownparser`).
fn add_name_like(out: &mut Vec<Token>, s: &str) {
    let mut joined = String::new();
    let mut parts = 0;
    for_each_token(s, |t| {
        joined.push_str(t);
        parts += 1;
    });
    add_text(out, s, false, usize::MAX);
    if parts > 1 && joined.chars().count() <= MAX_TOKEN_CHARS {
        push_token(out, &joined);
    }
}

fn add_text(out: &mut Vec<Token>, text: &str, skip_stopwords: bool, max_tokens: usize) {
    let mut n = 0;
    for_each_token(text, |t| {
        if n < max_tokens {
            n += 1;
            if !(skip_stopwords && is_stopword(t)) {
                push_token(out, t);
            }
        }
    });
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

    fn has_term(ix: &Index, term: &str) -> usize {
        let mut n = 0;
        ix.for_each_posting(term, |_, _, _, _| n += 1);
        n
    }

    #[test]
    fn upsert_replace_and_remove_keep_postings_exact() {
        let mut ix = Index::new();
        ix.upsert(doc(1, "markdown-parser"), "Parses markdown. Markdown!");
        ix.upsert(doc(2, "toml-edit"), "edits toml");
        ix.commit().unwrap();
        assert_eq!(ix.doc_freq("markdown"), 1);
        assert_eq!(has_term(&ix, "markdownparser"), 1, "joined name");
        assert_eq!(ix.len(), 2);

        // Replacing drops the old terms' postings.
        ix.upsert(doc(1, "yaml-parser"), "");
        assert_eq!(ix.get(1).unwrap().name, "markdown-parser", "staged, not yet visible");
        ix.commit().unwrap();
        assert_eq!(has_term(&ix, "markdown"), 0);
        assert_eq!(ix.get(1).unwrap().name, "yaml-parser");
        assert_eq!(ix.len(), 2);

        assert!(ix.remove(2));
        assert!(!ix.remove(2));
        ix.commit().unwrap();
        assert_eq!(ix.len(), 1);
        assert_eq!(has_term(&ix, "toml"), 0);
        assert!(ix.exact_matches("toml-edit").is_empty());
        // Freed docnos are reused.
        ix.upsert(doc(3, "zzz"), "");
        ix.commit().unwrap();
        assert!(ix.meta.len() <= 3, "{}", ix.meta.len());
        assert_eq!(ix.versions().count(), 2);
    }

    #[test]
    fn impacts_weigh_fields_and_saturate() {
        let a_name = Index::impact(NAME, 1, 1);
        let once_in_readme = Index::impact(README, 1, 1);
        let often_in_readme = Index::impact(README, 200, 200);
        assert!(a_name > 2.0 * often_in_readme, "a name beats any README");
        assert!(often_in_readme > once_in_readme, "more mentions count more");
        assert!(often_in_readme < 0.6 * (K1 + 1.0) + 1e-3, "but saturate");
    }

    #[test]
    fn stopwords_are_kept_in_names_only() {
        let mut ix = Index::new();
        let mut d = doc(1, "the-thing");
        d.description = Some("the best of the rest".into());
        ix.upsert(d, "");
        let mut d = doc(2, "other");
        d.description = Some("the best of the rest".into());
        ix.upsert(d, "");
        ix.commit().unwrap();
        assert_eq!(has_term(&ix, "the"), 1, "from the name, not from descriptions");
    }

    #[test]
    fn readme_is_capped() {
        let mut ix = Index::new();
        let readme = format!("{} tail", "word ".repeat(MAX_README_TOKENS));
        ix.upsert(doc(1, "x"), &readme);
        ix.commit().unwrap();
        assert_eq!(has_term(&ix, "tail"), 0);
        assert_eq!(has_term(&ix, "word"), 1);
    }

    #[test]
    fn many_categories_and_keywords_overflow() {
        let mut ix = Index::new();
        let mut d = doc(1, "x");
        d.keywords = (0..8).map(|i| format!("k{i}")).collect();
        ix.upsert(d, "");
        ix.commit().unwrap();
        let docno = ix.by_id[&1];
        assert!(ix.meta[docno as usize].overflow);
        assert_eq!(ix.keywords(docno).len(), 8);
    }

    #[test]
    fn an_index_on_disk_opens_with_everything_it_held() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut ix = Index::open(dir.path()).unwrap();
            let mut d = doc(1, "markdown-parser");
            d.keywords = (0..8).map(|i| format!("k{i}")).collect();
            d.categories = vec!["parsing".into()];
            d.license = Some("MIT".into());
            d.downloads = 7;
            ix.upsert(d, "readme words");
            ix.upsert(doc(2, "other"), "");
            ix.upsert(doc(3, "gone"), "");
            let mut secret = doc(5, "Secret_Thing");
            secret.private = true;
            ix.upsert(secret, "");
            ix.set_payload("state 1".into());
            ix.commit().unwrap();
            ix.remove(3);
            ix.upsert(doc(2, "renamed"), "");
            ix.commit().unwrap();
            // Staged and never committed: lost with the process, as documented.
            ix.upsert(doc(4, "uncommitted"), "");
        }
        let ix = Index::open(dir.path()).unwrap();
        assert_eq!(ix.payload(), Some("state 1"));
        assert_eq!(ix.len(), 3);
        let secret = ix.by_id[&5];
        assert_eq!(ix.private_name(secret), Some("alice/Secret_Thing"), "as written");
        assert_eq!(ix.private_name(ix.by_id[&2]), None, "public documents need none");
        assert_eq!(ix.get(2).unwrap().name, "renamed");
        assert!(ix.get(3).is_none() && ix.get(4).is_none());
        let one = ix.get(1).unwrap();
        assert_eq!(one.keywords.len(), 8);
        assert_eq!(ix.stamp(1), Some((0, 7)));
        let d = ix.by_id[&1];
        assert_eq!(ix.keywords(d).len(), 8);
        assert_eq!(&*ix.full_norm[d as usize], "alice/markdown-parser");
        assert_eq!(ix.facets[FacetField::License as usize].values, vec!["MIT".to_string()]);
        assert_eq!(
            ix.exact_matches("markdown-parser")
                .iter()
                .map(|e| e.0)
                .collect::<Vec<_>>(),
            vec![d]
        );
    }

    #[test]
    fn an_index_in_another_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = Schema::builder();
        b.add_text_field("other", STRING);
        tantivy::Index::create_in_dir(dir.path(), b.build()).unwrap();
        let err = Index::open(dir.path()).err().expect("refused");
        assert!(err.to_string().contains("another format"), "{err}");
    }
}
