//! A package's management page, for those who may manage it: yank and unyank versions,
//! deprecate them, delete them within the grace period, change the visibility, and add or
//! remove owners. Every form goes through the same service functions as the API, so the
//! access rules, refusals and audit records are the API's.
//!
//! URLs: `GET /packages/{scope}/{name}/-/manage` and `POST …/-/manage/{action}`. The `-`
//! segment can't be a package name (names never start with `-`), so OCI repositories with
//! `/` in their names stay unambiguous.

use super::{avatar, ecosystem_badge, package_url};
use crate::error::{redirect, WebError, WebResult};
use crate::fmt::{date_time, encode, parse_rfc3339, time_ago};
use crate::form::FormData;
use crate::layout::{csrf_field, notice, Page};
use crate::session::Viewer;
use crate::WebState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use maud::{html, Markup};
use trove_core::Visibility;
use trove_service::views::VersionView;
use trove_service::web_queries::{PackagePage, PackagePermissions};
use trove_service::{ErrorKind, ServiceError};

/// The management page of a package.
pub fn manage_url(scope: &str, name: &str) -> String {
    format!("/packages/{scope}/{name}/-/manage")
}

/// Whether these permissions open the management page of a package of this ecosystem: OCI
/// repositories only have their visibility to manage here (tags are deleted with OCI clients).
pub fn can_manage(perms: &PackagePermissions, ecosystem: &str) -> bool {
    perms.owners || (perms.versions && ecosystem != "oci")
}

/// What a refused form had in it, to show it again.
#[derive(Default)]
struct Prefill {
    /// The version whose deprecation message is kept.
    version: String,
    message: String,
    username: String,
    role: String,
}

/// The confirmation line of a finished action, from the redirect's query.
fn flash(raw: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> = raw.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    // Only well-formed values are echoed, so a crafted link can't put words on the page.
    // (a semver version, or a PEP 440 one of a PyPI release)
    let version = get("version").filter(|v| {
        semver::Version::parse(v).is_ok()
            || trove_core::version::EcoVersion::parse(trove_core::Ecosystem::Pypi, v).is_ok()
    });
    let user = get("user").filter(|u| {
        !u.is_empty() && u.len() <= 64 && u.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    });
    let role = get("role").filter(|r| matches!(*r, "owner" | "maintainer"));
    Some(match (get("done")?, version, user) {
        ("yanked", Some(v), _) => {
            format!("Version {v} is yanked: resolvers skip it, lock files that pin it still download it.")
        }
        ("unyanked", Some(v), _) => format!("Version {v} is no longer yanked."),
        ("deprecated", Some(v), _) => format!("Version {v} is marked deprecated."),
        ("undeprecated", Some(v), _) => format!("Version {v} is no longer deprecated."),
        ("deleted", Some(v), _) => format!("Version {v} was deleted. Its number stays taken."),
        ("visibility", _, _) => match get("visibility") {
            Some("private") => "The package is now private.".to_string(),
            Some("public") => "The package is now public.".to_string(),
            _ => return None,
        },
        ("owner-added", _, Some(u)) => format!(
            "{u} is now {}.",
            if role == Some("owner") {
                "an owner"
            } else {
                "a maintainer"
            }
        ),
        ("owner-removed", _, Some(u)) => format!("{u} no longer owns or maintains this package."),
        _ => return None,
    })
}

/// `GET /packages/{scope}/{name}/-/manage` (dispatched from the package route).
pub async fn show(state: &WebState, viewer: &Viewer, scope: &str, name: &str, raw: Option<&str>) -> WebResult {
    viewer.require_user()?;
    let msg = flash(raw).map(|m| ("ok", m));
    render(state, viewer, scope, name, msg, StatusCode::OK, Prefill::default()).await
}

