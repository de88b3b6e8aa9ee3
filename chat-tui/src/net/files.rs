//! Uploads and downloads. Both stream: a file goes out in chunks read as
//! the request needs them (reporting progress on the way) and an
//! attachment is written to disk as it arrives, so neither is ever whole
//! in memory. A download never replaces an existing file: it takes the
//! first free name (`report (1).pdf`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chat_wire::files::{FileInfo, FileResponse};
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::rest::{Failure, Res, Rest};
use super::{NetEvent, RestResult};
use crate::strings;

/// How much of a file is read per chunk of the request body.
const CHUNK: usize = 64 * 1024;

/// The slowest transfer we wait for, in bytes per second: a transfer
/// gets 20 s plus the time this rate needs for its size.
const SLOWEST_RATE: u64 = 50 * 1024;

/// How long a transfer of `size` bytes may take before it is given up.
fn time_for(size: u64) -> Duration {
    Duration::from_secs(20 + size / SLOWEST_RATE)
}

/// `~/x` under `home`; anything else as typed.
pub fn expand(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// Uploads the file at `path` (job `job`), then reports what the server
/// stored, or why it did not.
pub async fn upload(
    rest: Rest,
    token: Option<String>,
    job: u64,
    path: String,
    tx: mpsc::Sender<NetEvent>,
) {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let path = expand(&path, home.as_deref());
    let result = match send_file(&rest, token.as_deref(), job, &path, &tx).await {
        Ok(file) => RestResult::Uploaded {
            job,
            file: Box::new(file),
        },
        Err(Failure::Unauthorized) => RestResult::Unauthorized,
        Err(Failure::Other(message)) => RestResult::UploadFailed { job, message },
    };
    let _ = tx.send(NetEvent::Rest(result)).await;
}

async fn send_file(
    rest: &Rest,
    token: Option<&str>,
    job: u64,
    path: &Path,
    tx: &mpsc::Sender<NetEvent>,
) -> Res<FileInfo> {
    let shown = path.display().to_string();
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| Failure::Other(strings::cannot_read(&shown, &e)))?;
    let meta = file
        .metadata()
        .await
        .map_err(|e| Failure::Other(strings::cannot_read(&shown, &e)))?;
    if !meta.is_file() {
        return Err(Failure::Other(strings::not_a_file(&shown)));
    }
    let total = meta.len();
    let name = path
        .file_name()
        .map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned());
    let progress = tx.clone();
    // The file is read only as fast as the request sends it; each whole
    // percent sent is reported once.
    let chunks = futures_util::stream::unfold(Some((file, 0u64, 0u64)), move |open| {
        let progress = progress.clone();
        async move {
            let (mut file, sent, shown_pct) = open?;
            let mut buf = vec![0u8; CHUNK];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    let sent = sent + n as u64;
                    let pct = sent * 100 / total.max(1);
                    if pct > shown_pct {
                        let ev = RestResult::UploadProgress { job, sent, total };
                        let _ = progress.send(NetEvent::Rest(ev)).await;
                    }
                    Some((Ok(buf), Some((file, sent, pct.max(shown_pct)))))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    });
    let request = rest
        .req(Method::POST, "/files", token)
        .query(&[("name", name.as_str())])
        // Declared up front so a file over the limit is refused at once.
        .header(reqwest::header::CONTENT_LENGTH, total)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .timeout(time_for(total))
        .body(reqwest::Body::wrap_stream(chunks));
    let res = rest.send(request).await?;
    let body: FileResponse = res
        .json()
        .await
        .map_err(|e| Failure::Other(e.to_string()))?;
    Ok(body.file)
}

/// Saves attachment `file` into `dir`, then reports where.
pub async fn download(
    rest: Rest,
    token: Option<String>,
    file: FileInfo,
    dir: PathBuf,
    tx: mpsc::Sender<NetEvent>,
) {
    let result = match save(&rest, token.as_deref(), &file, &dir).await {
        Ok(path) => RestResult::Saved { path },
        Err(Failure::Unauthorized) => RestResult::Unauthorized,
        Err(Failure::Other(message)) => RestResult::Failed {
            what: "open",
            message,
        },
    };
    let _ = tx.send(NetEvent::Rest(result)).await;
}

