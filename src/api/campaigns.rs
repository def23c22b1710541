//! Campaigns for products that automate them: upload a CSV and launch in one request, then follow the
//! import and the sending.
use axum::{
    Json,
    extract::{Multipart, State},
};
use serde_json::{Map, Value, json};

use super::{
    ApiClient, Problem,
    openapi::{self, DataDoc, ProblemDoc},
    path::Path,
    present::{Data, data, rfc3339},
};
use crate::{
    campaign_files::store_upload,
    domain::campaign_csv::{Column, guess_mapping},
    error::AppError,
    model::Campaign,
    services::campaigns::{self, StoredUpload},
    state::AppState,
};

fn path_id(text: &str) -> Result<i64, Problem> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(Problem::not_found)
}

/// The request's `fields` part.
#[derive(Default)]
struct CampaignFields {
    name: String,
    type_id: Option<i64>,
    starts_at: Option<i64>,
    mapping: Option<Vec<String>>,
}

fn parse_fields(text: &str) -> Result<CampaignFields, Problem> {
    let object: Map<String, Value> = serde_json::from_str(text)
        .map_err(|_| Problem::invalid_field("fields", "must be a JSON object"))?;
    let mut errors = std::collections::BTreeMap::new();
    let name = match object.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => {
            errors.insert("fields.name".into(), "is required (a string)".into());
            String::new()
        }
    };
    let type_id = object.get("type_id").and_then(Value::as_i64);
    if type_id.is_none() {
        errors.insert("fields.type_id".into(), "is required (an integer)".into());
    }
    let starts_at = match object.get("starts_at") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => Some(t.timestamp_millis()),
            Err(_) => {
                errors.insert(
                    "fields.starts_at".into(),
                    "must be an RFC 3339 time such as 2026-12-24T09:00:00Z".into(),
                );
                None
            }
        },
        Some(_) => {
            errors.insert("fields.starts_at".into(), "must be a string".into());
            None
        }
    };
    let mapping = match object.get("mapping") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Some(
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        ),
        Some(_) => {
            errors.insert(
                "fields.mapping".into(),
                "must be an array of strings, one per column".into(),
            );
            None
        }
    };
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    Ok(CampaignFields {
        name,
        type_id,
        starts_at,
        mapping,
    })
}

/// The campaign as the API shows it.
fn campaign_json(c: &Campaign, statuses: &[(String, i64)]) -> Value {
    let statuses: Map<String, Value> = statuses
        .iter()
        .map(|(status, n)| (status.clone(), json!(n)))
        .collect();
    json!({
        "id": c.id,
        "project_id": c.project_id,
        "type_id": c.type_id,
        "name": c.name,
        "state": c.state,
        "starts_at": c.starts_at.map(rfc3339),
        "file": {"name": c.original_name, "bytes": c.file_bytes, "rows": c.total_rows},
        "mapping": c.columns().into_iter().zip(c.column_uses())
            .map(|(column, used)| json!({"column": column, "use": used})).collect::<Vec<_>>(),
        "progress": {
            "rows_read": c.rows_read,
            "percent": c.percent_read(),
            "users_created": c.users_created,
            "users_updated": c.users_updated,
            "rows_rejected": c.rows_rejected,
            "rows_corrected": c.rows_corrected,
            "rows_duplicate": c.rows_duplicate,
            "emails_queued": c.emails_queued,
            "emails_suppressed": c.emails_suppressed,
        },
        "statuses": statuses,
        "error": c.error,
        "created_at": rfc3339(c.created_at),
        "import_finished_at": c.import_finished_at.map(rfc3339),
        "finished_at": c.finished_at.map(rfc3339),
    })
}

/// An upload's own field errors as the API names them.
fn upload_problem(e: AppError) -> Problem {
    match e {
        AppError::Invalid { field, message } => {
            let path = match field.as_str() {
                "file" => "file",
                "name" => "fields.name",
                "type_id" => "fields.type_id",
                "starts_at" => "fields.starts_at",
                _ => "fields.mapping",
            };
            Problem::invalid_field(path, &message)
        }
        other => other.into(),
    }
}

