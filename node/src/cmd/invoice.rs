//! `invoice`: previews the invoice of a period or issues it (`--issue`); `invoice list`,
//! `show`, `credit` and `office` handle issued invoices, credit notes and the billing
//! office. Every rendering (table, CSV, JSON, xlsx, PDF) comes from [`crate::invoice`].

use std::collections::HashMap;
use std::path::Path;

use chrono_tz::Tz;
use progmanager_model::User;
use progmanager_model::billing::{Invoice, InvoiceRequest, compute_invoice};
use progmanager_model::permissions::Action;
use progmanager_model::schema::{InvoiceKind, IssuedInvoice};
use serde_json::json;

use crate::auth;
use crate::cli::{Format, InvoiceArgs, InvoiceCommand, InvoiceFormat};
use crate::cmd::report::{csv_amount, to_csv, to_table};
use crate::error::AppError;
use crate::invoice::view::{InvoiceView, LineFlag};
use crate::invoice::{
    InvoiceError, changes, credit, export_csv, export_json, export_pdf, export_xlsx, issue, office,
    records, table,
};
use crate::node::Node;
use crate::ops;
use crate::tr;

pub fn invoice(node: &mut Node, user: Option<&str>, args: &InvoiceArgs) -> Result<(), AppError> {
    let user = auth::login(node, user)?;
    match &args.command {
        None => period(node, &user, args),
        Some(InvoiceCommand::Credit { number }) => credit_note(node, &user, number),
        Some(InvoiceCommand::List { format }) => list(node, &user, *format),
        Some(InvoiceCommand::Show {
            number,
            format,
            output,
        }) => show(node, &user, number, *format, output.as_deref()),
        Some(InvoiceCommand::Office { node_id }) => billing_office(node, &user, node_id.as_deref()),
    }
}

/// Previews the invoice of `--from`..`--to`, or issues it with `--issue`.
fn period(node: &mut Node, user: &User, args: &InvoiceArgs) -> Result<(), AppError> {
    ops::require(user, Action::ViewInvoices)?;
    check_output(args.format, args.output.as_deref())?;
    let (computed, tz) = compute(node, args)?;
    if !computed.open_sessions.is_empty() {
        eprintln!(
            "{}",
            tr!(
                "invoice-open-sessions",
                count = computed.open_sessions.len()
            )
        );
    }
    if !computed.held_sessions.is_empty() {
        eprintln!(
            "{}",
            tr!(
                "invoice-held-sessions",
                count = computed.held_sessions.len()
            )
        );
    }

    if !args.issue {
        let invoiced = records::invoiced_sessions(node)?;
        let flags = preview_flags(&computed, &invoiced);
        if !flags.is_empty() {
            eprintln!("{}", tr!("invoices-preview-invoiced", count = flags.len()));
        }
        let view = InvoiceView {
            facility: node.settings()?.name,
            invoice: &computed,
            issued: None,
            tz,
            flags,
        };
        return emit(&view, args.format, args.output.as_deref());
    }

    let issued = issue::issue(node, user, &computed, args.group.as_deref())?;
    for (session, number) in &issued.left_out {
        eprintln!(
            "{}",
            tr!(
                "invoices-left-out",
                session = session.to_string(),
                number = number.clone()
            )
        );
    }
    eprintln!("{}", issued_message(&issued.invoice));
    let view = issued_view(&issued.invoice, tz, HashMap::new());
    emit(&view, args.format, args.output.as_deref())
}

/// Computes the preview of the period given on the command line.
fn compute(node: &Node, args: &InvoiceArgs) -> Result<(Invoice, Tz), AppError> {
    let from_text = args.from.clone().unwrap_or_default();
    let to_text = args.to.clone().unwrap_or_default();
    let from = ops::parse_date("from", &from_text)?;
    let to = ops::parse_date("to", &to_text)?;
    if to < from {
        return Err(AppError::invalid("to", to_text));
    }
    let groups = ops::groups(node)?;
    if let Some(group) = &args.group
        && !groups.iter().any(|g| &g.code == group)
    {
        return Err(AppError::UnknownGroup {
            code: group.clone(),
        });
    }
    let tz = node.timezone()?;
    let request = InvoiceRequest {
        from,
        to,
        group: args.group.clone(),
        tz,
    };
    let invoice = compute_invoice(
        &ops::sessions(node)?,
        &groups,
        &ops::tariffs(node)?,
        &request,
    )?;
    Ok((invoice, tz))
}

