//! The OpenAPI 3.1 document, generated from the route table.

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
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|p| json!({ "name": p, "in": "path", "required": true, "schema": { "type": if p == "id" { "integer" } else { "string" } } }))
            .collect();
        let mut responses = Map::new();
        let ok = if r.status == 204 {
            json!({ "description": "Done" })
        } else if r.operation_id.ends_with("download_version") {
            json!({ "description": "The archive", "content": { "application/gzip": { "schema": { "type": "string", "format": "binary" } } } })
        } else {
            json!({ "description": "Success", "content": { "application/json": { "schema": { "type": "object" } } } })
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
            ("503", "Database or storage unavailable"),
        ] {
            responses.insert(code.into(), json!({ "description": why, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }));
        }
        let mut op = json!({
            "operationId": r.operation_id.rsplit("::").next().unwrap_or(r.operation_id),
            "summary": r.summary,
            "tags": [r.tag],
            "parameters": params,
            "responses": responses,
            "security": [{ "token": [] }, { "session": [] }, {}],
        });
        match r.body {
            "json" => {
                op["requestBody"] =
                    json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } })
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
            "schemas": {
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": { "error": { "type": "object", "required": ["code", "message"],
                        "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } }
                }
            }
        }
    })
}
