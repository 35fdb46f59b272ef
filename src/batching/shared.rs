//! Batches that concurrent requests share: a dataloader across requests, for reads that many
//! callers make at once (a busy dashboard's campaign summary).
//!
//! Requests of one group (the callers' scope) that ask while a statement of that group runs
//! join the next batch instead of each sending their own; it starts when the running one ends
//! and carries all their keys in one statement. Nothing is remembered: a batch is joined only
//! before its statement starts, so every answer is read after the request asked, and sees
//! every write committed before then. If the request leading a batch goes away (a timeout, a
//! closed connection), the requests that joined it load again.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;
use uuid::Uuid;

/// The most keys one shared batch carries; a request that would pass it runs its own.
pub const MAX_SHARED_KEYS: usize = 500;

/// Loads that joined a batch another request started, in this process (`/metrics`).
pub static JOINS: std::sync::LazyLock<prometheus_client::metrics::counter::Counter> =
    std::sync::LazyLock::new(Default::default);

/// What a batch found: values by key, or the error every request of the batch gets.
type Outcome<K, V, E> = Option<Result<Arc<HashMap<K, V>>, E>>;

/// A batch that has not started: its keys so far, and the signal of its end.
struct Open<K, V, E> {
    id: u64,
    keys: Vec<K>,
    done: watch::Receiver<Outcome<K, V, E>>,
}

/// A batch that started: its id and the signal of its end.
type Running<K, V, E> = (u64, watch::Receiver<Outcome<K, V, E>>);

/// One group's batches: the one running, if any, and the one its end starts.
struct Group<K, V, E> {
    running: Option<Running<K, V, E>>,
    open: Option<Open<K, V, E>>,
}

impl<K, V, E> Default for Group<K, V, E> {
    fn default() -> Self {
        Group { running: None, open: None }
    }
}

/// Shared batches of reads by key (`K`, an id unless said otherwise), per group, whose reads
/// fail with `E` (see the module's documentation).
pub struct SharedBatches<G, V, E, K = Uuid> {
    groups: Mutex<HashMap<G, Group<K, V, E>>>,
    next_id: AtomicU64,
}

impl<G, V, E, K> Default for SharedBatches<G, V, E, K> {
    fn default() -> Self {
        SharedBatches { groups: Mutex::new(HashMap::new()), next_id: AtomicU64::new(0) }
    }
}

/// What a request does with its keys.
enum Role<K, V, E> {
    /// Wait for the open batch it joined.
    Join(watch::Receiver<Outcome<K, V, E>>),
    /// Lead a batch of its own: at once, or (`after`) when the running one ends.
    Lead { id: u64, done: watch::Sender<Outcome<K, V, E>>, after: Option<watch::Receiver<Outcome<K, V, E>>> },
}

