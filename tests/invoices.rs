//! End-to-end tests of issued invoices: numbering, the billing office, credit notes,
//! refused edits, and the CSV, xlsx and PDF exports read back by other tools (the `csv`
//! crate, `calamine`, and poppler's `pdftotext`).
//!
//! They use the real NMR logbook page of June 2010, whose invoice totals 930.00:
//! LMCP 150.00, AREVA 480.00, Idenix 300.00, other groups 0.00.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use calamine::{Data, Reader, Xlsx, open_workbook};
use common::{LOGBOOK, TestNode, set_up_nmr, wait_for};
use serde_json::Value;

const JUNE: [&str; 4] = ["--from", "2010-06-01", "--to", "2010-06-30"];
const CONVERGE: Duration = Duration::from_secs(30);

/// Creates a facility whose only node contains the June 2010 NMR logbook.
fn office_with_logbook(root: &Path) -> TestNode {
    let office = TestNode::new(root, "office");
    office.init_facility();
    import_logbook(&office);
    office
}

fn import_logbook(node: &TestNode) {
    set_up_nmr(node);
    node.ok(&[
        "import",
        "passages",
        LOGBOOK,
        "--instrument",
        "RMN400",
        "--create-groups",
        "internal",
    ]);
}

/// Runs `invoice` for June 2010 with `extra` arguments.
fn june(node: &TestNode, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["invoice"];
    args.extend(JUNE);
    args.extend(extra);
    node.output(&args)
}

