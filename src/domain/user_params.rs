//! The parameters stored per user (see "User parameters" in the API contract), parsed field by field
//! from a JSON object so that every bad field gets its own error.
//! The struct is also compiled for the panel (`model::User` flattens it); the parsing, the database
//! and the OpenAPI parts are the server's.
#[cfg(feature = "ssr")]
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use serde_json::{Map, Value, json};

#[cfg(feature = "ssr")]
use super::codes::{COUNTRIES, LANGUAGES, is_country_code, is_language_code};

/// Declares `UserParams` from one list: per parameter its documentation and OpenAPI constraints, its
/// type and the rule that parses it (given the reader and the parameter's name). What else names the
/// parameters is generated from the list: the columns of `users` (of the same names, see `NAMES`), the
/// database reads and binds, the merge, the JSON and the OpenAPI schema (`UserParamsDoc`). So a new
/// parameter is an entry here and a migration adding its column.
macro_rules! user_params {
    ($(
        $(#[doc = $doc:literal])*
        $(#[schema($($schema:tt)*)])?
        $field:ident: $ty:ty = $rule:expr;
    )*) => {
        /// The parameters stored per user, or a subset of them; `None` means "not given" (a JSON `null`
        /// is treated the same way). Requests are read with `parse`, which checks each rule. The serde
        /// derives are for the parameters' JSON in answers and in the database's statements (`null`
        /// when not given); the row types of `db` flatten them (`#[sqlx(flatten)]`).
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sqlx::FromRow, utoipa::ToSchema))]
        #[cfg_attr(
            feature = "ssr",
            schema(
                as = UserParamsDoc,
                description = "User parameters, all optional (see the contract for each rule)."
            )
        )]
        pub struct UserParams {
            $(
                $(#[doc = $doc])*
                $(#[cfg_attr(feature = "ssr", schema($($schema)*))])?
                pub $field: Option<$ty>,
            )*
        }

        impl UserParams {
            pub const COUNT: usize = [$(stringify!($field)),*].len();
            /// The parameters' names, in order: their JSON fields, and their columns in `users`.
            pub const NAMES: [&'static str; UserParams::COUNT] = [$(stringify!($field)),*];
        }

        #[cfg(feature = "ssr")]
        impl UserParams {

            /// Reads the known fields of `object`; `prefix` is the JSON path of the object (`"user."`
            /// or `""`). Every bad field gets its own entry in `errors` (and is `None`).
            pub fn parse(object: &dyn Fields, prefix: &str, errors: &mut FieldErrors) -> UserParams {
                let mut reader = Reader {
                    object,
                    prefix,
                    errors,
                };
                UserParams {
                    $($field: {
                        let rule: fn(&mut Reader<'_>, &'static str) -> Option<$ty> = $rule;
                        rule(&mut reader, stringify!($field))
                    },)*
                }
            }

            /// These parameters updated by `later` (a later request's given fields win; absent ones
            /// stay).
            pub fn merged_with(&self, later: &UserParams) -> UserParams {
                UserParams {
                    $($field: later.$field.clone().or_else(|| self.$field.clone()),)*
                }
            }

            /// Calls `change` with each parameter that `later` sets to another value than these have, in
            /// the order of `NAMES`: its name, its value here (`null` when not set) and its new value.
            pub fn for_each_change(
                &self,
                later: &UserParams,
                mut change: impl FnMut(&'static str, Value, Value),
            ) {
                $(
                    if let Some(new) = &later.$field
                        && self.$field.as_ref() != Some(new)
                    {
                        change(
                            stringify!($field),
                            Value::from(self.$field.clone()),
                            Value::from(new.clone()),
                        );
                    }
                )*
            }

            /// The parameters as SQLite values, in the order of `NAMES`.
            pub fn sqlite_values(&self) -> [&dyn rusqlite::ToSql; UserParams::COUNT] {
                [$(&self.$field),*]
            }

            /// The parameters of a SQLite row whose columns from `first` on are `NAMES`, in order.
            #[allow(unused_assignments)]
            pub fn from_sqlite_row(
                row: &rusqlite::Row<'_>,
                first: usize,
            ) -> rusqlite::Result<UserParams> {
                let mut index = first;
                Ok(UserParams {
                    $($field: {
                        let value = row.get(index)?;
                        index += 1;
                        value
                    },)*
                })
            }

            /// `query` with the parameters bound next, in the order of `NAMES`.
            pub fn bind_to<'q, DB: sqlx::Database>(
                &'q self,
                query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
            ) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
            where
                $(Option<$ty>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,)*
            {
                query$(.bind(&self.$field))*
            }

            /// `query` with the parameters bound next, in the order of `NAMES` (`bind_to` for a query
            /// whose rows are read as `O`).
            pub fn bind_to_as<'q, DB: sqlx::Database, O>(
                &'q self,
                query: sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments<'q>>,
            ) -> sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments<'q>>
            where
                $(Option<$ty>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,)*
            {
                query$(.bind(&self.$field))*
            }
        }
    };
}

