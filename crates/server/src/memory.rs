//! Process memory as the kernel reports it (`VmRSS`, `VmHWM` in /proc/self/status), and the
//! memory guard that keeps the server under `--max-rss-mb`. Linux only; elsewhere the figures
//! are `None` and the guard never trips.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Resident and peak resident memory of this process, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessMemory {
    pub rss_bytes: Option<u64>,
    pub peak_rss_bytes: Option<u64>,
}

impl ProcessMemory {
    pub fn read() -> ProcessMemory {
        std::fs::read_to_string("/proc/self/status")
            .map_or_else(|_| ProcessMemory::default(), |s| parse_status(&s))
    }
}

/// The memory guard: above `limit` bytes of resident memory the server is *degraded*: it
/// refuses new sessions and heavy requests (503 `memory_pressure` with `Retry-After`, or a
/// WebSocket error then close 1013), hands freed memory back and forgets idle HTTP sessions,
/// and says so in `/health` and `/metrics`. Below 90% of the limit it recovers by itself. The
/// monitor (`lib.rs`) feeds it the RSS every 100 ms.
#[derive(Debug)]
pub struct MemoryGuard {
    limit: Option<u64>,
    degraded: AtomicBool,
    trims: AtomicU64,
}

/// What an RSS reading changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pressure {
    /// Over the limit now, under it before (or still over: trim again).
    Over,
    /// Back under 90% of the limit.
    Recovered,
    Unchanged,
}

impl MemoryGuard {
    /// `limit`: bytes of RSS; `None` turns the guard off.
    pub fn new(limit: Option<u64>) -> MemoryGuard {
        MemoryGuard {
            limit,
            degraded: AtomicBool::new(false),
            trims: AtomicU64::new(0),
        }
    }

    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Whether new sessions and heavy requests are refused now.
    pub fn degraded(&self) -> bool {
        self.degraded.load(Ordering::SeqCst)
    }

    /// Times the guard has trimmed memory.
    pub fn trims(&self) -> u64 {
        self.trims.load(Ordering::Relaxed)
    }

    pub fn count_trim(&self) {
        self.trims.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes an RSS reading.
    pub fn observe(&self, rss: Option<u64>) -> Pressure {
        let (Some(limit), Some(rss)) = (self.limit, rss) else {
            return Pressure::Unchanged;
        };
        if rss > limit {
            self.degraded.store(true, Ordering::SeqCst);
            Pressure::Over
        } else if rss < limit / 10 * 9 && self.degraded.swap(false, Ordering::SeqCst) {
            Pressure::Recovered
        } else {
            Pressure::Unchanged
        }
    }
}

/// The default `--max-rss-mb`: half the memory this process may use (the cgroup's
/// `memory.max` if one is set, else the machine's `MemTotal`), between 256 MiB and 1 GiB. The
/// server rests at about 55 MiB and runs at about 120 MiB with two workers; 1 GiB leaves room
/// for hundreds of sessions, and half of a small container leaves room for the rest of it.
pub fn default_max_rss_mb() -> u64 {
    let mib = |bytes: u64| bytes >> 20;
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        s.lines().find_map(|l| {
            let kib = l.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?;
            kib.trim().parse::<u64>().ok().map(|k| k * 1024)
        })
    });
    let available = match (cgroup, total) {
        (Some(c), Some(t)) => c.min(t),
        (c, t) => c.or(t).unwrap_or(2 << 30),
    };
    (mib(available) / 2).clamp(256, 1024)
}

/// Parses the `VmRSS:` and `VmHWM:` lines ("VmRSS:     12345 kB").
fn parse_status(status: &str) -> ProcessMemory {
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            let kib: u64 = rest.trim().strip_suffix("kB")?.trim().parse().ok()?;
            Some(kib * 1024)
        })
    };
    ProcessMemory {
        rss_bytes: field("VmRSS"),
        peak_rss_bytes: field("VmHWM"),
    }
}

/// Hands memory that the allocator keeps after it was freed back to the kernel, in every
/// allocator arena; returns whether any was released. glibc keeps what a worker thread's
/// inference freed (tens of MiB: the models' intermediate tensors) in that thread's arena for
/// reuse; idle workers call this so that a server at rest goes back to its baseline resident
/// memory. It touches nothing in use. A no-op (false) where the allocator is not glibc's.
pub fn release_free_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim has no preconditions; it only returns free pages to the kernel.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rss_and_hwm_in_kib() {
        let s = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t3\n";
        assert_eq!(
            parse_status(s),
            ProcessMemory {
                rss_bytes: Some(1 << 20),
                peak_rss_bytes: Some(2 << 20)
            }
        );
    }

    #[test]
    fn the_guard_trips_above_the_limit_and_recovers_below_90_percent() {
        let g = MemoryGuard::new(Some(100 << 20));
        assert_eq!(g.observe(Some(99 << 20)), Pressure::Unchanged);
        assert!(!g.degraded());
        assert_eq!(g.observe(Some(101 << 20)), Pressure::Over);
        assert!(g.degraded());
        assert_eq!(g.observe(Some(95 << 20)), Pressure::Unchanged, "hysteresis");
        assert!(g.degraded());
        assert_eq!(g.observe(Some(80 << 20)), Pressure::Recovered);
        assert!(!g.degraded());
        let off = MemoryGuard::new(None);
        assert_eq!(off.observe(Some(u64::MAX)), Pressure::Unchanged);
        assert!((256..=1024).contains(&default_max_rss_mb()));
    }

    #[test]
    fn missing_fields_are_none() {
        assert_eq!(parse_status("Name:\tx\n"), ProcessMemory::default());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_resident_memory() {
        let m = ProcessMemory::read();
        assert!(m.rss_bytes.unwrap_or(0) > 0 && m.peak_rss_bytes >= m.rss_bytes);
    }

    /// Freed small blocks in a thread's arena stay resident until released.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn released_memory_leaves_the_resident_set() {
        const MIB: u64 = 1 << 20;
        // 48 MiB in 32 KiB blocks (below glibc's mmap threshold), written, then all but the
        // last freed: the last one pins the arena's top, so nothing is returned on its own.
        let rss_after_free = std::thread::spawn(|| {
            let mut blocks: Vec<Vec<u8>> = (0..1536).map(|i| vec![i as u8 | 1; 32 << 10]).collect();
            let last = blocks.pop();
            drop(blocks);
            let rss = ProcessMemory::read().rss_bytes.unwrap();
            (rss, last)
        });
        let (before, last) = rss_after_free.join().unwrap();
        assert!(release_free_memory());
        let after = ProcessMemory::read().rss_bytes.unwrap();
        drop(last);
        assert!(
            after + 32 * MIB < before,
            "RSS {} MiB before release, {} MiB after",
            before / MIB,
            after / MIB
        );
    }
}
