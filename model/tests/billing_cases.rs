//! Billing cases from real published tariff grids, each billed to the cent.
//!
//! Every tariff is built from a TOML grid through `grid::import_grid`, the path an admin
//! uses. Times are Europe/Paris local times written with their UTC offset.
//!
//! Sources of the grids: CCRMN Lyon 1 (ccrmn.univ-lyon1.fr/tarification), UNF Montréal
//! (2022 rate page), Indiana University EMC (iubemcenter.indiana.edu/fees.html), University
//! of Mississippi MIC (pharmacy.olemiss.edu/mic/rates), UT Health San Antonio NMR
//! (nmr.uthscsa.edu fees page).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use progmanager_model::billing::{
    BreakdownItem, Invoice, InvoiceLine, InvoiceRequest, LinePricing, compute_invoice,
};
use progmanager_model::grid::import_grid;
use progmanager_model::{BillingGroup, Category, Session, Tariff};
use rust_decimal::Decimal;
use uuid::Uuid;

/// CCRMN Lyon 1: 400 MHz for university labs (9 €/h weekdays, 8 €/h weekends, 4-minute
/// minimum, weekend package 120 €), 500 MHz for companies (70 €/h, 60 €/h weekends, VAT),
/// and staff acts for companies at 23.3 € each.
const CCRMN_GRID: &str = r#"
[[tariff]]
instrument = "RMN400"
category = "public-other"
effective_from = "2026-01-01"

[tariff.rule]
hourly = "9.00"
weekend = "8.00"
minimum_minutes = 4
unbilled_kinds = ["maintenance", "downtime", "training"]

[[tariff.rule.packages]]
name = "weekend"
days = ["sat", "sun"]
price = "120.00"

[[tariff]]
instrument = "RMN500"
category = "industrial"
effective_from = "2026-01-01"
rule = { hourly = "70.00", weekend = "60.00", minimum_minutes = 4, vat_percent = "20" }

[[tariff]]
instrument = "CCRMN-STAFF"
category = "industrial"
effective_from = "2026-01-01"
rule = { per_sample = "23.3", vat_percent = "20" }
"#;

/// UNF Montréal MRI for members: 550 $/h Monday to Friday 09:00–17:00 except public
/// holidays, 600 $/h otherwise; time beyond the booking in 15-minute steps.
const UNF_GRID: &str = r#"
[[tariff]]
instrument = "IRM3T"
category = "public-other"

[tariff.rule]
hourly = "600"
holiday = "600"
overrun_step_minutes = 15

[[tariff.rule.periods]]
name = "prime"
days = ["mon", "tue", "wed", "thu", "fri"]
from = "09:00"
to = "17:00"
hourly = "550"
"#;

/// Indiana University EMC, JEOL JEM 1400plus: 45 $/h Monday to Friday 08:00–18:00, 40 $/h
/// evenings and weekends; commercial users pay 3 times the academic rate.
const IU_GRID: &str = r#"
[[tariff]]
instrument = "JEM1400"
category = "public-other"

[tariff.rule]
hourly = "40"

[[tariff.rule.periods]]
name = "prime"
days = ["mon", "tue", "wed", "thu", "fri"]
from = "08:00"
to = "18:00"
hourly = "45"

[[tariff]]
instrument = "JEM1400"
category = "industrial"

[tariff.rule]
hourly = "40"
multiplier = "3"

[[tariff.rule.periods]]
name = "prime"
days = ["mon", "tue", "wed", "thu", "fri"]
from = "08:00"
to = "18:00"
hourly = "45"
"#;

/// University of Mississippi MIC, SEM: 75 $/h, first hour in full, then 30-minute steps
/// with 10 minutes of grace.
const UM_GRID: &str = r#"
[[tariff]]
instrument = "SEM"
category = "internal"
rule = { hourly = "75", first_block_minutes = 60, step_minutes = 30, grace_minutes = 10 }
"#;

/// UT Health San Antonio NMR: academic 600 MHz 14 $/h, commercial 700 MHz 80 $/h, at
/// least 25 $ per login session.
const UTHSCSA_GRID: &str = r#"
[[tariff]]
instrument = "NMR600"
category = "public-other"
rule = { hourly = "14.00", minimum_amount = "25" }

[[tariff]]
instrument = "NMR700"
category = "industrial"
rule = { hourly = "80.00", minimum_amount = "25" }
"#;

fn grid(text: &str) -> Vec<Tariff> {
    import_grid(text).expect("the grid of the case is valid")
}

fn groups() -> Vec<BillingGroup> {
    let group = |code: &str, category| BillingGroup {
        code: code.to_string(),
        name: format!("{code} team"),
        category,
    };
    vec![
        group("LAB-A", Category::PublicOther),
        group("LAB-B", Category::PublicOther),
        group("INDUS", Category::Industrial),
        group("UM", Category::Internal),
        group("SERVICE", Category::Internal),
    ]
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test instant")
        .with_timezone(&Utc)
}

