//! Pricing of one charged session with its tariff rule.
//!
//! The steps, in order, each leaving an item in the line's breakdown:
//!
//! 1. billed time (first block, steps and grace, minimum, overrun steps);
//! 2. the billed time, from the session start, split into segments of constant rate, and
//!    the chosen package's windows priced flat;
//! 3. volume tiers re-price hourly time beyond their thresholds;
//! 4. samples and the flat fee per session are added;
//! 5. multiplier, surcharge, discount, then the minimum amount;
//! 6. one rounding to the cent, half away from zero;
//! 7. caps per calendar period lower the rounded amount;
//! 8. VAT on the amount before VAT, rounded to the cent.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::LinePricing;
use super::billed_time::billed_time;
use super::breakdown::BreakdownItem;
use super::ledger::{Ledger, UsageKey};
use super::money::{self, Overflow};
use super::segments::{RateCalendar, Segment, Slot, split};
use super::tiers::apply_tiers;
use crate::tariff::{CalendarPeriod, Package, TariffRule};
use crate::types::Session;

/// A closed session to price, with its group and the rule in force at its start.
pub(crate) struct ChargedSession<'a> {
    pub session: &'a Session,
    pub end: DateTime<Utc>,
    pub group: &'a str,
    pub rule: &'a TariffRule,
    pub tz: Tz,
}

/// Amounts and rates of a charged line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Charge {
    pub pricing: LinePricing,
    pub hourly_rate: Option<Decimal>,
    pub per_sample_rate: Option<Decimal>,
    /// Before VAT, two decimals.
    pub amount: Decimal,
    /// Two decimals.
    pub vat: Decimal,
    pub breakdown: Vec<BreakdownItem>,
}

/// The rates of the rule after the session kind's own prices replace them.
struct KindRates {
    hourly: Option<Decimal>,
    per_sample: Option<Decimal>,
    per_session: Option<Decimal>,
}

/// Prices `input` and records its hours and amount in `ledger`.
pub(crate) fn price_charged(
    input: &ChargedSession,
    ledger: &mut Ledger,
) -> Result<Charge, Overflow> {
    let rule = input.rule;
    let rates = kind_rates(rule, &input.session.kind);
    let mut items = Vec::new();

    let exact_time = time_amount(input, &rates, ledger, &mut items)?;
    let quantities = quantity_amount(input.session.samples, &rates, &mut items)?;
    let exact = adjust(rule, money::add(exact_time, quantities)?, &mut items)?;

    let amount = money::round_cents(exact);
    if amount != exact {
        items.push(BreakdownItem::Rounding {
            exact: exact.normalize(),
            rounded: amount,
        });
    }
    let amount = apply_caps(input, amount, ledger, &mut items)?;
    let vat = vat_amount(rule, amount, &mut items)?;

    Ok(Charge {
        pricing: LinePricing::Charged,
        hourly_rate: rates.hourly,
        per_sample_rate: rates.per_sample,
        amount,
        vat,
        breakdown: items,
    })
}

fn kind_rates(rule: &TariffRule, kind: &str) -> KindRates {
    let own = rule.kind_price(kind);
    KindRates {
        hourly: own.and_then(|price| price.hourly).or(rule.hourly),
        per_sample: own.and_then(|price| price.per_sample).or(rule.per_sample),
        per_session: own.and_then(|price| price.per_session).or(rule.per_session),
    }
}

/// Amount of the billed time: hourly segments, package windows and tiers.
fn time_amount(
    input: &ChargedSession,
    rates: &KindRates,
    ledger: &mut Ledger,
    items: &mut Vec<BreakdownItem>,
) -> Result<Decimal, Overflow> {
    let session = input.session;
    if !input.rule.bills_time() && rates.hourly.is_none() {
        return Ok(Decimal::ZERO);
    }
    let billed = billed_time(input.rule, session.start, input.end, session.booked_end);
    items.extend(billed.items);

    let package = chosen_package(input.rule, session, items);
    let calendar = RateCalendar {
        rule: input.rule,
        tz: input.tz,
        default_hourly: rates.hourly.unwrap_or(Decimal::ZERO),
        package,
    };
    let billed_end = session.start + TimeDelta::seconds(billed.seconds);
    let segments = split(session.start, billed_end, &calendar);

    let key = usage_key(input, input.rule.tier_period);
    let tiered = apply_tiers(segments, &input.rule.tiers, ledger.hourly_seconds(&key));
    ledger.add_hourly_seconds(key, tiered.hourly_seconds);

    let amount = price_segments(&tiered.segments, package, items)?;
    items.extend(tiered.items);
    Ok(amount)
}

/// Returns the package the session chose, or `None` with an item when the rule lacks it.
fn chosen_package<'a>(
    rule: &'a TariffRule,
    session: &Session,
    items: &mut Vec<BreakdownItem>,
) -> Option<&'a Package> {
    let name = session.package.as_deref()?;
    let package = rule.package(name);
    if package.is_none() {
        items.push(BreakdownItem::UnknownPackage {
            name: name.to_string(),
        });
    }
    package
}

