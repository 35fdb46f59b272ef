//! `trackingLinks`: a send's signed open pixel and click links, for the brand's own email
//! templates (first-party tracking, `ingest::tracking`).

use crate::error::AppError;
use crate::ingest::{Tracking, tracking};
use crate::services::sends;
use async_graphql::{Context, Object, Result, SimpleObject};
use std::sync::Arc;
use uuid::Uuid;

/// Most destinations one call signs.
const MAX_DESTINATIONS: usize = 100;

/// A send's tracking links. Each hit is recorded as the send's event: an open (a machine
/// open when Apple's proxy fetched the pixel), a click (a machine open when a link scanner
/// followed the link); the same hit again counts once.
#[derive(SimpleObject)]
pub struct TrackingLinks {
    /// The send the links are for.
    pub send_id: Uuid,
    /// The open pixel, a 1×1 transparent GIF: `<img src="…" width="1" height="1" alt="">`
    /// in the message's HTML.
    pub pixel_url: String,
    /// One link per destination, in the order given; each redirects (302) to its
    /// destination and to nowhere else.
    pub links: Vec<TrackedLink>,
}

/// A click link and where it leads.
#[derive(SimpleObject)]
pub struct TrackedLink {
    /// The destination, as given.
    pub destination: String,
    /// The link to put in the message in its place.
    pub url: String,
}

#[derive(Default)]
pub struct TrackingMutation;

#[Object]
impl TrackingMutation {
    /// The signed open pixel and click links of a send. The links name the send and their
    /// destination and are signed with the server's tracking key (`TRACKING_KEY`), so they
    /// cannot be altered to record another send or to redirect elsewhere; nothing is
    /// stored to make them. Brand users and administrators.
    async fn tracking_links(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The send (its id, as `registerSends` returned it).")] send_id: Uuid,
        #[graphql(
            desc = "Absolute http(s) URLs the message links to (at most 100, each at most 2,000 characters).",
            default
        )]
        destinations: Vec<String>,
    ) -> Result<TrackingLinks> {
        let caller = super::caller(ctx)?;
        caller.require_brand()?;
        if destinations.len() > MAX_DESTINATIONS {
            return Err(AppError::invalid("destinations", format!("at most {MAX_DESTINATIONS} destinations")).into());
        }
        for (i, d) in destinations.iter().enumerate() {
            tracking::destination(d).map_err(|e| AppError::invalid(&format!("destinations[{i}]"), e))?;
        }
        let send = sends::find_sends(super::db(ctx), caller.scope(), [send_id]).await.map_err(AppError::from)?;
        let send = send.into_iter().next().ok_or_else(|| AppError::NotFound(format!("send {send_id}")))?;
        let tracking = ctx.data_opt::<Arc<Tracking>>();
        let Some((pixel_url, urls)) = tracking.and_then(|t| t.links(send.id, send.sent_at, &destinations)) else {
            let off = "first-party tracking is off on this server: set TRACKING_KEY (and PUBLIC_URL)";
            return Err(AppError::InvalidInput(off.into()).into());
        };
        let links =
            destinations.into_iter().zip(urls).map(|(destination, url)| TrackedLink { destination, url }).collect();
        Ok(TrackingLinks { send_id, pixel_url, links })
    }
}
