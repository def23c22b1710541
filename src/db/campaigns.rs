//! Campaigns: the campaign rows and their state changes, and the import's batches (users created or
//! updated, the campaign's emails queued, notes about rows, the resume point) each in one transaction.
use std::collections::HashMap;

use sqlx::QueryBuilder;

use super::{
    Db, Tx, delivery::CAMPAIGN_PRIORITY, now_ms, users::param_columns, with_pool, with_tx,
};
use crate::{
    domain::UserParams,
    model::{Campaign, CampaignRowNote},
};

/// Where a paused campaign's queued emails wait: far beyond any retry time, so that the queue's claim
/// (a range of due times) never reaches them.
pub const PAUSED_UNTIL: i64 = i64::MAX / 2;

const CAMPAIGN_SELECT: &str = "SELECT c.id, c.project_id, p.name AS project_name, p.account_id,
    c.type_id, t.name AS type_name, c.name, c.state, c.paused_from, c.original_name, c.file_bytes,
    c.delimiter, c.header, c.mapping, c.total_rows, c.starts_at, c.rows_read, c.users_created,
    c.users_updated, c.rows_rejected, c.rows_corrected, c.rows_duplicate, c.emails_queued,
    c.emails_suppressed, c.error, c.created_by, c.created_at, c.updated_at, c.import_started_at,
    c.import_finished_at, c.finished_at
  FROM campaigns c JOIN projects p ON p.id = c.project_id JOIN email_types t ON t.id = c.type_id";

/// A new draft campaign: an analyzed upload.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub project_id: i64,
    pub type_id: i64,
    pub name: String,
    pub file_name: String,
    pub original_name: String,
    pub file_bytes: i64,
    pub delimiter: String,
    pub header: String,
    pub mapping: String,
    pub total_rows: i64,
    pub data_offset: i64,
    pub data_line: i64,
    pub created_by: String,
}

/// A campaign whose import this process holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImportJob {
    pub id: i64,
    pub project_id: i64,
    pub type_id: i64,
    pub file_name: String,
    pub delimiter: String,
    pub mapping: String,
    pub next_offset: i64,
    pub next_line: i64,
}

/// A row ready to store: its user and its email's data.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub line: i64,
    pub email: String,
    pub params: UserParams,
    pub data: String,
    pub message_id: String,
}

/// A note about one row (`rejected`, `corrected`, `duplicate`).
#[derive(Debug, Clone)]
pub struct RowNote {
    pub line: i64,
    pub kind: &'static str,
    pub email: Option<String>,
    pub detail: String,
    /// The row as read, for the rejects file (JSON array).
    pub record: Option<String>,
}

/// One batch of the import: rows whose addresses differ (the file's earlier duplicates inside the batch
/// already dropped and noted), the notes, and where the file's next batch starts.
#[derive(Debug, Clone, Default)]
pub struct ImportBatch {
    pub rows: Vec<ImportRow>,
    pub notes: Vec<RowNote>,
    pub rows_read: i64,
    pub rejected: i64,
    pub corrected: i64,
    pub duplicates: i64,
    pub next_offset: i64,
    pub next_line: i64,
}

/// What a stored batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub created: i64,
    pub updated: i64,
    pub queued: i64,
    pub suppressed: i64,
    /// Rows whose user already had the campaign's email (an earlier row of the file).
    pub duplicates: i64,
}

/// Users per multi-row statement (14 parameters each).
const USERS_CHUNK: usize = 500;
/// Emails per multi-row statement (9 parameters each).
const EMAILS_CHUNK: usize = 500;

