//! Renders the steps of a line's computation ([`BreakdownItem`]) as one sentence in the
//! user's language, from the `breakdown-*` Fluent messages.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use progmanager_model::billing::BreakdownItem;
use progmanager_model::tariff::CalendarPeriod;
use rust_decimal::Decimal;

use crate::cmd::report::csv_amount;
use crate::tr;

/// Describes every step of a line, separated by `; `.
pub fn describe(items: &[BreakdownItem], tz: Tz) -> String {
    items
        .iter()
        .map(|item| describe_item(item, tz))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Describes one step in the user's language.
pub fn describe_item(item: &BreakdownItem, tz: Tz) -> String {
    let id = item.message_id();
    let time = |at: &DateTime<Utc>| at.with_timezone(&tz).format("%H:%M").to_string();
    let moment = |at: &DateTime<Utc>| at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    match item {
        BreakdownItem::Covered | BreakdownItem::NotBillable => tr!(id),
        BreakdownItem::UnbilledKind { kind } => tr!(id, kind = kind.clone()),
        BreakdownItem::UnknownPackage { name } => tr!(id, name = name.clone()),
        BreakdownItem::TimeRounding {
            elapsed_seconds,
            billed_seconds,
            ..
        } => tr!(
            id,
            elapsed = duration(*elapsed_seconds),
            billed = duration(*billed_seconds)
        ),
        BreakdownItem::MinimumTime {
            before_seconds,
            minimum_minutes,
            ..
        } => tr!(
            id,
            before = duration(*before_seconds),
            minimum = duration(i64::from(*minimum_minutes) * 60)
        ),
        BreakdownItem::Overrun {
            booked_end,
            overrun_seconds,
            billed_seconds,
            step_minutes,
        } => tr!(
            id,
            booked_end = moment(booked_end),
            overrun = duration(*overrun_seconds),
            billed = duration(*billed_seconds),
            step = *step_minutes
        ),
        BreakdownItem::Segment {
            start,
            end,
            period,
            hourly,
            seconds,
            amount,
        } => tr!(
            id,
            start = time(start),
            end = time(end),
            period = rate_period(period),
            duration = duration(*seconds),
            hourly = money(*hourly),
            amount = money(*amount)
        ),
        BreakdownItem::Package {
            name,
            start,
            end,
            price,
        } => tr!(
            id,
            name = name.clone(),
            start = time(start),
            end = time(end),
            price = money(*price)
        ),
        _ => describe_amounts(item, id),
    }
}

/// Steps that only carry amounts, rates and percentages.
fn describe_amounts(item: &BreakdownItem, id: &str) -> String {
    match item {
        BreakdownItem::Tier {
            after_hours,
            hourly,
            seconds,
            hours_before,
        } => tr!(
            id,
            after = *after_hours,
            hourly = money(*hourly),
            duration = duration(*seconds),
            before = number(*hours_before)
        ),
        BreakdownItem::Samples {
            count,
            rate,
            amount,
        } => tr!(
            id,
            count = *count,
            rate = money(*rate),
            amount = money(*amount)
        ),
        BreakdownItem::SessionFee { amount } => tr!(id, amount = money(*amount)),
        BreakdownItem::Multiplier {
            factor,
            before,
            after,
        } => tr!(
            id,
            factor = number(*factor),
            before = money(*before),
            after = money(*after)
        ),
        BreakdownItem::Surcharge { percent, amount }
        | BreakdownItem::Discount { percent, amount }
        | BreakdownItem::Vat { percent, amount } => {
            tr!(id, percent = number(*percent), amount = money(*amount))
        }
        BreakdownItem::MinimumAmount { computed, minimum } => {
            tr!(id, computed = money(*computed), minimum = money(*minimum))
        }
        BreakdownItem::Rounding { exact, rounded } => {
            tr!(id, exact = number(*exact), rounded = money(*rounded))
        }
        BreakdownItem::Cap {
            period,
            period_start,
            cap,
            already_billed,
            before,
            after,
        } => tr!(
            id,
            period = calendar_period(*period),
            start = period_start.to_string(),
            cap = money(*cap),
            already = money(*already_billed),
            before = money(*before),
            after = money(*after)
        ),
        other => tr!(other.message_id()),
    }
}

/// Formats an amount with 2 decimals and the user's decimal separator.
fn money(amount: Decimal) -> String {
    let mut rounded = amount.round_dp(2);
    rounded.rescale(2);
    csv_amount(rounded)
}

/// Formats a quantity without trailing zeros, with the user's decimal separator.
fn number(value: Decimal) -> String {
    csv_amount(value.normalize())
}

/// Formats a duration as hours and minutes, such as `2 h 05`.
fn duration(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    let rest = seconds.max(0) % 60;
    let text = format!("{} h {:02}", minutes / 60, minutes % 60);
    if rest == 0 {
        text
    } else {
        format!("{text} min {rest:02} s")
    }
}

fn rate_period(period: &str) -> String {
    match period {
        "default" => tr!("breakdown-period-default"),
        "weekend" => tr!("breakdown-period-weekend"),
        "holiday" => tr!("breakdown-period-holiday"),
        other => other.to_string(),
    }
}

fn calendar_period(period: CalendarPeriod) -> String {
    match period {
        CalendarPeriod::Day => tr!("breakdown-calendar-day"),
        CalendarPeriod::Month => tr!("breakdown-calendar-month"),
        CalendarPeriod::Quarter => tr!("breakdown-calendar-quarter"),
        CalendarPeriod::Year => tr!("breakdown-calendar-year"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn every_item() -> Vec<BreakdownItem> {
        let at = Utc
            .with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
            .single()
            .expect("valid instant");
        let amount = Decimal::new(3000, 2);
        vec![
            BreakdownItem::Covered,
            BreakdownItem::NotBillable,
            BreakdownItem::UnbilledKind {
                kind: "maintenance".into(),
            },
            BreakdownItem::TimeRounding {
                elapsed_seconds: 3700,
                billed_seconds: 3900,
                first_block_minutes: None,
                step_minutes: Some(15),
                grace_minutes: None,
            },
            BreakdownItem::MinimumTime {
                before_seconds: 600,
                billed_seconds: 3600,
                minimum_minutes: 60,
            },
            BreakdownItem::Overrun {
                booked_end: at,
                overrun_seconds: 600,
                billed_seconds: 900,
                step_minutes: 15,
            },
            BreakdownItem::Segment {
                start: at,
                end: at,
                period: "weekend".into(),
                hourly: amount,
                seconds: 3600,
                amount,
            },
            BreakdownItem::Package {
                name: "night".into(),
                start: at,
                end: at,
                price: amount,
            },
            BreakdownItem::UnknownPackage {
                name: "night".into(),
            },
            BreakdownItem::Tier {
                after_hours: 100,
                hourly: amount,
                seconds: 3600,
                hours_before: Decimal::new(1005, 1),
            },
            BreakdownItem::Samples {
                count: 3,
                rate: amount,
                amount,
            },
            BreakdownItem::SessionFee { amount },
            BreakdownItem::Multiplier {
                factor: Decimal::new(15, 1),
                before: amount,
                after: amount,
            },
            BreakdownItem::Surcharge {
                percent: Decimal::from(10),
                amount,
            },
            BreakdownItem::Discount {
                percent: Decimal::from(10),
                amount,
            },
            BreakdownItem::MinimumAmount {
                computed: amount,
                minimum: amount,
            },
            BreakdownItem::Rounding {
                exact: Decimal::new(300049, 4),
                rounded: amount,
            },
            BreakdownItem::Cap {
                period: CalendarPeriod::Quarter,
                period_start: "2026-01-01".parse().expect("date"),
                cap: amount,
                already_billed: amount,
                before: amount,
                after: amount,
            },
            BreakdownItem::Vat {
                percent: Decimal::from(20),
                amount,
            },
        ]
    }

    #[test]
    fn every_item_has_a_message() {
        for item in every_item() {
            let text = describe_item(&item, chrono_tz::Europe::Paris);
            assert!(!text.starts_with("breakdown-"), "no message for {item:?}");
            assert!(!text.contains('{'), "unfilled argument in {text:?}");
        }
    }

    #[test]
    fn durations_show_hours_and_minutes() {
        assert_eq!(duration(3900), "1 h 05");
        assert_eq!(duration(3930), "1 h 05 min 30 s");
        assert_eq!(duration(0), "0 h 00");
    }
}
