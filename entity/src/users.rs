use crate::enums::{Region, UserType};
use sea_orm::entity::prelude::*;

/// The PostgreSQL channel on which every committed change to `users` is announced (the
/// user's id), installed by the migration `m20251129_000007_create_users_notify`.
pub const CHANGES_CHANNEL: &str = "campaign_performance_users";

/// `users`: retailers, brand users and administrators.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub user_type: UserType,
    pub region: Option<Region>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub is_active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::campaigns::Entity")]
    Campaigns,
    #[sea_orm(has_many = "super::email_sends::Entity")]
    EmailSends,
    #[sea_orm(has_many = "super::crm_conversions::Entity")]
    CrmConversions,
    #[sea_orm(has_many = "super::ecommerce_orders::Entity")]
    EcommerceOrders,
}

impl Related<super::campaigns::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaigns.def()
    }
}

impl Related<super::email_sends::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EmailSends.def()
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
