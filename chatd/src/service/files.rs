//! Files: uploads (streamed to disk, hashed, sniffed, images cleaned),
//! downloads for those allowed to read them, and the sweep that removes
//! uploads nothing uses.

pub(crate) mod media;

use std::sync::Arc;
use std::time::Duration;

use bytes::Buf;
use chat_blobs::{BlobStore as _, LocalDir};
use chat_store::files::{self as store, Inserted, NewFile, Sweeper, Thumbnail};
use chat_store::sessions::SessionUser;
use chat_store::{Pool, StoreError};
use chat_wire::ErrorCode;
use chat_wire::files::FileInfo;
use futures_util::{Stream, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::Call;
use crate::config::FilesConfig;
use crate::error::ApiError;
use crate::state::AppState;

pub use media::inline_allowed;

/// Bytes kept from the start of an upload to tell its type.
pub const SNIFF_BYTES: usize = 8192;
/// Images decoded at once: each may take up to `media::MAX_DECODE_BYTES`.
const IMAGE_JOBS: usize = 2;
/// Files the sweep removes per transaction.
const SWEEP_BATCH: i64 = 500;

/// The blob store and the settings uploads follow.
#[derive(Debug)]
pub struct Files {
    pub blobs: LocalDir,
    pub config: FilesConfig,
    images: Semaphore,
}

impl Files {
    /// Opens the data directory (creating it 0700), clearing staging files
    /// a crash left behind.
    pub fn open(config: &FilesConfig) -> anyhow::Result<Self> {
        let blobs = LocalDir::open(&config.data_dir, true).map_err(|e| {
            anyhow::anyhow!(
                "cannot use the data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
        Ok(Self {
            blobs,
            config: config.clone(),
            images: Semaphore::new(IMAGE_JOBS),
        })
    }
}

/// Stores an upload for `me`. The body is streamed to a staging file and
/// hashed as it arrives; it is refused (413) as soon as it passes the
/// limit, and nothing of it stays behind.
pub async fn upload<S, B>(
    state: Arc<AppState>,
    me: SessionUser,
    name: Option<String>,
    declared_len: Option<u64>,
    body: S,
) -> Result<FileInfo, ApiError>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    state.limiter.write(me.user_id, me.rate_limit_exempt)?;
    let files = &state.files;
    let max = files.config.max_upload_bytes;
    let name = clean_name(name.as_deref())?;
    let mut body = std::pin::pin!(body);
    if declared_len.is_some_and(|len| len > max) {
        return Err(refuse(body, declared_len, max).await);
    }
    let mut staged = files.blobs.stage().await.map_err(io_error)?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|_| ApiError::invalid("could not read the request body"))?;
        while chunk.has_remaining() {
            let part = chunk.chunk();
            if staged.len() + part.len() as u64 > max {
                drop(staged);
                return Err(refuse(body, None, max).await);
            }
            let wanted = SNIFF_BYTES.saturating_sub(head.len()).min(part.len());
            head.extend_from_slice(&part[..wanted]);
            staged.write(part).await.map_err(io_error)?;
            let n = part.len();
            chunk.advance(n);
        }
    }
    if staged.is_empty() {
        return Err(ApiError::invalid("the file is empty"));
    }
    staged.finish().await.map_err(io_error)?;
    let content_type = media::sniff(&head);
    let mut dimensions = None;
    let mut thumbnail = None;
    if let Some(format) = media::image_format(&content_type) {
        let processed = {
            let _slot = files
                .images
                .acquire()
                .await
                .map_err(|_| ApiError::unavailable())?;
            let path = staged.path().to_path_buf();
            tokio::task::spawn_blocking(move || media::process(&path, format))
                .await
                .map_err(|e| io_error(std::io::Error::other(e)))?
        }
        .map_err(media_error)?;
        dimensions = Some((processed.width as i32, processed.height as i32));
        if let Some(clean) = processed.clean {
            // What is served is the copy without metadata.
            let mut copy = files.blobs.stage().await.map_err(io_error)?;
            copy.write(&clean).await.map_err(io_error)?;
            staged = copy;
        }
        let (bytes, thumb_type) = processed.thumbnail;
        let mut thumb = files.blobs.stage().await.map_err(io_error)?;
        thumb.write(&bytes).await.map_err(io_error)?;
        thumbnail = Some((thumb, thumb_type));
    }
    let size = staged.len() as i64;
    let quota = i64::try_from(files.config.quota_bytes).unwrap_or(i64::MAX);
    // Storing the blobs and the row that names them happens under the
    // shared sweep lock, so a sweep cannot delete a blob in between.
    let mut db = state.pool.get().await.map_err(StoreError::from)?;
    let tx = db.transaction().await.map_err(StoreError::from)?;
    store::lock_shared(&tx).await?;
    let sha256 = files.blobs.put(staged).await.map_err(io_error)?;
    let thumbnail = match thumbnail {
        Some((thumb, content_type)) => {
            let size = thumb.len() as i64;
            let sha256 = files.blobs.put(thumb).await.map_err(io_error)?;
            Some(Thumbnail {
                sha256,
                size,
                content_type: content_type.to_owned(),
            })
        }
        None => None,
    };
    let new = NewFile {
        uploader_id: me.user_id,
        name: &name,
        content_type: &content_type,
        sha256: &sha256,
        size,
        dimensions,
        thumbnail,
    };
    match store::insert(&tx, &new, quota).await? {
        Inserted::Stored(info) => {
            tx.commit().await.map_err(StoreError::from)?;
            Ok(info)
        }
        // The blobs stay until a sweep finds no row naming them.
        Inserted::OverQuota { used } => Err(ApiError::new(
            ErrorCode::QuotaExceeded,
            format!(
                "this upload ({size} bytes) would take your files past your quota of {quota} bytes ({used} used); delete messages with attachments or ask an admin"
            ),
        )),
    }
}

/// What a download sends.
#[derive(Debug)]
pub struct Blob {
    pub info: FileInfo,
    /// The type of the bytes sent (the thumbnail's, for a thumbnail).
    pub content_type: String,
    pub sha256: String,
    /// The whole blob's length.
    pub len: u64,
    /// The bytes of the range asked for.
    pub bytes: Vec<u8>,
    /// `Some((first, last))` when a range was asked for and sent.
    pub range: Option<(u64, u64)>,
}

/// A byte range asked for with `Range: bytes=...`.
#[derive(Debug, Clone, Copy)]
pub enum ByteRange {
    /// `first-` or `first-last` (inclusive; a last past the end is clamped).
    From(u64, Option<u64>),
    /// `-n`: the last n bytes.
    Suffix(u64),
}

/// A file (or its thumbnail) for someone allowed to read it; 404 for
/// everyone else, exactly as for a file that does not exist. Only the
/// range asked for is read from the blob.
pub async fn download(
    call: Call,
    file_id: i64,
    thumbnail: bool,
    range: Option<ByteRange>,
) -> Result<Blob, ApiError> {
    let not_found = || ApiError::not_found("no such file");
    let found = store::readable(&call.db, file_id, call.me.user_id)
        .await?
        .ok_or_else(not_found)?;
    drop(call.db);
    let (sha256, content_type) = if thumbnail {
        let thumb = found.thumbnail.ok_or_else(not_found)?;
        (thumb.sha256, thumb.content_type)
    } else {
        (found.info.sha256.clone(), found.info.content_type.clone())
    };
    let blobs = &call.state.files.blobs;
    let (mut file, len) = blobs.open(&sha256).await.map_err(|e| {
        tracing::error!(file_id, %sha256, error = %e, "a file's blob cannot be read");
        ApiError::internal()
    })?;
    let (first, last) = match range {
        None => (0, len.saturating_sub(1)),
        Some(range) => {
            let (first, last) = match range {
                ByteRange::From(first, last) => {
                    (first, last.unwrap_or(u64::MAX).min(len.saturating_sub(1)))
                }
                ByteRange::Suffix(n) => (len.saturating_sub(n), len.saturating_sub(1)),
            };
            if first >= len || first > last {
                return Err(ApiError::new(
                    ErrorCode::RangeNotSatisfiable,
                    format!("the range starts past the end ({len} bytes)"),
                ));
            }
            (first, last)
        }
    };
    let count = if len == 0 { 0 } else { last - first + 1 };
    let mut bytes = vec![0u8; count as usize];
    file.seek(std::io::SeekFrom::Start(first))
        .await
        .map_err(io_error)?;
    file.read_exact(&mut bytes).await.map_err(io_error)?;
    Ok(Blob {
        info: found.info,
        content_type,
        sha256,
        len,
        bytes,
        range: range.map(|_| (first, last)),
    })
}

/// Sweeps unused files every `sweep_interval` until `stop`; several
/// instances may run this, one sweeps at a time.
pub async fn sweep_forever(pool: Pool, files: Arc<Files>, stop: CancellationToken) {
    let every = files.config.sweep_interval;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match sweep(&pool, &files.blobs, files.config.grace).await {
            Ok(Some(n)) if n > 0 => tracing::info!(files = n, "swept unused files"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "file sweep failed; retrying later"),
        }
    }
}

