//! The process collector: this process's (or another's) CPU time, memory, open file
//! descriptors and start time, read from `/proc` at every scrape, under the names and help
//! texts prometheus_client's `ProcessCollector` exposes.
//!
//! Reading `/proc` is I/O, so it lives here and not in the core. On systems without `/proc`
//! the collector exposes nothing, as prometheus_client's does.

use fastprom::{Collector, MetricFamily, MetricType, Result};

/// Which process a [`ProcessCollector`] reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The calling process (`/proc/self`).
    Myself,
    /// Another process, by id.
    Pid(i32),
}

/// Exposes `process_virtual_memory_bytes`, `process_resident_memory_bytes`,
/// `process_start_time_seconds`, `process_cpu_seconds_total`, `process_open_fds` and
/// `process_max_fds` (each name prefixed with `<namespace>_` when a namespace is given).
///
/// A file of `/proc` that cannot be read at a scrape drops the families it feeds from
/// that scrape only; the scrape itself does not fail.
///
/// ```
/// use fastprom::{expose, EscapingScheme, Registry};
/// use fastprom_net::ProcessCollector;
///
/// let registry = Registry::new();
/// registry.register(ProcessCollector::new(""))?;
/// let text = String::from_utf8(expose::encode_text(&registry, EscapingScheme::Underscores)?).unwrap();
/// # #[cfg(target_os = "linux")]
/// assert!(text.contains("# TYPE process_cpu_seconds_total counter\n"));
/// # Ok::<(), fastprom::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ProcessCollector {
    prefix: String,
    target: Target,
}

impl ProcessCollector {
    /// A collector for the calling process; `namespace` ("" for none) goes before
    /// `process_`.
    pub fn new(namespace: &str) -> Self {
        let prefix = if namespace.is_empty() { "process_".to_owned() } else { format!("{namespace}_process_") };
        Self { prefix, target: Target::Myself }
    }

    /// A collector for the process `pid`.
    pub fn for_pid(namespace: &str, pid: i32) -> Self {
        Self { target: Target::Pid(pid), ..Self::new(namespace) }
    }

    fn gauge(&self, name: &str, help: &str, value: f64) -> Result<MetricFamily> {
        let mut f = MetricFamily::new(&format!("{}{name}", self.prefix), help, MetricType::Gauge, "")?;
        f.add_value(&[], value, None);
        Ok(f)
    }
}

#[cfg(target_os = "linux")]
impl Collector for ProcessCollector {
    fn collect(&self) -> Result<Vec<MetricFamily>> {
        use procfs::process::{LimitValue, Process};

        let Ok(boot) = procfs::boot_time_secs() else { return Ok(Vec::new()) };
        let process = match self.target {
            Target::Myself => Process::myself(),
            Target::Pid(pid) => Process::new(pid),
        };
        let Ok(process) = process else { return Ok(Vec::new()) };
        let ticks = procfs::ticks_per_second() as f64;
        let mut out = Vec::with_capacity(6);
        if let Ok(stat) = process.stat() {
            let rss = stat.rss as f64 * procfs::page_size() as f64;
            let started = stat.starttime as f64 / ticks + boot as f64;
            let cpu = stat.utime as f64 / ticks + stat.stime as f64 / ticks;
            out.push(self.gauge("virtual_memory_bytes", "Virtual memory size in bytes.", stat.vsize as f64)?);
            out.push(self.gauge("resident_memory_bytes", "Resident memory size in bytes.", rss)?);
            out.push(self.gauge(
                "start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                started,
            )?);
            let mut c = MetricFamily::counter(
                &format!("{}cpu_seconds_total", self.prefix),
                "Total user and system CPU time spent in seconds.",
                "",
            )?;
            c.add_counter(&[], cpu, None, None, None);
            out.push(c);
        }
        if let (Ok(limits), Ok(open)) = (process.limits(), process.fd_count()) {
            let max = match limits.max_open_files.soft_limit {
                LimitValue::Value(v) => v as f64,
                LimitValue::Unlimited => f64::INFINITY,
            };
            out.push(self.gauge("open_fds", "Number of open file descriptors.", open as f64)?);
            out.push(self.gauge("max_fds", "Maximum number of open file descriptors.", max)?);
        }
        Ok(out)
    }
}

#[cfg(not(target_os = "linux"))]
impl Collector for ProcessCollector {
    fn collect(&self) -> Result<Vec<MetricFamily>> {
        Ok(Vec::new())
    }
}

#[cfg(all(test, target_os = "linux"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn value(families: &[MetricFamily], name: &str) -> f64 {
        let f = families.iter().find(|f| f.samples.iter().any(|s| s.name == name)).unwrap();
        f.samples.iter().find(|s| s.name == name).unwrap().value
    }

    #[test]
    fn reports_this_process() {
        let families = ProcessCollector::new("").collect().unwrap();
        assert_eq!(families.len(), 6);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
        let started = value(&families, "process_start_time_seconds");
        assert!(started > now - 24.0 * 3600.0 && started <= now + 1.0, "{started} vs {now}");
        assert!(value(&families, "process_resident_memory_bytes") > 1e5);
        assert!(value(&families, "process_virtual_memory_bytes") >= value(&families, "process_resident_memory_bytes"));
        let fds = value(&families, "process_open_fds");
        assert!(value(&families, "process_max_fds") >= fds);
        // Other tests open files too, so check a lower bound that only ours can explain.
        let held: Vec<_> = (0..64).map(|_| std::fs::File::open("/proc/self/stat").unwrap()).collect();
        assert!(value(&ProcessCollector::new("").collect().unwrap(), "process_open_fds") >= 64.0);
        drop(held);
        assert!(value(&families, "process_cpu_seconds_total") >= 0.0);
    }

    #[test]
    fn namespace_and_other_processes() {
        let families = ProcessCollector::new("app").collect().unwrap();
        assert!(families.iter().all(|f| f.name.starts_with("app_process_")));
        // No such process: nothing, and no error.
        assert!(ProcessCollector::for_pid("", i32::MAX).collect().unwrap().is_empty());
        let me = ProcessCollector::for_pid("", std::process::id() as i32).collect().unwrap();
        assert_eq!(me.len(), 6);
    }
}
