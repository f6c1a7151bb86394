//! Operations on a facility's records, shared by the command line and later the web
//! interface. Each checks the user's permission with the model's one permission function
//! before it writes.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use progmanager_model::permissions::{Action, check};
use progmanager_model::schema::{self, FACILITY_DOC, Member, Settings};
use progmanager_model::{BillingGroup, Category, Instrument, Level, Session, Tariff, User};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::AppError;
use crate::node::Node;
use crate::projection::SessionFilter;

/// Fails unless `user` may perform `action`.
pub fn require(user: &User, action: Action<'_>) -> Result<(), AppError> {
    check(user, &action).map_err(|denied| AppError::denied(denied, &action))
}

pub fn parse_category(value: &str) -> Result<Category, AppError> {
    value
        .parse()
        .map_err(|_| AppError::invalid("category", value))
}

pub fn parse_amount(field: &'static str, value: &str) -> Result<Decimal, AppError> {
    let normalized = value.trim().replace(',', ".");
    let amount: Decimal = normalized
        .parse()
        .map_err(|_| AppError::invalid(field, value))?;
    if amount.is_sign_negative() || amount.scale() > 4 {
        return Err(AppError::invalid(field, value));
    }
    Ok(amount)
}

pub fn parse_date(field: &'static str, value: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| AppError::invalid(field, value))
}

/// A code of an instrument or billing group: letters, digits, `-`, `_` and `.`.
pub fn validate_code(field: &'static str, code: &str) -> Result<(), AppError> {
    let valid = !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(AppError::invalid(field, code))
    }
}

pub fn instruments(node: &Node) -> Result<Vec<Instrument>, AppError> {
    Ok(schema::read_instruments(node.facility_doc()?)?)
}

pub fn groups(node: &Node) -> Result<Vec<BillingGroup>, AppError> {
    Ok(schema::read_groups(node.facility_doc()?)?)
}

pub fn tariffs(node: &Node) -> Result<Vec<Tariff>, AppError> {
    Ok(schema::read_tariffs(node.facility_doc()?)?)
}

pub fn users(node: &Node) -> Result<Vec<User>, AppError> {
    Ok(schema::read_users(node.facility_doc()?)?)
}

pub fn members(node: &Node) -> Result<Vec<Member>, AppError> {
    Ok(schema::read_members(node.facility_doc()?)?)
}

fn require_instrument(node: &Node, code: &str) -> Result<Instrument, AppError> {
    instruments(node)?
        .into_iter()
        .find(|i| i.code == code)
        .ok_or_else(|| AppError::UnknownInstrument {
            code: code.to_string(),
        })
}

fn require_group(node: &Node, code: &str) -> Result<BillingGroup, AppError> {
    groups(node)?
        .into_iter()
        .find(|g| g.code == code)
        .ok_or_else(|| AppError::UnknownGroup {
            code: code.to_string(),
        })
}

/// Contents `init` writes into a new facility document.
pub struct NewFacility<'a> {
    pub settings: Settings,
    pub node_name: &'a str,
    pub listen: &'a str,
    pub admin: User,
}

pub fn create_facility(node: &mut Node, new: NewFacility<'_>) -> Result<(), AppError> {
    let member = Member {
        node_id: node.node_id.to_string(),
        name: new.node_name.to_string(),
        address: new.listen.to_string(),
        joined_ms: Utc::now().timestamp_millis(),
        removed: false,
    };
    let author = node.author(&new.admin.login);
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            schema::put_settings(tx, &new.settings)?;
            schema::put_member(tx, &member)?;
            schema::put_user(tx, &new.admin)?;
            Ok(())
        })
    })
}

pub fn add_instrument(
    node: &mut Node,
    user: &User,
    code: &str,
    name: Option<&str>,
) -> Result<Instrument, AppError> {
    require(user, Action::EditInstruments)?;
    validate_code("instrument", code)?;
    let existing = instruments(node)?.into_iter().find(|i| i.code == code);
    let instrument = Instrument {
        max_minutes: existing.as_ref().and_then(|i| i.max_minutes),
        parallel: existing.as_ref().is_some_and(|i| i.parallel),
        require_observations: existing.as_ref().is_some_and(|i| i.require_observations),
        code: code.to_string(),
        name: name
            .map(str::to_string)
            .or(existing.map(|i| i.name))
            .unwrap_or_else(|| code.to_string()),
    };
    let author = node.author(&user.login);
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            Ok(schema::put_instrument(tx, &instrument)?)
        })
    })?;
    Ok(instrument)
}

/// Counter rules of an instrument; `None` leaves a rule as it is.
#[derive(Debug, Default, Clone)]
pub struct InstrumentRules {
    /// Longest expected session in minutes; 0 removes the limit.
    pub max_minutes: Option<u32>,
    pub parallel: Option<bool>,
    pub require_observations: Option<bool>,
}

