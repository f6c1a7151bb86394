//! The billing office: the one node that issues invoices and credit notes, so that their
//! numbers come from a single sequence and never collide between nodes.

use progmanager_model::User;
use progmanager_model::permissions::Action;
use progmanager_model::schema::{self, FACILITY_DOC};

use super::InvoiceError;
use crate::error::AppError;
use crate::node::Node;
use crate::ops;

/// The node that issues invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    /// Hex node ID.
    pub node_id: String,
    /// Member name of the node, empty when the node is not a member.
    pub name: String,
    /// Whether an admin chose the node; otherwise it is the node that created the facility.
    pub chosen: bool,
}

/// The billing office of the facility.
pub fn current(node: &Node) -> Result<Office, AppError> {
    let doc = node.facility_doc()?;
    let node_id = schema::billing_office(doc)?.ok_or(InvoiceError::NoBillingOffice)?;
    let name = ops::members(node)?
        .into_iter()
        .find(|member| member.node_id == node_id)
        .map(|member| member.name)
        .unwrap_or_default();
    Ok(Office {
        node_id,
        name,
        chosen: schema::billing_office_is_set(doc)?,
    })
}

/// Fails unless this node is the billing office.
pub fn require_this_node(node: &Node) -> Result<(), AppError> {
    let office = current(node)?;
    if office.node_id == node.node_id.to_string() {
        return Ok(());
    }
    Err(InvoiceError::NotBillingOffice {
        office: office.node_id,
        name: office.name,
    }
    .into())
}

/// Makes member `node_id` the billing office.
///
/// NOTE: the new office continues the numbering from the invoices it holds, so an admin
/// should move the office only once it has synced with the previous one; otherwise both
/// could give out the same number.
pub fn set(node: &mut Node, admin: &User, node_id: &str) -> Result<Office, AppError> {
    ops::require(admin, Action::EditSettings)?;
    let node_id = node_id.trim().to_ascii_lowercase();
    let member = ops::members(node)?
        .into_iter()
        .find(|member| member.node_id == node_id)
        .ok_or_else(|| AppError::UnknownMember {
            id: node_id.clone(),
        })?;
    if member.removed {
        return Err(InvoiceError::RemovedNode { id: node_id }.into());
    }
    let author = node.author(&admin.login);
    node.store.write(&author, |batch| {
        batch.edit(FACILITY_DOC, |tx| -> Result<(), AppError> {
            Ok(schema::put_billing_office(tx, &member.node_id)?)
        })
    })?;
    node.notify_running_node();
    Ok(Office {
        node_id: member.node_id,
        name: member.name,
        chosen: true,
    })
}
