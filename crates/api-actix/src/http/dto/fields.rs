//! Turning loosely typed JSON fields into domain values, with the messages of the original
//! service's validator (Joi): `"eventId" is required`, `"name" must be a string`, … A field
//! that is absent is "required"; one that is present, even as `null`, is checked for its type,
//! as Joi did. Numbers may arrive as numeric strings (`"7"`, `" 1e3 "`), as Joi converted them.

use domain::{EmailAddress, EventDate, NonEmptyText, TextError};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::http::error::{ApiError, field_error};

/// The largest integer a JavaScript number holds exactly; Joi refused larger ones as unsafe.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// For `#[serde(default, deserialize_with = "present")]`: `None` only when the field is absent,
/// so that `null` is told apart from a missing field.
///
/// # Errors
/// Never for JSON input: every JSON value is a `Value`.
pub fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// As [`present`], keeping the value's text as written (for exact decimals).
///
/// # Errors
/// Never for JSON input.
pub fn present_raw<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(deserializer).map(Some)
}

/// A present field.
pub fn required<'a, T: ?Sized>(field: &str, value: Option<&'a T>) -> Result<&'a T, ApiError> {
    value.ok_or_else(|| field_error(field, "is required"))
}

/// The first field of a body that the endpoint does not know: the original refused any.
pub fn refuse_unknown<'a>(mut unknown: impl Iterator<Item = &'a String>) -> Result<(), ApiError> {
    unknown.next().map_or(Ok(()), |field| Err(field_error(field, "is not allowed")))
}

/// An id: a positive integer, or a string holding one (the original accepted `"7"` too).
pub fn id<T>(
    field: &str,
    value: &Value,
    make: impl FnOnce(i64) -> Result<T, domain::InvalidId>,
) -> Result<T, ApiError> {
    let raw = integer(field, value)?;
    make(raw).map_err(|_| field_error(field, "must be a positive integer"))
}

/// A number as Joi's `number()` took it: a JSON number, or a string holding one in decimal or
/// exponent notation, surrounding white space allowed.
pub fn number(field: &str, value: &Value) -> Result<f64, ApiError> {
    let parsed = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if is_numeric(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    parsed.filter(|n| n.is_finite()).ok_or_else(|| field_error(field, "must be a number"))
}

/// Joi's test for a string it converts to a number: `[+-]digits[.digits][e[+-]digits]`.
fn is_numeric(s: &str) -> bool {
    let s = s.trim();
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (s, None),
    };
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            (!whole.is_empty() || !fraction.is_empty()) && digits(whole) && digits(fraction)
        }
        None => !mantissa.is_empty() && digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(|e| !e.is_empty() && digits(e))
}

/// An integer as Joi's `number().integer()` took it: a number (or numeric string) with no
/// fraction, within the range a JavaScript number holds exactly.
pub fn integer(field: &str, value: &Value) -> Result<i64, ApiError> {
    if let Value::Number(n) = value
        && let Some(exact) = n.as_i64()
    {
        return if exact.unsigned_abs() > 9_007_199_254_740_991 {
            Err(field_error(field, "must be a safe number"))
        } else {
            Ok(exact)
        };
    }
    let n = number(field, value)?;
    if n.abs() > MAX_SAFE_INTEGER {
        return Err(field_error(field, "must be a safe number"));
    }
    if n.fract() != 0.0 {
        return Err(field_error(field, "must be an integer"));
    }
    format!("{n:.0}").parse().map_err(|_| field_error(field, "must be a safe number"))
}

/// A string, as Joi's `string()` took it: present, a string, and not empty.
pub(super) fn string<'a>(field: &str, value: &'a Value) -> Result<&'a str, ApiError> {
    match value {
        Value::String(s) if s.is_empty() => Err(field_error(field, "is not allowed to be empty")),
        Value::String(s) => Ok(s),
        _ => Err(field_error(field, "must be a string")),
    }
}

/// A string field with something in it besides white space.
pub fn text(field: &str, value: &Value) -> Result<NonEmptyText, ApiError> {
    NonEmptyText::parse(string(field, value)?).map_err(|e| match e {
        TextError::Empty => field_error(field, "is not allowed to be empty"),
        TextError::TooLong | TextError::Nul => field_error(field, &e.to_string()),
    })
}

/// Any non-empty string, unchanged (passwords: their content is not ours to trim).
pub fn secret(field: &str, value: &Value) -> Result<String, ApiError> {
    string(field, value).map(str::to_owned)
}

pub fn email(field: &str, value: &Value) -> Result<EmailAddress, ApiError> {
    EmailAddress::parse(string(field, value)?).map_err(|_| field_error(field, "must be a valid email"))
}

/// A date as Joi's `date()` took it: `YYYY-MM-DD`, an ISO date-time (its UTC day), or
/// milliseconds since 1970, as a number or a numeric string. Every failure is the original's
/// one message.
pub fn date(field: &str, value: &Value) -> Result<EventDate, ApiError> {
    let invalid = || field_error(field, "must be a valid date");
    let millis = match value {
        Value::String(s) if !is_numeric(s) => return EventDate::parse(s).map_err(|_| invalid()),
        Value::String(_) | Value::Number(_) => number(field, value).map_err(|_| invalid())?,
        _ => return Err(invalid()),
    };
    // A JavaScript Date drops the fraction of a millisecond, toward zero.
    let whole: i64 = format!("{:.0}", millis.trunc()).parse().map_err(|_| invalid())?;
    EventDate::from_unix_millis(whole).map_err(|_| invalid())
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
        Ok(Value::String(s)) if is_numeric(&s) => parse(s.trim().trim_start_matches('+')),
        _ => Err(field_error(field, "must be a number")),
    }
}

