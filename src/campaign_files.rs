//! The panel's campaign files over plain HTTP: the CSV upload (a multipart form that works without
//! JavaScript, streamed to the upload folder, up to 1 GiB) and the download of a campaign's rejected
//! rows. The upload is also what `POST /v1/projects/{id}/campaigns` reads (`store_upload`).
use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, Path, State, multipart::Field},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use tokio::io::AsyncWriteExt;
use tower_sessions::Session;

use crate::{
    error::AppError,
    server_fns::ctx::USER_ID_KEY,
    services::{
        Actor, auth,
        campaigns::{self, MAX_UPLOAD_BYTES, StoredUpload},
    },
    state::AppState,
};

/// The routes (the caller adds sessions and the same-origin check).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/campaigns/upload",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/campaigns/{id}/rejects.csv", get(rejects))
}

async fn panel_actor(state: &AppState, session: &Session) -> Result<Actor, AppError> {
    let id = session
        .get::<i64>(USER_ID_KEY)
        .await
        .map_err(|_| AppError::Internal)?
        .ok_or(AppError::Unauthenticated)?;
    let user = auth::session_user(&state.db, id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Actor::Panel(user))
}

/// Streams a multipart file field into a new file of the upload folder, refusing more than 1 GiB (the
/// part written so far is deleted). The file is flushed to disk before this returns.
pub async fn store_upload(
    state: &AppState,
    mut field: Field<'_>,
) -> Result<StoredUpload, AppError> {
    let original_name = field.file_name().unwrap_or("upload.csv").to_owned();
    let file_name = campaigns::new_file_name();
    let path = state.upload_dir.join(&file_name);
    let mut file = tokio::fs::File::create(&path).await.map_err(|e| {
        tracing::error!(error = %e, path = %path.display(), "cannot create an upload file");
        AppError::Internal
    })?;
    let mut bytes: u64 = 0;
    let written: Result<(), AppError> = async {
        while let Some(chunk) = field.chunk().await.map_err(|e| AppError::Invalid {
            field: "file".into(),
            message: format!("the upload did not arrive whole ({e})"),
        })? {
            bytes += chunk.len() as u64;
            if bytes > MAX_UPLOAD_BYTES {
                return Err(AppError::Invalid {
                    field: "file".into(),
                    message:
                        "is larger than 1 GiB, the largest upload; split it into several campaigns"
                            .into(),
                });
            }
            file.write_all(&chunk)
                .await
                .map_err(|_| AppError::Internal)?;
        }
        file.sync_all().await.map_err(|_| AppError::Internal)
    }
    .await;
    if let Err(e) = written {
        drop(file);
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    Ok(StoredUpload {
        file_name,
        original_name,
        bytes,
    })
}

/// The new-campaign form's fields, as far as they arrived.
#[derive(Default)]
struct UploadForm {
    project_id: Option<i64>,
    name: String,
    type_id: Option<i64>,
    file: Option<StoredUpload>,
}

/// `POST /campaigns/upload`: the new-campaign form (fields `project_id`, `name`, `type_id`, then
/// `file`). Success goes to the draft's page (mapping and launch); an error back to the form with it.
async fn upload(State(state): State<AppState>, session: Session, multipart: Multipart) -> Response {
    let actor = match panel_actor(&state, &session).await {
        Ok(actor) => actor,
        Err(_) => return Redirect::to("/login").into_response(),
    };
    let mut form = UploadForm::default();
    let result = read_form(&state, &actor, multipart, &mut form).await;
    let result = match (result, form.file.take()) {
        (Ok(()), Some(file)) => {
            campaigns::create_draft(
                &state.db,
                &actor,
                &state.upload_dir,
                form.project_id.unwrap_or_default(),
                form.type_id.unwrap_or_default(),
                &form.name,
                file,
            )
            .await
        }
        (Ok(()), None) => Err(AppError::Invalid {
            field: "file".into(),
            message: "choose a CSV file".into(),
        }),
        (Err(e), file) => {
            if let Some(file) = file {
                let _ = tokio::fs::remove_file(state.upload_dir.join(file.file_name)).await;
            }
            Err(e)
        }
    };
    match (result, form.project_id) {
        (Ok(id), _) => Redirect::to(&format!("/campaigns/{id}")).into_response(),
        (Err(AppError::NotFound | AppError::Forbidden), _) | (Err(_), None) => (
            StatusCode::FORBIDDEN,
            "You cannot create campaigns in this project.",
        )
            .into_response(),
        (Err(e), Some(project_id)) => {
            let message = match &e {
                AppError::Invalid { field, message } => match field.as_str() {
                    "file" => {
                        format!("The file {message}").replace("The file The file", "The file")
                    }
                    "type_id" => format!("Email type: {message}"),
                    _ => format!("Name: {message}"),
                },
                other => other.to_string(),
            };
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("error", &message)
                .append_pair("name", &form.name)
                .append_pair(
                    "type_id",
                    &form.type_id.map(|t| t.to_string()).unwrap_or_default(),
                )
                .finish();
            Redirect::to(&format!("/projects/{project_id}/campaigns?{query}#new")).into_response()
        }
    }
}

async fn read_form(
    state: &AppState,
    actor: &Actor,
    mut multipart: Multipart,
    form: &mut UploadForm,
) -> Result<(), AppError> {
    let bad = |e: axum::extract::multipart::MultipartError| AppError::Invalid {
        field: "file".into(),
        message: format!("the form did not arrive whole ({e})"),
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "project_id" => {
                form.project_id = field.text().await.map_err(bad)?.trim().parse().ok();
            }
            "name" => form.name = field.text().await.map_err(bad)?,
            "type_id" => form.type_id = field.text().await.map_err(bad)?.trim().parse().ok(),
            "file" if form.file.is_none() => {
                // Whether the file may be stored is known before it is read.
                let project_id = form.project_id.ok_or(AppError::NotFound)?;
                campaigns::check_can_edit(&state.db, actor, project_id).await?;
                form.file = Some(store_upload(state, field).await?);
            }
            _ => {}
        }
    }
    Ok(())
}

/// `GET /campaigns/{id}/rejects.csv`: the rejected rows with their line and reason.
async fn rejects(State(state): State<AppState>, session: Session, Path(id): Path<i64>) -> Response {
    let result = async {
        let actor = panel_actor(&state, &session).await?;
        campaigns::rejects_csv(&state.db, &actor, id).await
    }
    .await;
    match result {
        Ok((name, bytes)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(AppError::Unauthenticated) => Redirect::to("/login").into_response(),
        Err(e) => (e.status(), e.to_string()).into_response(),
    }
}
