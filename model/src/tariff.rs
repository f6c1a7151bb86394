//! Tariff rules: how the use of one instrument is priced for one billing category.
//!
//! A [`TariffRule`] combines independent parts, each optional:
//!
//! - time: a default hourly rate, named rate periods by time of day and day of week, a
//!   weekend rate and a public holiday rate ([`RatePeriod`], [`HolidayCalendar`]);
//! - quantities: a price per sample, a flat fee per session, prices keyed by the
//!   session's kind ([`KindPrice`]);
//! - packages: a flat price that replaces hourly billing over a window such as the
//!   weekend, when the session names the package ([`Package`]);
//! - billed time: minimum, first block billed in full, steps with a grace period, and
//!   overrun beyond the booked end billed in steps;
//! - adjustments: multiplier, surcharge, discount, minimum amount, caps per calendar
//!   period ([`Cap`]), volume tiers ([`Tier`]) and VAT.
//!
//! Where time windows overlap, the rate of an instant comes from the first of: the
//! chosen package, the holiday rate, the weekend rate, the first listed period that
//! contains it, the default hourly rate. The billing engine (`crate::billing`) applies
//! the rule; this module only describes and validates it.

mod fields;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use crate::holidays::HolidayCalendar;

/// Session kinds that are not billed unless a rule lists its own: the instrument was not
/// available to a user.
pub const DEFAULT_UNBILLED_KINDS: [&str; 3] = ["maintenance", "downtime", "panne"];

/// The complete price rule of one tariff version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TariffRule {
    /// Nothing to pay: the facility covers this category on this instrument.
    #[serde(skip_serializing_if = "is_false")]
    pub covered: bool,
    /// Hourly rate outside every period, weekend and holiday.
    #[serde(
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub hourly: Option<Decimal>,
    /// Hourly rate on Saturdays and Sundays (local time, Saturday 00:00 to Monday 00:00).
    #[serde(
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub weekend: Option<Decimal>,
    /// Hourly rate on the public holidays of `calendar` and on `extra_holidays`.
    #[serde(
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub holiday: Option<Decimal>,
    /// Rate periods by time of day and day of week; the first that contains an instant wins.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub periods: Vec<RatePeriod>,
    /// Public holidays that the `holiday` rate applies to.
    #[serde(skip_serializing_if = "HolidayCalendar::is_default")]
    pub calendar: HolidayCalendar,
    /// Closing days added to the calendar's public holidays.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_holidays: Vec<NaiveDate>,
    /// Price per sample, added to the time-based amount.
    #[serde(
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub per_sample: Option<Decimal>,
    /// Flat fee per session, added to the other amounts.
    #[serde(
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub per_session: Option<Decimal>,
    /// Prices that replace `hourly`, `per_sample` or `per_session` for one session kind.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<KindPrice>,
    /// Flat packages a session may choose by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Package>,
    /// Billed time is at least this many minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_minutes: Option<u32>,
    /// The first block of this many minutes is billed in full; steps count after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_block_minutes: Option<u32>,
    /// Billed time (after the first block) is rounded up to whole steps of this many
    /// minutes, unless the remainder is within `grace_minutes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_minutes: Option<u32>,
    /// A remainder of at most this many minutes after the last whole step is not billed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_minutes: Option<u32>,
    /// Length of the steps, rounded up, in which time beyond the session's booked end is
    /// billed. The other time rules then apply only to the time up to the booked end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overrun_step_minutes: Option<u32>,
    /// Amount billed at least, when the line is charged.
    #[serde(
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub minimum_amount: Option<Decimal>,
    /// Factor applied to the whole amount after the split, such as 3 for industrial users.
    #[serde(
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub multiplier: Option<Decimal>,
    /// Percentage added after the multiplier, such as 30 for indirect costs.
    #[serde(
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub surcharge_percent: Option<Decimal>,
    /// Percentage taken off after the surcharge.
    #[serde(
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub discount_percent: Option<Decimal>,
    /// VAT percentage added to the amount before VAT, such as 20.
    #[serde(
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub vat_percent: Option<Decimal>,
    /// Maximum amount before VAT per billing group and calendar period.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<Cap>,
    /// Hourly rates that replace the others once a group has used this instrument for a
    /// number of hours in `tier_period`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<Tier>,
    /// Calendar period over which `tiers` count hours.
    #[serde(skip_serializing_if = "CalendarPeriod::is_quarter")]
    pub tier_period: CalendarPeriod,
    /// Session kinds billed 0.00 (compared trimmed and case-insensitively).
    #[serde(skip_serializing_if = "is_default_unbilled")]
    pub unbilled_kinds: Vec<String>,
}

