//! The project page's chart: emails by status per day, read from the daily rollup.
use crate::{
    db::{DAY_MS, Db, now_ms},
    error::AppError,
    model::StatusChart,
    services::projects::Readable,
};

/// Days the chart shows, today included.
pub const CHART_DAYS: i64 = 30;

/// A project's emails by status for the last `CHART_DAYS` days: whoever may read the project.
pub async fn chart(db: &Db, project: &Readable) -> Result<StatusChart, AppError> {
    let project_id = project.id();
    let first_day = now_ms() / DAY_MS - (CHART_DAYS - 1);
    Ok(StatusChart {
        first_day,
        days: CHART_DAYS,
        counts: db.daily_counts(project_id, first_day).await?,
    })
}

/// How long the rollup leaves rows before adding them up (see `Db::roll_up_daily`).
pub const ROLLUP_LAG_MS: i64 = 10_000;

/// Adds the emails and events stored since the last run to the daily rollup.
pub async fn roll_up(db: &Db) -> Result<u64, AppError> {
    Ok(db.roll_up_daily(now_ms() - ROLLUP_LAG_MS).await?)
}
