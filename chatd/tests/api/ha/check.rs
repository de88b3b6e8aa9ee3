//! What the fault test concludes: the acknowledged sends against what the
//! database holds, and the resuming reader's events against the room's log.

use std::collections::HashMap;
use std::time::Instant;

use super::load::{self, Ack, Seen};

/// The outcome of a run, read back from the (new) primary.
pub struct Verdict {
    pub acked: usize,
    pub stored: usize,
    /// client_ids acknowledged whose message is not in history.
    pub lost: Vec<String>,
    /// client_ids stored more than once.
    pub doubled: Vec<String>,
    /// The room's log, as seqs, and what the reader saw.
    pub log: Vec<i64>,
    pub read: Vec<i64>,
}

impl Verdict {
    pub async fn of(url: &str, room: i64, seen: &Seen) -> Self {
        let db = chat_store::connect_once(url).await.unwrap();
        let rows = db
            .query(
                "SELECT id, client_id FROM messages WHERE room_id = $1",
                &[&room],
            )
            .await
            .unwrap();
        let mut by_client: HashMap<String, Vec<i64>> = HashMap::new();
        for row in &rows {
            if let Some(client_id) = row.get::<_, Option<String>>(1) {
                by_client.entry(client_id).or_default().push(row.get(0));
            }
        }
        let acks = seen.acks.lock().unwrap().clone();
        let log = db
            .query(
                "SELECT seq FROM room_events WHERE room_id = $1 ORDER BY seq",
                &[&room],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        Self {
            acked: acks.len(),
            stored: rows.len(),
            lost: lost(&acks, &by_client),
            doubled: by_client
                .into_iter()
                .filter(|(_, ids)| ids.len() > 1)
                .map(|(c, _)| c)
                .collect(),
            log,
            read: seen.events.lock().unwrap().iter().map(|e| e.0).collect(),
        }
    }

    /// Prints the figures docs/ha.md records.
    pub fn report(&self, seen: &Seen, outages: &[(&str, Instant, Instant)]) {
        println!(
            "ha-test: {} sends acknowledged, {} messages stored",
            self.acked, self.stored
        );
        println!(
            "ha-test: the reader resumed {} times",
            seen.resumes.lock().unwrap()
        );
        let acks = seen.acks.lock().unwrap();
        for (fault, from, to) in outages {
            let pause = load::longest_pause(&acks, *from, *to);
            println!(
                "ha-test: {fault}: sends acknowledged again after {:.1} s",
                pause.as_secs_f64()
            );
        }
        println!(
            "ha-test: acknowledged but lost: {}, stored twice: {}",
            self.lost.len(),
            self.doubled.len()
        );
    }

    /// Every acknowledged message is in history exactly once, and the
    /// reader saw the room's whole log once, in order.
    pub fn assert_whole(&self) {
        assert!(
            self.lost.is_empty(),
            "{} acknowledged messages lost: {:?}",
            self.lost.len(),
            &self.lost[..self.lost.len().min(10)]
        );
        assert!(
            self.doubled.is_empty(),
            "client_ids stored twice: {:?}",
            self.doubled
        );
        let first_gap = self.read.iter().zip(&self.log).position(|(r, l)| r != l);
        assert!(
            self.read == self.log,
            "the reader's events differ from the log: {} read, {} in the log, first difference at {first_gap:?}",
            self.read.len(),
            self.log.len()
        );
    }
}

/// The client_ids of acknowledged sends whose message is not stored under
/// that client_id (an id alone is not enough: after a failover that lost
/// commits, the new primary may hand the same id to another message).
fn lost(acks: &[Ack], stored: &HashMap<String, Vec<i64>>) -> Vec<String> {
    acks.iter()
        .filter(|a| {
            stored
                .get(&a.client_id)
                .is_none_or(|ids| !ids.contains(&a.message_id))
        })
        .map(|a| a.client_id.clone())
        .collect()
}

#[test]
fn an_acknowledged_message_missing_from_history_counts_as_lost() {
    let ack = |client_id: &str, message_id| Ack {
        at: Instant::now(),
        client_id: client_id.into(),
        message_id,
    };
    let acks = [ack("kept", 1), ack("gone", 2), ack("reused-id", 3)];
    // "gone" is not stored at all; "reused-id" was acknowledged as message
    // 3, but the promoted standby gave id 3 to another message.
    let stored = HashMap::from([("kept".to_owned(), vec![1]), ("other".to_owned(), vec![3])]);
    assert_eq!(lost(&acks, &stored), ["gone", "reused-id"]);
    let all = HashMap::from([
        ("kept".to_owned(), vec![1]),
        ("gone".to_owned(), vec![2]),
        ("reused-id".to_owned(), vec![3]),
    ]);
    assert!(lost(&acks, &all).is_empty());
}
