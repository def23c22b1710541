//! Turns at SQLite's write lock for the process's long-running writers.
//!
//! SQLite has one writer at a time, and a connection that finds the write lock taken sleeps and tries
//! again (its busy handler sleeps 1, 2, 5, … up to 100 ms between tries). A writer that commits batch
//! after batch with hardly a gap (a campaign's import) then keeps the others out by luck of timing: a
//! send waited up to 0.7 s behind an import of 1,000-row batches. So the send writer and the importer
//! take turns through a fair lock (tokio's `Mutex` serves waiters first come, first served): a send
//! waits for at most the batch in hand. Other writers (delivery, the panel) still rely on the busy
//! handler; their writes are short and seldom. One lock per database file of the process (SQLite's
//! locks are per file; tests open many databases in one process).
use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex, Weak},
};

use sqlx::sqlite::SqliteConnectOptions;

/// The lock whose holder may write to one SQLite database.
pub type WriteTurns = Arc<tokio::sync::Mutex<()>>;

/// The turns of the database that `options` opens (shared by every caller with the same file).
pub fn write_turns(options: &SqliteConnectOptions) -> WriteTurns {
    static TURNS: LazyLock<Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>> =
        LazyLock::new(Mutex::default);
    let file = options.get_filename().to_string_lossy().into_owned();
    let mut turns = TURNS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(existing) = turns.get(&file).and_then(Weak::upgrade) {
        return existing;
    }
    turns.retain(|_, lock| lock.strong_count() > 0);
    let lock = WriteTurns::default();
    turns.insert(file, Arc::downgrade(&lock));
    lock
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[tokio::test]
    async fn one_lock_per_file_served_in_order() {
        let a = SqliteConnectOptions::from_str("sqlite:///tmp/mailroom-turns-a.db").unwrap();
        let b = SqliteConnectOptions::from_str("sqlite:///tmp/mailroom-turns-b.db").unwrap();
        let (a1, a2, b1) = (write_turns(&a), write_turns(&a), write_turns(&b));
        assert!(Arc::ptr_eq(&a1, &a2));
        assert!(!Arc::ptr_eq(&a1, &b1));
        // Another file's turn is free while this one's is held.
        let held = a1.clone().lock_owned().await;
        assert!(b1.try_lock().is_ok());
        // A waiter queued before a later try gets the lock first.
        let waiter = tokio::spawn({
            let a2 = a2.clone();
            async move {
                let _turn = a2.lock().await;
            }
        });
        tokio::task::yield_now().await;
        drop(held);
        assert!(a1.try_lock().is_err(), "the queued waiter has the turn");
        waiter.await.unwrap();
        assert!(a1.try_lock().is_ok());
    }
}
