//! Campaigns: the list of a project's campaigns, a campaign's page (its draft's mapping preview, its
//! progress and counts, the notes about its rows) and the actions on it. The upload itself is a plain
//! multipart POST (`campaign_files`), not a server function.
use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{Campaign, CampaignPreview, CampaignRowNote, CampaignView, KeysetPage},
};

/// Campaigns newest first: of one project (`project_id` > 0) or of every project the viewer reads;
/// `before`: the `next` cursor of the previous page.
#[server(endpoint = "list_campaigns")]
pub async fn list_campaigns(
    #[server(default)] project_id: i64,
    #[server(default)] before: String,
) -> Result<KeysetPage<Campaign>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::campaigns::list(
            &state.db,
            &actor,
            (project_id > 0).then_some(project_id),
            before.parse().ok(),
        )
        .await
    })
    .await
}

/// A campaign with its emails by status and whether the viewer may control it.
#[server(endpoint = "get_campaign")]
pub async fn get_campaign(id: i64) -> Result<CampaignView, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::campaigns::view(&state.db, &actor, id).await
    })
    .await
}

/// A draft's columns, the use of each (guessed from the header) and its first 20 rows.
#[server(endpoint = "campaign_preview")]
pub async fn get_campaign_preview(id: i64) -> Result<CampaignPreview, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::campaigns::preview(&state.db, &actor, &state.upload_dir, id).await
    })
    .await
}

/// Launches a draft: `uses` has one entry per column (`email`, a parameter's name, `data:<key>`, or
/// empty to ignore it); `starts_at` is empty (now) or a UTC time `YYYY-MM-DDTHH:MM`.
#[server(endpoint = "launch_campaign")]
pub async fn launch_campaign(
    id: i64,
    #[server(default)] uses: Vec<String>,
    #[server(default)] starts_at: String,
) -> Result<Campaign, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        let starts_at = match starts_at.trim() {
            "" => None,
            text => Some(
                chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                    .map_err(|_| AppError::Invalid {
                        field: "starts_at".into(),
                        message: "must be a date and time such as 2026-12-24T09:00 (UTC)".into(),
                    })?
                    .and_utc()
                    .timestamp_millis(),
            ),
        };
        let campaign =
            crate::services::campaigns::launch(&state.db, &actor, id, &uses, starts_at).await?;
        state.import_wake.notify_one();
        Ok(campaign)
    })
    .await
}

/// `pause`, `resume` or `cancel` a campaign.
#[server(endpoint = "control_campaign")]
pub async fn control_campaign(id: i64, action: String) -> Result<Campaign, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        use crate::services::campaigns::{Control, control};
        let action = match action.as_str() {
            "pause" => Control::Pause,
            "resume" => Control::Resume,
            "cancel" => Control::Cancel,
            _ => {
                return Err(AppError::Invalid {
                    field: "action".into(),
                    message: "must be pause, resume or cancel".into(),
                });
            }
        };
        let campaign = control(&state.db, &actor, &state.upload_dir, id, action).await?;
        if action == Control::Resume {
            state.import_wake.notify_one();
        }
        Ok(campaign)
    })
    .await
}

/// Deletes a draft and its file; returns its project's id.
#[server(endpoint = "discard_campaign")]
pub async fn discard_campaign(id: i64) -> Result<i64, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::campaigns::discard(&state.db, &actor, &state.upload_dir, id).await
    })
    .await
}

/// Notes about a campaign's rows in file order; `kind`: rejected, corrected, duplicate or empty (all);
/// `after`: the `next` cursor of the previous page.
#[server(endpoint = "campaign_rows")]
pub async fn campaign_rows(
    id: i64,
    #[server(default)] kind: String,
    #[server(default)] after: String,
) -> Result<KeysetPage<CampaignRowNote>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        let kind = (!kind.is_empty()).then_some(kind.as_str());
        crate::services::campaigns::row_notes(
            &state.db,
            &actor,
            id,
            kind,
            after.parse().unwrap_or(0),
        )
        .await
    })
    .await
}
