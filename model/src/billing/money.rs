//! Checked decimal arithmetic and the one rounding rule of amounts.
//!
//! `Decimal` panics on overflow with the plain operators; these helpers return
//! [`Overflow`] instead, which the engine reports with the session at fault.

use rust_decimal::{Decimal, RoundingStrategy};

/// A result exceeded the range of `Decimal` (about 7.9e28).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overflow;

pub(crate) fn add(left: Decimal, right: Decimal) -> Result<Decimal, Overflow> {
    left.checked_add(right).ok_or(Overflow)
}

pub(crate) fn sub(left: Decimal, right: Decimal) -> Result<Decimal, Overflow> {
    left.checked_sub(right).ok_or(Overflow)
}

pub(crate) fn mul(left: Decimal, right: Decimal) -> Result<Decimal, Overflow> {
    left.checked_mul(right).ok_or(Overflow)
}

pub(crate) fn div(left: Decimal, right: Decimal) -> Result<Decimal, Overflow> {
    left.checked_div(right).ok_or(Overflow)
}

/// `percent` % of `amount`.
pub(crate) fn percent_of(amount: Decimal, percent: Decimal) -> Result<Decimal, Overflow> {
    div(mul(amount, percent)?, Decimal::ONE_HUNDRED)
}

/// Amount of `seconds` at `hourly` per hour. Multiplying before dividing keeps the
/// product exact, so the division is the only inexact step.
pub(crate) fn time_amount(seconds: i64, hourly: Decimal) -> Result<Decimal, Overflow> {
    div(mul(Decimal::from(seconds), hourly)?, Decimal::from(3600))
}

/// Rounds to the cent, half away from zero, and always shows two decimals.
pub(crate) fn round_cents(value: Decimal) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded
}

/// 0.00, with the two decimals that every amount shows.
pub(crate) fn zero_amount() -> Decimal {
    Decimal::new(0, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_half_away_from_zero() {
        let round = |text: &str| round_cents(text.parse().expect("test amount")).to_string();
        assert_eq!(round("0.005"), "0.01");
        assert_eq!(round("0.0049"), "0.00");
        assert_eq!(round("2.675"), "2.68");
        assert_eq!(round("12"), "12.00");
    }

    #[test]
    fn overflow_is_reported() {
        assert_eq!(mul(Decimal::MAX, Decimal::TWO), Err(Overflow));
        assert_eq!(add(Decimal::MAX, Decimal::ONE), Err(Overflow));
    }
}
