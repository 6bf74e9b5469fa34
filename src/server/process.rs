//! What this process costs, as Prometheus' standard `process_*` metrics (the names its
//! client libraries use, so existing dashboards work): resident and virtual memory and
//! CPU time from the kernel, open and allowed file descriptors, the start time. Read at
//! each scrape; on a system without `/proc`, the metrics it cannot read are left out.

use std::fmt::Write as _;

use nix::sys::resource::{getrlimit, getrusage, Resource, UsageWho};

use crate::model::UnixTime;

/// The `process_*` families, in Prometheus text; `started_at` is when the daemon started.
pub(crate) fn metrics(started_at: UnixTime) -> String {
    let mut out = String::new();
    let mut gauge = |name: &str, kind: &str, help: &str, value: String| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    };
    if let Ok(usage) = getrusage(UsageWho::RUSAGE_SELF) {
        let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
        let cpu = seconds(usage.user_time()) + seconds(usage.system_time());
        gauge(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            format!("{cpu:.6}"),
        );
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for (key, name, help) in [
        (
            "VmRSS:",
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
        ),
        (
            "VmSize:",
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
        ),
    ] {
        if let Some(kib) = status_kib(&status, key) {
            gauge(name, "gauge", help, (kib * 1024).to_string());
        }
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        gauge(
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            fds.count().to_string(),
        );
    }
    if let Ok((soft, _)) = getrlimit(Resource::RLIMIT_NOFILE) {
        gauge(
            "process_max_fds",
            "gauge",
            "Maximum number of open file descriptors.",
            soft.to_string(),
        );
    }
    gauge(
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since unix epoch in seconds.",
        started_at.to_string(),
    );
    out
}

/// The value of a `/proc/self/status` line such as `VmRSS:     5120 kB`, in KiB.
fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let m = metrics(1_800_000_000);
        assert!(m.contains("process_start_time_seconds 1800000000"), "{m}");
        for name in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_open_fds",
            "process_max_fds",
        ] {
            let line = m
                .lines()
                .find(|l| l.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("{name} missing: {m}"));
            let value: f64 = line[name.len() + 1..].parse().unwrap();
            assert!(value > 0.0, "{line}");
        }
    }

    #[test]
    fn status_lines_in_kib() {
        let status = "Name:\tqbitrr-lite\nVmSize:\t   12344 kB\nVmRSS:\t    4096 kB\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(4096));
        assert_eq!(status_kib(status, "VmSize:"), Some(12344));
        assert_eq!(status_kib(status, "VmSwap:"), None);
        assert_eq!(status_kib("VmRSS: lots", "VmRSS:"), None);
    }
}
