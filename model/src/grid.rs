//! Tariff grids as TOML text: a whole price list that an admin imports at once, and the
//! export of the tariffs in force, which imports back to the same tariffs.
//!
//! A grid is an array of `[[tariff]]` tables, each with `instrument`, `category`, an
//! optional `effective_from` date and a `rule` table whose fields are those of
//! [`TariffRule`]; docs/tariff-grid.md describes every field. Import is all or nothing:
//! the first error stops it and names the line, the field and the value at fault.

use std::ops::Range;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::tariff::{RuleError, TariffRule};
use crate::types::{Category, Tariff};

/// The TOML document read by [`import_grid`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GridText {
    #[serde(default)]
    tariff: Vec<Spanned<GridEntry>>,
}

/// The TOML document written by [`export_grid`].
#[derive(Serialize)]
struct GridExport {
    tariff: Vec<GridEntry>,
}

/// One `[[tariff]]` table.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GridEntry {
    instrument: String,
    category: Category,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    effective_from: Option<NaiveDate>,
    #[serde(default)]
    rule: TariffRule,
}

/// Error of [`import_grid`]. Lines are counted from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GridImportError {
    /// The text is not valid TOML, or a value does not have the expected type or form.
    #[error("line {line}{}: {message}", field_and_value(.field, .value))]
    Syntax {
        line: usize,
        /// The key written on the line at fault, when the line has one.
        field: Option<String>,
        /// The value written after that key.
        value: Option<String>,
        message: String,
    },

    /// A rule has well-formed values that cannot be used together.
    #[error("line {line}: tariff of instrument {instrument:?} for category {category}: {source}")]
    InvalidRule {
        line: usize,
        instrument: String,
        category: Category,
        #[source]
        source: RuleError,
    },

    /// Two tables define the same tariff version.
    #[error(
        "line {line}: the tariff of instrument {instrument:?} for category {category} \
         from {} is already defined at line {first_line}: keep one of them",
        .effective_from.map_or("the beginning".to_string(), |date| date.to_string())
    )]
    Duplicate {
        line: usize,
        first_line: usize,
        instrument: String,
        category: Category,
        effective_from: Option<NaiveDate>,
    },
}

/// Error of [`export_grid`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the tariffs cannot be written as TOML: {0}")]
pub struct GridExportError(String);

/// Reads every tariff of a grid, or the first error in it.
pub fn import_grid(text: &str) -> Result<Vec<Tariff>, GridImportError> {
    let grid: GridText = toml::from_str(text).map_err(|error| syntax_error(text, &error))?;

    // A table's span stops before its sub-tables (`[tariff.rule]`), so each entry's
    // fields are searched up to the start of the next entry.
    let starts: Vec<usize> = grid.tariff.iter().map(|entry| entry.span().start).collect();
    let mut tariffs: Vec<(Tariff, usize)> = Vec::with_capacity(grid.tariff.len());
    for (index, spanned) in grid.tariff.into_iter().enumerate() {
        let region_end = starts
            .iter()
            .copied()
            .filter(|start| *start > starts[index])
            .min()
            .unwrap_or(text.len());
        let region = starts[index]..region_end;
        let entry = spanned.into_inner();
        let line = line_of(text, region.start);
        entry
            .rule
            .validate()
            .map_err(|source| GridImportError::InvalidRule {
                line: field_line(text, &region, source.field).unwrap_or(line),
                instrument: entry.instrument.clone(),
                category: entry.category,
                source,
            })?;

        let tariff = Tariff {
            instrument: entry.instrument,
            category: entry.category,
            effective_from: entry.effective_from,
            rule: entry.rule,
        };
        check_not_duplicate(&tariffs, &tariff, line)?;
        tariffs.push((tariff, line));
    }
    Ok(tariffs.into_iter().map(|(tariff, _)| tariff).collect())
}

