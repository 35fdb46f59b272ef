//! Batches that concurrent requests share: a dataloader across requests, for reads that many
//! callers make at once (a busy dashboard's campaign summary).
//!
//! Requests of one group (the callers' scope) that ask while a statement of that group runs
//! join the next batch instead of each sending their own; it starts when the running one ends
//! and carries all their keys in one statement. Nothing is remembered: a batch is joined only
//! before its statement starts, so every answer is read after the request asked, and sees
//! every write committed before then. If the request leading a batch goes away (a timeout, a
//! closed connection), the requests that joined it load again.

use super::LoadError;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;
use uuid::Uuid;

/// The most keys one shared batch carries; a request that would pass it runs its own.
pub const MAX_SHARED_KEYS: usize = 500;

/// What a batch found: values by key, or the error every request of the batch gets.
type Outcome<V> = Option<Result<Arc<HashMap<Uuid, V>>, LoadError>>;

/// A batch that has not started: its keys so far, and the signal of its end.
struct Open<V> {
    id: u64,
    keys: Vec<Uuid>,
    done: watch::Receiver<Outcome<V>>,
}

/// One group's batches: the one running, if any, and the one its end starts.
struct Group<V> {
    running: Option<(u64, watch::Receiver<Outcome<V>>)>,
    open: Option<Open<V>>,
}

impl<V> Default for Group<V> {
    fn default() -> Self {
        Group { running: None, open: None }
    }
}

/// Shared batches of reads by key, per group (see the module's documentation).
pub struct SharedBatches<G, V> {
    groups: Mutex<HashMap<G, Group<V>>>,
    next_id: AtomicU64,
}

impl<G, V> Default for SharedBatches<G, V> {
    fn default() -> Self {
        SharedBatches { groups: Mutex::new(HashMap::new()), next_id: AtomicU64::new(0) }
    }
}

/// What a request does with its keys.
enum Role<V> {
    /// Wait for the open batch it joined.
    Join(watch::Receiver<Outcome<V>>),
    /// Lead a batch of its own: at once, or (`after`) when the running one ends.
    Lead { id: u64, done: watch::Sender<Outcome<V>>, after: Option<watch::Receiver<Outcome<V>>> },
}

