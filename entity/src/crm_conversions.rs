use crate::Money;
use crate::enums::{ConversionType, ProductCategory};
use sea_orm::entity::prelude::*;

/// `crm_conversions`: a sale, lead, signup or demo request recorded by the CRM.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "crm_conversions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub retailer_id: Option<Uuid>,
    pub email_send_id: Option<Uuid>,
    pub conversion_type: Option<ConversionType>,
    pub conversion_value: Option<Money>,
    pub conversion_date: DateTimeUtc,
    pub product_category: Option<ProductCategory>,
    pub created_at: DateTimeUtc,
    /// The system that reported the conversion (with `external_id`, unique).
    pub source: Option<String>,
    /// The conversion's id in `source`: a repeat of it is not stored twice.
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::campaigns::Entity",
        from = "Column::CampaignId",
        to = "super::campaigns::Column::Id"
    )]
    Campaign,
    #[sea_orm(belongs_to = "super::users::Entity", from = "Column::RetailerId", to = "super::users::Column::Id")]
    Retailer,
    #[sea_orm(
        belongs_to = "super::email_sends::Entity",
        from = "Column::EmailSendId",
        to = "super::email_sends::Column::Id"
    )]
    EmailSend,
}

impl Related<super::campaigns::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Retailer.def()
    }
}

impl Related<super::email_sends::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EmailSend.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
