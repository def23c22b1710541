use super::*;

/// Real-world slips: (typed, expected `email`, expected `suggestion`). All come out valid.
const SLIPS: &[(&str, &str, Option<&str>)] = &[
    // Formatting slips
    (" anna@gmial,com ", "anna@gmail.com", None),
    ("anna@gmail,com", "anna@gmail.com", None),
    ("anna@gmail..com", "anna@gmail.com", None),
    ("anna@gmail.com.", "anna@gmail.com", None),
    ("anna@gmail.com..", "anna@gmail.com", None),
    ("anna@gmail,,com", "anna@gmail.com", None),
    ("anna@gmail,.com", "anna@gmail.com", None),
    ("anna@.gmail.com", "anna@gmail.com", None),
    (" Anna@GMAIL.COM ", "anna@gmail.com", None),
    ("x@GMail.Com", "x@gmail.com", None),
    ("\tanna@gmail.com\r\n", "anna@gmail.com", None),
    ("\u{FEFF}anna@gmail.com\u{200B}", "anna@gmail.com", None),
    ("anna@ gmail.com", "anna@gmail.com", None),
    ("anna@gmail.com .", "anna@gmail.com", None),
    ("x@yahoo.co.uk.", "x@yahoo.co.uk", None),
    ("x@mail.example.co.uk.", "x@mail.example.co.uk", None),
    ("x@example\u{3002}com", "x@example.com", None),
    (
        "x@\u{FF47}\u{FF4D}\u{FF41}\u{FF49}\u{FF4C}\u{FF0E}\u{FF43}\u{FF4F}\u{FF4D}",
        "x@gmail.com",
        None,
    ),
    ("x@GMA\u{130}L.COM", "x@gmail.com", None),
    ("\"john doe\"@GMIAL.COM", "\"john doe\"@gmail.com", None),
    ("x@Example.ORG", "x@example.org", None),
    ("x@BÜCHER.DE", "x@bücher.de", None),
    (
        "Anna.Smith+News@GMIAL.COM",
        "anna.smith+news@gmail.com",
        None,
    ),
    // Provider names
    ("anna@gmial.com", "anna@gmail.com", None),
    ("x@gmai.com", "x@gmail.com", None),
    ("x@gamil.com", "x@gmail.com", None),
    ("x@gmaill.com", "x@gmail.com", None),
    ("x@gnail.com", "x@gmail.com", None),
    ("x@gmal.com", "x@gmail.com", None),
    ("x@gmali.com", "x@gmail.com", None),
    ("x@gmaio.com", "x@gmail.com", None),
    ("x@gmail .com", "x@gmail.com", None),
    ("bob@hotmial.com", "bob@hotmail.com", None),
    ("x@hotmai.com", "x@hotmail.com", None),
    ("x@hotamil.com", "x@hotmail.com", None),
    ("x@homail.com", "x@hotmail.com", None),
    ("x@hotmaill.com", "x@hotmail.com", None),
    ("x@hormail.com", "x@hotmail.com", None),
    ("x@hotmial.co.uk", "x@hotmail.co.uk", None),
    ("bob@yaho.com", "bob@yahoo.com", None),
    ("bob@yahooo.com", "bob@yahoo.com", None),
    ("x@yhaoo.com", "x@yahoo.com", None),
    ("x@yaho.co.uk", "x@yahoo.co.uk", None),
    ("x@yahooo.fr", "x@yahoo.fr", None),
    ("bob@outlok.com", "bob@outlook.com", None),
    ("x@outllok.com", "x@outlook.com", None),
    ("x@otulook.com", "x@outlook.com", None),
    ("x@iclod.com", "x@icloud.com", None),
    ("x@iclould.com", "x@icloud.com", None),
    ("x@protonmial.com", "x@protonmail.com", None),
    ("x@googlemial.com", "x@googlemail.com", None),
    ("x@comcats.net", "x@comcast.net", None),
    ("x@yandx.ru", "x@yandex.ru", None),
    // Provider suffixes
    ("x@gmail.con", "x@gmail.com", None),
    ("x@gmail.cmo", "x@gmail.com", None),
    ("x@gmail.cm", "x@gmail.com", None),
    ("x@gmail.comm", "x@gmail.com", None),
    ("x@gmail.ocm", "x@gmail.com", None),
    ("x@gmail.cpm", "x@gmail.com", None),
    ("x@gmail.vom", "x@gmail.com", None),
    ("x@gmail.xom", "x@gmail.com", None),
    ("x@gmail.c", "x@gmail.com", None),
    ("x@hotmail.co.u", "x@hotmail.co.uk", None),
    ("x@gmial.con", "x@gmail.com", None),
    ("x@hotmail.con", "x@hotmail.com", None),
    ("x@hotmail.cm", "x@hotmail.com", None),
    ("x@hotmail.co.ul", "x@hotmail.co.uk", None),
    ("x@yahoo.cmo", "x@yahoo.com", None),
    ("x@yahoo.cm", "x@yahoo.com", None),
    ("x@yahoo.couk", "x@yahoo.co.uk", None),
    ("x@outlook.con", "x@outlook.com", None),
    ("x@icloud.con", "x@icloud.com", None),
    ("x@protonmail.con", "x@protonmail.com", None),
    ("x@comcast.nte", "x@comcast.net", None),
    ("x@verizon.ent", "x@verizon.net", None),
    ("x@yandex.ri", "x@yandex.ru", None),
    ("x@aol.con", "x@aol.com", None),
    ("x@aol.cm", "x@aol.com", None),
    ("x@live.cm", "x@live.com", None),
    ("x@msn.cmo", "x@msn.com", None),
    ("x@gmx.dee", "x@gmx.de", None),
    ("x@gmx.ne", "x@gmx.net", None),
    ("x@web.dee", "x@web.de", None),
    ("x@mail.con", "x@mail.com", None),
    ("x@me.con", "x@me.com", None),
    ("x@gmailcom", "x@gmail.com", None),
    ("x@hotmailcom", "x@hotmail.com", None),
    // Other domains' TLDs that do not exist
    ("x@company.con", "x@company.com", None),
    ("x@company.cmo", "x@company.com", None),
    ("x@company.comm", "x@company.com", None),
    ("x@example.nte", "x@example.net", None),
    ("x@example.ogr", "x@example.org", None),
    ("x@mail.example.con", "x@mail.example.com", None),
    ("x@cloud.con", "x@cloud.com", None),
    // Suggested only
    ("x@gmail.co", "x@gmail.co", Some("x@gmail.com")),
    ("X@GMAIL.CO", "x@gmail.co", Some("x@gmail.com")),
    ("x@hotmail.co", "x@hotmail.co", Some("x@hotmail.com")),
    ("x@yahoo.co", "x@yahoo.co", Some("x@yahoo.com")),
    ("x@outlook.co", "x@outlook.co", Some("x@outlook.com")),
    ("x@naver.co", "x@naver.co", Some("x@naver.com")),
    ("x@gmial.co", "x@gmial.co", Some("x@gmail.com")),
    ("x@fmail.com", "x@fmail.com", Some("x@gmail.com")),
    ("x@uahoo.com", "x@uahoo.com", Some("x@yahoo.com")),
    (
        "x@sbcgloble.net",
        "x@sbcgloble.net",
        Some("x@sbcglobal.net"),
    ),
    ("x@mail.ry", "x@mail.ry", Some("x@mail.ru")),
    ("x@outlook.fe", "x@outlook.fe", Some("x@outlook.fr")),
    ("x@fmail.con", "x@fmail.com", Some("x@gmail.com")),
];

