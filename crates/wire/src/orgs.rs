//! Organizations and their members.

use crate::vocab;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The body of `POST /orgs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    #[schema(schema_with = crate::rules::org_name)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = crate::rules::org_description)]
    pub description: Option<String>,
}

/// An organization and its members
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Org {
    pub name: String,
    #[schema(required)]
    pub description: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub username: String,
    #[schema(value_type = vocab::OrgRole)]
    pub role: String,
    #[schema(format = DateTime)]
    pub since: String,
}

/// The body of `PUT /orgs/{org}/members/{username}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRole {
    #[schema(value_type = vocab::OrgRole)]
    pub role: String,
}
