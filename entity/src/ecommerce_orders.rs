use crate::Money;
use crate::enums::OrderStatus;
use sea_orm::entity::prelude::*;

/// `ecommerce_orders`: an order placed by a retailer, attributed to a campaign.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ecommerce_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub retailer_id: Option<Uuid>,
    pub order_value: Option<Money>,
    pub order_date: DateTimeUtc,
    pub product_count: i32,
    pub order_status: OrderStatus,
    pub attributed_to_email: bool,
    pub created_at: DateTimeUtc,
    /// The shop that reported the order (with `external_id`, unique).
    pub source: Option<String>,
    /// The order's id in `source` (text: shop ids exceed 2^53).
    pub external_id: Option<String>,
    /// The shop's `updated_at` of the version stored: an older version never overwrites it.
    pub source_updated_at: Option<DateTimeUtc>,
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

impl ActiveModelBehavior for ActiveModel {}