/// Flags the preview lines whose session an issued invoice already bills.
fn preview_flags(
    invoice: &Invoice,
    invoiced: &HashMap<uuid::Uuid, String>,
) -> HashMap<uuid::Uuid, LineFlag> {
    invoice
        .groups
        .iter()
        .flat_map(|group| &group.lines)
        .filter_map(|line| {
            let number = invoiced.get(&line.session)?;
            Some((line.session, LineFlag::Invoiced(number.clone())))
        })
        .collect()
}

fn issued_view(
    issued: &IssuedInvoice,
    fallback: Tz,
    flags: HashMap<uuid::Uuid, LineFlag>,
) -> InvoiceView<'_> {
    InvoiceView {
        facility: issued.facility.clone(),
        invoice: &issued.invoice,
        issued: Some(issued),
        tz: issued.timezone.parse().unwrap_or(fallback),
        flags,
    }
}

fn issued_message(issued: &IssuedInvoice) -> String {
    let id = match issued.kind {
        InvoiceKind::Invoice => "invoices-issued",
        InvoiceKind::CreditNote => "invoices-credit-issued",
    };
    tr!(
        id,
        number = issued.number.to_string(),
        credits = issued.credits.map(|n| n.to_string()).unwrap_or_default(),
        lines = issued.sessions.len(),
        total = issued.invoice.total.to_string(),
        including = issued.invoice.total_including_vat.to_string()
    )
}

/// Fails before any work when a binary format has no output file.
fn check_output(format: InvoiceFormat, output: Option<&Path>) -> Result<(), AppError> {
    let name = match format {
        InvoiceFormat::Xlsx => "xlsx",
        InvoiceFormat::Pdf => "pdf",
        _ => return Ok(()),
    };
    if output.is_none() {
        return Err(InvoiceError::OutputRequired { format: name }.into());
    }
    Ok(())
}

