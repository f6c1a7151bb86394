//! Billing engine: prices closed sessions with versioned tariffs and builds an invoice.
//!
//! [`compute_invoice`] selects the sessions whose start falls, in the facility's time
//! zone, on a date of the requested period, and prices each one as an [`InvoiceLine`]:
//!
//! - a session that [`Session::is_billed`] rejects gets a 0.00 line marked
//!   [`LinePricing::Unbilled`], except a session still running, which is left out and
//!   listed in [`Invoice::open_sessions`];
//! - otherwise the tariff of its instrument and its group's category in force on its
//!   local start date applies. A covered tariff gives 0.00. Else the amount is the real
//!   elapsed hours times the hourly rate plus the samples times the per-sample rate,
//!   rounded once to the cent, half away from zero.
//!
//! Lines are grouped per billing group, and each total is the sum of rounded lines.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::types::{BillingGroup, Category, Session, Tariff};

/// The period and billing groups to invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRequest {
    pub from: NaiveDate,
    /// Last local date of the period, included.
    pub to: NaiveDate,
    /// Code of the only billing group to invoice, or `None` to invoice every group.
    pub group: Option<String>,
    /// Facility time zone, which gives the local date of each session start.
    pub tz: chrono_tz::Tz,
}

/// Priced sessions of a period, per billing group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Groups with at least one line, sorted by group code.
    pub groups: Vec<GroupInvoice>,
    pub total: Decimal,
    /// Sessions of the period that are still running and so are not priced. The billing
    /// office has to close them before the invoice is final.
    pub open_sessions: Vec<Uuid>,
}

/// The lines of one billing group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInvoice {
    pub group: String,
    pub name: String,
    pub category: Category,
    /// Lines sorted by session start.
    pub lines: Vec<InvoiceLine>,
    pub total: Decimal,
}

/// One priced session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub session: Uuid,
    pub instrument: String,
    pub operator: String,
    pub kind: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Whole minutes of real elapsed time, truncated.
    pub duration_minutes: i64,
    /// Real elapsed hours rounded to 4 decimals, for display only: the amount is computed
    /// from the exact duration.
    pub hours: Decimal,
    pub samples: u32,
    /// Hourly rate applied, or `None` for covered and unbilled lines.
    pub hourly_rate: Option<Decimal>,
    /// Per-sample rate applied, or `None` for covered and unbilled lines.
    pub per_sample_rate: Option<Decimal>,
    /// Amount with exactly 2 decimals.
    pub amount: Decimal,
    pub pricing: LinePricing,
}

/// Reason for a line's amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinePricing {
    /// Priced with the tariff's rates.
    Charged,
    /// The tariff covers this category, so the amount is 0.00.
    Covered,
    /// Not billed (admin decision, maintenance or downtime), so the amount is 0.00.
    Unbilled,
}

/// Error of [`compute_invoice`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// A session names a billing group that does not exist.
    #[error(
        "session {session} is billed to unknown group {group:?}: create the group or \
         correct the session's group"
    )]
    UnknownGroup { session: Uuid, group: String },

    /// No tariff version of the instrument and category is in force at a session start.
    #[error(
        "no tariff for instrument {instrument:?} and category {category} is in force at \
         the start of session {session}: set one with `progmanager tariff set`"
    )]
    MissingTariff {
        instrument: String,
        category: Category,
        session: Uuid,
    },

    /// A closed session ends before it starts.
    #[error("session {session} ends at {end} before its start at {start}: correct its times")]
    EndBeforeStart {
        session: Uuid,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },

    /// A line amount exceeds the maximum of `Decimal` (about 7.9e28).
    #[error(
        "the amount of session {session} is too large to compute: check its duration, \
         samples and tariff rates"
    )]
    AmountOverflow { session: Uuid },

    /// A total exceeds the maximum of `Decimal` (about 7.9e28).
    #[error("the invoice total is too large to compute: check the tariff rates")]
    TotalOverflow,
}