/// One sweep: deletes files unused for `grace` and the blobs no row names
/// any more. `None` if another instance is sweeping.
pub async fn sweep(pool: &Pool, blobs: &LocalDir, grace: Duration) -> anyhow::Result<Option<u64>> {
    let Some(mut sweeper) = Sweeper::try_lock(pool.get().await?).await? else {
        return Ok(None);
    };
    let grace = i64::try_from(grace.as_secs()).unwrap_or(i64::MAX);
    let mut total = 0;
    loop {
        let swept = sweeper.sweep(grace, SWEEP_BATCH).await?;
        // Still under the lock: no upload can name these blobs again yet.
        for sha in &swept.blobs {
            blobs.delete(sha).await?;
        }
        total += swept.files;
        if swept.files < SWEEP_BATCH as u64 {
            break;
        }
    }
    sweeper.unlock().await?;
    Ok(Some(total))
}

/// The client's name without any directory part or control characters.
pub fn clean_name(name: Option<&str>) -> Result<String, ApiError> {
    let raw = name.unwrap_or("file");
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        return Err(ApiError::invalid("name must name a file"));
    }
    if cleaned.chars().count() > 255 {
        return Err(ApiError::invalid("name must be at most 255 characters"));
    }
    Ok(cleaned.to_owned())
}

