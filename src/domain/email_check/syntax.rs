//! Validity of a normalized address: RFC 5321/5322 syntax (via the `email_address` crate) plus the
//! host-name rules that crate leaves out, each failure mapped to the reason the API reports.

use super::InvalidReason;

/// RFC 5321 path limit (256) minus the angle brackets, as RFC 3696 erratum 1690 states it.
const MAX_ADDRESS_LEN: usize = 254;
/// RFC 5321, 4.5.3.1.1.
const MAX_LOCAL_PART_LEN: usize = 64;
/// RFC 1035, 2.3.4.
const MAX_LABEL_LEN: usize = 63;

/// Why `email` is not a deliverable-looking address, or `None` when it is one.
///
/// Lengths are counted in UTF-8 octets, as SMTPUTF8 (RFC 6531) transmits them. The checks run
/// from the coarsest to the finest, so the reason names the first thing to fix.
pub(super) fn invalid_reason(email: &str) -> Option<InvalidReason> {
    if email.len() > MAX_ADDRESS_LEN {
        return Some(InvalidReason::TooLong);
    }
    // The domain cannot contain `@`, so the last one separates; an `@` left in the local part is legal only quoted.
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Some(InvalidReason::Syntax);
    };
    if local.is_empty() || domain.is_empty() || (local.contains('@') && !is_quoted(local)) {
        return Some(InvalidReason::Syntax);
    }
    if local.len() > MAX_LOCAL_PART_LEN {
        return Some(InvalidReason::TooLong);
    }
    if !is_valid_local_part(local) {
        return Some(InvalidReason::LocalPart);
    }
    if !is_valid_domain(domain) {
        return Some(InvalidReason::Domain);
    }
    // Belt and braces: the parts pass, so the crate's whole-address parse should too.
    email_address::EmailAddress::parse_with_options(email, strict_options())
        .err()
        .map(|_| InvalidReason::Syntax)
}

/// A bare mailbox: no display name (`Anna <anna@…>`), no IP-literal domain.
fn strict_options() -> email_address::Options {
    email_address::Options::default()
        .without_display_text()
        .without_domain_literal()
        .with_required_tld()
}

/// True for a local part written as one quoted string (`"john doe"`).
pub(super) fn is_quoted(local: &str) -> bool {
    local.len() >= 2 && local.starts_with('"') && local.ends_with('"')
}

/// RFC 5322 dot-atom or quoted string, without characters that only ever arrive by accident.
fn is_valid_local_part(local: &str) -> bool {
    let quoted = is_quoted(local);
    email_address::EmailAddress::is_valid_local_part(local)
        // The crate admits any non-ASCII character; invisible ones are paste accidents, and
        // non-ASCII spaces may only appear inside quotes, like ASCII ones.
        && !local.chars().any(|c| is_never_typed(c) || (!quoted && c.is_whitespace()))
}

/// A host name: at least two labels of letters, digits and inner hyphens (any visible non-ASCII
/// character counts as a letter, for IDN), each at most 63 octets, under a plausible TLD.
fn is_valid_domain(domain: &str) -> bool {
    domain.contains('.')
        && domain.split('.').all(is_valid_label)
        && domain.rsplit('.').next().is_some_and(is_valid_tld)
        && email_address::EmailAddress::is_valid_domain(domain)
}

/// One label of a host name (RFC 1123 letters-digits-hyphens, extended to Unicode for IDN).
fn is_valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= MAX_LABEL_LEN
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(is_host_char)
}

/// A character that may appear in a label; `_` and the other RFC 5322 atext symbols may not.
fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '-'
        || (!c.is_ascii() && !c.is_whitespace() && !is_never_typed(c))
}

/// A top-level domain that can exist: two characters or more, not a number, and in ASCII letters
/// only unless it is an IDN (A-label `xn--…` or Unicode).
pub(super) fn is_valid_tld(tld: &str) -> bool {
    let ascii_ok =
        !tld.is_ascii() || tld.starts_with("xn--") || tld.bytes().all(|b| b.is_ascii_alphabetic());
    tld.chars().nth(1).is_some() && !tld.chars().all(|c| c.is_ascii_digit()) && ascii_ok
}

/// Control characters, invisible format characters and the replacement character: nobody types
/// them into an address, they come from pasting or broken encodings.
pub(super) fn is_never_typed(c: char) -> bool {
    c.is_control() || is_invisible(c) || c == '\u{FFFD}'
}

/// Zero-width and direction marks, word joiners, the byte-order mark and the soft hyphen.
/// Zero-width (non-)joiners are left out: some scripts need them inside IDN labels.
pub(super) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}