/// An hourly rate over a window of the day on some days of the week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatePeriod {
    /// Name shown on invoice lines, such as `prime` or `night`.
    pub name: String,
    /// Days the window applies to; empty means every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<Day>,
    /// Local time the window opens (included); 00:00 when absent.
    #[serde(default = "midnight", with = "fields::time_of_day")]
    pub from: NaiveTime,
    /// Local time the window closes (excluded); 00:00, the end of the day, when absent.
    #[serde(default = "midnight", with = "fields::time_of_day")]
    pub to: NaiveTime,
    #[serde(with = "fields::amount")]
    pub hourly: Decimal,
}

/// Local times of day on some days of the week, borrowed from a period or a package.
///
/// The window runs from `from` (included) to `to` (excluded); when `to` is not after
/// `from` it runs past midnight, so `from = to = 00:00` is the whole day. Days are those
/// of the instant's own local date: in a window from 20:00 to 08:00 on Monday to Friday,
/// Saturday 02:00 is outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow<'a> {
    /// Days the window applies to; empty means every day.
    pub days: &'a [Day],
    pub from: NaiveTime,
    pub to: NaiveTime,
}

/// Prices for sessions of one kind (compared trimmed and case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindPrice {
    pub kind: String,
    /// Replaces the rule's default hourly rate; periods, weekend and holiday still apply.
    #[serde(
        default,
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub hourly: Option<Decimal>,
    /// Replaces the rule's price per sample.
    #[serde(
        default,
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub per_sample: Option<Decimal>,
    /// Replaces the rule's flat fee per session.
    #[serde(
        default,
        with = "fields::amount_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub per_session: Option<Decimal>,
}

/// A flat price for a window, such as the weekend, chosen per session by name.
///
/// Every stretch of the session inside the window costs `price` once instead of its
/// hourly amount; a session across two weekends pays the package twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    pub name: String,
    /// Days the window applies to; empty means every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<Day>,
    /// Local time the window opens (included); 00:00 when absent.
    #[serde(default = "midnight", with = "fields::time_of_day")]
    pub from: NaiveTime,
    /// Local time the window closes (excluded); 00:00, the end of the day, when absent.
    #[serde(default = "midnight", with = "fields::time_of_day")]
    pub to: NaiveTime,
    #[serde(with = "fields::amount")]
    pub price: Decimal,
}

/// A maximum amount per billing group over a calendar period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    pub period: CalendarPeriod,
    #[serde(with = "fields::amount")]
    pub amount: Decimal,
}

/// A lower hourly rate once a group has used the instrument for `after_hours` in the
/// tier period; the tier with the highest threshold reached applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub after_hours: u32,
    #[serde(with = "fields::amount")]
    pub hourly: Decimal,
}

/// A calendar period in the facility's time zone, starting on the first local date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CalendarPeriod {
    Day,
    Month,
    #[default]
    Quarter,
    Year,
}

/// A day of the week as written in tariff grids: `mon` to `sun`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// A rule field whose value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field {field:?} has the invalid value {value:?}: {reason}")]
pub struct RuleError {
    /// Name of the field as written in a tariff grid.
    pub field: &'static str,
    pub value: String,
    pub reason: &'static str,
}

impl Default for TariffRule {
    fn default() -> Self {
        TariffRule {
            covered: false,
            hourly: None,
            weekend: None,
            holiday: None,
            periods: Vec::new(),
            calendar: HolidayCalendar::default(),
            extra_holidays: Vec::new(),
            per_sample: None,
            per_session: None,
            kinds: Vec::new(),
            packages: Vec::new(),
            minimum_minutes: None,
            first_block_minutes: None,
            step_minutes: None,
            grace_minutes: None,
            overrun_step_minutes: None,
            minimum_amount: None,
            multiplier: None,
            surcharge_percent: None,
            discount_percent: None,
            vat_percent: None,
            caps: Vec::new(),
            tiers: Vec::new(),
            tier_period: CalendarPeriod::default(),
            unbilled_kinds: DEFAULT_UNBILLED_KINDS.map(String::from).to_vec(),
        }
    }
}