/// `POST /packages/{scope}/{name}/-/manage/{action}`.
pub async fn action(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((scope, rest)): Path<(String, String)>,
    form: FormData,
) -> WebResult {
    let Some((name, action)) = rest.split_once("/-/manage/") else {
        return Err(WebError::not_found(viewer.chrome()));
    };
    let back = manage_url(&scope, name);
    if viewer.user().is_none() {
        // A session that ended under an open form: log in again, then see the page again.
        return Err(WebError::Redirect(format!("/login?next={}", encode(&back))));
    }
    form.signed_in(&viewer)?;
    let svc = &state.services;
    let ctx = &viewer.ctx;
    let version = form.get("version");
    let done = |what: &str| format!("{back}?done={what}&version={}", encode(version));
    let mut prefill = Prefill::default();
    let result: Result<String, ServiceError> = match action {
        "yank" | "unyank" => svc
            .packages()
            .set_yanked(ctx, &scope, name, version, action == "yank", Some(form.get("reason")))
            .await
            .map(|_| done(&format!("{action}ed"))),
        "deprecate" => {
            prefill.version = version.to_string();
            prefill.message = form.get("message").to_string();
            svc.packages()
                .set_deprecated(ctx, &scope, name, version, Some(form.get("message").to_string()))
                .await
                .map(|_| done("deprecated"))
        }
        "undeprecate" => svc
            .packages()
            .set_deprecated(ctx, &scope, name, version, None)
            .await
            .map(|_| done("undeprecated")),
        "delete" => {
            if form.get("confirm") != "yes" {
                Err(ServiceError::unprocessable(
                    "not_confirmed",
                    format!("Tick the box to confirm that version {version} should be deleted."),
                ))
            } else {
                svc.packages()
                    .delete_version(ctx, &scope, name, version)
                    .await
                    .map(|_| done("deleted"))
            }
        }
        // An OCI tag (never a manifest by digest: the image stays, other tags too).
        "delete-tag" => {
            if form.get("confirm") != "yes" {
                Err(ServiceError::unprocessable(
                    "not_confirmed",
                    format!("Tick the box to confirm that tag {version} should be deleted."),
                ))
            } else if version.is_empty() || version.contains(':') {
                Err(ServiceError::unprocessable("invalid_tag", "Choose a tag to delete."))
            } else {
                match trove_service::oci::RepoName::parse(&format!("{scope}/{name}")) {
                    Ok(repo) => svc
                        .oci()
                        .delete_manifest(ctx, &repo, version)
                        .await
                        .map(|_| format!("{}?deleted={}", super::package_url(&scope, name), encode(version))),
                    Err(e) => Err(e),
                }
            }
        }
        "visibility" => {
            let full = format!("{scope}/{name}");
            match form.get("visibility").parse::<Visibility>() {
                Err(_) => Err(ServiceError::unprocessable(
                    "invalid_visibility",
                    "Choose public or private.",
                )),
                Ok(_) if form.get("confirm") != full => Err(ServiceError::unprocessable(
                    "not_confirmed",
                    format!("Type the package's name, {full}, to confirm the change of visibility."),
                )),
                Ok(v) => svc
                    .packages()
                    .set_visibility(ctx, &scope, name, v)
                    .await
                    .map(|p| format!("{back}?done=visibility&visibility={}", p.visibility)),
            }
        }
        "add-owner" => {
            let (username, role) = (form.get("username"), form.get("role"));
            prefill.username = username.to_string();
            prefill.role = role.to_string();
            if username.is_empty() {
                Err(ServiceError::unprocessable("invalid_username", "Enter a username."))
            } else {
                svc.packages()
                    .add_owner(ctx, &scope, name, username, role)
                    .await
                    .map(|_| {
                        format!(
                            "{back}?done=owner-added&user={}&role={}",
                            encode(username),
                            encode(role)
                        )
                    })
            }
        }
        "remove-owner" => {
            let username = form.get("username");
            match svc.packages().remove_owner(ctx, &scope, name, username).await {
                Ok(()) => Ok(after_removal(&state, &viewer, &scope, name, username).await),
                Err(e) => Err(e),
            }
        }
        _ => return Err(WebError::not_found(viewer.chrome())),
    };
    match result {
        Ok(to) => Ok(redirect(&to)),
        Err(e) => refused(&state, &viewer, &scope, name, action, e, prefill).await,
    }
}

/// Where to go after removing an owner: back to the management page, unless that removed
/// the viewer's own right to manage it.
async fn after_removal(state: &WebState, viewer: &Viewer, scope: &str, name: &str, username: &str) -> String {
    match state
        .services
        .pages()
        .package_permissions(&viewer.ctx, scope, name)
        .await
    {
        Ok(p) if p.versions || p.owners => format!(
            "{}?done=owner-removed&user={}",
            manage_url(scope, name),
            encode(username)
        ),
        Ok(_) => package_url(scope, name),
        Err(_) => "/dashboard".to_string(),
    }
}

