//! Tests of the billing engine on the June 2010 NMR logbook, tariff versions, rounding,
//! errors, and invariants checked with proptest.

use super::*;
use crate::logbook::{RMN_2010_06, parse_passages};
use crate::tariff::{CalendarPeriod, Day, TariffRule};
use chrono_tz::Europe::Paris;
use proptest::prelude::*;

const NMR: &str = "RMN400";

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("test date")
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test instant")
        .with_timezone(&Utc)
}

fn money(text: &str) -> Decimal {
    text.parse().expect("test amount")
}

fn group(code: &str, category: Category) -> BillingGroup {
    BillingGroup {
        code: code.to_string(),
        name: format!("{code} team"),
        category,
    }
}

fn facility_groups() -> Vec<BillingGroup> {
    vec![
        group("LMCP", Category::PublicCnrs),
        group("AREVA", Category::Industrial),
        group("Idenix", Category::Industrial),
        group("SGP", Category::Internal),
        group("NSA", Category::Internal),
        group("service", Category::Internal),
    ]
}

fn hourly_tariff(category: Category, rate: &str) -> Tariff {
    Tariff {
        instrument: NMR.to_string(),
        category,
        effective_from: None,
        rule: TariffRule::simple(false, Some(money(rate)), None),
    }
}

fn covered_tariff(category: Category) -> Tariff {
    Tariff {
        rule: TariffRule::simple(true, None, None),
        ..hourly_tariff(category, "0")
    }
}

fn facility_tariffs() -> Vec<Tariff> {
    vec![
        covered_tariff(Category::Internal),
        hourly_tariff(Category::PublicCnrs, "30.00"),
        hourly_tariff(Category::Industrial, "120.00"),
    ]
}

