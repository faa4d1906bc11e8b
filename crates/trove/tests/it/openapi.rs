use crate::common::*;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use trove_testkit::{both_backends, Backend};

/// The served document lists every route, and every documented operation is routed
/// (nothing falls through to the "no such endpoint" fallback or 405).
async fn openapi_document_matches_the_router(b: Backend) {
    let app = TestApp::new(b).await;
    let doc = json_ok(app.get("/api/v1/openapi.json").send().await.unwrap()).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for r in trove_api::ROUTES {
        let p = &paths[&format!("/api/v1{}", r.path)];
        assert!(p[r.method].is_object(), "{} {} undocumented", r.method, r.path);
    }
    let search = &paths["/api/v1/search"]["get"]["parameters"];
    let names: Vec<&str> = search
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "q",
            "ecosystem",
            "kind",
            "category",
            "license",
            "keyword",
            "sort",
            "page",
            "per_page"
        ]
    );
    let mut operations = 0;

    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            assert!(op["operationId"].is_string() && op["summary"].is_string());
            assert!(op["responses"]["401"].is_object());
            assert!(op["responses"]["429"]["headers"]["Retry-After"].is_object());

            let concrete = path
                .replace("{scope}", "s")
                .replace("{name}", "n")
                .replace("{version}", "1.0.0")
                .replace("{org}", "o")
                .replace("{username}", "u")
                .replace("{id}", "1")
                .replace("{advisory}", "TROVE-2026-1");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app.req(m.clone(), &concrete).send().await.unwrap();
            assert_ne!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if m != Method::HEAD {
                let text = res.text().await.unwrap();
                assert!(!text.contains("no such endpoint"), "{method} {path} is not routed");
            }
        }
    }
    assert_eq!(
        operations,
        trove_api::ROUTES.len() + 1,
        "every route plus HEAD download"
    );
    app.stop().await;
}

both_backends!(openapi_document_matches_the_router);

// ---------------------------------------------------------------------------------------
// Documented schemas against real traffic.
// ---------------------------------------------------------------------------------------

/// Validation against the served document with the `jsonschema` crate (JSON Schema 2020-12, the
/// dialect of OpenAPI 3.1), `$ref`s resolved in the document's `components`, formats asserted.
///
/// The test holds the server to a stricter reading than the document gives clients, on a copy of
/// the schemas ([`strict`]):
/// - an object schema that lists `properties` without saying `additionalProperties` accepts no
///   undocumented member (the document leaves response objects open so that clients tolerate new
///   fields; the test holds the server to exactly what is documented);
/// - an `integer` is written as one (`1`, not `1.0`, which JSON Schema counts as an integer), and
///   fits OpenAPI's `int64`/`int32` format where one is given (JSON Schema's `format` asserts on
///   strings only): the test's own keyword [`INTEGER`].
///
/// The document may use only the keywords and formats listed here ([`check_vocabulary`]), so a
/// typo'd keyword fails loudly instead of being ignored as an annotation.
mod schema {
    use jsonschema::{Draft, Keyword, ValidationError, Validator};
    use serde_json::{json, Map, Value};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    /// The keywords the document uses that constrain values.
    const KEYWORDS: &[&str] = &[
        "$ref",
        "type",
        "enum",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "format",
        "oneOf",
        "not",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "propertyNames",
    ];
    const ANNOTATIONS: &[&str] = &["description", "example", "examples", "title", "default"];
    /// String formats the crate asserts, and OpenAPI's numeric ones that [`INTEGER`] does.
    /// `binary` only describes the archive bodies, which are not JSON.
    const FORMATS: &[&str] = &["date-time", "date", "uri", "email", "binary", "int64", "int32"];
    /// The test's keyword: the value is a JSON integer, of this OpenAPI format (or `integer`).
    const INTEGER: &str = "x-test-integer";

    /// Calls `f` on `schema` and every subschema in it (`at`: where), outermost first.
    fn each_schema(schema: &mut Value, at: &str, f: &mut dyn FnMut(&str, &mut Map<String, Value>)) {
        let Value::Object(s) = schema else {
            assert!(
                schema.is_boolean(),
                "{at}: a schema is an object or a boolean, not {schema}"
            );
            return;
        };
        f(at, s);
        for (key, value) in s.iter_mut() {
            let here = format!("{at}/{key}");
            match (key.as_str(), value) {
                ("properties", Value::Object(props)) => {
                    for (name, p) in props {
                        each_schema(p, &format!("{here}/{name}"), f);
                    }
                }
                ("oneOf", Value::Array(branches)) => {
                    for (i, b) in branches.iter_mut().enumerate() {
                        each_schema(b, &format!("{here}/{i}"), f);
                    }
                }
                ("items" | "not" | "additionalProperties", v) => each_schema(v, &here, f),
                _ => {}
            }
        }
    }

