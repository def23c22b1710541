//! The OpenAPI 3.1 description of the API: its info, security and tags here, the endpoints from the
//! handlers' annotations as `api::endpoints` registers them, and the shapes below.
//! The examples here are the ones the panel's API docs show; a test sends each request example to the
//! real API and compares the answer with the documented 200 example, so that they cannot drift apart.
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use super::Problem;
use crate::domain::UserParams;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mailroom API",
        version = "1",
        description = "Send system and trigger emails, keep user data up to date and check email addresses. \
            Every call is authenticated with `Authorization: Basic base64(client_id:api_key)`; your CSM issues \
            the client_id and the API keys. Every endpoint is asynchronous: 200 means the request was received, \
            validated and durably stored. Errors are RFC 9457 problem details. Unknown fields in request bodies \
            are ignored."
    ),
    modifiers(&BasicAuth),
    security(("basic" = [])),
    tags(
        (name = "Emails", description = "Send system and trigger emails and follow their status."),
        (name = "Users", description = "The users of a project and their parameters."),
        (name = "Email addresses", description = "Validate and correct addresses before sending."),
        (name = "Campaigns", description = "Marketing campaigns from a CSV file of users: upload, launch, follow."),
    )
)]
pub struct ApiDoc;

struct BasicAuth;

impl Modify for BasicAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "client_id as the user name, an API key as the password",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document as JSON (served at `/v1/openapi.json`, rendered by the panel's API docs).
/// Built once: it is the same for the life of the process.
pub fn document() -> Value {
    static DOCUMENT: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
        let mut doc = serde_json::to_value(super::endpoints_openapi()).unwrap_or(Value::Null);
        constrain(&mut doc);
        doc
    });
    DOCUMENT.clone()
}

/// A message id as the send returns it: `msg_` and letters and digits (what the bounce and complaint
/// reports and the email read take is any text of at most 64 bytes; no other text names an email).
pub const MESSAGE_ID_PATTERN: &str = "^msg_[0-9A-Za-z]{1,60}$";

/// States in the document the rules that the server enforces beyond the types and that the derive
/// cannot express (lists of values kept in the domain, the parameters of paths and headers), and adds
/// the examples of answers that several operations share. So a request that the schema calls valid
/// is one the server takes, which schema-driven clients and fuzzers rely on.
fn constrain(doc: &mut Value) {
    let params = "/components/schemas/UserParamsDoc/properties";
    let rules = [
        (
            String::from("/components/schemas/SendEmailDoc/properties/category"),
            json!({"enum": ["system", "trigger"]}),
        ),
        (
            String::from("/components/schemas/BounceDoc/properties/type"),
            json!({"enum": ["hard", "soft", null]}),
        ),
        (
            String::from("/components/schemas/BounceDoc/properties/message_id"),
            message_id_schema(),
        ),
        (
            String::from("/components/schemas/ComplaintDoc/properties/message_id"),
            message_id_schema(),
        ),
    ];
    let param_rules =
        UserParams::document_rules().map(|(name, rule)| (format!("{params}/{name}"), rule));
    for (pointer, rule) in rules.into_iter().chain(param_rules) {
        merge(doc.pointer_mut(&pointer), rule);
    }
    let examples = [
        ("403", suspended_example()),
        ("409", conflict_example()),
        ("413", too_large_example()),
    ];
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        let params = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut);
        for param in params.into_iter().flatten() {
            let rule = match param["name"].as_str() {
                Some("message_id") => message_id_schema(),
                Some("user_id" | "project_id") => json!({"minimum": 1}),
                Some("Idempotency-Key") => {
                    json!({"pattern": "^[!-~]+( +[!-~]+)*$", "minLength": 1, "maxLength": 255})
                }
                _ => continue,
            };
            merge(param.get_mut("schema"), rule);
        }
        for (status, example) in &examples {
            let content = format!("/responses/{status}/content/application~1problem+json");
            if let Some(content) = operation
                .pointer_mut(&content)
                .and_then(Value::as_object_mut)
            {
                content.insert("example".into(), example.clone());
            }
        }
    }
}

