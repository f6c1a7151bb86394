//! Reshaping a computed invoice: leaving out sessions already invoiced, and negating it
//! for a credit note. Totals are recomputed as sums of the lines, like the engine does.

use std::collections::HashMap;

use progmanager_model::billing::{BillingError, GroupInvoice, Invoice};
use rust_decimal::Decimal;
use uuid::Uuid;

/// Removes the lines of the sessions in `exclude` and recomputes the totals.
///
/// Returns the reduced invoice and the left-out sessions with their invoice number.
/// Groups left without lines are dropped.
pub fn without_sessions(
    invoice: &Invoice,
    exclude: &HashMap<Uuid, String>,
) -> Result<(Invoice, Vec<(Uuid, String)>), BillingError> {
    let mut left_out = Vec::new();
    let mut groups = Vec::new();
    for group in &invoice.groups {
        let mut kept = group.clone();
        kept.lines.retain(|line| match exclude.get(&line.session) {
            Some(number) => {
                left_out.push((line.session, number.clone()));
                false
            }
            None => true,
        });
        if !kept.lines.is_empty() {
            groups.push(with_group_totals(kept)?);
        }
    }
    Ok((with_totals(invoice, groups)?, left_out))
}

/// Returns a copy of the invoice with every amount negated, for a credit note.
pub fn negated(invoice: &Invoice) -> Invoice {
    let mut out = invoice.clone();
    for group in &mut out.groups {
        for line in &mut group.lines {
            line.amount = negate(line.amount);
            line.vat = negate(line.vat);
            line.amount_including_vat = negate(line.amount_including_vat);
        }
        group.total = negate(group.total);
        group.total_vat = negate(group.total_vat);
        group.total_including_vat = negate(group.total_including_vat);
    }
    out.total = negate(out.total);
    out.total_vat = negate(out.total_vat);
    out.total_including_vat = negate(out.total_including_vat);
    out
}

/// Negates an amount, keeping zero unsigned so that it never prints as `-0.00`.
fn negate(amount: Decimal) -> Decimal {
    if amount.is_zero() {
        amount.abs()
    } else {
        -amount
    }
}

fn with_group_totals(mut group: GroupInvoice) -> Result<GroupInvoice, BillingError> {
    group.total = sum(group.lines.iter().map(|line| line.amount))?;
    group.total_vat = sum(group.lines.iter().map(|line| line.vat))?;
    group.total_including_vat = sum(group.lines.iter().map(|line| line.amount_including_vat))?;
    Ok(group)
}

fn with_totals(invoice: &Invoice, groups: Vec<GroupInvoice>) -> Result<Invoice, BillingError> {
    Ok(Invoice {
        from: invoice.from,
        to: invoice.to,
        total: sum(groups.iter().map(|group| group.total))?,
        total_vat: sum(groups.iter().map(|group| group.total_vat))?,
        total_including_vat: sum(groups.iter().map(|group| group.total_including_vat))?,
        groups,
        open_sessions: invoice.open_sessions.clone(),
        held_sessions: invoice.held_sessions.clone(),
    })
}

fn sum(mut amounts: impl Iterator<Item = Decimal>) -> Result<Decimal, BillingError> {
    amounts.try_fold(Decimal::new(0, 2), |total, amount| {
        total.checked_add(amount).ok_or(BillingError::TotalOverflow)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use progmanager_model::Category;
    use progmanager_model::billing::{InvoiceLine, LinePricing};

    fn line(cents: i64) -> InvoiceLine {
        let at = Utc
            .with_ymd_and_hms(2010, 6, 1, 9, 0, 0)
            .single()
            .expect("valid instant");
        InvoiceLine {
            session: Uuid::from_u128(cents as u128),
            instrument: "RMN400".into(),
            operator: "marie".into(),
            kind: "proton".into(),
            start: at,
            end: at,
            duration_minutes: 60,
            hours: Decimal::ONE,
            samples: 0,
            hourly_rate: None,
            per_sample_rate: None,
            amount: Decimal::new(cents, 2),
            vat: Decimal::new(0, 2),
            amount_including_vat: Decimal::new(cents, 2),
            pricing: LinePricing::Charged,
            breakdown: Vec::new(),
        }
    }

    fn invoice() -> Invoice {
        let group = GroupInvoice {
            group: "LMCP".into(),
            name: "LMCP".into(),
            category: Category::PublicCnrs,
            lines: vec![line(3000), line(12000)],
            total: Decimal::new(15000, 2),
            total_vat: Decimal::new(0, 2),
            total_including_vat: Decimal::new(15000, 2),
        };
        Invoice {
            from: "2010-06-01".parse().expect("date"),
            to: "2010-06-30".parse().expect("date"),
            groups: vec![group],
            total: Decimal::new(15000, 2),
            total_vat: Decimal::new(0, 2),
            total_including_vat: Decimal::new(15000, 2),
            open_sessions: Vec::new(),
            held_sessions: Vec::new(),
        }
    }

    #[test]
    fn excluded_sessions_leave_totals() {
        let exclude = HashMap::from([(Uuid::from_u128(3000), "2010-0001".to_string())]);
        let (kept, left_out) = without_sessions(&invoice(), &exclude).expect("sums");
        assert_eq!(left_out.len(), 1);
        assert_eq!(kept.total.to_string(), "120.00");
        assert_eq!(kept.groups[0].total_including_vat.to_string(), "120.00");
    }

    #[test]
    fn excluding_every_line_drops_group() {
        let exclude = HashMap::from([
            (Uuid::from_u128(3000), "2010-0001".to_string()),
            (Uuid::from_u128(12000), "2010-0001".to_string()),
        ]);
        let (kept, _) = without_sessions(&invoice(), &exclude).expect("sums");
        assert!(kept.groups.is_empty());
        assert_eq!(kept.total.to_string(), "0.00");
    }

    #[test]
    fn negation_keeps_zero_unsigned() {
        let credit = negated(&invoice());
        assert_eq!(credit.total.to_string(), "-150.00");
        assert_eq!(credit.total_vat.to_string(), "0.00");
        assert_eq!(credit.groups[0].lines[0].amount.to_string(), "-30.00");
    }
}