impl TariffRule {
    /// Builds the rule of the first tariff layout: covered, or an hourly rate and a price
    /// per sample.
    pub fn simple(covered: bool, hourly: Option<Decimal>, per_sample: Option<Decimal>) -> Self {
        TariffRule {
            covered,
            hourly,
            per_sample,
            ..TariffRule::default()
        }
    }

    /// Whether any part of the rule prices time.
    pub fn bills_time(&self) -> bool {
        self.hourly.is_some()
            || self.weekend.is_some()
            || self.holiday.is_some()
            || !self.periods.is_empty()
            || !self.packages.is_empty()
            || self.kinds.iter().any(|kind| kind.hourly.is_some())
    }

    /// Whether sessions of `kind` are billed 0.00 under this rule.
    pub fn is_unbilled_kind(&self, kind: &str) -> bool {
        let kind = kind.trim().to_lowercase();
        self.unbilled_kinds
            .iter()
            .any(|unbilled| unbilled.trim().to_lowercase() == kind)
    }

    /// The prices for sessions of `kind`, if the rule lists that kind.
    pub fn kind_price(&self, kind: &str) -> Option<&KindPrice> {
        let kind = kind.trim().to_lowercase();
        self.kinds
            .iter()
            .find(|price| price.kind.trim().to_lowercase() == kind)
    }

    /// The package named `name`, if the rule offers it.
    pub fn package(&self, name: &str) -> Option<&Package> {
        self.packages.iter().find(|package| package.name == name)
    }

    /// Whether `date` is a public holiday or an extra closing day of this rule.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.extra_holidays.contains(&date) || self.calendar.is_holiday(date)
    }

    /// Checks the values that serde alone cannot: names, steps and percentages.
    pub fn validate(&self) -> Result<(), RuleError> {
        check_names("periods", self.periods.iter().map(|period| &period.name))?;
        check_names(
            "packages",
            self.packages.iter().map(|package| &package.name),
        )?;
        check_names("kinds", self.kinds.iter().map(|price| &price.kind))?;
        check_positive("step_minutes", self.step_minutes)?;
        check_positive("overrun_step_minutes", self.overrun_step_minutes)?;
        check_percent("discount_percent", self.discount_percent)?;
        check_percent("vat_percent", self.vat_percent)?;
        Ok(())
    }
}

impl RatePeriod {
    /// The hours and days of the period.
    pub fn window(&self) -> TimeWindow<'_> {
        TimeWindow {
            days: &self.days,
            from: self.from,
            to: self.to,
        }
    }
}

impl Package {
    /// The hours and days the package covers.
    pub fn window(&self) -> TimeWindow<'_> {
        TimeWindow {
            days: &self.days,
            from: self.from,
            to: self.to,
        }
    }
}

impl TimeWindow<'_> {
    /// Whether the local instant `at` lies in the window.
    pub fn contains(&self, at: NaiveDateTime) -> bool {
        let day = Day::from(at.weekday());
        let on_day = self.days.is_empty() || self.days.contains(&day);
        let time = at.time();
        let in_hours = if self.from < self.to {
            self.from <= time && time < self.to
        } else {
            time >= self.from || time < self.to
        };
        on_day && in_hours
    }

    /// Local times of day at which the window opens or closes.
    pub fn edges(&self) -> [NaiveTime; 2] {
        [self.from, self.to]
    }
}

impl CalendarPeriod {
    /// First local date of the period that contains `date`.
    pub fn start_of(self, date: NaiveDate) -> NaiveDate {
        let first_month = match self {
            CalendarPeriod::Day => return date,
            CalendarPeriod::Month => date.month(),
            CalendarPeriod::Quarter => (date.month0() / 3) * 3 + 1,
            CalendarPeriod::Year => 1,
        };
        NaiveDate::from_ymd_opt(date.year(), first_month, 1)
            .expect("day 1 of a month between 1 and 12 exists in every year chrono supports")
    }

    fn is_quarter(&self) -> bool {
        *self == CalendarPeriod::Quarter
    }
}

impl From<Weekday> for Day {
    fn from(weekday: Weekday) -> Self {
        match weekday {
            Weekday::Mon => Day::Mon,
            Weekday::Tue => Day::Tue,
            Weekday::Wed => Day::Wed,
            Weekday::Thu => Day::Thu,
            Weekday::Fri => Day::Fri,
            Weekday::Sat => Day::Sat,
            Weekday::Sun => Day::Sun,
        }
    }
}

