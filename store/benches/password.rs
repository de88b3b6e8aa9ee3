//! How long one login's password work takes: argon2id with the parameters
//! chatd uses (OWASP: m = 19 MiB, t = 2, p = 1), and how many logins per
//! second the hasher sustains when every core is busy.
//!
//! Run with `cargo bench -p chat-store --bench password`.

use std::time::{Duration, Instant};

use chat_store::password::{HashParams, PasswordHasher};

const SAMPLES: usize = 40;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let hasher = PasswordHasher::new(HashParams::default());
        let stored = hasher.hash("correct horse battery staple").await.unwrap();

        // One at a time: the latency a single login sees.
        let mut times = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            let start = Instant::now();
            assert!(
                hasher
                    .verify("correct horse battery staple", Some(&stored))
                    .await
                    .unwrap()
            );
            times.push(start.elapsed());
        }
        times.sort();
        let median = times[SAMPLES / 2];
        let p90 = times[SAMPLES * 9 / 10];
        println!(
            "argon2id verify, sequential: median {median:.1?}, p90 {p90:.1?} ({SAMPLES} samples)"
        );

        // A burst: many logins at once, queued behind the hasher's semaphore.
        let burst = 64;
        let start = Instant::now();
        let tasks: Vec<_> = (0..burst)
            .map(|_| {
                let hasher = hasher.clone();
                let stored = stored.clone();
                tokio::spawn(async move { hasher.verify("wrong password", Some(&stored)).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let elapsed = start.elapsed();
        println!(
            "argon2id verify, burst of {burst}: {:.1?} in all, {:.0} verifies/s on {} cores",
            elapsed,
            burst as f64 / elapsed.as_secs_f64(),
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );

        // While the burst runs, the async runtime stays free for others.
        let hasher2 = hasher.clone();
        let stored2 = stored.clone();
        let load = tokio::spawn(async move {
            let tasks: Vec<_> = (0..burst)
                .map(|_| {
                    let h = hasher2.clone();
                    let s = stored2.clone();
                    tokio::spawn(async move { h.verify("x", Some(&s)).await })
                })
                .collect();
            for t in tasks {
                t.await.unwrap().unwrap();
            }
        });
        let mut worst = Duration::ZERO;
        while !load.is_finished() {
            let tick = Instant::now();
            tokio::time::sleep(Duration::from_millis(1)).await;
            worst = worst.max(tick.elapsed());
        }
        println!("runtime timer lateness during the burst: worst {worst:.1?} for a 1 ms sleep");
    });
}
