use sea_orm::entity::prelude::*;

/// `email_campaigns`: one email (subject, content, sender) of a campaign.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub subject: String,
    pub content: Option<String>,
    pub sender_email: String,
    pub sender_name: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub total_recipients: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::campaigns::Entity",
        from = "Column::CampaignId",
        to = "super::campaigns::Column::Id",
        on_delete = "Cascade"
    )]
    Campaign,
    #[sea_orm(has_many = "super::email_sends::Entity")]
    EmailSends,
}

impl Related<super::campaigns::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl Related<super::email_sends::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EmailSends.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
