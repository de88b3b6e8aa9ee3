//! The batch statement's steps for messages that carry files: each draft's
//! files must all be its author's uploads, and the stored messages' files
//! are inserted in order. A batch without files leaves every step out.

use super::send::Draft;
use crate::rows;

/// The drafts' files, flattened: the draft's position in the batch
/// (1-based), the file, and its place in the message.
#[derive(Debug, Default)]
pub(super) struct BatchFiles {
    pub ords: Vec<i64>,
    pub ids: Vec<i64>,
    pub places: Vec<i16>,
}

impl BatchFiles {
    pub fn of(drafts: &[Draft]) -> Self {
        let mut files = Self::default();
        for (d, ord) in drafts.iter().zip(1i64..) {
            for (&id, place) in d.attachments.iter().zip(0i16..) {
                files.ords.push(ord);
                files.ids.push(id);
                files.places.push(place);
            }
        }
        files
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The statement's text for these files (parameters $10–$12).
    pub fn steps(&self) -> FileSteps {
        if self.is_empty() {
            FileSteps {
                check: "",
                refuse: "",
                insert: "",
                column: "NULL::jsonb",
            }
        } else {
            FileSteps {
                check: UNOWNED,
                refuse: "AND NOT EXISTS (SELECT 1 FROM unowned u WHERE u.ord = i.ord)",
                insert: INSERT,
                column: COLUMN,
            }
        }
    }
}

/// Pieces of the batch statement; each is empty without files.
pub(super) struct FileSteps {
    /// A CTE after `items`: drafts naming a file that is not their
    /// author's (or no longer exists).
    pub check: &'static str,
    /// `ok`'s condition leaving those drafts out; the single send then
    /// names the refusal.
    pub refuse: &'static str,
    /// A CTE after `stored`: the stored messages' files.
    pub insert: &'static str,
    /// The result's attachments column.
    pub column: &'static str,
}

const UNOWNED: &str = "\
    , unowned AS ( \
        SELECT DISTINCT a.ord FROM unnest($10::bigint[], $11::bigint[]) a(ord, fid) \
        JOIN items i ON i.ord = a.ord \
        LEFT JOIN LATERAL (SELECT 1 AS hit FROM files f \
            WHERE f.id = a.fid AND f.uploader_id = i.author_id LIMIT 1) own ON true \
        WHERE own.hit IS NULL)";

const INSERT: &str = "\
    , att AS ( \
        INSERT INTO message_attachments (room_id, message_id, position, file_id) \
        SELECT s.room_id, s.id, a.place, a.fid \
        FROM unnest($10::bigint[], $11::bigint[], $12::smallint[]) a(ord, fid, place) \
        JOIN stored s ON s.ord = a.ord \
        RETURNING message_id, position, file_id)";

const COLUMN: &str = concat!(
    "(SELECT jsonb_agg(",
    rows::file_json!(),
    " ORDER BY a.position) FROM att a JOIN files f ON f.id = a.file_id \
     WHERE a.message_id = m.id)"
);