async fn save(rest: &Rest, token: Option<&str>, file: &FileInfo, dir: &Path) -> Res<PathBuf> {
    let path = format!("/files/{}", file.id);
    let size = u64::try_from(file.size).unwrap_or(0);
    let mut res = rest
        .send(rest.req(Method::GET, &path, token).timeout(time_for(size)))
        .await?;
    let io =
        |e: std::io::Error| Failure::Other(strings::cannot_save(&dir.display().to_string(), &e));
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    let (path, mut out) = create_unique(dir, &safe_name(&file.name))
        .await
        .map_err(io)?;
    let written = async {
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?
        {
            out.write_all(&chunk).await?;
        }
        out.flush().await
    };
    if let Err(e) = written.await {
        // Half a file under a real name would pass for the whole one.
        let _ = tokio::fs::remove_file(&path).await;
        return Err(io(e));
    }
    Ok(path)
}

/// Creates the first free name in `dir` for `name`: `name`, then
/// `stem (1).ext`, `stem (2).ext`… Creating it is the check, so a file
/// that appears meanwhile is never overwritten.
async fn create_unique(dir: &Path, name: &str) -> std::io::Result<(PathBuf, tokio::fs::File)> {
    for n in 0..10_000 {
        let path = dir.join(numbered(name, n));
        match tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free file name"))
}

/// `name` with ` (n)` before its extensions (n > 0): `a (2).tar.gz`.
pub fn numbered(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_owned();
    }
    // A leading dot starts a hidden name, not an extension.
    let first = name.chars().next().map_or(0, char::len_utf8);
    match name[first..].find('.') {
        Some(i) => {
            let (stem, ext) = name.split_at(first + i);
            format!("{stem} ({n}){ext}")
        }
        None => format!("{name} ({n})"),
    }
}

/// A name the server sent, made safe to create in a directory: no
/// directory part, no control characters, never `.`, `..` or empty.
pub fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean == "." || clean == ".." {
        "download".to_owned()
    } else {
        clean.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_the_server_stay_in_the_directory() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("a\\b\\c.txt"), "c.txt");
        assert_eq!(safe_name("bad\nname\u{7}.txt"), "badname.txt");
        for empty in ["", "..", ".", "dir/", " "] {
            assert_eq!(safe_name(empty), "download", "{empty:?}");
        }
    }

    #[test]
    fn taken_names_get_a_number_before_the_extension() {
        assert_eq!(numbered("report.pdf", 0), "report.pdf");
        assert_eq!(numbered("report.pdf", 1), "report (1).pdf");
        assert_eq!(numbered("a.tar.gz", 2), "a (2).tar.gz");
        assert_eq!(numbered("README", 3), "README (3)");
        assert_eq!(numbered(".bashrc", 1), ".bashrc (1)");
        assert_eq!(numbered("été.txt", 1), "été (1).txt");
    }

    #[test]
    fn a_tilde_means_home() {
        let home = Path::new("/home/alice");
        assert_eq!(expand("~/x.png", Some(home)), home.join("x.png"));
        assert_eq!(expand("x.png", Some(home)), PathBuf::from("x.png"));
        assert_eq!(expand("~/x.png", None), PathBuf::from("~/x.png"));
    }

    #[tokio::test]
    async fn a_download_never_replaces_a_file() {
        let dir = std::env::temp_dir().join(format!("chat-tui-unique-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        let (path, _) = create_unique(&dir, "notes.txt").await.unwrap();
        assert_eq!(path, dir.join("notes (1).txt"));
        let (path, _) = create_unique(&dir, "notes.txt").await.unwrap();
        assert_eq!(path, dir.join("notes (2).txt"));
        assert_eq!(
            std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
            "mine"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