/// Bytes of an oversized body still read (and thrown away) before the 413,
/// so that a proxy still sending it gets the answer instead of a broken
/// connection (which Apache would turn into a 502).
const DRAIN_BYTES: u64 = 1024 * 1024;

/// The 413 for an upload past `max`, after draining what is left of a body
/// only a little too large; a far larger one is cut off at once.
async fn refuse<S, B>(mut body: std::pin::Pin<&mut S>, declared: Option<u64>, max: u64) -> ApiError
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    // What is left to read: all of a declared body, or what follows the
    // bytes already read.
    let budget = match declared {
        Some(len) if len <= max + DRAIN_BYTES => len,
        Some(_) => 0,
        None => DRAIN_BYTES,
    };
    if budget > 0 {
        let mut drained = 0u64;
        while drained <= budget {
            match body.next().await {
                Some(Ok(chunk)) => drained += chunk.remaining() as u64,
                _ => break,
            }
        }
    }
    too_large(max)
}

fn too_large(max: u64) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the file exceeds the upload limit of {max} bytes"),
    )
}

fn media_error(err: media::MediaError) -> ApiError {
    match err {
        media::MediaError::TooLarge => ApiError::new(ErrorCode::PayloadTooLarge, err.to_string()),
        media::MediaError::Invalid(_) => ApiError::invalid(err.to_string()),
        media::MediaError::Io(e) => io_error(e),
    }
}

fn io_error(err: std::io::Error) -> ApiError {
    tracing::error!(error = %err, "file storage failed");
    ApiError::internal()
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn names_lose_directories_and_control_characters() {
        assert_eq!(clean_name(Some("../../etc/passwd")).unwrap(), "passwd");
        assert_eq!(clean_name(Some("C:\\x\\report.pdf")).unwrap(), "report.pdf");
        assert_eq!(clean_name(Some("a\nb.txt")).unwrap(), "ab.txt");
        assert_eq!(clean_name(None).unwrap(), "file");
        assert!(clean_name(Some("dir/")).is_err());
        assert!(clean_name(Some("..")).is_err());
        assert!(clean_name(Some(&"x".repeat(256))).is_err());
    }
}
