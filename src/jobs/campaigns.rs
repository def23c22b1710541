//! The campaign importer: takes a launched campaign's import (under a lease, so that several processes
//! on one PostgreSQL share the work and a stopped process's import is taken over), reads its file row
//! by row on a thread of its own, and stores the rows in batches, each with the point the import
//! resumes from. It also marks done the campaigns whose emails have all gone out.
use std::{
    collections::HashMap,
    io::{BufReader, Seek, SeekFrom},
    path::PathBuf,
    sync::Arc,
    time::Duration,
};

use serde_json::Value;
use tokio::{
    sync::{Notify, mpsc, watch},
    task::JoinHandle,
};

use crate::{
    db::{Db, ImportBatch, ImportJob, ImportRow, RowNote, now_ms},
    domain::campaign_csv::{self, Column, FileError, RowReader},
};

/// How the importer behaves.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Rows per transaction: small enough that a send waiting for SQLite's write lock waits little.
    pub batch_rows: usize,
    /// How long an import is held without a stored batch before another process may take it over.
    pub lease: Duration,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            batch_rows: 1000,
            lease: Duration::from_secs(15),
        }
    }
}

pub struct Importer {
    db: Db,
    dir: PathBuf,
    options: ImportOptions,
    /// Wakes the delivery workers after each batch of queued emails.
    delivery_wake: Arc<Notify>,
    /// Wakes the importer before its next look (a launch in this process).
    wake: Arc<Notify>,
}

/// A running importer.
pub struct ImporterHandle {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl ImporterHandle {
    /// Stops after the batch in hand (the import resumes from there on the next start).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(30), self.handle).await;
    }
}

