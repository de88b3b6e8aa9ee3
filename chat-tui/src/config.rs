//! Configuration file and the directories chat-tui keeps its files in.
//!
//! The config is optional: a missing file means defaults. Paths follow the
//! XDG base directory spec, falling back to `~/.config` and `~/.local/state`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Settings from `config.toml`. Unknown keys are refused so a typo is
/// noticed rather than silently ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Server base URL, used when `--server` is not given.
    pub server: Option<String>,
    /// Ring the terminal bell on a mention or a direct message.
    pub bell: bool,
    /// A paste with more lines than this asks before it is inserted.
    pub paste_confirm_lines: usize,
    /// Capture the mouse (wheel scrolling); off leaves selection to the terminal.
    pub mouse: bool,
    /// Extra certificates (PEM) to trust for an https:// server.
    pub ca_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            server: None,
            bell: true,
            paste_confirm_lines: 5,
            mouse: true,
            ca_file: None,
        }
    }
}

impl Config {
    /// Reads the file; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Parses config text.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

/// Where chat-tui's files live.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_file: PathBuf,
    /// Holds the session token and the log; created 0700.
    pub state_dir: PathBuf,
    /// Where `/open` saves attachments.
    pub download_dir: PathBuf,
}

impl Paths {
    /// Resolves the paths from `XDG_CONFIG_HOME`, `XDG_STATE_HOME`,
    /// `XDG_DOWNLOAD_DIR` and `HOME`.
    pub fn from_env(config_override: Option<PathBuf>) -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let xdg = |var: &str, fallback: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| home.join(fallback))
        };
        let config_file = config_override
            .unwrap_or_else(|| xdg("XDG_CONFIG_HOME", ".config").join("chat-tui/config.toml"));
        Self {
            config_file,
            state_dir: xdg("XDG_STATE_HOME", ".local/state").join("chat-tui"),
            download_dir: xdg("XDG_DOWNLOAD_DIR", "Downloads"),
        }
    }

    /// The session token file.
    pub fn session_file(&self) -> PathBuf {
        self.state_dir.join("session.json")
    }

    /// The log file.
    pub fn log_file(&self) -> PathBuf {
        self.state_dir.join("chat-tui.log")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_defaults_and_typos_are_refused() {
        let c = Config::parse("").unwrap();
        assert!(c.bell);
        assert_eq!(c.paste_confirm_lines, 5);
        let c = Config::parse("bell = false\nserver = \"http://x:1\"").unwrap();
        assert!(!c.bell);
        assert_eq!(c.server.as_deref(), Some("http://x:1"));
        assert!(Config::parse("bel = false").is_err());
    }

    #[test]
    fn missing_file_means_defaults() {
        let c = Config::load(Path::new("/nonexistent/chat-tui/config.toml")).unwrap();
        assert!(c.mouse);
    }
}
