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
}
