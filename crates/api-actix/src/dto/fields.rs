//! Turning loosely typed JSON fields into domain values, with messages that name the field.

use domain::{EmailAddress, NonEmptyText, TextError};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::ApiError;

/// The "field problem" error, in the original's Joi wording: `"eventId" is required`.
pub fn field_error(field: &str, problem: &str) -> ApiError {
    ApiError::Invalid(format!("\"{field}\" {problem}"))
}

/// A present, non-null field.
pub fn required<'a, T: ?Sized>(field: &str, value: Option<&'a T>) -> Result<&'a T, ApiError> {
    value.ok_or_else(|| field_error(field, "is required"))
}

/// An id: a positive integer, or a string of digits (the original accepted `"7"` too).
pub fn id<T>(
    field: &str,
    value: &Value,
    make: impl FnOnce(i64) -> Result<T, domain::InvalidId>,
) -> Result<T, ApiError> {
    let raw = integer(field, value)?;
    make(raw).map_err(|_| field_error(field, "must be a positive integer"))
}

/// An integer, or a string holding one. Fractions, other strings and other types are refused.
pub fn integer(field: &str, value: &Value) -> Result<i64, ApiError> {
    match value {
        Value::Number(n) => n.as_i64().ok_or_else(|| {
            if n.as_f64().is_some_and(|f| f.fract() != 0.0) {
                field_error(field, "must be an integer")
            } else {
                field_error(field, "is too large")
            }
        }),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'-') => {
            s.parse().map_err(|_| field_error(field, "must be an integer"))
        }
        _ => Err(field_error(field, "must be a number")),
    }
}

/// A string field with something in it.
pub fn text(field: &str, value: &Value) -> Result<NonEmptyText, ApiError> {
    let Value::String(s) = value else { return Err(field_error(field, "must be a string")) };
    NonEmptyText::parse(s).map_err(|e| match e {
        TextError::Empty => field_error(field, "is not allowed to be empty"),
        TextError::TooLong => field_error(field, &e.to_string()),
    })
}

/// Any string, unchanged (passwords: their content is not ours to trim).
pub fn string(field: &str, value: &Value) -> Result<String, ApiError> {
    match value {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::String(_) => Err(field_error(field, "is not allowed to be empty")),
        _ => Err(field_error(field, "must be a string")),
    }
}

pub fn email(field: &str, value: &Value) -> Result<EmailAddress, ApiError> {
    let Value::String(s) = value else { return Err(field_error(field, "must be a string")) };
    EmailAddress::parse(s).map_err(|_| field_error(field, "must be a valid email"))
}

/// A JSON number kept as written (`19.99` stays exact), or a string holding one.
pub fn decimal<T>(
    field: &str,
    value: &RawValue,
    parse: impl FnOnce(&str) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let raw = value.get();
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Number(_)) => parse(raw),
        Ok(Value::String(s)) => parse(s.trim()),
        _ => Err(field_error(field, "must be a number")),
    }
}

/// An id in a URL path: digits only (`abc`, `1.5` and `-1` are refused).
pub fn parse_path_id<T>(
    field: &str,
    raw: &str,
    make: impl FnOnce(i64) -> Result<T, domain::InvalidId>,
) -> Result<T, ApiError> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_error(field, "must be a positive integer"));
    }
    let number = raw.parse().map_err(|_| field_error(field, "is too large"))?;
    make(number).map_err(|_| field_error(field, "must be a positive integer"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(result: Result<i64, ApiError>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn integers_may_arrive_as_numbers_or_digit_strings() {
        assert_eq!(integer("eventId", &json!(7)).unwrap(), 7);
        assert_eq!(integer("eventId", &json!("7")).unwrap(), 7);
    }

    #[test]
    fn fractions_words_and_other_types_are_refused_with_the_fields_name() {
        assert_eq!(message(integer("eventId", &json!(1.5))), "\"eventId\" must be an integer");
        assert_eq!(message(integer("eventId", &json!("abc"))), "\"eventId\" must be a number");
        assert_eq!(message(integer("eventId", &json!("1.5"))), "\"eventId\" must be a number");
        assert_eq!(message(integer("eventId", &json!(true))), "\"eventId\" must be a number");
        assert_eq!(message(integer("eventId", &json!(null))), "\"eventId\" must be a number");
    }

    #[test]
    fn a_negative_or_zero_id_is_refused() {
        let parse = |v| id("eventId", &v, domain::EventId::new).map(domain::EventId::get);
        assert_eq!(parse(json!(-1)).unwrap_err().to_string(), "\"eventId\" must be a positive integer");
        assert_eq!(parse(json!("-3")).unwrap_err().to_string(), "\"eventId\" must be a positive integer");
        assert!(parse(json!(0)).is_err());
    }

    #[test]
    fn path_ids_are_digits_only() {
        let parse = |s| parse_path_id("id", s, domain::EventId::new).map(domain::EventId::get);
        assert_eq!(parse("12").unwrap(), 12);
        for bad in ["abc", "1.5", "-1", "", "0", "99999999999999999999"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn blank_text_is_refused_as_empty() {
        assert_eq!(
            text("name", &json!("  ")).unwrap_err().to_string(),
            "\"name\" is not allowed to be empty"
        );
        assert_eq!(text("name", &json!(5)).unwrap_err().to_string(), "\"name\" must be a string");
    }
}