    /// Every schema of the document: the components, and the `schema` of each parameter, header,
    /// request and response body.
    fn document_schemas(doc: &Value) -> Vec<(String, Value)> {
        fn under_paths(v: &Value, at: &str, out: &mut Vec<(String, Value)>) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        let here = format!("{at}/{k}");
                        if k == "schema" {
                            out.push((here, x.clone()));
                        } else {
                            under_paths(x, &here, out);
                        }
                    }
                }
                Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .for_each(|(i, x)| under_paths(x, &format!("{at}/{i}"), out)),
                _ => {}
            }
        }
        let mut out: Vec<(String, Value)> = doc["components"]["schemas"]
            .as_object()
            .expect("components.schemas")
            .iter()
            .map(|(name, s)| (format!("#/components/schemas/{name}"), s.clone()))
            .collect();
        under_paths(&doc["paths"], "#/paths", &mut out);
        out
    }

    /// The document uses only [`KEYWORDS`] (and [`ANNOTATIONS`]), [`FORMATS`], and `$ref`s to
    /// defined components.
    pub fn check_vocabulary(doc: &Value) {
        for (at, mut s) in document_schemas(doc) {
            each_schema(&mut s, &at, &mut |at, s| {
                for key in s.keys() {
                    assert!(
                        KEYWORDS.contains(&key.as_str()) || ANNOTATIONS.contains(&key.as_str()),
                        "{at}: the keyword `{key}` is not one the test expects (a typo? if not, add it)"
                    );
                }
                if let Some(format) = s.get("format") {
                    assert!(
                        format.as_str().is_some_and(|f| FORMATS.contains(&f)),
                        "{at}: the format {format} is not one the test expects"
                    );
                }
                if let Some(r) = s.get("$ref") {
                    let target = r
                        .as_str()
                        .and_then(|r| r.strip_prefix('#'))
                        .and_then(|p| doc.pointer(p));
                    assert!(target.is_some(), "{at}: dangling or non-local $ref {r}");
                }
            });
        }
    }

    /// The test's stricter reading of `schema` (see the module).
    fn strict(mut schema: Value) -> Value {
        each_schema(&mut schema, "#", &mut |_, s| {
            if s.contains_key("properties") && !s.contains_key("additionalProperties") {
                s.insert("additionalProperties".into(), false.into());
            }
            let integer = match s.get("type") {
                Some(Value::String(t)) => t == "integer",
                Some(Value::Array(ts)) => ts.iter().any(|t| t.as_str() == Some("integer")),
                _ => false,
            };
            if integer {
                let width = match s.get("format").and_then(Value::as_str) {
                    Some(f @ ("int64" | "int32")) => f.to_string(),
                    _ => "integer".to_string(),
                };
                if width != "integer" {
                    s.remove("format");
                }
                s.insert(INTEGER.into(), width.into());
            }
        });
        schema
    }

    /// [`INTEGER`]: a number is written as an integer (serde_json reads `1.0` as a float) and fits
    /// the format.
    struct IntegerLiteral(String);

    impl<'i> Keyword<'i> for IntegerLiteral {
        fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
            if self.is_valid(instance) {
                Ok(())
            } else {
                Err(ValidationError::custom(format!("{instance} is not an {}", self.0)))
            }
        }

        fn is_valid(&self, instance: &'i Value) -> bool {
            let Some(n) = instance.as_number() else {
                return true;
            };
            match self.0.as_str() {
                "int64" => n.is_i64(),
                "int32" => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                _ => n.is_i64() || n.is_u64(),
            }
        }
    }

    /// Compiles `schema` (2020-12, formats asserted, unknown formats refused); `#/components/...`
    /// `$ref`s in it resolve in `components`.
    fn compile(schema: &Value, components: &Value) -> Result<Validator, ValidationError<'static>> {
        let mut root = schema.clone();
        root.as_object_mut()
            .expect("an object schema")
            .insert("components".into(), components.clone());
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .should_ignore_unknown_formats(false)
            .with_keyword(INTEGER, |_, value, _| {
                let width = value.as_str().expect("a format name").to_string();
                Ok(Box::new(IntegerLiteral(width)))
            })
            .build(&root)
    }

    /// The served document's schemas, read strictly, compiled on first use.
    pub struct Schemas {
        components: Value,
        compiled: Mutex<HashMap<String, Arc<Validator>>>,
    }

    impl Schemas {
        pub fn new(doc: &Value) -> Schemas {
            check_vocabulary(doc);
            let schemas: Map<String, Value> = doc["components"]["schemas"]
                .as_object()
                .expect("components.schemas")
                .iter()
                .map(|(name, s)| (name.clone(), strict(s.clone())))
                .collect();
            Schemas {
                components: json!({ "schemas": schemas }),
                compiled: Mutex::new(HashMap::new()),
            }
        }

        /// Why `v` does not match `schema` (a schema of the document, e.g. a `$ref`); empty if it does.
        pub fn errors(&self, schema: &Value, v: &Value) -> Vec<String> {
            let validator = self
                .compiled
                .lock()
                .unwrap()
                .entry(schema.to_string())
                .or_insert_with(|| {
                    let compiled = compile(&strict(schema.clone()), &self.components);
                    Arc::new(compiled.unwrap_or_else(|e| panic!("the schema {schema} does not compile: {e}")))
                })
                .clone();
            validator
                .iter_errors(v)
                .map(|e| format!("at `{}`: {e}", e.instance_path()))
                .collect()
        }
    }

    #[test]
    #[should_panic(expected = "the keyword `propertie` is not one the test expects")]
    fn a_typod_keyword_is_not_ignored() {
        let s = json!({ "type": "object", "properties": { "a": { "type": "object", "propertie": {} } } });
        check_vocabulary(&json!({ "paths": {}, "components": { "schemas": { "X": s } } }));
    }

    #[test]
    fn integers_are_integer_literals_of_their_width() {
        let doc = json!({ "paths": {}, "components": { "schemas": {} } });
        let s = Schemas::new(&doc);
        let valid = |schema: Value, v: Value| s.errors(&schema, &v).is_empty();
        let integer = json!({ "type": "integer" });
        assert!(valid(integer.clone(), json!(1)) && valid(integer.clone(), json!(u64::MAX)));
        assert!(!valid(integer.clone(), json!(1.0)) && !valid(integer, json!("1")));
        let int64 = json!({ "type": ["integer", "null"], "format": "int64" });
        assert!(valid(int64.clone(), json!(i64::MIN)) && valid(int64.clone(), Value::Null));
        assert!(!valid(int64.clone(), json!(u64::MAX)) && !valid(int64, json!(2.0)));
        let int32 = json!({ "type": "integer", "format": "int32" });
        assert!(valid(int32.clone(), json!(i32::MIN)) && !valid(int32, json!(i64::from(i32::MAX) + 1)));
    }

    #[test]
    fn formats_are_asserted() {
        let doc = json!({ "paths": {}, "components": { "schemas": {} } });
        let s = Schemas::new(&doc);
        let valid = |format: &str, v: &str| {
            s.errors(&json!({ "type": "string", "format": format }), &json!(v))
                .is_empty()
        };
        assert!(valid("date-time", "2026-01-31T12:00:00.000Z"));
        assert!(valid("date-time", "2026-01-31T12:00:00+02:00"));
        for bad in [
            "2026-01-31 12:00:00Z",
            "2026-01-31T12:00:00",
            "1700000000000",
            "2026-13-31T12:00:00Z",
        ] {
            assert!(!valid("date-time", bad), "{bad}");
        }
        assert!(valid("date", "2026-01-31") && !valid("date", "2026-1-31"));
        assert!(valid("uri", "https://ci.example.com/trove") && valid("uri", "http://127.0.0.1:9/hook"));
        assert!(!valid("uri", "no scheme") && !valid("uri", "http://exa mple.com/") && !valid("uri", "/relative"));
        assert!(valid("email", "a@example.com") && !valid("email", "alice"));
        // A typo'd format is refused when the schema compiles, not ignored.
        assert!(compile(&json!({ "type": "string", "format": "date-tme" }), &json!({})).is_err());
    }
}

/// Follows `$ref`s to the schema that says what the value is.
fn deref<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        schema = r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .unwrap_or_else(|| panic!("dangling $ref {r}"));
    }
    schema
}

