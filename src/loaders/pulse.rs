//! When a request's resolvers have all stopped to wait: the moment its batches should run.
//!
//! A request resolves in one task: a poll of it runs every field that can make progress, and
//! each field that needs a row registers its key with a loader and waits. Once a poll ends
//! and nothing has woken the task again, every key the resolvers can ask for at this point
//! has been asked for, so a batch that starts then has them all, and one that starts
//! earlier would miss some. `Pulse` tells which it is; `Watched` keeps it up to date
//! around the request's future.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use tokio::sync::Notify;

/// Whether a request's task is busy: being polled, or woken and about to be.
#[derive(Default)]
pub struct Pulse {
    polling: AtomicBool,
    woken: AtomicBool,
    /// Notified at the end of every poll.
    polled: Notify,
    /// The waker of the task that polls the request.
    task: Mutex<Option<Waker>>,
}

impl Pulse {
    fn busy(&self) -> bool {
        self.polling.load(Ordering::SeqCst) || self.woken.load(Ordering::SeqCst)
    }

    /// Resolves once the request's task waits with nothing left to run (at once for a
    /// future that is not `Watched`).
    pub async fn settled(&self) {
        loop {
            let polled = self.polled.notified();
            tokio::pin!(polled);
            // Registered before looking, so that a poll ending in between is not missed.
            polled.as_mut().enable();
            if !self.busy() {
                return;
            }
            polled.await;
        }
    }

    /// `future`, keeping this pulse up to date as it is polled.
    pub fn watch<F: Future>(self: &Arc<Self>, future: F) -> Watched<F> {
        let waker = Waker::from(Arc::new(Wakes(self.clone())));
        Watched { pulse: self.clone(), waker, future: Box::pin(future) }
    }
}

/// The waker the request's future sees: it marks the task woken, then wakes it.
struct Wakes(Arc<Pulse>);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.woken.store(true, Ordering::SeqCst);
        if let Some(task) = self.0.task.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            task.wake_by_ref();
        }
    }
}

/// A request's future under a `Pulse`.
pub struct Watched<F> {
    pulse: Arc<Pulse>,
    waker: Waker,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        {
            let mut task = this.pulse.task.lock().unwrap_or_else(PoisonError::into_inner);
            if !task.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *task = Some(cx.waker().clone());
            }
        }
        this.pulse.polling.store(true, Ordering::SeqCst);
        this.pulse.woken.store(false, Ordering::SeqCst);
        let output = this.future.as_mut().poll(&mut Context::from_waker(&this.waker));
        this.pulse.polling.store(false, Ordering::SeqCst);
        this.pulse.polled.notify_waiters();
        output
    }
}
