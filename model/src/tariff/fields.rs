//! Text form of the amounts and times of day of a tariff rule, in tariff grids (TOML) and
//! in the facility document (JSON).
//!
//! Amounts are decimal strings such as `"23.30"`; whole numbers may also be written
//! without quotes. Floating-point numbers are rejected, because `23.3` as a binary float
//! is not exactly 23.3. Times of day are `"HH:MM"` (or `"HH:MM:SS"`), and `"24:00"` is
//! read as 00:00, which ends a window at midnight.

use std::fmt;

use chrono::NaiveTime;
use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// A non-negative decimal amount, rate, factor or percentage.
pub mod amount {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(AmountVisitor)
    }
}

/// An optional [`amount`]; absence is handled by `#[serde(default)]`.
pub mod amount_option {
    use super::*;

    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.serialize_str(&value.to_string()),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        deserializer.deserialize_any(AmountVisitor).map(Some)
    }
}

/// A local time of day written `"HH:MM"`.
pub mod time_of_day {
    use super::*;

    pub fn serialize<S: Serializer>(value: &NaiveTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_time(*value))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveTime, D::Error> {
        deserializer.deserialize_str(TimeVisitor)
    }
}

struct AmountVisitor;

impl Visitor<'_> for AmountVisitor {
    type Value = Decimal;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a non-negative decimal number written as a string, such as \"23.30\"")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Decimal, E> {
        let value: Decimal = text
            .trim()
            .parse()
            .map_err(|_| E::invalid_value(de::Unexpected::Str(text), &self))?;
        if value.is_sign_negative() {
            return Err(E::invalid_value(de::Unexpected::Str(text), &self));
        }
        Ok(value)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
        u64::try_from(value)
            .map(Decimal::from)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
        Err(E::invalid_type(de::Unexpected::Float(value), &self))
    }
}

struct TimeVisitor;

impl Visitor<'_> for TimeVisitor {
    type Value = NaiveTime;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a local time of day written as a string, such as \"08:30\"")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<NaiveTime, E> {
        parse_time(text.trim()).ok_or_else(|| E::invalid_value(de::Unexpected::Str(text), &self))
    }
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    if text == "24:00" {
        return Some(NaiveTime::MIN);
    }
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .ok()
}

fn format_time(time: NaiveTime) -> String {
    use chrono::Timelike;
    if time.second() == 0 {
        time.format("%H:%M").to_string()
    } else {
        time.format("%H:%M:%S").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_and_format() {
        let time = |text| parse_time(text).map(format_time);
        assert_eq!(time("08:30").as_deref(), Some("08:30"));
        assert_eq!(time("24:00").as_deref(), Some("00:00"));
        assert_eq!(time("17:00:30").as_deref(), Some("17:00:30"));
        assert_eq!(time("25:00"), None);
        assert_eq!(time("8h30"), None);
    }
}
