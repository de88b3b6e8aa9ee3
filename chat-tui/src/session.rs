//! The saved session: the token kept between runs.
//!
//! The file is created 0600 inside a 0700 directory, and written to a
//! temporary file renamed into place, so the token is never readable by
//! others, not even for a moment, and never half-written.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// What is kept on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// The server the token belongs to; another server ignores it.
    pub server: String,
    pub username: String,
    pub token: String,
}

/// Makes the directory (0700) if needed and tightens it if it exists.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

/// Writes the session file (0600).
pub fn save(file: &Path, saved: &Saved) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    ensure_private_dir(dir)?;
    let tmp = file.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(&serde_json::to_vec(saved).map_err(std::io::Error::other)?)?;
    f.sync_all()?;
    fs::rename(&tmp, file)
}

/// Reads the session for `server`, if one was saved for it.
pub fn load(file: &Path, server: &str) -> Option<Saved> {
    let saved: Saved = serde_json::from_slice(&fs::read(file).ok()?).ok()?;
    (saved.server == server).then_some(saved)
}

/// Deletes the session file; a missing file is fine.
pub fn delete(file: &Path) -> std::io::Result<()> {
    match fs::remove_file(file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_is_private_and_round_trips() {
        let base = std::env::temp_dir().join(format!("chat-tui-session-{}", std::process::id()));
        let file = base.join("state/session.json");
        let saved = Saved {
            server: "http://h:1".into(),
            username: "alice".into(),
            token: "secret".into(),
        };
        save(&file, &saved).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
        assert_eq!(load(&file, "http://h:1"), Some(saved));
        assert_eq!(load(&file, "http://other:1"), None);
        delete(&file).unwrap();
        assert_eq!(load(&file, "http://h:1"), None);
        delete(&file).unwrap();
        fs::remove_dir_all(base).unwrap();
    }
}
