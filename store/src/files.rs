//! The `files`, `user_storage` and `message_attachments` tables: what is
//! known about uploaded files, who may read them, and the sweep that
//! forgets the ones nothing uses.
//!
//! The bytes are in the blob store, named by SHA-256. Writers that store a
//! blob and then the row naming it hold [`lock_shared`]; the sweep, which
//! deletes rows and then the blobs no row names any more, holds the
//! exclusive lock throughout ([`Sweeper`]). So a blob an upload has just
//! stored is never deleted under it.

use chat_wire::files::FileInfo;
use tokio_postgres::Row;

use crate::{Client, GenericClient, StoreResult};

/// Key of the advisory lock between uploads (shared) and sweeps.
const SWEEP_LOCK_KEY: i64 = 0x6368_6174_6669_6c65; // "chatfile"

/// Columns of a [`FileInfo`], from `files f`.
pub(crate) const FILE_COLUMNS: &str = "f.id, f.name, f.content_type, f.size, f.sha256, \
     f.width, f.height, f.thumb_sha256 IS NOT NULL, f.created_at";

pub(crate) fn file_at(row: &Row, at: usize) -> FileInfo {
    FileInfo {
        id: row.get(at),
        name: row.get(at + 1),
        content_type: row.get(at + 2),
        size: row.get(at + 3),
        sha256: row.get(at + 4),
        width: row.get(at + 5),
        height: row.get(at + 6),
        has_thumbnail: row.get(at + 7),
        created_at: row.get(at + 8),
    }
}

/// A thumbnail's blob.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
}

/// A new file's row; its blobs are stored already.
#[derive(Debug)]
pub struct NewFile<'a> {
    pub uploader_id: i64,
    pub name: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub size: i64,
    pub dimensions: Option<(i32, i32)>,
    pub thumbnail: Option<Thumbnail>,
}

/// What inserting a file came to.
#[derive(Debug)]
pub enum Inserted {
    Stored(FileInfo),
    /// The uploader's files would take more than the quota; nothing was
    /// written. Carries the bytes already used.
    OverQuota {
        used: i64,
    },
}

/// Takes the shared side of the sweep lock for the caller's transaction:
/// call it before storing the blobs a row is about to name.
pub async fn lock_shared(tx: &impl GenericClient) -> StoreResult<()> {
    tx.execute(
        "SELECT pg_advisory_xact_lock_shared($1)",
        &[&SWEEP_LOCK_KEY],
    )
    .await?;
    Ok(())
}

/// Holds the shared side of the sweep lock on this connection until
/// [`unhold`]: a backup holds it from before its snapshot until it has
/// copied every blob the snapshot names, so no sweep deletes one meanwhile.
pub async fn hold(client: &impl GenericClient) -> StoreResult<()> {
    client
        .execute("SELECT pg_advisory_lock_shared($1)", &[&SWEEP_LOCK_KEY])
        .await?;
    Ok(())
}

/// Releases what [`hold`] took.
pub async fn unhold(client: &impl GenericClient) -> StoreResult<()> {
    client
        .execute("SELECT pg_advisory_unlock_shared($1)", &[&SWEEP_LOCK_KEY])
        .await?;
    Ok(())
}

/// Charges the file to its uploader's quota and inserts its row, inside
/// the caller's transaction (which holds [`lock_shared`]).
pub async fn insert(
    tx: &impl GenericClient,
    new: &NewFile<'_>,
    quota: i64,
) -> StoreResult<Inserted> {
    // One statement adds to the running total or refuses; its row lock
    // orders one user's concurrent uploads.
    let charged = tx
        .query_opt(
            "INSERT INTO user_storage AS s (user_id, bytes_used) \
             SELECT $1::bigint, $2::bigint WHERE $2::bigint <= $3::bigint \
             ON CONFLICT (user_id) DO UPDATE SET bytes_used = s.bytes_used + EXCLUDED.bytes_used \
             WHERE s.bytes_used + EXCLUDED.bytes_used <= $3 \
             RETURNING bytes_used",
            &[&new.uploader_id, &new.size, &quota],
        )
        .await?;
    if charged.is_none() {
        let used = tx
            .query_opt(
                "SELECT bytes_used FROM user_storage WHERE user_id = $1",
                &[&new.uploader_id],
            )
            .await?
            .map_or(0, |row| row.get(0));
        return Ok(Inserted::OverQuota { used });
    }
    let (width, height) = new.dimensions.unzip();
    let thumb = new.thumbnail.as_ref();
    let sql = format!(
        "INSERT INTO files AS f (uploader_id, name, content_type, sha256, size, width, height, \
             thumb_sha256, thumb_size, thumb_content_type) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {FILE_COLUMNS}"
    );
    let row = tx
        .query_one(
            &sql,
            &[
                &new.uploader_id,
                &new.name,
                &new.content_type,
                &new.sha256,
                &new.size,
                &width,
                &height,
                &thumb.map(|t| &t.sha256),
                &thumb.map(|t| t.size),
                &thumb.map(|t| &t.content_type),
            ],
        )
        .await?;
    Ok(Inserted::Stored(file_at(&row, 0)))
}

