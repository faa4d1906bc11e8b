//! Typo tolerance: a Levenshtein automaton walks the term dictionaries for candidate terms,
//! and a bounded edit distance (with adjacent transpositions) grades them.

use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder, DFA};

/// How many typos a query term of `chars` characters may carry: none up to 4 characters,
/// one from 5, two from 9 (short words have too many neighbours to guess from).
pub fn max_typos(chars: usize) -> usize {
    match chars {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// A Levenshtein automaton over UTF-8 bytes accepting the words within `typos` edits of
/// `word` (adjacent swaps count as one), for walking a term dictionary (an FST).
pub(crate) fn automaton(word: &str, typos: u8) -> Dfa {
    use std::sync::OnceLock;
    static BUILDERS: [OnceLock<LevenshteinAutomatonBuilder>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let typos = typos.min(2);
    let builder = BUILDERS[typos as usize].get_or_init(|| LevenshteinAutomatonBuilder::new(typos, true));
    Dfa(builder.build_dfa(word))
}

/// [`DFA`] as the automaton tantivy's term dictionaries are searched with.
pub(crate) struct Dfa(DFA);

impl tantivy_fst::Automaton for &Dfa {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// The optimal-string-alignment distance between `a` and `b` (insertions, deletions,
/// substitutions and swaps of two adjacent characters each cost one), or `None` when it is
/// more than `max`.
pub fn distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let (n, m) = (a.len(), b.len());
    let big = max + 1;
    // Three rows: two back (for transpositions), previous, current.
    let mut prev2 = vec![big; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![big; m + 1];
    for i in 1..=n {
        cur[0] = i;
        let mut row_min = cur[0];
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
    let d = prev[m];
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(a: &str, b: &str, max: usize) -> Option<usize> {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        distance(&a, &b, max)
    }

    #[test]
    fn edit_distance() {
        assert_eq!(d("markdown", "markdown", 2), Some(0));
        assert_eq!(d("markdwn", "markdown", 2), Some(1), "deletion");
        assert_eq!(d("marrkdown", "markdown", 2), Some(1), "insertion");
        assert_eq!(d("markdawn", "markdown", 2), Some(1), "substitution");
        assert_eq!(d("makrdown", "markdown", 2), Some(1), "transposition");
        assert_eq!(d("mrkdwn", "markdown", 2), Some(2));
        assert_eq!(d("mrkdwn", "markdown", 1), None);
        assert_eq!(d("parser", "markdown", 2), None);
        assert_eq!(d("", "ab", 2), Some(2));
        assert_eq!(d("übersetzng", "übersetzung", 1), Some(1));
    }

    #[test]
    fn typo_budget_grows_with_length() {
        assert_eq!(max_typos(4), 0);
        assert_eq!(max_typos(5), 1);
        assert_eq!(max_typos(8), 1);
        assert_eq!(max_typos(9), 2);
    }
}
