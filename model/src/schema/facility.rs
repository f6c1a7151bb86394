//! Records of the facility document: settings, instruments, groups, users, tariffs, members.

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue};

use super::value::{Record, SchemaError, map_entries, root_map};
use crate::tariff::TariffRule;
use crate::types::{BillingGroup, Category, Instrument, Level, Program, Tariff, User};

/// Facility-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Random ID chosen at creation; nodes of two facilities never sync together.
    pub facility_id: String,
    pub name: String,
    /// IANA time zone in which sessions are shown and billed.
    pub timezone: String,
}

/// A node that belongs to the facility and may sync with the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Hex SHA-256 of the node's certificate.
    pub node_id: String,
    pub name: String,
    /// Address the node listens on for sync (`host:port`), if it announced one.
    pub address: String,
    /// Milliseconds since the epoch when the node joined.
    pub joined_ms: i64,
    pub removed: bool,
}

/// Facility settings, or `None` before `init` wrote them.
pub fn read_settings<D: ReadDoc>(doc: &D) -> Result<Option<Settings>, SchemaError> {
    let obj = root_map(doc, "settings")?;
    let record = Record::new(doc, obj, "settings".into());
    let facility_id = record.str_or_empty("facility_id");
    if facility_id.is_empty() {
        return Ok(None);
    }
    Ok(Some(Settings {
        facility_id,
        name: record.str_or_empty("name"),
        timezone: record.str("timezone")?,
    }))
}

pub fn put_settings<T: Transactable>(tx: &mut T, settings: &Settings) -> Result<(), SchemaError> {
    let obj = root_map(tx, "settings")?;
    tx.put(&obj, "facility_id", settings.facility_id.as_str())?;
    tx.put(&obj, "name", settings.name.as_str())?;
    tx.put(&obj, "timezone", settings.timezone.as_str())?;
    Ok(())
}

/// Returns the map object of record `key` in root map `map`, creating it when absent.
fn record_obj<T: Transactable>(
    tx: &mut T,
    map: &'static str,
    key: &str,
) -> Result<automerge::ObjId, SchemaError> {
    let root = root_map(tx, map)?;
    match tx.get(&root, key)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Ok(tx.put_object(&root, key, ObjType::Map)?),
    }
}

pub fn read_instruments<D: ReadDoc>(doc: &D) -> Result<Vec<Instrument>, SchemaError> {
    let root = root_map(doc, "instruments")?;
    let mut out = Vec::new();
    for (key, obj) in map_entries(doc, &root) {
        let r = Record::new(doc, obj, key);
        if r.bool_or("deleted", false) {
            continue;
        }
        let max_minutes = r
            .int("max_minutes")
            .ok()
            .and_then(|m| u32::try_from(m).ok())
            .filter(|m| *m > 0);
        out.push(Instrument {
            code: r.key.clone(),
            name: r.str_or_empty("name"),
            max_minutes,
            parallel: r.bool_or("parallel", false),
            require_observations: r.bool_or("require_observations", false),
        });
    }
    Ok(out)
}

pub fn put_instrument<T: Transactable>(tx: &mut T, item: &Instrument) -> Result<(), SchemaError> {
    let obj = record_obj(tx, "instruments", &item.code)?;
    tx.put(&obj, "name", item.name.as_str())?;
    tx.put(
        &obj,
        "max_minutes",
        i64::from(item.max_minutes.unwrap_or(0)),
    )?;
    tx.put(&obj, "parallel", item.parallel)?;
    tx.put(&obj, "require_observations", item.require_observations)?;
    tx.put(&obj, "deleted", false)?;
    Ok(())
}

pub fn read_groups<D: ReadDoc>(doc: &D) -> Result<Vec<BillingGroup>, SchemaError> {
    let root = root_map(doc, "groups")?;
    let mut out = Vec::new();
    for (key, obj) in map_entries(doc, &root) {
        let r = Record::new(doc, obj, key);
        if r.bool_or("deleted", false) {
            continue;
        }
        let category = r.str("category")?;
        let category: Category = category
            .parse()
            .map_err(|_| r.bad_value("category", &category))?;
        out.push(BillingGroup {
            code: r.key.clone(),
            name: r.str_or_empty("name"),
            category,
        });
    }
    Ok(out)
}

pub fn put_group<T: Transactable>(tx: &mut T, item: &BillingGroup) -> Result<(), SchemaError> {
    let obj = record_obj(tx, "groups", &item.code)?;
    tx.put(&obj, "name", item.name.as_str())?;
    tx.put(&obj, "category", item.category.code())?;
    tx.put(&obj, "deleted", false)?;
    Ok(())
}

