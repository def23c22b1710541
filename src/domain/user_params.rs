//! The parameters stored per user (see "User parameters" in the API contract), parsed field by field
//! from a JSON object so that every bad field gets its own error.
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::codes::{is_country_code, is_language_code};

/// A subset of the user parameters; `None` means "not given" (a JSON `null` is treated the same way).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserParams {
    pub name: Option<String>,
    pub gender: Option<String>,
    pub platform_id: Option<i64>,
    pub country_id: Option<String>,
    pub list_id: Option<i64>,
    pub client_user_id: Option<String>,
    pub ak: Option<String>,
    pub age: Option<i64>,
    pub photo: Option<String>,
    pub language_id: Option<String>,
}

/// Errors by JSON path (`user.email`, `age`, …), as the problem answer's `errors`.
pub type FieldErrors = BTreeMap<String, String>;

/// Platform ids: 0 Unknown, 1 Desktop, 3 Mobile, 4 Android App, 5 iOS App (2 is retired).
pub const PLATFORM_IDS: [i64; 5] = [0, 1, 3, 4, 5];
const MAX_TEXT: usize = 255;

/// A field of a JSON object, as the validation reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field<'a> {
    /// Not given, or `null`.
    Absent,
    Str(&'a str),
    /// A number that is an integer within i64.
    Int(i64),
    /// Anything else: another number, a boolean, an array or an object.
    Other,
}

/// A JSON object whose fields are validated one by one: a parsed `serde_json` object, or an object read
/// straight from a request's text (see `api::send_body`).
pub trait Fields {
    fn field(&self, name: &str) -> Field<'_>;
}

impl Fields for Map<String, Value> {
    fn field(&self, name: &str) -> Field<'_> {
        match self.get(name) {
            None | Some(Value::Null) => Field::Absent,
            Some(Value::String(s)) => Field::Str(s),
            Some(Value::Number(n)) => n.as_i64().map_or(Field::Other, Field::Int),
            Some(_) => Field::Other,
        }
    }
}

impl UserParams {
    /// Reads the known fields of `object`; `prefix` is the JSON path of the object (`"user."` or `""`).
    pub fn parse(object: &dyn Fields, prefix: &str, errors: &mut FieldErrors) -> UserParams {
        let mut reader = Reader {
            object,
            prefix,
            errors,
        };
        UserParams {
            name: reader.text("name", MAX_TEXT),
            gender: reader.text("gender", 1).and_then(|g| {
                reader.check(
                    "gender",
                    g,
                    |g| matches!(g.as_str(), "m" | "f" | "u"),
                    "must be m, f or u",
                )
            }),
            platform_id: reader.integer("platform_id").and_then(|p| {
                reader.check(
                    "platform_id",
                    p,
                    |p| PLATFORM_IDS.contains(p),
                    "must be 0, 1, 3, 4 or 5",
                )
            }),
            country_id: reader
                .text("country_id", 2)
                .map(|c| c.to_ascii_uppercase())
                .and_then(|c| {
                    reader.check(
                        "country_id",
                        c,
                        |c| is_country_code(c),
                        "must be an ISO 3166-1 alpha-2 country code",
                    )
                }),
            list_id: reader
                .integer("list_id")
                .and_then(|l| reader.check("list_id", l, |l| *l >= 0, "must be 0 or more")),
            client_user_id: reader.text("client_user_id", MAX_TEXT),
            ak: reader.text("ak", MAX_TEXT),
            age: reader.integer("age").and_then(|a| {
                reader.check(
                    "age",
                    a,
                    |a| (0..=150).contains(a),
                    "must be between 0 and 150",
                )
            }),
            photo: reader.text("photo", 2048).and_then(|p| {
                reader.check(
                    "photo",
                    p,
                    |p| is_http_url(p),
                    "must be an absolute http(s) URL",
                )
            }),
            language_id: reader
                .text("language_id", 2)
                .map(|l| l.to_ascii_lowercase())
                .and_then(|l| {
                    reader.check(
                        "language_id",
                        l,
                        |l| is_language_code(l),
                        "must be an ISO 639-1 language code",
                    )
                }),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == UserParams::default()
    }

    /// These parameters updated by `later` (a later request's given fields win; absent ones stay).
    pub fn merged_with(&self, later: &UserParams) -> UserParams {
        fn pick<T: Clone>(earlier: &Option<T>, later: &Option<T>) -> Option<T> {
            later.clone().or_else(|| earlier.clone())
        }
        UserParams {
            name: pick(&self.name, &later.name),
            gender: pick(&self.gender, &later.gender),
            platform_id: pick(&self.platform_id, &later.platform_id),
            country_id: pick(&self.country_id, &later.country_id),
            list_id: pick(&self.list_id, &later.list_id),
            client_user_id: pick(&self.client_user_id, &later.client_user_id),
            ak: pick(&self.ak, &later.ak),
            age: pick(&self.age, &later.age),
            photo: pick(&self.photo, &later.photo),
            language_id: pick(&self.language_id, &later.language_id),
        }
    }

    /// True when applying these parameters to `stored` would change something.
    pub fn would_change(&self, stored: &UserParams) -> bool {
        stored.merged_with(self) != *stored
    }
}

fn is_http_url(text: &str) -> bool {
    url::Url::parse(text)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

struct Reader<'a> {
    object: &'a dyn Fields,
    prefix: &'a str,
    errors: &'a mut FieldErrors,
}

impl Reader<'_> {
    fn fail(&mut self, field: &str, message: &str) {
        self.errors
            .insert(format!("{}{field}", self.prefix), message.to_owned());
    }