pub fn set_instrument_rules(
    node: &mut Node,
    user: &User,
    code: &str,
    rules: &InstrumentRules,
) -> Result<Instrument, AppError> {
    require(user, Action::EditInstruments)?;
    let mut instrument = require_instrument(node, code)?;
    if let Some(minutes) = rules.max_minutes {
        instrument.max_minutes = (minutes > 0).then_some(minutes);
    }
    if let Some(parallel) = rules.parallel {
        instrument.parallel = parallel;
    }
    if let Some(required) = rules.require_observations {
        instrument.require_observations = required;
    }
    let author = node.author(&user.login);
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            Ok(schema::put_instrument(tx, &instrument)?)
        })
    })?;
    Ok(instrument)
}

pub fn add_group(
    node: &mut Node,
    user: &User,
    code: &str,
    category: Category,
    name: Option<&str>,
) -> Result<BillingGroup, AppError> {
    require(user, Action::EditGroups)?;
    validate_code("group", code)?;
    let existing = groups(node)?.into_iter().find(|g| g.code == code);
    let group = BillingGroup {
        code: code.to_string(),
        name: name
            .map(str::to_string)
            .or(existing.map(|g| g.name))
            .unwrap_or_else(|| code.to_string()),
        category,
    };
    let author = node.author(&user.login);
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            Ok(schema::put_group(tx, &group)?)
        })
    })?;
    Ok(group)
}

pub fn set_tariff(node: &mut Node, user: &User, tariff: Tariff) -> Result<Tariff, AppError> {
    require(user, Action::EditTariffs)?;
    require_instrument(node, &tariff.instrument)?;
    let author = node.author(&user.login);
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            Ok(schema::put_tariff(tx, &tariff)?)
        })
    })?;
    Ok(tariff)
}

/// Writes a whole grid of tariff versions in one atomic batch; every instrument must exist.
pub fn set_tariffs(node: &mut Node, user: &User, tariffs: &[Tariff]) -> Result<usize, AppError> {
    require(user, Action::EditTariffs)?;
    for tariff in tariffs {
        require_instrument(node, &tariff.instrument)?;
    }
    let author = node.author(&user.login);
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            for tariff in tariffs {
                schema::put_tariff(tx, tariff)?;
            }
            Ok(())
        })
    })?;
    Ok(tariffs.len())
}

/// Settles a conflict on a tariff version by keeping value number `choice` (from 1) of
/// those `tariff show` lists.
pub fn choose_tariff(
    node: &mut Node,
    user: &User,
    instrument: &str,
    category: Category,
    from: Option<NaiveDate>,
    choice: usize,
) -> Result<Tariff, AppError> {
    require(user, Action::EditTariffs)?;
    let conflicts = schema::read_tariff_conflicts(node.facility_doc()?)?;
    let conflict = conflicts
        .into_iter()
        .find(|c| {
            c.current.instrument == instrument
                && c.current.category == category
                && c.current.effective_from == from
        })
        .ok_or_else(|| AppError::NoTariffConflict {
            instrument: instrument.to_string(),
            category: category.code().to_string(),
        })?;
    let count = conflict.values.len();
    let rule = conflict
        .values
        .into_iter()
        .nth(choice.wrapping_sub(1))
        .ok_or_else(|| AppError::invalid("choice", format!("{choice} (1 to {count})")))?;
    let tariff = Tariff {
        rule,
        ..conflict.current
    };
    let author = node.author(&user.login);
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            Ok(schema::replace_tariff(tx, &tariff)?)
        })
    })?;
    Ok(tariff)
}

pub fn add_user(node: &mut Node, admin: &User, new_user: User) -> Result<(), AppError> {
    require(admin, Action::EditUsers)?;
    validate_code("login", &new_user.login)?;
    if users(node)?.iter().any(|u| u.login == new_user.login) {
        return Err(AppError::UserExists {
            login: new_user.login,
        });
    }
    if !new_user.group.is_empty() {
        require_group(node, &new_user.group)?;
    }
    let author = node.author(&admin.login);
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            Ok(schema::put_user(tx, &new_user)?)
        })
    })
}

/// Sets the password hash of `login`: a user's own, or anyone's for an administrator.
pub fn set_password(
    node: &mut Node,
    actor: &User,
    login: &str,
    hash: String,
) -> Result<(), AppError> {
    if actor.login != login {
        require(actor, Action::EditUsers)?;
    }
    update_user(node, actor, login, |user| user.password_hash = hash)
}