pub fn read_users<D: ReadDoc>(doc: &D) -> Result<Vec<User>, SchemaError> {
    let root = root_map(doc, "users")?;
    let mut out = Vec::new();
    for (key, obj) in map_entries(doc, &root) {
        let r = Record::new(doc, obj, key);
        let level = r.int("level")?;
        let level = Level::new(level).map_err(|_| r.bad_value("level", &level.to_string()))?;
        out.push(User {
            login: r.key.clone(),
            name: r.str_or_empty("name"),
            level,
            group: r.str_or_empty("group"),
            password_hash: r.str("password_hash")?,
            active: r.bool_or("active", true),
        });
    }
    Ok(out)
}

pub fn put_user<T: Transactable>(tx: &mut T, item: &User) -> Result<(), SchemaError> {
    let obj = record_obj(tx, "users", &item.login)?;
    tx.put(&obj, "name", item.name.as_str())?;
    tx.put(&obj, "level", i64::from(item.level.get()))?;
    tx.put(&obj, "group", item.group.as_str())?;
    tx.put(&obj, "password_hash", item.password_hash.as_str())?;
    tx.put(&obj, "active", item.active)?;
    Ok(())
}

/// Key of a tariff version in the `tariffs` map.
pub fn tariff_key(tariff: &Tariff) -> String {
    let effective = tariff
        .effective_from
        .map(|d| d.to_string())
        .unwrap_or_default();
    format!(
        "{}|{}|{}",
        tariff.instrument,
        tariff.category.code(),
        effective
    )
}

pub fn read_tariffs<D: ReadDoc>(doc: &D) -> Result<Vec<Tariff>, SchemaError> {
    let root = root_map(doc, "tariffs")?;
    let mut out = Vec::new();
    for (key, obj) in map_entries(doc, &root) {
        let r = Record::new(doc, obj, key);
        if r.bool_or("deleted", false) {
            continue;
        }
        out.push(read_tariff(&r)?);
    }
    Ok(out)
}

fn read_tariff<D: ReadDoc>(r: &Record<'_, D>) -> Result<Tariff, SchemaError> {
    let category = r.str("category")?;
    let category: Category = category
        .parse()
        .map_err(|_| r.bad_value("category", &category))?;
    let effective = r.str_or_empty("effective_from");
    let effective_from = if effective.is_empty() {
        None
    } else {
        Some(
            effective
                .parse()
                .map_err(|_| r.bad_value("effective_from", &effective))?,
        )
    };
    Ok(Tariff {
        instrument: r.str("instrument")?,
        category,
        effective_from,
        rule: read_tariff_rule(r)?,
    })
}

/// Reads the `rule` field (JSON), or builds the rule of a record written before rules
/// existed from its `covered`, `hourly` and `per_sample` fields.
fn read_tariff_rule<D: ReadDoc>(r: &Record<'_, D>) -> Result<TariffRule, SchemaError> {
    let json = r.str_or_empty("rule");
    if json.is_empty() {
        return Ok(TariffRule::simple(
            r.bool_or("covered", false),
            r.decimal("hourly")?,
            r.decimal("per_sample")?,
        ));
    }
    serde_json::from_str(&json).map_err(|_| r.bad_value("rule", &json))
}

/// Fields of the first tariff layout, removed when a record is rewritten with a `rule`.
const LEGACY_TARIFF_FIELDS: [&str; 3] = ["covered", "hourly", "per_sample"];

pub fn put_tariff<T: Transactable>(tx: &mut T, item: &Tariff) -> Result<(), SchemaError> {
    let obj = record_obj(tx, "tariffs", &tariff_key(item))?;
    let effective = item
        .effective_from
        .map(|d| d.to_string())
        .unwrap_or_default();
    let rule = serde_json::to_string(&item.rule).map_err(|error| {
        SchemaError::Automerge(format!("tariff rule not serializable: {error}"))
    })?;
    tx.put(&obj, "instrument", item.instrument.as_str())?;
    tx.put(&obj, "category", item.category.code())?;
    tx.put(&obj, "effective_from", effective)?;
    tx.put(&obj, "rule", rule)?;
    for field in LEGACY_TARIFF_FIELDS {
        if tx.get(&obj, field)?.is_some() {
            tx.delete(&obj, field)?;
        }
    }
    tx.put(&obj, "deleted", false)?;
    Ok(())
}

/// A tariff version that admins edited concurrently on disconnected nodes: Automerge keeps
/// one value as the winner, and the product shows every value so an admin chooses.
#[derive(Debug, Clone, PartialEq)]
pub struct TariffConflict {
    /// The version as it reads now (the deterministic winner).
    pub current: Tariff,
    /// Every distinct rule written concurrently, the current one first.
    pub values: Vec<TariffRule>,
}

