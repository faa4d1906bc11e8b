//! Enumerations stored as lowercase strings.

use serde::{Deserialize, Serialize};

/// A stored string that is not one of an enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue(pub String);

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UnknownValue {}

macro_rules! string_enum {
    ($t:ident { $($v:ident => $s:literal),+ $(,)? }) => {
        /// Ordered as declared.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $t { $($v),+ }

        impl $t {
            pub const ALL: &'static [$t] = &[$($t::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $($t::$v => $s),+ }
            }
        }

        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($t::$v),)+
                    _ => Err(format!(
                        "`{}` is not one of: {}",
                        s,
                        [$($s),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Decoding a stored value (the database edge).
        impl TryFrom<String> for $t {
            type Error = UnknownValue;
            fn try_from(s: String) -> Result<Self, UnknownValue> {
                s.parse().map_err(UnknownValue)
            }
        }

        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

string_enum!(Ecosystem { Native => "native", Oci => "oci", Npm => "npm", Cargo => "cargo", Pypi => "pypi" });
string_enum!(PackageKind {
    Library => "library", Module => "module", Plugin => "plugin", Model => "model",
    Agent => "agent", Template => "template", Snapshot => "snapshot", Other => "other",
});
string_enum!(Visibility { Public => "public", Private => "private" });
string_enum!(NamespaceKind { User => "user", Org => "org" });
// A member's role in an organization, weakest first: a user is `Owner` of their own namespace.
string_enum!(OrgRole { Read => "read", Write => "write", Admin => "admin", Owner => "owner" });
// A package owner's role: owners also manage the owners.
string_enum!(OwnerRole { Maintainer => "maintainer", Owner => "owner" });
string_enum!(DeliveryStatus { Pending => "pending", Delivered => "delivered", Failed => "failed" });
// A publish-time scan: queued or awaiting a retry, passed (exit 0), failed (exit 1: findings),
// error (crashed or timed out on its last attempt).
string_enum!(ScanStatus { Pending => "pending", Passed => "passed", Failed => "failed", Error => "error" });
string_enum!(FileKind {
    Archive => "archive", Tarball => "tarball", Crate => "crate", Sdist => "sdist", Wheel => "wheel",
    Other => "other",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!("model".parse::<PackageKind>().unwrap(), PackageKind::Model);
        assert_eq!(PackageKind::Model.to_string(), "model");
        assert!("bogus".parse::<PackageKind>().unwrap_err().contains("library"));
        assert_eq!(Ecosystem::ALL.len(), 5);
    }
}
