//! Queries: term expansion (exact, typo, prefix), field-weighted BM25 scoring, access and
//! facet filters, facet counts, sorting and pagination.

use crate::bits::Bits;
use crate::fuzzy;
use crate::index::{each_live_block, loc, FacetField, Index, Meta, DESCRIPTION, FIELDS, NONE, README};
use crate::text::{for_each_token, is_stopword, normalize_name};
use std::cmp::Ordering;
use std::collections::HashSet;
use tantivy::schema::IndexRecordOption;

/// Score multipliers for a term reached by a typo or as a prefix of the last query word.
const ONE_TYPO: f32 = 0.45;
const TWO_TYPOS: f32 = 0.25;
const PREFIX: f32 = 0.7;
/// Most expansions per query word (typos; prefixes of the last word, the most frequent
/// first: a short prefix otherwise walks two dozen rarely relevant completions), and most
/// query words used.
const MAX_EXPANSIONS: usize = 24;
const MAX_PREFIX_EXPANSIONS: usize = 12;
const MAX_PREFIX_SCAN: usize = 2_000;
const MAX_QUERY_TERMS: usize = 8;
/// Facets are counted over every result up to this many results, and beyond that over an
/// even sample of this many (scaled to the total).
pub const FACET_SAMPLE: usize = 10_000;
/// Most documents reached only through their bounded fields (see [`Tier`]) that are
/// scored in full to fill a page; beyond, the query takes the next tier.
const README_ONLY_MOST: usize = 2_000;
/// Most documents scored in full by the first tier ([`Tier::BoundDescriptions`]) before the
/// query is tried again with descriptions in the lower bounds.
pub(crate) const FIRST_TIER_MOST: usize = 3_000;

/// Which fields the pruned path reads scores from for its lower bounds; the others only
/// say which documents a word reaches, and add at most their term's largest impact
/// ([`Index::field_max`]) to an upper bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    /// Names, scopes and keywords scored; descriptions and READMEs bounded. Descriptions
    /// of common words list a large share of the catalogue: scoring them per document
    /// is most of what a broad query costs, while a name or keyword match outweighs them.
    BoundDescriptions,
    /// Descriptions scored too; READMEs bounded.
    BoundReadmes,
}

impl Tier {
    fn bounded(self, field: usize) -> bool {
        field == README || (self == Tier::BoundDescriptions && field == DESCRIPTION)
    }
}

/// Why the pruned path gave up on a query.
enum GiveUp {
    /// Too many documents could reach the page: try descriptions in the lower bounds.
    NextTier,
    /// It cannot prune this query: score it exhaustively.
    Exhaustive,
}

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
    /// Count facets over every result however many there are (category totals, say),
    /// instead of over a sample beyond [`FACET_SAMPLE`] results.
    pub exact_facets: bool,
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
            exact_facets: false,
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
    /// Whether the facet counts are exact: beyond [`FACET_SAMPLE`] results (and without
    /// [`Query::exact_facets`]) they are estimated from an even sample of the results.
    pub facets_exact: bool,
}

impl SearchResult {
    /// No results (and so exact, empty facets).
    fn nothing() -> Self {
        SearchResult {
            facets_exact: true,
            ..SearchResult::default()
        }
    }
}

