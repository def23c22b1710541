//! `POST /v1/events/bounce` and `POST /v1/events/complaint`: the relay or provider reports what happened
//! to a sent email, by message id. A hard bounce or a complaint stops further sends to the user.
use axum::{Json, extract::State};
use serde_json::{Map, Value, json};

use super::{
    ApiClient, Problem,
    body::JsonObject,
    openapi::{self, BounceDoc, ComplaintDoc, DataDoc, ProblemDoc},
};
use crate::{
    domain::{Field, FieldErrors, Fields},
    services::engagement,
    state::AppState,
};

fn message_id(body: &Map<String, Value>, errors: &mut FieldErrors) -> Option<String> {
    match body.field("message_id") {
        Field::Str(id) if !id.trim().is_empty() && id.len() <= 64 => Some(id.trim().to_owned()),
        Field::Absent => {
            errors.insert("message_id".into(), "is required".into());
            None
        }
        Field::Str(_) | Field::Int(_) | Field::Other => {
            errors.insert(
                "message_id".into(),
                "must be a message id returned by the send".into(),
            );
            None
        }
    }
}

fn detail(body: &Map<String, Value>, errors: &mut FieldErrors) -> Option<String> {
    match body.field("detail") {
        Field::Absent => None,
        Field::Str(d) if d.chars().count() <= 1000 => Some(d.to_owned()),
        Field::Str(_) | Field::Int(_) | Field::Other => {
            errors.insert(
                "detail".into(),
                "must be text of at most 1000 characters".into(),
            );
            None
        }
    }
}

#[utoipa::path(
    post,
    path = "/v1/events/bounce",
    tag = "Emails",
    summary = "Report a bounce",
    description = "For the mail server or provider that learned an email bounced. type: hard (default; the address does not exist: the user is suppressed and gets no more emails of the project) or soft (a temporary problem: only recorded). The email gets a bounced event with the detail.",
    request_body(content = BounceDoc, example = openapi::bounce_request_example),
    responses(
        (status = 200, description = "Recorded", body = DataDoc, example = openapi::bounce_answer_example),
        (status = 400, description = "Malformed JSON or invalid fields: one `errors` entry per bad field", body = ProblemDoc, content_type = "application/problem+json", example = openapi::validation_example),
        (status = 401, description = "Missing, malformed, unknown or revoked credentials", body = ProblemDoc, content_type = "application/problem+json", example = openapi::unauthorized_example),
        (status = 404, description = "No such email in your account", body = ProblemDoc, content_type = "application/problem+json", example = openapi::not_found_example),
    )
)]
pub async fn bounce(
    State(state): State<AppState>,
    client: ApiClient,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, Problem> {
    let mut errors = FieldErrors::new();
    let id = message_id(&body, &mut errors);
    let hard = match body.field("type") {
        Field::Absent | Field::Str("hard") => true,
        Field::Str("soft") => false,
        Field::Str(_) | Field::Int(_) | Field::Other => {
            errors.insert("type".into(), "must be hard or soft".into());
            true
        }
    };
    let detail = detail(&body, &mut errors);
    let Some(id) = id.filter(|_| errors.is_empty()) else {
        return Err(Problem::validation(errors));
    };
    engagement::bounced(&state.db, client.account_id, &id, hard, detail.as_deref()).await?;
    Ok(Json(
        json!({"data": {"message_id": id, "status": "bounced", "suppressed": hard}}),
    ))
}

#[utoipa::path(
    post,
    path = "/v1/events/complaint",
    tag = "Emails",
    summary = "Report a complaint",
    description = "For the provider's feedback loop: the recipient marked the email as spam. The email gets a complained event and the user is suppressed (no more emails of the project until a CSM or the client lifts it in the panel).",
    request_body(content = ComplaintDoc, example = openapi::complaint_request_example),
    responses(
        (status = 200, description = "Recorded", body = DataDoc, example = openapi::complaint_answer_example),
        (status = 400, description = "Malformed JSON or invalid fields: one `errors` entry per bad field", body = ProblemDoc, content_type = "application/problem+json", example = openapi::validation_example),
        (status = 401, description = "Missing, malformed, unknown or revoked credentials", body = ProblemDoc, content_type = "application/problem+json", example = openapi::unauthorized_example),
        (status = 404, description = "No such email in your account", body = ProblemDoc, content_type = "application/problem+json", example = openapi::not_found_example),
    )
)]
pub async fn complaint(
    State(state): State<AppState>,
    client: ApiClient,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, Problem> {
    let mut errors = FieldErrors::new();
    let id = message_id(&body, &mut errors);
    let detail = detail(&body, &mut errors);
    let Some(id) = id.filter(|_| errors.is_empty()) else {
        return Err(Problem::validation(errors));
    };
    engagement::complained(&state.db, client.account_id, &id, detail.as_deref()).await?;
    Ok(Json(
        json!({"data": {"message_id": id, "status": "complained", "suppressed": true}}),
    ))
}
