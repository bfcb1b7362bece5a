//! `--busy N`: threads that keep other CPUs busy while the benchmark measures.
//!
//! On a machine with an idle CPU, a woken reader gets a CPU of its own; on a loaded one it
//! must share the writer's. The two regimes order write strategies differently on pipes and
//! sockets (see BENCHMARKS.md, "No regret"), so both are one command away.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Spinning threads; they stop and are joined on drop.
#[derive(Debug)]
pub struct Spinners {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Spinners {
    /// Starts `n` threads that spin until dropped (none for 0).
    ///
    /// # Errors
    ///
    /// When a thread cannot be spawned (the ones already started are stopped).
    pub fn start(n: usize) -> std::io::Result<Self> {
        let mut spinners = Self {
            stop: Arc::new(AtomicBool::new(false)),
            threads: Vec::with_capacity(n),
        };
        for i in 0..n {
            let stop = Arc::clone(&spinners.stop);
            let thread = std::thread::Builder::new()
                .name(format!("bench-busy-{i}"))
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })?;
            spinners.threads.push(thread);
        }
        Ok(spinners)
    }

    /// How many threads spin.
    pub fn count(&self) -> usize {
        self.threads.len()
    }
}

impl Drop for Spinners {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spinners_start_and_stop() {
        let spinners = Spinners::start(2).unwrap();
        assert_eq!(spinners.count(), 2);
        drop(spinners); // must return: the threads see the flag
        assert_eq!(Spinners::start(0).unwrap().count(), 0);
    }
}