/// What a relevance page is worked out from: the query, its words' expansions with their
/// weights (weight times idf), which words the caller can see matched, the exact name
/// matches (docno, where, a result), where the page ends and how many results there are.
#[derive(Clone, Copy)]
struct Ask<'a> {
    q: &'a Query<'a>,
    expansions: &'a [Vec<Expansion>],
    weights: &'a [Vec<f32>],
    known: &'a [bool],
    exact: &'a [(u32, u64, bool)],
    end: usize,
    results: usize,
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
        SCRATCH.with(|scratch| {
            let scratch = &mut scratch.borrow_mut();
            self.search_pruned(q, access, scratch)
                .unwrap_or_else(|| self.search_exhaustive(q, access, scratch))
        })
    }

    /// Answers like [`Index::search_exhaustive`] without visiting every result one by one
    /// where it need not:
    ///
    /// - What matches is worked out on sets of docnos: per query word the union of its
    ///   expansions' reach, intersected over words, with what the caller may see and with
    ///   the filters; the total is a popcount. A term in 1/64 or more of a segment's
    ///   documents has its reach cached as such a set ([`Index::cached_reach`]); rarer
    ///   terms' postings are walked without frequencies.
    /// - For relevance, only the results are then scored, and only on some fields (see
    ///   [`Tier`]): a lower bound. Each other field adds at most its term's largest impact
    ///   ([`Index::field_max`]) times the term's weight, so only results whose upper bound
    ///   reaches the page's lowest lower bound are scored in full, by seeking their
    ///   postings; so are the few (at most [`README_ONLY_MOST`]) popular enough to reach
    ///   the page through the bounded fields alone. A one-word query without filters first
    ///   bounds descriptions too, and scores them when more than
    ///   [`FIRST_TIER_MOST`] results could reach the page.
    /// - Other sorts keep the best keys as they go, and score only the page.
    /// - Facets are counted over every result up to [`FACET_SAMPLE`] results, and beyond
    ///   that over an even sample, scaled ([`SearchResult::facets_exact`] says which).
    ///
    /// `None` where it cannot prune (documents that match only some words, or more than
    /// [`README_ONLY_MOST`] that only their READMEs make match while they could still reach
    /// the page): the caller then runs the exhaustive path.
    fn search_pruned(&self, q: &Query<'_>, access: &Access, scratch: &mut Scratch) -> Option<SearchResult> {
        let Some(filters) = self.resolve_filters(q) else {
            return Some(SearchResult::nothing());
        };
        // A query that panicked half-way left its buffers dirty: start them afresh.
        if scratch.dirty {
            *scratch = Scratch::default();
        }
        scratch.dirty = true;
        let n = self.meta.len();
        self.allowed_into(access, &mut scratch.allowed);
        scratch.members.copy_from(&scratch.allowed, n);

        let words = query_words(q.text);
        let exact_key = normalize_name(q.text);
        let text = !(words.is_empty() && exact_key.is_empty());
        let expansions: Vec<Vec<Expansion>> = words
            .iter()
            .enumerate()
            .map(|(i, w)| self.expand(w, i + 1 == words.len()))
            .filter(|e| !e.is_empty())
            .collect();
        let scored = q.sort == Sort::Relevance && !expansions.is_empty();
        let mut weights: Vec<Vec<f32>> = Vec::with_capacity(expansions.len());
        // Words reaching a document the caller may see (the others count as unknown).
        let mut known: Vec<bool> = Vec::with_capacity(expansions.len());
        if text {
            scratch.prepare(n);
            for ex in &expansions {
                weights.push(self.reach_word(ex, scratch));
                let visible = scratch.word.intersects(&scratch.allowed);
                if visible {
                    scratch.members.and_with(&scratch.word);
                }
                known.push(visible);
            }
        }
        let words_known = known.iter().filter(|&&k| k).count();
        if text && words_known == 0 {
            scratch.members.reset(n);
        }
        let passes = |d: u32| {
            filters.matches(self, d, &self.meta[d as usize])
                && q.namespace.is_none_or(|ns| self.namespaces[d as usize] == ns)
        };
        // Filters as sets: each value's documents ([`Index::value_bits`]), united over
        // the values a filter lists.
        for (f, values) in filters.each() {
            match values {
                [v] => scratch.members.and_with(&self.value_bits(f, *v)),
                _ => {
                    scratch.word.reset(n);
                    for &v in values {
                        scratch.word.or_with(&self.value_bits(f, v));
                    }
                    scratch.members.and_with(&scratch.word);
                }
            }
        }
        if let Some(ns) = q.namespace {
            scratch.members.retain(|d| self.namespaces[d as usize] == ns);
        }
        let members = &scratch.members;
        // Exact name matches the caller may see: (docno, where, a member).
        let exact: Vec<(u32, u64, bool)> = if text {
            self.exact_matches(&exact_key)
                .into_iter()
                .filter(|&(d, _)| scratch.allowed.get(d) && passes(d))
                .map(|(d, at)| (d, at, members.get(d)))
                .collect()
        } else {
            Vec::new()
        };
        let is_exact = |d: u32| exact.binary_search_by_key(&d, |e| e.0).is_ok();
        let member_count = members.count();
        if member_count == 0 && words_known > 1 && exact.is_empty() {
            // No document matches every word: the exhaustive path scores partial matches.
            scratch.finish();
            return None;
        }
        let total = member_count + exact.iter().filter(|e| !e.2).count();
        let end = q.offset.saturating_add(q.limit).min(total);

        // Descriptions are bounded first only for one word without filters: more words or
        // filters leave few name and keyword matches to set a high floor, and the first
        // tier would mostly give up.
        let mut tier = if words.len() == 1 && filters.is_empty() && q.namespace.is_none() {
            Tier::BoundDescriptions
        } else {
            Tier::BoundReadmes
        };
        let ask = Ask {
            q,
            expansions: &expansions,
            weights: &weights,
            known: &known,
            exact: &exact,
            end,
            results: member_count,
        };
        let mut by_champions = false;
        let mut page: Vec<Candidate> = if end == 0 {
            Vec::new()
        } else if let Some(page) = scored.then(|| self.page_by_champions(&ask, scratch)).flatten() {
            by_champions = true;
            page
        } else if scored {
            scratch.reset();
            loop {
                match self.page_by_score(&ask, scratch, tier) {
                    Ok(page) => break page,
                    // The reach stays: only the scores are worked out again.
                    Err(GiveUp::NextTier) => {
                        scratch.reset();
                        tier = Tier::BoundReadmes;
                    }
                    Err(GiveUp::Exhaustive) => {
                        scratch.finish();
                        return None;
                    }
                }
            }
        } else {
            let mut top = TopK::new(end, |a, b| self.compare(q.sort, a, b));
            let mut offer = |d: u32, exact: bool| {
                top.offer(Candidate {
                    doc: d,
                    exact,
                    score: 0.0,
                    key: self.sort_key(q.sort, d),
                })
            };
            // Only documents keyed at most `threshold` are offered: on a sample, enough of
            // them to fill the page; should fewer pass, everything is offered after all.
            let threshold = self.key_threshold(q.sort, &scratch.members, member_count, end);
            let mut passed = 0;
            scratch.members.for_each(|d| {
                if threshold.is_none_or(|t| self.sort_key(q.sort, d) <= t) {
                    passed += 1;
                    offer(d, is_exact(d));
                }
            });
            if passed < end && threshold.is_some() {
                scratch.members.for_each(|d| {
                    if threshold.is_some_and(|t| self.sort_key(q.sort, d) > t) {
                        offer(d, is_exact(d));
                    }
                });
            }
            for e in exact.iter().filter(|e| !e.2) {
                offer(e.0, true);
            }
            let mut page = top.finish();
            if text {
                // The page's scores, as the exhaustive path gives them (0 for an exact
                // match that does not match every word).
                let mut docs: Vec<(u64, u32)> = page
                    .iter()
                    .filter(|c| scratch.members.get(c.doc))
                    .filter_map(|c| Some((self.locate(c.doc)?, c.doc)))
                    .collect();
                docs.sort_unstable();
                let totals = self.exact_scores(&expansions, &weights, &docs);
                for c in &mut page {
                    if let Some(j) = docs.iter().position(|x| x.1 == c.doc) {
                        c.score = totals[j] * self.meta[c.doc as usize].popularity;
                    }
                }
            }
            page
        };

        let (facets, facets_exact) = if q.facet_limit == 0 {
            (Facets::default(), true)
        } else {
            let mut counts = std::mem::take(&mut scratch.facets);
            counts.prepare(self);
            let exact_count = q.exact_facets || member_count <= self.facet_sample;
            if exact_count && member_count > self.facet_sample {
                scratch.members.for_each(|d| counts.add(self, d));
            } else {
                // Every result, or an even sample of them: gathered first, so that each
                // record can be fetched from memory ahead of its turn.
                let mut docs = std::mem::take(&mut scratch.sample);
                docs.clear();
                let step = if exact_count {
                    1
                } else {
                    member_count.div_ceil(self.facet_sample)
                };
                let seen = scratch.members.for_each_step(step, |d| docs.push(d));
                counts.add_all(self, &docs);
                if !exact_count {
                    counts.scale(member_count, seen);
                }
                scratch.sample = docs;
            }
            for e in exact.iter().filter(|e| !e.2) {
                counts.add(self, e.0);
            }
            let facets = counts.top(self, q.facet_limit);
            scratch.facets = counts;
            (facets, exact_count)
        };
        let hits = page
            .drain(..)
            .skip(q.offset)
            .map(|c| Hit {
                id: self.ids[c.doc as usize],
                score: c.score,
            })
            .collect();
        scratch.finish();
        #[cfg(test)]
        ANSWERED_BY_TIER.with(|c| {
            let i = if by_champions {
                2
            } else {
                usize::from(tier == Tier::BoundReadmes)
            };
            c[i].set(c[i].get() + 1)
        });
        let _ = by_champions;
        Some(SearchResult {
            total,
            hits,
            facets,
            facets_exact,
        })
    }

    /// The first `end` results by relevance with lower bounds from the fields `tier`
    /// scores ([`Index::score_word`] for every word, then [`Index::best_by_score`] with
    /// the most the other fields can add over the `known` words).
    fn page_by_score(&self, ask: &Ask<'_>, scratch: &mut Scratch, tier: Tier) -> Result<Vec<Candidate>, GiveUp> {
        let Ask {
            expansions,
            weights,
            known,
            ..
        } = *ask;
        for (i, (ex, w)) in expansions.iter().zip(weights).enumerate() {
            self.score_word(i, ex, w, tier, scratch);
        }
        // The most the bounded fields can add to a score, summed over the known words.
        let bounded_most: f32 = expansions
            .iter()
            .zip(weights)
            .zip(known)
            .filter(|(_, &k)| k)
            .map(|((ex, ws), _)| {
                ex.iter()
                    .zip(ws)
                    .map(|(e, &w)| {
                        w * self
                            .segs
                            .iter()
                            .map(|seg| {
                                (0..FIELDS)
                                    .filter(|&f| tier.bounded(f))
                                    .map(|f| self.field_max(seg, f, &e.term))
                                    .sum::<f32>()
                            })
                            .fold(0.0, f32::max)
                    })
                    .fold(0.0, f32::max)
            })
            .sum();
        self.best_by_score(ask, bounded_most, scratch, tier)
    }

    /// The first `end` results by relevance, or why not: too many documents could reach
    /// them (see [`Index::search_pruned`]). `score_word` left each result's score without
    /// the fields `tier` bounds in `scratch.total` (a lower bound) and its place in
    /// `scratch.loc`; `bounded_most` is the most those fields add to it.
    fn best_by_score(
        &self,
        ask: &Ask<'_>,
        bounded_most: f32,
        scratch: &Scratch,
        tier: Tier,
    ) -> Result<Vec<Candidate>, GiveUp> {
        let Ask { q, exact, end, .. } = *ask;
        let next = match tier {
            Tier::BoundDescriptions => GiveUp::NextTier,
            Tier::BoundReadmes => GiveUp::Exhaustive,
        };
        let members = &scratch.members;
        let is_exact = |d: u32| exact.binary_search_by_key(&d, |e| e.0).is_ok();
        // Exact matches come first: the rest of the page is `slots` long.
        let slots = end.saturating_sub(exact.len());
        let popularity = |d: u32| self.popularity[d as usize];
        let mut lower: Vec<(f32, u32)> = scratch
            .touched
            .iter()
            .filter(|&&d| members.get(d) && !is_exact(d))
            .map(|&d| (scratch.total[d as usize] * popularity(d), d))
            .collect();
        let outside_readme = lower.len();
        let readme_only = ask.results - exact.iter().filter(|e| e.2).count() - outside_readme;
        // The page's lowest score is at least `floor`: `slots` documents score that much.
        let floor = if slots == 0 {
            f32::INFINITY
        } else if lower.len() >= slots {
            lower.select_nth_unstable_by(slots - 1, |a, b| b.0.total_cmp(&a.0));
            lower[slots - 1].0
        } else {
            0.0
        };
        // Bounds carry a margin for the rounding of sums taken in another order.
        let bound = |partial: f32, popularity: f32| (partial + bounded_most) * popularity * (1.0 + 1e-4) + 1e-6;
        let mut docs: Vec<(u64, u32)> = lower
            .iter()
            .filter(|&&(_, d)| bound(scratch.total[d as usize], popularity(d)) >= floor)
            .map(|&(_, d)| (scratch.loc[d as usize], d))
            .chain(exact.iter().filter(|e| e.2).map(|e| (e.1, e.0)))
            .collect();
        // Documents only the bounded fields make match score at most `bounded_most` times
        // their popularity: the popular ones among them may reach the page.
        if readme_only > 0 && bound(0.0, self.max_popularity) >= floor {
            let mut reach = Vec::new();
            let mut too_many = false;
            members.for_each(|d| {
                if !too_many && scratch.total[d as usize] == 0.0 && !is_exact(d) && bound(0.0, popularity(d)) >= floor {
                    reach.push(d);
                    too_many = reach.len() > README_ONLY_MOST;
                }
            });
            if too_many {
                return Err(next);
            }
            for d in reach {
                docs.push((self.locate(d).ok_or(GiveUp::Exhaustive)?, d));
            }
        }
        if tier == Tier::BoundDescriptions && docs.len() > self.first_tier_most {
            return Err(GiveUp::NextTier);
        }
        let top = TopK::new(end, |a, b| self.compare(q.sort, a, b));
        Ok(self.settle_page(ask, docs, top))
    }

    /// Scores `docs` in full and offers them to `top` with the exact name matches that are
    /// not results (they score 0): the page.
    fn settle_page<F: Fn(&Candidate, &Candidate) -> Ordering>(
        &self,
        ask: &Ask<'_>,
        mut docs: Vec<(u64, u32)>,
        mut top: TopK<F>,
    ) -> Vec<Candidate> {
        let Ask {
            q,
            expansions,
            weights,
            exact,
            ..
        } = *ask;
        docs.sort_unstable();
        #[cfg(test)]
        FULLY_SCORED.with(|c| c.set(c.get() + docs.len()));
        let totals = self.exact_scores(expansions, weights, &docs);
        for (&(_, d), t) in docs.iter().zip(totals) {
            top.offer(Candidate {
                doc: d,
                exact: exact.binary_search_by_key(&d, |e| e.0).is_ok(),
                score: t * self.popularity[d as usize],
                key: self.sort_key(q.sort, d),
            });
        }
        for e in exact.iter().filter(|e| !e.2) {
            top.offer(Candidate {
                doc: e.0,
                exact: true,
                score: 0.0,
                key: self.sort_key(q.sort, e.0),
            });
        }
        top.finish()
    }

    /// The first `end` results by relevance from each expansion's best-scoring documents
    /// ([`Index::champions`]), or `None` where those lists cannot settle the page.
    ///
    /// A word scores a document its best expansion's weight times the expansion's score
    /// there; a listed document's score is known, and a document not on an expansion's
    /// list scores at most the list's `rest`. So per word, a listed document's score is
    /// exact when it is at least every unlisted score of the word's expansions (`T`), and
    /// at most `T` otherwise; a result listed for no word scores at most the sum of the
    /// words' `T`. The page's lowest score is at least the `slots`-th best lower bound
    /// (`floor`); when even the most popular document could not pass it unlisted, only
    /// listed results whose upper bound reaches it can make the page: those known exactly
    /// keep their score, the others are scored in full (at most [`README_ONLY_MOST`]).
    fn page_by_champions(&self, ask: &Ask<'_>, scratch: &mut Scratch) -> Option<Vec<Candidate>> {
        let Ask {
            q,
            expansions,
            weights,
            known,
            exact,
            end,
            results,
        } = *ask;
        if self.champions_most == 0 {
            return None;
        }
        let Scratch {
            total,
            mask,
            cur,
            loc: locs,
            touched,
            touched_word,
            members,
            upper,
            listed,
            ..
        } = scratch;
        // Per known word, the most a document not on its lists scores (`T`).
        let mut unlisted = vec![0.0f32; expansions.len()];
        let mut all_words = 0u16;
        for (i, ((ex, ws), _)) in expansions
            .iter()
            .zip(weights)
            .zip(known)
            .enumerate()
            .filter(|x| *x.1 .1)
        {
            all_words |= 1 << i;
            let mut t = 0.0f32;
            for (e, &w) in ex.iter().zip(ws) {
                for seg in &self.segs {
                    let c = self.champions(seg, &e.term);
                    t = t.max(w * c.rest);
                    for &(doc, s) in c.docs.iter() {
                        if !seg.is_alive(doc) {
                            continue;
                        }
                        let d = seg.docnos[doc as usize];
                        if !members.get(d) {
                            continue;
                        }
                        let v = (w * s).max(f32::MIN_POSITIVE);
                        let c = &mut cur[d as usize];
                        if *c == 0.0 {
                            touched_word.push(d);
                            locs[d as usize] = loc(seg.ord, doc);
                        }
                        if v > *c {
                            *c = v;
                        }
                    }
                }
            }
            unlisted[i] = t;
            for d in touched_word.drain(..) {
                let du = d as usize;
                let c = std::mem::take(&mut cur[du]);
                if upper[du] == 0.0 {
                    touched.push(d);
                }
                listed[du] |= 1 << i;
                total[du] += c;
                if c >= t {
                    mask[du] |= 1 << i;
                    upper[du] += c;
                } else {
                    upper[du] += t;
                }
            }
        }
        let unlisted_most: f32 = unlisted.iter().sum();
        let is_exact = |d: u32| exact.binary_search_by_key(&d, |e| e.0).is_ok();
        let popularity = |d: u32| self.popularity[d as usize];
        let bound = |most: f32, popularity: f32| most * popularity * (1.0 + 1e-4) + 1e-6;
        let slots = end.saturating_sub(exact.len());
        let mut lower: Vec<(f32, u32)> = touched
            .iter()
            .filter(|&&d| !is_exact(d))
            .map(|&d| (total[d as usize] * popularity(d), d))
            .collect();
        // Results on no list score at most `unlisted_most`.
        let unlisted_exact = exact.iter().filter(|e| e.2 && upper[e.0 as usize] == 0.0).count();
        let unlisted_results = results - touched.len() - unlisted_exact;
        let mut floor = if slots == 0 {
            f32::INFINITY
        } else if lower.len() >= slots {
            lower.select_nth_unstable_by(slots - 1, |a, b| b.0.total_cmp(&a.0));
            lower[slots - 1].0
        } else if unlisted_results == 0 {
            0.0
        } else {
            return None;
        };
        // The most a listed result can score: its listed words' upper bounds, and the
        // unlisted bound of the words that do not list it.
        let most = |d: u32| {
            let du = d as usize;
            let missing: f32 = (0..expansions.len())
                .filter(|&i| all_words & !listed[du] & (1 << i) != 0)
                .map(|i| unlisted[i])
                .sum();
            upper[du] + missing
        };
        // Where a result may match some words without being listed for them (more than
        // one word), lower bounds leave the floor low: the floor is raised with the full
        // scores of the results that could score best.
        let mut known_scores: Vec<(u32, f32)> = Vec::new();
        if unlisted_results > 0 && bound(unlisted_most, self.max_popularity) >= floor && slots > 0 {
            let mut best: Vec<(f32, u32)> = lower.iter().map(|&(_, d)| (most(d) * popularity(d), d)).collect();
            let take = (4 * slots).max(64).min(best.len());
            if take < best.len() {
                best.select_nth_unstable_by(take - 1, |a, b| b.0.total_cmp(&a.0));
                best.truncate(take);
            }
            let mut docs: Vec<(u64, u32)> = best
                .iter()
                .filter(|&&(_, d)| mask[d as usize] != all_words)
                .map(|&(_, d)| (locs[d as usize], d))
                .collect();
            docs.sort_unstable();
            #[cfg(test)]
            FULLY_SCORED.with(|c| c.set(c.get() + docs.len()));
            let totals = self.exact_scores(expansions, weights, &docs);
            known_scores = docs.iter().map(|x| x.1).zip(totals).collect();
            known_scores.sort_unstable_by_key(|x| x.0);
            let mut full: Vec<f32> = best
                .iter()
                .map(|&(_, d)| match known_scores.binary_search_by_key(&d, |x| x.0) {
                    Ok(i) => known_scores[i].1,
                    Err(_) => total[d as usize],
                } * popularity(d))
                .collect();
            if full.len() >= slots {
                full.select_nth_unstable_by(slots - 1, |a, b| b.total_cmp(a));
                floor = floor.max(full[slots - 1]);
            }
        }
        if unlisted_results > 0 && bound(unlisted_most, self.max_popularity) >= floor {
            return None;
        }
        #[cfg(test)]
        if !known_scores.is_empty() {
            FLOOR_RAISED.with(|c| c.set(c.get() + 1));
        }
        let mut top = TopK::new(end, |a, b| self.compare(q.sort, a, b));
        let mut docs: Vec<(u64, u32)> = Vec::new();
        for &(_, d) in &lower {
            let du = d as usize;
            if bound(most(d), popularity(d)) < floor {
                continue;
            }
            if let Ok(i) = known_scores.binary_search_by_key(&d, |x| x.0) {
                top.offer(Candidate {
                    doc: d,
                    exact: false,
                    score: known_scores[i].1 * popularity(d),
                    key: self.sort_key(q.sort, d),
                });
            } else if mask[du] == all_words {
                top.offer(Candidate {
                    doc: d,
                    exact: false,
                    score: total[du] * popularity(d),
                    key: self.sort_key(q.sort, d),
                });
            } else {
                docs.push((locs[du], d));
            }
        }
        if docs.len() > README_ONLY_MOST {
            return None;
        }
        docs.extend(exact.iter().filter(|e| e.2).map(|e| (e.1, e.0)));
        Some(self.settle_page(ask, docs, top))
    }

    /// A sort key that about four times `end` of the `count` members are keyed at most,
    /// judged on an even sample of them; `None` when there are too few members to bother.
    /// Offering members to a [`TopK`] in docno order is otherwise worst where it matters
    /// most: docnos grow with age, so by recency every member beats the page so far.
    fn key_threshold(&self, sort: Sort, members: &Bits, count: usize, end: usize) -> Option<u64> {
        const SAMPLE: usize = 1_024;
        if count < 16 * SAMPLE || end * 64 > count {
            return None;
        }
        let mut keys = Vec::with_capacity(SAMPLE + 1);
        members.for_each_step(count / SAMPLE, |d| keys.push(self.sort_key(sort, d)));
        // The sample's j-th smallest key is expected to have j * count / sampled members
        // at or below it.
        let j = (4 * end * keys.len()).div_ceil(count).min(keys.len() - 1);
        Some(*keys.select_nth_unstable(j).1)
    }

    /// One query word's reach: the documents any of its expansions is in (`scratch.word`).
    /// Returns each expansion's weight times its idf.
    fn reach_word(&self, expansions: &[Expansion], scratch: &mut Scratch) -> Vec<f32> {
        let n = self.meta.len();
        let live = self.public.max(1) as f32;
        let Scratch {
            word, term: reached, ..
        } = scratch;
        word.reset(n);
        let mut weights = Vec::with_capacity(expansions.len());
        for e in expansions {
            reached.reset(n);
            for seg in &self.segs {
                // A common term's reach is a cached set; a rarer one's postings are walked.
                match self.cached_reach(seg, &e.term) {
                    Some(bits) => reached.or_with(&bits),
                    None => self.add_reach(seg, &e.term, reached),
                }
            }
            let df = reached.and_count(&self.public_bits) as f32;
            weights.push(e.weight * idf(live, df));
            word.or_with(reached);
        }
        weights
    }

    /// Adds word `i`'s best expansion score over the fields `tier` scores (weights `ws`)
    /// to `scratch.total`, with `scratch.loc` set, for the results (`scratch.members`) it
    /// reaches there: a lower bound of their score.
    fn score_word(&self, i: usize, expansions: &[Expansion], ws: &[f32], tier: Tier, scratch: &mut Scratch) {
        let Scratch {
            total,
            mask,
            cur,
            acc,
            loc: locs,
            touched,
            touched_word,
            touched_term,
            members,
            ..
        } = scratch;
        for (e, &w) in expansions.iter().zip(ws) {
            for seg in &self.segs {
                let docnos = &seg.docnos[..];
                for field in (0..FIELDS).filter(|&f| !tier.bounded(f)) {
                    let term = self.text_term(field, &e.term);
                    let norms = &seg.norms[field];
                    each_live_block(seg, &seg.text[field], &term, true, |doc, tf| {
                        let d = docnos[doc as usize];
                        if !members.get(d) {
                            return;
                        }
                        let a = &mut acc[d as usize];
                        if *a == 0.0 {
                            touched_term.push(d);
                            locs[d as usize] = loc(seg.ord, doc);
                        }
                        *a += Index::impact(field, tf, norms.fieldnorm(doc));
                    });
                }
            }
            keep_best_expansion(w, touched_term, acc, cur, touched_word);
        }
        for d in touched_word.drain(..) {
            let d = d as usize;
            if mask[d] == 0 {
                touched.push(d as u32);
            }
            mask[d] |= 1 << i;
            total[d] += cur[d];
            cur[d] = 0.0;
        }
    }

    /// Full scores (before popularity) of `docs` (sorted by where they are, [`loc`]), as
    /// [`Index::score`] computes them, by seeking each expansion's postings to them.
    fn exact_scores(&self, expansions: &[Vec<Expansion>], weights: &[Vec<f32>], docs: &[(u64, u32)]) -> Vec<f32> {
        use tantivy::postings::Postings;
        use tantivy::DocSet;
        let k = docs.len();
        let (mut total, mut cur, mut acc) = (vec![0.0f32; k], vec![0.0f32; k], vec![0.0f32; k]);
        for (ex, ws) in expansions.iter().zip(weights) {
            for (e, &w) in ex.iter().zip(ws) {
                let mut start = 0;
                for seg in &self.segs {
                    let here = docs[start..]
                        .iter()
                        .take_while(|x| (x.0 >> 32) as u32 == seg.ord)
                        .count();
                    let range = start..start + here;
                    start += here;
                    if here == 0 {
                        continue;
                    }
                    for field in 0..FIELDS {
                        let term = self.text_term(field, &e.term);
                        let Ok(Some(mut p)) = seg.text[field].read_postings(&term, IndexRecordOption::WithFreqs) else {
                            continue;
                        };
                        for j in range.clone() {
                            let doc = docs[j].0 as u32;
                            if p.doc() <= doc && p.seek(doc) == doc {
                                acc[j] += Index::impact(field, p.term_freq(), seg.norms[field].fieldnorm(doc));
                            }
                        }
                    }
                }
                for j in 0..k {
                    let a = std::mem::take(&mut acc[j]);
                    if a != 0.0 {
                        cur[j] = cur[j].max((w * a).max(f32::MIN_POSITIVE));
                    }
                }
            }
            for j in 0..k {
                total[j] += std::mem::take(&mut cur[j]);
            }
        }
        total
    }

    /// The documents `access` admits: every public one, and the private ones it allows.
    fn allowed_into(&self, access: &Access, out: &mut Bits) {
        let n = self.meta.len();
        if access.all && access.name_filter.is_none() {
            out.copy_from(&self.alive_bits, n);
            return;
        }
        out.copy_from(&self.public_bits, n);
        if access.all || !access.namespaces.is_empty() || !access.packages.is_empty() {
            for &d in self.private_names.keys() {
                if self.alive_bits.get(d) && access.allows(self, d, &self.meta[d as usize]) {
                    out.set(d);
                }
            }
        }
    }

    /// Every document reached by a query word is scored, and every result counted: the
    /// reference the pruned path ([`Index::search_with`]) answers like, and what it falls
    /// back to where it cannot prune (documents matching only some words, or reached only
    /// through their README while they could still make the page).
    fn search_exhaustive(&self, q: &Query<'_>, access: &Access, scratch: &mut Scratch) -> SearchResult {
        let filters = match self.resolve_filters(q) {
            Some(f) => f,
            None => return SearchResult::nothing(),
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
            let exact: Vec<u32> = self.exact_matches(&exact_key).iter().map(|e| e.0).collect();
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
        SearchResult {
            total,
            hits,
            facets,
            facets_exact: true,
        }
    }

    /// A key whose ascending order is the sort's order (before ties): downloads and times
    /// descending, names ascending; for relevance, downloads break score ties.
    fn sort_key(&self, sort: Sort, d: u32) -> u64 {
        match sort {
            Sort::Relevance | Sort::Downloads => self.downloads_keys[d as usize],
            Sort::Recent => self.recent_keys[d as usize],
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
            for (_, t) in longer.into_iter().take(MAX_PREFIX_EXPANSIONS) {
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
        scratch.prepare(n);
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
                let w = e.weight * idf(live, df);
                keep_best_expansion(w, touched_term, acc, cur, touched_word);
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
    fn is_empty(&self) -> bool {
        self.ecosystem.is_none()
            && self.kind.is_none()
            && self.category.is_none()
            && self.license.is_none()
            && self.keyword.is_none()
    }

    /// The filters given, with their values.
    fn each(&self) -> impl Iterator<Item = (FacetField, &[u32])> {
        [
            (FacetField::Ecosystem, &self.ecosystem),
            (FacetField::Kind, &self.kind),
            (FacetField::Category, &self.category),
            (FacetField::License, &self.license),
            (FacetField::Keyword, &self.keyword),
        ]
        .into_iter()
        .filter_map(|(f, vs)| Some((f, vs.as_deref()?)))
    }

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
    /// What the caller may see; the results so far; one word's and one term's reach.
    allowed: Bits,
    members: Bits,
    word: Bits,
    term: Bits,
    /// Where each document with a non-zero `acc` or `total` is in tantivy ([`loc`]).
    loc: Vec<u64>,
    /// Champion lists ([`Index::page_by_champions`]): per document, the most its listed
    /// words can score, and which words list it.
    upper: Vec<f32>,
    listed: Vec<u16>,
    /// The results whose facets are counted.
    sample: Vec<u32>,
}

impl Scratch {
    /// Room for scores of docnos below `n`.
    fn prepare(&mut self, n: usize) {
        self.reset();
        if self.total.len() < n {
            self.total.resize(n, 0.0);
            self.mask.resize(n, 0);
            self.cur.resize(n, 0.0);
            self.upper.resize(n, 0.0);
            self.listed.resize(n, 0);
        }
        if self.acc.len() < n {
            self.acc.resize(n, 0.0);
        }
        if self.loc.len() < n {
            self.loc.resize(n, 0);
        }
    }

    /// The query is done with the buffers.
    fn finish(&mut self) {
        self.reset();
        self.dirty = false;
    }

    /// Zeroes what the last query wrote (only where it wrote).
    fn reset(&mut self) {
        for &d in &self.touched {
            let d = d as usize;
            self.total[d] = 0.0;
            self.mask[d] = 0;
            self.upper[d] = 0.0;
            self.listed[d] = 0;
        }
        self.touched.clear();
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

#[cfg(test)]
thread_local! {
    /// Queries the pruned path answered on this thread, by tier (first, second; the
    /// tiers count queries that are not scored too), or from champion lists.
    pub(crate) static ANSWERED_BY_TIER: [std::cell::Cell<usize>; 3] =
        const { [std::cell::Cell::new(0), std::cell::Cell::new(0), std::cell::Cell::new(0)] };
}

#[cfg(test)]
thread_local! {
    /// Queries answered from champion lists after raising the floor with full scores.
    pub(crate) static FLOOR_RAISED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
thread_local! {
    /// Documents the pruned path scored in full on this thread (tests check it prunes).
    pub(crate) static FULLY_SCORED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
impl Index {
    /// The pruned path's answer, `None` where it defers to the exhaustive one.
    pub(crate) fn search_pruned_only(&self, q: &Query<'_>, access: &Access) -> Option<SearchResult> {
        SCRATCH.with(|s| self.search_pruned(q, access, &mut s.borrow_mut()))
    }

    pub(crate) fn search_exhaustive_only(&self, q: &Query<'_>, access: &Access) -> SearchResult {
        SCRATCH.with(|s| self.search_exhaustive(q, access, &mut s.borrow_mut()))
    }
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

    /// [`FacetCounter::add`] for each of `docs`, with the records of those a few places
    /// ahead already being fetched (they are scattered over a large array: each would
    /// otherwise be a wait on memory).
    fn add_all(&mut self, ix: &Index, docs: &[u32]) {
        const AHEAD: usize = 12;
        for (i, &d) in docs.iter().enumerate() {
            if let Some(&next) = docs.get(i + AHEAD) {
                ix.prefetch_meta(next);
            }
            self.add(ix, d);
        }
    }

    /// Scales the counts so far from a sample of `seen` results to `total` results.
    fn scale(&mut self, total: usize, seen: usize) {
        let ratio = total as f64 / seen.max(1) as f64;
        for f in 0..5 {
            for &v in &self.seen[f] {
                let c = &mut self.counts[f][v as usize];
                *c = ((*c as f64 * ratio).round() as u32).max(1);
            }
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

/// BM25's inverse document frequency over `live` documents, `df` of which hold the term.
fn idf(live: f32, df: f32) -> f32 {
    (1.0 + (live - df + 0.5) / (df + 0.5)).ln().max(0.01)
}

/// Folds one expansion's impacts (`acc`, for the documents in `touched`, which it empties)
/// into each document's best expansion of the word so far (`cur`), weighted by `w`;
/// documents the word reaches for the first time go to `touched_word`.
fn keep_best_expansion(w: f32, touched: &mut Vec<u32>, acc: &mut [f32], cur: &mut [f32], touched_word: &mut Vec<u32>) {
    for d in touched.drain(..) {
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

/// The first `end` candidates in `cmp` order, kept while offered: whatever is worse than
/// the `end`-th best offered so far is turned away with one comparison.
struct TopK<F> {
    end: usize,
    cands: Vec<Candidate>,
    worst: Option<Candidate>,
    cmp: F,
}

impl<F: Fn(&Candidate, &Candidate) -> Ordering> TopK<F> {
    fn new(end: usize, cmp: F) -> Self {
        TopK {
            end,
            cands: Vec::new(),
            worst: None,
            cmp,
        }
    }

    fn offer(&mut self, c: Candidate) {
        if self.end == 0 || self.worst.is_some_and(|w| (self.cmp)(&c, &w) != Ordering::Less) {
            return;
        }
        self.cands.push(c);
        if self.cands.len() >= 2 * self.end + 64 {
            self.keep_best();
            self.worst = Some(self.cands[self.end - 1]);
        }
    }

    fn keep_best(&mut self) {
        if self.cands.len() > self.end {
            let cmp = &self.cmp;
            self.cands.select_nth_unstable_by(self.end - 1, |a, b| cmp(a, b));
            self.cands.truncate(self.end);
        }
    }

    /// The best `end`, in order.
    fn finish(mut self) -> Vec<Candidate> {
        self.keep_best();
        let cmp = &self.cmp;
        self.cands.sort_unstable_by(|a, b| cmp(a, b));
        self.cands
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
