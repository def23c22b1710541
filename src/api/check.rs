//! `POST /v1/email/check`: validate an address and bring it to the correct format.
use axum::Json;

use super::{
    ApiClient, Problem,
    body::JsonObject,
    openapi::{self, CheckEmailDoc, DataDoc, ProblemDoc},
    present::{Data, data},
};
use crate::domain::{EmailCheck, Field, Fields, check_email as check};

#[utoipa::path(
    post,
    path = "/v1/email/check",
    tag = "Email addresses",
    summary = "Check an email address",
    description = "Validates the address (RFC 5321/5322 syntax and a plausible domain) and brings it to the correct format: trimmed, domain lower-cased, obvious slips fixed (comma for dot, doubled or trailing dots, well-known provider misspellings). reason (when invalid): syntax, domain, local_part or too_long. suggestion: a likely intended address when the input is valid but looks mistyped. The same normalization runs inside Send.",
    request_body(content = CheckEmailDoc, example = openapi::check_request_example),
    responses(
        (status = 200, description = "The checked address", body = DataDoc, example = openapi::check_answer_example),
        (status = 400, description = "Malformed JSON or invalid fields: one `errors` entry per bad field", body = ProblemDoc, content_type = "application/problem+json", example = openapi::validation_example),
        (status = 401, description = "Missing, malformed, unknown or revoked credentials", body = ProblemDoc, content_type = "application/problem+json", example = openapi::unauthorized_example),
        (status = 403, description = "The account is suspended", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 256 KiB", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn check_email(
    _client: ApiClient,
    JsonObject(body): JsonObject,
) -> Result<Json<Data<EmailCheck>>, Problem> {
    let email = match body.field("email") {
        Field::Str(email) => email,
        Field::Absent => return Err(Problem::invalid_field("email", "is required")),
        Field::Int(_) | Field::Other => {
            return Err(Problem::invalid_field("email", "must be a string"));
        }
    };
    Ok(data(check(email)))
}
