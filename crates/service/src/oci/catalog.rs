//! The repository catalog (`/v2/_catalog`): the repositories the caller can pull from.

use super::TagPage;
use crate::{Ctx, Result};

impl crate::oci::Oci<'_> {
    /// Repository names in lexical order after `last`, at most `n`.
    pub async fn catalog(&self, ctx: &Ctx, n: Option<usize>, last: Option<&str>) -> Result<TagPage> {
        let mut conn = self.db.conn().await?;
        let mut names = Vec::new();
        for p in trove_db::oci_settings::list_repositories(&mut conn).await? {
            if self.can_read(&mut conn, ctx, &p).await? {
                names.push(p.full_name());
            }
        }
        names.sort_unstable();
        let limit = n.unwrap_or(usize::MAX);
        let mut page: Vec<String> = names
            .into_iter()
            .filter(|name| last.is_none_or(|l| name.as_str() > l))
            .take(limit.saturating_add(1))
            .collect();
        let more = page.len() > limit;
        page.truncate(limit);
        Ok(TagPage { tags: page, more })
    }
}
