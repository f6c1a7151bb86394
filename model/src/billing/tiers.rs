//! Volume tiers: once a group has used an instrument for a number of hours in the tier
//! period, further hourly time is billed at the tier's rate instead of the segment's.
//!
//! Only hourly segments count and are re-priced; package time does not. A segment that
//! crosses a threshold is cut there, so the hours before it keep their own rate.

use rust_decimal::Decimal;

use super::breakdown::BreakdownItem;
use super::segments::{Segment, Slot};
use crate::tariff::Tier;

/// Segments after the tiers, the items that explain them and the hourly seconds they use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tiered {
    pub segments: Vec<Segment>,
    pub items: Vec<BreakdownItem>,
    pub hourly_seconds: i64,
}

/// Re-prices the hourly `segments` of a session whose group already used `used_before`
/// hourly seconds in the tier period.
pub(crate) fn apply_tiers(segments: Vec<Segment>, tiers: &[Tier], used_before: i64) -> Tiered {
    let mut thresholds: Vec<(i64, &Tier)> = tiers
        .iter()
        .map(|tier| (i64::from(tier.after_hours) * 3600, tier))
        .collect();
    thresholds.sort_by_key(|(seconds, _)| *seconds);

    let mut position = used_before;
    let mut out = Vec::new();
    let mut tier_seconds: Vec<(&Tier, i64)> = Vec::new();
    for segment in segments {
        if segment.slot == Slot::Package {
            out.push(segment);
            continue;
        }
        for part in cut_at_thresholds(segment, position, &thresholds) {
            let part_start = position;
            position += part.seconds();
            match tier_at(part_start, &thresholds) {
                Some(tier) => {
                    record(&mut tier_seconds, tier, part.seconds());
                    out.push(with_rate(part, tier.hourly));
                }
                None => out.push(part),
            }
        }
    }

    let items = tier_seconds
        .into_iter()
        .map(|(tier, seconds)| BreakdownItem::Tier {
            after_hours: tier.after_hours,
            hourly: tier.hourly,
            seconds,
            hours_before: (Decimal::from(used_before) / Decimal::from(3600)).round_dp(4),
        })
        .collect();
    Tiered {
        segments: out,
        items,
        hourly_seconds: position - used_before,
    }
}

/// Cuts `segment`, which starts at usage `position`, where usage crosses a threshold.
fn cut_at_thresholds(segment: Segment, position: i64, thresholds: &[(i64, &Tier)]) -> Vec<Segment> {
    let end_position = position + segment.seconds();
    let mut parts = Vec::new();
    let mut rest = segment;
    for (threshold, _) in thresholds {
        if position < *threshold && *threshold < end_position {
            let cut =
                rest.start + chrono::TimeDelta::seconds(threshold - position - consumed(&parts));
            let mut head = rest.clone();
            head.end = cut;
            rest.start = cut;
            parts.push(head);
        }
    }
    parts.push(rest);
    parts
}

fn consumed(parts: &[Segment]) -> i64 {
    parts.iter().map(Segment::seconds).sum()
}

/// Returns the tier with the highest threshold reached at usage `position`.
fn tier_at<'a>(position: i64, thresholds: &[(i64, &'a Tier)]) -> Option<&'a Tier> {
    thresholds
        .iter()
        .rev()
        .find(|(threshold, _)| *threshold <= position)
        .map(|(_, tier)| *tier)
}

fn with_rate(mut segment: Segment, rate: Decimal) -> Segment {
    if let Slot::Hourly { hourly, .. } = &mut segment.slot {
        *hourly = rate;
    }
    segment
}

fn record<'a>(totals: &mut Vec<(&'a Tier, i64)>, tier: &'a Tier, seconds: i64) {
    match totals
        .iter_mut()
        .find(|(known, _)| std::ptr::eq(*known, tier))
    {
        Some((_, total)) => *total += seconds,
        None => totals.push((tier, seconds)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeDelta, Utc};

    fn hourly_segment(hours: i64, rate: i64) -> Segment {
        let start = DateTime::parse_from_rfc3339("2026-02-02T08:00:00+01:00")
            .expect("test instant")
            .with_timezone(&Utc);
        Segment {
            start,
            end: start + TimeDelta::hours(hours),
            slot: Slot::Hourly {
                period: "default".to_string(),
                hourly: Decimal::from(rate),
            },
        }
    }

    fn rates(tiered: &Tiered) -> Vec<(i64, Decimal)> {
        tiered
            .segments
            .iter()
            .map(|segment| match &segment.slot {
                Slot::Hourly { hourly, .. } => (segment.seconds() / 3600, *hourly),
                Slot::Package => (segment.seconds() / 3600, Decimal::ZERO),
            })
            .collect()
    }

    #[test]
    fn session_crossing_threshold_is_cut() {
        let tiers = [Tier {
            after_hours: 10,
            hourly: Decimal::from(20),
        }];
        let tiered = apply_tiers(vec![hourly_segment(4, 50)], &tiers, 8 * 3600);
        assert_eq!(
            rates(&tiered),
            [(2, Decimal::from(50)), (2, Decimal::from(20))]
        );
        assert_eq!(tiered.hourly_seconds, 4 * 3600);
        assert_eq!(tiered.items.len(), 1);
    }

    #[test]
    fn two_thresholds_in_one_segment() {
        let tiers = [
            Tier {
                after_hours: 12,
                hourly: Decimal::from(10),
            },
            Tier {
                after_hours: 10,
                hourly: Decimal::from(20),
            },
        ];
        let tiered = apply_tiers(vec![hourly_segment(6, 50)], &tiers, 9 * 3600);
        let expected = [
            (1, Decimal::from(50)),
            (2, Decimal::from(20)),
            (3, Decimal::from(10)),
        ];
        assert_eq!(rates(&tiered), expected);
    }

    #[test]
    fn below_threshold_unchanged() {
        let tiers = [Tier {
            after_hours: 100,
            hourly: Decimal::from(20),
        }];
        let tiered = apply_tiers(vec![hourly_segment(3, 50)], &tiers, 0);
        assert_eq!(rates(&tiered), [(3, Decimal::from(50))]);
        assert!(tiered.items.is_empty());
    }
}
