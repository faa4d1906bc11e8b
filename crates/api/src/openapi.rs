//! The OpenAPI 3.1 document, generated from the route table.

use crate::schemas::{component_schemas, operation_schemas, schema_ref};
use crate::ROUTES;
use axum::Json;
use serde_json::{json, Map, Value};

pub async fn get_openapi() -> Json<Value> {
    Json(openapi_document())
}

pub fn openapi_document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let full = format!("/api/v1{}", r.path);
        let mut params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|p| json!({ "name": p, "in": "path", "required": true, "schema": { "type": if p == "id" { "integer" } else { "string" } } }))
            .collect();
        let op = r.operation_id.rsplit("::").next().unwrap_or(r.operation_id);
        for (name, ty, description) in query_params(op) {
            params.push(json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": ty } }));
        }

        let schemas = operation_schemas(op);
        let mut responses = Map::new();
        let ok = if r.status == 204 {
            json!({ "description": "Done" })
        } else if r.operation_id.ends_with("download_version") {
            json!({ "description": "The archive", "content": { "application/gzip": { "schema": { "type": "string", "format": "binary" } } } })
        } else {
            let schema = schemas.response.clone().unwrap_or_else(|| json!({ "type": "object" }));
            json!({ "description": "Success", "content": { "application/json": { "schema": schema } } })
        };
        responses.insert(r.status.to_string(), ok);
        for (code, why) in [
            ("400", "Malformed request"),
            ("401", "Not authenticated"),
            ("403", "Not allowed"),
            ("404", "Not found (or private)"),
            ("409", "Conflict"),
            ("413", "Too large"),
            ("422", "Invalid content"),
            ("429", "Rate limited: retry after `Retry-After` seconds"),
            ("503", "Database or storage unavailable"),
        ] {
            let mut resp =
                json!({ "description": why, "content": { "application/json": { "schema": schema_ref("Error") } } });
            if code == "429" {
                resp["headers"] = json!({
                    "Retry-After": { "schema": { "type": "integer" }, "description": "Seconds until the window resets" },
                    "RateLimit-Limit": { "schema": { "type": "integer" } },
                    "RateLimit-Remaining": { "schema": { "type": "integer" } },
                    "RateLimit-Reset": { "schema": { "type": "integer" } }
                });
            }
            responses.insert(code.into(), resp);
        }

        let mut op = json!({
            "operationId": op,
            "summary": r.summary,
            "tags": [r.tag],
            "parameters": params,
            "responses": responses,
            "security": [{ "token": [] }, { "session": [] }, {}],
        });
        match r.body {
            "json" => {
                let schema = schemas.request.clone().unwrap_or_else(|| json!({ "type": "object" }));
                let mut media = json!({ "schema": schema });
                if let Some(example) = &schemas.example {
                    media["example"] = example.clone();
                }
                op["requestBody"] = json!({ "required": true, "content": { "application/json": media } })
            }
            "gzip" => {
                op["requestBody"] = json!({ "required": true, "content": { "application/gzip": { "schema": { "type": "string", "format": "binary" } } } })
            }
            _ => {}
        }
        let entry = paths.entry(full).or_insert_with(|| json!({}));
        entry[r.method] = op;
        if r.operation_id.ends_with("download_version") {
            let mut head = entry["get"].clone();
            head["operationId"] = "head_version_download".into();
            entry["head"] = head;
        }
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
            "schemas": component_schemas()
        }
    })
}

/// Query parameters of the operations that take some: (name, JSON type, description).
fn query_params(operation: &str) -> &'static [(&'static str, &'static str, &'static str)] {
    match operation {
        "search_packages" => &[
            (
                "q",
                "string",
                "Words to find in names, descriptions, keywords and READMEs (typos tolerated)",
            ),
            ("ecosystem", "string", "native, oci, npm, cargo or pypi"),
            (
                "kind",
                "string",
                "library, module, plugin, model, agent, template, snapshot or other",
            ),
            ("category", "string", "A category slug from /api/v1/categories"),
            ("license", "string", "An SPDX expression as published"),
            ("keyword", "string", "A keyword"),
            ("sort", "string", "relevance (default), downloads, recent or name"),
            ("page", "integer", "1-based page number"),
            ("per_page", "integer", "Results per page, at most 100 (default 20)"),
        ],
        "list_audit" => &[
            (
                "org",
                "string",
                "Only this organization's events (its owners may read them)",
            ),
            ("action", "string", "Only this action, e.g. version.publish"),
            ("actor", "string", "Only events by this username"),
            (
                "before",
                "integer",
                "Only events with an id below this (paging backwards)",
            ),
            ("limit", "integer", "At most this many events (1–1000, default 100)"),
        ],
        "publish_version" => &[(
            "visibility",
            "string",
            "public (default) or private, for a package's first version",
        )],
        _ => &[],
    }
}
