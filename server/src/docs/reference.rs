//! The endpoint reference of the REST API page, written as Markdown from the
//! OpenAPI description: for each operation its method and path, what it
//! does, its parameters, its request's fields and every status it answers.

use serde_json::Value;

/// Markdown for every operation of `description`, grouped by tag.
pub fn endpoints(description: &utoipa::openapi::OpenApi) -> String {
    let d = serde_json::to_value(description).unwrap_or_default();
    let mut out = String::new();
    let tags: Vec<String> = d["tags"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["name"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    for tag in tags {
        out.push_str(&format!("## {tag}\n\n"));
        for (path, item) in d["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if op["tags"].as_array().is_some_and(|t| t.iter().any(|x| x == tag.as_str())) {
                    operation(&mut out, &d, method, path, op);
                }
            }
        }
    }
    out
}

fn operation(out: &mut String, d: &Value, method: &str, path: &str, op: &Value) {
    out.push_str(&format!("### {}\n\n`{} {path}`\n\n", text(&op["summary"]), method.to_uppercase()));
    if let Some(description) = op["description"].as_str() {
        out.push_str(&format!("{}\n\n", description.replace('\n', " ")));
    }
    let security = op["security"].as_array().or_else(|| d["security"].as_array());
    let schemes: Vec<&str> =
        security.into_iter().flatten().filter_map(|s| s.as_object()?.keys().next().map(String::as_str)).collect();
    if schemes.contains(&"inboundBasic") {
        out.push_str("Authenticated with HTTP Basic: `notify` and the inbound password.\n\n");
    } else {
        out.push_str("Authenticated with an API key: a [JWT](#authentication) or `ApiKey-v1`.\n\n");
    }
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str("| Parameter | In | Type | Required | Description |\n|---|---|---|---|---|\n");
        for p in params {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                text(&p["name"]),
                text(&p["in"]),
                cell(&type_of(d, &p["schema"])),
                if p["required"] == true { "yes" } else { "no" },
                cell(p["description"].as_str().unwrap_or_default())
            ));
        }
        out.push('\n');
    }
    if let Some(content) = op["requestBody"]["content"].as_object() {
        for (media_type, body) in content {
            let schema = resolve(d, &body["schema"]);
            let variants: Vec<&Value> = match schema["oneOf"].as_array() {
                Some(options) => options.iter().map(|o| resolve(d, o)).collect(),
                None => vec![schema],
            };
            let several = variants.len() > 1;
            for variant in variants {
                // One of several kinds of request is introduced by its own
                // description; a single one needs none.
                let intro = match variant["description"].as_str() {
                    Some(d) if several => d.replace('\n', " "),
                    _ => "The request's fields".to_string(),
                };
                out.push_str(&format!("{intro} (`{media_type}`):\n\n"));
                out.push_str("| Field | Type | Required | Description |\n|---|---|---|---|\n");
                let required: Vec<&str> =
                    variant["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                for (name, field) in variant["properties"].as_object().into_iter().flatten() {
                    out.push_str(&format!(
                        "| `{name}` | {} | {} | {} |\n",
                        cell(&type_of(d, field)),
                        if required.contains(&name.as_str()) { "yes" } else { "no" },
                        cell(field["description"].as_str().unwrap_or_default())
                    ));
                }
                out.push('\n');
            }
        }
    }
    // The fields of the success's body, nested ones by their path.
    for (status, response) in op["responses"].as_object().into_iter().flatten() {
        let Some(schema) = response["content"]["application/json"]["schema"].as_object() else { continue };
        if !status.starts_with('2') {
            continue;
        }
        let schema = Value::Object(schema.clone());
        let options: Vec<&Value> = match resolve(d, &schema)["oneOf"].as_array() {
            Some(options) => options.iter().collect(),
            None => vec![&schema],
        };
        for option in options {
            let name = option["$ref"].as_str().and_then(|r| r.rsplit('/').next()).unwrap_or("The answer");
            out.push_str(&format!(
                "The answer's fields ({status}, `{name}`):\n\n| Field | Type | Description |\n|---|---|---|\n"
            ));
            let mut rows = Vec::new();
            answer_fields(d, option, "", 0, &mut rows);
            for (field, kind, description) in rows {
                out.push_str(&format!("| `{field}` | {} | {} |\n", cell(&kind), cell(&description)));
            }
            out.push('\n');
        }
    }
    out.push_str("| Status | Answer |\n|---|---|\n");
    for (status, response) in op["responses"].as_object().into_iter().flatten() {
        let body = response["content"]
            .as_object()
            .and_then(|c| c.values().next())
            .map(|m| format!(" Body: {}.", type_of(d, &m["schema"])))
            .unwrap_or_default();
        out.push_str(&format!(
            "| {status} | {}{} |\n",
            cell(response["description"].as_str().unwrap_or_default()),
            cell(&body)
        ));
    }
    out.push('\n');
}

/// The fields of an answer's schema as rows (path, type, description),
/// the fields of its objects and lists of objects by their path
/// (`template.id`, `notifications[].status`), two levels deep.
fn answer_fields(d: &Value, schema: &Value, prefix: &str, depth: usize, rows: &mut Vec<(String, String, String)>) {
    let schema = resolve(d, schema);
    for (name, field) in schema["properties"].as_object().into_iter().flatten() {
        let path = format!("{prefix}{name}");
        let description = field["description"].as_str().unwrap_or_default().to_string();
        rows.push((path.clone(), type_of(d, field), description));
        if depth >= 2 {
            continue;
        }
        let nested = if field["$ref"].is_string() {
            Some((field, format!("{path}.")))
        } else if field["items"]["$ref"].is_string() {
            Some((&field["items"], format!("{path}[].")))
        } else {
            None
        };
        if let Some((inner, prefix)) = nested {
            if resolve(d, inner)["properties"].is_object() {
                answer_fields(d, inner, &prefix, depth + 1, rows);
            }
        }
    }
}

/// The schema a `$ref` names, or the schema itself.
fn resolve<'a>(d: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => &d["components"]["schemas"][name],
        None => schema,
    }
}

/// A schema's type in words: `string (uuid)`, `array of string`, a named
/// type, one of a list of values.
fn type_of(d: &Value, schema: &Value) -> String {
    if let Some(name) = schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        let named = resolve(d, schema);
        if let Some(values) = named["enum"].as_array() {
            return one_of(values);
        }
        return format!("`{name}`");
    }
    if let Some(values) = schema["enum"].as_array() {
        return one_of(values);
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let kinds: Vec<String> = options.iter().map(|o| type_of(d, o)).collect();
        return kinds.join(" or ");
    }
    let kinds: Vec<String> = match &schema["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => vec!["any".to_string()],
    };
    let kinds: Vec<String> = kinds
        .into_iter()
        .map(|k| match (k.as_str(), schema["format"].as_str(), &schema["items"]) {
            ("array", _, items) if !items.is_null() => format!("array of {}", type_of(d, items)),
            (k, Some(format), _) if !["int32", "int64", "double"].contains(&format) => format!("{k} ({format})"),
            (k, _, _) => k.to_string(),
        })
        .collect();
    kinds.join(" or ")
}

fn one_of(values: &[Value]) -> String {
    let names: Vec<String> = values.iter().filter_map(Value::as_str).map(|v| format!("`{v}`")).collect();
    format!("one of {}", names.join(", "))
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// Text fit for one table cell.
fn cell(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}