/// Writes `tariffs` as a grid, sorted by instrument, category and effective date.
pub fn export_grid(tariffs: &[Tariff]) -> Result<String, GridExportError> {
    let mut entries: Vec<GridEntry> = tariffs
        .iter()
        .map(|tariff| GridEntry {
            instrument: tariff.instrument.clone(),
            category: tariff.category,
            effective_from: tariff.effective_from,
            rule: tariff.rule.clone(),
        })
        .collect();
    entries.sort_by(|a, b| {
        (&a.instrument, a.category, a.effective_from).cmp(&(
            &b.instrument,
            b.category,
            b.effective_from,
        ))
    });
    let grid = GridExport { tariff: entries };
    toml::to_string(&grid).map_err(|error| GridExportError(error.to_string()))
}

fn check_not_duplicate(
    known: &[(Tariff, usize)],
    tariff: &Tariff,
    line: usize,
) -> Result<(), GridImportError> {
    let same_version = |other: &Tariff| {
        other.instrument == tariff.instrument
            && other.category == tariff.category
            && other.effective_from == tariff.effective_from
    };
    match known.iter().find(|(other, _)| same_version(other)) {
        Some((_, first_line)) => Err(GridImportError::Duplicate {
            line,
            first_line: *first_line,
            instrument: tariff.instrument.clone(),
            category: tariff.category,
            effective_from: tariff.effective_from,
        }),
        None => Ok(()),
    }
}

/// Converts a TOML error into one that names the line and, when the line is a
/// `key = value` pair, the key and the value.
fn syntax_error(text: &str, error: &toml::de::Error) -> GridImportError {
    let line = error.span().map_or(1, |span| line_of(text, span.start));
    let pair = text
        .lines()
        .nth(line - 1)
        .and_then(|line_text| line_text.split_once('='))
        .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()));
    let (field, value) = pair.unzip();
    GridImportError::Syntax {
        line,
        field,
        value,
        message: error.message().trim().to_string(),
    }
}

/// Line (from 1) of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|byte| **byte == b'\n')
        .count()
        + 1
}

/// Line (from 1) of the first `field = ...` pair inside `span`, if written there.
fn field_line(text: &str, span: &Range<usize>, field: &str) -> Option<usize> {
    let entry = text.get(span.clone())?;
    let mut offset = span.start;
    for line_text in entry.split_inclusive('\n') {
        let key = line_text.split_once('=').map(|(key, _)| key.trim());
        if key == Some(field) {
            return Some(line_of(text, offset));
        }
        offset += line_text.len();
    }
    None
}

