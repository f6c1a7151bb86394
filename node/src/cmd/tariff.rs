//! `tariff` commands: set, list, show with conflicts, history, grid import and export,
//! and the choice that settles a conflict.

use progmanager_model::Tariff;
use progmanager_model::grid::{export_grid, import_grid};
use progmanager_model::permissions::Action;
use progmanager_model::schema::{self, FACILITY_DOC};
use progmanager_model::tariff::TariffRule;

use crate::auth;
use crate::cli::{Format, TariffCommand, TariffSetArgs};
use crate::cmd::report::print_rows;
use crate::error::AppError;
use crate::history::{RecordLocation, record_history};
use crate::node::Node;
use crate::ops;
use crate::tr;

pub fn tariff(
    node: &mut Node,
    user: Option<&str>,
    command: &TariffCommand,
) -> Result<(), AppError> {
    match command {
        TariffCommand::Set(args) => {
            let tariff = tariff_from_args(args)?;
            let admin = auth::login(node, user)?;
            let tariff = ops::set_tariff(node, &admin, tariff)?;
            node.notify_running_node();
            println!(
                "{}",
                tr!(
                    "tariff-set",
                    instrument = tariff.instrument.clone(),
                    category = tariff.category.code(),
                    rule = describe_tariff(&tariff)
                )
            );
        }
        TariffCommand::Show {
            instrument,
            category,
        } => {
            show(node, instrument, category.as_deref())?;
        }
        TariffCommand::History {
            instrument,
            category,
        } => {
            let admin = auth::login(node, user)?;
            ops::require(&admin, Action::ViewHistory)?;
            history(node, instrument, category.as_deref())?;
        }
        TariffCommand::Import { file } => {
            let admin = auth::login(node, user)?;
            let text = ops::read_text(file)?;
            let tariffs = import_grid(&text).map_err(|error| AppError::TariffGrid {
                file: file.clone(),
                error: Box::new(error),
            })?;
            let count = ops::set_tariffs(node, &admin, &tariffs)?;
            node.notify_running_node();
            println!(
                "{}",
                tr!(
                    "tariff-imported",
                    count = count,
                    file = file.display().to_string()
                )
            );
        }
        TariffCommand::Export { instrument } => {
            let mut tariffs = ops::tariffs(node)?;
            tariffs.retain(|t| instrument.as_ref().is_none_or(|i| &t.instrument == i));
            sort(&mut tariffs);
            let text =
                export_grid(&tariffs).map_err(|e| AppError::invalid("rule", e.to_string()))?;
            print!("{text}");
        }
        TariffCommand::Choose {
            instrument,
            category,
            from,
            choice,
        } => {
            let admin = auth::login(node, user)?;
            let category = ops::parse_category(category)?;
            let from = from
                .as_deref()
                .map(|v| ops::parse_date("from", v))
                .transpose()?;
            let tariff = ops::choose_tariff(node, &admin, instrument, category, from, *choice)?;
            node.notify_running_node();
            println!(
                "{}",
                tr!(
                    "tariff-chosen",
                    instrument = tariff.instrument.clone(),
                    category = tariff.category.code(),
                    rule = describe_tariff(&tariff)
                )
            );
        }
        TariffCommand::List { instrument, format } => {
            let mut tariffs = ops::tariffs(node)?;
            tariffs.retain(|t| instrument.as_ref().is_none_or(|i| &t.instrument == i));
            sort(&mut tariffs);
            let rows = tariffs
                .iter()
                .map(|t| {
                    vec![
                        t.instrument.clone(),
                        t.category.code().to_string(),
                        t.effective_from.map(|d| d.to_string()).unwrap_or_default(),
                        t.rule.covered.to_string(),
                        t.rule.hourly.map(|d| d.to_string()).unwrap_or_default(),
                        t.rule.per_sample.map(|d| d.to_string()).unwrap_or_default(),
                        describe_tariff(t),
                    ]
                })
                .collect();
            print_rows(
                *format,
                &[
                    "instrument",
                    "category",
                    "from",
                    "covered",
                    "hourly",
                    "per_sample",
                    "rule",
                ],
                rows,
            );
        }
    }
    Ok(())
}

fn tariff_from_args(args: &TariffSetArgs) -> Result<Tariff, AppError> {
    let category = ops::parse_category(&args.category)?;
    let hourly = args
        .hourly
        .as_deref()
        .map(|v| ops::parse_amount("hourly", v))
        .transpose()?;
    let per_sample = args
        .per_sample
        .as_deref()
        .map(|v| ops::parse_amount("per_sample", v))
        .transpose()?;
    let effective_from = args
        .from
        .as_deref()
        .map(|v| ops::parse_date("from", v))
        .transpose()?;
    Ok(Tariff {
        instrument: args.instrument.clone(),
        category,
        effective_from,
        rule: TariffRule::simple(args.covered, hourly, per_sample),
    })
}

