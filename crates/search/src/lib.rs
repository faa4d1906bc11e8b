//! Package search: documents in, ranked ids and facet counts out.
//!
//! Every node keeps its own index, built from the same rows, so results do not depend on
//! the database behind it. The pieces:
//!
//! - [`text`]: tokens are lowercased alphanumeric runs; names compare in a normalized form.
//! - Storage ([`Index`]): tantivy on local disk holds the postings of each field (name,
//!   scope, keywords, description, README; term frequencies and field lengths, no
//!   positions), the term dictionaries and the documents; the node keeps a compact record
//!   per document in memory (facet values, sort keys, popularity, access) that is rebuilt
//!   from tantivy's fast fields on open, in well under a second per million documents. A
//!   restart opens the index instead of rebuilding it.
//! - Typo tolerance: a Levenshtein automaton walks the term dictionaries for terms near a
//!   query word (adjacent swaps count as one edit); one typo from 5 characters, two from 9.
//!   The last query word also matches as a prefix.
//! - Scoring: BM25 per field, weighted (name ≫ keywords > description > scope > README),
//!   computed here from tantivy's frequencies against fixed reference lengths, summed over
//!   query words (each word counts its best expansion, typo and prefix matches
//!   discounted), times a gentle popularity factor. Exact name matches rank first.
//! - Every query word must match; if no document matches them all, documents matching some
//!   are returned, scored by the share matched.
//! - Access: private documents are returned only to callers whose [`Access`] admits them.
//! - Facets (ecosystem, kind, category, license, keyword) are counted over all results up
//!   to [`FACET_SAMPLE`] results, beyond that over an even sample of them, scaled
//!   ([`SearchResult::facets_exact`]); [`Query::exact_facets`] asks for exact counts.
//! - A query is worked out on sets of docnos, one bit per document, and only documents
//!   that could reach the requested page are scored in full (see `Index::search_pruned`);
//!   the exhaustive path scores every match and is what the pruned one is tested against.
//! - Ties are broken by name, so the order is total and deterministic.
//! - Changes are staged and become visible (and durable) together at [`Index::commit`].

mod bits;
mod fuzzy;
mod index;
mod query;
pub mod text;

pub use index::{Document, Error, FacetField, Index, Result, MAX_README_TOKENS};
pub use query::{Access, Facets, Hit, NameFilter, Query, SearchResult, Sort, FACET_SAMPLE};

#[cfg(test)]
mod tests;