/// Valid addresses that must come back exactly as typed, with no suggestion.
const UNTOUCHED: &[&str] = &[
    "anna@gmail.com",
    "anna.smith+news@gmail.com",
    "anna+news@mail.example.co.uk",
    "\"Anna Smith\"@example.com",
    "user@mail.com",
    "user@email.com",
    "user@ymail.com",
    "user@googlemail.com",
    "user@gmx.net",
    "user@gmx.de",
    "user@live.com",
    "user@me.com",
    "user@mac.com",
    "user@aol.com",
    "user@web.de",
    "user@mail.ru",
    "user@yandex.ru",
    "user@hotmail.co.uk",
    "user@yahoo.co.uk",
    "user@outlook.de",
    "user@proton.me",
    "user@qq.com",
    "user@163.com",
    "user@cloud.com",
    "user@wahoo.com",
    "user@company.cm",
    "user@company.co",
    "user@example.cam",
    "user@example.dev",
    "user@example.museum",
    "user@bücher.de",
    "почта@пример.рф",
    "用户@例子.广告",
    "josé@correo.es",
    "x@xn--bcher-kva.de",
    "\"john doe\"@example.com",
    "\"john@doe\"@example.com",
    "o'brien@example.ie",
    "user%relay@example.org",
    "!#$%&'*+-/=?^_`{|}~@example.com",
    "1234567890@example.com",
    "user@123.example.com",
    "user@my-company-name.com",
    "user@a-b.c-d.example.io",
    "user@sub.sub2.example.co.jp",
    "a@b.co",
];