impl Day {
    /// Whether the day is a Saturday or a Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(self, Day::Sat | Day::Sun)
    }
}

fn midnight() -> NaiveTime {
    NaiveTime::MIN
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_default_unbilled(kinds: &[String]) -> bool {
    kinds.iter().map(String::as_str).eq(DEFAULT_UNBILLED_KINDS)
}

fn check_names<'a>(
    field: &'static str,
    names: impl Iterator<Item = &'a String>,
) -> Result<(), RuleError> {
    let mut seen = Vec::new();
    for name in names {
        let key = name.trim().to_lowercase();
        if key.is_empty() || seen.contains(&key) {
            return Err(RuleError {
                field,
                value: name.clone(),
                reason: "names must be non-empty and unique within the rule",
            });
        }
        seen.push(key);
    }
    Ok(())
}

fn check_positive(field: &'static str, minutes: Option<u32>) -> Result<(), RuleError> {
    match minutes {
        Some(0) => Err(RuleError {
            field,
            value: "0".to_string(),
            reason: "a step must last at least one minute",
        }),
        _ => Ok(()),
    }
}

fn check_percent(field: &'static str, percent: Option<Decimal>) -> Result<(), RuleError> {
    match percent {
        Some(value) if value > Decimal::ONE_HUNDRED => Err(RuleError {
            field,
            value: value.to_string(),
            reason: "a percentage must be between 0 and 100",
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("test instant")
    }

    fn time(text: &str) -> NaiveTime {
        NaiveTime::parse_from_str(text, "%H:%M").expect("test time")
    }

    fn window<'a>(days: &'a [Day], from: &str, to: &str) -> TimeWindow<'a> {
        TimeWindow {
            days,
            from: time(from),
            to: time(to),
        }
    }

    #[test]
    fn window_within_day() {
        let prime = window(&[Day::Mon, Day::Fri], "08:00", "18:00");
        assert!(prime.contains(at("2026-09-18 08:00")));
        assert!(prime.contains(at("2026-09-18 17:59")));
        assert!(!prime.contains(at("2026-09-18 18:00")));
        assert!(!prime.contains(at("2026-09-17 10:00")));
    }

    #[test]
    fn window_past_midnight() {
        let night = window(&[], "20:00", "08:00");
        assert!(night.contains(at("2026-09-18 23:00")));
        assert!(night.contains(at("2026-09-19 07:59")));
        assert!(!night.contains(at("2026-09-19 08:00")));
        let whole_day = window(&[Day::Sat], "00:00", "00:00");
        assert!(whole_day.contains(at("2026-09-19 13:00")));
    }

    #[test]
    fn period_starts() {
        let date = NaiveDate::from_ymd_opt(2026, 8, 17).expect("test date");
        let start = |period: CalendarPeriod| period.start_of(date).to_string();
        assert_eq!(start(CalendarPeriod::Day), "2026-08-17");
        assert_eq!(start(CalendarPeriod::Month), "2026-08-01");
        assert_eq!(start(CalendarPeriod::Quarter), "2026-07-01");
        assert_eq!(start(CalendarPeriod::Year), "2026-01-01");
    }

    #[test]
    fn validate_rejects_duplicates_and_zero_steps() {
        let mut rule = TariffRule {
            step_minutes: Some(0),
            ..TariffRule::default()
        };
        assert_eq!(rule.validate().map_err(|e| e.field), Err("step_minutes"));
        rule.step_minutes = Some(30);
        rule.vat_percent = Some(Decimal::from(120));
        assert_eq!(rule.validate().map_err(|e| e.field), Err("vat_percent"));
        rule.vat_percent = None;
        let period = RatePeriod {
            name: "prime".to_string(),
            days: Vec::new(),
            from: time("08:00"),
            to: time("18:00"),
            hourly: Decimal::ONE,
        };
        rule.periods = vec![period.clone(), period];
        assert_eq!(rule.validate().map_err(|e| e.field), Err("periods"));
    }

    #[test]
    fn unbilled_kinds_default() {
        let rule = TariffRule::default();
        assert!(rule.is_unbilled_kind(" Maintenance "));
        assert!(!rule.is_unbilled_kind("proton"));
    }
}
