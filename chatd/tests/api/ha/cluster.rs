//! The Patroni cluster scripts/ha-test started, as the fault test sees it:
//! which node leads, and the faults it injects into a node.

use std::process::Command;
use std::time::{Duration, Instant};

/// One PostgreSQL node under Patroni.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub pg_port: u16,
    pub rest_port: u16,
    /// Holds `data/` and `patroni.pid`.
    pub dir: String,
}

/// How long a fault may take to heal before the test gives up.
const HEAL: Duration = Duration::from_secs(120);

/// The nodes from `CHAT_HA_NODES` (`name:pg_port:rest_port:dir,...`).
pub fn nodes() -> Vec<Node> {
    let spec = std::env::var("CHAT_HA_NODES").expect("CHAT_HA_NODES (set by scripts/ha-test)");
    spec.split(',')
        .map(|node| {
            let mut parts = node.splitn(4, ':');
            let mut next = || parts.next().expect("name:pg_port:rest_port:dir").to_owned();
            Node {
                name: next(),
                pg_port: next().parse().unwrap(),
                rest_port: next().parse().unwrap(),
                dir: next(),
            }
        })
        .collect()
}

impl Node {
    /// What Patroni's REST API answers on `path` (`/primary` is 200 on the
    /// leader only, `/sync` on the synchronous standby only).
    pub async fn answers(&self, path: &str) -> bool {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let url = format!("http://127.0.0.1:{}{path}", self.rest_port);
        matches!(http.get(url).send().await, Ok(r) if r.status() == 200)
    }

    pub fn postmaster(&self) -> u32 {
        let pid = std::fs::read_to_string(format!("{}/data/postmaster.pid", self.dir))
            .expect("the node's postmaster.pid");
        pid.lines().next().unwrap().trim().parse().unwrap()
    }

    /// Every process of the node: Patroni, the postmaster and its children.
    pub fn processes(&self) -> Vec<u32> {
        let patroni = std::fs::read_to_string(format!("{}/patroni.pid", self.dir)).unwrap();
        let postmaster = self.postmaster();
        let children = Command::new("pgrep")
            .args(["-P", &postmaster.to_string()])
            .output()
            .unwrap();
        let mut pids = vec![patroni.trim().parse().unwrap(), postmaster];
        pids.extend(
            String::from_utf8_lossy(&children.stdout)
                .lines()
                .filter_map(|l| l.trim().parse::<u32>().ok()),
        );
        pids
    }

    /// The walsender feeding the standby, read on this (primary) node.
    pub async fn walsender(&self) -> u32 {
        let url = format!("postgres://postgres@127.0.0.1:{}/postgres", self.pg_port);
        let db = chat_store::connect_once(&url).await.unwrap();
        let row = db
            .query_one("SELECT pid FROM pg_stat_replication LIMIT 1", &[])
            .await
            .expect("the primary streams to a standby");
        u32::try_from(row.get::<_, i32>(0)).unwrap()
    }
}

/// Sends `signal` (KILL, STOP, CONT) to each process.
pub fn signal(signal: &str, pids: &[u32]) {
    let mut command = Command::new("kill");
    command.arg(format!("-{signal}"));
    command.args(pids.iter().map(u32::to_string));
    let status = command.status().unwrap();
    assert!(status.success(), "kill -{signal} {pids:?}");
}

/// The node Patroni made primary, once exactly one is (waits for it).
pub async fn leader(nodes: &[Node]) -> Node {
    let deadline = Instant::now() + HEAL;
    loop {
        let mut leaders = Vec::new();
        for node in nodes {
            if node.answers("/primary").await {
                leaders.push(node.clone());
            }
        }
        if leaders.len() == 1 {
            return leaders.remove(0);
        }
        assert!(Instant::now() < deadline, "no single leader: {leaders:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A leader other than `old` (waits for the failover).
pub async fn new_leader(nodes: &[Node], old: &Node) -> Node {
    let deadline = Instant::now() + HEAL;
    loop {
        let leader = leader(nodes).await;
        if leader.name != old.name {
            return leader;
        }
        assert!(
            Instant::now() < deadline,
            "{} is still the leader",
            old.name
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the cluster is whole again: a leader and every other node
/// replicating (as the synchronous standby when `synchronous`), so the next
/// fault starts from a protected state.
pub async fn whole(nodes: &[Node], synchronous: bool) {
    let deadline = Instant::now() + HEAL;
    let standby = if synchronous { "/sync" } else { "/replica" };
    loop {
        let leader = leader(nodes).await;
        let mut ready = true;
        for node in nodes.iter().filter(|n| n.name != leader.name) {
            ready &= node.answers(standby).await;
        }
        if ready {
            return;
        }
        assert!(Instant::now() < deadline, "the cluster did not heal");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// `patronictl switchover` from `leader` to `candidate`, without asking.
pub fn switchover(leader: &Node, candidate: &Node) {
    let config = std::env::var("CHAT_HA_PATRONI_CONFIG").unwrap();
    let status = Command::new("patronictl")
        .args(["-c", &config, "switchover", "--force"])
        .args(["--leader", &leader.name, "--candidate", &candidate.name])
        .status()
        .unwrap();
    assert!(status.success(), "patronictl switchover failed");
}
