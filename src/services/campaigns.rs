//! Marketing campaigns of a project: a CSV upload becomes a draft (its file analyzed, the mapping
//! guessed), a launch schedules its import (`jobs::campaigns`), and pause, resume and cancel control it.
//! Clients on their own account's projects and CSMs on all create and control campaigns; support reads.
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{
    config::Config,
    db::{Db, NewCampaign},
    domain::campaign_csv::{self, Column, FileError, RowReader},
    error::AppError,
    model::{Campaign, CampaignPreview, CampaignRowNote, CampaignView, KeysetPage},
    services::{Actor, projects},
};

/// Largest upload.
pub const MAX_UPLOAD_BYTES: u64 = 1024 * 1024 * 1024;
/// Campaigns per page of the list.
const PER_PAGE: i64 = 50;
/// Row notes per page of a campaign.
const NOTES_PER_PAGE: i64 = 50;

/// Where uploads are kept until their import ends: beside a SQLite database file
/// (`mailroom.db` → `mailroom-uploads/`), else `mailroom-uploads/` in the working folder. Several
/// processes on one PostgreSQL share it (one host, or a shared volume), as any of them may import.
pub fn upload_dir(config: &Config) -> PathBuf {
    let url = &config.database_url;
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.is_empty() && !p.starts_with(':') && !p.starts_with("file:"))
    {
        let path = Path::new(path);
        let stem = path
            .file_stem()
            .map_or_else(|| "mailroom".into(), |s| s.to_string_lossy().into_owned());
        return path
            .parent()
            .unwrap_or(Path::new("."))
            .join(format!("{stem}-uploads"));
    }
    PathBuf::from("mailroom-uploads")
}

/// A file received and kept in the upload folder, not yet analyzed.
#[derive(Debug, Clone)]
pub struct StoredUpload {
    /// Its name in the upload folder.
    pub file_name: String,
    /// Its name on the uploader's computer.
    pub original_name: String,
    pub bytes: u64,
}

/// A new file name in the upload folder (random, so processes and test databases sharing the folder
/// never collide).
pub fn new_file_name() -> String {
    format!("campaign-{}.csv", crate::domain::random_token(20))
}

/// The project, when the actor may create and control its campaigns (checked before the upload is read).
pub async fn check_can_edit(db: &Db, actor: &Actor, project_id: i64) -> Result<(), AppError> {
    let project = projects::get(db, actor, project_id).await?;
    actor.require_change_account(project.account_id)
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Makes a draft of an upload: the name and email type checked, the file read through once
/// (`campaign_csv::analyze`). On any error the file is deleted and nothing is created.
pub async fn create_draft(
    db: &Db,
    actor: &Actor,
    dir: &Path,
    project_id: i64,
    type_id: i64,
    name: &str,
    upload: StoredUpload,
) -> Result<i64, AppError> {
    let path = dir.join(&upload.file_name);
    let created = draft(db, actor, &path, project_id, type_id, name, &upload).await;
    if created.is_err() {
        remove_file(&path).await;
    }
    created
}

async fn draft(
    db: &Db,
    actor: &Actor,
    path: &Path,
    project_id: i64,
    type_id: i64,
    name: &str,
    upload: &StoredUpload,
) -> Result<i64, AppError> {
    check_can_edit(db, actor, project_id).await?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("name", "must be 1 to 200 characters"));
    }
    if db.email_type_category(project_id, type_id).await?.is_none() {
        return Err(invalid("type_id", "choose an email type of this project"));
    }
    if upload.bytes == 0 {
        return Err(invalid("file", FileError::Empty.to_string()));
    }
    let file = path.to_owned();
    let analysis = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&file).map_err(|e| FileError::Io(e.to_string()))?;
        campaign_csv::analyze(std::io::BufReader::with_capacity(256 * 1024, file))
    })
    .await
    .map_err(|_| AppError::Internal)?
    .map_err(|e| invalid("file", e.to_string()))?;
    let layout = analysis.layout;
    let mapping = campaign_csv::guess_mapping(&layout.header);
    let id = db
        .insert_campaign(&NewCampaign {
            project_id,
            type_id,
            name: name.to_owned(),
            file_name: upload.file_name.clone(),
            original_name: upload.original_name.clone(),
            file_bytes: upload.bytes as i64,
            delimiter: char::from(layout.delimiter).to_string(),
            header: serde_json::to_string(&layout.header).map_err(|_| AppError::Internal)?,
            mapping: codes_json(&mapping),
            total_rows: analysis.total_rows as i64,
            data_offset: layout.data_offset as i64,
            data_line: layout.data_line as i64,
            created_by: actor.audit_name().to_owned(),
        })
        .await?;
    audit(
        db,
        actor,
        project_id,
        "campaign.created",
        &format!("campaign {id} \"{name}\": {} rows", analysis.total_rows),
    )
    .await?;
    Ok(id)
}

