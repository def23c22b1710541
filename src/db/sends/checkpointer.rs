//! The checkpointer of the SQLite send writer's database: a connection of its own, on a thread of its
//! own, that copies the WAL into the database file beside the writer (see `Checkpointer`).
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    time::Duration,
};

use rusqlite::Connection;

/// How often the checkpointer copies the pages committed to the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// WAL frames (pages) from which the WAL should start over, so that it does not grow without end: 128 MiB,
/// about a second of sends at full load. (Starting over costs the writer a short checkpoint with two
/// fsyncs, a pause of the waiting sends, so it should be rare.)
const RESTART_WAL_FRAMES: i64 = 32_768;

/// Checkpoints the send writer's database on a thread of its own.
///
/// SQLite appends every committed page to the WAL and copies the pages back into the database file at a
/// checkpoint. By default the connection that commits runs one whenever the WAL reaches 1,000 pages, as
/// part of its commit. For the send writer, which appends about a WAL page per email, that meant tens
/// of checkpoints a second under load, each with two fsyncs inside a commit that every waiting send
/// waits for (the measurements are in end2end/bench/RESULTS.md). Now the writer
/// never checkpoints on its own; this thread does, every `CHECKPOINT_EVERY`, beside the writer (a
/// passive checkpoint does not block it) and copies each page once however often it was rewritten in
/// between.
///
/// The WAL starts over only at a write transaction that finds all of it copied, which under a steady
/// load seldom happens while the checkpointer runs beside the writer. So when the WAL has grown past
/// `RESTART_WAL_FRAMES`, the checkpointer catches up and then asks the writer to copy the last few
/// pages itself, between two batches: its next transaction starts the WAL over.
pub(super) struct Checkpointer {
    conn: Connection,
    restart_wal: Arc<AtomicBool>,
    /// `RESTART_WAL_FRAMES`, or fewer in tests.
    pub(super) restart_frames: i64,
    /// The WAL's copied frames at the last sync (a pass that copies nothing new syncs nothing).
    copied: i64,
}

impl Checkpointer {
    /// A checkpointer on `conn` (a second connection to the writer's database) that asks the writer
    /// through `restart_wal` to let the WAL start over.
    pub(super) fn new(conn: Connection, restart_wal: Arc<AtomicBool>) -> Checkpointer {
        Checkpointer {
            conn,
            restart_wal,
            restart_frames: RESTART_WAL_FRAMES,
            copied: 0,
        }
    }

    /// Runs the checkpointer on a thread of its own until the returned sender is dropped.
    pub(super) fn spawn(self) -> std::io::Result<mpsc::Sender<()>> {
        let (stop, stopped) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || self.run(stopped))?;
        Ok(stop)
    }

    fn run(mut self, stop: mpsc::Receiver<()>) {
        while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
            if let Err(e) = self.checkpoint() {
                tracing::warn!(error = %e, "SQLite checkpoint failed");
            }
        }
    }

    /// One pass; true when it copied pages into the database file (and so synced it).
    pub(super) fn checkpoint(&mut self) -> rusqlite::Result<bool> {
        let (mut frames, mut copied) = passive_checkpoint(&self.conn)?;
        let mut synced = self.sync_copied(copied)?;
        if frames >= self.restart_frames && !self.restart_wal.load(Ordering::Relaxed) {
            // Catch up with what the writer appended during the pass (a shorter pass each time).
            for _ in 0..3 {
                if frames - copied < 256 {
                    break;
                }
                (frames, copied) = passive_checkpoint(&self.conn)?;
            }
            synced |= self.sync_copied(copied)?;
            self.restart_wal.store(true, Ordering::Relaxed);
        }
        Ok(synced)
    }

    /// Syncs the database file when the WAL's `copied` frames differ from the last sync's: `copied`
    /// counts from the WAL's start, so it changes when a pass copied pages (or when the WAL started over
    /// since, after which the writer has appended new ones). True when it synced.
    fn sync_copied(&mut self, copied: i64) -> rusqlite::Result<bool> {
        let new = copied > 0 && copied != self.copied;
        if new {
            sync_database_file(&self.conn)?;
        }
        self.copied = copied;
        Ok(new)
    }
}

/// Flushes the pages that checkpoints copied into the database file to the disk.
///
/// A checkpoint that copies the whole WAL syncs the database file before the WAL may start over; one
/// that copies only part of it (the checkpointer's, as the writer keeps appending) does not. So without
/// this every page copied since the WAL last started over (up to `RESTART_WAL_FRAMES` of them, 128 MiB)
/// waited in the kernel for the writer's last checkpoint, whose fsync held every waiting send (the p99
/// stalls in end2end/bench/RESULTS.md). Synced here after each pass, on the checkpointer's
/// thread, the writer's fsync finds only its own last pages.
fn sync_database_file(conn: &Connection) -> rusqlite::Result<()> {
    let mut file: *mut rusqlite::ffi::sqlite3_file = std::ptr::null_mut();
    // SAFETY: `conn.handle()` is the connection's open handle, used only on this thread.
    // SQLITE_FCNTL_FILE_POINTER writes the `sqlite3_file` of the "main" database (owned by the
    // connection, valid while it is open) into `file`; its `xSync` is the VFS's own fsync of that file.
    let rc = unsafe {
        let rc = rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_FILE_POINTER,
            (&raw mut file).cast(),
        );
        match (rc, file.as_ref().and_then(|f| f.pMethods.as_ref())) {
            (rusqlite::ffi::SQLITE_OK, Some(methods)) => match methods.xSync {
                Some(sync) => sync(file, rusqlite::ffi::SQLITE_SYNC_NORMAL),
                None => rusqlite::ffi::SQLITE_OK,
            },
            (rusqlite::ffi::SQLITE_OK, None) => rusqlite::ffi::SQLITE_OK,
            (rc, _) => rc,
        }
    };
    if rc == rusqlite::ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rc),
            Some("cannot sync the database file".into()),
        ))
    }
}

/// Copies what it can of the WAL into the database file without waiting for anyone; returns the WAL's
/// frames and how many of them are copied (both 0 while another connection checkpoints).
pub(super) fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        let busy: bool = row.get(0)?;
        Ok(if busy {
            (0, 0)
        } else {
            (row.get(1)?, row.get(2)?)
        })
    })
}
