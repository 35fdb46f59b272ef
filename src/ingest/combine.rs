//! Group commit: the batches of one kind that arrive while a transaction applies them wait,
//! and the next transaction applies all of them together (up to `MAX_BATCH` items).
//!
//! Concurrent batches in separate transactions wait on each other anyway: each holds the rows
//! it touched (event log keys, sends, rollup counters) until it commits, and the next batch
//! that touches one of them waits that long (measured: 8 webhook senders stored fewer events
//! per second than one, with a p99 of 10 s). One transaction at a time per kind and process
//! does the same work without the waits, in fewer and larger statements, and a send that
//! several batches name is written once.
//!
//! The outcome of each batch is what it would be alone, applied in arrival order: the
//! combined batch keeps the arrival order, and a repeat of an item in an earlier batch is a
//! duplicate exactly as a repeat within one batch is. If the combined transaction fails,
//! each batch is applied again alone, so that one batch's failure is not its neighbours'.
//! The work runs on a task of its own: a caller that goes away does not cut it short.

use super::{MAX_BATCH, Received, Report};
use crate::error::AppError;
use crate::metrics::Metrics;
use sea_orm::{DatabaseConnection, DbErr};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

/// An item kind with its apply path.
pub trait Apply: Clone + Send + Sync + 'static {
    fn apply(
        db: &DatabaseConnection,
        batch: Vec<Received<Self>>,
    ) -> impl Future<Output = Result<Report, AppError>> + Send;
}

type Reply = oneshot::Sender<Result<Report, AppError>>;

/// Batches of one kind waiting for their turn; the task that applies them starts with the
/// first batch.
pub struct Combiner<T> {
    db: DatabaseConnection,
    queue: OnceLock<mpsc::UnboundedSender<(Vec<Received<T>>, Reply)>>,
    metrics: Option<Arc<Metrics>>,
}

impl<T: Apply> Combiner<T> {
    pub fn new(db: DatabaseConnection, metrics: Option<Arc<Metrics>>) -> Self {
        Combiner { db, queue: OnceLock::new(), metrics }
    }

    /// Applies `batch`, together with the batches that wait at the same time.
    pub async fn apply(&self, batch: Vec<Received<T>>) -> Result<Report, AppError> {
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(run(self.db.clone(), receiver));
            sender
        });
        let (reply, answer) = oneshot::channel();
        let stopped = || AppError::Database(Arc::new(DbErr::Custom("the ingestion task stopped".into())));
        // The batch's sources as runs (one run for a provider's batch), for the metrics.
        let mut sources: Vec<(String, usize)> = Vec::new();
        if self.metrics.is_some() {
            for item in &batch {
                match sources.last_mut() {
                    Some((source, n)) if *source == item.source => *n += 1,
                    _ => sources.push((item.source.clone(), 1)),
                }
            }
        }
        let started = std::time::Instant::now();
        queue.send((batch, reply)).map_err(|_| stopped())?;
        let report = answer.await.map_err(|_| stopped())??;
        if let Some(metrics) = &self.metrics {
            metrics.ingest_batch(started.elapsed().as_secs_f64());
            let each = sources.iter().flat_map(|(source, n)| std::iter::repeat_n(source.as_str(), *n));
            for (source, outcome) in each.zip(&report.outcomes) {
                metrics.ingested(source, outcome);
            }
        }
        Ok(report)
    }
}

/// Takes what waits (one batch at least, `MAX_BATCH` items at most unless one batch alone is
/// more) and applies it, until every sender is gone.
async fn run<T: Apply>(db: DatabaseConnection, mut queue: mpsc::UnboundedReceiver<(Vec<Received<T>>, Reply)>) {
    let mut held = None;
    loop {
        let first = match held.take() {
            Some(job) => job,
            None => match queue.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        let mut group = vec![first];
        let mut items = group[0].0.len();
        while let Ok(next) = queue.try_recv() {
            if items + next.0.len() > MAX_BATCH {
                held = Some(next);
                break;
            }
            items += next.0.len();
            group.push(next);
        }
        apply_group(&db, group).await;
    }
}

async fn apply_group<T: Apply>(db: &DatabaseConnection, mut group: Vec<(Vec<Received<T>>, Reply)>) {
    if group.len() == 1 {
        let (batch, reply) = group.remove(0);
        let _ = reply.send(T::apply(db, batch).await);
        return;
    }
    let combined: Vec<Received<T>> = group.iter().flat_map(|(batch, _)| batch.iter().cloned()).collect();
    match T::apply(db, combined).await {
        Ok(report) => {
            // The campaigns that moved go to the first batch's caller, who announces them once.
            let mut campaigns = Some(report.campaigns);
            let mut outcomes = report.outcomes.into_iter();
            for (batch, reply) in group {
                let part = Report {
                    outcomes: outcomes.by_ref().take(batch.len()).collect(),
                    campaigns: campaigns.take().unwrap_or_default(),
                };
                let _ = reply.send(Ok(part));
            }
        }
        Err(e) => {
            tracing::warn!(error = ?e, batches = group.len(), "a combined batch failed; applying each alone");
            for (batch, reply) in group {
                let _ = reply.send(T::apply(db, batch).await);
            }
        }
    }
}

/// The combiners of the three kinds, shared by the webhooks and the record mutations.
#[derive(Clone)]
pub struct Appliers {
    pub email_events: Arc<Combiner<super::send_state::EmailEvent>>,
    pub conversions: Arc<Combiner<super::conversions::Conversion>>,
    pub orders: Arc<Combiner<super::orders::Order>>,
}

impl Appliers {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self::with(db, None)
    }

    /// Apply paths that count what they decide into `metrics`.
    pub fn measured(db: &DatabaseConnection, metrics: Arc<Metrics>) -> Self {
        Self::with(db, Some(metrics))
    }

    fn with(db: &DatabaseConnection, metrics: Option<Arc<Metrics>>) -> Self {
        Appliers {
            email_events: Arc::new(Combiner::new(db.clone(), metrics.clone())),
            conversions: Arc::new(Combiner::new(db.clone(), metrics.clone())),
            orders: Arc::new(Combiner::new(db.clone(), metrics)),
        }
    }
}

impl Apply for super::send_state::EmailEvent {
    fn apply(
        db: &DatabaseConnection,
        batch: Vec<Received<Self>>,
    ) -> impl Future<Output = Result<Report, AppError>> + Send {
        super::email_events::apply(db, batch)
    }
}

impl Apply for super::conversions::Conversion {
    fn apply(
        db: &DatabaseConnection,
        batch: Vec<Received<Self>>,
    ) -> impl Future<Output = Result<Report, AppError>> + Send {
        super::conversions::apply(db, batch)
    }
}

impl Apply for super::orders::Order {
    fn apply(
        db: &DatabaseConnection,
        batch: Vec<Received<Self>>,
    ) -> impl Future<Output = Result<Report, AppError>> + Send {
        super::orders::apply(db, batch)
    }
}