/// A file as a download needs it.
#[derive(Debug, Clone)]
pub struct Download {
    pub info: FileInfo,
    pub thumbnail: Option<Thumbnail>,
}

/// The file if `user_id` may read it, else `None` (whether or not it
/// exists): they uploaded it, a message in a room they are in carries it,
/// or it is someone's avatar (profiles are visible to every user) or the
/// avatar of a room they may see.
pub async fn readable(
    db: &impl GenericClient,
    file_id: i64,
    user_id: i64,
) -> StoreResult<Option<Download>> {
    let sql = format!(
        "SELECT {FILE_COLUMNS}, f.thumb_sha256, f.thumb_size, f.thumb_content_type \
         FROM files f WHERE f.id = $1 AND ( \
             f.uploader_id = $2 \
             OR EXISTS (SELECT 1 FROM message_attachments a \
                        JOIN memberships m ON m.room_id = a.room_id AND m.user_id = $2 \
                        WHERE a.file_id = f.id) \
             OR EXISTS (SELECT 1 FROM users u WHERE u.avatar_file_id = f.id) \
             OR EXISTS (SELECT 1 FROM rooms r \
                        LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = $2 \
                        WHERE r.avatar_file_id = f.id \
                          AND (m.user_id IS NOT NULL \
                               OR (r.kind = 'room' AND r.visibility = 'public'))))"
    );
    let stmt = db.prepare_cached(&sql).await?;
    let row = db.query_opt(&stmt, &[&file_id, &user_id]).await?;
    Ok(row.map(|row| Download {
        info: file_at(&row, 0),
        thumbnail: row.get::<_, Option<String>>(9).map(|sha256| Thumbnail {
            sha256,
            size: row.get::<_, Option<i64>>(10).unwrap_or(0),
            content_type: row.get::<_, Option<String>>(11).unwrap_or_default(),
        }),
    }))
}

/// A file `user_id` uploaded, or `None`.
pub async fn own(
    db: &impl GenericClient,
    file_id: i64,
    user_id: i64,
) -> StoreResult<Option<FileInfo>> {
    let sql = format!("SELECT {FILE_COLUMNS} FROM files f WHERE f.id = $1 AND f.uploader_id = $2");
    let row = db.query_opt(&sql, &[&file_id, &user_id]).await?;
    Ok(row.map(|row| file_at(&row, 0)))
}

/// What the sweep forgot.
#[derive(Debug, Default)]
pub struct Swept {
    /// File rows deleted.
    pub files: u64,
    /// Blobs no row names any more: the caller deletes them while the
    /// [`Sweeper`] still holds the lock.
    pub blobs: Vec<String>,
}

/// The exclusive side of the sweep lock, held on one connection (a session
/// lock, so it outlives the sweep's transaction until the blobs are gone).
pub struct Sweeper {
    /// `None` once unlocked.
    client: Option<Client>,
}

impl std::fmt::Debug for Sweeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sweeper")
    }
}

