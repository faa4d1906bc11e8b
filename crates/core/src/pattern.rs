//! Package patterns of API tokens: `scope/name` with `*` wildcards (`acme/*`, `acme/web-*`).
//!
//! Matching is linear in the lengths of pattern and name (the classic greedy wildcard
//! algorithm: on a mismatch, resume after the last `*`), so no pattern, however many stars
//! it holds, can make a request spin. Patterns are bounded too, in length, stars and number
//! per token.

/// Longest pattern, in bytes (a scope and a name of 64 characters and the slash, plus slack).
pub const MAX_PATTERN_LEN: usize = 130;
/// Most `*` one pattern may hold.
pub const MAX_PATTERN_STARS: usize = 8;
/// Most patterns one token may be limited to.
pub const MAX_TOKEN_PATTERNS: usize = 64;

/// Why a token's package patterns were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternError {
    TooMany(usize),
    Invalid(String),
    TooManyStars(String),
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatternError::TooMany(n) => write!(
                f,
                "a token may be limited to at most {MAX_TOKEN_PATTERNS} package patterns ({n} given)"
            ),
            PatternError::Invalid(p) => write!(
                f,
                "`{p}` is not a `scope/name` pattern (lowercase, `*` wildcards, at most {MAX_PATTERN_LEN} characters)"
            ),
            PatternError::TooManyStars(p) => {
                write!(f, "`{p}` has more than {MAX_PATTERN_STARS} `*` wildcards")
            }
        }
    }
}

/// Checks one pattern: `scope/name`, lowercase letters, digits, `-_.*`, no `..`.
pub fn validate(pattern: &str) -> Result<(), PatternError> {
    let part_ok = |p: &str| {
        !p.is_empty()
            && !p.contains("..")
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.*".contains(&b))
    };
    let ok = pattern.len() <= MAX_PATTERN_LEN && pattern.split_once('/').is_some_and(|(s, n)| part_ok(s) && part_ok(n));
    if !ok {
        return Err(PatternError::Invalid(pattern.to_string()));
    }
    if pattern.bytes().filter(|&b| b == b'*').count() > MAX_PATTERN_STARS {
        return Err(PatternError::TooManyStars(pattern.to_string()));
    }
    Ok(())
}

/// Checks a token's list of patterns (count and each pattern).
pub fn validate_all(patterns: &[String]) -> Result<(), PatternError> {
    if patterns.len() > MAX_TOKEN_PATTERNS {
        return Err(PatternError::TooMany(patterns.len()));
    }
    patterns.iter().try_for_each(|p| validate(p))
}

/// Whether `name` matches `pattern`, both compared in normalized form (`_` and `.` read as
/// `-`). `*` matches any run of bytes, `/` included. Runs in O(len(pattern) × len(name)) at
/// worst, without recursion or allocation per step.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p = crate::name::normalize(pattern);
    let n = crate::name::normalize(name);
    wildcard(p.as_bytes(), n.as_bytes())
}

fn wildcard(p: &[u8], n: &[u8]) -> bool {
    let (mut pi, mut ni) = (0, 0);
    // Position just after the last `*` seen, and the name position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && p[pi] == b'*' {
            pi += 1;
            star = Some((pi, ni));
        } else if pi < p.len() && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if let Some((sp, sn)) = star {
            // Let the last star swallow one more byte and retry from there.
            pi = sp;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_a_shell_glob() {
        assert!(matches("acme/*", "acme/widget"));
        assert!(matches("acme/w*t", "acme/widget"));
        assert!(matches("acme/foo_bar", "acme/foo-bar"));
        assert!(matches("*", "acme/widget"));
        assert!(matches("acme/*-*", "acme/a-b"));
        assert!(matches("acme/**", "acme/x"));
        assert!(matches("acme/wid*get", "acme/widget"));
        assert!(matches("acme/*a*a*", "acme/banana"));
        assert!(!matches("acme/*", "other/widget"));
        assert!(!matches("acme/widget", "acme/widgets"));
        assert!(!matches("acme/widget*x", "acme/widget"));
        assert!(!matches("acme/*a*a*a*a", "acme/banana"));
        assert!(!matches("", "acme/x"));
        assert!(matches("", ""));
    }

    /// The pattern that froze the server: ~120 stars against a name that does not match.
    /// Backtracking took exponential time; this finishes at once.
    #[test]
    fn many_stars_cost_linear_time() {
        let pattern = format!("{}x", "*".repeat(120));
        let name = format!("alice/{}", "a".repeat(64));
        let start = std::time::Instant::now();
        for _ in 0..100 {
            assert!(!matches(&pattern, &name));
        }
        let pattern = format!("alice/{}b", "a*".repeat(60));
        assert!(!matches(&pattern, &name));
        assert!(
            start.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn patterns_are_bounded() {
        assert!(validate("acme/*").is_ok());
        assert!(validate("acme/web-*-*").is_ok());
        assert_eq!(
            validate(&format!("a/{}", "*".repeat(120))),
            Err(PatternError::TooManyStars(format!("a/{}", "*".repeat(120))))
        );
        assert!(matches!(validate("Acme/x"), Err(PatternError::Invalid(_))));
        assert!(matches!(validate("acme"), Err(PatternError::Invalid(_))));
        assert!(matches!(validate("a/../b"), Err(PatternError::Invalid(_))));
        assert!(matches!(
            validate(&format!("a/{}", "b".repeat(130))),
            Err(PatternError::Invalid(_))
        ));
        let many: Vec<String> = (0..MAX_TOKEN_PATTERNS + 1).map(|i| format!("a/p{i}")).collect();
        assert_eq!(validate_all(&many), Err(PatternError::TooMany(MAX_TOKEN_PATTERNS + 1)));
        assert!(validate_all(&many[..MAX_TOKEN_PATTERNS]).is_ok());
    }
}
