use crate::enums::SendStatus;
use sea_orm::entity::prelude::*;

/// `email_sends`: one email to one recipient, with its delivery and engagement times.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_sends")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email_campaign_id: Option<Uuid>,
    pub retailer_id: Option<Uuid>,
    pub recipient_email: String,
    pub recipient_name: Option<String>,
    pub sent_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
    pub opened_at: Option<DateTimeUtc>,
    pub clicked_at: Option<DateTimeUtc>,
    pub status: SendStatus,
    pub bounce_reason: Option<String>,
    /// The first open that was not a mail client's automatic fetch (Apple Mail Privacy
    /// Protection), or the first click.
    pub human_opened_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::email_campaigns::Entity",
        from = "Column::EmailCampaignId",
        to = "super::email_campaigns::Column::Id",
        on_delete = "Cascade"
    )]
    EmailCampaign,
    #[sea_orm(belongs_to = "super::users::Entity", from = "Column::RetailerId", to = "super::users::Column::Id")]
    Retailer,
    #[sea_orm(has_many = "super::crm_conversions::Entity")]
    CrmConversions,
}

impl Related<super::email_campaigns::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EmailCampaign.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Retailer.def()
    }
}

impl Related<super::crm_conversions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CrmConversions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
