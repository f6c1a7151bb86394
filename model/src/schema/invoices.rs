//! Issued invoices and credit notes, one `invoices/YEAR` document per year of issue, and
//! the facility's billing office setting.
//!
//! Only the billing office node writes these documents (see [`billing_office`]), so their
//! records are never edited concurrently: a record is written once when issued, and an
//! invoice later gains only its `credited_by` field. Each record is keyed by its number
//! `YYYY-NNNN` in the root map `invoices`. It keeps the whole computed invoice (lines and
//! breakdowns) as JSON, so later changes to sessions and tariffs leave it as issued.

use std::fmt;
use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ScalarValue};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::facility::read_members;
use super::value::{Record, SchemaError, instant, map_entries, root_map};
use crate::billing::Invoice;
use crate::types::Tariff;

/// Root maps of an invoices document.
pub const INVOICES_MAPS: [&str; 1] = ["invoices"];

/// Document ID of the invoices and credit notes issued in `year`.
pub fn invoices_doc_id(year: i32) -> String {
    format!("invoices/{year}")
}

/// Number of an issued document: the year of issue and a sequence that starts at 1 each
/// year, written `YYYY-NNNN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InvoiceNumber {
    pub year: i32,
    pub sequence: u32,
}

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04}", self.year, self.sequence)
    }
}

/// A text that is not a number of the form `YYYY-NNNN`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid invoice number {0:?}: expected YEAR-SEQUENCE such as 2026-0001")]
pub struct InvalidInvoiceNumber(pub String);

impl FromStr for InvoiceNumber {
    type Err = InvalidInvoiceNumber;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidInvoiceNumber(text.to_string());
        let (year, sequence) = text.trim().split_once('-').ok_or_else(invalid)?;
        let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || !all_digits(year) || !all_digits(sequence) {
            return Err(invalid());
        }
        let year = year.parse().map_err(|_| invalid())?;
        let sequence = sequence.parse().map_err(|_| invalid())?;
        if sequence == 0 {
            return Err(invalid());
        }
        Ok(InvoiceNumber { year, sequence })
    }
}

/// Whether an issued document bills sessions or cancels an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InvoiceKind {
    Invoice,
    CreditNote,
}

impl InvoiceKind {
    pub fn code(self) -> &'static str {
        match self {
            InvoiceKind::Invoice => "invoice",
            InvoiceKind::CreditNote => "credit-note",
        }
    }
}

/// An invoice or credit note as issued, frozen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedInvoice {
    pub number: InvoiceNumber,
    pub kind: InvoiceKind,
    pub issued_at: DateTime<Utc>,
    /// Login of the administrator who issued it.
    pub issued_by: String,
    /// Hex ID of the node that issued it: the billing office at that time.
    pub node: String,
    /// Facility name printed in the header, as it was at issue.
    pub facility: String,
    /// IANA time zone the lines were priced and dated in.
    pub timezone: String,
    /// The group requested with `--group`, or `None` for every group of the period.
    pub group: Option<String>,
    /// The computed lines and totals; amounts are negated in a credit note.
    pub invoice: Invoice,
    /// Tariff versions that priced the lines.
    pub tariffs: Vec<Tariff>,
    /// Sessions the document bills (or, for a credit note, releases).
    pub sessions: Vec<Uuid>,
    /// For a credit note: the invoice it cancels.
    pub credits: Option<InvoiceNumber>,
    /// For an invoice: the credit note that cancelled it.
    pub credited_by: Option<InvoiceNumber>,
}

impl IssuedInvoice {
    /// Checks whether this is an invoice that still bills its sessions.
    pub fn is_active_invoice(&self) -> bool {
        self.kind == InvoiceKind::Invoice && self.credited_by.is_none()
    }
}

/// Every invoice and credit note of an invoices document, by number.
pub fn read_invoices<D: ReadDoc>(doc: &D) -> Result<Vec<IssuedInvoice>, SchemaError> {
    let root = root_map(doc, "invoices")?;
    let mut out = Vec::new();
    for (key, obj) in map_entries(doc, &root) {
        out.push(read_invoice(&Record::new(doc, obj, key))?);
    }
    out.sort_by_key(|invoice| invoice.number);
    Ok(out)
}

/// The next free number of `year`: one more than the highest number in `doc`, so the
/// sequence has no gap as long as one node issues.
pub fn next_invoice_number<D: ReadDoc>(
    doc: Option<&D>,
    year: i32,
) -> Result<InvoiceNumber, SchemaError> {
    let mut highest = 0;
    if let Some(doc) = doc {
        let root = root_map(doc, "invoices")?;
        for (key, _) in map_entries(doc, &root) {
            if let Ok(number) = key.parse::<InvoiceNumber>()
                && number.year == year
            {
                highest = highest.max(number.sequence);
            }
        }
    }
    Ok(InvoiceNumber {
        year,
        sequence: highest + 1,
    })
}