/// Issues the June 2010 invoice (of one group, if given) and returns its JSON.
fn issue(node: &TestNode, group: Option<&str>) -> Value {
    let mut extra = vec!["--issue", "--format", "json"];
    if let Some(group) = group {
        extra.extend(["--group", group]);
    }
    let output = june(node, &extra);
    assert!(
        output.status.success(),
        "issue failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("issued invoice as JSON")
}

fn number(invoice: &Value) -> String {
    invoice["number"].as_str().expect("a number").to_string()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Returns the cells of the first CSV row whose cells include `label`.
fn csv_row(text: &str, separator: u8, label: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("valid CSV");
    let row = rows
        .iter()
        .find(|row| row.iter().any(|cell| cell == label))
        .unwrap_or_else(|| panic!("no row {label:?} in\n{text}"));
    row.iter().map(str::to_string).collect()
}

/// Returns the numbers of the first sheet row whose cells include `label`.
fn xlsx_numbers(path: &Path, label: &str) -> Vec<f64> {
    let mut workbook: Xlsx<_> = open_workbook(path).expect("a readable xlsx file");
    let range = workbook
        .worksheet_range_at(0)
        .expect("one sheet")
        .expect("a readable sheet");
    let row = range
        .rows()
        .find(|row| {
            row.iter()
                .any(|cell| *cell == Data::String(label.to_string()))
        })
        .unwrap_or_else(|| panic!("no row {label:?} in {}", path.display()));
    row.iter()
        .filter_map(|cell| match cell {
            Data::Float(value) => Some(*value),
            _ => None,
        })
        .collect()
}

fn pdf_text(path: &Path) -> String {
    let output = Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian package poppler-utils)");
    assert!(
        output.status.success(),
        "pdftotext failed on {}",
        path.display()
    );
    String::from_utf8(output.stdout).expect("pdftotext writes UTF-8")
}

#[test]
fn issued_invoice_exports_read_back() {
    let root = tempfile::tempdir().expect("temp dir");
    let office = office_with_logbook(root.path());
    let invoice = issue(&office, None);
    let number = number(&invoice);
    assert_eq!(invoice["total"], "930.00");
    assert_eq!(invoice["total_including_vat"], "930.00");
    assert_eq!(invoice["kind"], "invoice");

    let csv_text = office.ok(&["invoice", "show", &number, "--format", "csv"]);
    let total = csv_row(&csv_text, b',', "Grand total");
    assert_eq!(&total[10..13], ["930.00", "0.00", "930.00"]);
    assert_eq!(csv_row(&csv_text, b',', "Total AREVA")[10], "480.00");
    assert!(
        csv_text.contains("120.00/h"),
        "no computation column:\n{csv_text}"
    );

    let xlsx = root.path().join("invoice.xlsx");
    let xlsx_arg = xlsx.to_str().expect("UTF-8 path");
    office.ok(&[
        "invoice", "show", &number, "--format", "xlsx", "--output", xlsx_arg,
    ]);
    assert_eq!(xlsx_numbers(&xlsx, "Grand total"), [930.0, 0.0, 930.0]);
    assert_eq!(xlsx_numbers(&xlsx, "Total LMCP"), [150.0, 0.0, 150.0]);
    assert_eq!(xlsx_numbers(&xlsx, "Total Idenix"), [300.0, 0.0, 300.0]);

    let pdf = root.path().join("invoice.pdf");
    let pdf_arg = pdf.to_str().expect("UTF-8 path");
    office.ok(&[
        "invoice", "show", &number, "--format", "pdf", "--output", pdf_arg,
    ]);
    let text = pdf_text(&pdf);
    assert!(text.contains(&format!("Invoice {number}")), "{text}");
    let grand = text
        .lines()
        .find(|line| line.contains("Grand total"))
        .unwrap_or_else(|| panic!("no grand total in\n{text}"));
    assert!(grand.contains("930.00"), "{grand}");
    assert!(text.contains("480.00"), "{text}");
}

#[test]
fn french_exports_use_french_conventions() {
    let root = tempfile::tempdir().expect("temp dir");
    let office = office_with_logbook(root.path());
    let number = number(&issue(&office, None));

    let csv_text = office.ok(&[
        "--lang", "fr", "invoice", "show", &number, "--format", "csv",
    ]);
    let header = csv_text.lines().next().expect("a header row");
    assert!(header.contains(';'), "{header}");
    let total = csv_row(&csv_text, b';', "Total général");
    assert_eq!(&total[10..13], ["930,00", "0,00", "930,00"]);

    let pdf = root.path().join("facture.pdf");
    let pdf_arg = pdf.to_str().expect("UTF-8 path");
    office.ok(&[
        "--lang", "fr", "invoice", "show", &number, "--format", "pdf", "--output", pdf_arg,
    ]);
    let text = pdf_text(&pdf);
    assert!(text.contains("Période"), "accents lost:\n{text}");
    assert!(text.contains("Date d'émission"), "accents lost:\n{text}");
    let grand = text
        .lines()
        .find(|line| line.contains("Total général"))
        .unwrap_or_else(|| panic!("no grand total in\n{text}"));
    assert!(grand.contains("930,00"), "{grand}");
}

#[test]
fn binary_formats_need_an_output_file() {
    let root = tempfile::tempdir().expect("temp dir");
    let office = office_with_logbook(root.path());
    let output = june(&office, &["--issue", "--format", "pdf"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("--output FILE"),
        "{}",
        stderr(&output)
    );
    let list = office.json(&["invoice", "list", "--format", "json"]);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "issued without output"
    );
}

#[test]
fn numbering_is_gap_free() {
    let root = tempfile::tempdir().expect("temp dir");
    let office = office_with_logbook(root.path());
    let first = number(&issue(&office, Some("LMCP")));
    let year = first.split('-').next().expect("a year").to_string();
    assert_eq!(first, format!("{year}-0001"));
    assert_eq!(
        number(&issue(&office, Some("AREVA"))),
        format!("{year}-0002")
    );
    assert_eq!(
        number(&issue(&office, Some("Idenix"))),
        format!("{year}-0003")
    );
    let credit = office.ok(&["invoice", "credit", &format!("{year}-0002")]);
    assert!(credit.contains(&format!("{year}-0004")), "{credit}");

    let list = office.json(&["invoice", "list", "--format", "json"]);
    let numbers: Vec<&str> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item["number"].as_str().expect("a number"))
        .collect();
    let expected: Vec<String> = (1..=4).map(|n| format!("{year}-{n:04}")).collect();
    assert_eq!(numbers, expected);
}

#[test]
fn credit_note_negates_and_releases_sessions() {
    let root = tempfile::tempdir().expect("temp dir");
    let office = office_with_logbook(root.path());
    let invoice = number(&issue(&office, None));
    office.ok(&["invoice", "credit", &invoice]);

    let list = office.json(&["invoice", "list", "--format", "json"]);
    let items = list.as_array().expect("an array");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["credited_by"], items[1]["number"]);
    assert_eq!(items[1]["kind"], "credit-note");
    assert_eq!(items[1]["credits"], invoice.as_str());

    let credit = items[1]["number"].as_str().expect("a number");
    let shown = office.json(&["invoice", "show", credit, "--format", "json"]);
    assert_eq!(shown["total"], "-930.00");
    assert_eq!(
        shown["groups"][0]["lines"][0]["amount"]
            .as_str()
            .map(|a| a.starts_with('-') || a == "0.00"),
        Some(true)
    );

    let again = office.output(&["invoice", "credit", &invoice]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already cancelled"),
        "{}",
        stderr(&again)
    );

    // The sessions are billable again.
    let reissued = issue(&office, None);
    assert_eq!(reissued["total"], "930.00");
}

