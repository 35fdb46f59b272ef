//! Users by id, and a retailer's figures summed across campaigns.

use super::{InWindow, Reader, per_window};
use crate::analytics::breakdown::{self, GroupFigures, Of, Rows};
use crate::error::AppError;
use crate::services;
use async_graphql::dataloader::Loader;
use entity::users;
use std::collections::HashMap;
use uuid::Uuid;

/// A user by id, within the caller's scope; shared with the requests of the same scope that
/// ask at the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserById(pub Uuid);

/// A retailer's figures summed across every campaign, with the campaigns they have activity
/// in (a retailer's scope reads only their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetailerTotalsOf(pub Uuid);

impl Loader<UserById> for Reader {
    type Value = users::Model;
    type Error = AppError;

    async fn load(&self, keys: &[UserById]) -> Result<HashMap<UserById, Self::Value>, AppError> {
        let Reader { db, shared, scope } = self;
        let ids: Vec<_> = keys.iter().map(|k| k.0).collect();
        let rows = shared
            .users
            .load(*scope, &ids, |ids| async move {
                let rows = services::users::find_users(db, *scope, ids).await?;
                Ok(rows.into_iter().map(|u| (u.id, u)).collect())
            })
            .await?;
        Ok(rows.into_iter().map(|(id, u)| (UserById(id), u)).collect())
    }
}

impl Loader<InWindow<RetailerTotalsOf>> for Reader {
    type Value = GroupFigures;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[InWindow<RetailerTotalsOf>],
    ) -> Result<HashMap<InWindow<RetailerTotalsOf>, GroupFigures>, AppError> {
        let rows = Rows::of(self.scope);
        per_window(
            keys,
            |k| k.0,
            RetailerTotalsOf,
            |window, ids| async move {
                let by = breakdown::by_retailer(&self.db, rows, window, Of::Retailers(&ids)).await?;
                Ok(breakdown::group(breakdown::rows(&by), |retailer| Some(*retailer)))
            },
        )
        .await
    }
}