/// A refused form: the management page again with the reason and the matching status. The
/// page itself is a 404 for a package the viewer can't see, and a 403 for one they can't
/// manage, exactly as for a GET.
async fn refused(
    state: &WebState,
    viewer: &Viewer,
    scope: &str,
    name: &str,
    action: &str,
    e: ServiceError,
    prefill: Prefill,
) -> WebResult {
    let status = match e.kind {
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        // An unknown user in the owner form is a mistake in the form, not a missing page.
        ErrorKind::NotFound if action == "add-owner" || action == "remove-owner" => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        _ => return Err(WebError::from_service(e, viewer.chrome())),
    };
    let mut message = e.message;
    if e.code == "last_owner" {
        message.push_str(". A package keeps at least one owner: add another owner first.");
    }
    render(state, viewer, scope, name, Some(("error", message)), status, prefill).await
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    scope: &str,
    name: &str,
    msg: Option<(&str, String)>,
    status: StatusCode,
    prefill: Prefill,
) -> WebResult {
    let user = viewer.require_user()?;
    let svc = &state.services;
    let chrome = || viewer.chrome();
    let page = svc
        .pages()
        .package_page(&viewer.ctx, scope, name)
        .await
        .map_err(|e| WebError::from_service(e, chrome()))?;
    let perms = svc
        .pages()
        .package_permissions(&viewer.ctx, scope, name)
        .await
        .map_err(|e| WebError::from_service(e, chrome()))?;
    let pkg = &page.package;
    if !can_manage(&perms, pkg.ecosystem.as_str()) {
        return Err(WebError::page(
            StatusCode::FORBIDDEN,
            "Not allowed",
            format!(
                "You may not manage {}. Its owners and the administrators of the {} namespace can add you.",
                pkg.full_name, pkg.scope
            ),
            chrome(),
        ));
    }
    let oci = pkg.ecosystem == "oci";
    let csrf = viewer.csrf().unwrap_or_default();
    let base = manage_url(&pkg.scope, &pkg.name);
    let ctx = Ctx {
        csrf,
        base: &base,
        grace_ms: svc.config.delete_grace_ms,
        site_admin: user.admin(),
        prefill: &prefill,
    };
    let body = html! {
        header.pkg-header {
            p.back-link { a href=(package_url(&pkg.scope, &pkg.name)) { "← Back to the package" } }
            div.pkg-title-row {
                h1.pkg-title {
                    span.muted { "Manage " }
                    a.pkg-link href=(package_url(&pkg.scope, &pkg.name)) { (pkg.full_name) }
                }
                @if pkg.visibility == "private" { span.badge.badge-private { "private" } }
                (ecosystem_badge(pkg.ecosystem.as_str()))
            }
            p.lede {
                "Changes take effect at once and are recorded in the audit log, as when made with the "
                code { "trove" } " CLI or the API."
            }
        }
        @if let Some((kind, text)) = &msg { (notice(kind, text)) }
        div.dash-layout.manage-layout {
            div {
                @if oci {
                    section.card aria-labelledby="tags-title" {
                        h2 #tags-title { "Tags" }
                        p.empty {
                            "Tags of an OCI repository are pushed and deleted with OCI clients (for example "
                            code { "oras" } " or " code { "skopeo delete" } "), with the same rights."
                        }
                    }
                } @else if perms.versions {
                    (versions_card(&page, &ctx))
                }
            }
            div {
                (visibility_card(&page, perms.owners, &ctx))
                @if !oci { (owners_card(&page, perms.owners, user.username.as_str(), &ctx)) }
            }
        }
    };
    Ok(Page::new(chrome(), format!("Manage {}", pkg.full_name), body)
        .status(status)
        .into_response())
}

/// What every form of the page needs.
struct Ctx<'a> {
    csrf: &'a str,
    base: &'a str,
    grace_ms: i64,
    site_admin: bool,
    prefill: &'a Prefill,
}

/// Whether a version can still be deleted by this viewer, and until when (site admins: always).
fn deletable_until(v: &VersionView, ctx: &Ctx<'_>) -> Option<Option<String>> {
    if ctx.site_admin {
        return Some(None);
    }
    let until = parse_rfc3339(&v.created_at)? + ctx.grace_ms;
    (until > trove_core::now_ms()).then(|| Some(trove_core::time::rfc3339(until)))
}

fn versions_card(page: &PackagePage, ctx: &Ctx<'_>) -> Markup {
    let latest = page.package.latest_version.as_deref();
    let hours = ctx.grace_ms / 3_600_000;
    html! {
        section.card aria-labelledby="manage-versions-title" {
            div.section-head {
                h2 #manage-versions-title { "Versions " span.count { (page.versions.len()) } }
            }
            p.hint {
                "Yanking hides a version from resolvers but keeps it downloadable for lock files that pin it. "
                "Deprecating keeps it installable and shows your message. A version can be deleted within "
                (hours) " hours of publishing; its number can never be reused."
            }
            @if page.versions.is_empty() {
                p.empty { "No versions." }
            } @else {
                ul.manage-versions {
                    @for v in &page.versions {
                        (version_row(v, latest, ctx))
                    }
                }
            }
        }
    }
}

