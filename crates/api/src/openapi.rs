//! The OpenAPI 3.1 document: paths from the route table ([`crate::ROUTES`]), named schemas
//! derived from the wire types (`trove_wire::component_schemas`).

use crate::schemas::operation_schemas;
use crate::{Route, ROUTES};
use axum::Json;
use serde_json::{json, Map, Value};
use trove_wire::{name_schema, schema_ref, version_schema, vocab};

pub async fn get_openapi() -> Json<Value> {
    Json(openapi_document())
}

pub fn openapi_document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let entry = paths.entry(format!("/api/v1{}", r.path)).or_insert_with(|| json!({}));
        let op = operation(r);
        if is_download(r) {
            let mut head = op.clone();
            head["operationId"] = "head_version_download".into();
            entry["head"] = head;
        }
        entry[r.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Trove native API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Publish, read and manage native Trove packages. Errors are `{\"error\": {\"code\", \"message\"}}`." },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "token": { "type": "http", "scheme": "bearer", "description": "An API token (`trv_…`)" },
                "session": { "type": "apiKey", "in": "cookie", "name": "trove_session", "description": "Browser session; unsafe requests need X-CSRF-Token" }
            },
            "schemas": trove_wire::component_schemas()
        }
    })
}

fn is_download(r: &Route) -> bool {
    r.operation_id.ends_with("download_version")
}

/// The operation id: the handler's name.
fn operation_name(r: &Route) -> &'static str {
    r.operation_id.rsplit("::").next().unwrap_or(r.operation_id)
}

/// The OpenAPI operation of one route.
fn operation(r: &Route) -> Value {
    let name = operation_name(r);
    let schemas = operation_schemas(name);
    let mut op = json!({
        "operationId": name,
        "summary": r.summary,
        "tags": [r.tag],
        "parameters": parameters(r),
        "responses": responses(r, schemas.response),
        "security": [{ "token": [] }, { "session": [] }, {}],
    });
    match r.body {
        "json" => {
            let mut media = json!({ "schema": schemas.request.unwrap_or_else(|| json!({ "type": "object" })) });
            if let Some(example) = schemas.example {
                media["example"] = example;
            }
            op["requestBody"] = json!({ "required": true, "content": { "application/json": media } })
        }
        "gzip" => op["requestBody"] = json!({ "required": true, "content": archive() }),
        _ => {}
    }
    op
}

/// `application/gzip` content: an archive.
fn archive() -> Value {
    json!({ "application/gzip": { "schema": { "type": "string", "format": "binary" } } })
}

/// Path parameters, query parameters and (for downloads) the conditional/range headers.
fn parameters(r: &Route) -> Vec<Value> {
    let mut params: Vec<Value> = r
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|p| json!({ "name": p, "in": "path", "required": true, "schema": path_param(p) }))
        .collect();
    for (name, schema, description) in query_params(operation_name(r)) {
        let mut param =
            json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema });
        // A list travels as one comma-separated value (`?ecosystem=npm,cargo`).
        if param["schema"]["type"] == "array" {
            param["style"] = json!("form");
            param["explode"] = json!(false);
        }
        params.push(param);
    }
    if is_download(r) {
        for (name, description) in [
            (
                "Range",
                "One byte range, `bytes=start-end`, `bytes=start-` or `bytes=-suffix`",
            ),
            (
                "If-Range",
                "The ETag: the Range is honoured only while it still matches",
            ),
            ("If-None-Match", "ETags (or `*`): 304 when one is the archive's"),
        ] {
            params.push(json!({ "name": name, "in": "header", "required": false, "description": description, "schema": { "type": "string" } }));
        }
    }
    params
}

/// The success answer, every error answer, and a download's partial answers.
fn responses(r: &Route, response: Option<Value>) -> Map<String, Value> {
    let mut responses = Map::new();
    let ok = if r.status == 204 {
        json!({ "description": "Done" })
    } else if is_download(r) {
        json!({ "description": "The archive", "content": archive() })
    } else {
        let schema = response.unwrap_or_else(|| json!({ "type": "object" }));
        json!({ "description": "Success", "content": { "application/json": { "schema": schema } } })
    };
    responses.insert(r.status.to_string(), ok);
    responses.extend(error_responses());
    if is_download(r) {
        responses.extend(download_responses());
    }
    responses
}

fn error_content() -> Value {
    json!({ "application/json": { "schema": schema_ref::<trove_wire::Error>() } })
}

/// The error answers every operation may give, in the `Error` shape.
fn error_responses() -> Map<String, Value> {
    let mut out = Map::new();
    for (code, why) in [
        ("400", "Malformed request"),
        ("401", "Not authenticated"),
        ("403", "Not allowed"),
        ("404", "Not found (or private)"),
        ("405", "Method not allowed (the `Allow` header lists the allowed ones)"),
        ("409", "Conflict"),
        ("413", "Too large"),
        ("422", "Invalid content"),
        ("429", "Rate limited: retry after `Retry-After` seconds"),
        ("503", "Database or storage unavailable"),
    ] {
        let mut resp = json!({ "description": why, "content": error_content() });
        if code == "429" {
            resp["headers"] = json!({
                "Retry-After": { "schema": { "type": "integer" }, "description": "Seconds until the window resets" },
                "RateLimit-Limit": { "schema": { "type": "integer" } },
                "RateLimit-Remaining": { "schema": { "type": "integer" } },
                "RateLimit-Reset": { "schema": { "type": "integer" } }
            });
        }
        out.insert(code.into(), resp);
    }
    out
}