fn session(group: &str, start: &str, end: &str) -> Session {
    Session {
        id: Uuid::now_v7(),
        instrument: NMR.to_string(),
        operator: "Durand".to_string(),
        group: group.to_string(),
        start: instant(start),
        end: Some(instant(end)),
        kind: "proton".to_string(),
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

fn june_2010() -> InvoiceRequest {
    InvoiceRequest {
        from: date(2010, 6, 1),
        to: date(2010, 6, 30),
        group: None,
        tz: Paris,
    }
}

fn request_for(day: NaiveDate) -> InvoiceRequest {
    InvoiceRequest {
        from: day,
        to: day,
        group: None,
        tz: Paris,
    }
}

fn logbook_sessions() -> Vec<Session> {
    let rows = parse_passages(RMN_2010_06, Paris).expect("valid page");
    rows.into_iter()
        .map(|row| Session {
            id: Uuid::now_v7(),
            instrument: NMR.to_string(),
            operator: row.operator,
            group: row.group,
            start: row.start,
            end: Some(row.end),
            kind: row.kind,
            samples: 0,
            observations: row.observations,
            billable: true,
            node: "00".to_string(),
            package: None,
            booked_end: None,
            program: None,
            review: None,
        })
        .collect()
}

fn single_line(invoice: &Invoice) -> &InvoiceLine {
    assert_eq!(invoice.groups.len(), 1);
    assert_eq!(invoice.groups[0].lines.len(), 1);
    &invoice.groups[0].lines[0]
}

fn amount_of(session: Session, tariffs: &[Tariff]) -> Decimal {
    let day = session.start.with_timezone(&Paris).date_naive();
    let invoice = compute_invoice(&[session], &facility_groups(), tariffs, &request_for(day))
        .expect("invoice");
    single_line(&invoice).amount
}

#[test]
fn june_2010_logbook_invoice() {
    let invoice = compute_invoice(
        &logbook_sessions(),
        &facility_groups(),
        &facility_tariffs(),
        &june_2010(),
    )
    .expect("invoice");

    let totals: Vec<(&str, String)> = invoice
        .groups
        .iter()
        .map(|group| (group.group.as_str(), group.total.to_string()))
        .collect();
    let expected = [
        ("AREVA", "480.00"),
        ("Idenix", "300.00"),
        ("LMCP", "150.00"),
        ("NSA", "0.00"),
        ("SGP", "0.00"),
        ("service", "0.00"),
    ];
    let expected: Vec<(&str, String)> = expected
        .iter()
        .map(|(code, total)| (*code, total.to_string()))
        .collect();
    assert_eq!(totals, expected);
    assert_eq!(invoice.total.to_string(), "930.00");
    assert!(invoice.open_sessions.is_empty());
}

#[test]
fn june_2010_line_details() {
    let invoice = compute_invoice(
        &logbook_sessions(),
        &facility_groups(),
        &facility_tariffs(),
        &june_2010(),
    )
    .expect("invoice");
    let by_code = |code: &str| {
        invoice
            .groups
            .iter()
            .find(|group| group.group == code)
            .expect("group present")
    };

    let lmcp = by_code("LMCP");
    assert_eq!(lmcp.category, Category::PublicCnrs);
    assert_eq!(lmcp.lines.len(), 2);
    assert!(lmcp.lines[0].start < lmcp.lines[1].start);
    assert_eq!(lmcp.lines[0].duration_minutes, 120);
    assert_eq!(lmcp.lines[0].hours, money("2"));
    assert_eq!(lmcp.lines[0].hourly_rate, Some(money("30.00")));
    assert_eq!(lmcp.lines[0].pricing, LinePricing::Charged);

    let service = by_code("service");
    assert_eq!(service.lines[0].pricing, LinePricing::Unbilled);
    assert_eq!(service.lines[0].hourly_rate, None);

    let sgp = by_code("SGP");
    assert_eq!(sgp.lines[0].pricing, LinePricing::Covered);
}

#[test]
fn dst_spring_night_billed_real_time() {
    let mut tariffs = facility_tariffs();
    tariffs.push(hourly_tariff(Category::PublicOther, "8"));
    let mut groups = facility_groups();
    groups.push(group("UNIV", Category::PublicOther));
    let night = session(
        "UNIV",
        "2026-03-28T22:00:00+01:00",
        "2026-03-29T06:00:00+02:00",
    );

    let invoice = compute_invoice(&[night], &groups, &tariffs, &request_for(date(2026, 3, 28)))
        .expect("invoice");
    let line = single_line(&invoice);
    assert_eq!(line.amount.to_string(), "56.00");
    assert_eq!(line.duration_minutes, 7 * 60);
}

#[test]
fn per_sample_tariff() {
    let per_act = Tariff {
        rule: TariffRule::simple(false, None, Some(money("23.3"))),
        ..hourly_tariff(Category::Industrial, "0")
    };
    let mut acts = session(
        "AREVA",
        "2026-05-20T09:00:00+02:00",
        "2026-05-20T11:00:00+02:00",
    );
    acts.samples = 12;

    let day = date(2026, 5, 20);
    let invoice = compute_invoice(&[acts], &facility_groups(), &[per_act], &request_for(day))
        .expect("invoice");
    let line = single_line(&invoice);
    assert_eq!(line.amount.to_string(), "279.60");
    assert_eq!(line.hourly_rate, None);
    assert_eq!(line.per_sample_rate, Some(money("23.3")));
}

#[test]
fn hourly_and_per_sample_add_up() {
    let tariff = Tariff {
        rule: TariffRule::simple(false, Some(money("120")), Some(money("5"))),
        ..hourly_tariff(Category::Industrial, "120")
    };
    let mut measure = session(
        "AREVA",
        "2010-06-02T10:00:00+02:00",
        "2010-06-02T10:30:00+02:00",
    );
    measure.samples = 3;
    assert_eq!(amount_of(measure, &[tariff]), money("75.00"));
}

#[test]
fn tariff_version_by_local_start_date() {
    let versions = [
        (None, "10"),
        (Some(date(2010, 6, 3)), "20"),
        (Some(date(2010, 7, 1)), "40"),
    ];
    let tariffs: Vec<Tariff> = versions
        .iter()
        .map(|(from, rate)| Tariff {
            effective_from: *from,
            ..hourly_tariff(Category::Industrial, rate)
        })
        .collect();
    // The second session starts on 2010-06-02 in UTC but on 2010-06-03 in Paris.
    let cases = [
        ("2010-06-02T23:00:00+02:00", "10.00"),
        ("2010-06-03T00:30:00+02:00", "20.00"),
        ("2010-06-30T12:00:00+02:00", "20.00"),
        ("2010-07-01T12:00:00+02:00", "40.00"),
    ];
    for (start, expected) in cases {
        let one_hour = instant(start) + chrono::TimeDelta::hours(1);
        let measure = session("AREVA", start, &one_hour.to_rfc3339());
        assert_eq!(amount_of(measure, &tariffs), money(expected), "{start}");
    }
}

#[test]
fn tariff_versions_in_any_order() {
    let tariffs = vec![
        Tariff {
            effective_from: Some(date(2010, 1, 1)),
            ..hourly_tariff(Category::Industrial, "50")
        },
        hourly_tariff(Category::Industrial, "10"),
    ];
    let measure = session(
        "AREVA",
        "2010-06-02T10:00:00+02:00",
        "2010-06-02T11:00:00+02:00",
    );
    assert_eq!(amount_of(measure, &tariffs), money("50.00"));
}

#[test]
fn missing_tariff_error() {
    let tariffs = vec![Tariff {
        effective_from: Some(date(2010, 7, 1)),
        ..hourly_tariff(Category::Industrial, "120")
    }];
    let measure = session(
        "AREVA",
        "2010-06-02T10:00:00+02:00",
        "2010-06-02T11:00:00+02:00",
    );
    let id = measure.id;

    let error = compute_invoice(&[measure], &facility_groups(), &tariffs, &june_2010())
        .expect_err("no tariff in force");
    let expected = BillingError::MissingTariff {
        instrument: NMR.to_string(),
        category: Category::Industrial,
        session: id,
    };
    assert_eq!(error, expected);
    assert!(error.to_string().contains("progmanager tariff set"));
}

#[test]
fn unbilled_session_needs_no_tariff() {
    let mut maintenance = session(
        "AREVA",
        "2010-06-02T10:00:00+02:00",
        "2010-06-02T11:00:00+02:00",
    );
    maintenance.kind = "Maintenance".to_string();
    let mut not_billable = session(
        "AREVA",
        "2010-06-02T12:00:00+02:00",
        "2010-06-02T13:00:00+02:00",
    );
    not_billable.billable = false;

    let invoice = compute_invoice(
        &[maintenance, not_billable],
        &facility_groups(),
        &[],
        &june_2010(),
    )
    .expect("invoice");
    let lines = &invoice.groups[0].lines;
    assert_eq!(lines.len(), 2);
    for line in lines {
        assert_eq!(line.pricing, LinePricing::Unbilled);
        assert_eq!(line.amount.to_string(), "0.00");
    }
    assert_eq!(invoice.total.to_string(), "0.00");
}

#[test]
fn unknown_group_error() {
    let measure = session(
        "CEA",
        "2010-06-02T10:00:00+02:00",
        "2010-06-02T11:00:00+02:00",
    );
    let id = measure.id;
    let error = compute_invoice(
        &[measure],
        &facility_groups(),
        &facility_tariffs(),
        &june_2010(),
    )
    .expect_err("unknown group");
    let expected = BillingError::UnknownGroup {
        session: id,
        group: "CEA".to_string(),
    };
    assert_eq!(error, expected);
}

#[test]
fn period_bounds_in_local_time() {
    let cases = [
        ("2010-05-31T23:30:00+02:00", false),
        ("2010-06-01T01:00:00+02:00", true),
        ("2010-06-30T23:30:00+02:00", true),
        ("2010-07-01T00:30:00+02:00", false),
    ];
    for (start, in_june) in cases {
        let one_hour = instant(start) + chrono::TimeDelta::hours(1);
        let measure = session("LMCP", start, &one_hour.to_rfc3339());
        let invoice = compute_invoice(
            &[measure],
            &facility_groups(),
            &facility_tariffs(),
            &june_2010(),
        )
        .expect("invoice");
        assert_eq!(invoice.groups.len(), usize::from(in_june), "{start}");
    }
}

#[test]
fn rounding_once_per_line() {
    let cases = [
        ("10.00", "2010-06-02T10:20:00+02:00", "3.33"),
        ("0.30", "2010-06-02T10:01:00+02:00", "0.01"),
        ("0.01", "2010-06-02T10:30:00+02:00", "0.01"),
        ("20.00", "2010-06-02T10:20:00+02:00", "6.67"),
        ("0.10", "2010-06-02T10:01:00+02:00", "0.00"),
    ];
    for (rate, end, expected) in cases {
        let tariffs = [hourly_tariff(Category::Industrial, rate)];
        let measure = session("AREVA", "2010-06-02T10:00:00+02:00", end);
        let amount = amount_of(measure, &tariffs);
        assert_eq!(amount.to_string(), expected, "{rate} until {end}");
    }
}

#[test]
fn group_total_sums_rounded_lines() {
    // Three 20-minute sessions at 10.00/h: each line is 3.33, so the total is 9.99,
    // not the 10.00 that one hour would give.
    let sessions: Vec<Session> = ["10", "11", "12"]
        .iter()
        .map(|hour| {
            let start = format!("2010-06-02T{hour}:00:00+02:00");
            let end = format!("2010-06-02T{hour}:20:00+02:00");
            session("AREVA", &start, &end)
        })
        .collect();
    let tariffs = [hourly_tariff(Category::Industrial, "10.00")];
    let invoice =
        compute_invoice(&sessions, &facility_groups(), &tariffs, &june_2010()).expect("invoice");
    assert_eq!(invoice.groups[0].total.to_string(), "9.99");
    assert_eq!(invoice.groups[0].lines[0].hours, money("0.3333"));
}

#[test]
fn open_sessions_reported_apart() {
    let mut running = session(
        "LMCP",
        "2010-06-02T10:00:00+02:00",
        "2010-06-02T11:00:00+02:00",
    );
    running.end = None;
    let id = running.id;
    let closed = session(
        "AREVA",
        "2010-06-02T10:00:00+02:00",
        "2010-06-02T11:00:00+02:00",
    );

    let invoice = compute_invoice(
        &[running, closed],
        &facility_groups(),
        &facility_tariffs(),
        &june_2010(),
    )
    .expect("invoice");
    assert_eq!(invoice.open_sessions, vec![id]);
    assert_eq!(invoice.groups.len(), 1);
    assert_eq!(invoice.groups[0].group, "AREVA");
}

#[test]
fn group_filter() {
    let mut request = june_2010();
    request.group = Some("LMCP".to_string());
    let invoice = compute_invoice(
        &logbook_sessions(),
        &facility_groups(),
        &facility_tariffs(),
        &request,
    )
    .expect("invoice");
    assert_eq!(invoice.groups.len(), 1);
    assert_eq!(invoice.groups[0].group, "LMCP");
    assert_eq!(invoice.total.to_string(), "150.00");
}

#[test]
fn empty_period_gives_empty_invoice() {
    let invoice = compute_invoice(
        &logbook_sessions(),
        &facility_groups(),
        &facility_tariffs(),
        &request_for(date(2010, 7, 1)),
    )
    .expect("invoice");
    assert!(invoice.groups.is_empty());
    assert_eq!(invoice.total.to_string(), "0.00");
}

#[test]
fn end_before_start_error() {
    let backwards = session(
        "AREVA",
        "2010-06-02T11:00:00+02:00",
        "2010-06-02T10:00:00+02:00",
    );
    let error = compute_invoice(
        &[backwards],
        &facility_groups(),
        &facility_tariffs(),
        &june_2010(),
    )
    .expect_err("negative duration");
    assert!(matches!(error, BillingError::EndBeforeStart { .. }));
}

fn amount_strategy() -> impl Strategy<Value = Decimal> {
    (0i64..1_000_000).prop_map(|cents| Decimal::new(cents, 2))
}

fn tariff_strategy(category: Category) -> impl Strategy<Value = Tariff> {
    let hourly = proptest::option::of(amount_strategy());
    let per_sample = proptest::option::of(amount_strategy());
    (any::<bool>(), hourly, per_sample).prop_map(move |(covered, hourly, per_sample)| Tariff {
        instrument: NMR.to_string(),
        category,
        effective_from: None,
        rule: TariffRule::simple(covered, hourly, per_sample),
    })
}

fn session_strategy() -> impl Strategy<Value = Session> {
    let codes = ["LMCP", "AREVA", "Idenix", "SGP", "NSA", "service"];
    let kinds = ["proton", "carbone", "maintenance", "downtime"];
    (
        proptest::sample::select(codes.to_vec()),
        proptest::sample::select(kinds.to_vec()),
        0i64..30 * 24 * 3600,
        proptest::option::weighted(0.9, 0i64..72 * 3600),
        0u32..100,
        proptest::bool::weighted(0.9),
    )
        .prop_map(|(group, kind, offset, duration, samples, billable)| {
            let start = instant("2010-06-01T00:00:00+02:00") + chrono::TimeDelta::seconds(offset);
            Session {
                id: Uuid::now_v7(),
                instrument: NMR.to_string(),
                operator: "Durand".to_string(),
                group: group.to_string(),
                start,
                end: duration.map(|seconds| start + chrono::TimeDelta::seconds(seconds)),
                kind: kind.to_string(),
                samples,
                observations: String::new(),
                billable,
                node: "00".to_string(),
                package: None,
                booked_end: None,
                program: None,
                review: None,
            }
        })
}

proptest! {
    #[test]
    fn totals_add_up_and_amounts_nonnegative(
        sessions in proptest::collection::vec(session_strategy(), 0..40),
        internal in tariff_strategy(Category::Internal),
        public in tariff_strategy(Category::PublicCnrs),
        industrial in tariff_strategy(Category::Industrial),
    ) {
        let tariffs = [internal, public, industrial];
        let invoice = compute_invoice(&sessions, &facility_groups(), &tariffs, &june_2010())
            .expect("every session has a known group and a tariff");

        let mut group_sum = Decimal::ZERO;
        for group in &invoice.groups {
            prop_assert!(!group.lines.is_empty());
            let mut line_sum = Decimal::ZERO;
            for line in &group.lines {
                prop_assert!(line.amount >= Decimal::ZERO, "negative amount {}", line.amount);
                prop_assert_eq!(line.amount.scale(), 2);
                line_sum += line.amount;
            }
            prop_assert_eq!(group.total, line_sum);
            group_sum += group.total;
        }
        prop_assert_eq!(invoice.total, group_sum);

        let line_count: usize = invoice.groups.iter().map(|group| group.lines.len()).sum();
        prop_assert_eq!(line_count + invoice.open_sessions.len(), sessions.len());
    }
}

fn rule_tariff(category: Category, rule: TariffRule) -> Tariff {
    Tariff {
        rule,
        ..hourly_tariff(category, "0")
    }
}

fn industrial_line(session: Session, rule: TariffRule) -> InvoiceLine {
    let day = session.start.with_timezone(&Paris).date_naive();
    let tariffs = [rule_tariff(Category::Industrial, rule)];
    let invoice = compute_invoice(&[session], &facility_groups(), &tariffs, &request_for(day))
        .expect("invoice");
    single_line(&invoice).clone()
}

#[test]
fn holiday_rate_wins_over_periods() {
    let rule = TariffRule {
        hourly: Some(money("10")),
        holiday: Some(money("30")),
        periods: vec![prime_period("20")],
        ..TariffRule::default()
    };
    // Easter Monday 2026 is 6 April.
    let easter_monday = session(
        "AREVA",
        "2026-04-06T10:00:00+02:00",
        "2026-04-06T11:00:00+02:00",
    );
    assert_eq!(
        industrial_line(easter_monday, rule.clone()).amount,
        money("30.00")
    );
    let tuesday = session(
        "AREVA",
        "2026-04-07T10:00:00+02:00",
        "2026-04-07T11:00:00+02:00",
    );
    assert_eq!(industrial_line(tuesday, rule).amount, money("20.00"));
}

#[test]
fn extra_closing_day_uses_holiday_rate() {
    let rule = TariffRule {
        hourly: Some(money("10")),
        holiday: Some(money("30")),
        extra_holidays: vec![date(2026, 12, 24)],
        ..TariffRule::default()
    };
    let christmas_eve = session(
        "AREVA",
        "2026-12-24T10:00:00+01:00",
        "2026-12-24T12:00:00+01:00",
    );
    assert_eq!(industrial_line(christmas_eve, rule).amount, money("60.00"));
}

#[test]
fn unknown_package_billed_hourly_and_reported() {
    let rule = TariffRule {
        hourly: Some(money("10")),
        ..TariffRule::default()
    };
    let mut measure = session(
        "AREVA",
        "2026-04-11T10:00:00+02:00",
        "2026-04-11T12:00:00+02:00",
    );
    measure.package = Some("holiday-pack".to_string());
    let line = industrial_line(measure, rule);
    assert_eq!(line.amount, money("20.00"));
    let unknown = BreakdownItem::UnknownPackage {
        name: "holiday-pack".to_string(),
    };
    assert!(line.breakdown.contains(&unknown));
}

#[test]
fn kind_prices_replace_defaults() {
    let rule = TariffRule {
        hourly: Some(money("10")),
        per_sample: Some(money("2")),
        kinds: vec![crate::tariff::KindPrice {
            kind: "Carbon".to_string(),
            hourly: None,
            per_sample: Some(money("5")),
            per_session: Some(money("1.50")),
        }],
        ..TariffRule::default()
    };
    let mut carbon = session(
        "AREVA",
        "2026-05-20T10:00:00+02:00",
        "2026-05-20T11:00:00+02:00",
    );
    carbon.kind = "carbon".to_string();
    carbon.samples = 4;
    let mut proton = carbon.clone();
    proton.kind = "proton".to_string();
    assert_eq!(industrial_line(carbon, rule.clone()).amount, money("31.50"));
    assert_eq!(industrial_line(proton, rule).amount, money("18.00"));
}

#[test]
fn surcharge_discount_and_vat_order() {
    let rule = TariffRule {
        hourly: Some(money("100")),
        surcharge_percent: Some(money("30")),
        discount_percent: Some(money("10")),
        vat_percent: Some(money("20")),
        ..TariffRule::default()
    };
    let measure = session(
        "AREVA",
        "2026-05-20T10:00:00+02:00",
        "2026-05-20T11:00:00+02:00",
    );
    let line = industrial_line(measure, rule);
    // 100 + 30 % = 130, − 10 % = 117, VAT 23.40.
    assert_eq!(line.amount, money("117.00"));
    assert_eq!(line.vat, money("23.40"));
    assert_eq!(line.amount_including_vat, money("140.40"));
    let ids: Vec<&str> = line
        .breakdown
        .iter()
        .map(BreakdownItem::message_id)
        .collect();
    let expected = [
        "breakdown-segment",
        "breakdown-surcharge",
        "breakdown-discount",
        "breakdown-vat",
    ];
    assert_eq!(ids, expected);
}

fn daily_sessions(day: u32, hours: &[(u32, u32)]) -> Vec<Session> {
    hours
        .iter()
        .map(|(from, to)| {
            let start = format!("2026-06-{day:02}T{from:02}:00:00+02:00");
            let end = format!("2026-06-{day:02}T{to:02}:00:00+02:00");
            session("AREVA", &start, &end)
        })
        .collect()
}

#[test]
fn daily_cap_limits_later_sessions() {
    let rule = TariffRule {
        hourly: Some(money("40")),
        caps: vec![crate::tariff::Cap {
            period: CalendarPeriod::Day,
            amount: money("100"),
        }],
        ..TariffRule::default()
    };
    let mut sessions = daily_sessions(2, &[(8, 10), (10, 12), (14, 16)]);
    sessions.extend(daily_sessions(3, &[(8, 10)]));
    let tariffs = [rule_tariff(Category::Industrial, rule)];
    let request = InvoiceRequest {
        from: date(2026, 6, 1),
        to: date(2026, 6, 30),
        group: None,
        tz: Paris,
    };
    let invoice =
        compute_invoice(&sessions, &facility_groups(), &tariffs, &request).expect("invoice");
    let amounts: Vec<String> = invoice.groups[0]
        .lines
        .iter()
        .map(|line| line.amount.to_string())
        .collect();
    assert_eq!(amounts, ["80.00", "20.00", "0.00", "80.00"]);
    assert_eq!(
        invoice.groups[0].lines[1]
            .breakdown
            .last()
            .map(BreakdownItem::message_id),
        Some("breakdown-cap")
    );
}

fn tier_rule() -> TariffRule {
    TariffRule {
        hourly: Some(money("50")),
        tiers: vec![crate::tariff::Tier {
            after_hours: 3,
            hourly: money("20"),
        }],
        tier_period: CalendarPeriod::Quarter,
        ..TariffRule::default()
    }
}

#[test]
fn volume_tier_after_hours_in_quarter() {
    // 2 h then 2 h: the second session has 1 h at 50 and 1 h at 20.
    let sessions = daily_sessions(2, &[(8, 10), (10, 12)]);
    let tariffs = [rule_tariff(Category::Industrial, tier_rule())];
    let invoice = compute_invoice(
        &sessions,
        &facility_groups(),
        &tariffs,
        &request_for(date(2026, 6, 2)),
    )
    .expect("invoice");
    let amounts: Vec<String> = invoice.groups[0]
        .lines
        .iter()
        .map(|line| line.amount.to_string())
        .collect();
    assert_eq!(amounts, ["100.00", "70.00"]);
}

#[test]
fn volume_tier_counts_earlier_months_of_quarter() {
    // 3 h in April reach the threshold, so June's hour is billed at the tier rate even
    // though only June is invoiced. The quarter starting in July resets the count.
    let mut sessions = vec![session(
        "AREVA",
        "2026-04-15T08:00:00+02:00",
        "2026-04-15T11:00:00+02:00",
    )];
    sessions.extend(daily_sessions(2, &[(8, 9)]));
    sessions.push(session(
        "AREVA",
        "2026-07-01T08:00:00+02:00",
        "2026-07-01T09:00:00+02:00",
    ));

    let tariffs = [rule_tariff(Category::Industrial, tier_rule())];
    let june = compute_invoice(
        &sessions,
        &facility_groups(),
        &tariffs,
        &request_for(date(2026, 6, 2)),
    )
    .expect("invoice");
    assert_eq!(single_line(&june).amount, money("20.00"));

    let july = compute_invoice(
        &sessions,
        &facility_groups(),
        &tariffs,
        &request_for(date(2026, 7, 1)),
    )
    .expect("invoice");
    assert_eq!(single_line(&july).amount, money("50.00"));
}

#[test]
fn unbilled_kind_needs_tariff_listing() {
    let rule = TariffRule {
        hourly: Some(money("10")),
        unbilled_kinds: vec!["training".to_string()],
        ..TariffRule::default()
    };
    let mut training = session(
        "AREVA",
        "2026-05-20T10:00:00+02:00",
        "2026-05-20T11:00:00+02:00",
    );
    training.kind = "training".to_string();
    let mut maintenance = training.clone();
    maintenance.kind = "maintenance".to_string();
    let line = industrial_line(training, rule.clone());
    assert_eq!(line.pricing, LinePricing::Unbilled);
    // The rule replaces the default list, so maintenance is billed under it.
    assert_eq!(industrial_line(maintenance, rule).amount, money("10.00"));
}

#[test]
fn vat_totals_add_up() {
    let rule = TariffRule {
        hourly: Some(money("10.00")),
        vat_percent: Some(money("20")),
        ..TariffRule::default()
    };
    let sessions = daily_sessions(2, &[(8, 9), (9, 11)]);
    let tariffs = [rule_tariff(Category::Industrial, rule)];
    let invoice = compute_invoice(
        &sessions,
        &facility_groups(),
        &tariffs,
        &request_for(date(2026, 6, 2)),
    )
    .expect("invoice");
    assert_eq!(invoice.total, money("30.00"));
    assert_eq!(invoice.total_vat, money("6.00"));
    assert_eq!(invoice.total_including_vat, money("36.00"));
    assert_eq!(invoice.groups[0].total_including_vat, money("36.00"));
}

fn prime_period(rate: &str) -> crate::tariff::RatePeriod {
    crate::tariff::RatePeriod {
        name: "prime".to_string(),
        days: vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri],
        from: time("08:00"),
        to: time("18:00"),
        hourly: money(rate),
    }
}

fn time(text: &str) -> chrono::NaiveTime {
    chrono::NaiveTime::parse_from_str(text, "%H:%M").expect("test time")
}

/// Builds a rule whose periods, weekend and holidays all charge `rate`, so that its only
/// effect is to cut sessions at many boundaries.
fn same_rate_everywhere(rate: Decimal) -> TariffRule {
    let night = crate::tariff::RatePeriod {
        name: "night".to_string(),
        days: Vec::new(),
        from: time("20:15"),
        to: time("07:45"),
        hourly: rate,
    };
    TariffRule {
        hourly: Some(rate),
        weekend: Some(rate),
        holiday: Some(rate),
        periods: vec![
            crate::tariff::RatePeriod {
                hourly: rate,
                ..prime_period("0")
            },
            night,
        ],
        ..TariffRule::default()
    }
}

/// Builds a rule that uses most parts of the model, for invariant checks.
fn rich_rule(rate: Decimal, vat: bool) -> TariffRule {
    TariffRule {
        hourly: Some(rate),
        weekend: Some(rate / Decimal::TWO),
        holiday: Some(Decimal::ZERO),
        periods: vec![prime_period("33.33")],
        per_sample: Some(money("1.05")),
        packages: vec![crate::tariff::Package {
            name: "weekend".to_string(),
            days: vec![Day::Sat, Day::Sun],
            from: time("00:00"),
            to: time("00:00"),
            price: money("120"),
        }],
        minimum_minutes: Some(4),
        step_minutes: Some(15),
        grace_minutes: Some(5),
        multiplier: Some(money("1.5")),
        discount_percent: Some(money("12.5")),
        vat_percent: vat.then(|| money("20")),
        caps: vec![crate::tariff::Cap {
            period: CalendarPeriod::Day,
            amount: money("300"),
        }],
        tiers: vec![crate::tariff::Tier {
            after_hours: 20,
            hourly: money("5"),
        }],
        ..TariffRule::default()
    }
}

fn session_with_package() -> impl Strategy<Value = Session> {
    (session_strategy(), any::<bool>()).prop_map(|(mut session, package)| {
        session.package = package.then(|| "weekend".to_string());
        session
    })
}

proptest! {
    #[test]
    fn amount_independent_of_boundaries(
        cents in 0i64..100_000,
        offset in 0i64..365 * 24 * 3600,
        duration in 0i64..5 * 24 * 3600,
    ) {
        let rate = Decimal::new(cents, 2);
        let start = instant("2026-01-01T00:00:00+01:00") + chrono::TimeDelta::seconds(offset);
        let end = start + chrono::TimeDelta::seconds(duration);
        let measure = Session {
            start,
            end: Some(end),
            ..session("AREVA", "2026-01-01T00:00:00+01:00", "2026-01-01T00:00:00+01:00")
        };
        let flat = TariffRule::simple(false, Some(rate), None);
        let flat_line = industrial_line(measure.clone(), flat);
        let cut_line = industrial_line(measure, same_rate_everywhere(rate));
        prop_assert_eq!(flat_line.amount, cut_line.amount);
        let expected = (Decimal::from(duration) * rate / Decimal::from(3600))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        prop_assert_eq!(cut_line.amount, expected);
    }

    #[test]
    fn rich_rules_keep_invariants(
        sessions in proptest::collection::vec(session_with_package(), 0..30),
        cents in 0i64..20_000,
        vat in any::<bool>(),
    ) {
        let rule = rich_rule(Decimal::new(cents, 2), vat);
        let tariffs = [
            rule_tariff(Category::Internal, rule.clone()),
            rule_tariff(Category::PublicCnrs, rule.clone()),
            rule_tariff(Category::Industrial, rule),
        ];
        let invoice = compute_invoice(&sessions, &facility_groups(), &tariffs, &june_2010())
            .expect("every session has a known group and a tariff");

        let (mut total, mut total_vat) = (Decimal::ZERO, Decimal::ZERO);
        for group in &invoice.groups {
            let line_sum: Decimal = group.lines.iter().map(|line| line.amount).sum();
            let vat_sum: Decimal = group.lines.iter().map(|line| line.vat).sum();
            for line in &group.lines {
                prop_assert!(line.amount >= Decimal::ZERO, "negative amount {}", line.amount);
                prop_assert!(line.vat >= Decimal::ZERO, "negative VAT {}", line.vat);
                prop_assert_eq!(line.amount.scale(), 2);
                prop_assert_eq!(line.amount_including_vat, line.amount + line.vat);
            }
            prop_assert_eq!(group.total, line_sum);
            prop_assert_eq!(group.total_vat, vat_sum);
            prop_assert_eq!(group.total_including_vat, line_sum + vat_sum);
            total += group.total;
            total_vat += group.total_vat;
        }
        prop_assert_eq!(invoice.total, total);
        prop_assert_eq!(invoice.total_vat, total_vat);
        prop_assert_eq!(invoice.total_including_vat, total + total_vat);
    }
}