impl<G: Hash + Eq + Clone, V: Clone> SharedBatches<G, V> {
    /// The values of `keys` in `group`, read by `run` in a batch shared with the requests of
    /// the group that ask at the same time (`run` gets the keys of all of them).
    pub async fn load<F, Fut>(&self, group: G, keys: &[Uuid], run: F) -> Result<HashMap<Uuid, V>, LoadError>
    where
        F: Fn(Vec<Uuid>) -> Fut,
        Fut: Future<Output = Result<HashMap<Uuid, V>, LoadError>>,
    {
        loop {
            let role = self.role(&group, keys);
            let found = match role {
                Role::Join(mut done) => match done.wait_for(Option::is_some).await.as_deref() {
                    Ok(Some(outcome)) => outcome.clone(),
                    // Its leader went away before the end: ask again.
                    _ => continue,
                },
                Role::Lead { id, done, after } => {
                    let lead = Lead { batches: self, group: group.clone(), id, done };
                    if let Some(mut running) = after {
                        // Ended or gone, the running batch no longer holds the group up.
                        let _ = running.wait_for(Option::is_some).await;
                    }
                    let all = self.start(&group, id, keys);
                    let outcome = run(all).await.map(Arc::new);
                    lead.finish(outcome.clone());
                    outcome
                }
            };
            let found = found?;
            return Ok(keys.iter().filter_map(|k| found.get(k).map(|v| (*k, v.clone()))).collect());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<G, Group<V>>> {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Joins the group's open batch, or opens one after the running batch, or runs now.
    fn role(&self, group: &G, keys: &[Uuid]) -> Role<V> {
        let mut groups = self.lock();
        let g = groups.entry(group.clone()).or_default();
        if let Some(open) = g.open.as_mut()
            && open.keys.len() + keys.len() <= MAX_SHARED_KEYS
        {
            open.keys.extend_from_slice(keys);
            return Role::Join(open.done.clone());
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (done, signal) = watch::channel(None);
        match (&g.running, &g.open) {
            (Some((_, running)), None) => {
                let after = Some(running.clone());
                g.open = Some(Open { id, keys: keys.to_vec(), done: signal });
                Role::Lead { id, done, after }
            }
            (None, _) => {
                g.running = Some((id, signal));
                Role::Lead { id, done, after: None }
            }
            // A full open batch: this request reads on its own, beside the group's batches.
            (Some(_), Some(_)) => Role::Lead { id, done, after: None },
        }
    }

    /// Starts batch `id`: no request joins it from now on. Its keys, each once.
    fn start(&self, group: &G, id: u64, own: &[Uuid]) -> Vec<Uuid> {
        let mut groups = self.lock();
        let Some(g) = groups.get_mut(group) else { return own.to_vec() };
        let mut keys = match g.open.take_if(|open| open.id == id) {
            Some(open) => {
                g.running = Some((id, open.done));
                open.keys
            }
            None => own.to_vec(),
        };
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// The request leading batch `id`. Dropped before `finish` (the request went away), it
/// closes its signal, so the requests that joined load again, and frees the group.
struct Lead<'a, G: Hash + Eq, V> {
    batches: &'a SharedBatches<G, V>,
    group: G,
    id: u64,
    done: watch::Sender<Outcome<V>>,
}

impl<G: Hash + Eq, V> Lead<'_, G, V> {
    fn finish(self, outcome: Result<Arc<HashMap<Uuid, V>>, LoadError>) {
        self.done.send_replace(Some(outcome));
    }
}

impl<G: Hash + Eq, V> Drop for Lead<'_, G, V> {
    fn drop(&mut self) {
        let mut groups = self.batches.groups.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(g) = groups.get_mut(&self.group) {
            if g.running.as_ref().is_some_and(|(id, _)| *id == self.id) {
                g.running = None;
            }
            if g.open.as_ref().is_some_and(|open| open.id == self.id) {
                g.open = None;
            }
            if g.running.is_none() && g.open.is_none() {
                groups.remove(&self.group);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;
    use std::sync::atomic::AtomicUsize;
    use tokio::sync::Notify;

    /// A read that counts its runs, records each run's keys, answers each key with the
    /// value of `version` when the run started, and holds until `gate` opens (if set).
    #[derive(Default)]
    struct Reads {
        runs: AtomicUsize,
        keys: Mutex<Vec<Vec<Uuid>>>,
        version: AtomicU64,
        gate: Option<Arc<Notify>>,
        fail: bool,
    }

    impl Reads {
        async fn run(&self, keys: Vec<Uuid>) -> Result<HashMap<Uuid, u64>, LoadError> {
            self.runs.fetch_add(1, Ordering::SeqCst);
            let version = self.version.load(Ordering::SeqCst);
            self.keys.lock().unwrap().push(keys.clone());
            if let Some(gate) = &self.gate {
                gate.notified().await;
            }
            if self.fail {
                return Err(Arc::new(AppError::Conflict("the read failed".into())));
            }
            Ok(keys.into_iter().map(|k| (k, version)).collect())
        }
    }

    fn ids(n: u128) -> Vec<Uuid> {
        (1..=n).map(Uuid::from_u128).collect()
    }

    /// Lets spawned tasks run until they wait.
    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn requests_asking_while_a_batch_runs_share_the_next_one() {
        let gate = Arc::new(Notify::new());
        let reads = Arc::new(Reads { gate: Some(gate.clone()), ..Reads::default() });
        let batches = Arc::new(SharedBatches::<u8, u64>::default());
        let keys = ids(6);
        let mut tasks = Vec::new();
        for k in &keys {
            let (reads, batches, k) = (reads.clone(), batches.clone(), *k);
            tasks.push(tokio::spawn(async move { batches.load(0, &[k], |ks| reads.run(ks)).await }));
            settle().await;
        }
        // The first runs alone; the five that asked meanwhile wait for one batch together.
        assert_eq!(reads.runs.load(Ordering::SeqCst), 1);
        gate.notify_one();
        settle().await;
        assert_eq!(reads.runs.load(Ordering::SeqCst), 2);
        gate.notify_one();
        for (task, k) in tasks.into_iter().zip(&keys) {
            let got = task.await.unwrap().unwrap();
            assert_eq!(got.keys().copied().collect::<Vec<_>>(), vec![*k], "each request gets its own keys");
        }
        let runs = reads.keys.lock().unwrap().clone();
        assert_eq!(runs, vec![keys[..1].to_vec(), keys[1..].to_vec()]);
        assert!(batches.lock().is_empty(), "an idle group is forgotten");
    }

    #[tokio::test]
    async fn a_request_never_gets_a_read_that_started_before_it_asked() {
        let gate = Arc::new(Notify::new());
        let reads = Arc::new(Reads { gate: Some(gate.clone()), ..Reads::default() });
        let batches = Arc::new(SharedBatches::<u8, u64>::default());
        let key = Uuid::from_u128(7);
        let (r, b) = (reads.clone(), batches.clone());
        let first = tokio::spawn(async move { b.load(0, &[key], |ks| r.run(ks)).await });
        settle().await;
        // A write lands while the first read runs; a request for the same key asks after it.
        reads.version.store(1, Ordering::SeqCst);
        let (r, b) = (reads.clone(), batches.clone());
        let second = tokio::spawn(async move { b.load(0, &[key], |ks| r.run(ks)).await });
        settle().await;
        gate.notify_one();
        assert_eq!(first.await.unwrap().unwrap()[&key], 0);
        settle().await;
        gate.notify_one();
        assert_eq!(second.await.unwrap().unwrap()[&key], 1, "the second request sees the write");
        assert_eq!(reads.runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn groups_do_not_share_batches() {
        let gate = Arc::new(Notify::new());
        let reads = Arc::new(Reads { gate: Some(gate.clone()), ..Reads::default() });
        let batches = Arc::new(SharedBatches::<u8, u64>::default());
        let mut tasks = Vec::new();
        for group in [1u8, 2, 3] {
            let (r, b) = (reads.clone(), batches.clone());
            tasks.push(tokio::spawn(async move { b.load(group, &ids(1), |ks| r.run(ks)).await }));
            settle().await;
        }
        assert_eq!(reads.runs.load(Ordering::SeqCst), 3, "each group runs at once");
        for _ in 0..3 {
            gate.notify_one();
            settle().await;
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    }

    #[tokio::test]
    async fn when_the_leader_goes_away_the_requests_that_joined_load_again() {
        let gate = Arc::new(Notify::new());
        let reads = Arc::new(Reads { gate: Some(gate.clone()), ..Reads::default() });
        let batches = Arc::new(SharedBatches::<u8, u64>::default());
        let keys = ids(3);
        let (r, b) = (reads.clone(), batches.clone());
        let first = tokio::spawn(async move { b.load(0, &ids(1), |ks| r.run(ks)).await });
        settle().await;
        // The second leads the next batch, the third joins it; then the second goes away.
        let (r, b, k) = (reads.clone(), batches.clone(), keys[1]);
        let second = tokio::spawn(async move { b.load(0, &[k], |ks| r.run(ks)).await });
        settle().await;
        let (r, b, k) = (reads.clone(), batches.clone(), keys[2]);
        let third = tokio::spawn(async move { b.load(0, &[k], |ks| r.run(ks)).await });
        settle().await;
        second.abort();
        settle().await;
        gate.notify_one();
        first.await.unwrap().unwrap();
        settle().await;
        gate.notify_one();
        let got = third.await.unwrap().unwrap();
        assert_eq!(got.keys().copied().collect::<Vec<_>>(), vec![keys[2]]);
        assert!(batches.lock().is_empty());
    }

    #[tokio::test]
    async fn an_error_reaches_every_request_of_the_batch() {
        let gate = Arc::new(Notify::new());
        let reads = Arc::new(Reads { gate: Some(gate.clone()), fail: true, ..Reads::default() });
        let batches = Arc::new(SharedBatches::<u8, u64>::default());
        let mut tasks = Vec::new();
        for k in ids(3) {
            let (r, b) = (reads.clone(), batches.clone());
            tasks.push(tokio::spawn(async move { b.load(0, &[k], |ks| r.run(ks)).await }));
            settle().await;
        }
        gate.notify_one();
        settle().await;
        gate.notify_one();
        for task in tasks {
            assert!(task.await.unwrap().is_err());
        }
        assert_eq!(reads.runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_full_open_batch_lets_a_big_request_read_on_its_own() {
        let gate = Arc::new(Notify::new());
        let reads = Arc::new(Reads { gate: Some(gate.clone()), ..Reads::default() });
        let batches = Arc::new(SharedBatches::<u8, u64>::default());
        let big: Vec<Uuid> = (0..MAX_SHARED_KEYS as u128).map(|i| Uuid::from_u128(1000 + i)).collect();
        let mut tasks = Vec::new();
        for keys in [ids(1), ids(2), big.clone()] {
            let (r, b) = (reads.clone(), batches.clone());
            tasks.push(tokio::spawn(async move { b.load(0, &keys, |ks| r.run(ks)).await }));
            settle().await;
        }
        // One running, one open with two keys, and the big request on its own.
        assert_eq!(reads.runs.load(Ordering::SeqCst), 2);
        for _ in 0..3 {
            gate.notify_one();
            settle().await;
        }
        let got: Vec<_> = futures_collect(tasks).await;
        assert_eq!(got[2].len(), MAX_SHARED_KEYS);
    }

    async fn futures_collect(
        tasks: Vec<tokio::task::JoinHandle<Result<HashMap<Uuid, u64>, LoadError>>>,
    ) -> Vec<HashMap<Uuid, u64>> {
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap().unwrap());
        }
        out
    }
}
