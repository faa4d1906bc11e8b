//! Package search held in memory: documents in, ranked ids and facet counts out.
//!
//! Every node builds the same index from the same rows, so results do not depend on the
//! database behind it. The pieces:
//!
//! - [`text`]: tokens are lowercased alphanumeric runs; names compare in a normalized form.
//! - An inverted index from terms to postings that carry a frequency per field (name, scope,
//!   keywords, description, README). Postings are removed when a document is replaced, so
//!   document frequencies and scores never depend on the order updates arrived in.
//! - Typo tolerance: a trigram index over the vocabulary proposes terms near a query word,
//!   a bounded edit distance (adjacent swaps count as one edit) confirms them; one typo from
//!   5 characters, two from 9. The last query word also matches as a prefix.
//! - Scoring: BM25 per field, weighted (name ≫ keywords > description > scope > README),
//!   summed over query words (each word counts its best expansion, typo and prefix matches
//!   discounted), times a gentle popularity factor. Exact name matches rank first.
//! - Every query word must match; if no document matches them all, documents matching some
//!   are returned, scored by the share matched.
//! - Access: private documents are returned only to callers whose [`Access`] admits them.
//! - Facets (ecosystem, kind, category, license, keyword) are counted over all results.
//! - Ties are broken by name, so the order is total and deterministic.

mod fuzzy;
mod index;
mod query;
pub mod text;

pub use index::{Document, FacetField, Index, MAX_README_TOKENS};
pub use query::{Access, Facets, Hit, NameFilter, Query, SearchResult, Sort};

#[cfg(test)]
mod tests;