/// Rewrites the record of user `login` after `change`; the caller checked permissions.
fn update_user(
    node: &mut Node,
    actor: &User,
    login: &str,
    change: impl FnOnce(&mut User),
) -> Result<(), AppError> {
    let mut user = users(node)?
        .into_iter()
        .find(|u| u.login == login)
        .ok_or_else(|| AppError::UnknownUser {
            login: login.to_string(),
        })?;
    change(&mut user);
    let author = node.author(&actor.login);
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            Ok(schema::put_user(tx, &user)?)
        })
    })
}

/// Every session of the facility, ordered by start.
pub fn sessions(node: &Node) -> Result<Vec<Session>, AppError> {
    Ok(node.store.sessions(&SessionFilter::default())?)
}

fn open_session(node: &Node, instrument: &str) -> Result<Option<Session>, AppError> {
    let filter = SessionFilter {
        instrument: Some(instrument),
        open_only: true,
        ..SessionFilter::default()
    };
    Ok(node
        .store
        .sessions(&filter)?
        .into_iter()
        .max_by_key(|s| s.start))
}

pub struct StartSession<'a> {
    pub instrument: &'a str,
    pub group: &'a str,
    pub kind: &'a str,
    pub samples: u32,
    /// Control program the running node launches or watches for this session.
    pub program: Option<&'a str>,
}

pub fn start_session(
    node: &mut Node,
    user: &User,
    request: StartSession<'_>,
) -> Result<Session, AppError> {
    require(
        user,
        Action::RecordSession {
            group: request.group,
        },
    )?;
    let instrument = require_instrument(node, request.instrument)?;
    require_group(node, request.group)?;
    if let Some(program) = request.program {
        crate::counter::program(node, request.instrument, program)?;
    }
    let busy = if instrument.parallel {
        None
    } else {
        open_session(node, request.instrument)?
    };
    if let Some(open) = busy {
        let tz = node.timezone()?;
        return Err(AppError::InstrumentBusy {
            instrument: request.instrument.to_string(),
            operator: open.operator,
            since: open
                .start
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        });
    }

    let session = Session {
        id: Uuid::now_v7(),
        instrument: request.instrument.to_string(),
        operator: user.login.clone(),
        group: request.group.to_string(),
        start: Utc::now(),
        end: None,
        kind: request.kind.to_string(),
        samples: request.samples,
        observations: String::new(),
        billable: true,
        node: node.node_id.to_string(),
        package: None,
        booked_end: None,
        program: request.program.map(str::to_string),
        review: None,
    };
    let doc_id = schema::logbook_doc_id(&session.instrument, session.start.year());
    let author = node.author(&user.login);
    node.store.write(&author, |batch| {
        batch.edit(&doc_id, |tx| -> Result<(), AppError> {
            Ok(schema::put_session(tx, &session)?)
        })
    })?;
    Ok(session)
}

pub fn stop_session(
    node: &mut Node,
    user: &User,
    instrument: &str,
    observations: &str,
) -> Result<Session, AppError> {
    let mut session = open_session(node, instrument)?.ok_or_else(|| AppError::NoOpenSession {
        instrument: instrument.to_string(),
    })?;
    if observations.trim().is_empty() && require_instrument(node, instrument)?.require_observations
    {
        return Err(AppError::ObservationsRequired {
            instrument: instrument.to_string(),
        });
    }
    require(
        user,
        Action::StopSession {
            operator: &session.operator,
        },
    )?;

    let end = Utc::now().max(session.start);
    let doc_id = schema::logbook_doc_id(&session.instrument, session.start.year());
    let author = node.author(&user.login);
    node.store.write(&author, |batch| {
        batch.edit(&doc_id, |tx| -> Result<(), AppError> {
            Ok(schema::close_session(tx, session.id, end, observations)?)
        })
    })?;
    session.end = Some(end);
    if !observations.is_empty() {
        session.observations = observations.to_string();
    }
    Ok(session)
}