user_params! {
    /// Up to 255 characters.
    #[schema(max_length = 255)]
    name: String = |r, f| r.text(f, MAX_TEXT);
    /// `m`, `f` or `u` (unknown).
    #[schema(max_length = 1)]
    gender: String = |r, f| {
        r.text(f, 1)
            .and_then(|g| r.check(f, g, |g| GENDERS.contains(&g.as_str()), "must be m, f or u"))
    };
    /// 0 Unknown, 1 Desktop, 3 Mobile, 4 Android App, 5 iOS App (2 is not valid).
    platform_id: i64 = |r, f| {
        r.integer(f)
            .and_then(|p| r.check(f, p, |p| PLATFORM_IDS.contains(p), "must be 0, 1, 3, 4 or 5"))
    };
    /// ISO 3166-1 alpha-2 code, case-insensitive in, upper-case stored.
    country_id: String = |r, f| {
        r.text(f, 2).map(|c| c.to_ascii_uppercase()).and_then(|c| {
            r.check(f, c, |c| is_country_code(c), "must be an ISO 3166-1 alpha-2 country code")
        })
    };
    /// User group identifier, 0 or more.
    #[schema(minimum = 0)]
    list_id: i64 = |r, f| {
        r.integer(f)
            .and_then(|l| r.check(f, l, |l| *l >= 0, "must be 0 or more"))
    };
    /// The user's id on your product, up to 255 characters.
    #[schema(max_length = 255)]
    client_user_id: String = |r, f| r.text(f, MAX_TEXT);
    /// Auth key for autologin on your product, up to 255 characters.
    #[schema(max_length = 255)]
    ak: String = |r, f| r.text(f, MAX_TEXT);
    /// 0 to 150.
    #[schema(minimum = 0, maximum = 150)]
    age: i64 = |r, f| {
        r.integer(f)
            .and_then(|a| r.check(f, a, |a| (0..=150).contains(a), "must be between 0 and 150"))
    };
    /// Absolute http(s) URL, up to 2048 characters.
    #[schema(max_length = 2048)]
    photo: String = |r, f| {
        r.text(f, 2048)
            .and_then(|p| r.check(f, p, |p| is_http_url(p), "must be an absolute http(s) URL"))
    };
    /// ISO 639-1 code, case-insensitive in, lower-case stored.
    language_id: String = |r, f| {
        r.text(f, 2).map(|l| l.to_ascii_lowercase()).and_then(|l| {
            r.check(f, l, |l| is_language_code(l), "must be an ISO 639-1 language code")
        })
    };
}

#[cfg(feature = "ssr")]
/// Errors by JSON path (`user.email`, `age`, …), as the problem answer's `errors`.
pub type FieldErrors = BTreeMap<String, String>;

#[cfg(feature = "ssr")]
/// Platform ids: 0 Unknown, 1 Desktop, 3 Mobile, 4 Android App, 5 iOS App (2 is retired).
pub const PLATFORM_IDS: [i64; 5] = [0, 1, 3, 4, 5];
#[cfg(feature = "ssr")]
/// The values of `gender`.
const GENDERS: [&str; 3] = ["m", "f", "u"];
#[cfg(feature = "ssr")]
const MAX_TEXT: usize = 255;

#[cfg(feature = "ssr")]
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

