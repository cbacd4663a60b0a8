//! A bounded pool of workers shared by every thread that verifies. A thread takes an idle
//! worker, or starts one while fewer than `capacity` are alive, or waits. A worker that died or
//! stopped answering is thrown away; the next caller starts a fresh one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use super::Isolation;
use super::worker::{Launch, Ready, Worker};

pub(super) struct Pool {
    launch: Launch,
    /// The isolation the first worker reported; a later worker with less is refused, so
    /// `Verifier::isolation` holds for every candidate.
    expected: Mutex<Option<Isolation>>,
    capacity: usize,
    state: Mutex<State>,
    available: Condvar,
    spawned: AtomicU64,
}

struct State {
    idle: Vec<Worker>,
    live: usize,
}

impl Pool {
    pub fn new(launch: Launch, capacity: usize) -> Pool {
        Pool {
            launch,
            expected: Mutex::new(None),
            capacity: capacity.max(1),
            state: Mutex::new(State {
                idle: Vec::new(),
                live: 0,
            }),
            available: Condvar::new(),
            spawned: AtomicU64::new(0),
        }
    }

    /// Starts up to `count` workers at once and puts them in the pool; returns the first
    /// worker's ready report (or the first error).
    pub fn fill(&self, count: usize) -> anyhow::Result<Ready> {
        let count = count.clamp(1, self.capacity);
        let results: Vec<anyhow::Result<(Worker, Ready)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..count).map(|_| scope.spawn(|| self.spawn())).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("worker start panicked")))
                })
                .collect()
        });
        let mut first = None;
        let mut error = None;
        for result in results {
            match result {
                Ok((worker, ready)) if ready.ready => {
                    self.add(worker);
                    first.get_or_insert(ready);
                }
                Ok((worker, ready)) => {
                    worker.kill();
                    error.get_or_insert(anyhow::anyhow!(
                        "{}",
                        ready
                            .error
                            .unwrap_or_else(|| "the worker refused to start".into())
                    ));
                }
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        match (error, first) {
            (Some(e), _) => Err(e),
            (None, Some(ready)) => Ok(ready),
            (None, None) => Err(anyhow::anyhow!("no worker started")),
        }
    }

    fn spawn(&self) -> anyhow::Result<(Worker, Ready)> {
        let index = self.spawned.fetch_add(1, Ordering::Relaxed);
        let (worker, ready) = Worker::spawn(&self.launch, index)?;
        if !ready.ready {
            return Ok((worker, ready));
        }
        let Some(mut got) = ready.isolation.clone() else {
            worker.kill();
            anyhow::bail!("the worker did not report its isolation");
        };
        got.pids_cgroup = None; // per worker by design
        let mismatch = {
            let mut expected = self.expected.lock().unwrap_or_else(|e| e.into_inner());
            match &*expected {
                None => {
                    *expected = Some(got);
                    None
                }
                Some(want) if *want == got => None,
                Some(want) => Some(format!(
                    "a new worker has other isolation ({got}) than reported ({want})"
                )),
            }
        };
        if let Some(why) = mismatch {
            worker.kill();
            anyhow::bail!(why);
        }
        Ok((worker, ready))
    }

    fn add(&self, worker: Worker) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.live += 1;
        state.idle.push(worker);
        self.available.notify_one();
    }

    /// An idle worker, a newly started one, or (at capacity) the next one released.
    pub fn acquire(&self) -> anyhow::Result<Worker> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(worker) = state.idle.pop() {
                return Ok(worker);
            }
            if state.live < self.capacity {
                state.live += 1;
                drop(state);
                return match self.spawn() {
                    Ok((worker, ready)) if ready.ready => Ok(worker),
                    result => {
                        let error = match result {
                            Ok((worker, ready)) => {
                                worker.kill();
                                anyhow::anyhow!("{}", ready.error.unwrap_or_default())
                            }
                            Err(e) => e,
                        };
                        self.forget_one();
                        Err(error)
                    }
                };
            }
            state = self
                .available
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Returns a healthy worker to the pool.
    pub fn release(&self, worker: Worker) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.idle.push(worker);
        self.available.notify_one();
    }

    /// Kills a worker that must not be reused (dead, hung, or used once in spawn mode).
    pub fn discard(&self, worker: Worker) {
        worker.kill();
        self.forget_one();
    }

    fn forget_one(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.live -= 1;
        self.available.notify_one();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        for worker in state.idle.drain(..) {
            worker.shutdown();
        }
    }
}