impl<G: Hash + Eq + Clone, V: Clone, E: Clone, K: Hash + Ord + Clone> SharedBatches<G, V, E, K> {
    /// The values of `keys` in `group`, read by `run` in a batch shared with the requests of
    /// the group that ask at the same time (`run` gets the keys of all of them).
    pub async fn load<F, Fut>(&self, group: G, keys: &[K], run: F) -> Result<HashMap<K, V>, E>
    where
        F: Fn(Vec<K>) -> Fut,
        Fut: Future<Output = Result<HashMap<K, V>, E>>,
    {
        loop {
            let role = self.role(&group, keys);
            let found = match role {
                Role::Join(mut done) => match done.wait_for(Option::is_some).await.as_deref() {
                    Ok(Some(outcome)) => {
                        JOINS.inc();
                        outcome.clone()
                    }
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
            return Ok(keys.iter().filter_map(|k| found.get(k).map(|v| (k.clone(), v.clone()))).collect());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<G, Group<K, V, E>>> {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Joins the group's open batch, or opens one after the running batch, or runs now.
    fn role(&self, group: &G, keys: &[K]) -> Role<K, V, E> {
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
    fn start(&self, group: &G, id: u64, own: &[K]) -> Vec<K> {
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
struct Lead<'a, G: Hash + Eq, V, E, K> {
    batches: &'a SharedBatches<G, V, E, K>,
    group: G,
    id: u64,
    done: watch::Sender<Outcome<K, V, E>>,
}

impl<G: Hash + Eq, V, E, K> Lead<'_, G, V, E, K> {
    fn finish(self, outcome: Result<Arc<HashMap<K, V>>, E>) {
        self.done.send_replace(Some(outcome));
    }
}

impl<G: Hash + Eq, V, E, K> Drop for Lead<'_, G, V, E, K> {
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
    use std::sync::atomic::AtomicUsize;
    use tokio::sync::Notify;
    use tokio::task::JoinHandle;

    /// A read that counts its runs, records each run's keys, answers each key with the
    /// value of `version` when the run started, and holds until `gate` lets it through.
    #[derive(Default)]
    struct Reads {
        runs: AtomicUsize,
        keys: Mutex<Vec<Vec<Uuid>>>,
        version: AtomicU64,
        gate: Notify,
        fail: bool,
    }

    impl Reads {
        async fn run(&self, keys: Vec<Uuid>) -> Result<HashMap<Uuid, u64>, Failed> {
            self.runs.fetch_add(1, Ordering::SeqCst);
            let version = self.version.load(Ordering::SeqCst);
            self.keys.lock().unwrap().push(keys.clone());
            self.gate.notified().await;
            if self.fail {
                return Err(Failed);
            }
            Ok(keys.into_iter().map(|k| (k, version)).collect())
        }

        fn runs(&self) -> usize {
            self.runs.load(Ordering::SeqCst)
        }
    }

    /// The error of a failing read.
    #[derive(Debug, Clone, PartialEq)]
    struct Failed;

    type Answer = JoinHandle<Result<HashMap<Uuid, u64>, Failed>>;

    /// Shared batches over held reads, and requests made of them.
    #[derive(Default)]
    struct Setup {
        reads: Arc<Reads>,
        batches: Arc<SharedBatches<u8, u64, Failed>>,
    }

    impl Setup {
        fn failing() -> Self {
            Setup { reads: Arc::new(Reads { fail: true, ..Reads::default() }), ..Setup::default() }
        }

        /// A request for `keys` in `group`, as a task of its own, run until it waits.
        async fn ask(&self, group: u8, keys: Vec<Uuid>) -> Answer {
            let (reads, batches) = (self.reads.clone(), self.batches.clone());
            let answer = tokio::spawn(async move { batches.load(group, &keys, |ks| reads.run(ks)).await });
            settle().await;
            answer
        }

        /// Lets one held read finish, and every task run until it waits.
        async fn release(&self) {
            self.reads.gate.notify_one();
            settle().await;
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
        let t = Setup::default();
        let keys = ids(6);
        let mut answers = Vec::new();
        for k in &keys {
            answers.push(t.ask(0, vec![*k]).await);
        }
        // The first runs alone; the five that asked meanwhile wait for one batch together.
        assert_eq!(t.reads.runs(), 1);
        t.release().await;
        assert_eq!(t.reads.runs(), 2);
        t.release().await;
        for (answer, k) in answers.into_iter().zip(&keys) {
            let got = answer.await.unwrap().unwrap();
            assert_eq!(got.keys().copied().collect::<Vec<_>>(), vec![*k], "each request gets its own keys");
        }
        let runs = t.reads.keys.lock().unwrap().clone();
        assert_eq!(runs, vec![keys[..1].to_vec(), keys[1..].to_vec()]);
        assert!(t.batches.lock().is_empty(), "an idle group is forgotten");
    }

    #[tokio::test]
    async fn a_request_never_gets_a_read_that_started_before_it_asked() {
        let t = Setup::default();
        let key = Uuid::from_u128(7);
        let first = t.ask(0, vec![key]).await;
        // A write lands while the first read runs; a request for the same key asks after it.
        t.reads.version.store(1, Ordering::SeqCst);
        let second = t.ask(0, vec![key]).await;
        t.release().await;
        assert_eq!(first.await.unwrap().unwrap()[&key], 0);
        t.release().await;
        assert_eq!(second.await.unwrap().unwrap()[&key], 1, "the second request sees the write");
        assert_eq!(t.reads.runs(), 2);
    }

    #[tokio::test]
    async fn groups_do_not_share_batches() {
        let t = Setup::default();
        let mut answers = Vec::new();
        for group in [1u8, 2, 3] {
            answers.push(t.ask(group, ids(1)).await);
        }
        assert_eq!(t.reads.runs(), 3, "each group runs at once");
        for _ in 0..3 {
            t.release().await;
        }
        for answer in answers {
            answer.await.unwrap().unwrap();
        }
    }

    #[tokio::test]
    async fn when_the_leader_goes_away_the_requests_that_joined_load_again() {
        let t = Setup::default();
        let keys = ids(3);
        let first = t.ask(0, vec![keys[0]]).await;
        // The second leads the next batch, the third joins it; then the second goes away.
        let second = t.ask(0, vec![keys[1]]).await;
        let third = t.ask(0, vec![keys[2]]).await;
        second.abort();
        settle().await;
        t.release().await;
        first.await.unwrap().unwrap();
        t.release().await;
        let got = third.await.unwrap().unwrap();
        assert_eq!(got.keys().copied().collect::<Vec<_>>(), vec![keys[2]]);
        assert!(t.batches.lock().is_empty());
    }

    #[tokio::test]
    async fn an_error_reaches_every_request_of_the_batch() {
        let t = Setup::failing();
        let mut answers = Vec::new();
        for k in ids(3) {
            answers.push(t.ask(0, vec![k]).await);
        }
        t.release().await;
        t.release().await;
        for answer in answers {
            assert_eq!(answer.await.unwrap(), Err(Failed));
        }
        assert_eq!(t.reads.runs(), 2);
    }

    #[tokio::test]
    async fn a_full_open_batch_lets_a_big_request_read_on_its_own() {
        let t = Setup::default();
        let big: Vec<Uuid> = (0..MAX_SHARED_KEYS as u128).map(|i| Uuid::from_u128(1000 + i)).collect();
        let mut answers = Vec::new();
        for keys in [ids(1), ids(2), big] {
            answers.push(t.ask(0, keys).await);
        }
        // One running, one open with two keys, and the big request on its own.
        assert_eq!(t.reads.runs(), 2);
        for _ in 0..3 {
            t.release().await;
        }
        let sizes: Vec<usize> = answers_of(answers).await.iter().map(HashMap::len).collect();
        assert_eq!(sizes, vec![1, 2, MAX_SHARED_KEYS]);
    }

    async fn answers_of(answers: Vec<Answer>) -> Vec<HashMap<Uuid, u64>> {
        let mut out = Vec::new();
        for answer in answers {
            out.push(answer.await.unwrap().unwrap());
        }
        out
    }
}
