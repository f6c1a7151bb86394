//! Billing engine: prices closed sessions with versioned tariff rules and builds an invoice.
//!
//! [`compute_invoice`] selects the sessions whose start falls, in the facility's time
//! zone, on a date of the requested period, and prices each one as an [`InvoiceLine`]:
//!
//! - a session an admin marked not billable, or whose kind the rule lists as unbilled
//!   (maintenance, downtime... see `TariffRule::unbilled_kinds`), gets a 0.00 line marked
//!   [`LinePricing::Unbilled`]; a session still running is left out and listed in
//!   [`Invoice::open_sessions`];
//! - otherwise the tariff of its instrument and its group's category in force on its
//!   local start date applies: a covered rule gives 0.00, any other rule is priced as
//!   `price.rs` describes, and the line's [`InvoiceLine::breakdown`] records each step.
//!
//! Sessions are priced in start order, because caps and volume tiers depend on what the
//! group used earlier in the same calendar period. Sessions from the start of the year of
//! the period up to its first day are priced too, without lines, so that a monthly
//! invoice counts the hours and amounts of the earlier months of its quarter or year.
//!
//! Lines are grouped per billing group; each total is the sum of rounded lines.

mod billed_time;
mod breakdown;
mod ledger;
mod money;
mod price;
mod segments;
mod tiers;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use breakdown::BreakdownItem;

use ledger::Ledger;
use money::zero_amount;
use price::{Charge, ChargedSession, price_charged};

use crate::tariff::CalendarPeriod;
use crate::types::{BillingGroup, Category, Session, Tariff, UNBILLED_KINDS};

/// The period and billing groups to invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRequest {
    pub from: NaiveDate,
    /// Last local date of the period, included.
    pub to: NaiveDate,
    /// Code of the only billing group to invoice, or `None` to invoice every group.
    pub group: Option<String>,
    /// Facility time zone, which gives the local date of each session start and the
    /// local times that rate periods refer to.
    pub tz: chrono_tz::Tz,
}

/// Priced sessions of a period, per billing group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Groups with at least one line, sorted by group code.
    pub groups: Vec<GroupInvoice>,
    /// Sum of the groups' totals, before VAT.
    pub total: Decimal,
    pub total_vat: Decimal,
    pub total_including_vat: Decimal,
    /// Sessions of the period that are still running and so are not priced. The billing
    /// office has to close them before the invoice is final.
    pub open_sessions: Vec<Uuid>,
    /// Sessions of the period flagged for review (a crash, a forgotten logout): their
    /// billing is held until an admin confirms or corrects them.
    #[serde(default)]
    pub held_sessions: Vec<Uuid>,
}

/// The lines of one billing group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInvoice {
    pub group: String,
    pub name: String,
    pub category: Category,
    /// Lines sorted by session start.
    pub lines: Vec<InvoiceLine>,
    /// Sum of the lines' amounts, before VAT.
    pub total: Decimal,
    pub total_vat: Decimal,
    pub total_including_vat: Decimal,
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
    /// Default hourly rate of the rule for the session's kind, or `None` for covered and
    /// unbilled lines and rules without one. Periods, weekends and holidays may apply
    /// other rates, listed in `breakdown`.
    pub hourly_rate: Option<Decimal>,
    /// Per-sample rate applied, or `None` for covered and unbilled lines.
    pub per_sample_rate: Option<Decimal>,
    /// Amount before VAT, with exactly 2 decimals.
    pub amount: Decimal,
    /// VAT on `amount`, with exactly 2 decimals; 0.00 when the rule sets no VAT.
    pub vat: Decimal,
    /// `amount + vat`.
    pub amount_including_vat: Decimal,
    pub pricing: LinePricing,
    /// Steps of the computation of `amount` and `vat`.
    pub breakdown: Vec<BreakdownItem>,
}

/// Reason for a line's amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinePricing {
    /// Priced with the tariff's rule.
    Charged,
    /// The tariff covers this category, so the amount is 0.00.
    Covered,
    /// Not billed (admin decision or unbilled kind such as maintenance), so the amount
    /// is 0.00.
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
    let history_start = CalendarPeriod::Year.start_of(request.from);
    let mut ordered: Vec<&Session> = sessions
        .iter()
        .filter(|session| request.concerns(session, history_start))
        .collect();
    ordered.sort_by_key(|session| (session.start, session.id));

    let mut ledger = Ledger::default();
    let mut lines_by_group: BTreeMap<&str, (&BillingGroup, Vec<InvoiceLine>)> = BTreeMap::new();
    let mut open_sessions = Vec::new();
    let mut held_sessions = Vec::new();
    for session in ordered {
        if !request.includes(session) {
            // Earlier sessions only feed the ledger; their errors belong to their own
            // invoice.
            if let (Some(end), Some(group)) =
                (session.end, groups_by_code.get(session.group.as_str()))
            {
                let _ = price_session(session, end, group, tariffs, request.tz, &mut ledger);
            }
            continue;
        }
        let Some(end) = session.end else {
            open_sessions.push(session.id);
            continue;
        };
        if session.review.is_some() {
            held_sessions.push(session.id);
            continue;
        }
        let group = groups_by_code.get(session.group.as_str()).ok_or_else(|| {
            BillingError::UnknownGroup {
                session: session.id,
                group: session.group.clone(),
            }
        })?;
        let line = price_session(session, end, group, tariffs, request.tz, &mut ledger)?;
        lines_by_group
            .entry(group.code.as_str())
            .or_insert_with(|| (group, Vec::new()))
            .1
            .push(line);
    }

    let groups = lines_by_group
        .into_values()
        .map(|(group, lines)| group_invoice(group, lines))
        .collect::<Result<Vec<_>, _>>()?;
    let total = sum_amounts(groups.iter().map(|group| group.total))?;
    let total_vat = sum_amounts(groups.iter().map(|group| group.total_vat))?;
    let total_including_vat = sum_amounts(groups.iter().map(|group| group.total_including_vat))?;

    Ok(Invoice {
        from: request.from,
        to: request.to,
        groups,
        total,
        total_vat,
        total_including_vat,
        open_sessions,
        held_sessions,
    })
}

