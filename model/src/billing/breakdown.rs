//! Breakdown of an invoice line's amount: structured items that the node renders in
//! French or English through each item's [`BreakdownItem::message_id`].
//!
//! Items come in the order the engine applies them: unbilled or covered, billed time
//! (rounding, minimum, overrun), time segments and packages, tiers, samples and fees,
//! multiplier, surcharge, discount, minimum amount, rounding to the cent, cap, VAT.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::tariff::CalendarPeriod;

/// One step of the computation of a line's amount. Amounts are before VAT unless the
/// item is [`BreakdownItem::Vat`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "kebab-case")]
pub enum BreakdownItem {
    /// The tariff covers the category, so nothing is billed.
    Covered,
    /// An admin marked the session as not billable.
    NotBillable,
    /// Sessions of this kind are not billed (maintenance, downtime...).
    UnbilledKind { kind: String },
    /// Billed time after the first block, steps and grace of the rule.
    TimeRounding {
        elapsed_seconds: i64,
        billed_seconds: i64,
        first_block_minutes: Option<u32>,
        step_minutes: Option<u32>,
        grace_minutes: Option<u32>,
    },
    /// Billed time raised to the rule's minimum.
    MinimumTime {
        before_seconds: i64,
        billed_seconds: i64,
        minimum_minutes: u32,
    },
    /// Time beyond the booked end, rounded up to whole steps.
    Overrun {
        booked_end: DateTime<Utc>,
        overrun_seconds: i64,
        billed_seconds: i64,
        step_minutes: u32,
    },
    /// A stretch of billed time at one hourly rate. When billed time differs from the
    /// elapsed time, the billed stretch starts at the session start and runs for the
    /// billed time. `amount` is rounded to 4 decimals for display; the line amount is
    /// computed from exact values.
    Segment {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        /// `default`, `weekend`, `holiday` or the name of a rate period of the rule.
        period: String,
        hourly: Decimal,
        seconds: i64,
        amount: Decimal,
    },
    /// A stretch of billed time inside the window of the chosen package, billed at the
    /// package price instead of hourly.
    Package {
        name: String,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        price: Decimal,
    },
    /// The session chose a package that its tariff does not offer, so it is billed
    /// without one.
    UnknownPackage { name: String },
    /// Billed time priced at a volume tier's rate, because the group had already used the
    /// instrument for `hours_before` hours in the tier period.
    Tier {
        after_hours: u32,
        hourly: Decimal,
        seconds: i64,
        hours_before: Decimal,
    },
    /// Samples times the price per sample.
    Samples {
        count: u32,
        rate: Decimal,
        amount: Decimal,
    },
    /// The flat fee per session.
    SessionFee { amount: Decimal },
    /// The amount multiplied by the category's factor.
    Multiplier {
        factor: Decimal,
        before: Decimal,
        after: Decimal,
    },
    /// A percentage added, such as indirect costs.
    Surcharge { percent: Decimal, amount: Decimal },
    /// A percentage taken off.
    Discount { percent: Decimal, amount: Decimal },
    /// The amount raised to the rule's minimum per session.
    MinimumAmount { computed: Decimal, minimum: Decimal },
    /// The exact amount rounded to the cent, half away from zero.
    Rounding { exact: Decimal, rounded: Decimal },
    /// The amount lowered so the group's total in the period stays within the cap.
    Cap {
        period: CalendarPeriod,
        period_start: NaiveDate,
        cap: Decimal,
        already_billed: Decimal,
        before: Decimal,
        after: Decimal,
    },
    /// VAT added to the amount before VAT, rounded to the cent.
    Vat { percent: Decimal, amount: Decimal },
}

impl BreakdownItem {
    /// Stable identifier of the message that renders this item, in every language.
    pub fn message_id(&self) -> &'static str {
        match self {
            BreakdownItem::Covered => "breakdown-covered",
            BreakdownItem::NotBillable => "breakdown-not-billable",
            BreakdownItem::UnbilledKind { .. } => "breakdown-unbilled-kind",
            BreakdownItem::TimeRounding { .. } => "breakdown-time-rounding",
            BreakdownItem::MinimumTime { .. } => "breakdown-minimum-time",
            BreakdownItem::Overrun { .. } => "breakdown-overrun",
            BreakdownItem::Segment { .. } => "breakdown-segment",
            BreakdownItem::Package { .. } => "breakdown-package",
            BreakdownItem::UnknownPackage { .. } => "breakdown-unknown-package",
            BreakdownItem::Tier { .. } => "breakdown-tier",
            BreakdownItem::Samples { .. } => "breakdown-samples",
            BreakdownItem::SessionFee { .. } => "breakdown-session-fee",
            BreakdownItem::Multiplier { .. } => "breakdown-multiplier",
            BreakdownItem::Surcharge { .. } => "breakdown-surcharge",
            BreakdownItem::Discount { .. } => "breakdown-discount",
            BreakdownItem::MinimumAmount { .. } => "breakdown-minimum-amount",
            BreakdownItem::Rounding { .. } => "breakdown-rounding",
            BreakdownItem::Cap { .. } => "breakdown-cap",
            BreakdownItem::Vat { .. } => "breakdown-vat",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_serialize_with_tag() {
        let item = BreakdownItem::MinimumAmount {
            computed: Decimal::new(1050, 2),
            minimum: Decimal::new(2500, 2),
        };
        let json = serde_json::to_value(&item).expect("serializable");
        assert_eq!(json["item"], "minimum-amount");
        assert_eq!(json["minimum"], "25.00");
        assert_eq!(item.message_id(), "breakdown-minimum-amount");
    }
}
