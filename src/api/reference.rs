//! The panel's API reference, derived from the OpenAPI document (so the docs cannot drift from the API).
use serde_json::Value;

use super::openapi;
use crate::model::{ApiReference, EndpointDoc, FieldDoc, ResponseDoc};

/// The reference of every endpoint, in the document's order.
pub fn reference() -> ApiReference {
    let doc = openapi::document();
    let mut endpoints = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            endpoints.push(endpoint(&doc, path, method, op));
        }
    }
    let order = |e: &EndpointDoc| {
        ["Emails", "Users", "Email addresses"]
            .iter()
            .position(|t| *t == e.tag)
    };
    endpoints.sort_by_key(|e| (order(e), e.method != "POST" && e.method != "PUT"));
    ApiReference {
        title: text(&doc["info"]["title"]),
        description: text(&doc["info"]["description"]),
        endpoints,
    }
}

/// Plain text of a description (the document's Markdown code marks are dropped for the panel).
fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().replace('`', "")
}

fn endpoint(doc: &Value, path: &str, method: &str, op: &Value) -> EndpointDoc {
    let params = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| FieldDoc {
            name: text(&p["name"]),
            kind: format!("{} ({})", schema_type(doc, &p["schema"]), text(&p["in"])),
            required: p["required"].as_bool().unwrap_or(false),
            description: text(&p["description"]),
        })
        .collect();
    let body = &op["requestBody"]["content"]["application/json"];
    let mut body_fields = Vec::new();
    fields(doc, &body["schema"], "", &mut body_fields);
    let request_example = (!body["example"].is_null()).then(|| body["example"].clone());
    let multipart = op["requestBody"]["content"]["multipart/form-data"].is_object();
    let responses = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, r)| {
            let example = r["content"]
                .as_object()
                .and_then(|c| c.values().find_map(|m| m.get("example")));
            ResponseDoc {
                status: status.clone(),
                description: text(&r["description"]),
                example: example.and_then(|e| serde_json::to_string_pretty(e).ok()),
            }
        })
        .collect();
    let method = method.to_uppercase();
    EndpointDoc {
        slug: format!("{}-{}", method.to_lowercase(), slug(path)),
        curl: if multipart {
            multipart_curl(&method, path)
        } else {
            curl(&method, path, request_example.as_ref())
        },
        method,
        path: path.to_owned(),
        tag: op["tags"][0].as_str().unwrap_or("API").to_owned(),
        summary: text(&op["summary"]),
        description: text(&op["description"]),
        params,
        body_fields,
        responses,
    }
}

fn slug(path: &str) -> String {
    let cleaned: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    cleaned
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => &doc["components"]["schemas"][name],
        None => schema,
    }
}

fn schema_type(doc: &Value, schema: &Value) -> String {
    let schema = resolve(doc, schema);
    match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("any")
            .to_owned(),
        _ if schema["oneOf"].is_array() || schema["properties"].is_object() => "object".into(),
        _ => "any".into(),
    }
}

/// The fields of an object schema, nested objects as `user.email` (flattened parts merged).
fn fields(doc: &Value, schema: &Value, prefix: &str, out: &mut Vec<FieldDoc>) {
    let schema = resolve(doc, schema);
    for part in schema["allOf"].as_array().into_iter().flatten() {
        fields(doc, part, prefix, out);
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        let full = format!("{prefix}{name}");
        let target = resolve(doc, property);
        let nested = target["properties"].is_object() || target["allOf"].is_array();
        let kind = if nested {
            "object".to_owned()
        } else {
            schema_type(doc, property)
        };
        let description = text(&property["description"]).trim().to_owned();
        let description = if description.is_empty() {
            text(&target["description"])
        } else {
            description
        };
        out.push(FieldDoc {
            name: full.clone(),
            kind,
            required: required.contains(&name.as_str()),
            description,
        });
        if nested && target["title"] != "Object" {
            fields(doc, property, &format!("{full}."), out);
        }
    }
}

/// A curl command with placeholders for the credentials.
fn curl(method: &str, path: &str, body: Option<&Value>) -> String {
    let example_path = path
        .replace("{user_id}", "42")
        .replace("{project_id}", "7")
        .replace("{email}", "anna%40example.com")
        .replace("{message_id}", "msg_3kTq9XbV2mLw8ZpR4yNc7HdA")
        .replace("{campaign_id}", "12");
    let mut command = format!(
        "curl -X {method} https://mailroom.example.com{example_path} \\\n  -u \"$CLIENT_ID:$API_KEY\""
    );
    if let Some(body) = body {
        let json = serde_json::to_string_pretty(body)
            .unwrap_or_default()
            .replace('\'', "'\\''");
        command.push_str(&format!(
            " \\\n  -H 'Content-Type: application/json' \\\n  -d '{json}'"
        ));
    }
    command
}

/// The example of an upload (the campaign's CSV): a `fields` part in JSON and the file.
fn multipart_curl(method: &str, path: &str) -> String {
    let command = curl(method, path, None);
    format!(
        "{command} \\\n  -F 'fields={{\"name\": \"December newsletter\", \"type_id\": 5}}' \\\n  -F 'file=@december.csv;type=text/csv'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_authorization_example_is_right() {
        use crate::pages::docs::{EXAMPLE_AUTHORIZATION, EXAMPLE_CLIENT_ID, EXAMPLE_KEY};
        use base64::{Engine, engine::general_purpose::STANDARD};
        let encoded = STANDARD.encode(format!("{EXAMPLE_CLIENT_ID}:{EXAMPLE_KEY}"));
        assert_eq!(EXAMPLE_AUTHORIZATION, format!("Basic {encoded}"));
    }

    #[test]
    fn every_endpoint_has_examples_and_fields() {
        let reference = reference();
        assert_eq!(reference.endpoints.len(), 11);
        let send = reference
            .endpoints
            .iter()
            .find(|e| e.slug == "post-v1-emails")
            .expect("send is documented");
        let names: Vec<&str> = send.body_fields.iter().map(|f| f.name.as_str()).collect();
        for field in [
            "project_id",
            "type_id",
            "category",
            "user",
            "user.email",
            "user.platform_id",
            "data",
            "meta",
        ] {
            assert!(names.contains(&field), "{field} in {names:?}");
        }
        assert!(send.curl.contains("\"project_id\": 7"));
        let upload = reference
            .endpoints
            .iter()
            .find(|e| e.slug == "post-v1-projects-project-id-campaigns")
            .expect("the campaign upload is documented");
        assert!(
            upload.curl.contains("/v1/projects/7/campaigns"),
            "{}",
            upload.curl
        );
        assert!(
            upload.curl.contains("-F 'file=@december.csv"),
            "{}",
            upload.curl
        );
        let statuses: Vec<&str> = send.responses.iter().map(|r| r.status.as_str()).collect();
        assert!(statuses.starts_with(&["200", "400", "401"]));
        for endpoint in &reference.endpoints {
            let ok = endpoint
                .responses
                .iter()
                .find(|r| r.status == "200")
                .expect("200 documented");
            assert!(ok.example.is_some(), "{} has a 200 example", endpoint.slug);
            assert!(
                endpoint
                    .responses
                    .iter()
                    .any(|r| r.status == "401" && r.example.is_some())
            );
        }
    }
}