/// Writes sessions and groups in one atomic batch, sessions grouped by logbook document.
pub fn write_sessions(
    node: &mut Node,
    user: &User,
    new_groups: &[BillingGroup],
    new_sessions: &[Session],
) -> Result<(), AppError> {
    let mut by_doc: BTreeMap<String, Vec<&Session>> = BTreeMap::new();
    for session in new_sessions {
        let doc_id = schema::logbook_doc_id(&session.instrument, session.start.year());
        by_doc.entry(doc_id).or_default().push(session);
    }
    let author = node.author(&user.login);
    node.store.write(&author, |batch| {
        if !new_groups.is_empty() {
            batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
                for group in new_groups {
                    schema::put_group(tx, group)?;
                }
                Ok(())
            })?;
        }
        for (doc_id, sessions) in &by_doc {
            batch.edit(doc_id, |tx| -> Result<(), AppError> {
                for session in sessions {
                    schema::put_session(tx, session)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })
}

/// The instant `at` shown in the facility's time zone, RFC 3339 with its offset.
pub fn local_rfc3339(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A user record for a new account.
pub fn new_user(login: &str, name: Option<&str>, level: Level, group: &str, hash: String) -> User {
    User {
        login: login.to_string(),
        name: name.unwrap_or(login).to_string(),
        level,
        group: group.to_string(),
        password_hash: hash,
        active: true,
    }
}

/// Reads a text file for import, naming it in errors.
pub fn read_text(path: &Path) -> Result<String, AppError> {
    std::fs::read_to_string(path).map_err(|e| AppError::io(path, e))
}

/// Marks a member removed: every node then refuses it once the change has spread.
pub fn remove_member(node: &mut Node, admin: &User, node_id: &str) -> Result<Member, AppError> {
    require(admin, Action::ManageMembers)?;
    let mut member = members(node)?
        .into_iter()
        .find(|m| m.node_id == node_id)
        .ok_or_else(|| AppError::UnknownMember {
            id: node_id.to_string(),
        })?;
    if member.node_id == node.node_id.to_string() {
        return Err(AppError::RemoveSelf);
    }
    member.removed = true;
    let author = node.author(&admin.login);
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            Ok(schema::put_member(tx, &member)?)
        })
    })?;
    Ok(member)
}

/// Enables or disables a user account.
pub fn set_user_active(
    node: &mut Node,
    admin: &User,
    login: &str,
    active: bool,
) -> Result<(), AppError> {
    require(admin, Action::EditUsers)?;
    update_user(node, admin, login, |user| user.active = active)
}

/// Changes to apply to a recorded session; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct SessionEdit {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub samples: Option<u32>,
    pub observations: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub billable: Option<bool>,
    /// `Some(None)` clears the review flag, `Some(Some(reason))` sets it.
    pub review: Option<Option<String>>,
}

/// Corrects a recorded session, writing only the fields that change so that concurrent
/// edits of other fields on other nodes survive the merge.
pub fn edit_session(
    node: &mut Node,
    admin: &User,
    id: &str,
    edit: &SessionEdit,
) -> Result<Session, AppError> {
    require(admin, Action::EditSessions)?;
    let unknown = || AppError::UnknownSession { id: id.to_string() };
    let doc_id = node.store.session_doc(id)?.ok_or_else(unknown)?;
    // An issued invoice froze this session's line: changing the session would make the
    // records disagree with a document the finance office already holds.
    if let Some(invoice) = crate::invoice::records::invoice_of_session(node, id)? {
        return Err(crate::invoice::InvoiceError::SessionInvoiced {
            session: id.to_string(),
            invoice,
        }
        .into());
    }
    let mut session = node
        .store
        .doc(&doc_id)
        .map(|doc| schema::read_session_by_key(doc, id))
        .transpose()?
        .flatten()
        .ok_or_else(unknown)?;
    if let Some(group) = &edit.group {
        require_group(node, group)?;
    }
    apply_edit(&mut session, edit);
    if session.end.is_some_and(|end| end < session.start) {
        let end = session.end.map(|e| e.to_rfc3339()).unwrap_or_default();
        return Err(AppError::invalid("end", end));
    }

    let author = node.author(&admin.login);
    node.store.write(&author, |batch| {
        batch.edit(&doc_id, |tx| -> Result<(), AppError> {
            Ok(schema::update_session_fields(tx, &session, &edit.fields())?)
        })
    })?;
    Ok(session)
}

fn apply_edit(session: &mut Session, edit: &SessionEdit) {
    if let Some(group) = &edit.group {
        session.group = group.clone();
    }
    if let Some(kind) = &edit.kind {
        session.kind = kind.clone();
    }
    if let Some(samples) = edit.samples {
        session.samples = samples;
    }
    if let Some(observations) = &edit.observations {
        session.observations = observations.clone();
    }
    if let Some(start) = edit.start {
        session.start = start;
    }
    if let Some(end) = edit.end {
        session.end = Some(end);
    }
    if let Some(billable) = edit.billable {
        session.billable = billable;
    }
    if let Some(review) = &edit.review {
        session.review = review.clone();
    }
}

impl SessionEdit {
    /// Names of the fields this edit changes, as stored in the document.
    pub fn fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        let named = [
            ("group", self.group.is_some()),
            ("kind", self.kind.is_some()),
            ("samples", self.samples.is_some()),
            ("observations", self.observations.is_some()),
            ("start", self.start.is_some()),
            ("end", self.end.is_some()),
            ("billable", self.billable.is_some()),
            ("review", self.review.is_some()),
        ];
        for (name, set) in named {
            if set {
                fields.push(name);
            }
        }
        fields
    }
}
