//! `init`, `package`, `publish`, `install`, `add`, `remove`, `update`.

use crate::install::{self, InstallOptions};
use crate::output::{human_bytes, Progress};
use crate::project::{self, Project, MANIFEST};
use crate::{client_error, parse_package_name, Ctx};
use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Package name, `scope/name` (default: your username / the folder's name)
    #[arg(long)]
    pub name: Option<String>,
    /// Kind: library, module, plugin, model, agent, template, snapshot, other
    #[arg(long, default_value = "library")]
    pub kind: String,
    /// First version
    #[arg(long, default_value = "0.1.0")]
    pub version: String,
    #[arg(long)]
    pub description: Option<String>,
    /// SPDX license expression, e.g. "MIT OR Apache-2.0"
    #[arg(long)]
    pub license: Option<String>,
    /// Overwrite an existing trove.toml
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct PackageArgs {
    /// Where to write the archive (default: .trove/<scope>-<name>-<version>.tar.gz)
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Also list the packed files
    #[arg(long)]
    pub list: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum VisibilityArg {
    Public,
    Private,
}

#[derive(Args, Debug)]
pub struct PublishArgs {
    /// Build and validate everything locally, print what would be uploaded, upload nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Visibility of a new package (ignored for later versions)
    #[arg(long, value_enum)]
    pub visibility: Option<VisibilityArg>,
}

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// Packages to add first, as `scope/name[@requirement]` (same as `trove add`)
    pub packages: Vec<String>,
    /// Fail instead of changing trove.lock
    #[arg(long)]
    pub locked: bool,
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// `scope/name[@requirement]`, e.g. `alice/widget@^1.2` (default: ^ the latest version)
    #[arg(required = true)]
    pub packages: Vec<String>,
    /// Fail instead of changing trove.lock
    #[arg(long)]
    pub locked: bool,
}

#[derive(Args, Debug)]
pub struct RemoveArgs {
    #[arg(required = true)]
    pub packages: Vec<String>,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// Only these packages (default: all)
    pub packages: Vec<String>,
}

/// Lowercase, with runs of other characters turned into `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(64).collect()
}

pub async fn init(ctx: &Ctx, a: InitArgs) -> anyhow::Result<()> {
    let path = ctx.cwd.join(MANIFEST);
    if path.exists() && !a.force {
        bail!("{} already exists (use --force to overwrite it)", path.display());
    }
    let name = match a.name {
        Some(n) => parse_package_name(&n)?,
        None => {
            let folder = ctx
                .cwd
                .file_name()
                .and_then(|n| n.to_str())
                .map(slug)
                .filter(|s| !s.is_empty())
                .context("cannot derive a package name from this folder; pass --name scope/name")?;
            let scope = match ctx.client() {
                Ok((c, t)) if t.token.is_some() => c.me().await.ok().map(|m| m.user.username),
                _ => None,
            }
            .context("pass --name scope/name (or log in, and the scope defaults to your username)")?;
            parse_package_name(&format!("{scope}/{folder}"))?
        }
    };
    let text = project::new_manifest(
        &name,
        &a.version,
        &a.kind,
        a.description.as_deref(),
        a.license.as_deref(),
    )?;
    std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    ctx.out.emit(
        json!({ "name": name, "version": a.version, "kind": a.kind, "path": path }),
        || format!("Created {MANIFEST} for {name} {} ({})", a.version, a.kind),
    );
    Ok(())
}

fn describe_packed(p: &Project, packed: &project::Packed) -> serde_json::Value {
    let m = &p.manifest;
    json!({
        "name": m.package.name,
        "version": m.package.version,
        "kind": m.package.kind,
        "digest": packed.digest,
        "size": packed.bytes.len(),
        "unpacked_size": packed.info.unpacked_bytes,
        "files": packed.files.iter().map(|(f, n)| json!({ "path": f, "size": n })).collect::<Vec<_>>(),
        "dependencies": m.dependencies,
        "readme": packed.info.readme.is_some(),
    })
}