/// Prices the sessions of `request`'s period and groups the lines per billing group.
pub fn compute_invoice(
    sessions: &[Session],
    groups: &[BillingGroup],
    tariffs: &[Tariff],
    request: &InvoiceRequest,
) -> Result<Invoice, BillingError> {
    let groups_by_code: HashMap<&str, &BillingGroup> = groups
        .iter()
        .map(|group| (group.code.as_str(), group))
        .collect();
    let mut lines_by_group: BTreeMap<&str, (&BillingGroup, Vec<InvoiceLine>)> = BTreeMap::new();
    let mut open_sessions = Vec::new();

    for session in sessions.iter().filter(|session| request.includes(session)) {
        let Some(end) = session.end else {
            open_sessions.push((session.start, session.id));
            continue;
        };
        let group = groups_by_code.get(session.group.as_str()).ok_or_else(|| {
            BillingError::UnknownGroup {
                session: session.id,
                group: session.group.clone(),
            }
        })?;
        let line = price_session(session, end, group.category, tariffs, request.tz)?;
        let entry = lines_by_group
            .entry(group.code.as_str())
            .or_insert_with(|| (group, Vec::new()));
        entry.1.push(line);
    }

    let groups = lines_by_group
        .into_values()
        .map(|(group, lines)| group_invoice(group, lines))
        .collect::<Result<Vec<_>, _>>()?;
    let total = sum_amounts(groups.iter().map(|group| group.total))?;
    open_sessions.sort_unstable();

    Ok(Invoice {
        from: request.from,
        to: request.to,
        groups,
        total,
        open_sessions: open_sessions.into_iter().map(|(_, id)| id).collect(),
    })
}

impl InvoiceRequest {
    /// Checks whether the session starts on a local date of the period and belongs to the
    /// requested group.
    fn includes(&self, session: &Session) -> bool {
        let start_date = session.start.with_timezone(&self.tz).date_naive();
        let in_period = (self.from..=self.to).contains(&start_date);
        let in_group = self
            .group
            .as_ref()
            .is_none_or(|group| *group == session.group);
        in_period && in_group
    }
}

fn group_invoice(
    group: &BillingGroup,
    mut lines: Vec<InvoiceLine>,
) -> Result<GroupInvoice, BillingError> {
    lines.sort_by_key(|line| (line.start, line.session));
    let total = sum_amounts(lines.iter().map(|line| line.amount))?;
    Ok(GroupInvoice {
        group: group.code.clone(),
        name: group.name.clone(),
        category: group.category,
        lines,
        total,
    })
}

fn sum_amounts(mut amounts: impl Iterator<Item = Decimal>) -> Result<Decimal, BillingError> {
    amounts.try_fold(zero_amount(), |sum, amount| {
        sum.checked_add(amount).ok_or(BillingError::TotalOverflow)
    })
}

/// 0.00, with the two decimals that every amount shows.
fn zero_amount() -> Decimal {
    Decimal::new(0, 2)
}

/// The rates and amount of a line, before the session's own fields are added.
struct Price {
    pricing: LinePricing,
    hourly_rate: Option<Decimal>,
    per_sample_rate: Option<Decimal>,
    amount: Decimal,
}

impl Price {
    fn free(pricing: LinePricing) -> Price {
        Price {
            pricing,
            hourly_rate: None,
            per_sample_rate: None,
            amount: zero_amount(),
        }
    }
}

fn price_session(
    session: &Session,
    end: DateTime<Utc>,
    category: Category,
    tariffs: &[Tariff],
    tz: chrono_tz::Tz,
) -> Result<InvoiceLine, BillingError> {
    let elapsed = end - session.start;
    if elapsed < chrono::TimeDelta::zero() {
        return Err(BillingError::EndBeforeStart {
            session: session.id,
            start: session.start,
            end,
        });
    }
    let overflow = || BillingError::AmountOverflow {
        session: session.id,
    };
    let seconds = elapsed_seconds(elapsed).ok_or_else(overflow)?;

    let price = if session.is_billed() {
        let start_date = session.start.with_timezone(&tz).date_naive();
        let tariff = tariff_in_force(tariffs, &session.instrument, category, start_date)
            .ok_or_else(|| BillingError::MissingTariff {
                instrument: session.instrument.clone(),
                category,
                session: session.id,
            })?;
        price_with_tariff(tariff, seconds, session.samples).ok_or_else(overflow)?
    } else {
        Price::free(LinePricing::Unbilled)
    };

    let hours = (seconds / Decimal::from(3600)).round_dp(4);
    Ok(InvoiceLine {
        session: session.id,
        instrument: session.instrument.clone(),
        operator: session.operator.clone(),
        kind: session.kind.clone(),
        start: session.start,
        end,
        duration_minutes: elapsed.num_minutes(),
        hours,
        samples: session.samples,
        hourly_rate: price.hourly_rate,
        per_sample_rate: price.per_sample_rate,
        amount: price.amount,
        pricing: price.pricing,
    })
}

