//! The pieces of the end-to-end test: a chatd process, a tmux session
//! running chat-tui, and a temporary home. Each cleans up when dropped,
//! also when the test fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `target/debug/chatd`, beside the directory holding this test binary.
fn chatd_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/debug/deps/<test>");
    let path = dir.join("chatd");
    assert!(
        path.exists(),
        "{} is missing: build it first (cargo build -p chatd, or scripts/dev test)",
        path.display()
    );
    path
}

/// A running chatd.
pub struct Chatd {
    child: Option<Child>,
    pub base: String,
    /// Its uploaded files, removed with it.
    _data: TempDir,
}

impl Chatd {
    /// Starts chatd on `port` and waits until it is ready. A port just
    /// freed by a killed chatd may take a moment to bind again.
    pub async fn start(db_url: &str, port: u16) -> Self {
        let base = format!("http://127.0.0.1:{port}");
        let data = TempDir::new(&format!("chatd-data-{port}"));
        let data_dir = data.path.join("files");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut child = Command::new(chatd_binary())
                .args([
                    "--database-url",
                    db_url,
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                    "--data-dir",
                ])
                .arg(&data_dir)
                .env_remove("CHATD_CONFIG")
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chatd starts");
            loop {
                if let Ok(res) = reqwest::get(format!("{base}/readyz")).await
                    && res.status() == 200
                {
                    return Self {
                        child: Some(child),
                        base,
                        _data: data,
                    };
                }
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "chatd did not become ready on {base}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(Instant::now() < deadline, "chatd keeps exiting on {base}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Kills it without warning (no close frames): like a crash.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Chatd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A directory removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let path =
            std::env::temp_dir().join(format!("chat-tui-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        Self { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Asserts a file is 0600 in a 0700 directory.
pub fn assert_private(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(file), 0o600, "{}", file.display());
    assert_eq!(mode(file.parent().unwrap()), 0o700);
}

/// chat-tui in a detached tmux session on its own tmux server.
pub struct Tmux {
    socket: String,
    /// chat-tui's log, shown when a wait times out.
    log: PathBuf,
}

impl Tmux {
    /// Starts chat-tui at 100×30 with its XDG directories (state, config,
    /// downloads) under `home`.
    pub fn start(tag: &str, home: &TempDir, server: &str) -> Self {
        let socket = format!("chat-tui-e2e-{}-{tag}", std::process::id());
        let h = home.path.display();
        let cmd = format!(
            "env XDG_STATE_HOME={h}/state XDG_CONFIG_HOME={h}/config XDG_DOWNLOAD_DIR={h}/downloads CHAT_TUI_LOG=debug TERM=xterm-256color {} --server {server}",
            env!("CARGO_BIN_EXE_chat-tui")
        );
        let t = Self {
            socket,
            log: home.path.join("state/chat-tui/chat-tui.log"),
        };
        let ok = t
            .tmux(&[
                "new-session",
                "-d",
                "-s",
                "tui",
                "-x",
                "100",
                "-y",
                "30",
                &cmd,
            ])
            .status
            .success();
        assert!(ok, "tmux could not start (is tmux installed?)");
        t
    }

    /// An interactive shell at 100×30 whose environment points chat-tui's
    /// XDG directories under `home`; the pane outlives the programs run in it.
    pub fn shell(tag: &str, home: &TempDir) -> Self {
        let socket = format!("chat-tui-e2e-{}-{tag}", std::process::id());
        let h = home.path.display();
        let cmd = format!(
            "env XDG_STATE_HOME={h}/state XDG_CONFIG_HOME={h}/config TERM=xterm-256color PS1='$ ' bash --norc --noprofile -i"
        );
        let t = Self {
            socket,
            log: home.path.join("state/chat-tui/chat-tui.log"),
        };
        let ok = t
            .tmux(&[
                "new-session",
                "-d",
                "-s",
                "tui",
                "-x",
                "100",
                "-y",
                "30",
                &cmd,
            ])
            .status
            .success();
        assert!(ok, "tmux could not start (is tmux installed?)");
        t
    }

    /// The pid of the program running in the pane's shell.
    pub fn child_pid(&self) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", "tui", "#{pane_pid}"]);
        let shell = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let out = Command::new("pgrep")
            .args(["-P", &shell])
            .output()
            .expect("pgrep runs");
        let pid = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(!pid.is_empty(), "no program runs in the shell");
        pid
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// Types text literally.
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "tui", "-l", text]);
    }

    /// Presses named keys (`Enter`, `C-c`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "tui"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// The screen as text.
    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "tui"]).stdout)
            .into_owned()
    }

    /// Polls the screen until `ok` holds; fails with the screen after 30 s.
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.capture();
            if ok(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                // The log says what the screen cannot (failed requests).
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(30)..].join("\n");
                panic!(
                    "timed out waiting for {what}; the screen:\n{screen}\nthe log's end:\n{tail}"
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the program to exit (its tmux session then ends).
    pub fn wait_gone(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.tmux(&["has-session", "-t", "tui"]).status.success() {
            assert!(
                Instant::now() < deadline,
                "chat-tui did not exit:\n{}",
                self.capture()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
