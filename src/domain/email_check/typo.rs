//! Typo correction of the domain, in the spirit of mailcheck.js: the closest known provider domain,
//! compared name and suffix separately, else the closest common TLD. What is fixed outright and
//! what is only suggested is described in the parent module's documentation.

use super::distance::{edits_within, typing_cost};
use super::lists::{
    COMMON_SUFFIXES, DISPOSABLE_DOMAINS, DISTINCT_DOMAINS, PROVIDER_DOMAINS, REAL_TLDS,
    WELL_KNOWN_BRANDS,
};
use super::syntax::{is_never_typed, is_valid_tld};

/// A longer domain cannot become a valid one by fixing a slip; skipping it keeps huge input cheap.
const MAX_DOMAIN_LEN: usize = 253;
/// At most two slips between a typed domain and a provider's, mailcheck's threshold.
const MAX_EDITS: usize = 2;
/// The typing cost of one dropped letter (see `distance`).
const TRUNCATION_COST: usize = 2;

/// What the corrector makes of a domain: the domain to use and perhaps a likelier one to offer.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Correction {
    pub(super) domain: String,
    pub(super) suggestion: Option<&'static str>,
}

/// A provider domain the typed one is near, and whether the slip is certain enough to fix.
#[derive(Debug, Clone, Copy)]
struct Near {
    domain: &'static str,
    sure: bool,
}

/// Corrects a tidied (lower-cased, dot-cleaned) domain: the domain to use, and perhaps one to suggest.
pub(super) fn correct(domain: &str) -> Correction {
    // Control or invisible characters betray a broken client: guessing past them would hide it.
    if domain.len() > MAX_DOMAIN_LEN || is_known(domain) || domain.chars().any(is_never_typed) {
        return keep(domain.to_owned(), None);
    }
    if let Some(provider) = joined_provider(domain) {
        return keep(provider.to_owned(), None);
    }
    let near = nearest_provider(domain);
    if let Some(Near {
        domain: provider,
        sure: true,
    }) = near
    {
        return keep(provider.to_owned(), None);
    }
    if let Some(fixed) = fix_unknown_tld(domain) {
        return settle(fixed);
    }
    keep(domain.to_owned(), near.map(|n| n.domain))
}

/// A result that keeps `domain`, with an optional suggestion.
fn keep(domain: String, suggestion: Option<&'static str>) -> Correction {
    Correction { domain, suggestion }
}

/// Finishes a TLD fix: the name may be a provider's slip too, as in `fmail.con`.
fn settle(fixed: String) -> Correction {
    if is_known(&fixed) {
        return keep(fixed, None);
    }
    match nearest_provider(&fixed) {
        Some(Near { domain, sure: true }) => keep(domain.to_owned(), None),
        near => keep(fixed, near.map(|n| n.domain)),
    }
}

/// True for a domain on one of the built-in lists: real, so never a slip.
fn is_known(domain: &str) -> bool {
    [PROVIDER_DOMAINS, DISTINCT_DOMAINS, DISPOSABLE_DOMAINS]
        .iter()
        .any(|list| list.contains(&domain))
}

/// `gmailcom` for `gmail.com`: a provider domain typed without its dots.
fn joined_provider(domain: &str) -> Option<&'static str> {
    if domain.contains('.') {
        return None;
    }
    PROVIDER_DOMAINS
        .iter()
        .copied()
        .find(|provider| provider.chars().filter(|&c| c != '.').eq(domain.chars()))
}

/// The typed domain cut as providers' are: the first label (the name) and the rest (the suffix).
struct Typed<'a> {
    name: Vec<char>,
    suffix: Vec<char>,
    suffix_text: &'a str,
}

/// The provider domain nearest to `domain`, ties going to the most used one but never "sure".
fn nearest_provider(domain: &str) -> Option<Near> {
    let (name, suffix) = domain.split_once('.')?;
    if suffix.is_empty() {
        return None;
    }
    let typed = Typed {
        name: name.chars().collect(),
        suffix: suffix.chars().collect(),
        suffix_text: suffix,
    };
    let mut best: Option<(usize, Near)> = None;
    let mut tied = false;
    for &provider in PROVIDER_DOMAINS {
        let Some((cost, sure)) = compare(&typed, provider) else {
            continue;
        };
        match best {
            Some((best_cost, _)) if cost > best_cost => {}
            Some((best_cost, _)) if cost == best_cost => tied = true,
            _ => {
                best = Some((
                    cost,
                    Near {
                        domain: provider,
                        sure,
                    },
                ));
                tied = false;
            }
        }
    }
    // Two equally likely providers: the slip is real but its fix is a guess.
    best.map(|(_, near)| Near {
        sure: near.sure && !tied,
        ..near
    })
}