/// Converts a non-negative duration to exact seconds, nanoseconds included.
fn elapsed_seconds(elapsed: chrono::TimeDelta) -> Option<Decimal> {
    let nanoseconds = elapsed.num_nanoseconds()?;
    Some(Decimal::new(nanoseconds, 9))
}

/// Selects the version with the latest `effective_from` on or before `date`, where `None`
/// is earlier than every date.
// NOTE: two versions with the same `effective_from`, as concurrent admin edits can make,
// resolve to the later one in `tariffs`. Nothing here reports that conflict.
fn tariff_in_force<'a>(
    tariffs: &'a [Tariff],
    instrument: &str,
    category: Category,
    date: NaiveDate,
) -> Option<&'a Tariff> {
    tariffs
        .iter()
        .filter(|tariff| tariff.instrument == instrument && tariff.category == category)
        .filter(|tariff| tariff.effective_from.is_none_or(|from| from <= date))
        .max_by_key(|tariff| tariff.effective_from)
}

/// Computes `seconds / 3600 × hourly + samples × per_sample`, rounded once to the cent.
/// Returns `None` on decimal overflow.
fn price_with_tariff(tariff: &Tariff, seconds: Decimal, samples: u32) -> Option<Price> {
    if tariff.covered {
        return Some(Price::free(LinePricing::Covered));
    }

    // Multiplying before dividing keeps the product exact, so the one division is the
    // only inexact step and cannot move a value across a rounding midpoint.
    let time_amount = match tariff.hourly {
        Some(rate) => seconds
            .checked_mul(rate)?
            .checked_div(Decimal::from(3600))?,
        None => Decimal::ZERO,
    };
    let sample_amount = match tariff.per_sample {
        Some(rate) => Decimal::from(samples).checked_mul(rate)?,
        None => Decimal::ZERO,
    };
    let mut amount = time_amount
        .checked_add(sample_amount)?
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    amount.rescale(2);

    Some(Price {
        pricing: LinePricing::Charged,
        hourly_rate: tariff.hourly,
        per_sample_rate: tariff.per_sample,
        amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logbook::{RMN_2010_06, parse_passages};
    use chrono_tz::Europe::Paris;
    use proptest::prelude::*;

    const NMR: &str = "RMN400";

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("test date")
    }

    fn instant(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    fn money(text: &str) -> Decimal {
        text.parse().expect("test amount")
    }

    fn group(code: &str, category: Category) -> BillingGroup {
        BillingGroup {
            code: code.to_string(),
            name: format!("{code} team"),
            category,
        }
    }

    fn facility_groups() -> Vec<BillingGroup> {
        vec![
            group("LMCP", Category::PublicCnrs),
            group("AREVA", Category::Industrial),
            group("Idenix", Category::Industrial),
            group("SGP", Category::Internal),
            group("NSA", Category::Internal),
            group("service", Category::Internal),
        ]
    }

    fn hourly_tariff(category: Category, rate: &str) -> Tariff {
        Tariff {
            instrument: NMR.to_string(),
            category,
            effective_from: None,
            covered: false,
            hourly: Some(money(rate)),
            per_sample: None,
        }
    }

    fn covered_tariff(category: Category) -> Tariff {
        Tariff {
            covered: true,
            hourly: None,
            ..hourly_tariff(category, "0")
        }
    }

    fn facility_tariffs() -> Vec<Tariff> {
        vec![
            covered_tariff(Category::Internal),
            hourly_tariff(Category::PublicCnrs, "30.00"),
            hourly_tariff(Category::Industrial, "120.00"),
        ]
    }

    fn session(group: &str, start: &str, end: &str) -> Session {
        Session {
            id: Uuid::now_v7(),
            instrument: NMR.to_string(),
            operator: "Durand".to_string(),
            group: group.to_string(),
            start: instant(start),
            end: Some(instant(end)),
            kind: "proton".to_string(),
            samples: 0,
            observations: String::new(),
            billable: true,
            node: "00".to_string(),
        }
    }

    fn june_2010() -> InvoiceRequest {
        InvoiceRequest {
            from: date(2010, 6, 1),
            to: date(2010, 6, 30),
            group: None,
            tz: Paris,
        }
    }

    fn request_for(day: NaiveDate) -> InvoiceRequest {
        InvoiceRequest {
            from: day,
            to: day,
            group: None,
            tz: Paris,
        }
    }

    fn logbook_sessions() -> Vec<Session> {
        let rows = parse_passages(RMN_2010_06, Paris).expect("valid page");
        rows.into_iter()
            .map(|row| Session {
                id: Uuid::now_v7(),
                instrument: NMR.to_string(),
                operator: row.operator,
                group: row.group,
                start: row.start,
                end: Some(row.end),
                kind: row.kind,
                samples: 0,
                observations: row.observations,
                billable: true,
                node: "00".to_string(),
            })
            .collect()
    }

    fn single_line(invoice: &Invoice) -> &InvoiceLine {
        assert_eq!(invoice.groups.len(), 1);
        assert_eq!(invoice.groups[0].lines.len(), 1);
        &invoice.groups[0].lines[0]
    }

    fn amount_of(session: Session, tariffs: &[Tariff]) -> Decimal {
        let day = session.start.with_timezone(&Paris).date_naive();
        let invoice = compute_invoice(&[session], &facility_groups(), tariffs, &request_for(day))
            .expect("invoice");
        single_line(&invoice).amount
    }

    #[test]
    fn june_2010_logbook_invoice() {
        let invoice = compute_invoice(
            &logbook_sessions(),
            &facility_groups(),
            &facility_tariffs(),
            &june_2010(),
        )
        .expect("invoice");

        let totals: Vec<(&str, String)> = invoice
            .groups
            .iter()
            .map(|group| (group.group.as_str(), group.total.to_string()))
            .collect();
        let expected = [
            ("AREVA", "480.00"),
            ("Idenix", "300.00"),
            ("LMCP", "150.00"),
            ("NSA", "0.00"),
            ("SGP", "0.00"),
            ("service", "0.00"),
        ];
        let expected: Vec<(&str, String)> = expected
            .iter()
            .map(|(code, total)| (*code, total.to_string()))
            .collect();
        assert_eq!(totals, expected);
        assert_eq!(invoice.total.to_string(), "930.00");
        assert!(invoice.open_sessions.is_empty());
    }

    #[test]
    fn june_2010_line_details() {
        let invoice = compute_invoice(
            &logbook_sessions(),
            &facility_groups(),
            &facility_tariffs(),
            &june_2010(),
        )
        .expect("invoice");
        let by_code = |code: &str| {
            invoice
                .groups
                .iter()
                .find(|group| group.group == code)
                .expect("group present")
        };

        let lmcp = by_code("LMCP");
        assert_eq!(lmcp.category, Category::PublicCnrs);
        assert_eq!(lmcp.lines.len(), 2);
        assert!(lmcp.lines[0].start < lmcp.lines[1].start);
        assert_eq!(lmcp.lines[0].duration_minutes, 120);
        assert_eq!(lmcp.lines[0].hours, money("2"));
        assert_eq!(lmcp.lines[0].hourly_rate, Some(money("30.00")));
        assert_eq!(lmcp.lines[0].pricing, LinePricing::Charged);

        let service = by_code("service");
        assert_eq!(service.lines[0].pricing, LinePricing::Unbilled);
        assert_eq!(service.lines[0].hourly_rate, None);

        let sgp = by_code("SGP");
        assert_eq!(sgp.lines[0].pricing, LinePricing::Covered);
    }

    #[test]
    fn dst_spring_night_billed_real_time() {
        let mut tariffs = facility_tariffs();
        tariffs.push(hourly_tariff(Category::PublicOther, "8"));
        let mut groups = facility_groups();
        groups.push(group("UNIV", Category::PublicOther));
        let night = session(
            "UNIV",
            "2026-03-28T22:00:00+01:00",
            "2026-03-29T06:00:00+02:00",
        );

        let invoice = compute_invoice(&[night], &groups, &tariffs, &request_for(date(2026, 3, 28)))
            .expect("invoice");
        let line = single_line(&invoice);
        assert_eq!(line.amount.to_string(), "56.00");
        assert_eq!(line.duration_minutes, 7 * 60);
    }

    #[test]
    fn per_sample_tariff() {
        let per_act = Tariff {
            hourly: None,
            per_sample: Some(money("23.3")),
            ..hourly_tariff(Category::Industrial, "0")
        };
        let mut acts = session(
            "AREVA",
            "2026-05-20T09:00:00+02:00",
            "2026-05-20T11:00:00+02:00",
        );
        acts.samples = 12;

        let day = date(2026, 5, 20);
        let invoice = compute_invoice(&[acts], &facility_groups(), &[per_act], &request_for(day))
            .expect("invoice");
        let line = single_line(&invoice);
        assert_eq!(line.amount.to_string(), "279.60");
        assert_eq!(line.hourly_rate, None);
        assert_eq!(line.per_sample_rate, Some(money("23.3")));
    }

    #[test]
    fn hourly_and_per_sample_add_up() {
        let tariff = Tariff {
            per_sample: Some(money("5")),
            ..hourly_tariff(Category::Industrial, "120")
        };
        let mut measure = session(
            "AREVA",
            "2010-06-02T10:00:00+02:00",
            "2010-06-02T10:30:00+02:00",
        );
        measure.samples = 3;
        assert_eq!(amount_of(measure, &[tariff]), money("75.00"));
    }

    #[test]
    fn tariff_version_by_local_start_date() {
        let versions = [
            (None, "10"),
            (Some(date(2010, 6, 3)), "20"),
            (Some(date(2010, 7, 1)), "40"),
        ];
        let tariffs: Vec<Tariff> = versions
            .iter()
            .map(|(from, rate)| Tariff {
                effective_from: *from,
                ..hourly_tariff(Category::Industrial, rate)
            })
            .collect();
        // The second session starts on 2010-06-02 in UTC but on 2010-06-03 in Paris.
        let cases = [
            ("2010-06-02T23:00:00+02:00", "10.00"),
            ("2010-06-03T00:30:00+02:00", "20.00"),
            ("2010-06-30T12:00:00+02:00", "20.00"),
            ("2010-07-01T12:00:00+02:00", "40.00"),
        ];
        for (start, expected) in cases {
            let one_hour = instant(start) + chrono::TimeDelta::hours(1);
            let measure = session("AREVA", start, &one_hour.to_rfc3339());
            assert_eq!(amount_of(measure, &tariffs), money(expected), "{start}");
        }
    }

    #[test]
    fn tariff_versions_in_any_order() {
        let tariffs = vec![
            Tariff {
                effective_from: Some(date(2010, 1, 1)),
                ..hourly_tariff(Category::Industrial, "50")
            },
            hourly_tariff(Category::Industrial, "10"),
        ];
        let measure = session(
            "AREVA",
            "2010-06-02T10:00:00+02:00",
            "2010-06-02T11:00:00+02:00",
        );
        assert_eq!(amount_of(measure, &tariffs), money("50.00"));
    }

    #[test]
    fn missing_tariff_error() {
        let tariffs = vec![Tariff {
            effective_from: Some(date(2010, 7, 1)),
            ..hourly_tariff(Category::Industrial, "120")
        }];
        let measure = session(
            "AREVA",
            "2010-06-02T10:00:00+02:00",
            "2010-06-02T11:00:00+02:00",
        );
        let id = measure.id;

        let error = compute_invoice(&[measure], &facility_groups(), &tariffs, &june_2010())
            .expect_err("no tariff in force");
        let expected = BillingError::MissingTariff {
            instrument: NMR.to_string(),
            category: Category::Industrial,
            session: id,
        };
        assert_eq!(error, expected);
        assert!(error.to_string().contains("progmanager tariff set"));
    }

    #[test]
    fn unbilled_session_needs_no_tariff() {
        let mut maintenance = session(
            "AREVA",
            "2010-06-02T10:00:00+02:00",
            "2010-06-02T11:00:00+02:00",
        );
        maintenance.kind = "Maintenance".to_string();
        let mut not_billable = session(
            "AREVA",
            "2010-06-02T12:00:00+02:00",
            "2010-06-02T13:00:00+02:00",
        );
        not_billable.billable = false;

        let invoice = compute_invoice(
            &[maintenance, not_billable],
            &facility_groups(),
            &[],
            &june_2010(),
        )
        .expect("invoice");
        let lines = &invoice.groups[0].lines;
        assert_eq!(lines.len(), 2);
        for line in lines {
            assert_eq!(line.pricing, LinePricing::Unbilled);
            assert_eq!(line.amount.to_string(), "0.00");
        }
        assert_eq!(invoice.total.to_string(), "0.00");
    }

    #[test]
    fn unknown_group_error() {
        let measure = session(
            "CEA",
            "2010-06-02T10:00:00+02:00",
            "2010-06-02T11:00:00+02:00",
        );
        let id = measure.id;
        let error = compute_invoice(
            &[measure],
            &facility_groups(),
            &facility_tariffs(),
            &june_2010(),
        )
        .expect_err("unknown group");
        let expected = BillingError::UnknownGroup {
            session: id,
            group: "CEA".to_string(),
        };
        assert_eq!(error, expected);
    }

    #[test]
    fn period_bounds_in_local_time() {
        let cases = [
            ("2010-05-31T23:30:00+02:00", false),
            ("2010-06-01T01:00:00+02:00", true),
            ("2010-06-30T23:30:00+02:00", true),
            ("2010-07-01T00:30:00+02:00", false),
        ];
        for (start, in_june) in cases {
            let one_hour = instant(start) + chrono::TimeDelta::hours(1);
            let measure = session("LMCP", start, &one_hour.to_rfc3339());
            let invoice = compute_invoice(
                &[measure],
                &facility_groups(),
                &facility_tariffs(),
                &june_2010(),
            )
            .expect("invoice");
            assert_eq!(invoice.groups.len(), usize::from(in_june), "{start}");
        }
    }

    #[test]
    fn rounding_once_per_line() {
        let cases = [
            ("10.00", "2010-06-02T10:20:00+02:00", "3.33"),
            ("0.30", "2010-06-02T10:01:00+02:00", "0.01"),
            ("0.01", "2010-06-02T10:30:00+02:00", "0.01"),
            ("20.00", "2010-06-02T10:20:00+02:00", "6.67"),
            ("0.10", "2010-06-02T10:01:00+02:00", "0.00"),
        ];
        for (rate, end, expected) in cases {
            let tariffs = [hourly_tariff(Category::Industrial, rate)];
            let measure = session("AREVA", "2010-06-02T10:00:00+02:00", end);
            let amount = amount_of(measure, &tariffs);
            assert_eq!(amount.to_string(), expected, "{rate} until {end}");
        }
    }

    #[test]
    fn group_total_sums_rounded_lines() {
        // Three 20-minute sessions at 10.00/h: each line is 3.33, so the total is 9.99,
        // not the 10.00 that one hour would give.
        let sessions: Vec<Session> = ["10", "11", "12"]
            .iter()
            .map(|hour| {
                let start = format!("2010-06-02T{hour}:00:00+02:00");
                let end = format!("2010-06-02T{hour}:20:00+02:00");
                session("AREVA", &start, &end)
            })
            .collect();
        let tariffs = [hourly_tariff(Category::Industrial, "10.00")];
        let invoice = compute_invoice(&sessions, &facility_groups(), &tariffs, &june_2010())
            .expect("invoice");
        assert_eq!(invoice.groups[0].total.to_string(), "9.99");
        assert_eq!(invoice.groups[0].lines[0].hours, money("0.3333"));
    }

    #[test]
    fn open_sessions_reported_apart() {
        let mut running = session(
            "LMCP",
            "2010-06-02T10:00:00+02:00",
            "2010-06-02T11:00:00+02:00",
        );
        running.end = None;
        let id = running.id;
        let closed = session(
            "AREVA",
            "2010-06-02T10:00:00+02:00",
            "2010-06-02T11:00:00+02:00",
        );

        let invoice = compute_invoice(
            &[running, closed],
            &facility_groups(),
            &facility_tariffs(),
            &june_2010(),
        )
        .expect("invoice");
        assert_eq!(invoice.open_sessions, vec![id]);
        assert_eq!(invoice.groups.len(), 1);
        assert_eq!(invoice.groups[0].group, "AREVA");
    }

    #[test]
    fn group_filter() {
        let mut request = june_2010();
        request.group = Some("LMCP".to_string());
        let invoice = compute_invoice(
            &logbook_sessions(),
            &facility_groups(),
            &facility_tariffs(),
            &request,
        )
        .expect("invoice");
        assert_eq!(invoice.groups.len(), 1);
        assert_eq!(invoice.groups[0].group, "LMCP");
        assert_eq!(invoice.total.to_string(), "150.00");
    }

    #[test]
    fn empty_period_gives_empty_invoice() {
        let invoice = compute_invoice(
            &logbook_sessions(),
            &facility_groups(),
            &facility_tariffs(),
            &request_for(date(2010, 7, 1)),
        )
        .expect("invoice");
        assert!(invoice.groups.is_empty());
        assert_eq!(invoice.total.to_string(), "0.00");
    }

    #[test]
    fn end_before_start_error() {
        let backwards = session(
            "AREVA",
            "2010-06-02T11:00:00+02:00",
            "2010-06-02T10:00:00+02:00",
        );
        let error = compute_invoice(
            &[backwards],
            &facility_groups(),
            &facility_tariffs(),
            &june_2010(),
        )
        .expect_err("negative duration");
        assert!(matches!(error, BillingError::EndBeforeStart { .. }));
    }

    fn amount_strategy() -> impl Strategy<Value = Decimal> {
        (0i64..1_000_000).prop_map(|cents| Decimal::new(cents, 2))
    }

    fn tariff_strategy(category: Category) -> impl Strategy<Value = Tariff> {
        let hourly = proptest::option::of(amount_strategy());
        let per_sample = proptest::option::of(amount_strategy());
        (any::<bool>(), hourly, per_sample).prop_map(move |(covered, hourly, per_sample)| Tariff {
            instrument: NMR.to_string(),
            category,
            effective_from: None,
            covered,
            hourly,
            per_sample,
        })
    }

    fn session_strategy() -> impl Strategy<Value = Session> {
        let codes = ["LMCP", "AREVA", "Idenix", "SGP", "NSA", "service"];
        let kinds = ["proton", "carbone", "maintenance", "downtime"];
        (
            proptest::sample::select(codes.to_vec()),
            proptest::sample::select(kinds.to_vec()),
            0i64..30 * 24 * 3600,
            proptest::option::weighted(0.9, 0i64..72 * 3600),
            0u32..100,
            proptest::bool::weighted(0.9),
        )
            .prop_map(|(group, kind, offset, duration, samples, billable)| {
                let start =
                    instant("2010-06-01T00:00:00+02:00") + chrono::TimeDelta::seconds(offset);
                Session {
                    id: Uuid::now_v7(),
                    instrument: NMR.to_string(),
                    operator: "Durand".to_string(),
                    group: group.to_string(),
                    start,
                    end: duration.map(|seconds| start + chrono::TimeDelta::seconds(seconds)),
                    kind: kind.to_string(),
                    samples,
                    observations: String::new(),
                    billable,
                    node: "00".to_string(),
                }
            })
    }

    proptest! {
        #[test]
        fn totals_add_up_and_amounts_nonnegative(
            sessions in proptest::collection::vec(session_strategy(), 0..40),
            internal in tariff_strategy(Category::Internal),
            public in tariff_strategy(Category::PublicCnrs),
            industrial in tariff_strategy(Category::Industrial),
        ) {
            let tariffs = [internal, public, industrial];
            let invoice = compute_invoice(&sessions, &facility_groups(), &tariffs, &june_2010())
                .expect("every session has a known group and a tariff");

            let mut group_sum = Decimal::ZERO;
            for group in &invoice.groups {
                prop_assert!(!group.lines.is_empty());
                let mut line_sum = Decimal::ZERO;
                for line in &group.lines {
                    prop_assert!(line.amount >= Decimal::ZERO, "negative amount {}", line.amount);
                    prop_assert_eq!(line.amount.scale(), 2);
                    line_sum += line.amount;
                }
                prop_assert_eq!(group.total, line_sum);
                group_sum += group.total;
            }
            prop_assert_eq!(invoice.total, group_sum);

            let line_count: usize = invoice.groups.iter().map(|group| group.lines.len()).sum();
            prop_assert_eq!(line_count + invoice.open_sessions.len(), sessions.len());
        }
    }
}