/// A one-line summary of a rule; `tariff show` and `tariff export` give it in full.
fn describe_tariff(tariff: &Tariff) -> String {
    let rule = &tariff.rule;
    if rule.covered {
        return tr!("tariff-covered");
    }
    let mut parts = Vec::new();
    if let Some(hourly) = rule.hourly {
        parts.push(tr!("tariff-hourly", amount = hourly.to_string()));
    }
    if let Some(per_sample) = rule.per_sample {
        parts.push(tr!("tariff-per-sample", amount = per_sample.to_string()));
    }
    let extras = [
        (
            !rule.periods.is_empty() || rule.weekend.is_some() || rule.holiday.is_some(),
            "tariff-has-periods",
        ),
        (!rule.packages.is_empty(), "tariff-has-packages"),
        (!rule.kinds.is_empty(), "tariff-has-kinds"),
        (
            rule.minimum_minutes.is_some() || rule.minimum_amount.is_some(),
            "tariff-has-minimum",
        ),
        (
            !rule.caps.is_empty() || !rule.tiers.is_empty(),
            "tariff-has-caps",
        ),
        (rule.vat_percent.is_some(), "tariff-has-vat"),
    ];
    for (present, id) in extras {
        if present {
            parts.push(tr!(id));
        }
    }
    parts.join(", ")
}

fn sort(tariffs: &mut [Tariff]) {
    tariffs.sort_by(|a, b| {
        (&a.instrument, a.category, a.effective_from).cmp(&(
            &b.instrument,
            b.category,
            b.effective_from,
        ))
    });
}

/// Prints every version of an instrument's tariffs as a TOML grid, then the conflicts.
fn show(node: &Node, instrument: &str, category: Option<&str>) -> Result<(), AppError> {
    let category = category.map(ops::parse_category).transpose()?;
    let matches =
        |t: &Tariff| t.instrument == instrument && category.is_none_or(|c| t.category == c);
    let mut tariffs: Vec<Tariff> = ops::tariffs(node)?
        .into_iter()
        .filter(|t| matches(t))
        .collect();
    sort(&mut tariffs);
    if tariffs.is_empty() {
        println!("{}", tr!("tariff-none", instrument = instrument));
        return Ok(());
    }
    let text = export_grid(&tariffs).map_err(|e| AppError::invalid("rule", e.to_string()))?;
    print!("{text}");

    let conflicts = schema::read_tariff_conflicts(node.facility_doc()?)?;
    for conflict in conflicts.iter().filter(|c| matches(&c.current)) {
        let version = conflict
            .current
            .effective_from
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into());
        println!();
        println!(
            "{}",
            tr!(
                "tariff-conflict",
                instrument = conflict.current.instrument.clone(),
                category = conflict.current.category.code(),
                from = version,
                count = conflict.values.len()
            )
        );
        for (index, rule) in conflict.values.iter().enumerate() {
            let candidate = Tariff {
                rule: rule.clone(),
                ..conflict.current.clone()
            };
            println!("  [{}] {}", index + 1, describe_tariff(&candidate));
            let json = serde_json::to_string(rule).unwrap_or_default();
            println!("      {json}");
        }
    }
    Ok(())
}

/// Prints the changes of every tariff version of an instrument.
fn history(node: &Node, instrument: &str, category: Option<&str>) -> Result<(), AppError> {
    let category = category.map(ops::parse_category).transpose()?;
    let tz = node.timezone()?;
    let doc = node.facility_doc()?;
    let mut tariffs = ops::tariffs(node)?;
    tariffs.retain(|t| t.instrument == instrument && category.is_none_or(|c| t.category == c));
    sort(&mut tariffs);
    let mut rows = Vec::new();
    for tariff in &tariffs {
        let location = RecordLocation {
            doc: FACILITY_DOC.to_string(),
            root_map: "tariffs",
            key: schema::tariff_key(tariff),
        };
        for entry in record_history(doc, &location) {
            rows.push(vec![
                entry
                    .time
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                tariff.category.code().to_string(),
                tariff
                    .effective_from
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                entry.user,
                entry.node.chars().take(8).collect(),
                entry.field,
                entry.new.unwrap_or_default(),
            ]);
        }
    }
    print_rows(
        Format::Table,
        &["time", "category", "from", "user", "node", "field", "new"],
        rows,
    );
    Ok(())
}
