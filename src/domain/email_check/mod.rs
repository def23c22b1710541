//! "Check email" (`POST /v1/email/check`, and the normalization inside Send): brings an address to
//! its correct form, says whether it is valid, and offers the likely intended address when it
//! looks mistyped. Send stores the normalized form, so one mailbox is one recipient.
//!
//! # Changed automatically (`changed: true`, `email` corrected)
//! Only slips with one plausible reading:
//! - whitespace and invisible characters (zero-width space, byte-order mark…) around the address;
//! - in the domain: lower case (Unicode), fullwidth ASCII narrowed, `,` and ideographic full
//!   stops read as `.`, doubled dots collapsed, dots and whitespace at either end removed;
//! - a provider domain typed without its dots: `gmailcom` → `gmail.com`;
//! - a near miss of a known provider domain (at most two slips in all, ranked by keyboard
//!   distance, a cut-short suffix counting as one slip, with a single nearest candidate) where
//!   every differing part is a sure slip:
//!   - the name (first label) is one slip from a *well-known* name of five letters or more and
//!     keeps its first letter: `gmial`, `gmai`, `gamil`, `hotmial`, `yaho`, `yahooo`, `outlok`;
//!   - the suffix is one slip from the provider's (two if the typed TLD cannot exist, as in
//!     `gmail.c`), is not itself a common suffix, and either the name is well known or the
//!     typed TLD does not exist: `gmail.con`, `gmail.cmo`, `gmail.cm`, `yahoo.couk`, `web.dee`;
//! - any other domain whose TLD does not exist (three letters or more, neither common nor
//!   known to be real) and is one slip from a common TLD: `company.con` → `company.com`.
//!
//! # Only suggested (`suggestion: Some(..)`, `email` kept)
//! A valid address whose domain is near a provider domain but not surely a slip: the typed
//! suffix is a real common one (`gmail.co`, `hotmail.co`), the name changes its first letter
//! (`fmail.com`), needs two slips (`sbcgloble.net`), or belongs to a less known provider
//! (`mail.ry`), or two providers are equally near (`outlook.fe`). Invalid addresses get no
//! suggestion: the reason is what needs fixing first.
//!
//! # The local part
//! Lower-cased when unquoted (one user per mailbox, as every provider treats case); otherwise kept
//! exactly as typed (quotes, `+tags`, dots and all).
//!
//! # Never changed
//! known provider, disposable and listed look-alike domains (`mail.com`, `gmx.net`,
//! `live.com`, `me.com`, `cloud.com`); names of providers shorter than five letters (too many
//! real neighbours); real TLDs of other domains (`company.cm`, `example.co`); IDN domains,
//! beyond lower-casing.

mod distance;
mod lists;
mod syntax;
#[cfg(test)]
mod tests;
mod typo;

use std::borrow::Cow;

/// The outcome of checking one address, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EmailCheck {
    /// The address exactly as received.
    pub input: String,
    /// The address in its correct form (best effort when invalid).
    pub email: String,
    /// True when `email` passes RFC 5321/5322 syntax and has a plausible domain.
    pub valid: bool,
    /// True when `email` differs from `input`.
    pub changed: bool,
    /// Why the address is invalid; `None` exactly when `valid`.
    pub reason: Option<InvalidReason>,
    /// A likely intended address for a valid one that looks mistyped but was not changed.
    pub suggestion: Option<String>,
    /// True when the domain belongs to a disposable-mailbox service.
    pub disposable: bool,
}

/// Why an address is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidReason {
    /// Not shaped like `local@domain`: no `@`, several unquoted ones, or an empty side.
    Syntax,
    /// The domain is not a plausible host name.
    Domain,
    /// The local part has characters or dots RFC 5322 does not allow.
    LocalPart,
    /// Longer than 254 octets in all, or than 64 in the local part.
    TooLong,
}

/// Normalizes and checks one address (see the module documentation for the rules).
pub fn check_email(input: &str) -> EmailCheck {
    let (email, suggestion, disposable) = normalize(input);
    let reason = syntax::invalid_reason(&email);
    EmailCheck {
        input: input.to_owned(),
        changed: email != input,
        valid: reason.is_none(),
        suggestion: suggestion.filter(|_| reason.is_none()),
        reason,
        disposable,
        email,
    }
}

