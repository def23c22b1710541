//! The body of `POST /v1/emails`, read straight from its JSON text: each field as the validation needs
//! it (strings borrowed from the text, numbers as integers or not, the `user` object's fields, `data` and
//! `meta` as compact JSON), without first building a `serde_json::Value` tree of the whole body and
//! dropping it again. What is valid and every error message are the same as for a `Value` object (unknown
//! fields are ignored, a repeated field's last value counts): the validation reads both through
//! `domain::Fields`, and the tests below compare the two readings.
use std::{borrow::Cow, fmt, marker::PhantomData};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::domain::{Field, Fields};

/// A JSON value as the validation reads it: strings (borrowed from the text when they have no escapes),
/// integers within i64 and null are kept, an object becomes an `O`, anything else is `Other`.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum BodyValue<'a, O> {
    /// Not given, or `null`.
    #[default]
    Absent,
    Str(Cow<'a, str>),
    Int(i64),
    Object(O),
    /// Another number, a boolean or an array.
    Other,
}

/// An object read through and not kept (every string in it is still checked, as a `Value` would be).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Skipped;

/// A field that is not read as an object: an object is `Other` to it.
pub type Scalar<'a> = BodyValue<'a, Skipped>;

impl<O> BodyValue<'_, O> {
    pub fn field(&self) -> Field<'_> {
        match self {
            BodyValue::Absent => Field::Absent,
            BodyValue::Str(s) => Field::Str(s),
            BodyValue::Int(i) => Field::Int(*i),
            BodyValue::Object(_) | BodyValue::Other => Field::Other,
        }
    }
}

/// The fields of an object, in the order given (a repeated name: the last counts).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object<'a>(Vec<(Cow<'a, str>, Scalar<'a>)>);

impl Fields for Object<'_> {
    fn field(&self, name: &str) -> Field<'_> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map_or(Field::Absent, |(_, value)| value.field())
    }
}

/// The body of a send.
#[derive(Debug, Default, PartialEq)]
pub struct SendBody<'a> {
    pub project_id: Scalar<'a>,
    pub type_id: Scalar<'a>,
    pub category: Scalar<'a>,
    pub user: BodyValue<'a, Object<'a>>,
    /// The object as compact JSON text.
    pub data: BodyValue<'a, String>,
    pub meta: BodyValue<'a, String>,
}

impl<'a> SendBody<'a> {
    /// The body, if it is a JSON object (otherwise the error says what is wrong with it).
    pub fn parse(text: &'a [u8]) -> serde_json::Result<SendBody<'a>> {
        serde_json::from_slice(text)
    }
}

/// An object's key.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Scalar::deserialize(deserializer)? {
            BodyValue::Str(key) => Ok(Key(key)),
            _ => Err(de::Error::custom("an object's key must be a string")),
        }
    }
}

/// What an object becomes.
pub trait FromObject<'de>: Sized {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

impl<'de> FromObject<'de> for Skipped {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        while map.next_entry::<Key<'de>, Scalar<'de>>()?.is_some() {}
        Ok(Skipped)
    }
}

impl<'de> FromObject<'de> for Object<'de> {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some((Key(key), value)) = map.next_entry::<Key<'de>, Scalar<'de>>()? {
            fields.push((key, value));
        }
        Ok(Object(fields))
    }
}

impl<'de> FromObject<'de> for String {
    /// The object as compact JSON, as `serde_json` writes a parsed object back: fields in the order of
    /// their names (its `Map` is sorted), a repeated field with its last value. Written straight from
    /// the text: a value already in the form `serde_json` writes (see `Compact`) is copied, any other
    /// goes through a `Value`.
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut fields: Vec<(Cow<'de, str>, Compact<'de>)> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let value: Compact<'de> = map.next_value()?;
            match fields.iter_mut().find(|(k, _)| *k == key) {
                Some(field) => field.1 = value,
                None => fields.push((key, value)),
            }
        }
        fields.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        let mut out = String::with_capacity(
            2 + fields
                .iter()
                .map(|(k, v)| k.len() + v.text().len() + 4)
                .sum::<usize>(),
        );
        out.push('{');
        for (i, (key, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match key {
                // A key without escapes needs none.
                Cow::Borrowed(key) => {
                    out.push('"');
                    out.push_str(key);
                    out.push('"');
                }
                Cow::Owned(key) => {
                    out.push_str(&serde_json::to_string(key).map_err(de::Error::custom)?)
                }
            }
            out.push(':');
            out.push_str(value.text());
        }
        out.push('}');
        Ok(out)
    }
}