    fn check<T>(
        &mut self,
        field: &str,
        value: T,
        ok: impl Fn(&T) -> bool,
        message: &str,
    ) -> Option<T> {
        if ok(&value) {
            Some(value)
        } else {
            self.fail(field, message);
            None
        }
    }

    fn text(&mut self, field: &str, max_chars: usize) -> Option<String> {
        match self.object.field(field) {
            Field::Absent => None,
            Field::Str(s) if s.chars().any(|c| c.is_control()) => {
                self.fail(field, "must not contain control characters");
                None
            }
            Field::Str(s) if s.chars().count() > max_chars => {
                self.fail(field, &format!("must be at most {max_chars} characters"));
                None
            }
            Field::Str(s) => Some(s.trim().to_owned()),
            Field::Int(_) | Field::Other => {
                self.fail(field, "must be a string");
                None
            }
        }
    }

    fn integer(&mut self, field: &str) -> Option<i64> {
        match self.object.field(field) {
            Field::Absent => None,
            Field::Int(i) => Some(i),
            Field::Str(_) | Field::Other => {
                self.fail(field, "must be an integer");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(value: Value) -> (UserParams, FieldErrors) {
        let mut errors = FieldErrors::new();
        let params = UserParams::parse(value.as_object().unwrap(), "user.", &mut errors);
        (params, errors)
    }

    #[test]
    fn accepts_and_normalizes_valid_parameters() {
        let (p, errors) = parse(json!({
            "name": " Anna ", "gender": "f", "platform_id": 5, "country_id": "de", "list_id": 0,
            "client_user_id": "u-1", "ak": "secret", "age": 31, "photo": "https://cdn.example.com/a.png",
            "language_id": "EN", "unknown": true
        }));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(p.name.as_deref(), Some("Anna"));
        assert_eq!(p.country_id.as_deref(), Some("DE"));
        assert_eq!(p.language_id.as_deref(), Some("en"));
        assert_eq!(p.platform_id, Some(5));
    }

    #[test]
    fn merges_later_fields_over_earlier_ones() {
        let (first, _) = parse(json!({"name": "Anna", "age": 30}));
        let (second, _) = parse(json!({"age": 31, "language_id": "en"}));
        let merged = first.merged_with(&second);
        assert_eq!(merged.name.as_deref(), Some("Anna"));
        assert_eq!(merged.age, Some(31));
        assert_eq!(merged.language_id.as_deref(), Some("en"));
        assert!(second.would_change(&first));
        assert!(!first.would_change(&merged.merged_with(&first)));
        assert!(!UserParams::default().would_change(&first));
    }

    #[test]
    fn reports_every_bad_field_by_path() {
        let (p, errors) = parse(json!({
            "name": "x".repeat(256), "gender": "x", "platform_id": 2, "country_id": "XX", "list_id": -1,
            "age": 151, "photo": "ftp://x", "language_id": "zz", "ak": 5, "client_user_id": "a\u{0}b"
        }));
        assert!(p.is_empty());
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "user.age",
                "user.ak",
                "user.client_user_id",
                "user.country_id",
                "user.gender",
                "user.language_id",
                "user.list_id",
                "user.name",
                "user.photo",
                "user.platform_id"
            ]
        );
        assert_eq!(errors["user.platform_id"], "must be 0, 1, 3, 4 or 5");
    }

    #[test]
    fn null_means_not_given_and_floats_are_not_integers() {
        let (p, errors) = parse(json!({ "name": null, "age": 30.5 }));
        assert_eq!(p.name, None);
        assert_eq!(errors["user.age"], "must be an integer");
    }
}
