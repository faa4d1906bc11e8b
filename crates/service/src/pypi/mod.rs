//! What the PyPI front-end needs besides the packages of every ecosystem
//! (`svc.packages().of(Ecosystem::Pypi)`): HTTP Basic logins as twine, uv and pip send them,
//! and a namespace's project list for the simple index.

use crate::{AuthVia, Ctx, Principal, Result, ServiceError};
use trove_core::Ecosystem;

sub_service!(
    /// PyPI logins and project lists.
    Pypi,
    pypi
);

/// The username that says the password is an API token (`__token__:trv_…`), as on PyPI.
pub const TOKEN_USERNAME: &str = "__token__";

impl Pypi<'_> {
    /// Resolves Basic credentials: `__token__` (or any username) with a Trove API token as the
    /// password, else a username and password. Every failure is a 401.
    pub async fn login(&self, ctx: &Ctx, username: &str, password: &str) -> Result<Principal> {
        if username == TOKEN_USERNAME || password.starts_with(crate::auth::TOKEN_PREFIX) {
            return self.accounts().authenticate_token(password).await;
        }
        let user = self.accounts().check_password(ctx, username, password, "pypi").await?;
        Ok(Principal {
            user: user.into(),
            via: AuthVia::Session {
                csrf_token: String::new(),
            },
        })
    }

    /// The names of the namespace's Python projects the caller may see, sorted; 404 for a
    /// namespace that does not exist.
    pub async fn list_projects(&self, ctx: &Ctx, scope: &str) -> Result<Vec<String>> {
        let mut conn = self.db.conn().await?;
        let ns = trove_db::namespaces::find(&mut conn, scope)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("namespace `{scope}` not found")))?;
        let mut names = Vec::new();
        for pkg in trove_db::packages::list_in_namespace(&mut conn, ns.id).await? {
            if pkg.ecosystem == Ecosystem::Pypi && self.can_read(&mut conn, ctx, &pkg).await? {
                names.push(pkg.name);
            }
        }
        Ok(names)
    }
}