fn field_and_value(field: &Option<String>, value: &Option<String>) -> String {
    match (field, value) {
        (Some(field), Some(value)) => format!(", field {field:?}, value {value}"),
        (Some(field), None) => format!(", field {field:?}"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    const SIMPLE: &str = r#"
[[tariff]]
instrument = "RMN400"
category = "internal"
rule = { covered = true }

[[tariff]]
instrument = "RMN400"
category = "industrial"
effective_from = "2026-01-01"

[tariff.rule]
hourly = "120.00"
vat_percent = "20"
"#;

    #[test]
    fn import_simple_grid() {
        let tariffs = import_grid(SIMPLE).expect("valid grid");
        assert_eq!(tariffs.len(), 2);
        assert!(tariffs[0].rule.covered);
        assert_eq!(tariffs[1].rule.hourly, Some(Decimal::from(120)));
        assert_eq!(
            tariffs[1].effective_from.map(|d| d.to_string()).as_deref(),
            Some("2026-01-01")
        );
    }

    #[test]
    fn export_round_trips() {
        let tariffs = import_grid(SIMPLE).expect("valid grid");
        let text = export_grid(&tariffs).expect("exportable");
        let again = import_grid(&text).expect("exported grid imports");
        assert_eq!(again, tariffs);
    }

    /// A rule that sets every field of the format.
    const EVERY_FIELD: &str = r#"
[[tariff]]
instrument = "TEM"
category = "industrial"
effective_from = "2026-07-01"

[tariff.rule]
covered = false
hourly = "40.00"
weekend = "35"
holiday = "35"
calendar = "france-alsace-moselle"
extra_holidays = ["2026-12-24", "2026-12-31"]
per_sample = "2.50"
per_session = "10"
minimum_minutes = 15
first_block_minutes = 60
step_minutes = 30
grace_minutes = 10
overrun_step_minutes = 15
minimum_amount = "25"
multiplier = "3"
surcharge_percent = "30"
discount_percent = "5"
vat_percent = "20"
tier_period = "year"
unbilled_kinds = ["maintenance", "training"]

[[tariff.rule.periods]]
name = "night"
from = "20:00"
to = "08:00"
hourly = "30"

[[tariff.rule.kinds]]
kind = "cryo"
hourly = "60"
per_sample = "4"

[[tariff.rule.packages]]
name = "weekend"
days = ["sat", "sun"]
price = "250"

[[tariff.rule.caps]]
period = "month"
amount = "5000"

[[tariff.rule.tiers]]
after_hours = 100
hourly = "30"
"#;

    #[test]
    fn every_field_round_trips() {
        let tariffs = import_grid(EVERY_FIELD).expect("valid grid");
        let rule = &tariffs[0].rule;
        assert_eq!(rule.extra_holidays.len(), 2);
        assert_eq!(rule.tiers[0].after_hours, 100);
        let text = export_grid(&tariffs).expect("exportable");
        assert_eq!(import_grid(&text).expect("exported grid imports"), tariffs);
        assert!(text.contains("hourly = \"40.00\""), "{text}");
    }

    #[test]
    fn empty_grid_has_no_tariff() {
        assert_eq!(import_grid(""), Ok(Vec::new()));
    }

    #[test]
    fn bad_value_names_line_field_and_value() {
        let text = SIMPLE.replace("hourly = \"120.00\"", "hourly = \"-5\"");
        let error = import_grid(&text).expect_err("negative rate");
        let GridImportError::Syntax {
            line, field, value, ..
        } = &error
        else {
            panic!("expected a syntax error, got {error}");
        };
        assert_eq!(*line, 13);
        assert_eq!(field.as_deref(), Some("hourly"));
        assert_eq!(value.as_deref(), Some("\"-5\""));
        assert!(
            error.to_string().starts_with("line 13, field \"hourly\""),
            "{error}"
        );
    }

    #[test]
    fn float_amount_rejected() {
        let text = SIMPLE.replace("hourly = \"120.00\"", "hourly = 23.3");
        let error = import_grid(&text).expect_err("float rate");
        assert!(error.to_string().contains("as a string"), "{error}");
    }

    #[test]
    fn unknown_field_rejected() {
        let text = SIMPLE.replace("vat_percent", "vat_pct");
        let error = import_grid(&text).expect_err("misspelt field");
        assert!(error.to_string().contains("vat_pct"), "{error}");
    }

    #[test]
    fn unknown_category_rejected() {
        let text = SIMPLE.replace("\"industrial\"", "\"company\"");
        let error = import_grid(&text).expect_err("unknown category");
        assert!(error.to_string().contains("line 9"), "{error}");
    }

    #[test]
    fn invalid_rule_names_field_line() {
        let text = SIMPLE.replace("vat_percent = \"20\"", "step_minutes = 0");
        let error = import_grid(&text).expect_err("zero step");
        let GridImportError::InvalidRule { line, source, .. } = &error else {
            panic!("expected an invalid rule, got {error}");
        };
        assert_eq!(*line, 14);
        assert_eq!(source.field, "step_minutes");
    }

    #[test]
    fn duplicate_version_rejected() {
        let text =
            format!("{SIMPLE}\n[[tariff]]\ninstrument = \"RMN400\"\ncategory = \"internal\"\n");
        let error = import_grid(&text).expect_err("duplicate");
        assert!(
            matches!(error, GridImportError::Duplicate { first_line: 2, .. }),
            "{error}"
        );
    }
}