fn codes_json(mapping: &[Column]) -> String {
    Value::from(mapping.iter().map(Column::code).collect::<Vec<_>>()).to_string()
}

async fn audit(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    action: &str,
    detail: &str,
) -> Result<(), AppError> {
    let account_id = db.project(project_id).await?.map(|p| p.account_id);
    let mut tx = db.begin().await?;
    tx.insert_audit(
        account_id,
        actor.user_id(),
        actor.audit_name(),
        action,
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn remove_file(path: &Path) {
    if let Err(e) = tokio::fs::remove_file(path).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(error = %e, path = %path.display(), "could not delete an upload");
    }
}

/// A campaign the actor may read.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Campaign, AppError> {
    db.campaign(actor.account_scope()?, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A campaign with its emails by status, for its page.
pub async fn view(db: &Db, actor: &Actor, id: i64) -> Result<CampaignView, AppError> {
    let campaign = get(db, actor, id).await?;
    let statuses = db.campaign_statuses(id).await?;
    let can_edit = actor.require_change_account(campaign.account_id).is_ok();
    Ok(CampaignView {
        campaign,
        statuses,
        can_edit,
    })
}

/// A campaign the actor may control.
async fn editable(db: &Db, actor: &Actor, id: i64) -> Result<Campaign, AppError> {
    let campaign = get(db, actor, id).await?;
    actor.require_change_account(campaign.account_id)?;
    Ok(campaign)
}

/// Campaigns newest first, of one project or of every project the actor reads; `before` is the
/// cursor of the previous page's last campaign.
pub async fn list(
    db: &Db,
    actor: &Actor,
    project_id: Option<i64>,
    before: Option<i64>,
) -> Result<KeysetPage<Campaign>, AppError> {
    if let Some(project_id) = project_id {
        projects::get(db, actor, project_id).await?;
    }
    let mut items = db
        .campaigns(actor.account_scope()?, project_id, before, PER_PAGE + 1)
        .await?;
    let more = super::trim_to_page(&mut items, PER_PAGE);
    Ok(KeysetPage {
        next: more
            .then(|| items.last().map(|c| c.id.to_string()))
            .flatten(),
        prev: None,
        items,
    })
}

/// The draft's columns, their uses and the first rows of its file.
pub async fn preview(
    db: &Db,
    actor: &Actor,
    dir: &Path,
    id: i64,
) -> Result<CampaignPreview, AppError> {
    let campaign = get(db, actor, id).await?;
    let (file_name, offset, line) = db.campaign_file(id).await?.ok_or(AppError::NotFound)?;
    let delimiter = campaign.delimiter.bytes().next().unwrap_or(b',');
    let path = dir.join(file_name);
    let rows = if campaign.state == "draft" {
        tokio::task::spawn_blocking(move || read_first_rows(&path, delimiter, offset, line))
            .await
            .map_err(|_| AppError::Internal)?
            .map_err(|e| {
                tracing::warn!(error = %e, "cannot read a draft's file");
                AppError::Conflict("The uploaded file is no longer there; upload it again.".into())
            })?
    } else {
        Vec::new()
    };
    Ok(CampaignPreview {
        columns: campaign.columns(),
        uses: campaign.column_uses(),
        rows,
    })
}

fn read_first_rows(
    path: &Path,
    delimiter: u8,
    offset: i64,
    line: i64,
) -> Result<Vec<Vec<String>>, FileError> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path).map_err(|e| FileError::Io(e.to_string()))?;
    file.seek(SeekFrom::Start(offset as u64))
        .map_err(|e| FileError::Io(e.to_string()))?;
    let mut reader = RowReader::new(
        std::io::BufReader::new(file),
        delimiter,
        offset as u64,
        line as u64,
    );
    let mut rows = Vec::new();
    while rows.len() < campaign_csv::PREVIEW_ROWS {
        match reader.next_row()? {
            Some((_, fields)) => rows.push(fields),
            None => break,
        }
    }
    Ok(rows)
}