/// Adds the fields of `rule` to the schema at `target`, if it is there (a test checks that each is).
fn merge(target: Option<&mut Value>, rule: Value) {
    if let (Some(Value::Object(target)), Value::Object(rule)) = (target, rule) {
        target.extend(rule);
    }
}

fn message_id_schema() -> Value {
    json!({"type": "string", "pattern": MESSAGE_ID_PATTERN, "minLength": 5, "maxLength": 64})
}

/// The user parameters' schema is derived with their definition (`domain::UserParams`).
pub use crate::domain::UserParams as UserParamsDoc;

/// The recipient of a send: the email address and any user parameters.
#[derive(ToSchema, Serialize)]
#[allow(dead_code)]
pub struct SendUserDoc {
    /// The address; it is normalized first (see Check email). An address that cannot be made valid is 400.
    #[schema(format = Email, min_length = 3, max_length = 254)]
    email: String,
    #[serde(flatten)]
    params: UserParamsDoc,
}

/// A request to send a system or trigger email.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SendEmailDoc {
    /// A project of your account.
    #[schema(minimum = 1)]
    project_id: i64,
    /// An email type (template) of the project.
    #[schema(minimum = 1)]
    type_id: i64,
    /// `system` or `trigger`.
    category: String,
    user: SendUserDoc,
    /// Template variables.
    data: Option<Object>,
    /// Any JSON object up to 8 KiB, echoed in every webhook about this email.
    meta: Option<Object>,
}

/// A JSON object.
#[derive(ToSchema)]
pub struct Object;

/// An RFC 9457 problem: `errors` maps the JSON path of each bad field to a message.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProblemDoc {
    r#type: String,
    title: String,
    status: u16,
    detail: String,
    errors: Option<Object>,
}

/// A bounce report.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BounceDoc {
    /// As returned by the send.
    message_id: String,
    /// `hard` (default) or `soft`.
    r#type: Option<String>,
    /// The server's answer or the provider's reason, up to 1000 characters.
    #[schema(max_length = 1000)]
    detail: Option<String>,
}

/// A complaint report.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ComplaintDoc {
    /// As returned by the send.
    message_id: String,
    /// Up to 1000 characters.
    #[schema(max_length = 1000)]
    detail: Option<String>,
}

pub fn bounce_request_example() -> Value {
    json!({"message_id": "msg_3kTq9XbV2mLw8ZpR4yNc7HdA", "type": "hard",
        "detail": "550 5.1.1 <anna@example.com>: Recipient address rejected"})
}

pub fn bounce_answer_example() -> Value {
    json!({"data": {"message_id": "msg_3kTq9XbV2mLw8ZpR4yNc7HdA", "status": "bounced", "suppressed": true}})
}

pub fn complaint_request_example() -> Value {
    json!({"message_id": "msg_3kTq9XbV2mLw8ZpR4yNc7HdA", "detail": "abuse report from the mailbox provider"})
}

pub fn complaint_answer_example() -> Value {
    json!({"data": {"message_id": "msg_3kTq9XbV2mLw8ZpR4yNc7HdA", "status": "complained", "suppressed": true}})
}

/// `{"data": …}` around every successful answer.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DataDoc {
    data: Object,
}

/// The address to check.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CheckEmailDoc {
    email: String,
}

pub fn send_request_example() -> Value {
    json!({"project_id": 7, "type_id": 3, "category": "trigger",
        "user": {"email": "Anna@Example.com", "name": "Anna", "platform_id": 5, "language_id": "en"},
        "data": {"code": "123456"}, "meta": {"order": "A-17"}})
}

pub fn send_answer_example() -> Value {
    json!({"data": {"message_id": "msg_3kTq9XbV2mLw8ZpR4yNc7HdA", "user_id": 42, "user_created": true,
        "email": "anna@example.com", "status": "queued"}})
}

pub fn user_update_example() -> Value {
    json!({"name": "Anna Smith", "country_id": "de", "age": 31})
}

