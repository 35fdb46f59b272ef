//! Where and when a request's batches run: inside the request's own task, as soon as its
//! resolvers have all stopped to wait.
//!
//! A request resolves in one task: a poll of it runs every field that can make progress, and
//! each field that needs a row registers its key with a loader and waits. Once a poll ends
//! without the task having asked to run again, every key the resolvers can ask for at this
//! point has been asked for, so a batch that starts then has them all; one that starts
//! earlier would miss some, and the keys would split over several statements. `Watched`
//! polls the request, then starts the batches its loaders queued (`RequestBatches`) and drives them
//! in the same task: no task is spawned, no thread woken, no timer waited on, and a batch
//! hands all its rows to their resolvers before the request is polled again.

use async_graphql::futures_util::future::BoxFuture;
use async_graphql::futures_util::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

/// The batches a request's loaders queued, and whether a `Watched` runs them.
#[derive(Default)]
pub struct RequestBatches {
    queued: Mutex<Vec<BoxFuture<'static, ()>>>,
    watched: AtomicBool,
}

impl RequestBatches {
    /// Runs a loader's batch: in the request's task once its resolvers all wait, or, for a
    /// request no `Watched` runs, as a task of its own.
    pub fn run(&self, batch: BoxFuture<'static, ()>) {
        if self.watched.load(Ordering::SeqCst) {
            self.queued.lock().unwrap_or_else(PoisonError::into_inner).push(batch);
        } else {
            tokio::spawn(batch);
        }
    }

    /// `future` (the request), with its loaders' batches run in its task.
    pub fn watch<F: Future>(self: &Arc<Self>, future: F) -> Watched<F> {
        self.watched.store(true, Ordering::SeqCst);
        Watched { batches: self.clone(), future: Box::pin(future), running: FuturesUnordered::new() }
    }

    fn take_queued(&self) -> Vec<BoxFuture<'static, ()>> {
        std::mem::take(&mut *self.queued.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The waker the request's future sees during a poll: it notes that the request asked to
/// run again (a resolver yielding, say) before waking the task.
struct Wakes {
    again: AtomicBool,
    task: Waker,
}

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.again.store(true, Ordering::SeqCst);
        self.task.wake_by_ref();
    }
}

/// A request's future, with the batches of its loaders.
pub struct Watched<F> {
    batches: Arc<RequestBatches>,
    future: Pin<Box<F>>,
    running: FuturesUnordered<BoxFuture<'static, ()>>,
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        loop {
            let wakes = Arc::new(Wakes { again: AtomicBool::new(false), task: cx.waker().clone() });
            let waker = Waker::from(wakes.clone());
            if let Poll::Ready(output) = this.future.as_mut().poll(&mut Context::from_waker(&waker)) {
                return Poll::Ready(output);
            }
            // A request that asked to run again (a resolver yielding, say) is not done
            // asking for keys: the batches it queued wait for its next poll.
            if !wakes.again.load(Ordering::SeqCst) {
                this.running.extend(this.batches.take_queued());
            }
            let mut finished = false;
            while let Poll::Ready(Some(())) = this.running.poll_next_unpin(cx) {
                finished = true;
            }
            if !finished {
                return Poll::Pending;
            }
            // A batch handed its rows to their resolvers: run them now.
        }
    }
}
