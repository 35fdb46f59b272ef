//! Subscriptions (graphql-ws over WebSocket at `/graphql/ws`): figures pushed as they move.

use super::performance::CampaignPerformance;
use crate::analytics::{Window, totals};
use crate::auth::{Scope, Session};
use crate::error::AppError;
use crate::ingest::Changes;
use crate::loaders::Sources;
use crate::services::campaigns::find_campaigns;
use crate::services::visibility::spend_for;
use async_graphql::{Context, Result, Subscription};
use futures_util::Stream;
use sea_orm::DatabaseConnection;
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use uuid::Uuid;

/// How long a burst of changes is gathered before the figures are read again.
pub const COALESCE: Duration = Duration::from_millis(250);

#[derive(Default)]
pub struct SubscriptionRoot;

/// Figures pushed as they move, over graphql-ws (WebSocket at `/graphql/ws`).
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// The campaign's performance now, then again each time it changes (email events,
    /// conversions, orders, spend), within a second of the change; a burst of changes
    /// gives one update. `NOT_FOUND` when the campaign is absent or not visible to the caller.
    async fn campaign_performance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign to follow.")] campaign_id: Uuid,
    ) -> Result<impl Stream<Item = Result<CampaignPerformance>> + use<>> {
        // Over a WebSocket, the credentials as of now (not as of `connection_init`), and one of
        // the connection's and the user's subscriptions, held while the stream lives.
        let session = ctx.data_opt::<Session>().cloned();
        let (caller, held) = match &session {
            Some(s) => (s.caller().await?, Some(s.subscribe()?)),
            None => (super::caller(ctx)?.clone(), None),
        };
        let (scope, writer) = (caller.scope(), Some(caller.user.id));
        // Reads go to a replica that has the caller's own writes and every change announced.
        let sources = ctx.data_unchecked::<Sources>().clone();
        let changes = ctx.data_unchecked::<Changes>().clone();
        // Subscribe before the first read, so no change between the two is missed.
        let mut news = changes.subscribe();
        let first = sources.read(sources.replicas.written_by(writer), |db| figures(db, scope, campaign_id)).await?;
        Ok(async_stream::stream! {
            let _held = held;
            let mut last = first.clone();
            yield Ok(first);
            loop {
                // Wait for news of this campaign (a lagging receiver may have missed it).
                loop {
                    match news.recv().await {
                        Ok(id) if id == campaign_id || id == crate::ingest::changes::ANY => break,
                        Ok(_) => continue,
                        Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => return,
                    }
                }
                tokio::time::sleep(COALESCE).await;
                while !matches!(news.try_recv(), Err(TryRecvError::Empty | TryRecvError::Closed)) {}
                // Each push as the caller may see it now: a demoted user gets their new scope's
                // figures (or none), a lapsed token or deactivated user ends the stream.
                let scope = match &session {
                    Some(s) => match s.caller().await {
                        Ok(caller) => caller.scope(),
                        Err(e) => {
                            yield Err(e.into());
                            return;
                        }
                    },
                    None => scope,
                };
                let seen = changes.announced().max(sources.replicas.written_by(writer));
                match sources.read(seen, |db| figures(db, scope, campaign_id)).await {
                    Ok(now) if now != last => {
                        last = now.clone();
                        yield Ok(now);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        yield Err(e.into());
                        return;
                    }
                }
            }
        })
    }
}

async fn figures(db: DatabaseConnection, scope: Scope, id: Uuid) -> Result<CampaignPerformance, AppError> {
    let campaign = find_campaigns(&db, scope, [id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::NotFound(format!("campaign {id}")))?;
    let totals = totals::campaign_totals(&db, scope, Window::ALL, &[id]).await?;
    let t = totals.get(&id).copied().unwrap_or_default();
    Ok(CampaignPerformance::compute(&t.email, &t.revenue, spend_for(scope, &campaign)))
}
