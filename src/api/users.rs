//! Users: read and update by `user_id`, or by project id and email. Users are created only by a send
//! (or a campaign), never here.
use axum::{
    Json,
    extract::{Path, State},
};
use serde_json::{Map, Value, json};

use super::{ApiClient, Problem, body::JsonObject, present::user_json};
use crate::{
    db::UserRow,
    domain::{FieldErrors, UserParams, check_email},
    state::AppState,
};

/// An id from the path; anything that is not a positive integer names nothing.
fn path_id(text: &str) -> Result<i64, Problem> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(Problem::not_found)
}

async fn by_id(state: &AppState, client: ApiClient, user_id: &str) -> Result<UserRow, Problem> {
    let user_id = path_id(user_id)?;
    state
        .db
        .user_of_account(client.account_id, user_id)
        .await?
        .ok_or_else(Problem::not_found)
}

async fn by_email(
    state: &AppState,
    client: ApiClient,
    project_id: &str,
    email: &str,
) -> Result<UserRow, Problem> {
    let project_id = path_id(project_id)?;
    let checked = check_email(email);
    if !checked.valid {
        return Err(Problem::not_found());
    }
    state
        .db
        .user_by_email(client.account_id, project_id, &checked.email)
        .await?
        .ok_or_else(Problem::not_found)
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
    user: UserRow,
    params: UserParams,
) -> Result<Json<Value>, Problem> {
    state.db.update_user(user.id, &params).await?;
    let user = state
        .db
        .user_of_account(client.account_id, user.id)
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(Json(json!({ "data": user_json(&user) })))
}

pub async fn get_by_id(
    State(state): State<AppState>,
    client: ApiClient,
    Path(user_id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let user = by_id(&state, client, &user_id).await?;
    Ok(Json(json!({ "data": user_json(&user) })))
}

pub async fn put_by_id(
    State(state): State<AppState>,
    client: ApiClient,
    Path(user_id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, Problem> {
    let user = by_id(&state, client, &user_id).await?;
    let params = update_params(&body)?;
    update(&state, client, user, params).await
}

pub async fn get_by_email(
    State(state): State<AppState>,
    client: ApiClient,
    Path((project_id, email)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let user = by_email(&state, client, &project_id, &email).await?;
    Ok(Json(json!({ "data": user_json(&user) })))
}

pub async fn put_by_email(
    State(state): State<AppState>,
    client: ApiClient,
    Path((project_id, email)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, Problem> {
    let user = by_email(&state, client, &project_id, &email).await?;
    let params = update_params(&body)?;
    update(&state, client, user, params).await
}