impl Importer {
    pub fn new(
        db: Db,
        dir: PathBuf,
        options: ImportOptions,
        delivery_wake: Arc<Notify>,
    ) -> Importer {
        Importer {
            db,
            dir,
            options,
            delivery_wake,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Looks for due imports as soon as `wake` is notified, not only every second.
    pub fn woken_by(self, wake: Arc<Notify>) -> Importer {
        Importer { wake, ..self }
    }

    /// Runs until stopped: imports whatever is due, looks again every second.
    pub fn spawn(self) -> ImporterHandle {
        let (stop, mut stopped) = watch::channel(false);
        let handle = tokio::spawn(async move {
            while !*stopped.borrow() {
                let idle = match self.run_once(&stopped).await {
                    Ok(true) => continue,
                    Ok(false) => Duration::from_secs(1),
                    Err(e) => {
                        tracing::error!(error = %e, "campaign import failed; retrying in 5 s");
                        Duration::from_secs(5)
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(idle) => {}
                    _ = self.wake.notified() => {}
                    _ = stopped.changed() => {}
                }
            }
        });
        ImporterHandle { stop, handle }
    }

    /// Imports every due campaign to its end (tests use it to run imports to completion); returns how
    /// many imports ran.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let (_stop, stopped) = watch::channel(false);
        let mut imports = 0;
        while self.run_once(&stopped).await? {
            imports += 1;
        }
        Ok(imports)
    }

    /// Marks done the finished campaigns, then imports one due campaign, if any (true).
    async fn run_once(&self, stopped: &watch::Receiver<bool>) -> anyhow::Result<bool> {
        self.db.finish_sent_campaigns().await?;
        let Some(job) = self.db.claim_import(self.lease_until()).await? else {
            return Ok(false);
        };
        let path = self.dir.join(&job.file_name);
        if !path.exists() {
            // Another host's upload: left to the processes that share its folder (the lease runs out).
            tracing::warn!(campaign = job.id, path = %path.display(), "the campaign's file is not in this process's upload folder");
            return Ok(false);
        }
        self.import(job, path, stopped).await?;
        Ok(true)
    }

    fn lease_until(&self) -> i64 {
        now_ms() + self.options.lease.as_millis() as i64
    }

    async fn import(
        &self,
        job: ImportJob,
        path: PathBuf,
        stopped: &watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let mapping: Vec<Column> = serde_json::from_str::<Vec<String>>(&job.mapping)?
            .iter()
            .map(|code| Column::from_code(code).unwrap_or(Column::Ignore))
            .collect();
        let (sender, mut batches) = mpsc::channel(2);
        let reader = {
            let (job, batch_rows) = (job.clone(), self.options.batch_rows);
            std::thread::Builder::new()
                .name("campaign-reader".into())
                .spawn(move || read_batches(&path, &job, &mapping, batch_rows, sender))?
        };
        tracing::info!(
            campaign = job.id,
            from_line = job.next_line,
            "campaign import started"
        );
        let mut finished = true;
        while let Some(batch) = batches.recv().await {
            let mut batch = match batch {
                Ok(batch) => batch,
                Err(e) => {
                    self.db.fail_import(job.id, &e.to_string()).await?;
                    tracing::warn!(campaign = job.id, error = %e, "campaign import failed");
                    finished = false;
                    break;
                }
            };
            for row in &mut batch.rows {
                row.message_id = crate::services::emails::message_id();
            }
            let stored = self
                .db
                .store_import_batch(&job, &batch, self.lease_until())
                .await?;
            if stored.is_none() {
                tracing::info!(
                    campaign = job.id,
                    "campaign import stopped (paused or cancelled)"
                );
                finished = false;
                break;
            }
            self.delivery_wake.notify_waiters();
            if *stopped.borrow() {
                finished = false;
                break;
            }
        }
        drop(batches);
        let _ = reader.join();
        if finished && self.db.finish_import(job.id).await? {
            tracing::info!(campaign = job.id, "campaign import finished");
            if let Err(e) = tokio::fs::remove_file(self.dir.join(&job.file_name)).await {
                tracing::warn!(error = %e, "could not delete an imported campaign file");
            }
        }
        Ok(())
    }
}

/// Reads the file from the job's resume point and sends batches of `batch_rows` rows (each row
/// validated; within a batch the last row of an address wins) until the end or until the receiver
/// is gone.
fn read_batches(
    path: &std::path::Path,
    job: &ImportJob,
    mapping: &[Column],
    batch_rows: usize,
    sender: mpsc::Sender<Result<ImportBatch, FileError>>,
) {
    let open = || -> Result<_, FileError> {
        let mut file = std::fs::File::open(path).map_err(|e| FileError::Io(e.to_string()))?;
        file.seek(SeekFrom::Start(job.next_offset as u64))
            .map_err(|e| FileError::Io(e.to_string()))?;
        Ok(RowReader::new(
            BufReader::with_capacity(256 * 1024, file),
            job.delimiter.bytes().next().unwrap_or(b','),
            job.next_offset as u64,
            job.next_line as u64,
        ))
    };
    let mut reader = match open() {
        Ok(reader) => reader,
        Err(e) => {
            let _ = sender.blocking_send(Err(e));
            return;
        }
    };
    loop {
        let batch = read_batch(&mut reader, mapping, batch_rows);
        let last = !matches!(&batch, Ok(b) if b.rows_read as usize == batch_rows);
        let empty = matches!(&batch, Ok(b) if b.rows_read == 0);
        if empty || sender.blocking_send(batch).is_err() || last {
            return;
        }
    }
}

fn read_batch<R: std::io::Read>(
    reader: &mut RowReader<R>,
    mapping: &[Column],
    batch_rows: usize,
) -> Result<ImportBatch, FileError> {
    let mut batch = ImportBatch::default();
    let mut by_email: HashMap<String, usize> = HashMap::with_capacity(batch_rows);
    while (batch.rows_read as usize) < batch_rows {
        let Some((line, fields)) = reader.next_row()? else {
            break;
        };
        batch.rows_read += 1;
        let line = line as i64;
        match campaign_csv::read_row(mapping, &fields) {
            Err(reason) => {
                batch.rejected += 1;
                let written = mapping
                    .iter()
                    .position(|c| *c == Column::Email)
                    .and_then(|i| fields.get(i))
                    .map(|e| e.trim().to_owned())
                    .filter(|e| !e.is_empty());
                batch.notes.push(RowNote {
                    line,
                    kind: "rejected",
                    email: written,
                    detail: reason,
                    record: Some(Value::from(fields).to_string()),
                });
            }
            Ok(row) => {
                if let Some(from) = &row.corrected_from {
                    batch.corrected += 1;
                    batch.notes.push(RowNote {
                        line,
                        kind: "corrected",
                        email: Some(row.email.clone()),
                        detail: format!("\"{from}\" corrected to {}", row.email),
                        record: None,
                    });
                }
                let stored = ImportRow {
                    line,
                    email: row.email,
                    params: row.params,
                    data: row.data,
                    message_id: String::new(),
                };
                match by_email.get(&stored.email) {
                    Some(&earlier) => {
                        batch.duplicates += 1;
                        let replaced = std::mem::replace(&mut batch.rows[earlier], stored);
                        batch.notes.push(RowNote {
                            line: replaced.line,
                            kind: "duplicate",
                            email: Some(replaced.email),
                            detail: format!(
                                "line {line} has the same address; the later row was used",
                            ),
                            record: None,
                        });
                    }
                    None => {
                        by_email.insert(stored.email.clone(), batch.rows.len());
                        batch.rows.push(stored);
                    }
                }
            }
        }
    }
    let (offset, line) = reader.resume_point()?;
    batch.next_offset = offset as i64;
    batch.next_line = line as i64;
    Ok(batch)
}
