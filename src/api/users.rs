//! Users: read and update by `user_id`, or by project id and email. Users are created only by a send
//! (or a campaign), never here.
use axum::{Json, extract::State};
use serde_json::{Map, Value};

use super::{
    ApiClient, Problem,
    body::JsonObject,
    openapi::{self, DataDoc, ProblemDoc, UserParamsDoc},
    path::Path,
    present::{Data, data, user_json},
};
use crate::{
    domain::{FieldErrors, UserParams},
    model::User,
    services::users,
    state::AppState,
};

/// An id from the path; anything that is not a positive integer names nothing.
fn path_id(text: &str) -> Result<i64, Problem> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(Problem::not_found)
}

async fn by_id(state: &AppState, client: ApiClient, user_id: &str) -> Result<User, Problem> {
    Ok(users::get(&state.db, &client.actor(), path_id(user_id)?).await?)
}

async fn by_email(
    state: &AppState,
    client: ApiClient,
    project_id: &str,
    email: &str,
) -> Result<User, Problem> {
    let project_id = path_id(project_id)?;
    Ok(users::by_email(&state.db, &client.actor(), project_id, email).await?)
}

/// The parameters of an update body; `email` cannot change here.
fn update_params(body: &Map<String, Value>) -> Result<UserParams, Problem> {
    let mut errors = FieldErrors::new();
    if body.contains_key("email") {
        errors.insert(
            "email".into(),
            "cannot be changed; a user is identified by its email".into(),
        );
    }
    let params = UserParams::parse(body, "", &mut errors);
    if errors.is_empty() {
        Ok(params)
    } else {
        Err(Problem::validation(errors))
    }
}

async fn update(
    state: &AppState,
    client: ApiClient,
    user: User,
    params: UserParams,
) -> Result<Json<Data<Value>>, Problem> {
    let updated = users::update(&state.db, &client.actor(), user, &params).await?;
    Ok(data(user_json(&updated.user)))
}

#[utoipa::path(
    get,
    path = "/v1/users/{user_id}",
    tag = "Users",
    summary = "Read a user by user_id",
    description = "A user with its parameters and subscription state.",
    params(("user_id" = i64, Path, description = "Assigned by Mailroom")),
    responses(
        (status = 200, description = "The user", body = DataDoc, example = openapi::user_example),
        (status = 401, description = "Missing, malformed, unknown or revoked credentials", body = ProblemDoc, content_type = "application/problem+json", example = openapi::unauthorized_example),
        (status = 403, description = "The account is suspended", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such user in your account", body = ProblemDoc, content_type = "application/problem+json", example = openapi::not_found_example),
    )
)]
pub async fn get_by_id(
    State(state): State<AppState>,
    client: ApiClient,
    Path(user_id): Path<String>,
) -> Result<Json<Data<Value>>, Problem> {
    let user = by_id(&state, client, &user_id).await?;
    Ok(data(user_json(&user)))
}

#[utoipa::path(
    put,
    path = "/v1/users/{user_id}",
    tag = "Users",
    summary = "Add and update user data by user_id",
    description = "Sets any subset of the user parameters (not email); parameters that differ are updated. Users are created only by a send or a campaign, so an unknown user is 404.",
    params(("user_id" = i64, Path, description = "Assigned by Mailroom")),
    request_body(content = UserParamsDoc, example = openapi::user_update_example),
    responses(
        (status = 200, description = "The updated user", body = DataDoc, example = openapi::user_example),
        (status = 400, description = "Malformed JSON or invalid fields: one `errors` entry per bad field", body = ProblemDoc, content_type = "application/problem+json", example = openapi::validation_example),
        (status = 401, description = "Missing, malformed, unknown or revoked credentials", body = ProblemDoc, content_type = "application/problem+json", example = openapi::unauthorized_example),
        (status = 403, description = "The account is suspended", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such user in your account", body = ProblemDoc, content_type = "application/problem+json", example = openapi::not_found_example),
        (status = 413, description = "The body is larger than 256 KiB", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn put_by_id(
    State(state): State<AppState>,
    client: ApiClient,
    Path(user_id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Data<Value>>, Problem> {
    let user = by_id(&state, client, &user_id).await?;
    let params = update_params(&body)?;
    update(&state, client, user, params).await
}

#[utoipa::path(
    get,
    path = "/v1/projects/{project_id}/users/{email}",
    tag = "Users",
    summary = "Read a user by project and email",
    description = "The address is normalized as in Check email before the lookup.",
    params(("project_id" = i64, Path, description = "A project of your account"), ("email" = String, Path, description = "The address, percent-encoded")),
    responses(
        (status = 200, description = "The user", body = DataDoc, example = openapi::user_example),
        (status = 401, description = "Missing, malformed, unknown or revoked credentials", body = ProblemDoc, content_type = "application/problem+json", example = openapi::unauthorized_example),
        (status = 403, description = "The account is suspended", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such user in your account", body = ProblemDoc, content_type = "application/problem+json", example = openapi::not_found_example),
    )
)]
pub async fn get_by_email(
    State(state): State<AppState>,
    client: ApiClient,
    Path((project_id, email)): Path<(String, String)>,
) -> Result<Json<Data<Value>>, Problem> {
    let user = by_email(&state, client, &project_id, &email).await?;
    Ok(data(user_json(&user)))
}

#[utoipa::path(
    put,
    path = "/v1/projects/{project_id}/users/{email}",
    tag = "Users",
    summary = "Add and update user data by project id and email",
    description = "Same body and answers as the update by user_id; the address in the path is percent-encoded.",
    params(("project_id" = i64, Path, description = "A project of your account"), ("email" = String, Path, description = "The address, percent-encoded")),
    request_body(content = UserParamsDoc, example = openapi::user_update_example),
    responses(
        (status = 200, description = "The updated user", body = DataDoc, example = openapi::user_example),
        (status = 400, description = "Malformed JSON or invalid fields: one `errors` entry per bad field", body = ProblemDoc, content_type = "application/problem+json", example = openapi::validation_example),
        (status = 401, description = "Missing, malformed, unknown or revoked credentials", body = ProblemDoc, content_type = "application/problem+json", example = openapi::unauthorized_example),
        (status = 403, description = "The account is suspended", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such user in your account", body = ProblemDoc, content_type = "application/problem+json", example = openapi::not_found_example),
        (status = 413, description = "The body is larger than 256 KiB", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn put_by_email(
    State(state): State<AppState>,
    client: ApiClient,
    Path((project_id, email)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> Result<Json<Data<Value>>, Problem> {
    let user = by_email(&state, client, &project_id, &email).await?;
    let params = update_params(&body)?;
    update(&state, client, user, params).await
}
