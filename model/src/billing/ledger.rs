//! State carried across the sessions of an invoice: hours used for volume tiers and
//! amounts billed against caps, per billing group, instrument and calendar period.
//!
//! The engine prices sessions in start order, so each session counts what the earlier
//! sessions of its group used in the same period.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::tariff::CalendarPeriod;

/// Usage bucket: a billing group, an instrument and a calendar period.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct UsageKey {
    pub group: String,
    pub instrument: String,
    pub period: CalendarPeriod,
    /// First local date of the period.
    pub period_start: NaiveDate,
}

/// Hours and amounts used so far in each period.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    hourly_seconds: HashMap<UsageKey, i64>,
    billed: HashMap<UsageKey, Decimal>,
}

impl Ledger {
    /// Seconds billed hourly so far under `key`.
    pub fn hourly_seconds(&self, key: &UsageKey) -> i64 {
        self.hourly_seconds.get(key).copied().unwrap_or(0)
    }

    pub fn add_hourly_seconds(&mut self, key: UsageKey, seconds: i64) {
        *self.hourly_seconds.entry(key).or_insert(0) += seconds;
    }

    /// Amount before VAT billed so far under `key`.
    pub fn billed(&self, key: &UsageKey) -> Decimal {
        self.billed.get(key).copied().unwrap_or(Decimal::ZERO)
    }

    /// Records `amount` as billed under `key`; saturates instead of overflowing, because
    /// a cap compared with `Decimal::MAX` is never reached anyway.
    pub fn add_billed(&mut self, key: UsageKey, amount: Decimal) {
        let total = self.billed.entry(key).or_insert(Decimal::ZERO);
        *total = total.saturating_add(amount);
    }
}
