//! `--placement apart`: the writer and the reader of pipes and sockets on two different CPUs.
//!
//! Pinned apart, the reader always runs on a CPU of its own and every wake-up crosses CPUs:
//! the regime of a machine with an idle core, reproducible on a loaded one (see
//! BENCHMARKS.md, "No regret").

use std::io;

use rustix::thread::{sched_getaffinity, sched_setaffinity, CpuSet};

/// The first two CPUs this thread may run on: one for the writer, one for the reader.
///
/// # Errors
///
/// When the affinity cannot be read, or fewer than two CPUs are allowed.
pub fn two_cpus() -> io::Result<(usize, usize)> {
    let allowed = sched_getaffinity(None)?;
    let mut cpus = (0..CpuSet::MAX_CPU).filter(|&cpu| allowed.is_set(cpu));
    match (cpus.next(), cpus.next()) {
        (Some(writer), Some(reader)) => Ok((writer, reader)),
        _ => Err(io::Error::other(
            "placing writer and reader apart needs two CPUs",
        )),
    }
}

/// Pins the calling thread to `cpu`.
///
/// # Errors
///
/// When the kernel refuses (e.g. the CPU is not allowed).
pub fn pin_this_thread(cpu: usize) -> io::Result<()> {
    let mut set = CpuSet::new();
    set.set(cpu);
    Ok(sched_setaffinity(None, &set)?)
}

/// The calling thread pinned to one CPU until dropped; then its previous affinity is back.
#[derive(Debug)]
pub struct Pinned {
    saved: CpuSet,
}

impl Pinned {
    /// Pins the calling thread to `cpu`, remembering its affinity.
    ///
    /// # Errors
    ///
    /// As [`pin_this_thread`].
    pub fn to(cpu: usize) -> io::Result<Self> {
        let saved = sched_getaffinity(None)?;
        pin_this_thread(cpu)?;
        Ok(Self { saved })
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let _ = sched_setaffinity(None, &self.saved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinning_is_undone_on_drop() {
        let before = sched_getaffinity(None).unwrap();
        match two_cpus() {
            Ok((writer, reader)) => {
                assert_ne!(writer, reader);
                let pinned = Pinned::to(writer).unwrap();
                let now = sched_getaffinity(None).unwrap();
                assert_eq!((now.count(), now.is_set(writer)), (1, true));
                drop(pinned);
            }
            // Only a one-CPU machine may refuse.
            Err(e) => assert!(before.count() < 2, "{e}"),
        }
        assert_eq!(sched_getaffinity(None).unwrap().count(), before.count());
    }
}
