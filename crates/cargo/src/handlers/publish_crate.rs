use crate::auth::Caller;
use crate::errors::{CargoError, CargoResult};
use crate::metadata::{check_cargo_toml, NewCrate};
use crate::names::{crate_file_name, storage_name};
use crate::wire::{read_publish, PublishBody};
use crate::CargoState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::{json, Value};
use trove_core::{Ecosystem, FileKind, PackageKind, Visibility};
use trove_service::cargo::RegistryView;
use trove_service::packages::{NewRelease, NewReleaseFile, ReleaseMeta};
use trove_service::{Ctx, Services};
use trove_storage::StagedBlob;
use trove_tarball::{CrateError, CrateInfo};

/// `PUT /cargo/{scope}/api/v1/crates/new`: cargo's binary publish body. The `.crate` is
/// staged (413 past the archive limit, before buffering), checked (a safe tar.gz under
/// `{name}-{version}/` whose Cargo.toml is the package the metadata names), and published
/// with its index line as the version's manifest: visible in the index when this answers.
pub async fn publish_crate(
    State(state): State<CargoState>,
    Caller(ctx): Caller,
    Path(scope): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> CargoResult<Json<Value>> {
    let svc = &state.services;
    let registry = match early_checks(svc, &ctx, &scope).await {
        Ok(r) => r,
        Err(e) => {
            // Read (bounded) what cargo is still sending, so that it gets the answer rather
            // than a reset connection.
            trove_service::blobs::stage::drain(&mut body.into_data_stream()).await;
            return Err(e);
        }
    };
    let PublishBody { metadata, crate_file } = read_publish(svc, &headers, body, svc.config.max_archive_bytes).await?;
    let meta = NewCrate::parse(&metadata).map_err(CargoError::bad_request)?;
    let info = inspect(svc, &crate_file, &meta).await?;
    check_cargo_toml(&info.cargo_toml, &meta).map_err(CargoError::bad_request)?;
    let stored = storage_name(&meta.name);
    check_spelling(svc, &ctx, &scope, &stored, &meta.name).await?;
    let cksum = crate_file.digest().expect("finished staging").hex().to_string();
    let (categories, invalid_categories): (Vec<String>, Vec<String>) = meta
        .categories
        .iter()
        .cloned()
        .partition(|c| trove_core::categories::is_category(c));
    let release = NewRelease {
        scope: scope.clone(),
        name: stored,
        version: meta.vers.clone(),
        kind: PackageKind::Library,
        visibility: Some(if registry.auth_required {
            Visibility::Private
        } else {
            Visibility::Public
        }),
        manifest: serde_json::to_value(meta.index_entry(&cksum)).expect("serializable"),
        dependencies: serde_json::to_value(meta.dependency_map()).expect("serializable"),
        meta: ReleaseMeta {
            description: meta.description.clone(),
            license: meta.license.clone(),
            keywords: meta.keywords.clone(),
            categories,
            homepage: meta.homepage.clone(),
            repository: meta.repository.clone(),
            readme: meta.readme.clone(),
        },
        files: vec![NewReleaseFile {
            filename: crate_file_name(&meta.name, &meta.vers),
            kind: FileKind::Crate,
            blob: crate_file,
            metadata: json!({ "cksum": cksum }),
        }],
        add_files: false,
    };
    svc.packages()
        .of(Ecosystem::Cargo)
        .publish_release(&ctx, release)
        .await?;
    Ok(Json(json!({
        "warnings": { "invalid_categories": invalid_categories, "invalid_badges": [], "other": [] }
    })))
}

/// What is refused before the body is read: no token, no such namespace.
async fn early_checks(svc: &Services, ctx: &Ctx, scope: &str) -> CargoResult<RegistryView> {
    if ctx.principal.is_none() {
        return Err(CargoError::new(
            StatusCode::UNAUTHORIZED,
            "publishing needs a token: run `cargo login --registry <name>` with a Trove API token",
        ));
    }
    Ok(svc.cargo().registry(scope).await?)
}

/// Checks the `.crate` off the async threads.
async fn inspect(svc: &Services, staged: &StagedBlob, meta: &NewCrate) -> CargoResult<CrateInfo> {
    let path = staged.path_buf();
    let limits = svc.config.archive_limits.clone();
    let root = format!("{}-{}", meta.name, meta.vers);
    let result = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)?;
        Ok::<_, std::io::Error>(trove_tarball::inspect_crate(
            std::io::BufReader::new(file),
            &root,
            None,
            &limits,
        ))
    })
    .await
    .map_err(|e| CargoError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(|e| {
        CargoError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("reading the staged .crate: {e}"),
        )
    })?;
    result.map_err(|e: CrateError| {
        let status = if e.is_too_large() {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        CargoError::new(status, format!("invalid .crate: {e}"))
    })
}

/// Crate names differing only in case are one crate to Trove (stored lowercase): a new
/// version must keep the spelling of the crate's first (`Foo` cannot follow `foo`).
async fn check_spelling(svc: &Services, ctx: &Ctx, scope: &str, stored: &str, name: &str) -> CargoResult<()> {
    let Ok(releases) = svc.packages().of(Ecosystem::Cargo).releases(ctx, scope, stored).await else {
        return Ok(()); // new, or not visible: publishing decides (and answers as for a new one)
    };
    let existing = releases.versions.iter().find_map(|v| {
        v.version
            .manifest
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    match existing {
        Some(e) if e != name => Err(CargoError::new(
            StatusCode::CONFLICT,
            format!("crate `{name}` collides with the existing crate `{e}` (names differing only in case or `-`/`_` are the same crate)"),
        )),
        _ => Ok(()),
    }
}
