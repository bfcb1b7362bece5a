//! The calling thread's context switches (Linux): the one signal the pipe pacer
//! (`fd/pace.rs`) reads.
//!
//! rustix 1.1 has no `getrusage`, so this wraps the `libc` call.

use std::mem::MaybeUninit;

/// How many times the calling thread has given up its CPU: slept (`ru_nvcsw`: waited in a
/// system call, for example for room in a full pipe) or been preempted (`ru_nivcsw`:
/// switched out while it could still run, for example by a task it woke on its own CPU),
/// from `getrusage(RUSAGE_THREAD)`. One system call, no allocation; `None` if the kernel
/// refuses (it does not for `RUSAGE_THREAD` since Linux 2.6.26).
pub(crate) fn thread_switches() -> Option<u64> {
    let mut usage = MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: `usage` points to writable memory the size of a `rusage`, which `getrusage`
    // fills completely when it returns 0; it is read only in that case.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()) != 0 {
            return None;
        }
        usage.assume_init()
    };
    let slept = u64::try_from(usage.ru_nvcsw).ok()?;
    let preempted = u64::try_from(usage.ru_nivcsw).ok()?;
    Some(slept + preempted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_are_counted_and_never_go_back() {
        let first = thread_switches().expect("getrusage(RUSAGE_THREAD)");
        // A sleep is a voluntary switch.
        std::thread::sleep(std::time::Duration::from_millis(1));
        assert!(thread_switches().unwrap() > first);
    }

    #[test]
    fn a_thread_sharing_its_cpu_with_a_busy_one_is_switched_out() {
        use rustix::thread::{sched_getcpu, sched_setaffinity, CpuSet};
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        use std::time::{Duration, Instant};

        let mut one = CpuSet::new();
        one.set(sched_getcpu());
        sched_setaffinity(None, &one).expect("pin to the current CPU");
        let stop = Arc::new(AtomicBool::new(false));
        let spinner = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                sched_setaffinity(None, &one).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        };
        // Two runnable threads on one CPU for 200 ms: the scheduler must switch this one
        // out many times (time slices are a few ms) while it still wants to run.
        let before = thread_switches().unwrap();
        let end = Instant::now() + Duration::from_millis(200);
        while Instant::now() < end {
            std::hint::spin_loop();
        }
        let after = thread_switches().unwrap();
        stop.store(true, Ordering::Relaxed);
        spinner.join().unwrap();
        assert!(after >= before + 2, "switches {before} -> {after}");
    }
}
