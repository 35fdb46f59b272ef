use crate::Money;
use crate::enums::CampaignStatus;
use sea_orm::entity::prelude::*;

/// `campaigns`: master campaign records with budget and lifecycle.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub status: CampaignStatus,
    pub start_date: Option<DateTimeUtc>,
    pub end_date: Option<DateTimeUtc>,
    pub budget_allocated: Option<Money>,
    pub budget_spent: Money,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The `utm_campaign` value that attributes shop orders to this campaign (unique).
    pub utm_code: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::users::Entity", from = "Column::CreatedBy", to = "super::users::Column::Id")]
    Creator,
    #[sea_orm(has_many = "super::email_campaigns::Entity")]
    EmailCampaigns,
    #[sea_orm(has_many = "super::crm_conversions::Entity")]
    CrmConversions,
    #[sea_orm(has_many = "super::ecommerce_orders::Entity")]
    EcommerceOrders,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Creator.def()
    }
}

impl Related<super::email_campaigns::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EmailCampaigns.def()
    }
}

impl Related<super::crm_conversions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CrmConversions.def()
    }
}

impl Related<super::ecommerce_orders::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EcommerceOrders.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
