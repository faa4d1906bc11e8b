//! npm's registry semantics over Trove's packages (ecosystem `npm`): publishing a tarball
//! with its version document, reading what a packument shows, dist-tags, the changes npm
//! makes by sending a packument back (deprecations, unpublished versions, maintainers),
//! unpublishing a whole package, and the token a password login hands out.
//!
//! Names here are Trove's (`scope`, `name`); the npm front-end maps npm names onto them.
//! Versions are semver; a version's one file is its tarball (`version_files` kind `tarball`,
//! metadata `shasum`, `integrity`, `fileCount`, `unpackedSize`), and its manifest is the
//! version document npm published (package.json as the client normalized it).

mod change;
mod login;
mod publish;
mod read;
mod tags;
mod tarball;

pub use change::NpmChange;
pub use login::NpmLogin;
pub use publish::{NpmPublish, Published};
pub use read::{NpmPackage, NpmVersion, TarballFacts};

use crate::{Ctx, Result, ServiceError};
use trove_core::Ecosystem;
use trove_db::packages::Package;
use trove_db::Conn;

sub_service!(
    /// npm packages: publish, packument data, dist-tags, deprecate, unpublish, owners, logins.
    Npm,
    npm
);

pub const ECOSYSTEM: Ecosystem = Ecosystem::Npm;

/// The file name of a version's tarball, as npm names it: `name-1.0.0.tgz` (without the scope).
pub fn tarball_file_name(name: &str, version: &str) -> String {
    format!("{name}-{version}.tgz")
}

impl Npm<'_> {
    /// The npm package `scope/name` if the caller may see it; 404 otherwise. The name must be
    /// the package's exactly: npm installs a package under the name it asked for, so `a_b`
    /// does not stand for `a-b` here (as it would for native lookups).
    pub(crate) async fn visible(&self, conn: &mut Conn, ctx: &Ctx, scope: &str, name: &str) -> Result<Package> {
        let pkg = self.visible_package(conn, ctx, ECOSYSTEM.as_str(), scope, name).await?;
        if pkg.scope != scope || pkg.name != name {
            return Err(ServiceError::not_found(format!("package `{scope}/{name}` not found")));
        }
        Ok(pkg)
    }

    /// A tarball by its file name (`name-1.0.0.tgz`), for download (counted as a download of
    /// its version).
    pub async fn prepare_tarball(
        &self,
        ctx: &Ctx,
        scope: &str,
        name: &str,
        file_name: &str,
    ) -> Result<crate::packages::Download> {
        self.packages()
            .of(ECOSYSTEM)
            .prepare_file(ctx, scope, name, file_name)
            .await
    }
}