fn file_list(packed: &project::Packed) -> String {
    packed
        .files
        .iter()
        .map(|(f, n)| format!("  {f} ({})", human_bytes(*n)))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn package(ctx: &Ctx, a: PackageArgs) -> anyhow::Result<()> {
    let p = Project::open(&ctx.cwd)?;
    let packed = p.pack()?;
    let dest = a.output.unwrap_or_else(|| p.default_archive_path());
    if let Some(parent) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(&dest, &packed.bytes).with_context(|| format!("writing {}", dest.display()))?;
    let mut v = describe_packed(&p, &packed);
    v["path"] = json!(dest);
    ctx.out.emit(v, || {
        let m = &p.manifest.package;
        let mut s = format!(
            "Packed {} {}: {} files, {} unpacked, {} compressed\n  -> {}\n  {}",
            m.name,
            m.version,
            packed.files.len(),
            human_bytes(packed.info.unpacked_bytes),
            human_bytes(packed.bytes.len() as u64),
            dest.display(),
            packed.digest
        );
        if a.list {
            s += "\n";
            s += &file_list(&packed);
        }
        s
    });
    Ok(())
}

pub async fn publish(ctx: &Ctx, a: PublishArgs) -> anyhow::Result<()> {
    let p = Project::open(&ctx.cwd)?;
    let packed = p.pack()?;
    let m = &p.manifest.package;
    if a.dry_run {
        let mut v = describe_packed(&p, &packed);
        v["dry_run"] = json!(true);
        ctx.out.emit(v, || {
            format!(
                "Dry run: would upload {} {} ({} files, {} unpacked, {} compressed, {})\n{}\nNothing was uploaded.",
                m.name,
                m.version,
                packed.files.len(),
                human_bytes(packed.info.unpacked_bytes),
                human_bytes(packed.bytes.len() as u64),
                packed.digest,
                file_list(&packed)
            )
        });
        return Ok(());
    }
    let (client, target) = ctx.authed_client()?;
    let size = packed.bytes.len() as u64;
    ctx.out.status(format!(
        "Uploading {} {} ({}) to `{}` ({})",
        m.name,
        m.version,
        human_bytes(size),
        target.name,
        target.url
    ));
    let bar = if size >= 256 * 1024 {
        Progress::new(&ctx.out, "Uploading", size, 1)
    } else {
        Progress::hidden()
    };
    let bar2 = bar.clone();
    let visibility = a.visibility.map(|v| match v {
        VisibilityArg::Public => "public",
        VisibilityArg::Private => "private",
    });
    let res = client
        .publish(
            &m.name,
            &m.version,
            bytes::Bytes::from(packed.bytes),
            visibility,
            Some(Arc::new(move |n| bar2.set(n))),
        )
        .await;
    bar.finish();
    let v = res
        .map_err(client_error)
        .with_context(|| format!("publishing {} {}", m.name, m.version))?;
    if v.digest != packed.digest {
        ctx.out.warn(format!(
            "the registry recorded digest {} but the upload was {}",
            v.digest, packed.digest
        ));
    }
    ctx.out.emit(serde_json::to_value(&v)?, || {
        format!("Published {} {} ({})", v.package, v.version, v.digest)
    });
    Ok(())
}

async fn run_install(ctx: &Ctx, opts: InstallOptions) -> anyhow::Result<()> {
    let p = Project::open(&ctx.cwd)?;
    let (client, _) = ctx.client()?;
    let report = install::install(&client, &p, &opts, &ctx.out).await?;
    ctx.out
        .emit(serde_json::to_value(&report)?, || install::summary(&report));
    Ok(())
}

/// Adds `specs` to trove.toml and installs; trove.toml is restored when that fails.
async fn add_and_install(ctx: &Ctx, specs: &[String], locked: bool) -> anyhow::Result<()> {
    let p = Project::open(&ctx.cwd)?;
    let (client, _) = ctx.client()?;
    let mut text = p.text.clone();
    for spec in specs {
        let (name, req) = match spec.split_once('@') {
            Some((n, r)) => (parse_package_name(n)?, Some(r.trim().to_string())),
            None => (parse_package_name(spec)?, None),
        };
        let req = match req {
            Some(r) => {
                semver::VersionReq::parse(&r)
                    .map_err(|e| anyhow::anyhow!("`{r}` is not a version requirement for `{name}`: {e}"))?;
                r
            }
            None => {
                let pkg = client
                    .get_package(&name)
                    .await
                    .map_err(client_error)
                    .with_context(|| format!("looking up `{name}`"))?;
                let latest = pkg
                    .latest_version
                    .with_context(|| format!("`{name}` has no installable version (all are yanked)"))?;
                format!("^{latest}")
            }
        };
        text = project::edit_dependency(&text, &name, Some(&req))?;
        ctx.out.status(format!("Adding {name} {req}"));
    }
    let path = ctx.cwd.join(MANIFEST);
    std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    let result = run_install(ctx, InstallOptions { locked, update: None }).await;
    if result.is_err() {
        std::fs::write(&path, &p.text).with_context(|| format!("restoring {}", path.display()))?;
    }
    result
}

pub async fn install(ctx: &Ctx, a: InstallArgs) -> anyhow::Result<()> {
    if !a.packages.is_empty() {
        return add_and_install(ctx, &a.packages, a.locked).await;
    }
    run_install(
        ctx,
        InstallOptions {
            locked: a.locked,
            update: None,
        },
    )
    .await
}

pub async fn add(ctx: &Ctx, a: AddArgs) -> anyhow::Result<()> {
    add_and_install(ctx, &a.packages, a.locked).await
}

pub async fn remove(ctx: &Ctx, a: RemoveArgs) -> anyhow::Result<()> {
    let p = Project::open(&ctx.cwd)?;
    let mut text = p.text.clone();
    for name in &a.packages {
        text = project::edit_dependency(&text, name, None)?;
    }
    let path = ctx.cwd.join(MANIFEST);
    std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    run_install(ctx, InstallOptions::default()).await
}

pub async fn update(ctx: &Ctx, a: UpdateArgs) -> anyhow::Result<()> {
    for n in &a.packages {
        parse_package_name(n)?;
    }
    run_install(
        ctx,
        InstallOptions {
            locked: false,
            update: Some(a.packages),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs() {
        assert_eq!(super::slug("My Cool_Project!"), "my-cool-project");
        assert_eq!(super::slug("--x--"), "x");
    }
}