/// The normalized address, perhaps a suggested one, and whether its domain is disposable.
fn normalize(input: &str) -> (String, Option<String>, bool) {
    let trimmed = trim(input);
    // The domain cannot contain `@`, so the last one is the separator even with a quoted local part.
    let Some((local, domain)) = trimmed.rsplit_once('@') else {
        return (trimmed.to_owned(), None, false);
    };
    let local = fold_local_part(local);
    let verdict = domain_verdict(&tidy_domain(domain));
    let correction = &verdict.correction;
    let suggestion = correction
        .suggestion
        .map(|domain| format!("{local}@{domain}"));
    (
        format!("{local}@{}", correction.domain),
        suggestion,
        verdict.disposable,
    )
}

/// What a checked address's domain alone decides: its correction, and whether the corrected domain is
/// disposable.
struct DomainVerdict {
    correction: typo::Correction,
    disposable: bool,
}

/// The `DomainVerdict` of a tidied domain, through a memo: senders mail the same few domains over and
/// over, and the comparison with every known provider (and with every disposable domain) is the
/// costliest step of a check.
fn domain_verdict(domain: &str) -> std::sync::Arc<DomainVerdict> {
    use std::{
        collections::HashMap,
        sync::{Arc, LazyLock, Mutex},
    };
    const MAX_DOMAINS: usize = 10_000;
    static MEMO: LazyLock<Mutex<HashMap<String, Arc<DomainVerdict>>>> =
        LazyLock::new(Mutex::default);
    if let Some(known) = MEMO.lock().ok().and_then(|m| m.get(domain).cloned()) {
        return known;
    }
    let correction = typo::correct(domain);
    let verdict = Arc::new(DomainVerdict {
        disposable: is_disposable(&correction.domain),
        correction,
    });
    if let Ok(mut memo) = MEMO.lock() {
        if memo.len() >= MAX_DOMAINS {
            memo.clear();
        }
        memo.insert(domain.to_owned(), verdict.clone());
    }
    verdict
}

/// An unquoted local part in lower case. RFC 5321 lets a server treat `Anna` and `anna` as two
/// mailboxes, but no mailbox provider does, and the contract stores one user per mailbox
/// (`Anna@Example.com` is stored as `anna@example.com`). A quoted local part is kept exactly. (Borrowed
/// when already so: most addresses arrive in lower-case ASCII.)
fn fold_local_part(local: &str) -> Cow<'_, str> {
    if local.starts_with('"')
        || (local.is_ascii() && !local.bytes().any(|b| b.is_ascii_uppercase()))
    {
        Cow::Borrowed(local)
    } else {
        Cow::Owned(local.to_lowercase())
    }
}

/// Strips what pasting adds around an address: whitespace and invisible characters.
fn trim(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || syntax::is_invisible(c))
}

/// Deterministic domain fixes: lower case, look-alike dots as `.`, no empty labels, clean ends.
/// (Borrowed when there is nothing to fix, as in most addresses.)
fn tidy_domain(domain: &str) -> Cow<'_, str> {
    if is_tidy(domain) {
        Cow::Borrowed(domain)
    } else {
        Cow::Owned(tidied(domain))
    }
}

/// `tidy_domain`'s fixes, made one character at a time.
fn tidied(domain: &str) -> String {
    let mut tidy = String::with_capacity(domain.len());
    for c in domain.to_lowercase().chars().map(narrow) {
        let c = if is_dot_like(c) { '.' } else { c };
        // A dot at the start or right after another would make an empty label.
        if c == '.' && (tidy.is_empty() || tidy.ends_with('.')) {
            continue;
        }
        tidy.push(c);
    }
    // Whitespace next to a dot at the end is part of the same slip (`gmail.com .`).
    tidy.trim_matches(|c: char| c == '.' || c.is_whitespace() || syntax::is_invisible(c))
        .to_owned()
}

/// True for a domain that `tidy_domain` would keep as it is: lower-case ASCII letters, digits, `-` and
/// `.`, no dot at either end or after another.
fn is_tidy(domain: &str) -> bool {
    domain
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// Fullwidth ASCII (typed with East Asian input methods) as plain ASCII, as UTS 46 maps it.
fn narrow(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// The comma (next to the full stop on most keyboards) and the other IDNA dot separators
/// (RFC 3490, 3.1; the fullwidth one is narrowed before).
fn is_dot_like(c: char) -> bool {
    matches!(c, ',' | '\u{3002}' | '\u{FF61}')
}

/// True for a disposable-mailbox domain or a subdomain of one.
fn is_disposable(domain: &str) -> bool {
    lists::DISPOSABLE_DOMAINS.iter().any(|disposable| {
        domain
            .strip_suffix(disposable)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
    })
}