/// A value of a `data` or `meta` object as compact JSON.
enum Compact<'a> {
    /// The value as given, which is the form `serde_json` writes: `true`, `false`, `null`, a string
    /// without escapes, or an integer without sign of zero that fits in i64.
    Given(&'a str),
    /// Any other value, as `serde_json` writes it back once parsed.
    Written(String),
}

impl Compact<'_> {
    fn text(&self) -> &str {
        match self {
            Compact::Given(text) => text,
            Compact::Written(text) => text,
        }
    }

    /// True when `serde_json` writes the value of `text` back as `text`.
    fn is_written_form(text: &str) -> bool {
        let bytes = text.as_bytes();
        match bytes {
            b"true" | b"false" | b"null" | b"0" => true,
            [b'"', inner @ .., b'"'] => !inner.contains(&b'\\'),
            [b'-', digits @ ..] | digits => {
                (1..=18).contains(&digits.len())
                    && digits[0] != b'0'
                    && digits.iter().all(u8::is_ascii_digit)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Compact<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&'de serde_json::value::RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        if Compact::is_written_form(text) {
            Ok(Compact::Given(text))
        } else {
            let value: Value = serde_json::from_str(text).map_err(de::Error::custom)?;
            Ok(Compact::Written(value.to_string()))
        }
    }
}

struct JsonVisitor<O>(PhantomData<O>);

impl<'de, O: FromObject<'de>> Visitor<'de> for JsonVisitor<O> {
    type Value = BodyValue<'de, O>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(BodyValue::Absent)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(BodyValue::Other)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(BodyValue::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(BodyValue::Other, BodyValue::Int))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(BodyValue::Other)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(BodyValue::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(BodyValue::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Scalar<'de>>()?.is_some() {}
        Ok(BodyValue::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        O::from_map(map).map(BodyValue::Object)
    }
}

impl<'de, O: FromObject<'de>> Deserialize<'de> for BodyValue<'de, O> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor(PhantomData))
    }
}