impl Db {
    pub async fn insert_campaign(&self, new: &NewCampaign) -> sqlx::Result<i64> {
        let now = now_ms();
        with_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO campaigns (project_id, type_id, name, state, file_name, original_name,
                   file_bytes, delimiter, header, mapping, total_rows, next_offset, next_line, created_by,
                   created_at, updated_at)
                 VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
                 RETURNING id",
            )
            .bind(new.project_id)
            .bind(new.type_id)
            .bind(&new.name)
            .bind(&new.file_name)
            .bind(&new.original_name)
            .bind(new.file_bytes)
            .bind(&new.delimiter)
            .bind(&new.header)
            .bind(&new.mapping)
            .bind(new.total_rows)
            .bind(new.data_offset)
            .bind(new.data_line)
            .bind(&new.created_by)
            .bind(now)
            .fetch_one(pool)
            .await
        })
    }

    /// A campaign; with `account_id`, only one of that account's projects.
    pub async fn campaign(
        &self,
        account_id: Option<i64>,
        id: i64,
    ) -> sqlx::Result<Option<Campaign>> {
        let sql =
            format!("{CAMPAIGN_SELECT} WHERE c.id = $1 AND ($2 IS NULL OR p.account_id = $2)");
        with_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(id)
            .bind(account_id)
            .fetch_optional(pool)
            .await)
    }

    /// The stored file and preview start of a campaign (for the draft's preview).
    pub async fn campaign_file(&self, id: i64) -> sqlx::Result<Option<(String, i64, i64)>> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT file_name, next_offset, next_line FROM campaigns WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)
    }

    /// Campaigns newest first, `limit` of them before the id `before`; with `account_id` only that
    /// account's, with `project_id` only that project's.
    pub async fn campaigns(
        &self,
        account_id: Option<i64>,
        project_id: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> sqlx::Result<Vec<Campaign>> {
        let sql = format!(
            "{CAMPAIGN_SELECT} WHERE ($1 IS NULL OR p.account_id = $1) AND ($2 IS NULL OR c.project_id = $2)
               AND ($3 IS NULL OR c.id < $3) ORDER BY c.id DESC LIMIT $4"
        );
        with_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(account_id)
            .bind(project_id)
            .bind(before)
            .bind(limit)
            .fetch_all(pool)
            .await)
    }

    /// Launches a draft with its mapping, at `starts_at`. False when it is no longer a draft.
    pub async fn launch_campaign(
        &self,
        id: i64,
        mapping: &str,
        starts_at: i64,
    ) -> sqlx::Result<bool> {
        with_pool!(self, |pool| {
            sqlx::query(
            "UPDATE campaigns SET state = 'scheduled', mapping = $2, starts_at = $3, updated_at = $4
             WHERE id = $1 AND state = 'draft'"
        )
        .bind(id)
        .bind(mapping)
        .bind(starts_at)
        .bind(now_ms())
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1)
        })
    }

    /// Deletes a draft (nothing was imported from it). Returns its file's name.
    pub async fn discard_draft(&self, id: i64) -> sqlx::Result<Option<String>> {
        with_pool!(self, |pool| sqlx::query_scalar(
            "DELETE FROM campaigns WHERE id = $1 AND state = 'draft' RETURNING file_name"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)
    }

    /// The campaign's emails by status.
    pub async fn campaign_statuses(&self, id: i64) -> sqlx::Result<Vec<(String, i64)>> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT status, COUNT(*) FROM emails WHERE campaign_id = $1 GROUP BY status"
        )
        .bind(id)
        .fetch_all(pool)
        .await)
    }

    /// The notes of a campaign's rows in file order, `limit` after the note id `after`; `kind` filters.
    pub async fn campaign_rows(
        &self,
        id: i64,
        kind: Option<&str>,
        after: i64,
        limit: i64,
    ) -> sqlx::Result<Vec<CampaignRowNote>> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT id, line, kind, email, detail FROM campaign_rows
             WHERE campaign_id = $1 AND ($2 IS NULL OR kind = $2) AND id > $3 ORDER BY id LIMIT $4"
        )
        .bind(id)
        .bind(kind)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await)
    }

    /// Rejected rows with the row as read: (note id, line, reason, record as a JSON array).
    pub async fn rejected_rows(
        &self,
        id: i64,
        after: i64,
        limit: i64,
    ) -> sqlx::Result<Vec<(i64, i64, String, Option<String>)>> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT id, line, detail, record FROM campaign_rows
             WHERE campaign_id = $1 AND kind = 'rejected' AND id > $2 ORDER BY id LIMIT $3"
        )
        .bind(id)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await)
    }

    /// Pauses a campaign that is scheduled, importing or sending: its import stops after the batch in
    /// hand and its queued emails wait (`PAUSED_UNTIL`). False when it was in no such state.
    pub async fn pause_campaign(&self, id: i64) -> sqlx::Result<bool> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let paused = with_tx!(&mut tx, |conn| {
            sqlx::query(
            "UPDATE campaigns SET paused_from = state, state = 'paused', lease_until = NULL, updated_at = $2
             WHERE id = $1 AND state IN ('scheduled', 'importing', 'sending')"
        )
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected()
        });
        if paused == 0 {
            return Ok(false);
        }
        with_tx!(&mut tx, |conn| sqlx::query(
            "UPDATE emails SET next_attempt_at = $2
             WHERE campaign_id = $1 AND status IN ('queued', 'deferred')"
        )
        .bind(id)
        .bind(PAUSED_UNTIL)
        .execute(conn)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(true)
    }

    /// Resumes a paused campaign where it was. False when it was not paused.
    pub async fn resume_campaign(&self, id: i64) -> sqlx::Result<bool> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let resumed = with_tx!(&mut tx, |conn| sqlx::query(
            "UPDATE campaigns SET state = COALESCE(paused_from, 'sending'), paused_from = NULL,
               updated_at = $2 WHERE id = $1 AND state = 'paused'"
        )
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected());
        if resumed == 0 {
            return Ok(false);
        }
        with_tx!(&mut tx, |conn| sqlx::query(
            "UPDATE emails SET next_attempt_at = $2
             WHERE campaign_id = $1 AND status IN ('queued', 'deferred') AND next_attempt_at >= $3"
        )
        .bind(id)
        .bind(now)
        .bind(PAUSED_UNTIL)
        .execute(conn)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(true)
    }

    /// Cancels a campaign that has not ended: the import stops, emails not yet sent become
    /// `cancelled` (with the event), those already sent stay as they are. Returns the file's name, or
    /// `None` when the campaign had ended (or was a draft).
    pub async fn cancel_campaign(&self, id: i64) -> sqlx::Result<Option<String>> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let file: Option<String> = with_tx!(&mut tx, |conn| sqlx::query_scalar(
            "UPDATE campaigns SET state = 'cancelled', paused_from = NULL, lease_until = NULL,
               finished_at = $2, updated_at = $2
             WHERE id = $1 AND state IN ('scheduled', 'importing', 'sending', 'paused')
             RETURNING file_name"
        )
        .bind(id)
        .bind(now)
        .fetch_optional(conn)
        .await?);
        if file.is_none() {
            return Ok(None);
        }
        with_tx!(&mut tx, |conn| sqlx::query(
            "INSERT INTO email_events (email_id, status, detail, at)
             SELECT id, 'cancelled', 'the campaign was cancelled', $2 FROM emails
             WHERE campaign_id = $1 AND status IN ('queued', 'deferred')"
        )
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected());
        with_tx!(&mut tx, |conn| sqlx::query(
            "UPDATE emails SET status = 'cancelled', next_attempt_at = NULL, lease_until = NULL,
               updated_at = $2 WHERE campaign_id = $1 AND status IN ('queued', 'deferred')"
        )
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(file)
    }

    /// Takes the import of a campaign that is due (scheduled and its time reached) or whose importing
    /// process stopped (lease run out), until `lease_until`.
    pub async fn claim_import(&self, lease_until: i64) -> sqlx::Result<Option<ImportJob>> {
        let now = now_ms();
        let lock = match self {
            Db::Sqlite(_) => "",
            Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE campaigns SET state = 'importing', lease_until = $1,
               import_started_at = COALESCE(import_started_at, $2), updated_at = $2
             WHERE id = (SELECT id FROM campaigns
               WHERE (state = 'scheduled' AND starts_at <= $2)
                  OR (state = 'importing' AND (lease_until IS NULL OR lease_until < $2))
               ORDER BY id LIMIT 1 {lock})
             RETURNING id, project_id, type_id, file_name, delimiter, mapping, next_offset, next_line"
        );
        with_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(lease_until)
            .bind(now)
            .fetch_optional(pool)
            .await)
    }

    /// Ends an import: the campaign is sending (its emails are all queued). Returns false when the
    /// campaign is no longer importing (paused or cancelled meanwhile).
    pub async fn finish_import(&self, id: i64) -> sqlx::Result<bool> {
        let now = now_ms();
        with_pool!(self, |pool| sqlx::query(
            "UPDATE campaigns SET state = 'sending', lease_until = NULL, import_finished_at = $2,
               updated_at = $2 WHERE id = $1 AND state = 'importing'"
        )
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1))
    }

    /// Ends an import that cannot go on (its file is unreadable), with the reason.
    pub async fn fail_import(&self, id: i64, error: &str) -> sqlx::Result<()> {
        let now = now_ms();
        with_pool!(self, |pool| {
            sqlx::query(
            "UPDATE campaigns SET state = 'failed', error = $2, lease_until = NULL, finished_at = $3,
               updated_at = $3 WHERE id = $1 AND state = 'importing'"
        )
        .bind(id)
        .bind(error)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
        })
    }

    /// Marks done the sending campaigns none of whose emails waits any more.
    pub async fn finish_sent_campaigns(&self) -> sqlx::Result<u64> {
        let now = now_ms();
        with_pool!(self, |pool| {
            sqlx::query(
            "UPDATE campaigns SET state = 'done', finished_at = $1, updated_at = $1
             WHERE state = 'sending' AND NOT EXISTS (SELECT 1 FROM emails
               WHERE emails.campaign_id = campaigns.id AND emails.status IN ('queued', 'deferred'))"
        )
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })
    }

    /// Stores one batch of a campaign's import in one transaction, with the resume point after it and
    /// the lease extended to `lease_until`. `None` (nothing stored) when the campaign is no longer
    /// importing: paused or cancelled since the batch was read.
    pub async fn store_import_batch(
        &self,
        job: &ImportJob,
        batch: &ImportBatch,
        lease_until: i64,
    ) -> sqlx::Result<Option<BatchCounts>> {
        // On SQLite, in turn with the send writer: a send waits for this batch at most.
        let _turn = self.write_turn().await;
        let now = now_ms();
        let mut tx = self.begin().await?;
        // A write first: on SQLite it takes the write lock at once, on PostgreSQL the campaign's row
        // lock, so a pause or a cancel is either before this batch (seen here) or after it.
        let importing = with_tx!(&mut tx, |conn| {
            sqlx::query(
            "UPDATE campaigns SET lease_until = $2, updated_at = $3 WHERE id = $1 AND state = 'importing'"
        )
        .bind(job.id)
        .bind(lease_until)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected()
        });
        if importing == 0 {
            return Ok(None);
        }
        // The batch's multi-row INSERTs (thousands of values each) planned once per connection, not
        // at every batch: their plans do not depend on table sizes (values in, conflicts found by the
        // arbiter index), and planning them took as long as running them.
        plan_cache_mode(&mut tx, Plans::Generic).await?;
        let mut counts = BatchCounts::default();
        let users = upsert_users(&mut tx, job.project_id, &batch.rows, now, &mut counts).await?;
        let mut notes = batch.notes.clone();
        queue_emails(
            &mut tx,
            job,
            &batch.rows,
            &users,
            now,
            &mut counts,
            &mut notes,
        )
        .await?;
        insert_notes(&mut tx, job.id, &notes).await?;
        with_tx!(&mut tx, |conn| sqlx::query(
            "UPDATE campaigns SET next_offset = $2, next_line = $3, rows_read = rows_read + $4,
               users_created = users_created + $5, users_updated = users_updated + $6,
               rows_rejected = rows_rejected + $7, rows_corrected = rows_corrected + $8,
               rows_duplicate = rows_duplicate + $9, emails_queued = emails_queued + $10,
               emails_suppressed = emails_suppressed + $11
             WHERE id = $1"
        )
        .bind(job.id)
        .bind(batch.next_offset)
        .bind(batch.next_line)
        .bind(batch.rows_read)
        .bind(counts.created)
        .bind(counts.updated)
        .bind(batch.rejected)
        .bind(batch.corrected)
        .bind(batch.duplicates + counts.duplicates)
        .bind(counts.queued)
        .bind(counts.suppressed)
        .execute(conn)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(Some(counts))
    }
}

