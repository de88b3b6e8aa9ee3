//! The memory scenario: what a burst of failed logins and a 25 MiB upload
//! do to chatd's resident memory (issues 20 and 17). Memory is read from
//! /proc while the work runs, so the peak is seen, and again after chatd
//! has idled, so what it keeps is seen too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::json;

use crate::api::Api;
use crate::cli::Args;
use crate::measure::rss_kib;

/// The largest upload chatd takes by default (`--max-upload-bytes`).
const UPLOAD_BYTES: usize = 25 * 1024 * 1024;

pub async fn memory(api: &Api, args: &Args) -> anyhow::Result<()> {
    println!("== chatd memory: a burst of failed logins, then a 25 MiB upload");
    let base = rss_kib(args.pid);
    let peak = Peak::watch(args.pid);
    // As issue 20 measured it: 60 failed logins for unknown names, 12 at
    // a time. Each runs argon2 (19 MiB of working memory) against a dummy
    // hash so that unknown names cost as much as wrong passwords.
    let refused = futures_util::stream::iter(0..60)
        .map(|i| {
            async move {
                let body = json!({"username": format!("nobody{i}_{}", std::process::id()), "password": "not the password"});
                api.http
                    .post(format!("{}/api/v1/auth/login", api.base))
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            }
        })
        .buffer_unordered(12)
        .filter(|r| std::future::ready(matches!(r, Ok(400..))))
        .count()
        .await;
    let burst_peak = peak.take();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after_logins = rss_kib(args.pid);
    println!(
        "login burst ({refused} of 60 refused): RSS {base} KiB before, peak {burst_peak} KiB, {after_logins} KiB after 2 s idle (target: back near the baseline)"
    );

    let (token, _) = api.user().await?;
    let before = rss_kib(args.pid);
    let bytes: Vec<u8> = (0..UPLOAD_BYTES).map(|i| (i * 7 % 251) as u8).collect();
    let answer = api
        .http
        .post(format!("{}/api/v1/files?name=big.bin", api.base))
        .bearer_auth(&token)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await?;
    let status = answer.status();
    let upload_peak = peak.stop();
    anyhow::ensure!(
        status.as_u16() == 201,
        "upload refused: {status} {}",
        answer.text().await?
    );
    println!(
        "25 MiB upload: RSS {before} KiB before, peak {upload_peak} KiB during it (+{} KiB; target: a few MiB at most)",
        upload_peak.saturating_sub(before)
    );
    Ok(())
}

/// chatd's highest resident memory, sampled every 5 ms on a task of its
/// own until stopped.
struct Peak {
    max: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Peak {
    fn watch(pid: u32) -> Self {
        let max = Arc::new(AtomicU64::new(rss_kib(pid)));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, s) = (max.clone(), stop.clone());
        tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                m.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        Self { max, stop }
    }

    /// The peak so far, and a fresh start from now.
    fn take(&self) -> u64 {
        self.max.swap(0, Ordering::Relaxed)
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.take()
    }
}