impl Sweeper {
    /// Takes the lock if no one else sweeps now (`None` if someone does:
    /// one instance at a time is enough). Waits for uploads in flight.
    pub async fn try_lock(client: Client) -> StoreResult<Option<Self>> {
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&SWEEP_LOCK_KEY])
            .await?
            .get(0);
        if !got {
            return Ok(None);
        }
        Ok(Some(Self {
            client: Some(client),
        }))
    }

    fn client(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .expect("a Sweeper holds its client until unlocked")
    }

    /// Deletes the files older than `grace_secs` that no message, user or
    /// room uses, credits their uploaders, and lists the blobs no row names
    /// any more. At most `batch` files per call.
    pub async fn sweep(&mut self, grace_secs: i64, batch: i64) -> StoreResult<Swept> {
        let tx = self.client().transaction().await?;
        let rows = tx
            .query(
                "WITH gone AS ( \
                     DELETE FROM files f WHERE f.id IN ( \
                         SELECT c.id FROM files c \
                         WHERE c.created_at < now() - make_interval(secs => $1::bigint) \
                           AND NOT EXISTS (SELECT 1 FROM message_attachments a WHERE a.file_id = c.id) \
                           AND NOT EXISTS (SELECT 1 FROM users u WHERE u.avatar_file_id = c.id) \
                           AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.avatar_file_id = c.id) \
                         ORDER BY c.created_at LIMIT $2) \
                     RETURNING f.uploader_id, f.size, f.sha256, f.thumb_sha256), \
                 credit AS ( \
                     UPDATE user_storage s SET bytes_used = greatest(s.bytes_used - g.total, 0) \
                     FROM (SELECT uploader_id, sum(size)::bigint AS total FROM gone \
                           GROUP BY uploader_id) g \
                     WHERE s.user_id = g.uploader_id) \
                 SELECT sha256, thumb_sha256 FROM gone",
                &[&grace_secs, &batch],
            )
            .await?;
        let mut candidates: Vec<String> = Vec::new();
        for row in &rows {
            candidates.push(row.get(0));
            if let Some(thumb) = row.get::<_, Option<String>>(1) {
                candidates.push(thumb);
            }
        }
        candidates.sort();
        candidates.dedup();
        let blobs = unreferenced(&tx, &candidates).await?;
        tx.commit().await?;
        Ok(Swept {
            files: rows.len() as u64,
            blobs,
        })
    }

    /// Of `blobs` (names found on disk), the ones no row names: blobs a
    /// crash or a failed insert left behind. The caller must only pass
    /// blobs older than any upload in flight could be.
    pub async fn unreferenced(&mut self, blobs: &[String]) -> StoreResult<Vec<String>> {
        unreferenced(&*self.client(), blobs).await
    }

    /// Releases the lock.
    pub async fn unlock(mut self) -> StoreResult<()> {
        let client = self.client.take().expect("unlocked once");
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&SWEEP_LOCK_KEY])
            .await?;
        Ok(())
    }
}

impl Drop for Sweeper {
    /// A sweep that failed half-way must not give its connection back to
    /// the pool still holding the lock (every upload would wait for it):
    /// the connection is closed instead, which releases the lock.
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            drop(deadpool_postgres::Object::take(client));
        }
    }
}

/// Of `candidates`, the blob names no file row names.
async fn unreferenced(db: &impl GenericClient, candidates: &[String]) -> StoreResult<Vec<String>> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let rows = db
        .query(
            "SELECT c FROM unnest($1::text[]) AS c \
             WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.sha256 = c) \
               AND NOT EXISTS (SELECT 1 FROM files f WHERE f.thumb_sha256 = c)",
            &[&candidates],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Every blob the file rows name, each once, sorted: what a backup of this
/// snapshot must carry.
pub async fn referenced_blobs(db: &impl GenericClient) -> StoreResult<Vec<(String, i64)>> {
    let rows = db
        .query(
            "SELECT sha256, max(size) FROM ( \
                 SELECT sha256, size FROM files \
                 UNION ALL SELECT thumb_sha256, thumb_size FROM files WHERE thumb_sha256 IS NOT NULL) b \
             GROUP BY sha256 ORDER BY sha256",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// Counts for `chatctl files stats`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileStats {
    pub files: i64,
    /// Bytes of all uploads, counting each upload (quota accounting).
    pub bytes: i64,
    /// Distinct blobs named (files and thumbnails).
    pub blobs: i64,
    pub attached: i64,
    pub avatars: i64,
}

pub async fn stats(db: &impl GenericClient) -> StoreResult<FileStats> {
    let row = db
        .query_one(
            "SELECT (SELECT count(*) FROM files), \
                    (SELECT coalesce(sum(size), 0)::bigint FROM files), \
                    (SELECT count(*) FROM (SELECT sha256 FROM files UNION \
                        SELECT thumb_sha256 FROM files WHERE thumb_sha256 IS NOT NULL) b), \
                    (SELECT count(DISTINCT file_id) FROM message_attachments), \
                    (SELECT count(*) FROM users WHERE avatar_file_id IS NOT NULL) \
                  + (SELECT count(*) FROM rooms WHERE avatar_file_id IS NOT NULL)",
            &[],
        )
        .await?;
    Ok(FileStats {
        files: row.get(0),
        bytes: row.get(1),
        blobs: row.get(2),
        attached: row.get(3),
        avatars: row.get(4),
    })
}