fn assert_valid(check: &EmailCheck) {
    assert!(check.valid, "{check:?}");
    assert_eq!(check.reason, None, "{check:?}");
}

#[test]
fn corrects_or_suggests_for_real_world_slips() {
    for &(typed, email, suggestion) in SLIPS {
        let check = check_email(typed);
        assert_valid(&check);
        assert_eq!(check.email, email, "{typed:?}");
        assert_eq!(check.suggestion.as_deref(), suggestion, "{typed:?}");
        assert_eq!(check.changed, email != typed, "{typed:?}");
        assert_eq!(check.input, typed);
    }
    assert!(SLIPS.len() >= 60);
}

#[test]
fn leaves_valid_addresses_alone() {
    let long_but_legal = format!(
        "{}@{}.{}.{}.example.com",
        "l".repeat(64),
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(49)
    );
    assert_eq!(long_but_legal.len(), 254);
    let long_label = format!("user@{}.com", "d".repeat(63));
    let owned = [long_but_legal, long_label];
    let all = UNTOUCHED
        .iter()
        .copied()
        .chain(owned.iter().map(String::as_str));
    for typed in all {
        let check = check_email(typed);
        assert_valid(&check);
        assert_eq!(check.email, typed);
        assert!(!check.changed, "{typed:?}");
        assert_eq!(check.suggestion, None, "{typed:?}");
    }
    assert!(UNTOUCHED.len() >= 30);
}

#[test]
fn serializes_as_the_contract_shows() {
    let json = serde_json::to_value(check_email(" anna@gmial,com ")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "input": " anna@gmial,com ", "email": "anna@gmail.com", "valid": true, "changed": true,
            "reason": null, "suggestion": null, "disposable": false
        })
    );
    let json = serde_json::to_value(check_email("anna@")).unwrap();
    assert_eq!(json["reason"], "syntax");
    let json = serde_json::to_value(check_email(&format!("{}@x.com", "a".repeat(65)))).unwrap();
    assert_eq!(json["reason"], "too_long");
    assert_eq!(
        serde_json::to_value(InvalidReason::LocalPart).unwrap(),
        "local_part"
    );
}

fn assert_reason(typed: &str, reason: InvalidReason) {
    let check = check_email(typed);
    assert_eq!(check.reason, Some(reason), "{typed:?} → {check:?}");
    assert!(!check.valid);
    assert_eq!(check.suggestion, None);
}

#[test]
fn reports_syntax_errors() {
    for typed in [
        "",
        "   ",
        "anna",
        "anna.gmail.com",
        "anna@",
        "@gmail.com",
        "@",
        "a@b@c.com",
        "anna@@gmail.com",
        "anna@...",
    ] {
        assert_reason(typed, InvalidReason::Syntax);
    }
}

#[test]
fn reports_local_part_errors() {
    for typed in [
        "anna smith@example.com",
        ".anna@example.com",
        "anna.@example.com",
        "an..na@example.com",
        "anna\u{0}@example.com",
        "an\u{200B}na@example.com",
        "an\u{A0}na@example.com",
        "\"unclosed@example.com",
        "anna(comment)@example.com",
        "anna,smith@example.com",
        "Anna <anna@example.com>",
    ] {
        assert_reason(typed, InvalidReason::LocalPart);
    }
}