#[utoipa::path(
    post,
    path = "/v1/projects/{project_id}/campaigns",
    tag = "Campaigns",
    summary = "Create and launch a campaign from a CSV file",
    description = "A multipart/form-data request with two parts: `fields`, a JSON object (`name`, `type_id`, optional `starts_at` as RFC 3339 for a later launch, optional `mapping`: one entry per column, each `email`, a user parameter's name, `data:<key>` or an empty string to ignore the column; by default guessed from the header), and `file`, the CSV (UTF-8 with or without BOM, `,` `;` or tab, a header row with an email column; up to 1 GiB). The file is stored and checked before the answer; the import then runs in the background: users are created or updated, each gets the campaign's email (category `campaign`), bad rows are rejected with their line and reason. Follow it with GET /v1/campaigns/{campaign_id}.",
    params(("project_id" = i64, Path, description = "One of your projects")),
    request_body(content_type = "multipart/form-data", description = "Parts `fields` (JSON) and `file` (CSV)"),
    responses(
        (status = 200, description = "Stored, checked and launched (or scheduled)", body = DataDoc, example = openapi::campaign_example),
        (status = 400, description = "Missing or invalid fields, or a file that is not an importable CSV (`errors.file` says why)", body = ProblemDoc, content_type = "application/problem+json", example = openapi::campaign_file_problem_example),
        (status = 401, description = "Missing, malformed, unknown or revoked credentials", body = ProblemDoc, content_type = "application/problem+json", example = openapi::unauthorized_example),
        (status = 403, description = "The account is suspended", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such project in your account", body = ProblemDoc, content_type = "application/problem+json", example = openapi::not_found_example),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    client: ApiClient,
    Path(project_id): Path<String>,
    mut multipart: Multipart,
) -> Result<Json<Data<Value>>, Problem> {
    let project_id = path_id(&project_id)?;
    let actor = client.actor();
    campaigns::check_can_edit(&state.db, &actor, project_id).await?;
    let mut fields: Option<CampaignFields> = None;
    let mut file: Option<StoredUpload> = None;
    let result: Result<(), Problem> = async {
        while let Some(part) = multipart
            .next_field()
            .await
            .map_err(|e| Problem::malformed(format!("the multipart body is malformed: {e}")))?
        {
            match part.name().unwrap_or_default() {
                "fields" => {
                    let text = part.text().await.map_err(|e| {
                        Problem::malformed(format!("the multipart body is malformed: {e}"))
                    })?;
                    fields = Some(parse_fields(&text)?);
                }
                "file" if file.is_none() => {
                    file = Some(store_upload(&state, part).await.map_err(upload_problem)?);
                }
                _ => {}
            }
        }
        Ok(())
    }
    .await;
    let discard = |file: &Option<StoredUpload>| {
        if let Some(file) = file {
            let _ = std::fs::remove_file(state.upload_dir.join(&file.file_name));
        }
    };
    if let Err(problem) = result {
        discard(&file);
        return Err(problem);
    }
    let (Some(fields), Some(upload)) = (fields, file.clone()) else {
        discard(&file);
        let mut errors = std::collections::BTreeMap::new();
        errors.insert(
            "file".into(),
            "a `fields` part (JSON) and a `file` part (CSV) are required".into(),
        );
        return Err(Problem::validation(errors));
    };
    let id = campaigns::create_draft(
        &state.db,
        &actor,
        &state.upload_dir,
        project_id,
        fields.type_id.unwrap_or_default(),
        &fields.name,
        upload,
    )
    .await
    .map_err(upload_problem)?;
    let uses = match fields.mapping {
        Some(uses) => uses,
        None => {
            let campaign = campaigns::get(&state.db, &actor, id).await?;
            guess_mapping(&campaign.columns())
                .iter()
                .map(Column::code)
                .collect()
        }
    };
    let launched = campaigns::launch(&state.db, &actor, id, &uses, fields.starts_at).await;
    let campaign = match launched {
        Ok(campaign) => campaign,
        Err(e) => {
            // Nothing half-created: the draft and its file go.
            let _ = campaigns::discard(&state.db, &actor, &state.upload_dir, id).await;
            return Err(upload_problem(e));
        }
    };
    state.import_wake.notify_one();
    Ok(data(campaign_json(&campaign, &[])))
}

#[utoipa::path(
    get,
    path = "/v1/campaigns/{campaign_id}",
    tag = "Campaigns",
    summary = "Read a campaign's progress",
    description = "The campaign's state (`scheduled`, `importing`, `sending`, `paused`, `cancelled`, `done`, `failed`), the import's progress (rows read, users created and updated, rows rejected, corrected and duplicated, emails queued) and its emails by status.",
    params(("campaign_id" = i64, Path, description = "As returned when the campaign was created")),
    responses(
        (status = 200, description = "The campaign", body = DataDoc, example = openapi::campaign_example),
        (status = 401, description = "Missing, malformed, unknown or revoked credentials", body = ProblemDoc, content_type = "application/problem+json", example = openapi::unauthorized_example),
        (status = 403, description = "The account is suspended", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign in your account", body = ProblemDoc, content_type = "application/problem+json", example = openapi::not_found_example),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    client: ApiClient,
    Path(campaign_id): Path<String>,
) -> Result<Json<Data<Value>>, Problem> {
    let view = campaigns::view(&state.db, &client.actor(), path_id(&campaign_id)?).await?;
    Ok(data(campaign_json(&view.campaign, &view.statuses)))
}
