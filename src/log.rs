//! The session's log callback, and the rule that keeps it from deadlocking anything: no line is
//! delivered while the thread that raised it holds a lock of a session (`Gated`); such lines wait
//! and go out once the last lock is released.

use std::cell::RefCell;
use std::sync::{Arc, Mutex};

/// Log levels, numbered as Python's `logging` numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Each HTTP exchange.
    Debug = 10,
    /// Retries, waits, re-logins.
    Info = 20,
    /// Dropped sessions, refused credentials.
    Warning = 30,
}

/// Receives the session's log lines. Lines never hold a password, token or cookie value.
pub type Logger = Arc<dyn Fn(LogLevel, &str) + Send + Sync>;

/// Locked only to take a copy of the logger, never while it runs, so replacing it does not wait
/// for a running callback.
type Slot = Mutex<Option<Logger>>;

/// A session's logger.
#[derive(Default)]
pub(crate) struct Log {
    /// An `Arc` so that lines held back reach the logger that is current when they are delivered.
    slot: Arc<Slot>,
}

/// The logger `slot` holds now, if any (a copy, so no lock is held while it runs).
fn current(slot: &Slot) -> Option<Logger> {
    slot.lock().ok().and_then(|logger| logger.clone())
}

fn deliver(slot: &Slot, level: LogLevel, line: &str) {
    if let Some(logger) = current(slot) {
        logger(level, line);
    }
}

/// Log lines this thread raised while holding a session's lock, to deliver once it lets go.
#[derive(Default)]
struct HeldLines {
    /// How many locks this thread holds (a request's re-login takes one inside another).
    depth: usize,
    lines: Vec<(Arc<Slot>, LogLevel, String)>,
}

thread_local! {
    static HELD_LINES: RefCell<HeldLines> = RefCell::new(HeldLines::default());
}

impl Log {
    /// Replaces the logger without waiting for a callback of the old one that is running (it
    /// may be blocked on work of the caller's thread).
    pub(crate) fn set(&self, logger: Option<Logger>) {
        let mut slot = self
            .slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let replaced = std::mem::replace(&mut *slot, logger);
        drop(slot);
        drop(replaced); // outside the lock: the last copy of a callback may go here
    }

    /// Hands a line to the logger: at once, or, while this thread holds a session's lock, once
    /// it lets go of it. `line` is only formatted when a logger is set.
    pub(crate) fn log(&self, level: LogLevel, line: impl FnOnce() -> String) {
        if !self.slot.lock().is_ok_and(|logger| logger.is_some()) {
            return;
        }
        let line = line();
        let held = HELD_LINES.with(|held| {
            let mut held = held.borrow_mut();
            if held.depth == 0 {
                return false;
            }
            held.lines.push((self.slot.clone(), level, line.clone()));
            true
        });
        if !held {
            deliver(&self.slot, level, &line);
        }
    }
}

/// A guard of one of a session's locks. While one is alive its thread's log lines wait; when
/// the last one goes, the lock is released first and the lines are delivered after.
pub(crate) struct Gated<G> {
    guard: Option<G>,
}

impl<G> Gated<G> {
    pub(crate) fn new(guard: G) -> Self {
        HELD_LINES.with(|held| held.borrow_mut().depth += 1);
        Gated { guard: Some(guard) }
    }
}

impl<G> std::ops::Deref for Gated<G> {
    type Target = G;
    fn deref(&self) -> &G {
        self.guard
            .as_ref()
            .expect("a Gated guard holds its lock until dropped")
    }
}

impl<G> std::ops::DerefMut for Gated<G> {
    fn deref_mut(&mut self) -> &mut G {
        self.guard
            .as_mut()
            .expect("a Gated guard holds its lock until dropped")
    }
}

impl<G> Drop for Gated<G> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let lines = HELD_LINES.with(|held| {
            let mut held = held.borrow_mut();
            held.depth -= 1;
            if held.depth == 0 {
                std::mem::take(&mut held.lines)
            } else {
                Vec::new()
            }
        });
        // Outside the RefCell borrow: a callback may log through another session.
        for (slot, level, line) in lines {
            deliver(&slot, level, &line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn lines_raised_under_a_lock_wait_for_its_release() {
        let log = Log::default();
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        log.set(Some(Arc::new(move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
        })));
        let lock = Mutex::new(());
        {
            let _held = Gated::new(lock.lock().unwrap());
            log.log(LogLevel::Info, || "under the lock".into());
            assert_eq!(seen.load(Ordering::SeqCst), 0);
        }
        assert_eq!(seen.load(Ordering::SeqCst), 1);
        log.log(LogLevel::Info, || "no lock".into());
        assert_eq!(seen.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_callback_may_replace_the_logger() {
        let log = Arc::new(Log::default());
        let inner = log.clone();
        log.set(Some(Arc::new(move |_, _| inner.set(None))));
        log.log(LogLevel::Info, || "once".into());
        log.log(LogLevel::Info, || "never delivered".into());
    }
}
