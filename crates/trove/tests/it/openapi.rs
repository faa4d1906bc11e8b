use crate::common::*;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
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
                .replace("{id}", "1");
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

/// The JSON-Schema subset the document uses, validated strictly: an object schema that lists
/// `properties` without saying `additionalProperties` accepts no undocumented member here (the
/// document leaves them open for clients, but the test holds the document to exactly what the
/// server sends). A keyword this validator does not know fails loudly instead of being ignored.
mod validator {
    use serde_json::Value;

    const ANNOTATIONS: &[&str] = &["description", "example", "examples", "title", "default"];

    pub fn validate(doc: &Value, schema: &Value, v: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        check(doc, schema, v, "$", &mut errors);
        errors
    }

    fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("only local $refs are supported: {reference}"));
        doc.pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"))
    }

    fn type_matches(ty: &str, v: &Value) -> bool {
        match ty {
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            other => panic!("unknown JSON type `{other}` in the document"),
        }
    }

    fn digits(s: &[u8]) -> bool {
        !s.is_empty() && s.iter().all(u8::is_ascii_digit)
    }

    /// `YYYY-MM-DD`.
    fn is_date(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 10 && digits(&b[0..4]) && b[4] == b'-' && digits(&b[5..7]) && b[7] == b'-' && digits(&b[8..10])
    }

    /// RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    fn is_date_time(s: &str) -> bool {
        let Some((date, time)) = s.split_once('T') else {
            return false;
        };
        let b = time.as_bytes();
        if !is_date(date)
            || b.len() < 9
            || !(digits(&b[0..2]) && b[2] == b':' && digits(&b[3..5]) && b[5] == b':' && digits(&b[6..8]))
        {
            return false;
        }
        let mut rest = &time[8..];
        if let Some(frac) = rest.strip_prefix('.') {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return false;
            }
            rest = &frac[n..];
        }
        rest == "Z"
            || (rest.len() == 6
                && matches!(rest.as_bytes()[0], b'+' | b'-')
                && digits(&rest.as_bytes()[1..3])
                && rest.as_bytes()[3] == b':'
                && digits(&rest.as_bytes()[4..6]))
    }

    /// An absolute URI: `scheme:rest`, the scheme a letter then letters, digits, `+`, `-`, `.`,
    /// and no whitespace or control characters.
    fn is_uri(s: &str) -> bool {
        let Some((scheme, rest)) = s.split_once(':') else {
            return false;
        };
        let mut b = scheme.bytes();
        b.next().is_some_and(|c| c.is_ascii_alphabetic())
            && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
            && !rest.is_empty()
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
    }

    /// `local@domain` with a dot in the domain (what JSON Schema tools generate and accept).
    fn is_email(s: &str) -> bool {
        s.split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.starts_with('.') && !b.ends_with('.'))
    }

    /// The `pattern`s the document uses, each checked by a hand-written matcher (the test has no
    /// regex engine). An unknown pattern fails loudly: add its matcher here.
    mod patterns {
        const NAME: &str = "^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$";
        const SEMVER: &str = r"^(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})(-((0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$";
        const EMAIL: &str = r"^[^@]+@[^.][\s\S]*\.";
        const PACKAGE_PATTERN: &str =
            r"^(\.?[a-z0-9_*-]+(\.[a-z0-9_*-]+)*\.?|\.)/(\.?[a-z0-9_*-]+(\.[a-z0-9_*-]+)*\.?|\.)$";
        const NON_BLANK: &str = r"\S";
        const WEBHOOK_URL: &str = "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]";
        const CLIENT_NAME: &str =
            "^[\\t-\\r \\x85\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]*\
             [^\\x00-\\x1f\\x7f-\\x9f]{0,100}\
             [\\t-\\r \\x85\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]*$";

        pub fn matches(pattern: &str, s: &str) -> bool {
            match pattern {
                NAME => {
                    let b = s.as_bytes();
                    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
                    !b.is_empty()
                        && edge(b[0])
                        && edge(b[b.len() - 1])
                        && b.iter().all(|&c| edge(c) || matches!(c, b'-' | b'_' | b'.'))
                }
                SEMVER => semver(s),
                EMAIL => s.split_once('@').is_some_and(|(a, b)| {
                    let mut domain = b.chars();
                    !a.is_empty() && domain.next().is_some_and(|c| c != '.') && domain.as_str().contains('.')
                }),
                PACKAGE_PATTERN => {
                    let part = |p: &str| {
                        !p.is_empty()
                            && !p.contains("..")
                            && p.bytes()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"-_.*".contains(&c))
                    };
                    s.split_once('/').is_some_and(|(a, b)| part(a) && part(b))
                }
                NON_BLANK => s.chars().any(|c| !c.is_whitespace()),
                WEBHOOK_URL => {
                    let lower = s.to_ascii_lowercase();
                    let rest = lower.strip_prefix("http://").or_else(|| lower.strip_prefix("https://"));
                    rest.and_then(|r| r.chars().next())
                        .is_some_and(|c| !matches!(c, '/' | '?' | '#'))
                }
                // Whitespace around, then at most 100 characters and no control characters (what `str::trim` leaves).
                CLIENT_NAME => s.trim().chars().count() <= 100 && !s.trim().chars().any(char::is_control),
                other => panic!("the test's validator has no matcher for the pattern `{other}`; add one"),
            }
        }

        fn numeric(s: &str, max_digits: usize) -> bool {
            !s.is_empty()
                && s.len() <= max_digits
                && s.bytes().all(|c| c.is_ascii_digit())
                && (s == "0" || !s.starts_with('0'))
        }

        fn identifier(s: &str, numeric_ok: bool) -> bool {
            !s.is_empty()
                && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && (numeric_ok || s.bytes().any(|c| !c.is_ascii_digit()) || numeric(s, usize::MAX))
        }

        /// Semver 2.0 with core numbers of at most 19 digits.
        fn semver(s: &str) -> bool {
            let (rest, build) = match s.split_once('+') {
                Some((r, b)) => (r, Some(b)),
                None => (s, None),
            };
            let (core, pre) = match rest.split_once('-') {
                Some((c, p)) => (c, Some(p)),
                None => (rest, None),
            };
            let parts: Vec<&str> = core.split('.').collect();
            parts.len() == 3
                && parts.iter().all(|p| numeric(p, 19))
                && pre.is_none_or(|p| p.split('.').all(|i| identifier(i, false)))
                && build.is_none_or(|b| b.split('.').all(|i| identifier(i, true)))
        }

        #[test]
        fn hand_written_matchers() {
            assert!(matches(CLIENT_NAME, "trove CLI on host") && matches(CLIENT_NAME, "\n\u{85} x\t"));
            assert!(matches(CLIENT_NAME, &format!("\u{85}{}\u{85}  ", "x".repeat(100))));
            assert!(!matches(CLIENT_NAME, &"x".repeat(101)));
            assert!(
                !matches(CLIENT_NAME, "a\nb") && !matches(CLIENT_NAME, "\u{8a}x") && !matches(CLIENT_NAME, "x\u{0}")
            );
            assert!(matches(NAME, "foo.bar-1") && matches(NAME, "a"));
            assert!(!matches(NAME, "-foo") && !matches(NAME, "Foo") && !matches(NAME, "foo.") && !matches(NAME, ""));
            for v in [
                "1.0.0",
                "0.3.0",
                "1.1.0-beta.1",
                "1.0.0-x-y.0+build.01",
                "10.20.30-rc.1+a-b",
            ] {
                assert!(matches(SEMVER, v), "{v}");
            }
            for v in [
                "1.0",
                "v1.0.0",
                "01.0.0",
                "1.0.0-01",
                "1.0.0-",
                "1.0.0+",
                "1.0.0-a..b",
                " 1.0.0",
                "1.0.0 ",
            ] {
                assert!(!matches(SEMVER, v), "{v}");
            }
            assert!(!matches(SEMVER, "99999999999999999999.0.0"));
            assert!(matches(EMAIL, "a@example.com") && matches(EMAIL, "a@b.c@d"));
            assert!(!matches(EMAIL, "@example.com") && !matches(EMAIL, "a@.com") && !matches(EMAIL, "a@com"));
            assert!(matches(PACKAGE_PATTERN, "alice/*") && matches(PACKAGE_PATTERN, "*/w.x_y-z"));
            assert!(!matches(PACKAGE_PATTERN, "alice") && !matches(PACKAGE_PATTERN, "a/../b"));
            assert!(
                !matches(PACKAGE_PATTERN, "a..b/c")
                    && !matches(PACKAGE_PATTERN, "A/b")
                    && !matches(PACKAGE_PATTERN, "/b")
            );
            assert!(matches(NON_BLANK, " x ") && !matches(NON_BLANK, " \t\n"));
            assert!(
                matches(WEBHOOK_URL, "https://ci.example.com/trove") && matches(WEBHOOK_URL, "HTTP://127.0.0.1:9/hook")
            );
            assert!(
                !matches(WEBHOOK_URL, "ftp://x")
                    && !matches(WEBHOOK_URL, "http:///x")
                    && !matches(WEBHOOK_URL, "http://")
            );
        }
    }

    fn check(doc: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        let Some(s) = schema.as_object() else {
            match schema {
                Value::Bool(true) => return,
                Value::Bool(false) => return errors.push(format!("{at}: not allowed here")),
                other => panic!("{at}: a schema must be an object or a boolean, not {other}"),
            }
        };
        for key in s.keys() {
            let known = [
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
            ];
            assert!(
                known.contains(&key.as_str()) || ANNOTATIONS.contains(&key.as_str()),
                "{at}: the test's validator does not support the keyword `{key}`; teach it"
            );
        }
        if let Some(Value::String(r)) = s.get("$ref") {
            check(doc, resolve(doc, r), v, at, errors);
        }
        if let Some(ty) = s.get("type") {
            let types: Vec<&str> = match ty {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().map(|t| t.as_str().expect("type names")).collect(),
                other => panic!("{at}: bad `type` {other}"),
            };
            if !types.iter().any(|t| type_matches(t, v)) {
                errors.push(format!("{at}: expected {}, got {v}", types.join(" or ")));
                return;
            }
        }
        if let Some(values) = s.get("enum") {
            if !values.as_array().expect("enum is an array").contains(v) {
                errors.push(format!("{at}: {v} is not one of {values}"));
            }
        }
        if let (Some(format), Some(text)) = (s.get("format").and_then(Value::as_str), v.as_str()) {
            let ok = match format {
                "date-time" => is_date_time(text),
                "date" => is_date(text),
                "binary" => true,
                "uri" => is_uri(text),
                "email" => is_email(text),
                other => panic!("{at}: the test's validator does not know the format `{other}`"),
            };
            if !ok {
                errors.push(format!("{at}: `{text}` is not a {format}"));
            }
        }
        if let (Some(format), Some(n)) = (s.get("format").and_then(Value::as_str), v.as_number()) {
            let ok = match format {
                "int64" => n.is_i64(),
                "int32" => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                other => panic!("{at}: the test's validator does not know the numeric format `{other}`"),
            };
            if !ok {
                errors.push(format!("{at}: {n} is not an {format}"));
            }
        }
        if let Some(text) = v.as_str() {
            let chars = text.chars().count() as u64;
            if let Some(min) = s.get("minLength") {
                let min = min.as_u64().expect("minLength is a count");
                if chars < min {
                    errors.push(format!("{at}: `{text}` is shorter than {min} characters"));
                }
            }
            if let Some(max) = s.get("maxLength") {
                let max = max.as_u64().expect("maxLength is a count");
                if chars > max {
                    errors.push(format!("{at}: `{text}` is longer than {max} characters"));
                }
            }
            if let Some(pattern) = s.get("pattern") {
                let pattern = pattern.as_str().expect("pattern is a string");
                if !patterns::matches(pattern, text) {
                    errors.push(format!("{at}: `{text}` does not match {pattern}"));
                }
            }
        }
        if let Some(n) = v.as_f64().filter(|_| v.is_number()) {
            if let Some(min) = s.get("minimum") {
                if n < min.as_f64().expect("minimum is a number") {
                    errors.push(format!("{at}: {v} is below the minimum {min}"));
                }
            }
            if let Some(max) = s.get("maximum") {
                if n > max.as_f64().expect("maximum is a number") {
                    errors.push(format!("{at}: {v} is above the maximum {max}"));
                }
            }
        }
        if let (Some(max), Some(arr)) = (s.get("maxItems"), v.as_array()) {
            let max = max.as_u64().expect("maxItems is a count");
            if (arr.len() as u64) > max {
                errors.push(format!("{at}: more than {max} items"));
            }
        }
        if let (Some(min), Some(arr)) = (s.get("minItems"), v.as_array()) {
            let min = min.as_u64().expect("minItems is a count");
            if (arr.len() as u64) < min {
                errors.push(format!("{at}: fewer than {min} items"));
            }
        }
        if let Some(not) = s.get("not") {
            let mut e = Vec::new();
            check(doc, not, v, at, &mut e);
            if e.is_empty() {
                errors.push(format!("{at}: {v} matches the excluded schema {not}"));
            }
        }
        if let Some(branches) = s.get("oneOf") {
            let branches = branches.as_array().expect("oneOf is an array");
            let results: Vec<Vec<String>> = branches
                .iter()
                .map(|b| {
                    let mut e = Vec::new();
                    check(doc, b, v, at, &mut e);
                    e
                })
                .collect();
            let matching = results.iter().filter(|e| e.is_empty()).count();
            if matching != 1 {
                errors.push(format!(
                    "{at}: matches {matching} of the oneOf branches (exactly one needed): {results:?}"
                ));
            }
        }
        if let Some(obj) = v.as_object() {
            let props = s.get("properties").and_then(Value::as_object);
            for name in s.get("required").and_then(Value::as_array).into_iter().flatten() {
                let name = name.as_str().expect("required names");
                if !obj.contains_key(name) {
                    errors.push(format!("{at}: the required member `{name}` is missing"));
                }
            }
            for (name, value) in obj {
                let here = format!("{at}.{name}");
                match (props.and_then(|p| p.get(name)), s.get("additionalProperties")) {
                    (Some(p), _) => check(doc, p, value, &here, errors),
                    (None, Some(extra)) => check(doc, extra, value, &here, errors),
                    // Strict: a documented object carries only documented members.
                    (None, None) if props.is_some() => {
                        errors.push(format!("{here}: undocumented member (value {value})"))
                    }
                    (None, None) => {}
                }
            }
        }
        if let (Some(items), Some(arr)) = (s.get("items"), v.as_array()) {
            for (i, item) in arr.iter().enumerate() {
                check(doc, items, item, &format!("{at}[{i}]"), errors);
            }
        }
    }

    /// Follows `$ref`s to the schema that says what the value is.
    pub fn deref<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
        while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            schema = resolve(doc, r);
        }
        schema
    }

    #[test]
    fn times_and_dates() {
        assert!(is_date_time("2026-01-31T12:00:00.000Z"));
        assert!(is_date_time("2026-01-31T12:00:00+02:00"));
        assert!(!is_date_time("2026-01-31 12:00:00Z"));
        assert!(!is_date_time("2026-01-31T12:00:00"));
        assert!(!is_date_time("1700000000000"));
        assert!(is_date("2026-01-31"));
        assert!(!is_date("2026-1-31"));
    }
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
    ops: BTreeMap<String, (String, String, Value)>,
    client: reqwest::Client,
    /// Operations exercised, with how many bodies were validated.
    covered: BTreeMap<String, usize>,
}

