//! What storing a batch of sends takes and gives, and the steps of it that both databases share.
use std::collections::{BTreeMap, HashMap};

use crate::domain::UserParams;

/// A send: an email to enqueue, already validated, the address normalized. The API builds it from the
/// request; `services::emails::send` gives it its message id.
#[derive(Debug, Clone)]
pub struct NewEmail {
    /// Empty until `services::emails::send` assigns it.
    pub message_id: String,
    pub project_id: i64,
    pub type_id: i64,
    pub category: String,
    pub email: String,
    pub params: UserParams,
    /// The send's `data` and `meta` objects, serialized.
    pub data: String,
    pub meta: String,
    /// Recorded in the same transaction, so that a repeat of the request finds it.
    pub idempotency: Option<IdempotencyKey>,
}

/// An `Idempotency-Key` of an account's request, with the hash of the request body.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub account_id: i64,
    pub key: String,
    pub request_hash: String,
}

/// How long an Idempotency-Key is remembered.
pub(super) const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// The outcome of `enqueue_email`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnqueueOutcome {
    Stored(Enqueued),
    /// Another request with the same Idempotency-Key was stored first; nothing was written.
    KeyTaken,
}

/// What enqueuing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    pub user_id: i64,
    pub user_created: bool,
    pub status: &'static str,
}

/// Claims an Idempotency-Key for a send (an expired record of the same key is replaced). `$1` account,
/// `$2` key, `$3` request hash, `$4` message id, `$5` now, `$6` the oldest live time. No row changed: the
/// key is live, taken by an earlier request. `user_created` is set after the users are written.
pub(super) const IDEMPOTENCY_CLAIM_SQL: &str = "INSERT INTO idempotency_keys (account_id, key,
      request_hash, message_id, user_created, created_at)
    VALUES ($1, $2, $3, $4, 0, $5)
    ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash,
      message_id = excluded.message_id, user_created = 0, created_at = excluded.created_at
    WHERE idempotency_keys.created_at < $6";

/// `$1` account, `$2` key.
pub(super) const IDEMPOTENCY_USER_CREATED_SQL: &str =
    "UPDATE idempotency_keys SET user_created = 1 WHERE account_id = $1 AND key = $2";

/// The users of a batch's live sends: each (project, email) once, with the parameters of its sends
/// merged in order. Sorted, so that every process takes row locks in the same order.
pub(super) fn wanted_users<'a>(
    batch: &'a [NewEmail],
    live: &[bool],
) -> BTreeMap<(i64, &'a str), UserParams> {
    let mut wanted: BTreeMap<(i64, &str), UserParams> = BTreeMap::new();
    for (email, _) in batch.iter().zip(live).filter(|(_, live)| **live) {
        wanted
            .entry((email.project_id, email.email.as_str()))
            .and_modify(|p| *p = p.merged_with(&email.params))
            .or_insert_with(|| email.params.clone());
    }
    wanted
}

/// A live send of a batch as step 3 of storing the batch places it: with its user and first status.
pub(super) struct PlacedEmail<'a> {
    pub email: &'a NewEmail,
    pub user_id: i64,
    pub status: &'static str,
}

/// A batch's user as step 3 reads it: id, whether it can be mailed, and whether this batch created it.
pub(super) struct BatchUser {
    pub id: i64,
    pub sendable: bool,
    /// Created by this batch and not yet claimed by its first send.
    pub created: bool,
}

/// Step 3 of storing a batch, on either database: every live send gets its user's id and its first
/// status (`queued`, or `suppressed` for a user who cannot be mailed), and every send its outcome, in
/// the order of `batch`. `users`: those step 2 found or created, by (project, email); only the first
/// send to a new user says it created it. `None` if a live send's user is not among them.
pub(super) fn place_emails<'a>(
    batch: &'a [NewEmail],
    live: &[bool],
    users: &mut HashMap<(i64, &'a str), BatchUser>,
) -> Option<(Vec<EnqueueOutcome>, Vec<PlacedEmail<'a>>)> {
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut placed = Vec::with_capacity(batch.len());
    for (email, live) in batch.iter().zip(live) {
        if !*live {
            outcomes.push(EnqueueOutcome::KeyTaken);
            continue;
        }
        let user = users.get_mut(&(email.project_id, email.email.as_str()))?;
        let status = if user.sendable {
            "queued"
        } else {
            "suppressed"
        };
        placed.push(PlacedEmail {
            email,
            user_id: user.id,
            status,
        });
        outcomes.push(EnqueueOutcome::Stored(Enqueued {
            user_id: user.id,
            user_created: std::mem::take(&mut user.created),
            status,
        }));
    }
    Some((outcomes, placed))
}

/// Step 4 of storing a batch: the Idempotency-Keys of the sends that created their user, whose records
/// say so (for the replay).
pub(super) fn keys_of_created_users<'a>(
    batch: &'a [NewEmail],
    outcomes: &'a [EnqueueOutcome],
) -> impl Iterator<Item = &'a IdempotencyKey> {
    batch
        .iter()
        .zip(outcomes)
        .filter_map(|(email, outcome)| match outcome {
            EnqueueOutcome::Stored(Enqueued {
                user_created: true, ..
            }) => email.idempotency.as_ref(),
            _ => None,
        })
}