impl<'de> Deserialize<'de> for SendBody<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BodyVisitor;
        impl<'de> Visitor<'de> for BodyVisitor {
            type Value = SendBody<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut body = SendBody::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "project_id" => body.project_id = map.next_value()?,
                        "type_id" => body.type_id = map.next_value()?,
                        "category" => body.category = map.next_value()?,
                        "user" => body.user = map.next_value()?,
                        "data" => body.data = map.next_value()?,
                        "meta" => body.meta = map.next_value()?,
                        // Read, so that it is checked as JSON, but not kept.
                        _ => drop(map.next_value::<Scalar<'de>>()?),
                    }
                }
                Ok(body)
            }
        }
        deserializer.deserialize_map(BodyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;

    /// The fields of `text` read as a `Value` object, as `Field`s.
    fn value_fields(object: &Map<String, Value>, names: &[&str]) -> Vec<String> {
        names
            .iter()
            .map(|n| format!("{:?}", object.field(n)))
            .collect()
    }

    fn nested_kind<T>(n: &BodyValue<T>) -> &'static str {
        match n {
            BodyValue::Absent => "absent",
            BodyValue::Object(_) => "object",
            BodyValue::Str(_) | BodyValue::Int(_) | BodyValue::Other => "other",
        }
    }

    fn value_kind(object: &Map<String, Value>, name: &str) -> &'static str {
        match object.get(name) {
            None | Some(Value::Null) => "absent",
            Some(Value::Object(_)) => "object",
            Some(_) => "other",
        }
    }

    /// Every body reads the same through `SendBody` as through a parsed `Value` object.
    #[test]
    fn reads_as_a_value_object_does() {
        let bodies = [
            r#"{"project_id":7,"type_id":3,"category":"trigger","user":{"email":"Anna@Example.com","name":"Anna","platform_id":5,"language_id":"en"},"data":{"code":"123456"},"meta":{"order":"A-17"}}"#,
            r#"{"project_id":-1,"type_id":1.5,"category":"system","user":null,"data":null}"#,
            r#"{"project_id":"7","type_id":true,"category":["trigger"],"user":[1,2],"data":[],"meta":"x"}"#,
            r#"{"project_id":18446744073709551615,"type_id":9223372036854775807,"category":{"a":1},"user":"a@b.c"}"#,
            r#"{"project_id":1e2,"type_id":-0,"user":{"email":"a\u0040b.c","name":"tab\there","age":"31","photo":null,"gender":{"x":[1,{"y":2}]}}}"#,
            r#"{"user":{"email":"first@example.com","email":"last@example.com"},"user":{"email":"really@example.com","name":7}}"#,
            r#"{"project_id":1,"project_id":2,"unknown":{"deep":[1,2,3]},"data":{"b":[1,{"c":null}],"a":"\u00e9"},"meta":{}}"#,
            r#"{"data":{"x":1,"x":2},"meta":{"n":12345678901234567890,"f":1.25,"s":"\"q\""}}"#,
            r#"{}"#,
            r#"{"data":{"a":0,"b":-0,"c":-7,"d":123456789012345678,"e":1234567890123456789,"f":-9223372036854775808,"g":18446744073709551615,"h":1e2,"i":-1.5e-3,"j":0.0}}"#,
            r#"{"data":{"s":"","t":"\u0041\/\b","u":"é ✓ \u2028","v":true,"w":false,"x":null,"a\"b":1,"\u0063":2}}"#,
            r#"{"meta":{"k":1,"j":2,"k":3,"l":{"z":1,"a":[1, 2 ,{"q" : "r"}]},"j":[]} ,"data":{ "x" : "y" , "n" : { } }}"#,
        ];
        let top = ["project_id", "type_id", "category"];
        let user_fields = [
            "email",
            "name",
            "gender",
            "platform_id",
            "age",
            "photo",
            "language_id",
        ];
        for text in bodies {
            let fast = SendBody::parse(text.as_bytes()).expect(text);
            let Value::Object(slow) = serde_json::from_str::<Value>(text).unwrap() else {
                panic!("{text}")
            };
            let fast_top: Vec<String> = [&fast.project_id, &fast.type_id, &fast.category]
                .iter()
                .map(|s| format!("{:?}", s.field()))
                .collect();
            assert_eq!(fast_top, value_fields(&slow, &top), "{text}");
            assert_eq!(nested_kind(&fast.user), value_kind(&slow, "user"), "{text}");
            if let (BodyValue::Object(user), Some(Value::Object(slow_user))) =
                (&fast.user, slow.get("user"))
            {
                let fast_user: Vec<String> = user_fields
                    .iter()
                    .map(|n| format!("{:?}", user.field(n)))
                    .collect();
                assert_eq!(fast_user, value_fields(slow_user, &user_fields), "{text}");
            }
            for (name, fast) in [("data", &fast.data), ("meta", &fast.meta)] {
                assert_eq!(nested_kind(fast), value_kind(&slow, name), "{text}");
                if let (BodyValue::Object(json), Some(value)) = (fast, slow.get(name)) {
                    assert_eq!(json, &value.to_string(), "{text}");
                }
            }
        }
    }

    #[test]
    fn only_an_object_is_a_body() {
        for text in [
            "[]",
            "[7,3]",
            "\"x\"",
            "1",
            "null",
            "{",
            "{\"a\":1}x",
            "",
            // Strings that are not JSON, in fields that are read through and not kept.
            "{\"unknown\":\"\\ud800\"}",
            "{\"project_id\":[\"\\ud800\"]}",
            "{\"user\":{\"name\":{\"\\ud800\":1}}}",
        ] {
            assert!(SendBody::parse(text.as_bytes()).is_err(), "{text}");
        }
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let body = SendBody::parse(br#"{"category":"trigger","user":{"name":"A\"B"}}"#).unwrap();
        assert!(matches!(
            body.category,
            Scalar::Str(Cow::Borrowed("trigger"))
        ));
        let BodyValue::Object(user) = body.user else {
            panic!()
        };
        assert_eq!(user.field("name"), Field::Str("A\"B"));
    }
}
