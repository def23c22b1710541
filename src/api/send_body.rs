//! The body of `POST /v1/emails`, read straight from its JSON text: each field as the validation needs
//! it (strings borrowed from the text, numbers as integers or not, the `user` object's fields, `data` and
//! `meta` as compact JSON), without first building a `serde_json::Value` tree of the whole body and
//! dropping it again. What is valid and every error message are the same as for a `Value` object (unknown
//! fields are ignored, a repeated field's last value counts): the validation reads both through
//! `domain::Fields`, and the tests below compare the two readings.
use std::{borrow::Cow, fmt};

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::domain::{Field, Fields};

/// A field whose value is not an object: what `Field` says of it, with the string kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Scalar<'a> {
    #[default]
    Absent,
    Str(Cow<'a, str>),
    Int(i64),
    Other,
}

impl Scalar<'_> {
    pub fn field(&self) -> Field<'_> {
        match self {
            Scalar::Absent => Field::Absent,
            Scalar::Str(s) => Field::Str(s),
            Scalar::Int(i) => Field::Int(*i),
            Scalar::Other => Field::Other,
        }
    }
}

/// A field that should hold an object.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Nested<T> {
    /// Not given, or `null`.
    #[default]
    Absent,
    Object(T),
    /// Not an object.
    Other,
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
    pub user: Nested<Object<'a>>,
    /// The object as compact JSON text.
    pub data: Nested<String>,
    pub meta: Nested<String>,
}

impl<'a> SendBody<'a> {
    /// The body, if it is a JSON object (otherwise the error says what is wrong with it).
    pub fn parse(text: &'a [u8]) -> serde_json::Result<SendBody<'a>> {
        serde_json::from_slice(text)
    }
}

/// A string, borrowed from the text when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// Any JSON value: strings, integers and null are kept; arrays and objects are read through and
/// become `Other`, as do other numbers and booleans.
struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Absent)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Absent)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Scalar::Other, Scalar::Int))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// What an object field's object becomes.
trait FromObject<'de>: Sized {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

impl<'de> FromObject<'de> for Object<'de> {
    fn from_map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            fields.push((key, map.next_value::<Scalar<'de>>()?));
        }
        Ok(Object(fields))
    }
}

impl<'de> FromObject<'de> for String {
    /// The object as compact JSON, as `serde_json` writes a parsed object.
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        let object = Map::<String, Value>::deserialize(de::value::MapAccessDeserializer::new(map))?;
        serde_json::to_string(&object).map_err(de::Error::custom)
    }
}

impl<'de, T: FromObject<'de>> Deserialize<'de> for Nested<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NestedVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: FromObject<'de>> Visitor<'de> for NestedVisitor<T> {
            type Value = Nested<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::from_map(map).map(Nested::Object)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Nested::Absent)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Nested::Absent)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Nested::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Nested::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Nested::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Nested::Other)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Nested::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Nested::Other)
            }
        }
        deserializer.deserialize_any(NestedVisitor(std::marker::PhantomData))
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
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    match key.as_ref() {
                        "project_id" => body.project_id = map.next_value()?,
                        "type_id" => body.type_id = map.next_value()?,
                        "category" => body.category = map.next_value()?,
                        "user" => body.user = map.next_value()?,
                        "data" => body.data = map.next_value()?,
                        "meta" => body.meta = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
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
    use super::*;

    /// The fields of `text` read as a `Value` object, as `Field`s.
    fn value_fields(object: &Map<String, Value>, names: &[&str]) -> Vec<String> {
        names
            .iter()
            .map(|n| format!("{:?}", object.field(n)))
            .collect()
    }

    fn nested_kind<T>(n: &Nested<T>) -> &'static str {
        match n {
            Nested::Absent => "absent",
            Nested::Object(_) => "object",
            Nested::Other => "other",
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
            if let (Nested::Object(user), Some(Value::Object(slow_user))) =
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
                if let (Nested::Object(json), Some(value)) = (fast, slow.get(name)) {
                    assert_eq!(json, &value.to_string(), "{text}");
                }
            }
        }
    }

    #[test]
    fn only_an_object_is_a_body() {
        for text in ["[]", "[7,3]", "\"x\"", "1", "null", "{", "{\"a\":1}x", ""] {
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
        let Nested::Object(user) = body.user else {
            panic!()
        };
        assert_eq!(user.field("name"), Field::Str("A\"B"));
    }
}