fn money(text: &str) -> Decimal {
    text.parse().expect("test amount")
}

fn session(instrument: &str, group: &str, start: &str, end: &str) -> Session {
    Session {
        id: Uuid::now_v7(),
        instrument: instrument.to_string(),
        operator: "user".to_string(),
        group: group.to_string(),
        start: instant(start),
        end: Some(instant(end)),
        kind: "measure".to_string(),
        samples: 0,
        observations: String::new(),
        billable: true,
        node: "00".to_string(),
        package: None,
        booked_end: None,
        program: None,
        review: None,
    }
}

fn invoice(sessions: &[Session], tariffs: &[Tariff]) -> Invoice {
    let date = |at: DateTime<Utc>| at.with_timezone(&Paris).date_naive();
    let from = sessions
        .iter()
        .map(|s| date(s.start))
        .min()
        .unwrap_or(NaiveDate::MIN);
    let to = sessions
        .iter()
        .map(|s| date(s.start))
        .max()
        .unwrap_or(NaiveDate::MIN);
    let request = InvoiceRequest {
        from,
        to,
        group: None,
        tz: Paris,
    };
    compute_invoice(sessions, &groups(), tariffs, &request).expect("invoice")
}

fn lines(invoice: &Invoice) -> Vec<&InvoiceLine> {
    let mut lines: Vec<&InvoiceLine> = invoice.groups.iter().flat_map(|g| &g.lines).collect();
    lines.sort_by_key(|line| line.start);
    lines
}

fn single_line(sessions: &[Session], tariffs: &[Tariff]) -> InvoiceLine {
    let invoice = invoice(sessions, tariffs);
    let all = lines(&invoice);
    assert_eq!(all.len(), 1);
    all[0].clone()
}

fn has_item(line: &InvoiceLine, message_id: &str) -> bool {
    line.breakdown
        .iter()
        .any(|item| item.message_id() == message_id)
}

#[test]
fn c01_minimum_billed_time() {
    let short = session(
        "RMN400",
        "LAB-A",
        "2026-02-10T10:02:00+01:00",
        "2026-02-10T10:05:00+01:00",
    );
    let line = single_line(&[short], &grid(CCRMN_GRID));
    assert_eq!(line.amount, money("0.60"));
    assert_eq!(line.duration_minutes, 3);
    assert!(has_item(&line, "breakdown-minimum-time"));
}

#[test]
fn c02_midnight_weekend_split_with_vat() {
    let night = session(
        "RMN500",
        "INDUS",
        "2026-03-06T20:00:00+01:00",
        "2026-03-07T02:00:00+01:00",
    );
    let line = single_line(&[night], &grid(CCRMN_GRID));
    assert_eq!(line.amount, money("400.00"));
    assert_eq!(line.vat, money("80.00"));
    assert_eq!(line.amount_including_vat, money("480.00"));

    let segments: Vec<(&str, Decimal)> = line
        .breakdown
        .iter()
        .filter_map(|item| match item {
            BreakdownItem::Segment { period, amount, .. } => Some((period.as_str(), *amount)),
            _ => None,
        })
        .collect();
    assert_eq!(
        segments,
        [("default", money("280")), ("weekend", money("120"))]
    );
}

#[test]
fn c03_spring_forward_night() {
    let night = session(
        "RMN400",
        "LAB-A",
        "2026-03-28T22:00:00+01:00",
        "2026-03-29T06:00:00+02:00",
    );
    let line = single_line(&[night], &grid(CCRMN_GRID));
    assert_eq!(line.amount, money("56.00"));
    assert_eq!(line.duration_minutes, 7 * 60);
}

#[test]
fn c05_weekend_package() {
    let mut long_weekend = session(
        "RMN400",
        "LAB-A",
        "2026-04-10T18:00:00+02:00",
        "2026-04-13T08:00:00+02:00",
    );
    let without_package = single_line(std::slice::from_ref(&long_weekend), &grid(CCRMN_GRID));
    assert_eq!(without_package.amount, money("510.00"));

    long_weekend.package = Some("weekend".to_string());
    let line = single_line(&[long_weekend], &grid(CCRMN_GRID));
    assert_eq!(line.amount, money("246.00"));
    let packages = line
        .breakdown
        .iter()
        .filter(|item| item.message_id() == "breakdown-package")
        .count();
    assert_eq!(packages, 1);
}

#[test]
fn c06_acts_per_sample_with_vat() {
    let mut acts = session(
        "CCRMN-STAFF",
        "INDUS",
        "2026-05-20T09:00:00+02:00",
        "2026-05-20T11:00:00+02:00",
    );
    acts.samples = 12;
    let line = single_line(&[acts], &grid(CCRMN_GRID));
    assert_eq!(line.amount, money("279.60"));
    assert_eq!(line.vat, money("55.92"));
    assert_eq!(line.amount_including_vat, money("335.52"));
    assert_eq!(line.per_sample_rate, Some(money("23.3")));
}

