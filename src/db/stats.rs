//! The daily rollup of emails by status (the project page's chart): a job adds the rows stored since
//! its cursors; the chart reads the rollup.
use super::{Db, with_pool};
use crate::model::DailyCount;

/// A day in unix milliseconds.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Most rows one step of the rollup adds up.
const BATCH: i64 = 20_000;

/// The two sources of the rollup: each email's first status (kept in its row) and later events.
const SOURCES: [(&str, &str, &str); 2] = [
    (
        "emails",
        "SELECT MAX(id) FROM (SELECT id FROM emails WHERE id > $1 AND created_at < $2
            ORDER BY id LIMIT $3) batch",
        "INSERT INTO email_daily (project_id, day, status, count)
            SELECT project_id, created_at / 86400000, first_status, COUNT(*) FROM emails
            WHERE id > $1 AND id <= $2 GROUP BY project_id, created_at / 86400000, first_status
            ON CONFLICT (project_id, day, status) DO UPDATE SET count = email_daily.count + excluded.count",
    ),
    (
        "email_events",
        "SELECT MAX(id) FROM (SELECT id FROM email_events WHERE id > $1 AND at < $2
            ORDER BY id LIMIT $3) batch",
        "INSERT INTO email_daily (project_id, day, status, count)
            SELECT e.project_id, ev.at / 86400000, ev.status, COUNT(*)
            FROM email_events ev JOIN emails e ON e.id = ev.email_id
            WHERE ev.id > $1 AND ev.id <= $2 GROUP BY e.project_id, ev.at / 86400000, ev.status
            ON CONFLICT (project_id, day, status) DO UPDATE SET count = email_daily.count + excluded.count",
    ),
];

impl Db {
    /// Adds to the rollup the emails and events stored before `settled` (unix ms) and not added yet, a
    /// batch per transaction. Rows newer than `settled` wait for the next run: on PostgreSQL an id is
    /// taken before its transaction commits, so a row with a lower id may appear after a higher one;
    /// waiting lets such transactions finish. Returns how many rows were added up.
    pub async fn roll_up_daily(&self, settled: i64) -> sqlx::Result<u64> {
        let mut added = 0;
        for (cursor, next_sql, add_sql) in SOURCES {
            loop {
                let step: Option<(i64, i64)> = with_pool!(self, |pool| async {
                    let mut tx = pool.begin().await?;
                    // A write first: it takes SQLite's write lock and PostgreSQL's row lock at once,
                    // so that two processes never add the same rows.
                    sqlx::query("UPDATE rollup_cursors SET last_id = last_id WHERE name = $1")
                        .bind(cursor)
                        .execute(&mut *tx)
                        .await?;
                    let last: i64 =
                        sqlx::query_scalar("SELECT last_id FROM rollup_cursors WHERE name = $1")
                            .bind(cursor)
                            .fetch_one(&mut *tx)
                            .await?;
                    let upto: Option<i64> = sqlx::query_scalar(next_sql)
                        .bind(last)
                        .bind(settled)
                        .bind(BATCH)
                        .fetch_one(&mut *tx)
                        .await?;
                    let Some(upto) = upto else {
                        return Ok::<_, sqlx::Error>(None);
                    };
                    sqlx::query(add_sql)
                        .bind(last)
                        .bind(upto)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("UPDATE rollup_cursors SET last_id = $2 WHERE name = $1")
                        .bind(cursor)
                        .bind(upto)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(Some((last, upto)))
                }
                .await)?;
                match step {
                    Some((last, upto)) => added += (upto - last) as u64,
                    None => break,
                }
            }
        }
        Ok(added)
    }

    /// A project's counts by day and status from the day `from` (days since the epoch) on.
    pub async fn daily_counts(&self, project_id: i64, from: i64) -> sqlx::Result<Vec<DailyCount>> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT day, status, count FROM email_daily WHERE project_id = $1 AND day >= $2
             ORDER BY day, status"
        )
        .bind(project_id)
        .bind(from)
        .fetch_all(pool)
        .await)
    }
}