fn read_invoice<D: ReadDoc>(r: &Record<'_, D>) -> Result<IssuedInvoice, SchemaError> {
    let number = r.key.parse().map_err(|_| r.bad_value("number", &r.key))?;
    let kind = match r.str("kind")?.as_str() {
        "invoice" => InvoiceKind::Invoice,
        "credit-note" => InvoiceKind::CreditNote,
        other => return Err(r.bad_value("kind", other)),
    };
    let issued = r
        .timestamp("issued")?
        .ok_or_else(|| r.bad_value("issued", ""))?;
    Ok(IssuedInvoice {
        number,
        kind,
        issued_at: instant(issued).ok_or_else(|| r.bad_value("issued", &issued.to_string()))?,
        issued_by: r.str_or_empty("issued_by"),
        node: r.str_or_empty("node"),
        facility: r.str_or_empty("facility"),
        timezone: r.str("timezone")?,
        group: Some(r.str_or_empty("group")).filter(|group| !group.is_empty()),
        invoice: json_field(r, "content")?,
        tariffs: json_field(r, "tariffs")?,
        sessions: json_field(r, "sessions")?,
        credits: optional_number(r, "credits")?,
        credited_by: optional_number(r, "credited_by")?,
    })
}

fn json_field<D: ReadDoc, T: for<'de> Deserialize<'de>>(
    r: &Record<'_, D>,
    field: &'static str,
) -> Result<T, SchemaError> {
    let json = r.str(field)?;
    serde_json::from_str(&json).map_err(|_| r.bad_value(field, &json))
}

fn optional_number<D: ReadDoc>(
    r: &Record<'_, D>,
    field: &'static str,
) -> Result<Option<InvoiceNumber>, SchemaError> {
    let text = r.str_or_empty(field);
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| r.bad_value(field, &text))
}

fn to_json(value: &impl Serialize, field: &str) -> Result<String, SchemaError> {
    serde_json::to_string(value)
        .map_err(|error| SchemaError::Automerge(format!("{field} not serializable: {error}")))
}

/// Writes a newly issued invoice or credit note under its number.
pub fn put_invoice<T: Transactable>(tx: &mut T, item: &IssuedInvoice) -> Result<(), SchemaError> {
    let root = root_map(tx, "invoices")?;
    let obj = tx.put_object(&root, item.number.to_string().as_str(), ObjType::Map)?;
    let text = |number: Option<InvoiceNumber>| number.map(|n| n.to_string()).unwrap_or_default();
    tx.put(&obj, "kind", item.kind.code())?;
    tx.put(
        &obj,
        "issued",
        ScalarValue::Timestamp(item.issued_at.timestamp_millis()),
    )?;
    tx.put(&obj, "issued_by", item.issued_by.as_str())?;
    tx.put(&obj, "node", item.node.as_str())?;
    tx.put(&obj, "facility", item.facility.as_str())?;
    tx.put(&obj, "timezone", item.timezone.as_str())?;
    tx.put(&obj, "group", item.group.as_deref().unwrap_or_default())?;
    tx.put(&obj, "content", to_json(&item.invoice, "content")?)?;
    tx.put(&obj, "tariffs", to_json(&item.tariffs, "tariffs")?)?;
    tx.put(&obj, "sessions", to_json(&item.sessions, "sessions")?)?;
    tx.put(&obj, "credits", text(item.credits))?;
    tx.put(&obj, "credited_by", text(item.credited_by))?;
    Ok(())
}

/// Records on invoice `number` the credit note that cancels it.
pub fn mark_credited<T: Transactable>(
    tx: &mut T,
    number: InvoiceNumber,
    credit: InvoiceNumber,
) -> Result<(), SchemaError> {
    let root = root_map(tx, "invoices")?;
    let key = number.to_string();
    let obj: ObjId = match tx.get(&root, key.as_str())? {
        Some((automerge::Value::Object(ObjType::Map), obj)) => obj,
        _ => {
            return Err(SchemaError::BadField {
                record: key,
                field: "number",
            });
        }
    };
    tx.put(&obj, "credited_by", credit.to_string())?;
    Ok(())
}

