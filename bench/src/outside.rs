//! The outside receiver: `bench/outside/receiver.mjs`, a second receiver
//! written in another language (Node.js and its own WebSocket client), run
//! as its own process, so the end-to-end figure is also taken the way a
//! client that shares nothing with chat would take it.

use std::process::Stdio;

use anyhow::{Context as _, bail};
use serde_json::json;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// What the outside receiver reports at the end of a run.
#[derive(serde::Deserialize)]
pub struct Report {
    pub delivered: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    /// The receiver process's own CPU over the run.
    pub cpu_us: u64,
}

/// A running receiver process with every socket past `ready`.
pub struct Receivers {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

/// The receiver script, from the repository root (where scripts/bench runs).
const SCRIPT: &str = "bench/outside/receiver.mjs";

/// The first Node.js with a built-in WebSocket client (behind
/// `--experimental-websocket`).
const NODE_AT_LEAST: (u32, u32) = (20, 10);

/// Whether `node` is installed and new enough for the receiver.
async fn node_is_usable() -> bool {
    let Ok(out) = Command::new("node").arg("--version").output().await else {
        return false;
    };
    let version = String::from_utf8_lossy(&out.stdout);
    let mut parts = version.trim().trim_start_matches('v').split('.');
    let mut next = || parts.next().and_then(|p| p.parse::<u32>().ok());
    match (next(), next()) {
        (Some(major), Some(minor)) => (major, minor) >= NODE_AT_LEAST,
        _ => false,
    }
}

impl Receivers {
    /// Starts the receiver with one socket per token on chatd at `base`
    /// (an `http://` URL), each expecting `total` messages; returns once
    /// every socket is ready. `None` when Node.js is not installed or older
    /// than 20.10.
    pub async fn start(base: &str, tokens: &[String], total: u64) -> anyhow::Result<Option<Self>> {
        if !node_is_usable().await {
            return Ok(None);
        }
        let spawned = Command::new("node")
            .args(["--experimental-websocket", "--no-warnings", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).context("starting node"),
        };
        let url = format!("{}/api/v1/ws", base.replacen("http://", "ws://", 1));
        let request = json!({"url": url, "tokens": tokens, "total": total});
        let mut stdin = child.stdin.take().context("receiver stdin")?;
        stdin.write_all(format!("{request}\n").as_bytes()).await?;
        drop(stdin);
        let stdout = child.stdout.take().context("receiver stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        match lines.next_line().await? {
            Some(l) if l == "ready" => Ok(Some(Self { child, lines })),
            other => bail!("{SCRIPT} did not get ready: {other:?}"),
        }
    }

    /// Waits for the receiver's report.
    pub async fn finish(mut self) -> anyhow::Result<Report> {
        let line = self
            .lines
            .next_line()
            .await?
            .with_context(|| format!("{SCRIPT} ended without a report"))?;
        self.child.wait().await?;
        Ok(serde_json::from_str(&line)?)
    }
}
