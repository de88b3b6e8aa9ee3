//! Measurement: CPU time by process (chatd, PostgreSQL, these clients,
//! the whole machine) read from /proc, chatd's memory, the clock the
//! latency figures use, and settling the database between runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Lets the database catch up on what the previous scenario left (dead
/// rows to vacuum, dirty pages to write), so autovacuum and a checkpoint
/// do not land in the middle of the next one.
pub async fn settle(url: &str) {
    let Ok((db, conn)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await else {
        return;
    };
    tokio::spawn(conn);
    // CHECKPOINT needs a superuser (or pg_checkpoint); without it, vacuum only.
    let _ = db
        .batch_execute("VACUUM (ANALYZE) messages, room_events, rooms")
        .await;
    let _ = db.batch_execute("CHECKPOINT").await;
}

/// Wall-clock microseconds: senders put them in the message body, so a
/// receiver on another task can tell the latency.
pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// CPU seconds (user + system) the process has used.
fn cpu_seconds(pid: u32) -> f64 {
    stat_cpu_seconds(&std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default())
}

/// CPU seconds used by every PostgreSQL server process on this machine,
/// with those of its exited children: a connection closed during a run
/// (the raw baseline's) took its backend's CPU out of the live processes,
/// and the kernel added it to the postmaster's children's times.
fn postgres_cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
        .filter(|stat| stat.contains("(postgres)"))
        .map(|stat| stat_cpu_seconds(&stat) + stat_children_cpu_seconds(&stat))
        .sum()
}

/// Where the CPU went during a run: chatd, PostgreSQL, and these clients.
pub struct CpuSplit {
    pid: u32,
    chatd: f64,
    postgres: f64,
    clients: f64,
    machine: f64,
}

impl CpuSplit {
    pub fn start(pid: u32) -> Self {
        Self {
            pid,
            chatd: cpu_seconds(pid),
            postgres: postgres_cpu_seconds(),
            clients: cpu_seconds(std::process::id()),
            machine: machine_busy_seconds(),
        }
    }

    /// chatd's CPU microseconds per unit of work.
    pub fn chatd_per(&self, units: f64) -> f64 {
        (cpu_seconds(self.pid) - self.chatd) / units.max(1.0) * 1e6
    }

    /// CPU microseconds per unit of work (a send, a delivery), by process.
    pub fn per(&self, units: f64) -> String {
        let per = |s: f64| s / units.max(1.0) * 1e6;
        format!(
            "CPU: chatd {:.0} us, PostgreSQL {:.0} us, clients {:.0} us; whole machine {:.0} us",
            per(cpu_seconds(self.pid) - self.chatd),
            per(postgres_cpu_seconds() - self.postgres),
            per(cpu_seconds(std::process::id()) - self.clients),
            per(machine_busy_seconds() - self.machine),
        )
    }
}

/// CPU seconds every core of the machine has spent busy (not idle or
/// waiting for I/O).
fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().next() else {
        return 0.0;
    };
    let ticks: Vec<f64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let busy: f64 = ticks
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    busy / 100.0
}

/// utime + stime of a `/proc/PID/stat` line (fields 14 and 15).
fn stat_cpu_seconds(stat: &str) -> f64 {
    stat_ticks(stat, 14) + stat_ticks(stat, 15)
}

/// cutime + cstime (fields 16 and 17): the exited children's CPU.
fn stat_children_cpu_seconds(stat: &str) -> f64 {
    stat_ticks(stat, 16) + stat_ticks(stat, 17)
}

/// Field `n` (numbered from 1, as proc(5) does) in seconds.
fn stat_ticks(stat: &str, n: usize) -> f64 {
    // Counted after the parenthesised name, which may hold spaces: it ends
    // field 2.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: f64 = after
        .split_whitespace()
        .nth(n - 3)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    ticks / 100.0
}

/// The process's resident memory in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Waits for a run's load tasks; the units they counted in `done` per
/// second, and where the CPU went per unit.
pub async fn finish(
    pid: u32,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
    done: &AtomicU64,
) -> anyhow::Result<(f64, String)> {
    let cpu = CpuSplit::start(pid);
    let start = Instant::now();
    for t in tasks {
        t.await??;
    }
    let done = done.load(Ordering::Relaxed) as f64;
    Ok((done / start.elapsed().as_secs_f64(), cpu.per(done)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_a_name_with_spaces() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
        // majflt cmajflt utime stime cutime cstime ...
        let stat = "42 (postgres: a b) S 1 42 42 0 -1 4194560 10 0 0 0 250 50 1200 300 20 0";
        assert_eq!(stat_cpu_seconds(stat), 3.0);
        assert_eq!(stat_children_cpu_seconds(stat), 15.0);
    }
}