/// The operations of the served document by id: (path template, method, operation).
fn operations(doc: &Value) -> BTreeMap<String, (String, String, Value)> {
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_string();
            out.insert(id, (path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

/// The documented success status of an operation and its JSON schema, if it answers JSON.
fn success(op: &Value) -> (u16, Option<&Value>) {
    let (code, resp) = op["responses"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(code, _)| code.starts_with('2'))
        .expect("a success response");
    (code.parse().unwrap(), resp["content"]["application/json"].get("schema"))
}

fn request_schema(op: &Value) -> Option<&Value> {
    op["requestBody"]["content"]["application/json"].get("schema")
}

/// Whether a concrete path matches a documented template such as `/api/v1/orgs/{org}`.
fn path_matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}') && !p.is_empty()))
}

/// Sends requests as documented operations and holds both directions to the schemas.
struct Checker {
    doc: Value,
    schemas: schema::Schemas,
    ops: BTreeMap<String, (String, String, Value)>,
    client: reqwest::Client,
    /// Operations exercised, with how many bodies were validated.
    covered: BTreeMap<String, usize>,
}

impl Checker {
    fn new(doc: Value) -> Checker {
        Checker {
            ops: operations(&doc),
            schemas: schema::Schemas::new(&doc),
            doc,
            client: reqwest::Client::new(),
            covered: BTreeMap::new(),
        }
    }

    fn schema(&self, name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    fn assert_valid(&self, what: &str, schema: &Value, v: &Value) {
        let errors = self.schemas.errors(schema, v);
        assert!(
            errors.is_empty(),
            "{what} does not match its documented schema {schema}:\n  {}\nbody: {v:#}",
            errors.join("\n  ")
        );
    }

    /// Sends `rb` (plus `body` as JSON) as operation `id`: checks the method and path against
    /// the document, the request body against the request schema, the status against the
    /// documented success status and the answer against the response schema. Returns the
    /// answer's JSON (`Null` for an answer without a JSON body).
    async fn call(&mut self, id: &str, rb: RequestBuilder, body: Option<Value>) -> Value {
        let (path, method, op) = self
            .ops
            .get(id)
            .unwrap_or_else(|| panic!("`{id}` is not a documented operation"))
            .clone();
        let rb = match &body {
            Some(b) => {
                let schema = request_schema(&op).unwrap_or_else(|| panic!("{id} documents no JSON request body"));
                self.assert_valid(&format!("the request body of {id}"), schema, b);
                rb.json(b)
            }
            None => {
                assert!(
                    request_schema(&op).is_none(),
                    "{id} takes a JSON body: send one to check it"
                );
                rb
            }
        };
        let req = rb.build().unwrap();
        assert_eq!(req.method().as_str().to_lowercase(), method, "{id}: method");
        assert!(
            path_matches(&path, req.url().path()),
            "{id}: {} is not {path}",
            req.url().path()
        );
        let res = self.client.execute(req).await.unwrap();
        let (status, schema) = success(&op);
        let got = res.status();
        let content_type = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let text = res.text().await.unwrap();
        assert_eq!(got.as_u16(), status, "{id}: {text}");
        *self.covered.entry(id.to_string()).or_default() += 1;
        match schema {
            Some(schema) => {
                assert!(
                    content_type
                        .as_deref()
                        .is_some_and(|c| c.starts_with("application/json")),
                    "{id}: content-type {content_type:?}"
                );
                let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{id}: bad JSON ({e}): {text}"));
                self.assert_valid(&format!("the {status} answer of {id}"), schema, &v);
                v
            }
            None => {
                assert!(
                    !content_type
                        .as_deref()
                        .is_some_and(|c| c.starts_with("application/json")),
                    "{id} answers JSON that the document does not describe: {text}"
                );
                Value::Null
            }
        }
    }

    /// Proves the check has teeth on a real answer `v` of schema `name`: renaming, removing or
    /// retyping any required member, or adding an undocumented one, is caught.
    fn assert_drift_is_caught(&self, name: &str, v: &Value) {
        let schema = self.schema(name);
        self.assert_valid(name, &schema, v);
        let resolved = deref(&self.doc, &schema);
        let obj = v.as_object().expect("an object");
        let fails = |mutated: Map<String, Value>, what: &str| {
            let errors = self.schemas.errors(&schema, &Value::Object(mutated));
            assert!(!errors.is_empty(), "{name}: {what} went unnoticed");
        };
        for member in resolved["required"].as_array().unwrap() {
            let member = member.as_str().unwrap();
            let mut m = obj.clone();
            let value = m.remove(member).unwrap();
            fails(m.clone(), &format!("removing `{member}`"));
            m.insert(format!("{member}_renamed"), value.clone());
            fails(m, &format!("renaming `{member}`"));
            let mut m = obj.clone();
            let other = match value {
                Value::String(_) => json!(12345),
                Value::Array(_) | Value::Object(_) | Value::Null => json!(true),
                Value::Bool(_) | Value::Number(_) => json!("retyped"),
            };
            m.insert(member.to_string(), other);
            fails(m, &format!("retyping `{member}`"));
        }
        let mut m = obj.clone();
        m.insert("surprise".into(), json!(1));
        fails(m, "an undocumented member");
    }
}

/// Every operation that takes or answers JSON documents a real schema (a `$ref` to a named
/// component, or an array of them), never a bare `{"type": "object"}`.
#[test]
fn every_json_body_has_a_real_schema() {
    let doc = trove_api::openapi_document();
    let components = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "User",
        "Me",
        "Session",
        "Token",
        "TokenCreated",
        "DeviceCode",
        "DeviceGrant",
        "Org",
        "Member",
        "Package",
        "Version",
        "Manifest",
        "Owner",
        "AuditEvent",
        "SearchResults",
        "Facets",
        "Categories",
        "Stats",
        "Explore",
        "PackageStats",
        "VersionStats",
        "Webhook",
        "WebhookCreated",
        "Delivery",
        "Error",
    ] {
        assert!(components.contains_key(name), "components.schemas.{name} missing");
    }
    let schemas = schema::Schemas::new(&doc);
    let real = |what: &str, schema: &Value| {
        assert_ne!(schema, &json!({ "type": "object" }), "{what} is generic");
        let mut s = deref(&doc, schema);
        if s["type"] == "array" {
            s = deref(&doc, &s["items"]);
        }
        assert!(
            s["properties"].as_object().is_some_and(|p| !p.is_empty()),
            "{what}: {schema} names no members"
        );
    };
    for (id, (_, _, op)) in operations(&doc) {
        if let Some(content) = op.get("requestBody").map(|b| &b["content"]) {
            match content.get("application/json") {
                Some(media) => {
                    real(&format!("the request body of {id}"), &media["schema"]);
                    // Examples are valid requests.
                    if let Some(example) = media.get("example") {
                        let errors = schemas.errors(&media["schema"], example);
                        assert!(errors.is_empty(), "example of {id}: {errors:?}");
                    }
                }
                None => assert!(content.get("application/gzip").is_some(), "{id}: {content}"),
            }
        }
        let (status, schema) = success(&op);
        match schema {
            Some(schema) => real(&format!("the {status} answer of {id}"), schema),
            None => assert!(
                status == 204 || id.contains("download"),
                "{id} answers {status} without a documented body"
            ),
        }
        for (code, resp) in op["responses"].as_object().unwrap() {
            if !code.starts_with('2') && code != "304" {
                assert_eq!(
                    resp["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Error",
                    "{id} {code}"
                );
            }
        }
    }
}

/// The document's `pattern`s are ECMA-262 regexes that the crate evaluates, and they take and
/// refuse what the server's own checks do: a table of sample strings for each (those the test's
/// former hand-written matchers were held to, and more). A new pattern needs its row.
#[test]
fn the_documents_patterns_take_what_the_server_takes() {
    let doc = trove_api::openapi_document();
    let schemas = schema::Schemas::new(&doc);
    let c = &doc["components"]["schemas"];
    let version = operations(&doc)["get_version"].2["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "version")
        .unwrap()["schema"]
        .clone();
    let x = |n: usize| "x".repeat(n);
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let table: Vec<(&str, &Value, Vec<String>, Vec<String>)> = vec![
        (
            "name",
            &c["NewUser"]["properties"]["username"],
            owned(&["foo.bar-1", "a", "a_b", "0", "a-._z"]),
            owned(&["-foo", "Foo", "foo.", "", "a b", "é", "foo\n"]),
        ),
        (
            "semver",
            &version,
            owned(&[
                "1.0.0",
                "0.3.0",
                "1.1.0-beta.1",
                "1.0.0-x-y.0+build.01",
                "10.20.30-rc.1+a-b",
                "9999999999999999999.0.0",
            ]),
            owned(&[
                "1.0",
                "v1.0.0",
                "01.0.0",
                "1.0.0-01",
                "1.0.0-",
                "1.0.0+",
                "1.0.0-a..b",
                " 1.0.0",
                "1.0.0 ",
                "1.0.0\n",
                "99999999999999999999.0.0",
            ]),
        ),
        (
            "email",
            &c["NewUser"]["properties"]["email"],
            owned(&["a@example.com", "a@b.c@d", "a\n@b\n.c"]),
            owned(&["@example.com", "a@.com", "a@com", "alice", ""]),
        ),
        (
            "package pattern",
            &c["NewToken"]["properties"]["packages"]["items"],
            owned(&["alice/*", "*/w.x_y-z", "./.", ".a./b.", "a*b/c"]),
            owned(&["alice", "a/../b", "a..b/c", "A/b", "/b", "a/", "a/b/c", "a /b"]),
        ),
        (
            "non-blank (str::trim)",
            &c["NewToken"]["properties"]["name"],
            owned(&[" x ", "ci", "\u{feff}", "\u{180e}", "\t\u{200b}\n"]),
            owned(&[
                "",
                " \t\n",
                "\u{85}",
                "\u{3000}\u{2028}\u{a0}\u{b}\u{c}\r",
                "\u{2000}\u{200a}\u{202f}\u{205f}",
            ]),
        ),
        (
            "webhook url",
            &c["NewWebhook"]["properties"]["url"],
            owned(&["https://ci.example.com/trove", "HTTP://127.0.0.1:9/hook", "hTtPs://x"]),
            owned(&[
                "ftp://x",
                "http:///x",
                "http://",
                "http:/x",
                " https://x",
                "https://?q",
                "https://#f",
            ]),
        ),
        (
            "client name",
            &c["DeviceCodeRequest"]["properties"]["client_name"],
            vec![
                "trove CLI on host".into(),
                "\n\u{85} x\t".into(),
                String::new(),
                "\u{feff}x".into(),
                format!("\u{85}{}\u{85}  ", x(100)),
                format!("{}{}{}", " ".repeat(200), x(100), "\u{3000}".repeat(5)),
                // Characters, not UTF-16 units, as the server counts them.
                "😀".repeat(100),
            ],
            vec![
                x(101),
                format!("{} {}", x(50), x(50)),
                "😀".repeat(101),
                "a\nb".into(),
                "\u{8a}x".into(),
                "x\u{0}".into(),
                "x\u{7f}y".into(),
            ],
        ),
    ];

    // Every pattern in the document has a row.
    fn patterns(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(p)) = m.get("pattern") {
                    out.insert(p.clone());
                }
                m.values().for_each(|x| patterns(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| patterns(x, out)),
            _ => {}
        }
    }
    let mut unsampled = BTreeSet::new();
    patterns(&doc, &mut unsampled);
    for (what, schema, accepted, refused) in &table {
        let pattern = schema["pattern"].as_str().unwrap_or_else(|| panic!("{what}: {schema}"));
        unsampled.remove(pattern);
        let only = json!({ "type": "string", "pattern": pattern });
        for s in accepted {
            let errors = schemas.errors(&only, &json!(s));
            assert!(errors.is_empty(), "{what} refused {s:?}: {errors:?}");
        }
        for s in refused {
            assert!(!schemas.errors(&only, &json!(s)).is_empty(), "{what} took {s:?}");
        }
    }
    assert!(unsampled.is_empty(), "patterns without sample strings: {unsampled:?}");
}

/// The document states the rules the server enforces: closed request bodies, name and version
/// patterns, lengths, bounds and vocabularies, and the download's partial and cached answers.
#[test]
fn the_document_states_the_servers_rules() {
    let doc = trove_api::openapi_document();
    let schema = |name: &str| doc["components"]["schemas"][name].clone();
    for name in [
        "Login",
        "NewUser",
        "NewToken",
        "UserCode",
        "NewOrg",
        "MemberRole",
        "OwnerRoleRequest",
        "Deprecation",
        "NewWebhook",
        "PackageUpdate",
    ] {
        assert_eq!(
            schema(name)["additionalProperties"],
            false,
            "{name} is closed on the server"
        );
    }
    for name in ["DeviceCodeRequest", "DeviceTokenRequest"] {
        assert!(
            schema(name).get("additionalProperties").is_none(),
            "{name} is open on the server"
        );
    }
    let name_rule = |s: &Value, what: &str| {
        assert_eq!(s["pattern"], "^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$", "{what}");
        assert_eq!((&s["minLength"], &s["maxLength"]), (&json!(1), &json!(64)), "{what}");
        assert!(s["not"]["enum"].as_array().unwrap().contains(&json!("admin")), "{what}");
    };
    name_rule(&schema("NewUser")["properties"]["username"], "NewUser.username");
    name_rule(&schema("NewOrg")["properties"]["name"], "NewOrg.name");
    assert_eq!(schema("NewUser")["properties"]["password"]["minLength"], 8);
    let token = schema("NewToken");
    assert_eq!(token["properties"]["name"]["maxLength"], 100);
    assert_eq!(token["properties"]["scopes"]["minItems"], 1);
    assert_eq!(token["properties"]["expires_in"]["maximum"], 10 * 365 * 86_400);
    assert_eq!(schema("Deprecation")["properties"]["message"]["maxLength"], 1000);
    // At most 100 characters once trimmed: in the pattern, as `maxLength` would count the whitespace.
    assert!(schema("DeviceCodeRequest")["properties"]["client_name"]["pattern"]
        .as_str()
        .unwrap()
        .contains("{0,100}"));
    let hook = schema("NewWebhook");
    assert_eq!(hook["properties"]["url"]["format"], "uri");
    assert_eq!(hook["properties"]["events"]["minItems"], 1);

    let ops = operations(&doc);
    let param = |op: &str, name: &str| {
        ops[op].2["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{op} has no parameter {name}"))["schema"]
            .clone()
    };
    let page = param("search_packages", "page");
    assert_eq!((&page["minimum"], &page["maximum"]), (&json!(1), &json!(10_000)));
    // per_page is capped at 100 by the server, not refused: only its minimum is a rule.
    assert_eq!(param("search_packages", "per_page")["minimum"], 1);
    assert_eq!(
        param("search_packages", "sort")["enum"],
        json!(["relevance", "downloads", "recent", "name", ""])
    );
    // Facet filters are lists sent as one comma-separated value (`?ecosystem=npm,cargo`).
    for name in ["ecosystem", "kind", "category", "license", "keyword"] {
        let p = ops["search_packages"].2["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone();
        assert_eq!(p["schema"]["type"], "array", "{name}: {p}");
        assert_eq!(
            (&p["style"], &p["explode"]),
            (&json!("form"), &json!(false)),
            "{name}: {p}"
        );
    }
    assert!(param("search_packages", "ecosystem")["items"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("native")));
    assert!(param("search_packages", "kind")["items"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("model")));
    assert!(param("search_packages", "category")["items"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("utilities")));
    assert_eq!(
        param("publish_version", "visibility")["$ref"],
        "#/components/schemas/Visibility"
    );
    for op in ["get_package", "publish_version", "set_member", "add_owner"] {
        for p in ["scope", "name", "org", "username"] {
            if let Some(s) = ops[op].2["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["name"] == p)
            {
                name_rule(&s["schema"], &format!("{op} {p}"));
            }
        }
    }
    assert!(param("get_version", "version")["pattern"]
        .as_str()
        .unwrap()
        .starts_with("^(0|[1-9]"));
    for op in [
        "revoke_token",
        "delete_webhook",
        "test_webhook",
        "list_webhook_deliveries",
    ] {
        assert_eq!(param(op, "id"), json!({ "type": "integer", "format": "int64" }), "{op}");
    }
    for op in ["download_version", "head_version_download"] {
        let responses = &ops[op].2["responses"];
        assert!(responses["206"]["headers"]["Content-Range"].is_object(), "{op}");
        assert!(
            responses["304"].is_object() && responses["304"].get("content").is_none(),
            "{op}"
        );
        assert_eq!(
            responses["416"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error"
        );
        for h in ["Range", "If-Range", "If-None-Match"] {
            assert!(ops[op].2["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == h && p["in"] == "header"));
        }
    }
    assert_eq!(
        ops["get_package"].2["responses"]["405"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Error"
    );

    // The validator applies them.
    let schemas = schema::Schemas::new(&doc);
    let invalid = |name: &str, v: Value| {
        let errors = schemas.errors(&json!({ "$ref": format!("#/components/schemas/{name}") }), &v);
        assert!(!errors.is_empty(), "{name} accepted {v}");
    };
    let good = json!({ "username": "alice", "email": "alice@example.com", "password": "correct horse" });
    assert!(schemas
        .errors(&json!({ "$ref": "#/components/schemas/NewUser" }), &good)
        .is_empty());
    for (k, v) in [
        ("username", json!("Alice")),
        ("username", json!("admin")),
        ("username", json!("a".repeat(65))),
        ("email", json!("alice")),
        ("password", json!("short")),
        ("extra", json!(1)),
    ] {
        let mut bad = good.clone();
        bad[k] = v;
        invalid("NewUser", bad);
    }
    invalid("NewToken", json!({ "name": " ", "scopes": ["read"] }));
    invalid("NewToken", json!({ "name": "ci", "scopes": [] }));
    invalid("NewToken", json!({ "name": "ci", "scopes": ["read"], "expires_in": 0 }));
    invalid(
        "NewToken",
        json!({ "name": "ci", "scopes": ["read"], "packages": ["a/../b"] }),
    );
    invalid(
        "NewWebhook",
        json!({ "url": "ftp://example.com/", "events": ["publish"] }),
    );
    invalid("NewWebhook", json!({ "url": "https://example.com/", "events": [] }));
    invalid("Deprecation", json!({ "message": "x".repeat(1001) }));
    invalid("DeviceCodeRequest", json!({ "client_name": "a\u{8a}b" }));
    invalid("DeviceCodeRequest", json!({ "client_name": "x".repeat(101) }));
}

/// Drives every documented operation through a realistic scenario and validates every request
/// body sent and every success answer against the schemas the served document declares.
async fn documented_schemas_match_real_traffic(b: Backend) {
    let app = TestApp::builder(b)
        .config(|c| {
            c.webhooks.allow_private_targets = true;
            c.scan.command = "exit 0".into();
        })
        .start()
        .await;
    let doc = json_ok(app.get("/api/v1/openapi.json").send().await.unwrap()).await;
    let mut c = Checker::new(doc);
    let api = |p: &str| app.url(&format!("/api/v1{p}"));
    let http = reqwest::Client::new();

    // Accounts, sessions, tokens.
    let registered = c
        .call(
            "register_user",
            http.post(api("/users")),
            Some(json!({ "username": "alice", "email": "alice@example.com", "password": "correct horse" })),
        )
        .await;
    c.assert_drift_is_caught("User", &registered);
    let res = http
        .post(api("/session"))
        .json(&json!({ "username": "alice", "password": "correct horse" }))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    drop(res);
    let session = c
        .call(
            "create_session",
            http.post(api("/session")),
            Some(json!({ "username": "alice", "password": "correct horse" })),
        )
        .await;
    c.assert_drift_is_caught("Session", &session);
    // The first session's cookie and CSRF token (the second login made another session).
    let csrf = {
        let me = json_ok(http.get(api("/me")).header("cookie", &cookie).send().await.unwrap()).await;
        me["auth"]["csrf_token"].as_str().unwrap().to_string()
    };
    let by_session = |m: Method, p: &str| {
        http.request(m, api(p))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
    };
    let created = c
        .call(
            "create_token",
            by_session(Method::POST, "/tokens"),
            Some(json!({ "name": "all", "scopes": ["admin"] })),
        )
        .await;
    c.assert_drift_is_caught("TokenCreated", &created);
    let token = created["token"].as_str().unwrap().to_string();
    let limited = c
        .call(
            "create_token",
            by_session(Method::POST, "/tokens"),
            Some(json!({ "name": "ci", "scopes": ["publish", "yank"], "packages": ["alice/*"], "expires_in": 3600 })),
        )
        .await;
    assert_eq!(limited["packages"], json!(["alice/*"]));
    assert!(limited["expires_at"].is_string());
    let alice = |m: Method, p: &str| http.request(m, api(p)).bearer_auth(&token);
    let me = c.call("get_me", alice(Method::GET, "/me"), None).await;
    assert_eq!(me["auth"]["type"], "token");
    let me = c
        .call("get_me", http.get(api("/me")).header("cookie", &cookie), None)
        .await;
    assert_eq!(me["auth"]["type"], "session");
    let tokens = c.call("list_tokens", alice(Method::GET, "/tokens"), None).await;
    let all = tokens.as_array().unwrap().iter().find(|t| t["name"] == "all").unwrap();
    assert!(all["last_used_at"].is_string(), "{tokens}");
    c.assert_drift_is_caught("Token", all);
    let bob = app.user("bob").await;
    let root = app.admin("ada").await;

    // Organizations.
    let org = c
        .call(
            "create_org",
            alice(Method::POST, "/orgs"),
            Some(json!({ "name": "acme", "description": "Acme Corp" })),
        )
        .await;
    c.assert_drift_is_caught("Org", &org);
    c.call(
        "create_org",
        alice(Method::POST, "/orgs"),
        Some(json!({ "name": "bare" })),
    )
    .await;
    c.call(
        "set_member",
        alice(Method::PUT, "/orgs/acme/members/bob"),
        Some(json!({ "role": "write" })),
    )
    .await;
    let org = c.call("get_org", http.get(api("/orgs/acme")), None).await;
    assert_eq!(org["members"].as_array().unwrap().len(), 2);
    let me = c.call("get_me", alice(Method::GET, "/me"), None).await;
    assert_eq!(me["organizations"].as_array().unwrap().len(), 2);

    // Webhooks: one receiver that answers, one that is not there.
    let receiver = axum::Router::new().route("/hook", axum::routing::post(|| async { "thanks" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let hook = c
        .call(
            "create_webhook",
            alice(Method::POST, "/namespaces/alice/webhooks"),
            Some(json!({ "url": hook_url, "events": ["publish", "yank"] })),
        )
        .await;
    c.assert_drift_is_caught("WebhookCreated", &hook);
    let dead = c
        .call(
            "create_webhook",
            alice(Method::POST, "/namespaces/alice/webhooks"),
            Some(json!({ "url": dead_url, "events": ["delete"] })),
        )
        .await;

    // Packages: a dependency, a package with every metadata field, an org package, a private one.
    let publish = |full: &str, version: &str, archive: Vec<u8>, query: &str| {
        alice(Method::PUT, &format!("/packages/{full}/versions/{version}{query}"))
            .header("content-type", "application/gzip")
            .body(archive)
    };
    c.call(
        "publish_version",
        publish(
            "alice/gears",
            "1.0.0",
            trove_tarball::simple_package("alice/gears", "1.0.0", "# Gears\n"),
            "",
        ),
        None,
    )
    .await;
    let fields = "kind = \"library\"\ndescription = \"A widget for everything\"\nlicense = \"MIT\"\n\
                  keywords = [\"widget\", \"gadget\"]\ncategories = [\"utilities\"]\n\
                  homepage = \"https://example.com\"\nrepository = \"https://example.com/widget.git\"\n\
                  readme = \"README.md\"\n\n[dependencies]\n\"alice/gears\" = \"^1.0\"\n\n\
                  [metadata]\nframework = \"none\"\nsizes = [1, 2]";
    for version in ["1.0.0", "1.1.0"] {
        let v = c
            .call(
                "publish_version",
                publish(
                    "alice/widget",
                    version,
                    crate::search::archive("alice/widget", version, fields, "# Widget\n"),
                    "",
                ),
                None,
            )
            .await;
        assert_eq!(v["dependencies"], json!({ "alice/gears": "^1.0" }), "{v}");
    }
    c.call(
        "publish_version",
        publish(
            "acme/tool",
            "0.1.0",
            trove_tarball::simple_package("acme/tool", "0.1.0", "# Tool\n"),
            "",
        ),
        None,
    )
    .await;
    c.call(
        "publish_version",
        publish(
            "alice/secret",
            "0.1.0",
            trove_tarball::simple_package("alice/secret", "0.1.0", "# Secret\n"),
            "?visibility=private",
        ),
        None,
    )
    .await;

    let pkg = c
        .call("get_package", http.get(api("/packages/alice/widget")), None)
        .await;
    assert_eq!(pkg["license"], "MIT");
    c.assert_drift_is_caught("Package", &pkg);
    c.call("get_package", http.get(api("/packages/alice/gears")), None)
        .await;
    let private = c
        .call(
            "update_package",
            alice(Method::PATCH, "/packages/alice/gears"),
            Some(json!({ "visibility": "private" })),
        )
        .await;
    assert_eq!(private["visibility"], "private");
    c.call(
        "update_package",
        alice(Method::PATCH, "/packages/alice/gears"),
        Some(json!({ "visibility": "public" })),
    )
    .await;
    let listed = c
        .call(
            "list_namespace_packages",
            alice(Method::GET, "/namespaces/alice/packages"),
            None,
        )
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    c.call(
        "list_namespace_packages",
        http.get(api("/namespaces/acme/packages")),
        None,
    )
    .await;
    let versions = c
        .call("list_versions", http.get(api("/packages/alice/widget/versions")), None)
        .await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    let version = c
        .call(
            "get_version",
            http.get(api("/packages/alice/widget/versions/1.0.0")),
            None,
        )
        .await;
    assert_eq!(version["manifest"]["metadata"]["framework"], "none", "{version}");
    c.assert_drift_is_caught("Version", &version);
    c.assert_drift_is_caught("Manifest", &version["manifest"]);
    let yanked = c
        .call(
            "yank_version",
            alice(Method::PUT, "/packages/alice/widget/versions/1.0.0/yank"),
            Some(json!({ "reason": "broken build" })),
        )
        .await;
    assert!(yanked["yanked_at"].is_string());
    assert_eq!(yanked["yank_reason"], "broken build");
    c.call(
        "unyank_version",
        alice(Method::DELETE, "/packages/alice/widget/versions/1.0.0/yank"),
        None,
    )
    .await;
    let deprecated = c
        .call(
            "deprecate_version",
            alice(Method::PUT, "/packages/alice/widget/versions/1.0.0/deprecation"),
            Some(json!({ "message": "use 1.1" })),
        )
        .await;
    assert_eq!(deprecated["deprecated"], "use 1.1");
    c.call(
        "undeprecate_version",
        alice(Method::DELETE, "/packages/alice/widget/versions/1.0.0/deprecation"),
        None,
    )
    .await;
    let rescanned = c
        .call(
            "rerun_scan",
            root.req(Method::POST, "/api/v1/packages/alice/widget/versions/1.0.0/scan"),
            None,
        )
        .await;
    assert_eq!(rescanned["scan"]["status"], "pending", "{rescanned}");
    c.assert_drift_is_caught("Scan", &rescanned["scan"]);

    // Owners.
    c.call(
        "add_owner",
        alice(Method::PUT, "/packages/alice/widget/owners/bob"),
        Some(json!({ "role": "maintainer" })),
    )
    .await;
    c.call(
        "add_owner",
        alice(Method::PUT, "/packages/alice/widget/owners/ada"),
        Some(json!({})),
    )
    .await;
    let owners = c
        .call("list_owners", http.get(api("/packages/alice/widget/owners")), None)
        .await;
    assert_eq!(owners.as_array().unwrap().len(), 3, "{owners}");
    c.call(
        "remove_owner",
        alice(Method::DELETE, "/packages/alice/widget/owners/ada"),
        None,
    )
    .await;

    // Downloads and statistics.
    c.call(
        "download_version",
        http.get(api("/packages/alice/widget/versions/1.1.0/download")),
        None,
    )
    .await;
    c.call(
        "head_version_download",
        http.head(api("/packages/alice/widget/versions/1.1.0/download")),
        None,
    )
    .await;
    app.flush_downloads().await;
    let totals = c.call("get_global_stats", http.get(api("/stats")), None).await;
    assert!(totals["downloads"].as_i64().unwrap() >= 1, "{totals}");
    let stats = c
        .call("get_package_stats", http.get(api("/packages/alice/widget/stats")), None)
        .await;
    c.assert_drift_is_caught("PackageStats", &stats);
    let stats = c
        .call(
            "get_version_stats",
            http.get(api("/packages/alice/widget/versions/1.1.0/stats")),
            None,
        )
        .await;
    assert_eq!(stats["total"], 1, "{stats}");

    // Discovery (the index catches up asynchronously).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = json_ok(http.get(api("/explore")).send().await.unwrap()).await;
        let s = json_ok(http.get(api("/search?q=widget")).send().await.unwrap()).await;
        if !v["trending"].as_array().unwrap().is_empty() && s["total"].as_u64() >= Some(1) {
            break;
        }
        assert!(Instant::now() < deadline, "explore: {v}\nsearch: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let explore = c.call("get_explore", http.get(api("/explore")), None).await;
    c.assert_drift_is_caught("TrendingPackage", &explore["trending"][0]);
    let found = c
        .call(
            "search_packages",
            http.get(api("/search?q=widget&kind=library&sort=downloads&page=1&per_page=5")),
            None,
        )
        .await;
    c.assert_drift_is_caught("SearchResults", &found);
    c.assert_drift_is_caught("PackageSummary", &found["results"][0]);
    // Several values of one facet, as the document describes them: any of them matches.
    let any = c
        .call(
            "search_packages",
            http.get(api("/search?q=widget&kind=model,library&ecosystem=native,npm")),
            None,
        )
        .await;
    assert_eq!(any["total"], found["total"], "{any}");
    c.call("search_packages", alice(Method::GET, "/search"), None).await;
    let categories = c.call("list_categories", http.get(api("/categories")), None).await;
    assert!(categories["categories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["packages"] == 1));

    // Device login: approved, and denied.
    let code = c
        .call(
            "create_device_code",
            http.post(api("/device/code")),
            Some(json!({ "client_name": "trove CLI on test-host" })),
        )
        .await;
    c.assert_drift_is_caught("DeviceCode", &code);
    c.call(
        "approve_device",
        by_session(Method::POST, "/device/approve"),
        Some(json!({ "user_code": code["user_code"] })),
    )
    .await;
    let grant = c
        .call(
            "poll_device_token",
            http.post(api("/device/token")),
            Some(json!({ "device_code": code["device_code"] })),
        )
        .await;
    c.assert_drift_is_caught("DeviceGrant", &grant);
    let code = c
        .call("create_device_code", http.post(api("/device/code")), Some(json!({})))
        .await;
    let denied = c
        .call(
            "deny_device",
            alice(Method::POST, "/device/deny"),
            Some(json!({ "user_code": code["user_code"] })),
        )
        .await;
    assert_eq!(
        (&denied["approved"], &denied["client_name"]),
        (&json!(false), &Value::Null)
    );

    // Webhook deliveries: a ping delivered, and a delete that finds nobody.
    let hooks = c
        .call("list_webhooks", alice(Method::GET, "/namespaces/alice/webhooks"), None)
        .await;
    assert_eq!(hooks.as_array().unwrap().len(), 2);
    let (id, dead_id) = (hook["id"].as_i64().unwrap(), dead["id"].as_i64().unwrap());
    c.call(
        "test_webhook",
        alice(Method::POST, &format!("/namespaces/alice/webhooks/{id}/test")),
        None,
    )
    .await;
    c.call(
        "delete_version",
        alice(Method::DELETE, "/packages/alice/widget/versions/1.1.0"),
        None,
    )
    .await;
    for (hook_id, settled) in [(id, "delivered"), (dead_id, "pending")] {
        let path = format!("/namespaces/alice/webhooks/{hook_id}/deliveries");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let log = json_ok(alice(Method::GET, &path).send().await.unwrap()).await;
            let done = log
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["status"] == settled && !d["attempts"].as_array().unwrap().is_empty());
            if done {
                break;
            }
            assert!(Instant::now() < deadline, "{hook_id}: {log}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = c.call("list_webhook_deliveries", alice(Method::GET, &path), None).await;
        let settled = log.as_array().unwrap().iter().find(|d| d["status"] == settled).unwrap();
        c.assert_drift_is_caught("Delivery", settled);
        c.assert_drift_is_caught("DeliveryAttempt", &settled["attempts"][0]);
    }
    c.call(
        "delete_webhook",
        alice(Method::DELETE, &format!("/namespaces/alice/webhooks/{dead_id}")),
        None,
    )
    .await;

    // Security advisories: publish, report → review, read, list, edit, withdraw.
    let new_advisory = json!({
        "ecosystem": "native",
        "package": "alice/widget",
        "summary": "Prototype pollution in alice/widget",
        "details": "Merging a crafted object sets `Object.prototype` members.",
        "aliases": ["CVE-2099-1234"],
        "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
        "affected": [{ "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "0" }, { "fixed": "2.0.0" }] }], "versions": ["1.0.0"] }],
        "references": [{ "type": "FIX", "url": "https://example.com/fix" }],
        "credits": [{ "name": "Eve", "contact": ["eve@example.com"], "type": "FINDER" }],
        "cwe_ids": ["CWE-1321"],
        "malicious": false
    });
    let advisory = c
        .call(
            "create_advisory",
            alice(Method::POST, "/advisories"),
            Some(new_advisory.clone()),
        )
        .await;
    c.assert_drift_is_caught("Advisory", &advisory);
    let advisory_id = advisory["id"].as_str().unwrap().to_string();
    for accept in [true, false] {
        let report = c
            .call(
                "report_advisory",
                bob.req(Method::POST, "/api/v1/advisories/reports"),
                Some(new_advisory.clone()),
            )
            .await;
        let queue = c
            .call("list_advisory_reports", alice(Method::GET, "/advisories/reports"), None)
            .await;
        assert_eq!(queue.as_array().unwrap().len(), 1);
        let (op, verb) = if accept {
            ("accept_advisory", "accept")
        } else {
            ("reject_advisory", "reject")
        };
        let path = format!("/advisories/{}/{verb}", report["id"].as_str().unwrap());
        c.call(op, alice(Method::POST, &path), None).await;
    }
    c.call(
        "get_advisory",
        http.get(api(&format!("/advisories/{advisory_id}"))),
        None,
    )
    .await;
    let listed = c
        .call(
            "list_advisories",
            http.get(api("/advisories?limit=10&ecosystem=Trove")),
            None,
        )
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let mut content = new_advisory.clone();
    content.as_object_mut().unwrap().remove("ecosystem");
    content.as_object_mut().unwrap().remove("package");
    content["summary"] = json!("Prototype pollution in alice/widget's merge");
    c.call(
        "edit_advisory",
        alice(Method::PUT, &format!("/advisories/{advisory_id}")),
        Some(content),
    )
    .await;
    c.call(
        "withdraw_advisory",
        alice(Method::POST, &format!("/advisories/{advisory_id}/withdraw")),
        Some(json!({ "reason": "a duplicate" })),
    )
    .await;

    // The audit log, for a site admin and for an organization's owner.
    let audit = c.call("list_audit", root.get("/api/v1/audit?limit=500"), None).await;
    let events = audit["events"].as_array().unwrap();
    assert!(events.len() >= 10, "{audit}");
    c.assert_drift_is_caught("AuditEvent", &events[0]);
    c.call("list_audit", alice(Method::GET, "/audit?org=acme"), None).await;

    // Storage quota and usage; a retention policy, previewed, applied and removed.
    let usage = c
        .call(
            "set_quota",
            root.req(Method::PUT, "/api/v1/namespaces/alice/quota"),
            Some(json!({ "max_bytes": 1073741824 })),
        )
        .await;
    c.assert_drift_is_caught("StorageUsage", &usage);
    c.call("get_storage_usage", alice(Method::GET, "/namespaces/alice/usage"), None)
        .await;
    let policy = c
        .call(
            "set_retention_policy",
            alice(Method::PUT, "/namespaces/alice/retention"),
            Some(json!({ "keep_last": 1, "pattern": "1.*", "delete_untagged": false })),
        )
        .await;
    c.assert_drift_is_caught("RetentionPolicy", &policy);
    c.call(
        "get_retention_policy",
        alice(Method::GET, "/namespaces/alice/retention"),
        None,
    )
    .await;
    let preview = c
        .call(
            "preview_retention",
            alice(Method::GET, "/namespaces/alice/retention/preview"),
            None,
        )
        .await;
    c.assert_drift_is_caught("RetentionReport", &preview);
    if let Some(item) = preview["deleted"].as_array().and_then(|d| d.first()) {
        c.assert_drift_is_caught("RetentionItem", item);
    }
    c.call(
        "apply_retention",
        alice(Method::POST, "/namespaces/alice/retention/apply"),
        None,
    )
    .await;
    c.call(
        "delete_retention_policy",
        alice(Method::DELETE, "/namespaces/alice/retention"),
        None,
    )
    .await;

    // Endings.
    c.call("remove_member", alice(Method::DELETE, "/orgs/acme/members/bob"), None)
        .await;
    let limited_id = limited["id"].as_i64().unwrap();
    c.call(
        "revoke_token",
        by_session(Method::DELETE, &format!("/tokens/{limited_id}")),
        None,
    )
    .await;
    c.call("delete_session", by_session(Method::DELETE, "/session"), None)
        .await;
    // Errors use the documented envelope too.
    let res = bob.get("/api/v1/packages/alice/nothing").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let error = res.json::<Value>().await.unwrap();
    c.assert_valid("a 404", &c.schema("Error"), &error);

    // Every documented operation was exercised and checked.
    let missing: Vec<&String> = c.ops.keys().filter(|id| !c.covered.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "operations the scenario did not exercise: {missing:?}"
    );
    app.stop().await;
}

both_backends!(documented_schemas_match_real_traffic);