#[test]
fn c07_rate_change_and_overrun_steps() {
    let mut scan = session(
        "IRM3T",
        "LAB-A",
        "2026-06-10T16:00:00+02:00",
        "2026-06-10T18:10:00+02:00",
    );
    scan.booked_end = Some(instant("2026-06-10T18:00:00+02:00"));
    let line = single_line(&[scan], &grid(UNF_GRID));
    assert_eq!(line.amount, money("1300.00"));
    assert!(has_item(&line, "breakdown-overrun"));
}

#[test]
fn c13_prime_evening_and_commercial_multiplier() {
    let academic = session(
        "JEM1400",
        "LAB-A",
        "2026-09-18T17:00:00+02:00",
        "2026-09-18T20:00:00+02:00",
    );
    let commercial = Session {
        id: Uuid::now_v7(),
        group: "INDUS".to_string(),
        ..academic.clone()
    };
    let tariffs = grid(IU_GRID);
    assert_eq!(single_line(&[academic], &tariffs).amount, money("125.00"));
    let line = single_line(&[commercial], &tariffs);
    assert_eq!(line.amount, money("375.00"));
    assert!(has_item(&line, "breakdown-multiplier"));
}

#[test]
fn c14_first_hour_then_steps_with_grace() {
    let sessions = [
        session(
            "SEM",
            "UM",
            "2026-02-12T09:00:00+01:00",
            "2026-02-12T09:25:00+01:00",
        ),
        session(
            "SEM",
            "UM",
            "2026-02-12T10:00:00+01:00",
            "2026-02-12T11:08:00+01:00",
        ),
        session(
            "SEM",
            "UM",
            "2026-02-12T13:00:00+01:00",
            "2026-02-12T14:41:00+01:00",
        ),
    ];
    let invoice = invoice(&sessions, &grid(UM_GRID));
    let amounts: Vec<Decimal> = lines(&invoice).iter().map(|line| line.amount).collect();
    assert_eq!(amounts, [money("75.00"), money("75.00"), money("150.00")]);
    assert_eq!(invoice.total, money("300.00"));
}

#[test]
fn c17_minimum_amount_per_session() {
    let sessions = [
        session(
            "NMR600",
            "LAB-A",
            "2026-05-19T10:00:00+02:00",
            "2026-05-19T10:45:00+02:00",
        ),
        session(
            "NMR600",
            "LAB-A",
            "2026-05-20T14:00:00+02:00",
            "2026-05-20T16:15:00+02:00",
        ),
        session(
            "NMR700",
            "INDUS",
            "2026-05-21T09:00:00+02:00",
            "2026-05-21T09:15:00+02:00",
        ),
    ];
    let invoice = invoice(&sessions, &grid(UTHSCSA_GRID));
    let amounts: Vec<Decimal> = lines(&invoice).iter().map(|line| line.amount).collect();
    assert_eq!(amounts, [money("25.00"), money("31.50"), money("25.00")]);
    let raised: Vec<bool> = lines(&invoice)
        .iter()
        .map(|line| has_item(line, "breakdown-minimum-amount"))
        .collect();
    assert_eq!(raised, [true, false, true]);
}

#[test]
fn c20_maintenance_between_billed_sessions() {
    let mut maintenance = session(
        "RMN400",
        "SERVICE",
        "2026-06-10T10:00:00+02:00",
        "2026-06-10T12:00:00+02:00",
    );
    maintenance.kind = "maintenance".to_string();
    let sessions = [
        session(
            "RMN400",
            "LAB-A",
            "2026-06-10T09:00:00+02:00",
            "2026-06-10T10:00:00+02:00",
        ),
        maintenance,
        session(
            "RMN400",
            "LAB-B",
            "2026-06-10T12:00:00+02:00",
            "2026-06-10T12:30:00+02:00",
        ),
    ];
    let invoice = invoice(&sessions, &grid(CCRMN_GRID));
    let all = lines(&invoice);
    let amounts: Vec<Decimal> = all.iter().map(|line| line.amount).collect();
    assert_eq!(amounts, [money("9.00"), money("0.00"), money("4.50")]);
    assert_eq!(all[1].pricing, LinePricing::Unbilled);
    assert_eq!(invoice.total, money("13.50"));
}

#[test]
fn c20_training_unbilled_by_rule() {
    let mut training = session(
        "RMN400",
        "LAB-A",
        "2026-06-10T09:00:00+02:00",
        "2026-06-10T10:00:00+02:00",
    );
    training.kind = "Training".to_string();
    let line = single_line(&[training], &grid(CCRMN_GRID));
    assert_eq!(line.pricing, LinePricing::Unbilled);
    assert_eq!(line.amount, money("0.00"));
}