/// Tariff versions with concurrent values, whether two nodes wrote the rule of the same
/// record or created the same version as two records.
pub fn read_tariff_conflicts<D: ReadDoc>(doc: &D) -> Result<Vec<TariffConflict>, SchemaError> {
    let root = root_map(doc, "tariffs")?;
    let mut out = Vec::new();
    for (key, obj) in map_entries(doc, &root) {
        let current = read_tariff(&Record::new(doc, obj.clone(), key.clone()))?;
        let mut values = vec![current.rule.clone()];
        for record in all_objects(doc, &root, &key)? {
            for rule in all_rule_values(doc, &record)? {
                if !values.contains(&rule) {
                    values.push(rule);
                }
            }
        }
        if values.len() > 1 {
            out.push(TariffConflict { current, values });
        }
    }
    Ok(out)
}

fn all_objects<D: ReadDoc>(
    doc: &D,
    root: &automerge::ObjId,
    key: &str,
) -> Result<Vec<automerge::ObjId>, SchemaError> {
    Ok(doc
        .get_all(root, key)?
        .into_iter()
        .filter_map(|(value, id)| {
            matches!(value, automerge::Value::Object(ObjType::Map)).then_some(id)
        })
        .collect())
}

fn all_rule_values<D: ReadDoc>(
    doc: &D,
    record: &automerge::ObjId,
) -> Result<Vec<TariffRule>, SchemaError> {
    let mut rules = Vec::new();
    for (value, _) in doc.get_all(record, "rule")? {
        if let automerge::Value::Scalar(scalar) = value
            && let ScalarValue::Str(json) = scalar.as_ref()
            && let Ok(rule) = serde_json::from_str::<TariffRule>(json)
        {
            rules.push(rule);
        }
    }
    Ok(rules)
}

/// Writes a tariff version as a new record object, which supersedes every concurrent
/// value of it: how an admin's choice settles a conflict.
pub fn replace_tariff<T: Transactable>(tx: &mut T, item: &Tariff) -> Result<(), SchemaError> {
    let root = root_map(tx, "tariffs")?;
    tx.put_object(&root, tariff_key(item).as_str(), ObjType::Map)?;
    put_tariff(tx, item)
}

/// Key of a control program in the `programs` map.
pub fn program_key(instrument: &str, name: &str) -> String {
    format!("{instrument}|{name}")
}

/// The control programs of every instrument; empty for a facility document created before
/// programs existed.
pub fn read_programs<D: ReadDoc>(doc: &D) -> Result<Vec<Program>, SchemaError> {
    let Ok(root) = root_map(doc, "programs") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (key, obj) in map_entries(doc, &root) {
        let r = Record::new(doc, obj, key);
        if r.bool_or("deleted", false) {
            continue;
        }
        let mode = r.str("mode")?;
        let mode = mode.parse().map_err(|_| r.bad_value("mode", &mode))?;
        let args = r.str_or_empty("args");
        let args: Vec<String> = if args.is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&args).map_err(|_| r.bad_value("args", &args))?
        };
        out.push(Program {
            instrument: r.str("instrument")?,
            name: r.str("name")?,
            mode,
            command: r.str("command")?,
            args,
            multiple_instances: r.bool_or("multiple_instances", false),
        });
    }
    Ok(out)
}

pub fn put_program<T: Transactable>(tx: &mut T, item: &Program) -> Result<(), SchemaError> {
    let obj = record_obj(tx, "programs", &program_key(&item.instrument, &item.name))?;
    let args = serde_json::to_string(&item.args).map_err(|error| {
        SchemaError::Automerge(format!("program arguments not serializable: {error}"))
    })?;
    tx.put(&obj, "instrument", item.instrument.as_str())?;
    tx.put(&obj, "name", item.name.as_str())?;
    tx.put(&obj, "mode", item.mode.code())?;
    tx.put(&obj, "command", item.command.as_str())?;
    tx.put(&obj, "args", args)?;
    tx.put(&obj, "multiple_instances", item.multiple_instances)?;
    tx.put(&obj, "deleted", false)?;
    Ok(())
}

pub fn read_members<D: ReadDoc>(doc: &D) -> Result<Vec<Member>, SchemaError> {
    let root = root_map(doc, "members")?;
    let mut out = Vec::new();
    for (key, obj) in map_entries(doc, &root) {
        let r = Record::new(doc, obj, key);
        out.push(Member {
            node_id: r.key.clone(),
            name: r.str_or_empty("name"),
            address: r.str_or_empty("address"),
            joined_ms: r.timestamp("joined")?.unwrap_or(0),
            removed: r.bool_or("removed", false),
        });
    }
    Ok(out)
}