fn version_row(v: &VersionView, latest: Option<&str>, ctx: &Ctx<'_>) -> Markup {
    let id = v.version.replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    let keep_message = ctx.prefill.version == v.version;
    html! {
        li.manage-version .yanked[v.yanked] id={ "version-" (id) } {
            div.mv-head {
                span.mv-name { (v.version) }
                @if latest == Some(v.version.as_str()) { span.badge.badge-ok { "latest" } }
                @if v.yanked { span.badge.badge-warn { "yanked" } }
                @if v.deprecated.is_some() { span.badge.badge-warn { "deprecated" } }
                span.mv-date { "published " (time_ago(&v.created_at)) }
            }
            @if let Some(m) = &v.deprecated {
                p.mv-note { "Deprecation message: " (m) }
            }
            div.mv-actions {
                form.inline action={ (ctx.base) "/" @if v.yanked { "unyank" } @else { "yank" } } method="post" {
                    (csrf_field(ctx.csrf))
                    input type="hidden" name="version" value=(v.version);
                    @if v.yanked {
                        button.btn.btn-small type="submit" aria-label={ "Unyank version " (v.version) } { "Unyank" }
                    } @else {
                        input.input-small type="text" name="reason" maxlength="1000"
                            placeholder="Reason (optional)" aria-label={ "Why version " (v.version) " is yanked (optional)" };
                        button.btn.btn-small type="submit" aria-label={ "Yank version " (v.version) } { "Yank" }
                    }
                }
                @if v.deprecated.is_some() {
                    form.inline action={ (ctx.base) "/undeprecate" } method="post" {
                        (csrf_field(ctx.csrf))
                        input type="hidden" name="version" value=(v.version);
                        button.btn.btn-small type="submit" aria-label={ "Remove the deprecation of version " (v.version) } {
                            "Remove deprecation"
                        }
                    }
                } @else {
                    form.inline-form.mv-deprecate action={ (ctx.base) "/deprecate" } method="post" {
                        (csrf_field(ctx.csrf))
                        input type="hidden" name="version" value=(v.version);
                        label.sr-only for={ "deprecate-" (id) } { "Deprecation message for version " (v.version) }
                        input id={ "deprecate-" (id) } type="text" name="message" required maxlength="1000"
                            placeholder="Deprecation message, e.g. use 2.x"
                            value=(if keep_message { ctx.prefill.message.as_str() } else { "" });
                        button.btn.btn-small type="submit" aria-label={ "Deprecate version " (v.version) } { "Deprecate" }
                    }
                }
                @if let Some(until) = deletable_until(v, ctx) {
                    details.mv-delete {
                        summary.btn.btn-small.btn-danger aria-label={ "Delete version " (v.version) "…" } { "Delete…" }
                        form.stack action={ (ctx.base) "/delete" } method="post" {
                            (csrf_field(ctx.csrf))
                            input type="hidden" name="version" value=(v.version);
                            div.check {
                                input id={ "delete-" (id) } type="checkbox" name="confirm" value="yes" required;
                                label for={ "delete-" (id) } {
                                    "Delete " (v.version) " for everyone. Its number can't be published again."
                                }
                            }
                            @if let Some(u) = until {
                                p.hint { "Possible until " (date_time(&u)) "." }
                            }
                            button.btn.btn-small.btn-danger type="submit" { "Delete version " (v.version) }
                        }
                    }
                }
            }
        }
    }
}

fn visibility_card(page: &PackagePage, may: bool, ctx: &Ctx<'_>) -> Markup {
    let pkg = &page.package;
    let private = pkg.visibility == "private";
    let target = if private { "public" } else { "private" };
    html! {
        section.card aria-labelledby="visibility-title" {
            h2 #visibility-title { "Visibility" }
            p {
                "This package is " strong { (pkg.visibility) } ": "
                @if private {
                    "only its owners and maintainers and the members of the " (pkg.scope) " namespace can see and download it."
                } @else {
                    "anyone can find, see and download it."
                }
            }
            @if may {
                form.stack action={ (ctx.base) "/visibility" } method="post" {
                    (csrf_field(ctx.csrf))
                    input type="hidden" name="visibility" value=(target);
                    p.hint {
                        @if private {
                            "Making it public shows every version, its README and its download statistics to everyone, and lists it in search."
                        } @else {
                            "Making it private hides it from search, its page and its downloads: everyone else gets “not found”, and builds of others that depend on it will fail."
                        }
                    }
                    div.field {
                        label for="visibility-confirm" { "To confirm, type " code { (pkg.full_name) } }
                        input #visibility-confirm type="text" name="confirm" required autocomplete="off"
                            autocapitalize="none" spellcheck="false";
                    }
                    button.btn.btn-danger type="submit" { "Make " (target) }
                }
            } @else {
                p.hint { "Only owners can change the visibility." }
            }
        }
    }
}