#[test]
fn reports_domain_errors() {
    let long_label = format!("anna@{}.com", "a".repeat(64));
    for typed in [
        "anna@localhost",
        "anna@gmail",
        "anna@-example.com",
        "anna@example-.com",
        "anna@example.c",
        // Cut short between .com and .ca: no sure fix, and no suggestion for an invalid address.
        "anna@hotmail.c",
        "anna@example.123",
        "anna@1.2.3.4",
        "anna@[127.0.0.1]",
        "anna@ex_ample.com",
        "anna@exa mple.com",
        "anna@example.com1",
        "anna@exa\u{200B}mple.com",
        "anna@gmail.com\u{0}",
        "anna@gmail.com\u{FFFD}",
        long_label.as_str(),
    ] {
        assert_reason(typed, InvalidReason::Domain);
    }
}

#[test]
fn reports_too_long_addresses() {
    assert_reason(
        &format!("{}@example.com", "a".repeat(65)),
        InvalidReason::TooLong,
    );
    let too_long = format!(
        "a@{}.{}.{}.{}.com",
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(63),
        "e".repeat(57)
    );
    assert_eq!(too_long.len(), 255);
    assert_reason(&too_long, InvalidReason::TooLong);
    assert_reason(&"a".repeat(300), InvalidReason::TooLong);
}

#[test]
fn invalid_addresses_are_still_normalized() {
    let check = check_email(" anna smith@GMIAL.com ");
    assert_eq!(check.email, "anna smith@gmail.com");
    assert!(check.changed);
    assert_eq!(check.reason, Some(InvalidReason::LocalPart));
    assert_eq!(check.suggestion, None);

    let check = check_email("anna");
    assert_eq!(check.email, "anna");
    assert!(!check.changed);

    // A suggestion would point at the wrong problem.
    let check = check_email("anna smith@gmail.co");
    assert_eq!(check.suggestion, None);
}

#[test]
fn flags_disposable_domains() {
    for typed in [
        "x@mailinator.com",
        "x@MAILINATOR.COM",
        "x@eu.mailinator.com",
        "x@yopmail.com",
        "x@guerrillamail.com",
        "x@10minutemail.com",
        "x@temp-mail.org",
        "x@sharklasers.com",
        "x@maildrop.cc",
    ] {
        let check = check_email(typed);
        assert!(check.disposable && check.valid, "{check:?}");
    }
    let fixed = check_email("x@mailinator.con");
    assert!(fixed.disposable);
    assert_eq!(fixed.email, "x@mailinator.com");
    for typed in [
        "x@gmail.com",
        "x@notmailinator.com",
        "x@mailinator.com.example.org",
        "mailinator.com",
    ] {
        assert!(!check_email(typed).disposable, "{typed:?}");
    }
}

/// Deterministic xorshift generator: odd input without a new crate.
struct Noise(u64);

impl Noise {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    /// Up to `most` fragments, glued together.
    fn pick(&mut self, fragments: &[&str], most: usize) -> String {
        let count = self.below(most + 1);
        (0..count)
            .map(|_| fragments[self.below(fragments.len())])
            .collect()
    }
}

const LOCAL_FRAGMENTS: &[&str] = &["anna", "Z", "0", ".", "+tag", "\"", " ", "é", "_", "@"];

const DOMAIN_FRAGMENTS: &[&str] = &[
    "gmail",
    "gmial",
    "yahoo",
    "hotmial",
    "outlok",
    "mail",
    "company",
    "com",
    "con",
    "cmo",
    "co",
    "uk",
    "de",
    ".",
    ".",
    ".",
    ",",
    "-",
    " ",
    "é",
    "İ",
    "xn--",
    "рф",
    "mailinator",
    "1",
    "\u{3002}",
    "\u{FF21}",
    "\u{200B}",
];

