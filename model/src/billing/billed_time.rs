//! Billed time of a session: elapsed time after the rule's first block, steps, grace,
//! minimum and overrun steps.
//!
//! Without a booked end (or without `overrun_step_minutes`), the whole elapsed time is
//! rounded. With both, the time up to the booked end is rounded and the time beyond it is
//! rounded up to whole overrun steps on its own. Rounding happens in this order: first
//! block billed in full, whole steps after it (a remainder within the grace is dropped,
//! any other remainder counts as a whole step), then the minimum.

use chrono::{DateTime, Utc};

use super::breakdown::BreakdownItem;
use crate::tariff::TariffRule;

/// Billed seconds of a session and the items that explain them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BilledTime {
    pub seconds: i64,
    pub items: Vec<BreakdownItem>,
}

/// Computes the billed time of a session from `start` to `end` under `rule`.
pub(crate) fn billed_time(
    rule: &TariffRule,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    booked_end: Option<DateTime<Utc>>,
) -> BilledTime {
    let mut items = Vec::new();
    let elapsed = (end - start).num_seconds();

    let overrun = overrun_part(rule, start, end, booked_end);
    let base = elapsed - overrun.as_ref().map_or(0, |(_, seconds, _)| *seconds);

    let rounded = round_steps(rule, base);
    if rounded != base {
        items.push(BreakdownItem::TimeRounding {
            elapsed_seconds: base,
            billed_seconds: rounded,
            first_block_minutes: rule.first_block_minutes,
            step_minutes: rule.step_minutes,
            grace_minutes: rule.grace_minutes,
        });
    }

    let mut seconds = rounded;
    if let Some(minimum_minutes) = rule.minimum_minutes {
        let minimum = minutes(minimum_minutes);
        if seconds < minimum {
            items.push(BreakdownItem::MinimumTime {
                before_seconds: seconds,
                billed_seconds: minimum,
                minimum_minutes,
            });
            seconds = minimum;
        }
    }

    if let Some((booked_end, overrun_seconds, step_minutes)) = overrun {
        let billed = round_up(overrun_seconds, minutes(step_minutes));
        items.push(BreakdownItem::Overrun {
            booked_end,
            overrun_seconds,
            billed_seconds: billed,
            step_minutes,
        });
        seconds += billed;
    }

    BilledTime { seconds, items }
}

/// Returns the booked end, the seconds beyond it and the overrun step. Returns `None`
/// unless the rule bills overruns and the session ended after a booked end that follows
/// its start.
fn overrun_part(
    rule: &TariffRule,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    booked_end: Option<DateTime<Utc>>,
) -> Option<(DateTime<Utc>, i64, u32)> {
    let step = rule.overrun_step_minutes?;
    let booked_end = booked_end?;
    if booked_end <= start || end <= booked_end {
        return None;
    }
    Some((booked_end, (end - booked_end).num_seconds(), step))
}

/// Applies the first block, the steps and the grace of `rule` to `seconds`.
fn round_steps(rule: &TariffRule, seconds: i64) -> i64 {
    let first_block = rule.first_block_minutes.map_or(0, minutes);
    if seconds <= first_block {
        return first_block;
    }
    let Some(step) = rule.step_minutes.map(minutes).filter(|step| *step > 0) else {
        return seconds;
    };
    let grace = rule.grace_minutes.map_or(0, minutes);

    let after_block = seconds - first_block;
    let whole_steps = after_block / step;
    let remainder = after_block % step;
    let extra_step = i64::from(remainder > grace);
    first_block + (whole_steps + extra_step) * step
}

/// Rounds `seconds` up to a whole number of `step`s.
fn round_up(seconds: i64, step: i64) -> i64 {
    if step <= 0 {
        return seconds;
    }
    (seconds + step - 1) / step * step
}

fn minutes(count: u32) -> i64 {
    i64::from(count) * 60
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-02-12T09:00:00+01:00")
            .expect("test instant")
            .with_timezone(&Utc)
    }

    fn billed_minutes(rule: &TariffRule, elapsed_minutes: i64) -> i64 {
        let end = start() + TimeDelta::minutes(elapsed_minutes);
        billed_time(rule, start(), end, None).seconds / 60
    }

    #[test]
    fn first_hour_then_steps_with_grace() {
        let rule = TariffRule {
            first_block_minutes: Some(60),
            step_minutes: Some(30),
            grace_minutes: Some(10),
            ..TariffRule::default()
        };
        let cases = [(25, 60), (60, 60), (68, 60), (70, 60), (71, 90), (101, 120)];
        for (elapsed, billed) in cases {
            assert_eq!(billed_minutes(&rule, elapsed), billed, "{elapsed} min");
        }
    }

    #[test]
    fn steps_without_grace_round_up() {
        let rule = TariffRule {
            step_minutes: Some(15),
            ..TariffRule::default()
        };
        assert_eq!(billed_minutes(&rule, 1), 15);
        assert_eq!(billed_minutes(&rule, 15), 15);
        assert_eq!(billed_minutes(&rule, 16), 30);
        assert_eq!(billed_minutes(&rule, 0), 0);
    }

    #[test]
    fn minimum_time() {
        let rule = TariffRule {
            minimum_minutes: Some(4),
            ..TariffRule::default()
        };
        let end = start() + TimeDelta::minutes(3);
        let billed = billed_time(&rule, start(), end, None);
        assert_eq!(billed.seconds, 240);
        assert_eq!(billed.items[0].message_id(), "breakdown-minimum-time");
        assert_eq!(billed_minutes(&rule, 5), 5);
    }

    #[test]
    fn overrun_in_steps_only_beyond_booking() {
        let rule = TariffRule {
            overrun_step_minutes: Some(15),
            ..TariffRule::default()
        };
        let booked_end = start() + TimeDelta::minutes(120);
        let end = start() + TimeDelta::minutes(130);
        let billed = billed_time(&rule, start(), end, Some(booked_end));
        assert_eq!(billed.seconds, 135 * 60);

        let early = start() + TimeDelta::minutes(100);
        let billed = billed_time(&rule, start(), early, Some(booked_end));
        assert_eq!(billed.seconds, 100 * 60);
        assert!(billed.items.is_empty());
    }

    #[test]
    fn no_rule_bills_elapsed_seconds() {
        let end = start() + TimeDelta::seconds(61);
        let billed = billed_time(&TariffRule::default(), start(), end, None);
        assert_eq!(billed.seconds, 61);
        assert!(billed.items.is_empty());
    }
}
