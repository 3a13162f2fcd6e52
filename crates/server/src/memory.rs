//! Process memory as the kernel reports it (`VmRSS`, `VmHWM` in /proc/self/status).
//! Linux only; elsewhere the figures are `None`.

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