#[derive(Debug, Clone, Copy)]
enum Plans {
    /// One plan per statement and connection, whatever the values.
    Generic,
    /// Each statement planned with its values and the tables as they are.
    Custom,
}

/// On PostgreSQL, how the transaction's next statements are planned (`SET LOCAL plan_cache_mode`; see
/// `sends::postgres::enqueue_emails` for why a lookup wants custom plans). Nothing on SQLite.
async fn plan_cache_mode(tx: &mut Tx, plans: Plans) -> sqlx::Result<()> {
    if let Tx::Postgres(tx) = tx {
        sqlx::query(match plans {
            Plans::Generic => "SET LOCAL plan_cache_mode = force_generic_plan",
            Plans::Custom => "SET LOCAL plan_cache_mode = force_custom_plan",
        })
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A batch's user: id and whether it can be mailed.
#[derive(Debug, Clone, Copy)]
struct StoredUser {
    id: i64,
    sendable: bool,
}

/// Creates the rows' users or updates their parameters (only what differs, recorded in their change
/// log as "campaign CSV" by the users' trigger). Returns every row's user by address.
async fn upsert_users(
    tx: &mut Tx,
    project_id: i64,
    rows: &[ImportRow],
    now: i64,
    counts: &mut BatchCounts,
) -> sqlx::Result<HashMap<String, StoredUser>> {
    let mut users = HashMap::with_capacity(rows.len());
    let set: Vec<String> = UserParams::NAMES
        .iter()
        .map(|n| format!("{n} = COALESCE(excluded.{n}, users.{n})"))
        .collect();
    let differs: Vec<String> = UserParams::NAMES
        .iter()
        .map(|n| format!("users.{n} IS DISTINCT FROM COALESCE(excluded.{n}, users.{n})"))
        .collect();
    for chunk in rows.chunks(USERS_CHUNK) {
        let head = format!(
            "INSERT INTO users (project_id, email, {}, change_source, created_at, updated_at) ",
            param_columns("")
        );
        let tail = format!(
            " ON CONFLICT (project_id, email) DO UPDATE SET {}, change_source = excluded.change_source,
               updated_at = excluded.updated_at WHERE {}
             RETURNING id, email, subscribed <> 0 AND suppressed_reason IS NULL AS sendable,
               created_at = updated_at AS created",
            set.join(", "),
            differs.join(" OR ")
        );
        // The builder is made in each arm: its type depends on the database.
        let written: Vec<(i64, String, bool, bool)> = with_tx!(&mut *tx, |conn| {
            let mut insert = QueryBuilder::new(head.as_str());
            insert.push_values(chunk, |mut row, r| {
                row.push_bind(project_id).push_bind(r.email.as_str());
                let p = &r.params;
                row.push_bind(p.name.as_deref())
                    .push_bind(p.gender.as_deref())
                    .push_bind(p.platform_id)
                    .push_bind(p.country_id.as_deref())
                    .push_bind(p.list_id)
                    .push_bind(p.client_user_id.as_deref())
                    .push_bind(p.ak.as_deref())
                    .push_bind(p.age)
                    .push_bind(p.photo.as_deref())
                    .push_bind(p.language_id.as_deref())
                    .push_bind("campaign CSV")
                    .push_bind(now)
                    .push_bind(now);
            });
            insert.push(tail.as_str());
            insert.build_query_as().fetch_all(conn).await?
        });
        for (id, email, sendable, created) in written {
            if created {
                counts.created += 1;
            } else {
                counts.updated += 1;
            }
            users.insert(email, StoredUser { id, sendable });
        }
        let unchanged: Vec<&ImportRow> = chunk
            .iter()
            .filter(|r| !users.contains_key(&r.email))
            .collect();
        if unchanged.is_empty() {
            continue;
        }
        // A lookup: planned for the table as it is now (see `plan_cache_mode`).
        plan_cache_mode(tx, Plans::Custom).await?;
        let found: Vec<(i64, String, bool)> = with_tx!(&mut *tx, |conn| {
            let mut select = QueryBuilder::new(
                "SELECT id, email, subscribed <> 0 AND suppressed_reason IS NULL AS sendable FROM users
                 WHERE project_id = ",
            );
            select.push_bind(project_id).push(" AND email IN (");
            let mut list = select.separated(", ");
            for row in &unchanged {
                list.push_bind(row.email.as_str());
            }
            select.push(")");
            select.build_query_as().fetch_all(conn).await?
        });
        for (id, email, sendable) in found {
            users.insert(email, StoredUser { id, sendable });
        }
        plan_cache_mode(tx, Plans::Generic).await?;
    }
    Ok(users)
}

/// Queues the campaign's email to each row's user (`suppressed` for a user who cannot be mailed); a
/// user who already has it (an earlier row of the file) keeps the first and the row is noted.
async fn queue_emails(
    tx: &mut Tx,
    job: &ImportJob,
    rows: &[ImportRow],
    users: &HashMap<String, StoredUser>,
    now: i64,
    counts: &mut BatchCounts,
    notes: &mut Vec<RowNote>,
) -> sqlx::Result<()> {
    for chunk in rows.chunks(EMAILS_CHUNK) {
        let placed: Vec<(&ImportRow, StoredUser)> = chunk
            .iter()
            .filter_map(|r| users.get(&r.email).map(|u| (r, *u)))
            .collect();
        if placed.is_empty() {
            continue;
        }
        let stored: Vec<(i64, String)> = with_tx!(&mut *tx, |conn| {
            let mut insert = QueryBuilder::new(
                "INSERT INTO emails (message_id, project_id, user_id, type_id, category, data, meta, status,
                   first_status, next_attempt_at, priority, campaign_id, created_at, updated_at) ",
            );
            insert.push_values(&placed, |mut row, (r, user)| {
                let status = if user.sendable {
                    "queued"
                } else {
                    "suppressed"
                };
                row.push_bind(r.message_id.as_str())
                    .push_bind(job.project_id)
                    .push_bind(user.id)
                    .push_bind(job.type_id)
                    .push_bind("campaign")
                    .push_bind(r.data.as_str())
                    .push_bind("{}")
                    .push_bind(status)
                    .push_bind(status)
                    .push_bind(user.sendable.then_some(now))
                    .push_bind(CAMPAIGN_PRIORITY)
                    .push_bind(job.id)
                    .push_bind(now)
                    .push_bind(now);
            });
            insert.push(
                " ON CONFLICT (campaign_id, user_id) WHERE campaign_id IS NOT NULL DO NOTHING
                 RETURNING user_id, status",
            );
            insert.build_query_as().fetch_all(conn).await?
        });
        let mut stored_users = std::collections::HashSet::with_capacity(stored.len());
        for (user_id, status) in stored {
            stored_users.insert(user_id);
            if status == "queued" {
                counts.queued += 1;
            } else {
                counts.suppressed += 1;
            }
        }
        for (row, user) in placed {
            if !stored_users.contains(&user.id) {
                counts.duplicates += 1;
                notes.push(RowNote {
                    line: row.line,
                    kind: "duplicate",
                    email: Some(row.email.clone()),
                    detail: "an earlier row has the same address: this row's parameters were applied, the campaign's email was already queued".into(),
                    record: None,
                });
            }
        }
    }
    Ok(())
}

async fn insert_notes(tx: &mut Tx, campaign_id: i64, notes: &[RowNote]) -> sqlx::Result<()> {
    for chunk in notes.chunks(EMAILS_CHUNK) {
        with_tx!(&mut *tx, |conn| {
            let mut insert = QueryBuilder::new(
                "INSERT INTO campaign_rows (campaign_id, line, kind, email, detail, record) ",
            );
            insert.push_values(chunk, |mut row, note| {
                row.push_bind(campaign_id)
                    .push_bind(note.line)
                    .push_bind(note.kind)
                    .push_bind(note.email.as_deref())
                    .push_bind(note.detail.as_str())
                    .push_bind(note.record.as_deref());
            });
            insert.build().execute(conn).await?.rows_affected()
        });
    }
    Ok(())
}