#[cfg(feature = "ssr")]
/// A JSON object whose fields are validated one by one: a parsed `serde_json` object, or an object read
/// straight from a request's text (see `api::send_body`).
pub trait Fields {
    fn field(&self, name: &str) -> Field<'_>;
}

#[cfg(feature = "ssr")]
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

/// Text without control characters (the user parameters refuse them).
#[cfg(feature = "ssr")]
const NO_CONTROL_CHARACTERS: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// An absolute http(s) URL that the server's URL parser takes: a host name whose last label starts
/// with a letter (one of digits would be read as an IPv4 address), an optional port, printable ASCII.
#[cfg(feature = "ssr")]
const PHOTO_URL_PATTERN: &str = "^https?://([A-Za-z0-9]+(-[A-Za-z0-9]+)*\\.)*[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*(:[0-9]{1,4})?([/?#][!-~]*)?$";

#[cfg(feature = "ssr")]
impl UserParams {
    /// The parameters' rules that the schema derive cannot state (patterns, and lists of values kept in
    /// the domain), by name, as fields of their OpenAPI schemas (`api::openapi` adds them). Codes are
    /// taken in either case: the upper- and the lower-case form of each.
    pub fn document_rules() -> [(&'static str, Value); 8] {
        let with_null = |values: Vec<Value>| {
            let mut values = values;
            values.push(Value::Null);
            Value::Array(values)
        };
        let codes = |codes: &[&str]| {
            let upper = codes.iter().map(|c| Value::from(c.to_ascii_uppercase()));
            with_null(
                upper
                    .chain(codes.iter().map(|c| Value::from(c.to_ascii_lowercase())))
                    .collect(),
            )
        };
        [
            ("name", json!({"pattern": NO_CONTROL_CHARACTERS})),
            ("client_user_id", json!({"pattern": NO_CONTROL_CHARACTERS})),
            ("ak", json!({"pattern": NO_CONTROL_CHARACTERS})),
            ("photo", json!({"pattern": PHOTO_URL_PATTERN})),
            (
                "gender",
                json!({"enum": with_null(GENDERS.map(Value::from).to_vec())}),
            ),
            (
                "platform_id",
                json!({"enum": with_null(PLATFORM_IDS.map(Value::from).to_vec())}),
            ),
            ("country_id", json!({"enum": codes(&COUNTRIES)})),
            ("language_id", json!({"enum": codes(&LANGUAGES)})),
        ]
    }
}

#[cfg(feature = "ssr")]
impl UserParams {
    pub fn is_empty(&self) -> bool {
        *self == UserParams::default()
    }

    /// True when applying these parameters to `stored` would change something.
    pub fn would_change(&self, stored: &UserParams) -> bool {
        stored.merged_with(self) != *stored
    }
}

#[cfg(feature = "ssr")]
fn is_http_url(text: &str) -> bool {
    url::Url::parse(text)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

#[cfg(feature = "ssr")]
struct Reader<'a> {
    object: &'a dyn Fields,
    prefix: &'a str,
    errors: &'a mut FieldErrors,
}

#[cfg(feature = "ssr")]
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

#[cfg(all(test, feature = "ssr"))]
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
    fn the_documented_schema_is_the_derived_one() {
        let schema = serde_json::to_value(<UserParams as utoipa::PartialSchema>::schema()).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
        names.sort_unstable();
        let mut expected = UserParams::NAMES;
        expected.sort_unstable();
        assert_eq!(names, expected);
        assert_eq!(properties["name"]["maxLength"], 255);
        assert_eq!(properties["age"]["maximum"], 150);
        // The document names it UserParamsDoc and states all of it (and may add rules).
        let document = crate::api::openapi::document();
        let documented = &document["components"]["schemas"]["UserParamsDoc"]["properties"];
        for (name, property) in properties {
            for (key, value) in property.as_object().unwrap() {
                assert_eq!(&documented[name][key], value, "{name}.{key}");
            }
        }
    }

    #[test]
    fn null_means_not_given_and_floats_are_not_integers() {
        let (p, errors) = parse(json!({ "name": null, "age": 30.5 }));
        assert_eq!(p.name, None);
        assert_eq!(errors["user.age"], "must be an integer");
    }
}
