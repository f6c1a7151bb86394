//! Splitting of billed time into segments of constant rate, in the facility time zone.
//!
//! A span of instants is cut at every local time where a rate may change: each local
//! midnight, the edges of the rule's periods and of the chosen package, and every change
//! of UTC offset (daylight saving). Each piece takes the rate of its first instant, and
//! neighbouring pieces with the same rate are merged. Durations are real elapsed time, so
//! a night across a clock change counts the hours that actually passed.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::tariff::{Day, Package, TariffRule};

/// Source of the rate of an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Billed hourly; `period` is `default`, `weekend`, `holiday` or a period name.
    Hourly { period: String, hourly: Decimal },
    /// Inside the window of the chosen package.
    Package,
}

/// A stretch of billed time at one rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub slot: Slot,
}

impl Segment {
    pub fn seconds(&self) -> i64 {
        (self.end - self.start).num_seconds()
    }
}

/// The rates of one session: its rule, its time zone, the default hourly rate for its
/// kind and the package it chose.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateCalendar<'a> {
    pub rule: &'a TariffRule,
    pub tz: Tz,
    /// Default hourly rate, after the session kind's own rate; 0 when the rule has none.
    pub default_hourly: Decimal,
    pub package: Option<&'a Package>,
}

impl RateCalendar<'_> {
    /// Rate of the local instant `at`, by precedence: package, holiday, weekend, first
    /// matching period, default.
    pub fn slot_at(&self, at: NaiveDateTime) -> Slot {
        if self
            .package
            .is_some_and(|package| package.window().contains(at))
        {
            return Slot::Package;
        }
        let hourly = |period: &str, hourly: Decimal| Slot::Hourly {
            period: period.to_string(),
            hourly,
        };
        if let Some(rate) = self.rule.holiday
            && self.rule.is_holiday(at.date())
        {
            return hourly("holiday", rate);
        }
        if let Some(rate) = self.rule.weekend
            && Day::from(chrono::Datelike::weekday(&at)).is_weekend()
        {
            return hourly("weekend", rate);
        }
        let period = self
            .rule
            .periods
            .iter()
            .find(|period| period.window().contains(at));
        match period {
            Some(period) => hourly(&period.name, period.hourly),
            None => hourly("default", self.default_hourly),
        }
    }

    /// Local times of day at which the rate may change.
    fn edges(&self) -> Vec<NaiveTime> {
        let periods = self
            .rule
            .periods
            .iter()
            .flat_map(|period| period.window().edges());
        let package = self
            .package
            .into_iter()
            .flat_map(|package| package.window().edges());
        let mut edges: Vec<NaiveTime> = std::iter::once(NaiveTime::MIN)
            .chain(periods)
            .chain(package)
            .collect();
        edges.sort_unstable();
        edges.dedup();
        edges
    }
}

/// Splits `start..end` into merged segments of constant rate. Returns no segment for an
/// empty span.
pub(crate) fn split(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    calendar: &RateCalendar,
) -> Vec<Segment> {
    let mut cuts = vec![start];
    cuts.extend(cut_points(start, end, calendar));
    cuts.push(end);

    let mut segments: Vec<Segment> = Vec::new();
    for pair in cuts.windows(2) {
        let (piece_start, piece_end) = (pair[0], pair[1]);
        if piece_end <= piece_start {
            continue;
        }
        let slot = calendar.slot_at(piece_start.with_timezone(&calendar.tz).naive_local());
        match segments.last_mut() {
            Some(last) if last.slot == slot && last.end == piece_start => last.end = piece_end,
            _ => segments.push(Segment {
                start: piece_start,
                end: piece_end,
                slot,
            }),
        }
    }
    segments
}