pub fn user_example() -> Value {
    json!({"data": {"user_id": 42, "project_id": 7, "email": "anna@example.com", "name": "Anna Smith",
        "gender": "f", "platform_id": 5, "country_id": "DE", "list_id": null, "client_user_id": "u-1001",
        "ak": null, "age": 31, "photo": null, "language_id": "en", "subscribed": true,
        "created_at": "2026-11-26T16:20:00.000Z", "updated_at": "2026-11-26T16:25:00.000Z"}})
}

pub fn check_request_example() -> Value {
    json!({"email": " anna@gmial,com "})
}

pub fn check_answer_example() -> Value {
    json!({"data": {"input": " anna@gmial,com ", "email": "anna@gmail.com", "valid": true, "changed": true,
        "reason": null, "suggestion": null, "disposable": false}})
}

pub fn email_example() -> Value {
    json!({"data": {"message_id": "msg_3kTq9XbV2mLw8ZpR4yNc7HdA", "project_id": 7, "user_id": 42,
        "email": "anna@example.com", "type_id": 3, "category": "trigger", "status": "queued",
        "data": {"code": "123456"}, "meta": {"order": "A-17"},
        "created_at": "2026-11-26T16:20:00.000Z", "updated_at": "2026-11-26T16:20:00.000Z",
        "events": [{"status": "queued", "detail": null, "timestamp": "2026-11-26T16:20:00.000Z"}]}})
}

pub fn validation_example() -> Value {
    json!({"type": "https://mailroom.dev/problems/validation", "title": "Validation error", "status": 400,
        "detail": "2 fields are invalid.",
        "errors": {"user.email": "is not a valid email address", "user.platform_id": "must be 0, 1, 3, 4 or 5"}})
}

pub fn unauthorized_example() -> Value {
    json!({"type": "https://mailroom.dev/problems/unauthorized", "title": "Unauthorized", "status": 401,
        "detail": "Send Authorization: Basic base64(client_id:api_key) with an active API key."})
}

/// The answers that are built by one constructor each are documented as that constructor writes them.
fn suspended_example() -> Value {
    serde_json::to_value(Problem::suspended()).unwrap_or_default()
}

fn too_large_example() -> Value {
    serde_json::to_value(Problem::too_large(super::MAX_BODY_BYTES)).unwrap_or_default()
}

pub fn conflict_example() -> Value {
    json!({"type": "https://mailroom.dev/problems/conflict", "title": "Conflict", "status": 409,
        "detail": "This Idempotency-Key was already used with a different request body."})
}

pub fn campaign_example() -> Value {
    json!({"data": {"id": 12, "project_id": 7, "type_id": 5, "name": "December newsletter",
        "state": "importing", "starts_at": "2026-12-07T09:00:00.000Z",
        "file": {"name": "december.csv", "bytes": 18734112, "rows": 250000},
        "mapping": [{"column": "email", "use": "email"}, {"column": "name", "use": "name"},
            {"column": "coupon", "use": "data:coupon"}],
        "progress": {"rows_read": 120000, "percent": 48, "users_created": 80211, "users_updated": 31002,
            "rows_rejected": 5991, "rows_corrected": 412, "rows_duplicate": 2796, "emails_queued": 110950,
            "emails_suppressed": 263},
        "statuses": {"queued": 64002, "sent": 46700, "opened": 248, "suppressed": 263},
        "error": null, "created_at": "2026-12-07T08:58:12.000Z", "import_finished_at": null,
        "finished_at": null}})
}

pub fn campaign_file_problem_example() -> Value {
    json!({"type": "https://mailroom.dev/problems/validation", "title": "Validation error", "status": 400,
        "detail": "1 field is invalid.",
        "errors": {"file": "No email column: the header has \"mail_address\", \"name\". Name the address column \"email\"."}})
}

pub fn not_found_example() -> Value {
    json!({"type": "https://mailroom.dev/problems/not-found", "title": "Not found", "status": 404,
        "detail": "There is no such resource."})
}