impl Checker {
    fn new(doc: Value) -> Checker {
        Checker {
            ops: operations(&doc),
            doc,
            client: reqwest::Client::new(),
            covered: BTreeMap::new(),
        }
    }

    fn schema(&self, name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    fn assert_valid(&self, what: &str, schema: &Value, v: &Value) {
        let errors = validator::validate(&self.doc, schema, v);
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
        let resolved = validator::deref(&self.doc, &schema);
        let obj = v.as_object().expect("an object");
        let fails = |mutated: Map<String, Value>, what: &str| {
            let errors = validator::validate(&self.doc, &schema, &Value::Object(mutated));
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
    let schemas = doc["components"]["schemas"].as_object().unwrap();
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
        assert!(schemas.contains_key(name), "components.schemas.{name} missing");
    }
    let real = |what: &str, schema: &Value| {
        assert_ne!(schema, &json!({ "type": "object" }), "{what} is generic");
        let mut s = validator::deref(&doc, schema);
        if s["type"] == "array" {
            s = validator::deref(&doc, &s["items"]);
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
                        let errors = validator::validate(&doc, &media["schema"], example);
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
    assert!(param("search_packages", "ecosystem")["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("native")));
    assert!(param("search_packages", "category")["enum"]
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
    let invalid = |name: &str, v: Value| {
        let errors = validator::validate(&doc, &json!({ "$ref": format!("#/components/schemas/{name}") }), &v);
        assert!(!errors.is_empty(), "{name} accepted {v}");
    };
    let good = json!({ "username": "alice", "email": "alice@example.com", "password": "correct horse" });
    assert!(validator::validate(&doc, &json!({ "$ref": "#/components/schemas/NewUser" }), &good).is_empty());
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
        .config(|c| c.webhooks.allow_private_targets = true)
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
            None,
        )
        .await;
    assert!(yanked["yanked_at"].is_string());
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

    // The audit log, for a site admin and for an organization's owner.
    let audit = c.call("list_audit", root.get("/api/v1/audit?limit=500"), None).await;
    let events = audit["events"].as_array().unwrap();
    assert!(events.len() >= 10, "{audit}");
    c.assert_drift_is_caught("AuditEvent", &events[0]);
    c.call("list_audit", alice(Method::GET, "/audit?org=acme"), None).await;

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