#[test]
fn invoiced_session_is_locked_and_billed_once() {
    let root = tempfile::tempdir().expect("temp dir");
    let office = office_with_logbook(root.path());
    let lmcp = number(&issue(&office, Some("LMCP")));

    let sessions = office.json(&["sessions", "--format", "json"]);
    let session_of = |group: &str| {
        sessions
            .as_array()
            .expect("an array")
            .iter()
            .find(|s| s["group"] == group)
            .and_then(|s| s["id"].as_str())
            .expect("a session of the group")
            .to_string()
    };
    let refused = office.output(&["session", "edit", &session_of("LMCP"), "--samples", "9"]);
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(message.contains(&lmcp), "{message}");
    assert!(message.contains("credit note"), "{message}");
    office.ok(&[
        "session",
        "edit",
        &session_of("AREVA"),
        "--observations",
        "checked",
    ]);

    let preview = june(&office, &["--format", "json"]);
    let preview: Value = serde_json::from_slice(&preview.stdout).expect("JSON preview");
    let lmcp_lines = preview["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["group"] == "LMCP")
        .expect("LMCP in the preview")["lines"]
        .as_array()
        .expect("lines")
        .clone();
    assert!(lmcp_lines.iter().all(|l| l["invoiced"] == lmcp.as_str()));

    let rest = june(&office, &["--issue", "--format", "json"]);
    assert!(rest.status.success(), "{}", stderr(&rest));
    assert!(stderr(&rest).contains("left out"), "{}", stderr(&rest));
    let rest: Value = serde_json::from_slice(&rest.stdout).expect("JSON");
    assert_eq!(rest["total"], "780.00");
    assert!(
        rest["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .all(|g| g["group"] != "LMCP")
    );

    let nothing = june(&office, &["--issue"]);
    assert!(!nothing.status.success());
    assert!(
        stderr(&nothing).contains("nothing to invoice"),
        "{}",
        stderr(&nothing)
    );
}

#[test]
fn only_billing_office_issues() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    let nmr = TestNode::new(root.path(), "nmr");
    office.init_facility();
    office.start();
    nmr.join(&office);
    office.stop();
    import_logbook(&nmr);

    let refused = june(&nmr, &["--issue"]);
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(message.contains("not the billing office"), "{message}");
    assert!(message.contains(&office.node_id()), "{message}");
    assert!(nmr.ok(&["invoice", "office"]).contains(&office.node_id()));

    let nmr_id = nmr.node_id();
    nmr.ok(&["invoice", "office", &nmr_id]);
    let issued = issue(&nmr, None);
    assert_eq!(issued["total"], "930.00");
}

/// An edit made on a node that does not have the invoice yet cannot be rejected. Once it
/// reaches the office, `invoice show` flags the line.
#[test]
fn show_flags_sessions_changed_after_issue() {
    let root = tempfile::tempdir().expect("temp dir");
    let mut office = TestNode::new(root.path(), "office");
    let mut nmr = TestNode::new(root.path(), "nmr");
    office.init_facility();
    import_logbook(&office);
    office.start();
    nmr.join(&office);
    office.stop();

    let invoice = number(&issue(&office, Some("AREVA")));
    let sessions = nmr.json(&["sessions", "--format", "json"]);
    let areva = sessions
        .as_array()
        .expect("an array")
        .iter()
        .find(|s| s["group"] == "AREVA")
        .and_then(|s| s["id"].as_str())
        .expect("an AREVA session")
        .to_string();
    nmr.ok(&["session", "edit", &areva, "--samples", "7"]);

    office.start();
    nmr.start();
    let shown = wait_for(CONVERGE, || {
        let shown = office.json(&["invoice", "show", &invoice, "--format", "json"]);
        let lines = shown["groups"][0]["lines"].as_array()?.clone();
        lines
            .iter()
            .any(|l| l["changed"] == "changed")
            .then_some(lines)
    })
    .unwrap_or_else(|| panic!("the change never showed\n{}\n{}", office.logs(), nmr.logs()));
    let flagged: Vec<&Value> = shown.iter().filter(|l| l["changed"] == "changed").collect();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0]["session"], areva.as_str());

    // The node now has the invoice and rejects further edits.
    let refused = wait_for(CONVERGE, || {
        let output = nmr.output(&["session", "edit", &areva, "--samples", "8"]);
        (!output.status.success()).then_some(output)
    })
    .expect("the edit is refused once the invoice arrived");
    assert!(stderr(&refused).contains(&invoice), "{}", stderr(&refused));
}