/// Launches a draft with the mapping chosen for its columns (codes of `Column`), now or at `starts_at`
/// (unix ms; a time in the past means now).
pub async fn launch(
    db: &Db,
    actor: &Actor,
    id: i64,
    uses: &[String],
    starts_at: Option<i64>,
) -> Result<Campaign, AppError> {
    let campaign = editable(db, actor, id).await?;
    if campaign.state != "draft" {
        return Err(AppError::Conflict(
            "This campaign was already launched.".into(),
        ));
    }
    let mapping = uses
        .iter()
        .map(|code| {
            Column::from_code(code)
                .ok_or_else(|| invalid("mapping", format!("unknown use \"{code}\"")))
        })
        .collect::<Result<Vec<Column>, AppError>>()?;
    campaign_csv::check_mapping(&campaign.columns(), &mapping)
        .map_err(|e| invalid("mapping", e))?;
    let now = crate::db::now_ms();
    let at = starts_at.unwrap_or(now).max(now);
    if !db.launch_campaign(id, &codes_json(&mapping), at).await? {
        return Err(AppError::Conflict(
            "This campaign was already launched.".into(),
        ));
    }
    let when = if at > now { " (scheduled)" } else { "" };
    audit(
        db,
        actor,
        campaign.project_id,
        "campaign.launched",
        &format!("campaign {id} \"{}\"{when}", campaign.name),
    )
    .await?;
    get(db, actor, id).await
}

/// What a control action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Pause,
    Resume,
    Cancel,
}

/// Pauses, resumes or cancels a campaign; cancelling deletes its file.
pub async fn control(
    db: &Db,
    actor: &Actor,
    dir: &Path,
    id: i64,
    control: Control,
) -> Result<Campaign, AppError> {
    let campaign = editable(db, actor, id).await?;
    let (done, action) = match control {
        Control::Pause => (db.pause_campaign(id).await?, "campaign.paused"),
        Control::Resume => (db.resume_campaign(id).await?, "campaign.resumed"),
        Control::Cancel => {
            let file = db.cancel_campaign(id).await?;
            if let Some(file) = &file {
                remove_file(&dir.join(file)).await;
            }
            (file.is_some(), "campaign.cancelled")
        }
    };
    if !done {
        return Err(AppError::Conflict(format!(
            "This campaign is {}: it cannot be {}.",
            campaign.state,
            match control {
                Control::Pause => "paused",
                Control::Resume => "resumed",
                Control::Cancel => "cancelled",
            }
        )));
    }
    audit(
        db,
        actor,
        campaign.project_id,
        action,
        &format!("campaign {id} \"{}\"", campaign.name),
    )
    .await?;
    get(db, actor, id).await
}

/// Deletes a draft and its file.
pub async fn discard(db: &Db, actor: &Actor, dir: &Path, id: i64) -> Result<i64, AppError> {
    let campaign = editable(db, actor, id).await?;
    let file = db.discard_draft(id).await?.ok_or_else(|| {
        AppError::Conflict("Only a draft can be discarded; cancel a launched campaign.".into())
    })?;
    remove_file(&dir.join(file)).await;
    audit(
        db,
        actor,
        campaign.project_id,
        "campaign.discarded",
        &format!("campaign {id} \"{}\"", campaign.name),
    )
    .await?;
    Ok(campaign.project_id)
}

/// The notes about a campaign's rows in file order (`kind`: rejected, corrected or duplicate).
pub async fn row_notes(
    db: &Db,
    actor: &Actor,
    id: i64,
    kind: Option<&str>,
    after: i64,
) -> Result<KeysetPage<CampaignRowNote>, AppError> {
    get(db, actor, id).await?;
    let kind = kind.filter(|k| ["rejected", "corrected", "duplicate"].contains(k));
    let mut items = db
        .campaign_rows(id, kind, after, NOTES_PER_PAGE + 1)
        .await?;
    let more = super::trim_to_page(&mut items, NOTES_PER_PAGE);
    Ok(KeysetPage {
        next: more
            .then(|| items.last().map(|n| n.id.to_string()))
            .flatten(),
        prev: None,
        items,
    })
}

/// The rejected rows as a CSV file: the file's columns as read, then `line` and `reason`.
pub async fn rejects_csv(db: &Db, actor: &Actor, id: i64) -> Result<(String, Vec<u8>), AppError> {
    let campaign = get(db, actor, id).await?;
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut header = campaign.columns();
    header.push("line".into());
    header.push("reason".into());
    out.write_record(&header).map_err(|_| AppError::Internal)?;
    let mut after = 0;
    loop {
        let rows = db.rejected_rows(id, after, 5000).await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.0;
        for (_, line, reason, record) in rows {
            let mut fields: Vec<String> = record
                .and_then(|r| serde_json::from_str(&r).ok())
                .unwrap_or_default();
            fields.push(line.to_string());
            fields.push(reason);
            out.write_record(&fields).map_err(|_| AppError::Internal)?;
        }
    }
    let bytes = out.into_inner().map_err(|_| AppError::Internal)?;
    let name: String = campaign
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    Ok((format!("campaign-{id}-{name}-rejected.csv"), bytes))
}
