//! How stored values become typed fields at the database edge, for row types that derive
//! `sqlx::FromRow` (`#[sqlx(try_from = "…")]`): flags stored as integers become `bool`,
//! comma-separated lists and JSON arrays become vectors. A value that does not decode is a
//! `ColumnDecode` error naming the column, never a silent default. Enumerations decode
//! through `TryFrom<String>` on the `trove_core` types.

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::{Decode, Type};
use trove_core::TokenScope;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A 0/1 integer column.
pub struct Flag(i64);

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxError> {
        <i64 as Decode<Any>>::decode(value).map(Flag)
    }
}

impl TryFrom<Flag> for bool {
    type Error = String;
    fn try_from(f: Flag) -> Result<bool, String> {
        match f.0 {
            0 => Ok(false),
            1 => Ok(true),
            n => Err(format!("a flag is 0 or 1, not {n}")),
        }
    }
}

/// A comma-separated list (token scopes, token package patterns).
pub struct CommaList(String);

impl Type<Any> for CommaList {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for CommaList {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxError> {
        <String as Decode<Any>>::decode(value).map(CommaList)
    }
}

impl From<CommaList> for Vec<String> {
    fn from(l: CommaList) -> Vec<String> {
        l.0.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
    }
}

impl TryFrom<CommaList> for Vec<TokenScope> {
    type Error = String;
    fn try_from(l: CommaList) -> Result<Vec<TokenScope>, String> {
        l.0.split(',')
            .filter(|s| !s.is_empty())
            .map(|s| TokenScope::parse(s).ok_or_else(|| format!("`{s}` is not a token scope")))
            .collect()
    }
}

/// A nullable comma-separated list (token package patterns: none means every package).
pub struct OptCommaList(Option<String>);

impl Type<Any> for OptCommaList {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for OptCommaList {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxError> {
        <Option<String> as Decode<Any>>::decode(value).map(OptCommaList)
    }
}

impl From<OptCommaList> for Option<Vec<String>> {
    fn from(l: OptCommaList) -> Option<Vec<String>> {
        l.0.map(|s| Vec::from(CommaList(s)))
    }
}

/// A JSON array of strings (keywords, categories, webhook events).
pub struct JsonStrings(String);

impl Type<Any> for JsonStrings {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for JsonStrings {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxError> {
        <String as Decode<Any>>::decode(value).map(JsonStrings)
    }
}

impl TryFrom<JsonStrings> for Vec<String> {
    type Error = serde_json::Error;
    fn try_from(j: JsonStrings) -> Result<Vec<String>, serde_json::Error> {
        serde_json::from_str(&j.0)
    }
}
