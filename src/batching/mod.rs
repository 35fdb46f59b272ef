//! Batching of reads, in general: nothing here knows of campaigns, SQL or GraphQL types.
//!
//! Two kinds of batch, which `loaders` combines:
//! - **Within a request** (`RequestBatches`, `Watched`, `Batched`): the keys every resolver
//!   of a request asks for at one point go in one batch per key type, run in the request's own
//!   task as soon as all its resolvers wait, with no timer and no spawned task.
//! - **Across requests** (`SharedBatches`): requests of one group (say, the callers' scope)
//!   that ask while a read of that group runs join the next read instead of each sending
//!   their own.
//!
//! # Contract
//! - A `Batched` loads each key type's keys of one pass of the request's resolvers in one
//!   call of `Loader::load` (up to async-graphql's `max_batch_size`, 1,000 keys); a request
//!   not run inside `Watched` spawns each batch as a task of its own (still one per pass).
//! - A `SharedBatches` read is joined only before it starts: every answer was read after its
//!   request asked, so it sees every write committed before then. Nothing is remembered
//!   between reads. A request whose keys would push the open read past `MAX_SHARED_KEYS`
//!   reads on its own. If the request leading a read goes away, those that joined it ask
//!   again; an error reaches every request of the read.
//! - What a `Batched` remembers within its request is its cache's (`CacheFactory`) until
//!   `forget`, after which every load reads again (a request that writes).
//!
//! # What it relies on in async-graphql's `DataLoader` (7.x)
//! - The first key of a key type with none pending hands one future to the *spawner*
//!   (`DataLoader::with_cache`); that future, after the loader's `delay` (set to zero here),
//!   takes every key of that type pending at that moment and calls `Loader::load` once.
//!   Keys that arrive while it runs start the next batch.
//! - Each key type has its own queue and cache inside one `DataLoader` (keyed by `TypeId`),
//!   so one loader value serves many key types, each with its own `Loader<K>` impl.
//! - `enable_all_cache(false)` makes later loads of every key type skip the cache.
//!
//! `tests/it/batching.rs` and `tests/it/shared_reads.rs` measure the result on a real
//! database: statements per nested request, and statements shared by concurrent requests.

mod loader;
mod request;
mod shared;

pub use loader::Batched;
pub use request::{RequestBatches, Watched};
pub use shared::{JOINS, MAX_SHARED_KEYS, SharedBatches};
