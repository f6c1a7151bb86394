//! The invoice as JSON for scripts. A preview keeps the shape scripts rely on
//! (`{"groups": [{"group", "total", "lines", ...}], "total", ...}`); an issued document
//! adds its number, kind, date, references, sessions and tariff versions.

use chrono::{DateTime, Utc};
use progmanager_model::billing::{GroupInvoice, InvoiceLine};
use progmanager_model::schema::IssuedInvoice;
use serde_json::{Value, json};

use super::breakdown;
use super::changes::LineChange;
use super::view::{InvoiceView, LineFlag};
use crate::ops::local_rfc3339;

/// The JSON document.
pub fn render(view: &InvoiceView<'_>) -> Value {
    let invoice = view.invoice;
    let groups: Vec<Value> = invoice.groups.iter().map(|g| group_json(view, g)).collect();
    let mut out = json!({
        "facility": view.facility,
        "from": invoice.from.to_string(),
        "to": invoice.to.to_string(),
        "timezone": view.tz.name(),
        "groups": groups,
        "total": invoice.total.to_string(),
        "total_vat": invoice.total_vat.to_string(),
        "total_including_vat": invoice.total_including_vat.to_string(),
        "open_sessions": invoice.open_sessions.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
        "held_sessions": invoice.held_sessions.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
    });
    if let (Some(issued), Value::Object(map)) = (view.issued, &mut out) {
        map.extend(issued_fields(issued, view));
    }
    out
}

fn issued_fields(issued: &IssuedInvoice, view: &InvoiceView<'_>) -> serde_json::Map<String, Value> {
    let number = |n: Option<progmanager_model::schema::InvoiceNumber>| n.map(|n| n.to_string());
    let fields = json!({
        "number": issued.number.to_string(),
        "kind": issued.kind.code(),
        "issued": local_rfc3339(issued.issued_at, view.tz),
        "issued_by": issued.issued_by,
        "node": issued.node,
        "requested_group": issued.group,
        "credits": number(issued.credits),
        "credited_by": number(issued.credited_by),
        "sessions": issued.sessions.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
        "tariffs": issued.tariffs,
    });
    match fields {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

fn group_json(view: &InvoiceView<'_>, group: &GroupInvoice) -> Value {
    json!({
        "group": group.group,
        "name": group.name,
        "category": group.category.code(),
        "lines": group.lines.iter().map(|l| line_json(view, l)).collect::<Vec<_>>(),
        "total": group.total.to_string(),
        "total_vat": group.total_vat.to_string(),
        "total_including_vat": group.total_including_vat.to_string(),
    })
}

fn line_json(view: &InvoiceView<'_>, line: &InvoiceLine) -> Value {
    let local = |at: DateTime<Utc>| local_rfc3339(at, view.tz);
    json!({
        "session": line.session.to_string(),
        "instrument": line.instrument,
        "operator": line.operator,
        "kind": line.kind,
        "start": local(line.start),
        "end": local(line.end),
        "duration_minutes": line.duration_minutes,
        "hours": line.hours.to_string(),
        "samples": line.samples,
        "hourly_rate": line.hourly_rate.map(|d| d.to_string()),
        "per_sample_rate": line.per_sample_rate.map(|d| d.to_string()),
        "amount": line.amount.to_string(),
        "vat": line.vat.to_string(),
        "amount_including_vat": line.amount_including_vat.to_string(),
        "pricing": line.pricing,
        "breakdown": line.breakdown,
        "computation": breakdown::describe(&line.breakdown, view.tz),
        "invoiced": match view.flags.get(&line.session) {
            Some(LineFlag::Invoiced(number)) => Some(number.clone()),
            _ => None,
        },
        "changed": match view.flags.get(&line.session) {
            Some(LineFlag::Changed(LineChange::Changed)) => Some("changed"),
            Some(LineFlag::Changed(LineChange::Removed)) => Some("removed"),
            _ => None,
        },
        "note": view.flags.get(&line.session).map(LineFlag::note),
    })
}
