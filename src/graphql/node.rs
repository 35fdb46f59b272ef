//! Relay's object identification: the `Node` interface, global ids, and `node`/`nodes`.
//! The API contract keeps every type's `id` a `UUID`, so the global id is a field of its own,
//! `nodeId` (relay-compiler: `schemaConfig.nodeInterfaceIdField = "nodeId"`). A global id is
//! the type's name and the row's UUID, base64url-encoded: opaque to clients, and it says which
//! loader finds the row, with the same visibility as every other way to it.

use super::commerce::{CrmConversion, EcommerceOrder};
use super::email::{EmailCampaign, EmailSend};
use super::user::{PageRetailers, User};
use super::{Campaign, db, loaders, scope};
use crate::error::{AppError, db_error};
use crate::loaders::{CampaignById, EmailCampaignById, SendById, UserById};
use crate::services::conversions::ConversionListing;
use crate::services::listing::{Listing, ModelOf};
use crate::services::orders::OrderListing;
use async_graphql::{Context, ID, Interface, Object, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ColumnTrait, QueryFilter};
use std::collections::HashMap;
use uuid::Uuid;

/// Most ids one `nodes` call may ask for.
pub const MAX_NODES: usize = 100;

/// An object with a global id (Relay's object identification): refetch any of them with
/// `node(id:)`.
#[derive(Interface)]
#[graphql(field(
    name = "node_id",
    ty = "ID",
    desc = "The object's global id: opaque, unique across types, and what `node(id:)` takes."
))]
pub enum Node {
    Campaign(Campaign),
    EmailCampaign(EmailCampaign),
    EmailSend(EmailSend),
    User(User),
    CrmConversion(CrmConversion),
    EcommerceOrder(EcommerceOrder),
}

/// The types that are nodes, as global ids name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Campaign,
    EmailCampaign,
    EmailSend,
    User,
    CrmConversion,
    EcommerceOrder,
}

const KINDS: [Kind; 6] =
    [Kind::Campaign, Kind::EmailCampaign, Kind::EmailSend, Kind::User, Kind::CrmConversion, Kind::EcommerceOrder];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Campaign => "Campaign",
            Kind::EmailCampaign => "EmailCampaign",
            Kind::EmailSend => "EmailSend",
            Kind::User => "User",
            Kind::CrmConversion => "CrmConversion",
            Kind::EcommerceOrder => "EcommerceOrder",
        }
    }
}

/// The global id of row `id` of type `kind`.
pub fn global_id(kind: Kind, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// The type and row a global id names, or an error naming the id.
fn decode(id: &str) -> Result<(Kind, Uuid), AppError> {
    let bad = || AppError::invalid("id", format!("{id:?} is not a global id of this API (a `nodeId`)"));
    let text = URL_SAFE_NO_PAD.decode(id.trim()).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
    let (name, row) = text.split_once(':').ok_or_else(bad)?;
    let kind = KINDS.into_iter().find(|k| k.name() == name).ok_or_else(bad)?;
    Ok((kind, Uuid::parse_str(row).map_err(|_| bad())?))
}

/// `node` and `nodes` at the root.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id (`nodeId`); null when there is none or the caller may not
    /// see it.
    async fn node(&self, ctx: &Context<'_>, #[graphql(desc = "A `nodeId`.")] id: ID) -> Result<Option<Node>> {
        Ok(find(ctx, &[id]).await?.pop().flatten())
    }

    /// Objects by their global ids, in the order given (at most 100); null for each there is
    /// none of or the caller may not see.
    #[graphql(complexity = "ids.len().saturating_mul(child_complexity.max(1)) + 1")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`nodeId`s, at most 100.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            let message = format!("{} ids; the limit is {MAX_NODES}", ids.len());
            return Err(AppError::invalid("ids", message).into());
        }
        find(ctx, &ids).await
    }
}

/// The objects `ids` name, each type read in one batch through its loader (conversions and
/// orders: one statement each, within the caller's scope).
async fn find(ctx: &Context<'_>, ids: &[ID]) -> Result<Vec<Option<Node>>> {
    let decoded: Vec<(Kind, Uuid)> = ids.iter().map(|id| decode(id)).collect::<Result<_, _>>()?;
    let of = |kind: Kind| decoded.iter().filter(move |(k, _)| *k == kind).map(|(_, id)| *id);
    let loaders = loaders(ctx)?;
    let mut found: HashMap<(Kind, Uuid), Node> = HashMap::new();
    for (id, c) in loaders.load_many(of(Kind::Campaign).map(CampaignById)).await? {
        found.insert((Kind::Campaign, id.0), Node::Campaign(Campaign(c)));
    }
    let emails = loaders.load_many(of(Kind::EmailCampaign).map(EmailCampaignById));
    for (id, e) in emails.await? {
        found.insert((Kind::EmailCampaign, id.0), Node::EmailCampaign(EmailCampaign(e)));
    }
    for (id, s) in loaders.load_many(of(Kind::EmailSend).map(SendById)).await? {
        found.insert((Kind::EmailSend, id.0), Node::EmailSend(EmailSend(s, PageRetailers::default())));
    }
    for (id, u) in loaders.load_many(of(Kind::User).map(UserById)).await? {
        found.insert((Kind::User, id.0), Node::User(User(u)));
    }
    for row in visible::<ConversionListing>(ctx, of(Kind::CrmConversion).collect()).await? {
        found.insert((Kind::CrmConversion, row.id), Node::CrmConversion(CrmConversion(row, Default::default())));
    }
    for row in visible::<OrderListing>(ctx, of(Kind::EcommerceOrder).collect()).await? {
        found.insert((Kind::EcommerceOrder, row.id), Node::EcommerceOrder(EcommerceOrder(row, Default::default())));
    }
    Ok(decoded.iter().map(|key| found.remove(key)).collect())
}

/// The rows of listing `L` with these ids that the caller may see: one statement (none for
/// no ids).
async fn visible<L: Listing>(ctx: &Context<'_>, ids: Vec<Uuid>) -> Result<Vec<ModelOf<L>>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let select = L::select(scope(ctx)?, &Default::default()).filter(L::id_column().is_in(ids));
    select.all(db(ctx)).await.map_err(db_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_refuse_anything_else() {
        let id = Uuid::new_v4();
        for kind in KINDS {
            assert_eq!(decode(&global_id(kind, id)).unwrap(), (kind, id));
        }
        for bad in ["", "!!", "Q2FtcGFpZ24", &URL_SAFE_NO_PAD.encode(format!("Nope:{id}"))] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
