use crate::enums::EmailEventType;
use sea_orm::entity::prelude::*;

/// `email_events`: the append-only log of what email providers reported, one row per
/// provider event id (a repeat is not stored again).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub provider: String,
    pub provider_event_id: String,
    pub email_send_id: Uuid,
    pub event_type: EmailEventType,
    pub occurred_at: DateTimeUtc,
    /// An open made by the mail client itself (Apple Mail Privacy Protection), not a person.
    pub machine_open: bool,
    /// The bounce reason or the clicked URL.
    pub detail: Option<String>,
    /// The event exactly as the provider sent it (JSON).
    pub payload: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::email_sends::Entity",
        from = "Column::EmailSendId",
        to = "super::email_sends::Column::Id",
        on_delete = "Cascade"
    )]
    EmailSend,
}

impl Related<super::email_sends::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EmailSend.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