/// Typing cost from `typed` to `provider` and whether the slip is sure, if they are near at all.
fn compare(typed: &Typed<'_>, provider: &'static str) -> Option<(usize, bool)> {
    let (brand, tld) = provider.split_once('.')?;
    let brand_chars: Vec<char> = brand.chars().collect();
    let tld_chars: Vec<char> = tld.chars().collect();
    let name_edits = edits_within(&typed.name, &brand_chars, name_limit(&brand_chars))?;
    let suffix_edits = edits_within(&typed.suffix, &tld_chars, suffix_limit(typed.suffix_text))?;
    let total = name_edits + suffix_edits;
    if total == 0 || total > MAX_EDITS {
        return None;
    }
    let sure = (name_edits == 0 || is_sure_name_slip(&typed.name, brand, name_edits))
        && (suffix_edits == 0 || is_sure_suffix_slip(typed.suffix_text, brand));
    let cost = typing_cost(&typed.name, &brand_chars) + suffix_cost(typed.suffix_text, tld);
    Some((cost, sure))
}

/// Typing cost of a suffix; one cut short counts as one dropped letter whatever it lacks, since
/// `hotmail.c` may stop short of `.ca` as well as of `.com` (a tie, so not fixed).
fn suffix_cost(typed: &str, meant: &str) -> usize {
    if meant.len() > typed.len() && meant.starts_with(typed) {
        return TRUNCATION_COST;
    }
    let typed: Vec<char> = typed.chars().collect();
    let meant: Vec<char> = meant.chars().collect();
    typing_cost(&typed, &meant)
}

/// Slips allowed in a provider's name: none in short names (`me`, `aol`, `live` have too many
/// real neighbours), one in names of 5 to 7 letters, two in longer ones.
fn name_limit(brand: &[char]) -> usize {
    match brand.len() {
        0..5 => 0,
        5..8 => 1,
        _ => 2,
    }
}

/// Slips allowed in the suffix: one, or two when the typed TLD cannot exist anyway (`gmail.c`).
fn suffix_limit(suffix: &str) -> usize {
    if is_valid_tld(last_label(suffix)) {
        1
    } else {
        2
    }
}

/// A name slip is fixed outright only when it is one slip from a well-known name (so five letters
/// or more, given `name_limit`) and keeps its first letter: `gmial`, `yaho`, `outlok` are fixed,
/// `fmail` (perhaps another service) is only suggested.
fn is_sure_name_slip(name: &[char], brand: &str, edits: usize) -> bool {
    edits == 1
        && WELL_KNOWN_BRANDS.contains(&brand)
        && name.first() == brand.chars().next().as_ref()
}

/// A suffix slip is fixed outright unless the typed suffix is itself a common one (`gmail.co`
/// may be meant), and, for names that are not well known, only when the typed TLD does not exist
/// (`web.dee`, but not `mail.ry`, which could be a ccTLD).
fn is_sure_suffix_slip(suffix: &str, brand: &str) -> bool {
    !COMMON_SUFFIXES.contains(&suffix)
        && (WELL_KNOWN_BRANDS.contains(&brand) || !may_exist(last_label(suffix)))
}

/// A TLD typed on purpose, perhaps: common, known to be real, any two-letter code (the ccTLD
/// space), or an IDN one.
fn may_exist(tld: &str) -> bool {
    let two_letters = tld.len() == 2 && tld.bytes().all(|b| b.is_ascii_alphabetic());
    two_letters
        || !tld.is_ascii()
        || tld.starts_with("xn--")
        || COMMON_SUFFIXES.contains(&tld)
        || REAL_TLDS.contains(&tld)
}

/// `company.con` → `company.com`: a TLD of three letters or more that does not exist, one slip
/// from a common single-label one (the most used of equally near ones).
fn fix_unknown_tld(domain: &str) -> Option<String> {
    let (rest, tld) = domain.rsplit_once('.')?;
    let plausible = tld.len() >= 3 && tld.bytes().all(|b| b.is_ascii_lowercase());
    if rest.is_empty() || !plausible || may_exist(tld) {
        return None;
    }
    let typed: Vec<char> = tld.chars().collect();
    let mut best: Option<(usize, &str)> = None;
    for &common in COMMON_SUFFIXES.iter().filter(|s| !s.contains('.')) {
        let meant: Vec<char> = common.chars().collect();
        if edits_within(&typed, &meant, 1).is_none() {
            continue;
        }
        let cost = typing_cost(&typed, &meant);
        if best.is_none_or(|(best_cost, _)| cost < best_cost) {
            best = Some((cost, common));
        }
    }
    best.map(|(_, common)| format!("{rest}.{common}"))
}

/// The last label of a domain or suffix.
fn last_label(domain: &str) -> &str {
    domain.rsplit_once('.').map_or(domain, |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_an_exact_suffix_as_free_and_a_cut_short_one_as_one_slip() {
        assert_eq!(suffix_cost("com", "com"), 0);
        assert_eq!(suffix_cost("c", "com"), suffix_cost("c", "ca"));
        assert!(suffix_cost("co.u", "co.uk") < suffix_cost("co.u", "com"));
    }

    #[test]
    fn knows_which_tlds_may_be_typed_on_purpose() {
        for tld in ["com", "cm", "co", "cam", "dev", "рф", "xn--p1ai"] {
            assert!(may_exist(tld), "{tld}");
        }
        for tld in ["con", "cmo", "comm", "nte", "ogr", "dee"] {
            assert!(!may_exist(tld), "{tld}");
        }
    }
}
