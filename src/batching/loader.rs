//! `Batched`: an async-graphql `DataLoader` whose batches run in the request's own task once
//! its resolvers all wait (`RequestBatches`), optionally after a quiet time without loads.

use super::RequestBatches;
use async_graphql::dataloader::{CacheFactory, DataLoader, Loader};
use async_graphql::futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tracing::Instrument;

/// A `DataLoader` whose batches wait until the request has stopped asking for keys.
///
/// A plain dataloader spawns its batch to run a fixed delay after the first key: resolving a
/// big page (2,500 rows, each asking for a related row) can take longer than that, which
/// splits the keys over several batches, and every request waits the delay once per level.
/// Here a batch runs in the request's own task as soon as the request's resolvers all wait
/// (`RequestBatches`, when the request runs `Watched`), so one pass of the resolvers makes one
/// batch per key type, without a timer. A non-zero `quiet` adds a wait on top: the batch then
/// also needs that long without a load.
pub struct Batched<T, C> {
    inner: DataLoader<T, C>,
    loads: Arc<AtomicU64>,
}

impl<T: Send + Sync + 'static, C: CacheFactory> Batched<T, C> {
    /// `loader`'s batches, run by `batches` after `quiet` without a load; `cache` says what a
    /// key type remembers within the request.
    pub fn new(loader: T, cache: C, batches: Arc<RequestBatches>, quiet: Duration) -> Self {
        let loads = Arc::new(AtomicU64::new(0));
        let watched = loads.clone();
        let inner = DataLoader::with_cache(
            loader,
            move |batch: BoxFuture<'static, ()>| {
                // A span per batch, under the request's (its SQL statements' spans under it).
                let batch = Box::pin(batch.instrument(tracing::info_span!("loader.batch")));
                if quiet.is_zero() {
                    return batches.run(batch);
                }
                let watched = watched.clone();
                batches.run(Box::pin(async move {
                    loop {
                        let seen = watched.load(Ordering::SeqCst);
                        tokio::time::sleep(quiet).await;
                        if watched.load(Ordering::SeqCst) == seen {
                            break;
                        }
                    }
                    batch.await
                }))
            },
            cache,
        )
        // The spawner above decides when a batch runs; async-graphql's own delay would add a
        // timer to every level.
        .delay(Duration::ZERO);
        Batched { inner, loads }
    }

    /// The loader the batches call.
    pub fn loader(&self) -> &T {
        self.inner.loader()
    }

    pub async fn load_one<K>(&self, key: K) -> Result<Option<T::Value>, T::Error>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        T: Loader<K>,
    {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load_one(key).await
    }

    pub async fn load_many<K>(&self, keys: impl IntoIterator<Item = K>) -> Result<HashMap<K, T::Value>, T::Error>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        T: Loader<K>,
    {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load_many(keys).await
    }

    /// Tells the loader the value of `key`, so that loading it takes nothing while the cache
    /// remembers.
    pub async fn feed<K>(&self, key: K, value: T::Value)
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        T: Loader<K>,
    {
        self.inner.feed_one(key, value).await;
    }

    /// Stops every key type from remembering what it loaded.
    pub fn forget(&self) {
        self.inner.enable_all_cache(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::dataloader::{HashMapCache, NoCache};
    use async_graphql::futures_util::future::join_all;
    use std::sync::Mutex;

    /// Answers key `k` with `k * 10` (and `Id(k)` with `k + 1`), recording each batch's keys.
    #[derive(Default)]
    struct Tens {
        batches: Mutex<Vec<Vec<u32>>>,
    }

    impl Loader<u32> for Tens {
        type Value = u32;
        type Error = String;

        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, String> {
            let mut sorted = keys.to_vec();
            sorted.sort_unstable();
            self.batches.lock().unwrap().push(sorted);
            Ok(keys.iter().map(|k| (*k, k * 10)).collect())
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq, Hash)]
    struct Id(u32);

    impl Loader<Id> for Tens {
        type Value = u32;
        type Error = String;

        async fn load(&self, keys: &[Id]) -> Result<HashMap<Id, u32>, String> {
            self.batches.lock().unwrap().push(vec![u32::MAX]);
            Ok(keys.iter().map(|k| (*k, k.0 + 1)).collect())
        }
    }

    fn batched<C: CacheFactory>(cache: C, quiet: Duration) -> (Arc<RequestBatches>, Arc<Batched<Tens, C>>) {
        let batches = Arc::new(RequestBatches::default());
        (batches.clone(), Arc::new(Batched::new(Tens::default(), cache, batches, quiet)))
    }

    /// Two levels of resolvers: 20 parents each ask for a key, then each parent's child asks
    /// for another, with a yield between (a resolver doing other work).
    async fn two_levels<C: CacheFactory>(loader: &Batched<Tens, C>) -> Vec<(u32, u32)> {
        join_all((1..=20).map(|k| async move {
            let parent = loader.load_one(k).await.unwrap().unwrap();
            tokio::task::yield_now().await;
            let child = loader.load_one(parent + 1).await.unwrap().unwrap();
            (parent, child)
        }))
        .await
    }

    #[tokio::test]
    async fn a_watched_request_makes_one_batch_per_key_type_and_level() {
        let (batches, loader) = batched(NoCache, Duration::ZERO);
        let answers = batches.watch(async {
            let (levels, id) = tokio::join!(two_levels(&loader), loader.load_one(Id(4)));
            (levels, id.unwrap())
        });
        let (levels, id) = answers.await;
        assert_eq!(levels, (1..=20).map(|k| (k * 10, (k * 10 + 1) * 10)).collect::<Vec<_>>());
        assert_eq!(id, Some(5));
        let seen = loader.loader().batches.lock().unwrap().clone();
        let parents: Vec<u32> = (1..=20).collect();
        let children: Vec<u32> = (1..=20).map(|k| k * 10 + 1).collect();
        assert_eq!(seen, vec![parents, vec![u32::MAX], children], "one batch per key type and level");
    }

    #[tokio::test]
    async fn an_unwatched_request_still_batches_each_level_once() {
        let (_, loader) = batched(NoCache, Duration::ZERO);
        let levels = two_levels(&loader).await;
        assert_eq!(levels.len(), 20);
        assert_eq!(loader.loader().batches.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_quiet_time_waits_for_loads_to_stop() {
        // A quiet time well above the keys' spacing, so a busy machine's scheduling delays
        // cannot split the batch.
        let (batches, loader) = batched(NoCache, Duration::from_millis(50));
        let staggered = batches.watch(join_all((1..=5).map(|k| {
            let loader = loader.clone();
            async move {
                // Keys that arrive 1 ms apart, inside the quiet time, share a batch.
                tokio::time::sleep(Duration::from_millis(u64::from(k))).await;
                loader.load_one(k).await.unwrap()
            }
        })));
        assert_eq!(staggered.await, (1..=5).map(|k| Some(k * 10)).collect::<Vec<_>>());
        assert_eq!(loader.loader().batches.lock().unwrap().clone(), vec![vec![1, 2, 3, 4, 5]]);
    }

    #[tokio::test]
    async fn a_cache_remembers_until_forget() {
        let (batches, loader) = batched(HashMapCache::default(), Duration::ZERO);
        batches
            .watch(async {
                loader.feed(7u32, 700).await;
                assert_eq!(loader.load_one(7u32).await.unwrap(), Some(700), "fed");
                assert_eq!(loader.load_one(8u32).await.unwrap(), Some(80));
                assert_eq!(loader.load_one(8u32).await.unwrap(), Some(80));
                loader.forget();
                assert_eq!(loader.load_one(7u32).await.unwrap(), Some(70), "read again after forget");
            })
            .await;
        assert_eq!(loader.loader().batches.lock().unwrap().clone(), vec![vec![8], vec![7]]);
    }
}