/// Instants strictly between `start` and `end` where the rate may change, sorted.
fn cut_points(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    calendar: &RateCalendar,
) -> Vec<DateTime<Utc>> {
    let tz = calendar.tz;
    let edges = calendar.edges();
    let mut cuts = offset_changes(start, end, tz);

    let first_date = start.with_timezone(&tz).date_naive().pred_opt();
    let last_date = end.with_timezone(&tz).date_naive();
    let dates = first_date
        .into_iter()
        .flat_map(|first| first.iter_days())
        .take_while(|date| *date <= last_date);
    for date in dates {
        for edge in &edges {
            cuts.extend(local_instants(tz, date, *edge));
        }
    }

    cuts.retain(|cut| start < *cut && *cut < end);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// Returns every instant that shows `time` on `date`. There is none in a spring-forward
/// gap, whose offset change is a cut of its own, and two in a repeated autumn hour.
fn local_instants(tz: Tz, date: NaiveDate, time: NaiveTime) -> Vec<DateTime<Utc>> {
    let local = date.and_time(time);
    tz.from_local_datetime(&local)
        .earliest()
        .into_iter()
        .chain(tz.from_local_datetime(&local).latest())
        .map(|instant| instant.with_timezone(&Utc))
        .collect()
}

/// Instants between `start` and `end` where the UTC offset of `tz` changes, found by
/// checking every hour and then narrowing to the second.
fn offset_changes(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> Vec<DateTime<Utc>> {
    let offset = |at: DateTime<Utc>| tz.offset_from_utc_datetime(&at.naive_utc()).fix();
    let hour = TimeDelta::hours(1);
    let mut changes = Vec::new();
    let mut before = start;
    while before < end {
        let after = (before + hour).min(end);
        if offset(before) != offset(after) {
            changes.push(first_instant_with_offset_of(before, after, offset));
        }
        before = after;
    }
    changes
}

/// Narrows `low..high`, whose ends have different offsets, to the first second with the
/// offset of `high`.
fn first_instant_with_offset_of(
    mut low: DateTime<Utc>,
    mut high: DateTime<Utc>,
    offset: impl Fn(DateTime<Utc>) -> chrono::FixedOffset,
) -> DateTime<Utc> {
    let target = offset(high);
    while (high - low).num_seconds() > 1 {
        let middle = low + (high - low) / 2;
        if offset(middle) == target {
            high = middle;
        } else {
            low = middle;
        }
    }
    high
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tariff::RatePeriod;
    use chrono_tz::Europe::Paris;
    use proptest::prelude::*;

    fn instant(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    fn money(text: &str) -> Decimal {
        text.parse().expect("test amount")
    }

    fn time(text: &str) -> NaiveTime {
        NaiveTime::parse_from_str(text, "%H:%M").expect("test time")
    }

    /// Prime hours on weekdays, a night period, weekend and holiday rates.
    fn busy_rule() -> TariffRule {
        let weekdays = vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri];
        TariffRule {
            hourly: Some(money("40")),
            weekend: Some(money("30")),
            holiday: Some(money("20")),
            periods: vec![
                RatePeriod {
                    name: "prime".to_string(),
                    days: weekdays,
                    from: time("08:00"),
                    to: time("18:00"),
                    hourly: money("45"),
                },
                RatePeriod {
                    name: "night".to_string(),
                    days: Vec::new(),
                    from: time("22:30"),
                    to: time("02:30"),
                    hourly: money("10"),
                },
            ],
            ..TariffRule::default()
        }
    }

    fn calendar(rule: &TariffRule) -> RateCalendar<'_> {
        RateCalendar {
            rule,
            tz: Paris,
            default_hourly: rule.hourly.unwrap_or_default(),
            package: None,
        }
    }

    fn periods(segments: &[Segment]) -> Vec<(String, i64)> {
        segments
            .iter()
            .map(|segment| match &segment.slot {
                Slot::Hourly { period, .. } => (period.clone(), segment.seconds() / 60),
                Slot::Package => ("package".to_string(), segment.seconds() / 60),
            })
            .collect()
    }

    #[test]
    fn friday_evening_split_at_prime_end() {
        let rule = busy_rule();
        let segments = split(
            instant("2026-09-18T17:00:00+02:00"),
            instant("2026-09-18T20:00:00+02:00"),
            &calendar(&rule),
        );
        let expected = [("prime".to_string(), 60), ("default".to_string(), 120)];
        assert_eq!(periods(&segments), expected);
    }

    #[test]
    fn weekend_and_holiday_precedence() {
        let rule = busy_rule();
        // Friday 13 November 2026 is not a holiday; Wednesday 11 November is.
        let holiday = split(
            instant("2026-11-11T09:00:00+01:00"),
            instant("2026-11-11T10:00:00+01:00"),
            &calendar(&rule),
        );
        assert_eq!(periods(&holiday), [("holiday".to_string(), 60)]);
        let saturday_night = split(
            instant("2026-11-14T23:00:00+01:00"),
            instant("2026-11-15T00:30:00+01:00"),
            &calendar(&rule),
        );
        assert_eq!(periods(&saturday_night), [("weekend".to_string(), 90)]);
    }

    #[test]
    fn spring_forward_night_has_seven_hours() {
        let rule = TariffRule {
            weekend: Some(money("8")),
            ..TariffRule::default()
        };
        let segments = split(
            instant("2026-03-28T22:00:00+01:00"),
            instant("2026-03-29T06:00:00+02:00"),
            &calendar(&rule),
        );
        assert_eq!(periods(&segments), [("weekend".to_string(), 420)]);
    }

    #[test]
    fn autumn_repeated_hour_split_at_both_occurrences() {
        let mut rule = busy_rule();
        rule.weekend = None;
        // On Sunday 2026-10-25 the wall clock shows 02:00–03:00 twice. The night period
        // ends at 02:30, reached at 00:30 UTC, and the clock shows 02:00–02:30 again from
        // 01:00 UTC, which is night time once more.
        let segments = split(
            instant("2026-10-25T01:00:00+02:00"),
            instant("2026-10-25T04:00:00+01:00"),
            &calendar(&rule),
        );
        let expected = [
            ("night".to_string(), 90),
            ("default".to_string(), 30),
            ("night".to_string(), 30),
            ("default".to_string(), 90),
        ];
        assert_eq!(periods(&segments), expected);
    }

    #[test]
    fn empty_span_has_no_segment() {
        let rule = busy_rule();
        let at = instant("2026-09-18T17:00:00+02:00");
        assert!(split(at, at, &calendar(&rule)).is_empty());
    }

    proptest! {
        #[test]
        fn segments_cover_real_duration(
            offset in 0i64..400 * 24 * 3600,
            duration in 0i64..9 * 24 * 3600,
        ) {
            let rule = busy_rule();
            let start = instant("2026-01-01T00:00:00+01:00") + TimeDelta::seconds(offset);
            let end = start + TimeDelta::seconds(duration);
            let segments = split(start, end, &calendar(&rule));

            let total: i64 = segments.iter().map(Segment::seconds).sum();
            prop_assert_eq!(total, duration);
            for pair in segments.windows(2) {
                prop_assert_eq!(pair[0].end, pair[1].start);
                prop_assert!(pair[0].slot != pair[1].slot);
            }
            if let (Some(first), Some(last)) = (segments.first(), segments.last()) {
                prop_assert_eq!(first.start, start);
                prop_assert_eq!(last.end, end);
            }
        }
    }
}