/// Hex ID of the node that issues invoices: the `billing_office` setting of the facility
/// document, or, while no admin has set one, the member that joined first (the node that
/// created the facility).
pub fn billing_office<D: ReadDoc>(doc: &D) -> Result<Option<String>, SchemaError> {
    let settings = root_map(doc, "settings")?;
    let record = Record::new(doc, settings, "settings".into());
    let chosen = record.str_or_empty("billing_office");
    if !chosen.is_empty() {
        return Ok(Some(chosen));
    }
    let founder = read_members(doc)?
        .into_iter()
        .min_by(|a, b| (a.joined_ms, &a.node_id).cmp(&(b.joined_ms, &b.node_id)));
    Ok(founder.map(|member| member.node_id))
}

/// Checks whether an admin set the billing office (rather than it being the default).
pub fn billing_office_is_set<D: ReadDoc>(doc: &D) -> Result<bool, SchemaError> {
    let settings = root_map(doc, "settings")?;
    let record = Record::new(doc, settings, "settings".into());
    Ok(!record.str_or_empty("billing_office").is_empty())
}

/// Sets the node that issues invoices.
pub fn put_billing_office<T: Transactable>(tx: &mut T, node_id: &str) -> Result<(), SchemaError> {
    let settings = root_map(tx, "settings")?;
    tx.put(&settings, "billing_office", node_id)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{FACILITY_DOC, Member, genesis, put_member};
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("valid date")
    }

    fn issued(sequence: u32) -> IssuedInvoice {
        IssuedInvoice {
            number: InvoiceNumber {
                year: 2026,
                sequence,
            },
            kind: InvoiceKind::Invoice,
            issued_at: DateTime::from_timestamp_millis(1_780_000_000_000).expect("instant"),
            issued_by: "admin".into(),
            node: "ab".repeat(32),
            facility: "Plateforme RMN".into(),
            timezone: "Europe/Paris".into(),
            group: Some("LMCP".into()),
            invoice: Invoice {
                from: date("2026-06-01"),
                to: date("2026-06-30"),
                groups: Vec::new(),
                total: Decimal::new(15000, 2),
                total_vat: Decimal::new(0, 2),
                total_including_vat: Decimal::new(15000, 2),
                open_sessions: Vec::new(),
                held_sessions: Vec::new(),
            },
            tariffs: Vec::new(),
            sessions: vec![Uuid::from_u128(sequence.into())],
            credits: None,
            credited_by: None,
        }
    }

    #[test]
    fn numbers_parse_and_print() {
        let number: InvoiceNumber = "2026-0042".parse().expect("valid number");
        assert_eq!(number.year, 2026);
        assert_eq!(number.sequence, 42);
        assert_eq!(number.to_string(), "2026-0042");
        assert_eq!(
            "2026-12345".parse::<InvoiceNumber>().map(|n| n.sequence),
            Ok(12345)
        );
        for bad in ["2026", "26-0001", "2026-0000", "2026-x1", "-0001", "2026-"] {
            assert!(bad.parse::<InvoiceNumber>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn invoice_round_trips_and_numbers_follow() {
        let mut doc = genesis(&invoices_doc_id(2026)).expect("known doc");
        assert_eq!(
            next_invoice_number(Some(&doc), 2026).map(|n| n.to_string()),
            Ok("2026-0001".to_string())
        );
        let first = issued(1);
        let mut tx = doc.transaction();
        put_invoice(&mut tx, &first).expect("put");
        put_invoice(&mut tx, &issued(2)).expect("put");
        mark_credited(&mut tx, first.number, issued(3).number).expect("mark");
        tx.commit();

        let read = read_invoices(&doc).expect("readable");
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].credited_by, Some(issued(3).number));
        assert!(!read[0].is_active_invoice());
        assert_eq!(read[1], issued(2));
        assert_eq!(
            next_invoice_number(Some(&doc), 2026).map(|n| n.sequence),
            Ok(3)
        );
    }

    #[test]
    fn billing_office_defaults_to_first_member() {
        let mut doc = genesis(FACILITY_DOC).expect("known doc");
        let member = |id: &str, joined_ms| Member {
            node_id: id.into(),
            name: id.into(),
            address: String::new(),
            joined_ms,
            removed: false,
        };
        let mut tx = doc.transaction();
        put_member(&mut tx, &member("bbbb", 10)).expect("put");
        put_member(&mut tx, &member("aaaa", 20)).expect("put");
        tx.commit();
        assert_eq!(billing_office(&doc), Ok(Some("bbbb".to_string())));
        assert_eq!(billing_office_is_set(&doc), Ok(false));

        let mut tx = doc.transaction();
        put_billing_office(&mut tx, "aaaa").expect("put");
        tx.commit();
        assert_eq!(billing_office(&doc), Ok(Some("aaaa".to_string())));
        assert_eq!(billing_office_is_set(&doc), Ok(true));
    }
}