/// Sums hourly segments (one division for all of them) and package prices.
fn price_segments(
    segments: &[Segment],
    package: Option<&Package>,
    items: &mut Vec<BreakdownItem>,
) -> Result<Decimal, Overflow> {
    let mut rate_seconds = Decimal::ZERO;
    let mut packages = Decimal::ZERO;
    for segment in segments {
        match (&segment.slot, package) {
            (Slot::Hourly { period, hourly }, _) => {
                let product = money::mul(Decimal::from(segment.seconds()), *hourly)?;
                rate_seconds = money::add(rate_seconds, product)?;
                items.push(BreakdownItem::Segment {
                    start: segment.start,
                    end: segment.end,
                    period: period.clone(),
                    hourly: *hourly,
                    seconds: segment.seconds(),
                    amount: money::time_amount(segment.seconds(), *hourly)?.round_dp(4),
                });
            }
            (Slot::Package, Some(package)) => {
                packages = money::add(packages, package.price)?;
                items.push(BreakdownItem::Package {
                    name: package.name.clone(),
                    start: segment.start,
                    end: segment.end,
                    price: package.price,
                });
            }
            (Slot::Package, None) => {}
        }
    }
    money::add(money::div(rate_seconds, Decimal::from(3600))?, packages)
}

/// Samples times the price per sample, plus the fee per session.
fn quantity_amount(
    samples: u32,
    rates: &KindRates,
    items: &mut Vec<BreakdownItem>,
) -> Result<Decimal, Overflow> {
    let mut amount = Decimal::ZERO;
    if let Some(rate) = rates.per_sample {
        let samples_amount = money::mul(Decimal::from(samples), rate)?;
        items.push(BreakdownItem::Samples {
            count: samples,
            rate,
            amount: samples_amount,
        });
        amount = samples_amount;
    }
    if let Some(fee) = rates.per_session {
        items.push(BreakdownItem::SessionFee { amount: fee });
        amount = money::add(amount, fee)?;
    }
    Ok(amount)
}

/// Applies multiplier, surcharge, discount and minimum amount to the exact amount.
fn adjust(
    rule: &TariffRule,
    mut amount: Decimal,
    items: &mut Vec<BreakdownItem>,
) -> Result<Decimal, Overflow> {
    if let Some(factor) = rule.multiplier {
        let after = money::mul(amount, factor)?;
        items.push(BreakdownItem::Multiplier {
            factor,
            before: amount.normalize(),
            after: after.normalize(),
        });
        amount = after;
    }
    if let Some(percent) = rule.surcharge_percent {
        let surcharge = money::percent_of(amount, percent)?;
        items.push(BreakdownItem::Surcharge {
            percent,
            amount: surcharge.normalize(),
        });
        amount = money::add(amount, surcharge)?;
    }
    if let Some(percent) = rule.discount_percent {
        let discount = money::percent_of(amount, percent)?;
        items.push(BreakdownItem::Discount {
            percent,
            amount: discount.normalize(),
        });
        amount = money::sub(amount, discount)?;
    }
    if let Some(minimum) = rule.minimum_amount
        && amount < minimum
    {
        items.push(BreakdownItem::MinimumAmount {
            computed: amount.normalize(),
            minimum,
        });
        amount = minimum;
    }
    Ok(amount)
}

/// Lowers `amount` so that every cap's period total stays within the cap, then records
/// the amount against every cap of the rule.
fn apply_caps(
    input: &ChargedSession,
    mut amount: Decimal,
    ledger: &mut Ledger,
    items: &mut Vec<BreakdownItem>,
) -> Result<Decimal, Overflow> {
    for cap in &input.rule.caps {
        let key = usage_key(input, cap.period);
        let already_billed = ledger.billed(&key);
        let remaining = money::sub(cap.amount, already_billed)?.max(Decimal::ZERO);
        let capped = money::round_cents(amount.min(remaining));
        if capped < amount {
            items.push(BreakdownItem::Cap {
                period: cap.period,
                period_start: key.period_start,
                cap: cap.amount,
                already_billed,
                before: amount,
                after: capped,
            });
            amount = capped;
        }
    }
    for cap in &input.rule.caps {
        ledger.add_billed(usage_key(input, cap.period), amount);
    }
    Ok(amount)
}

fn vat_amount(
    rule: &TariffRule,
    amount: Decimal,
    items: &mut Vec<BreakdownItem>,
) -> Result<Decimal, Overflow> {
    let Some(percent) = rule.vat_percent else {
        return Ok(money::zero_amount());
    };
    let vat = money::round_cents(money::percent_of(amount, percent)?);
    items.push(BreakdownItem::Vat {
        percent,
        amount: vat,
    });
    Ok(vat)
}

/// Builds the ledger key of the session's group and instrument in the `period` of its
/// local start date.
fn usage_key(input: &ChargedSession, period: CalendarPeriod) -> UsageKey {
    let start_date = input.session.start.with_timezone(&input.tz).date_naive();
    UsageKey {
        group: input.group.to_string(),
        instrument: input.session.instrument.clone(),
        period,
        period_start: period.start_of(start_date),
    }
}
