//! The library's own threads for asynchronous calls (`mw_request_async` and the others): one
//! bounded pool for the whole process, so many calls in flight across many sessions never mean
//! one thread per call. Calls beyond the pool's threads wait in one queue, first come first
//! served. Threads start when there is work for them and end after a while without any.
//!
//! Each session has a `Calls`: the count of its calls not yet finished, which its handle waits
//! on when it is freed. A call that had not started by then still finishes (its task is told
//! `Start::Closed`), so every task runs exactly once.

use crate::error::{Code, Error, Result};
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::Duration;

/// Threads when MWAUTH_ASYNC_THREADS does not say otherwise: the calls are network-bound, and a
/// few per wiki is what API etiquette allows anyway.
const DEFAULT_THREADS: usize = 8;
const MAX_THREADS: usize = 64;
/// How long a thread with nothing to do waits for work before it ends.
const IDLE_LINGER: Duration = Duration::from_secs(20);

/// How a task is run: normally, or to report that its session was freed before it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    Run,
    Closed,
}

type Task = Box<dyn FnOnce(Start) + Send>;

/// The asynchronous calls of one session.
#[derive(Debug)]
pub(crate) struct Calls {
    id: u64,
    state: Mutex<CallsState>,
    settled: Condvar,
}

#[derive(Debug, Default)]
struct CallsState {
    /// Submitted and not yet finished (running, or waiting in the queue).
    pending: usize,
    /// The session is being freed: no new calls.
    closed: bool,
}

struct Job {
    calls: Arc<Calls>,
    task: Task,
}

struct Pool {
    queue: Mutex<Queue>,
    work: Condvar,
    max_threads: usize,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    threads: usize,
    /// Threads waiting for work.
    idle: usize,
}

thread_local! {
    /// The `Calls::id` whose task this pool thread is running (0: none, or not a pool thread).
    static RUNNING: Cell<u64> = const { Cell::new(0) };
    static IS_POOL_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// The pool's lock guards only its queue and counters, which no panic can leave half-updated.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        queue: Mutex::default(),
        work: Condvar::new(),
        max_threads: threads_from_env(std::env::var("MWAUTH_ASYNC_THREADS").ok().as_deref()),
    })
}

/// MWAUTH_ASYNC_THREADS, 1 to 64; anything else is the default.
fn threads_from_env(value: Option<&str>) -> usize {
    value
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| (1..=MAX_THREADS).contains(n))
        .unwrap_or(DEFAULT_THREADS)
}