impl InvoiceRequest {
    /// Checks whether the session starts on a local date of the period and belongs to the
    /// requested group.
    fn includes(&self, session: &Session) -> bool {
        self.starts_between(session, self.from) && self.in_group(session)
    }

    /// Checks whether the session belongs to the requested group and starts between
    /// `since` and the last date of the period.
    fn concerns(&self, session: &Session, since: NaiveDate) -> bool {
        self.starts_between(session, since) && self.in_group(session)
    }

    fn starts_between(&self, session: &Session, since: NaiveDate) -> bool {
        let start_date = session.start.with_timezone(&self.tz).date_naive();
        (since..=self.to).contains(&start_date)
    }

    fn in_group(&self, session: &Session) -> bool {
        self.group
            .as_ref()
            .is_none_or(|group| *group == session.group)
    }
}

fn group_invoice(
    group: &BillingGroup,
    mut lines: Vec<InvoiceLine>,
) -> Result<GroupInvoice, BillingError> {
    lines.sort_by_key(|line| (line.start, line.session));
    let total = sum_amounts(lines.iter().map(|line| line.amount))?;
    let total_vat = sum_amounts(lines.iter().map(|line| line.vat))?;
    let total_including_vat = sum_amounts(lines.iter().map(|line| line.amount_including_vat))?;
    Ok(GroupInvoice {
        group: group.code.clone(),
        name: group.name.clone(),
        category: group.category,
        lines,
        total,
        total_vat,
        total_including_vat,
    })
}

fn sum_amounts(mut amounts: impl Iterator<Item = Decimal>) -> Result<Decimal, BillingError> {
    amounts.try_fold(zero_amount(), |sum, amount| {
        sum.checked_add(amount).ok_or(BillingError::TotalOverflow)
    })
}

/// Prices one closed session of `group`.
fn price_session(
    session: &Session,
    end: DateTime<Utc>,
    group: &BillingGroup,
    tariffs: &[Tariff],
    tz: chrono_tz::Tz,
    ledger: &mut Ledger,
) -> Result<InvoiceLine, BillingError> {
    let elapsed = end - session.start;
    if elapsed < chrono::TimeDelta::zero() {
        return Err(BillingError::EndBeforeStart {
            session: session.id,
            start: session.start,
            end,
        });
    }

    let charge = if session.billable {
        let start_date = session.start.with_timezone(&tz).date_naive();
        let tariff = tariff_in_force(tariffs, &session.instrument, group.category, start_date);
        charge_with_tariff(session, end, group, tariff, tz, ledger)?
    } else {
        free_charge(LinePricing::Unbilled, BreakdownItem::NotBillable)
    };

    let amount_including_vat =
        charge
            .amount
            .checked_add(charge.vat)
            .ok_or(BillingError::AmountOverflow {
                session: session.id,
            })?;
    let hours = (Decimal::from(elapsed.num_seconds()) / Decimal::from(3600)).round_dp(4);
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
        hourly_rate: charge.hourly_rate,
        per_sample_rate: charge.per_sample_rate,
        amount: charge.amount,
        vat: charge.vat,
        amount_including_vat,
        pricing: charge.pricing,
        breakdown: charge.breakdown,
    })
}

/// Prices a billable session with the tariff in force, if any.
fn charge_with_tariff(
    session: &Session,
    end: DateTime<Utc>,
    group: &BillingGroup,
    tariff: Option<&Tariff>,
    tz: chrono_tz::Tz,
    ledger: &mut Ledger,
) -> Result<Charge, BillingError> {
    let unbilled_kind = || {
        let reason = BreakdownItem::UnbilledKind {
            kind: session.kind.clone(),
        };
        free_charge(LinePricing::Unbilled, reason)
    };
    let Some(tariff) = tariff else {
        let kind = session.kind.trim().to_lowercase();
        if UNBILLED_KINDS.contains(&kind.as_str()) {
            return Ok(unbilled_kind());
        }
        return Err(BillingError::MissingTariff {
            instrument: session.instrument.clone(),
            category: group.category,
            session: session.id,
        });
    };

    let rule = &tariff.rule;
    if rule.is_unbilled_kind(&session.kind) {
        return Ok(unbilled_kind());
    }
    if rule.covered {
        return Ok(free_charge(LinePricing::Covered, BreakdownItem::Covered));
    }
    let input = ChargedSession {
        session,
        end,
        group: &group.code,
        rule,
        tz,
    };
    price_charged(&input, ledger).map_err(|_| BillingError::AmountOverflow {
        session: session.id,
    })
}

fn free_charge(pricing: LinePricing, reason: BreakdownItem) -> Charge {
    Charge {
        pricing,
        hourly_rate: None,
        per_sample_rate: None,
        amount: zero_amount(),
        vat: zero_amount(),
        breakdown: vec![reason],
    }
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