/// Writes the document in `format`, to `output` or the standard output.
fn emit(
    view: &InvoiceView<'_>,
    format: InvoiceFormat,
    output: Option<&Path>,
) -> Result<(), AppError> {
    let text = match format {
        InvoiceFormat::Table => table::render(view),
        InvoiceFormat::Csv => export_csv::render(view),
        InvoiceFormat::Json => format!("{}\n", export_json::render(view)),
        InvoiceFormat::Xlsx | InvoiceFormat::Pdf => {
            check_output(format, output)?;
            let Some(path) = output else {
                return Ok(());
            };
            if format == InvoiceFormat::Xlsx {
                export_xlsx::write(view, path)?;
            } else {
                export_pdf::write(view, path)?;
            }
            eprintln!(
                "{}",
                tr!("invoices-written", path = path.display().to_string())
            );
            return Ok(());
        }
    };
    match output {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| AppError::io(path, e))?;
            eprintln!(
                "{}",
                tr!("invoices-written", path = path.display().to_string())
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// `invoice show NUMBER`: the frozen document, with lines whose session changed flagged.
fn show(
    node: &Node,
    user: &User,
    number: &str,
    format: InvoiceFormat,
    output: Option<&Path>,
) -> Result<(), AppError> {
    ops::require(user, Action::ViewInvoices)?;
    check_output(format, output)?;
    let issued = records::find(node, number)?;
    let changed = changes::changed_lines(&issued, &ops::sessions(node)?);
    if !changed.is_empty() {
        eprintln!(
            "{}",
            tr!(
                "invoices-changed-warning",
                number = issued.number.to_string(),
                count = changed.len()
            )
        );
    }
    let flags = changed
        .into_iter()
        .map(|(session, change)| (session, LineFlag::Changed(change)))
        .collect();
    let view = issued_view(&issued, node.timezone()?, flags);
    emit(&view, format, output)
}

/// `invoice credit NUMBER`: issues the credit note and prints its number.
fn credit_note(node: &mut Node, user: &User, number: &str) -> Result<(), AppError> {
    ops::require(user, Action::ViewInvoices)?;
    let credit = credit::credit(node, user, number)?;
    println!("{}", issued_message(&credit));
    Ok(())
}

/// `invoice list`: every issued invoice and credit note.
fn list(node: &Node, user: &User, format: Format) -> Result<(), AppError> {
    ops::require(user, Action::ViewInvoices)?;
    let tz = node.timezone()?;
    let issued = records::all(node)?;
    if format == Format::Json {
        let items: Vec<_> = issued.iter().map(|i| list_json(i, tz)).collect();
        println!("{}", serde_json::Value::Array(items));
        return Ok(());
    }
    let columns = [
        "number",
        "kind",
        "date",
        "from",
        "to",
        "group",
        "total",
        "vat",
        "including",
        "status",
    ];
    let headers: Vec<String> = columns
        .iter()
        .map(|c| tr!(&format!("invoices-list-{c}")))
        .collect();
    let amount = |d: rust_decimal::Decimal| match format {
        Format::Csv => csv_amount(d),
        _ => d.to_string(),
    };
    let rows: Vec<Vec<String>> = issued.iter().map(|i| list_row(i, tz, &amount)).collect();
    match format {
        Format::Csv => print!("{}", to_csv(&headers, &rows)),
        _ => print!("{}", to_table(&headers, &rows)),
    }
    Ok(())
}

fn list_row(
    issued: &IssuedInvoice,
    tz: Tz,
    amount: &dyn Fn(rust_decimal::Decimal) -> String,
) -> Vec<String> {
    let invoice = &issued.invoice;
    vec![
        issued.number.to_string(),
        tr!(&format!("invoices-kind-{}", issued.kind.code())),
        issued.issued_at.with_timezone(&tz).date_naive().to_string(),
        invoice.from.to_string(),
        invoice.to.to_string(),
        issued.group.clone().unwrap_or_default(),
        amount(invoice.total),
        amount(invoice.total_vat),
        amount(invoice.total_including_vat),
        status(issued),
    ]
}

fn status(issued: &IssuedInvoice) -> String {
    if let Some(credit) = issued.credited_by {
        return tr!("invoices-status-credited", number = credit.to_string());
    }
    if let Some(invoice) = issued.credits {
        return tr!("invoices-status-credits", number = invoice.to_string());
    }
    String::new()
}

fn list_json(issued: &IssuedInvoice, tz: Tz) -> serde_json::Value {
    let invoice = &issued.invoice;
    json!({
        "number": issued.number.to_string(),
        "kind": issued.kind.code(),
        "issued": ops::local_rfc3339(issued.issued_at, tz),
        "from": invoice.from.to_string(),
        "to": invoice.to.to_string(),
        "group": issued.group,
        "groups": invoice.groups.iter().map(|g| g.group.clone()).collect::<Vec<_>>(),
        "total": invoice.total.to_string(),
        "total_vat": invoice.total_vat.to_string(),
        "total_including_vat": invoice.total_including_vat.to_string(),
        "credits": issued.credits.map(|n| n.to_string()),
        "credited_by": issued.credited_by.map(|n| n.to_string()),
    })
}

/// `invoice office [NODE-ID]`: shows the billing office, or sets it.
fn billing_office(node: &mut Node, user: &User, node_id: Option<&str>) -> Result<(), AppError> {
    let current = match node_id {
        Some(id) => office::set(node, user, id)?,
        None => {
            ops::require(user, Action::ViewInvoices)?;
            office::current(node)?
        }
    };
    let id = if !current.chosen {
        "invoices-office-default"
    } else if node_id.is_some() {
        "invoices-office-set"
    } else {
        "invoices-office-chosen"
    };
    println!(
        "{}",
        tr!(
            id,
            node = current.node_id.clone(),
            name = current.name.clone()
        )
    );
    if current.node_id == node.node_id.to_string() {
        println!("{}", tr!("invoices-office-this-node"));
    }
    Ok(())
}