impl Calls {
    pub(crate) fn new() -> Arc<Self> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Arc::new(Calls {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            state: Mutex::default(),
            settled: Condvar::new(),
        })
    }

    fn finish(&self) {
        let mut state = lock(&self.state);
        state.pending -= 1;
        if state.pending <= 1 {
            // <= 1: a free waiting inside one of this session's own callbacks waits for 1.
            self.settled.notify_all();
        }
    }

    /// Takes no new calls, lets the queued ones finish as `Start::Closed` at once, and returns
    /// when every call has finished. Called from inside one of this session's own callbacks, it
    /// waits for all the others and leaves that one to finish after it returns.
    pub(crate) fn close_and_wait(self: &Arc<Self>) {
        lock(&self.state).closed = true;
        let queued = pool().take_queued(self.id);
        if IS_POOL_THREAD.with(Cell::get) {
            // This thread is one of the pool's: the queued calls may be waiting for it.
            for job in queued {
                run_job(job);
            }
        } else {
            pool().push_front(queued);
        }
        let inside_own_callback = RUNNING.with(Cell::get) == self.id;
        let allowed = usize::from(inside_own_callback);
        let mut state = lock(&self.state);
        while state.pending > allowed {
            state = self
                .settled
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Queues `task` as a call of `calls`. Fails (and never runs the task) when the session is being
/// freed, or when no thread can be started and none is running.
pub(crate) fn submit(calls: &Arc<Calls>, task: Task) -> Result<()> {
    {
        let mut state = lock(&calls.state);
        if state.closed {
            return Err(Error::of(Code::Closed, "the session is being freed"));
        }
        state.pending += 1;
    }
    let job = Job {
        calls: Arc::clone(calls),
        task,
    };
    if let Err(error) = pool().push(job) {
        calls.finish();
        return Err(error);
    }
    Ok(())
}

impl Pool {
    fn push(&'static self, job: Job) -> Result<()> {
        let mut queue = lock(&self.queue);
        queue.jobs.push_back(job);
        if queue.jobs.len() > queue.idle && queue.threads < self.max_threads {
            match thread::Builder::new()
                .name("mwauth-async".into())
                .spawn(move || self.work_loop())
            {
                Ok(_) => queue.threads += 1,
                Err(error) if queue.threads == 0 => {
                    queue.jobs.pop_back();
                    return Err(Error::of(
                        Code::Thread,
                        format!("could not start a thread for asynchronous calls: {error}"),
                    ));
                }
                Err(_) => {} // the running threads will get to it
            }
        }
        self.work.notify_one();
        Ok(())
    }

    fn take_queued(&self, id: u64) -> Vec<Job> {
        let mut queue = lock(&self.queue);
        let mut mine = Vec::new();
        let mut others = VecDeque::with_capacity(queue.jobs.len());
        for job in queue.jobs.drain(..) {
            if job.calls.id == id {
                mine.push(job);
            } else {
                others.push_back(job);
            }
        }
        queue.jobs = others;
        mine
    }

    /// Puts `jobs` at the head of the queue: they only report `Closed`, which takes no time.
    fn push_front(&self, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        let mut queue = lock(&self.queue);
        for job in jobs.into_iter().rev() {
            queue.jobs.push_front(job);
        }
        drop(queue);
        self.work.notify_all();
    }

    fn work_loop(&self) {
        IS_POOL_THREAD.with(|is| is.set(true));
        let mut queue = lock(&self.queue);
        loop {
            if let Some(job) = queue.jobs.pop_front() {
                drop(queue);
                run_job(job);
                queue = lock(&self.queue);
                continue;
            }
            queue.idle += 1;
            let (next, timeout) = self
                .work
                .wait_timeout(queue, IDLE_LINGER)
                .unwrap_or_else(PoisonError::into_inner);
            queue = next;
            queue.idle -= 1;
            if timeout.timed_out() && queue.jobs.is_empty() {
                queue.threads -= 1;
                return;
            }
        }
    }
}

fn run_job(job: Job) {
    let start = if lock(&job.calls.state).closed {
        Start::Closed
    } else {
        Start::Run
    };
    let outer = RUNNING.with(|running| running.replace(job.calls.id));
    // The task catches the panics of the call it runs; this one only keeps the pool's thread
    // and the count right should the caller's callback itself unwind.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (job.task)(start)));
    RUNNING.with(|running| running.set(outer));
    job.calls.finish();
}

/// Threads the pool has now.
#[cfg(test)]
fn threads() -> usize {
    lock(&pool().queue).threads
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn threads_from_env_takes_1_to_64_only() {
        assert_eq!(threads_from_env(None), DEFAULT_THREADS);
        assert_eq!(threads_from_env(Some("1")), 1);
        assert_eq!(threads_from_env(Some(" 64 ")), 64);
        for bad in ["0", "65", "-1", "many", ""] {
            assert_eq!(threads_from_env(Some(bad)), DEFAULT_THREADS, "{bad}");
        }
    }

    #[test]
    fn every_task_runs_once_and_the_pool_stays_bounded() {
        let calls = Calls::new();
        let (sender, receiver) = mpsc::channel();
        for n in 0..200 {
            let sender = sender.clone();
            submit(
                &calls,
                Box::new(move |start| {
                    assert_eq!(start, Start::Run);
                    thread::sleep(Duration::from_millis(1));
                    sender.send((n, threads())).unwrap();
                }),
            )
            .unwrap();
        }
        let mut seen: Vec<(usize, usize)> = receiver.iter().take(200).collect();
        assert!(seen.iter().all(|&(_, threads)| threads <= DEFAULT_THREADS));
        seen.sort();
        assert_eq!(
            seen.iter().map(|&(n, _)| n).collect::<Vec<_>>(),
            (0..200).collect::<Vec<_>>()
        );
        calls.close_and_wait();
    }

    #[test]
    fn close_finishes_queued_calls_as_closed_and_refuses_new_ones() {
        let calls = Calls::new();
        let (started_sender, started) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        // Enough blocking calls to fill every thread, then more that must wait in the queue.
        for _ in 0..DEFAULT_THREADS + 5 {
            let (started_sender, released, outcomes) =
                (started_sender.clone(), released.clone(), outcomes.clone());
            submit(
                &calls,
                Box::new(move |start| {
                    if start == Start::Run {
                        started_sender.send(()).unwrap();
                        let _ = lock(&released).recv();
                    }
                    lock(&outcomes).push(start);
                }),
            )
            .unwrap();
        }
        started.recv().unwrap();
        let closer = {
            let calls = calls.clone();
            thread::spawn(move || calls.close_and_wait())
        };
        while !lock(&calls.state).closed {
            thread::yield_now();
        }
        let refused = submit(&calls, Box::new(|_| panic!("must not run"))).unwrap_err();
        assert_eq!(refused.code(), "closed");
        for _ in 0..DEFAULT_THREADS + 5 {
            let _ = release.send(());
        }
        closer.join().unwrap();
        let outcomes = lock(&outcomes);
        assert_eq!(outcomes.len(), DEFAULT_THREADS + 5);
        assert!(outcomes.contains(&Start::Closed), "{outcomes:?}");
        assert_eq!(lock(&calls.state).pending, 0);
    }

    #[test]
    fn close_from_inside_an_own_callback_returns() {
        let calls = Calls::new();
        let (sender, receiver) = mpsc::channel();
        let inner = calls.clone();
        submit(
            &calls,
            Box::new(move |_| {
                inner.close_and_wait();
                sender.send(()).unwrap();
            }),
        )
        .unwrap();
        receiver
            .recv_timeout(Duration::from_secs(10))
            .expect("close_and_wait inside a callback of the same session returned");
    }
}