/// A download's partial, not-modified and unsatisfiable answers.
fn download_responses() -> Map<String, Value> {
    let mut out = Map::new();
    out.insert(
        "206".into(),
        json!({
            "description": "Part of the archive, as the `Range` asked",
            "headers": { "Content-Range": { "schema": { "type": "string" }, "description": "`bytes start-end/size`" } },
            "content": archive(),
        }),
    );
    out.insert(
        "304".into(),
        json!({ "description": "Not modified: `If-None-Match` names the archive's ETag" }),
    );
    out.insert(
        "416".into(),
        json!({
            "description": "Range not satisfiable",
            "headers": { "Content-Range": { "schema": { "type": "string" }, "description": "`bytes */size`" } },
            "content": error_content(),
        }),
    );
    out
}

/// The schema of a path parameter.
fn path_param(name: &str) -> Value {
    let schema = match name {
        "id" => return json!({ "type": "integer", "format": "int64" }),
        "advisory" => {
            return json!({ "type": "string", "description": "An advisory id: `TROVE-YYYY-N`, or an imported record's (`GHSA-…`)" })
        }
        "version" => version_schema("A semver 2.0 version, e.g. `1.2.3` or `1.0.0-beta.1`"),
        "scope" | "name" | "org" | "username" => name_schema("1–64 of `[a-z0-9]` with inner `-`, `_`, `.`"),
        other => panic!("path parameter `{other}` has no schema"),
    };
    serde_json::to_value(schema).expect("a schema serializes")
}

/// Query parameters of the operations that take some: (name, schema, description).
fn query_params(operation: &str) -> Vec<(&'static str, Value, &'static str)> {
    match operation {
        "search_packages" => search_params(),
        "list_advisories" => vec![
            (
                "ecosystem",
                json!({ "type": "string" }),
                "Only advisories of this OSV ecosystem: npm, crates.io, PyPI, Trove (native), or one of imported records",
            ),
            ("q", json!({ "type": "string" }), "Text in the id or the summary"),
            (
                "limit",
                json!({ "type": "integer", "format": "int64" }),
                "At most this many (default 50); clamped to 1–200",
            ),
            (
                "before",
                json!({ "type": "string", "format": "date-time" }),
                "Only advisories modified before this time (the next page)",
            ),
        ],
        "list_audit" => vec![
            (
                "org",
                json!({ "type": "string" }),
                "Only this organization's events (its owners may read them)",
            ),
            (
                "action",
                json!({ "type": "string" }),
                "Only this action, e.g. version.publish",
            ),
            ("actor", json!({ "type": "string" }), "Only events by this username"),
            (
                "before",
                json!({ "type": "integer", "format": "int64" }),
                "Only events with an id below this (paging backwards)",
            ),
            (
                "limit",
                json!({ "type": "integer", "format": "int64" }),
                "At most this many events (default 100); clamped to 1–1000",
            ),
        ],
        "publish_version" => vec![(
            "visibility",
            schema_ref::<vocab::Visibility>(),
            "public (default) or private, for a package's first version",
        )],
        _ => vec![],
    }
}

/// The parameters of `GET /search`.
fn search_params() -> Vec<(&'static str, Value, &'static str)> {
    use trove_wire::limits::{SEARCH_MAX_PAGE, SEARCH_QUERY_MAX_LEN};
    let text = |max: usize| json!({ "type": "string", "maxLength": max });
    // An empty value means "no filter" (the default) to the server.
    let vocabulary = |mut values: Vec<&'static str>| {
        values.push("");
        json!({ "type": "string", "enum": values })
    };
    // A facet filter holds one value or several, comma-separated (`style: form`, `explode:
    // false`), any of which matches; the whole value is at most 200 characters.
    let any_of = |items: Value| json!({ "type": "array", "items": items });
    let known = |values: Vec<&'static str>| any_of(json!({ "type": "string", "enum": values }));
    vec![
        (
            "q",
            text(SEARCH_QUERY_MAX_LEN),
            "Words to find in names, descriptions, keywords and READMEs (typos tolerated); at most 256 characters",
        ),
        (
            "ecosystem",
            known(trove_core::Ecosystem::ALL.iter().map(|e| e.as_str()).collect()),
            "Only these ecosystems, comma-separated: any of them matches (empty: any)",
        ),
        (
            "kind",
            known(trove_core::PackageKind::ALL.iter().map(|k| k.as_str()).collect()),
            "Only these kinds, comma-separated: any of them matches (empty: any)",
        ),
        (
            "category",
            known(trove_core::categories::CATEGORIES.iter().map(|c| c.slug).collect()),
            "Category slugs from /api/v1/categories, comma-separated: any of them matches (empty: any)",
        ),
        (
            "license",
            any_of(json!({ "type": "string", "minLength": 1 })),
            "SPDX expressions as published, comma-separated: any of them matches; at most 200 characters in all",
        ),
        (
            "keyword",
            any_of(json!({ "type": "string", "minLength": 1 })),
            "Keywords, comma-separated: any of them matches; at most 200 characters in all",
        ),
        (
            "sort",
            vocabulary(vec!["relevance", "downloads", "recent", "name"]),
            "relevance (default), downloads, recent or name; empty for the default",
        ),
        (
            "page",
            json!({ "type": "integer", "minimum": 1, "maximum": SEARCH_MAX_PAGE }),
            "1-based page number, at most 10000",
        ),
        (
            "per_page",
            json!({ "type": "integer", "minimum": 1 }),
            "Results per page (default 20); larger values are capped at 100",
        ),
    ]
}