fn owners_card(page: &PackagePage, may: bool, me: &str, ctx: &Ctx<'_>) -> Markup {
    let owner_count = page.owners.iter().filter(|o| o.role == "owner").count();
    let role = if ctx.prefill.role.is_empty() {
        "maintainer"
    } else {
        ctx.prefill.role.as_str()
    };
    html! {
        section.card aria-labelledby="owners-title" {
            h2 #owners-title { "Owners " span.count { (page.owners.len()) } }
            @if page.owners.is_empty() {
                p.empty { "No individual owners: the " (page.package.scope) " namespace manages this package." }
            } @else {
                ul.people.people-large {
                    @for o in &page.owners {
                        li {
                            (avatar(&o.username, "sm"))
                            a href={ "/users/" (o.username) } { (o.username) }
                            span.badge { (o.role) }
                            @if may {
                                @if o.role == "owner" && owner_count <= 1 {
                                    span.push-right.hint title="A package keeps at least one owner" { "last owner" }
                                } @else {
                                    form.inline.push-right action={ (ctx.base) "/remove-owner" } method="post" {
                                        (csrf_field(ctx.csrf))
                                        input type="hidden" name="username" value=(o.username);
                                        button.btn.btn-small.btn-danger type="submit"
                                            aria-label={ "Remove " (o.username) " as " (o.role) } {
                                            @if o.username == me { "Leave" } @else { "Remove" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.hint.owners-hint {
                "Owners manage everything, including owners and visibility. Maintainers publish, yank, deprecate and delete versions."
                @if page.namespace_is_org { " Members of the " (page.package.scope) " organization keep the rights of their role." }
            }
            @if may {
                form.stack action={ (ctx.base) "/add-owner" } method="post" {
                    (csrf_field(ctx.csrf))
                    div.field {
                        label for="owner-username" { "Username" }
                        input #owner-username type="text" name="username" required value=(ctx.prefill.username)
                            autocapitalize="none" spellcheck="false" autocomplete="off";
                    }
                    div.field {
                        label for="owner-role" { "Role" }
                        select #owner-role name="role" {
                            @for r in ["maintainer", "owner"] {
                                option value=(r) selected[r == role] { (r) }
                            }
                        }
                        p.hint { "Adding someone who is already listed changes their role." }
                    }
                    button.btn.btn-primary type="submit" { "Add owner" }
                }
            } @else {
                p.hint { "Only owners can add or remove owners." }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_only_echoes_well_formed_values() {
        assert_eq!(
            flash(Some("done=unyanked&version=1.0.0")).as_deref(),
            Some("Version 1.0.0 is no longer yanked.")
        );
        assert_eq!(flash(Some("done=yanked&version=<b>")), None);
        // A PyPI release's PEP 440 version.
        assert_eq!(
            flash(Some("done=unyanked&version=2.0rc1")).as_deref(),
            Some("Version 2.0rc1 is no longer yanked.")
        );
        assert_eq!(flash(Some("done=yanked&version=2.0%20or%20not")), None);
        assert_eq!(
            flash(Some("done=owner-added&user=bob&role=owner")).as_deref(),
            Some("bob is now an owner.")
        );
        assert_eq!(flash(Some("done=owner-added&user=evil%20words")), None);
        assert_eq!(
            flash(Some("done=visibility&visibility=private")).as_deref(),
            Some("The package is now private.")
        );
        assert_eq!(flash(Some("done=nonsense")), None);
        assert_eq!(flash(None), None);
    }

    #[test]
    fn oci_repositories_are_managed_by_owners_only() {
        let maintainer = PackagePermissions {
            versions: true,
            owners: false,
        };
        assert!(can_manage(&maintainer, "native"));
        assert!(!can_manage(&maintainer, "oci"));
        assert!(can_manage(
            &PackagePermissions {
                versions: true,
                owners: true
            },
            "oci"
        ));
        assert!(!can_manage(&PackagePermissions::default(), "native"));
    }
}