/// An id in the path of one of the original service's endpoints, read as its validator read
/// it: any integer Joi took (a number below 1 is then simply not found).
pub fn original_path_id(field: &str, raw: &str) -> Result<i64, ApiError> {
    // Plain digits, what nearly every client sends, need none of Joi's conversions.
    match raw.parse::<i64>() {
        Ok(id) if raw.bytes().all(|b| b.is_ascii_digit()) && id.unsigned_abs() <= 9_007_199_254_740_991 => {
            Ok(id)
        }
        _ => integer(field, &Value::String(raw.to_owned())),
    }
}

/// An id in a URL path of this service's own endpoints: digits only (`abc`, `1.5` and `-1`
/// are refused).
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
    fn integers_may_arrive_as_numbers_or_numeric_strings_as_joi_converted_them() {
        for (value, expected) in [
            (json!(7), 7),
            (json!("7"), 7),
            (json!(" 7 "), 7),
            (json!("+7"), 7),
            (json!(7.0), 7),
            (json!("7.0"), 7),
            (json!("1e3"), 1000),
            (json!(-3), -3),
        ] {
            assert_eq!(integer("eventId", &value).unwrap(), expected, "{value}");
        }
    }

    #[test]
    fn numbers_beyond_what_javascript_holds_exactly_are_unsafe() {
        assert_eq!(
            message(integer("eventId", &json!(9_007_199_254_740_992_i64))),
            "\"eventId\" must be a safe number"
        );
        assert_eq!(message(integer("eventId", &json!("1e20"))), "\"eventId\" must be a safe number");
        assert_eq!(integer("eventId", &json!(9_007_199_254_740_991_i64)).unwrap(), 9_007_199_254_740_991);
    }

    #[test]
    fn fractions_words_and_other_types_are_refused_with_the_fields_name() {
        assert_eq!(message(integer("eventId", &json!(1.5))), "\"eventId\" must be an integer");
        assert_eq!(message(integer("eventId", &json!("abc"))), "\"eventId\" must be a number");
        assert_eq!(message(integer("eventId", &json!("1.5"))), "\"eventId\" must be an integer");
        assert_eq!(message(integer("eventId", &json!("0x10"))), "\"eventId\" must be a number");
        assert_eq!(message(integer("eventId", &json!(""))), "\"eventId\" must be a number");
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
    fn dates_come_as_days_date_times_or_milliseconds_and_anything_else_is_not_a_date() {
        let day = |v: Value| date("date", &v).map(|d| d.to_string());
        assert_eq!(day(json!("2027-05-20")).unwrap(), "2027-05-20");
        assert_eq!(day(json!("2027-05-20T00:00:00.000Z")).unwrap(), "2027-05-20");
        assert_eq!(day(json!(1_779_235_200_000_i64)).unwrap(), "2026-05-20");
        assert_eq!(day(json!("1779235200000")).unwrap(), "2026-05-20");
        assert_eq!(day(json!(1_779_235_200_000.9)).unwrap(), "2026-05-20");
        for bad in [
            json!(null),
            json!(true),
            json!("tomorrow"),
            json!(""),
            json!("2023-02-29"),
            json!(1e300),
            json!({}),
        ] {
            assert_eq!(day(bad.clone()).unwrap_err().to_string(), "\"date\" must be a valid date", "{bad}");
        }
    }

    #[test]
    fn an_empty_string_is_empty_before_it_is_anything_else() {
        assert_eq!(
            email("email", &json!("")).unwrap_err().to_string(),
            "\"email\" is not allowed to be empty"
        );
        assert_eq!(email("email", &json!("x")).unwrap_err().to_string(), "\"email\" must be a valid email");
        assert_eq!(secret("password", &json!(5)).unwrap_err().to_string(), "\"password\" must be a string");
    }

    #[test]
    fn blank_text_is_refused_as_empty() {
        assert_eq!(
            text("name", &json!("  ")).unwrap_err().to_string(),
            "\"name\" is not allowed to be empty"
        );
        assert_eq!(text("name", &json!(5)).unwrap_err().to_string(), "\"name\" must be a string");
    }

    proptest::proptest! {
        /// Anything refused is refused as a 400 that names the field, whatever the input.
        #[test]
        fn whatever_is_refused_names_its_field(raw in proptest::prelude::any::<String>(), n in proptest::prelude::any::<i64>()) {
            let values = [Value::String(raw.clone()), json!(n), json!(null), json!([raw.clone()]), json!({"v": raw.clone()})];
            for value in &values {
                let results = [
                    text("firstName", value).map(drop),
                    email("email", value).map(drop),
                    date("date", value).map(drop),
                    integer("ticketLimit", value).map(drop),
                    number("price", value).map(drop),
                ];
                for (field, result) in ["firstName", "email", "date", "ticketLimit", "price"].into_iter().zip(results) {
                    match result {
                        Ok(()) => {}
                        Err(ApiError::Invalid(message)) => {
                            proptest::prop_assert!(message.starts_with(&format!("\"{field}\" ")), "{message}");
                        }
                        Err(other) => proptest::prop_assert!(false, "{field}: {other:?}"),
                    }
                }
            }
        }
    }
}
