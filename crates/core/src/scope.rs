//! API token scopes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    /// Read private packages the user can see.
    Read,
    /// Publish new versions.
    Publish,
    /// Yank, unyank, deprecate and delete versions.
    Yank,
    /// Manage package owners, organizations and their members.
    Owners,
    /// Everything the user may do, including managing tokens and site administration.
    Admin,
}

impl TokenScope {
    pub const ALL: &'static [TokenScope] = &[
        TokenScope::Read,
        TokenScope::Publish,
        TokenScope::Yank,
        TokenScope::Owners,
        TokenScope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Publish => "publish",
            TokenScope::Yank => "yank",
            TokenScope::Owners => "owners",
            TokenScope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }

    /// Whether a token holding `self` may act where `needed` is required.
    /// `admin` covers everything; every scope covers `read`.
    pub fn covers(self, needed: TokenScope) -> bool {
        self == needed || self == TokenScope::Admin || needed == TokenScope::Read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage() {
        assert!(TokenScope::Admin.covers(TokenScope::Publish));
        assert!(TokenScope::Publish.covers(TokenScope::Read));
        assert!(!TokenScope::Read.covers(TokenScope::Publish));
        assert!(!TokenScope::Publish.covers(TokenScope::Yank));
        assert_eq!(TokenScope::parse("owners"), Some(TokenScope::Owners));
        assert_eq!(TokenScope::parse("root"), None);
    }
}