pub fn put_member<T: Transactable>(tx: &mut T, item: &Member) -> Result<(), SchemaError> {
    let obj = record_obj(tx, "members", &item.node_id)?;
    tx.put(&obj, "name", item.name.as_str())?;
    tx.put(&obj, "address", item.address.as_str())?;
    tx.put(&obj, "joined", ScalarValue::Timestamp(item.joined_ms))?;
    tx.put(&obj, "removed", item.removed)?;
    Ok(())
}

/// Updates only the sync address of a member, leaving its other fields alone.
pub fn put_member_address<T: Transactable>(
    tx: &mut T,
    node_id: &str,
    address: &str,
) -> Result<(), SchemaError> {
    let obj = record_obj(tx, "members", node_id)?;
    tx.put(&obj, "address", address)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{FACILITY_DOC, genesis};
    use crate::tariff::{CalendarPeriod, Cap};
    use automerge::transaction::Transaction;
    use rust_decimal::Decimal;

    fn write(doc: &mut automerge::Automerge, edit: impl FnOnce(&mut Transaction<'_>)) {
        let mut tx = doc.transaction();
        edit(&mut tx);
        tx.commit();
    }

    fn rich_tariff() -> Tariff {
        let rule = TariffRule {
            hourly: Some(Decimal::new(3000, 2)),
            weekend: Some(Decimal::from(20)),
            vat_percent: Some(Decimal::from(20)),
            caps: vec![Cap {
                period: CalendarPeriod::Month,
                amount: Decimal::from(500),
            }],
            ..TariffRule::default()
        };
        Tariff {
            instrument: "RMN400".to_string(),
            category: Category::PublicCnrs,
            effective_from: "2026-01-01".parse().ok(),
            rule,
        }
    }

    #[test]
    fn tariff_rule_round_trips() {
        let mut doc = genesis(FACILITY_DOC).expect("known doc");
        let tariff = rich_tariff();
        write(&mut doc, |tx| put_tariff(tx, &tariff).expect("put"));
        assert_eq!(read_tariffs(&doc), Ok(vec![tariff]));
    }

    #[test]
    fn legacy_tariff_record_reads_as_simple_rule() {
        let mut doc = genesis(FACILITY_DOC).expect("known doc");
        write(&mut doc, |tx| {
            let obj = record_obj(tx, "tariffs", "RMN400|industrial|").expect("record");
            tx.put(&obj, "instrument", "RMN400").expect("put");
            tx.put(&obj, "category", "industrial").expect("put");
            tx.put(&obj, "effective_from", "").expect("put");
            tx.put(&obj, "covered", false).expect("put");
            tx.put(&obj, "hourly", "120.00").expect("put");
            tx.put(&obj, "per_sample", ScalarValue::Null).expect("put");
        });
        let tariffs = read_tariffs(&doc).expect("readable");
        let expected = TariffRule::simple(false, Some(Decimal::new(12000, 2)), None);
        assert_eq!(tariffs.len(), 1);
        assert_eq!(tariffs[0].rule, expected);
        assert_eq!(tariffs[0].effective_from, None);
    }

    #[test]
    fn rewritten_legacy_record_drops_old_fields() {
        let mut doc = genesis(FACILITY_DOC).expect("known doc");
        let mut tariff = rich_tariff();
        write(&mut doc, |tx| {
            let obj = record_obj(tx, "tariffs", &tariff_key(&tariff)).expect("record");
            tx.put(&obj, "hourly", "1.00").expect("put");
        });
        tariff.rule.hourly = Some(Decimal::from(45));
        write(&mut doc, |tx| put_tariff(tx, &tariff).expect("put"));

        let root = root_map(&doc, "tariffs").expect("root");
        let (_, obj) = doc
            .get(&root, tariff_key(&tariff))
            .expect("get")
            .expect("record");
        assert!(doc.get(&obj, "hourly").expect("get").is_none());
        assert_eq!(read_tariffs(&doc), Ok(vec![tariff]));
    }

    #[test]
    fn invalid_rule_json_names_field() {
        let mut doc = genesis(FACILITY_DOC).expect("known doc");
        let tariff = rich_tariff();
        write(&mut doc, |tx| {
            put_tariff(tx, &tariff).expect("put");
            let obj = record_obj(tx, "tariffs", &tariff_key(&tariff)).expect("record");
            tx.put(&obj, "rule", "{\"hourly\": -1}").expect("put");
        });
        let error = read_tariffs(&doc).expect_err("invalid rule");
        assert!(
            matches!(error, SchemaError::BadValue { field: "rule", .. }),
            "{error}"
        );
    }
}