/// Fragments that hit the tricky paths: separators, quotes, Unicode case and width, invisibles.
const FRAGMENTS: &[&str] = &[
    "a",
    "Z",
    "0",
    "@",
    ".",
    ",",
    "-",
    "_",
    " ",
    "\t",
    "\n",
    "\"",
    "\\",
    "[",
    "]",
    "<",
    ">",
    "(",
    "+",
    "é",
    "ß",
    "İ",
    "ẞ",
    "Σ",
    "\u{0}",
    "\u{7F}",
    "\u{85}",
    "\u{A0}",
    "\u{200B}",
    "\u{FEFF}",
    "\u{3002}",
    "\u{FF0E}",
    "\u{FF0C}",
    "\u{FF21}",
    "\u{301}",
    "\u{FFFD}",
    "😀",
    "рф",
    "gmail",
    "gmial",
    "com",
    "con",
    "co.uk",
    "xn--",
    "yahoo",
    "mailinator",
    "@gmail.com",
    "\"@\"",
];

fn assert_consistent(input: &str) {
    let check = check_email(input);
    assert_eq!(check.valid, check.reason.is_none(), "{input:?}");
    assert_eq!(check.changed, check.email != input, "{input:?}");
    assert!(check.suggestion.is_none() || check.valid, "{input:?}");
    if check.valid {
        assert!(
            email_address::EmailAddress::is_valid(&check.email),
            "{input:?}"
        );
    }
    // Normalizing is idempotent: a stored address checks as unchanged.
    let again = check_email(&check.email);
    assert_eq!(again.email, check.email, "{input:?}");
    assert!(!again.changed, "{input:?}");
}

#[test]
fn never_panics_and_stays_consistent_on_odd_input() {
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let input = noise.pick(FRAGMENTS, 24);
        assert_consistent(&input);
    }
    // Address-shaped input, to reach the typo corrector and the valid paths as well.
    for _ in 0..3000 {
        let input = format!(
            "{}@{}.{}",
            noise.pick(LOCAL_FRAGMENTS, 4),
            noise.pick(DOMAIN_FRAGMENTS, 3),
            noise.pick(DOMAIN_FRAGMENTS, 2)
        );
        assert_consistent(&input);
    }
    let huge = [
        "a".repeat(100_000),
        "@".repeat(10_000),
        ".".repeat(10_000),
        format!("{}@gmail.com", "a".repeat(70_000)),
        format!("a@{}", "gmial.".repeat(50_000)),
        format!("a@{}com", "é".repeat(100_000)),
        format!("\"{}\"@x.com", "\\".repeat(1_001)),
    ];
    for input in &huge {
        assert_consistent(input);
    }
}

/// The shortcuts for text that is already normal (`tidy_domain` and `fold_local_part` borrowing their
/// input) give what the character-by-character forms give, on the tables and on generated text.
#[test]
fn shortcuts_agree_with_the_full_normalization() {
    let mut noise = Noise(0x2545_F491_4F6C_DD1D);
    let mut texts: Vec<String> = SLIPS
        .iter()
        .map(|(typed, ..)| typed.to_string())
        .chain(UNTOUCHED.iter().map(|t| t.to_string()))
        .chain(
            [
                "gmail.com",
                "a-b.example",
                "x1.co.uk",
                ".com",
                "com.",
                "a..b",
                "-",
            ]
            .map(String::from),
        )
        .collect();
    for _ in 0..3000 {
        texts.push(noise.pick(FRAGMENTS, 12));
        texts.push(noise.pick(DOMAIN_FRAGMENTS, 4));
        texts.push(noise.pick(LOCAL_FRAGMENTS, 4));
    }
    let mut borrowed = 0;
    for text in &texts {
        for part in [text.as_str()]
            .into_iter()
            .chain(text.rsplit_once('@').map(|(_, d)| d))
        {
            let tidy = tidy_domain(part);
            assert_eq!(tidy, tidied(part), "{part:?}");
            if matches!(tidy, Cow::Borrowed(_)) {
                borrowed += 1;
            }
            let local = fold_local_part(part);
            let expected = if part.starts_with('"') {
                part.to_owned()
            } else {
                part.to_lowercase()
            };
            assert_eq!(local, expected, "{part:?}");
        }
    }
    assert!(borrowed > 100, "only {borrowed} domains took the shortcut");
}
