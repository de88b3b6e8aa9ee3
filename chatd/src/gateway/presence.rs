//! Presence across instances: a user is online while they have a socket on
//! any chatd instance.
//!
//! Each instance knows its own sockets (the hub). It tells the others when
//! a user's first socket opens or last one closes, and every
//! [`HEARTBEAT`] names all its connected users (a roster). What it hears it
//! keeps per user and sending instance; an entry not renewed for [`EXPIRE`]
//! goes, so a user of an instance that died goes offline within seconds,
//! and a lost notice heals at the next roster. Changes to a remote user
//! reach local clients through one task, in order, which reads the user's
//! rooms from the database (this instance does not know them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chat_store::{Pool, members, users};
use chat_wire::ws::{PresenceStatus, ServerFrame};
use chat_wire::{RoomId, UserId, UserRef};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::ephemeral::Notice;
use super::hub::Hub;
use super::notify::Outgoing;

/// How often an instance names its connected users to the others.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// How long a remote user stays online without being named again.
pub const EXPIRE: Duration = Duration::from_secs(7);

/// This instance's view of who is online where.
pub struct Presence {
    hub: Hub,
    /// Users online elsewhere: per user, each instance's last word of them.
    remote: Mutex<HashMap<UserId, HashMap<String, Instant>>>,
    /// Remote users whose status changed, for local clients.
    changes: mpsc::UnboundedSender<(UserId, PresenceStatus)>,
    notices: mpsc::UnboundedSender<Outgoing>,
}

impl Presence {
    /// Starts the task that tells local clients of remote changes and sends
    /// this instance's heartbeats.
    pub fn start(
        hub: Hub,
        pool: Pool,
        notices: mpsc::UnboundedSender<Outgoing>,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let (changes, rx) = mpsc::unbounded_channel();
        let presence = Arc::new(Self {
            hub,
            remote: Mutex::default(),
            changes,
            notices,
        });
        tokio::spawn(presence.clone().run(pool, rx, shutdown));
        presence
    }

    /// A user's first socket on this instance opened (`rooms`: theirs).
    pub fn local_online(&self, user: &UserRef, rooms: &[RoomId]) {
        self.local_change(user, rooms, PresenceStatus::Online);
    }

    /// A user's last socket on this instance closed.
    pub fn local_offline(&self, user: &UserRef, rooms: &[RoomId]) {
        self.local_change(user, rooms, PresenceStatus::Offline);
    }

    fn local_change(&self, user: &UserRef, rooms: &[RoomId], status: PresenceStatus) {
        let online = status == PresenceStatus::Online;
        let _ = self.notices.send(Outgoing::Notice(Notice::Presence {
            user: user.clone(),
            online,
        }));
        if !self.online_elsewhere(user.id) {
            broadcast(&self.hub, user.clone(), rooms, status);
        }
    }

    /// Everyone online: connected here or, lately, anywhere else.
    pub fn online(&self) -> Vec<UserId> {
        let mut users = self.hub.users();
        users.extend(self.lock().keys().copied());
        users.sort_unstable();
        users.dedup();
        users
    }

    /// A notice from instance `from`.
    pub fn heard(&self, from: &str, notice: Notice) {
        let now = Instant::now();
        let mut remote = self.lock();
        let mut came = Vec::new();
        let mut went = Vec::new();
        match notice {
            Notice::Presence { user, online: true } => came.push(user.id),
            Notice::Roster { users } => came = users,
            Notice::Presence {
                user,
                online: false,
            } => {
                if let Some(seen) = remote.get_mut(&user.id) {
                    seen.remove(from);
                    if seen.is_empty() {
                        remote.remove(&user.id);
                        went.push(user.id);
                    }
                }
            }
            Notice::Typing { .. } => {}
        }
        for user in came {
            let seen = remote.entry(user).or_default();
            if seen.insert(from.to_owned(), now).is_none() && seen.len() == 1 {
                self.changed(user, PresenceStatus::Online);
            }
        }
        drop(remote);
        for user in went {
            self.changed(user, PresenceStatus::Offline);
        }
    }

    /// Forgets what other instances stopped confirming.
    fn expire(&self) {
        let now = Instant::now();
        let mut went = Vec::new();
        self.lock().retain(|&user, seen| {
            seen.retain(|_, at| now.duration_since(*at) < EXPIRE);
            if seen.is_empty() {
                went.push(user);
            }
            !seen.is_empty()
        });
        for user in went {
            self.changed(user, PresenceStatus::Offline);
        }
    }

    /// A remote user's change, unless their sockets here decide already.
    fn changed(&self, user: UserId, status: PresenceStatus) {
        if !self.hub.is_connected(user) {
            let _ = self.changes.send((user, status));
        }
    }

    fn online_elsewhere(&self, user: UserId) -> bool {
        self.lock().contains_key(&user)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, HashMap<String, Instant>>> {
        self.remote.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn run(
        self: Arc<Self>,
        pool: Pool,
        mut changes: mpsc::UnboundedReceiver<(UserId, PresenceStatus)>,
        shutdown: CancellationToken,
    ) {
        let mut beat = tokio::time::interval(HEARTBEAT);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                change = changes.recv() => match change {
                    Some((user, status)) => self.tell_local(&pool, user, status).await,
                    None => return,
                },
                _ = beat.tick() => {
                    let users = self.hub.users();
                    if !users.is_empty() {
                        let _ = self.notices.send(Outgoing::Notice(Notice::Roster { users }));
                    }
                    self.expire();
                }
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// Tells local clients who share a room with `user` of a remote change.
    async fn tell_local(&self, pool: &Pool, user: UserId, status: PresenceStatus) {
        // The status may have flipped back while this change waited; and
        // with nobody connected here (a fresh instance hearing the others'
        // rosters) there is no one to tell.
        let online_now = self.hub.is_connected(user) || self.online_elsewhere(user);
        if online_now != (status == PresenceStatus::Online) || self.hub.connections() == 0 {
            return;
        }
        let subject = async {
            let db = pool.get().await?;
            let user = users::get(&db, user).await?;
            let rooms = members::positions(&db, user.id).await?;
            Ok::<_, chat_store::StoreError>((user, rooms))
        };
        match subject.await {
            Ok((user, rooms)) => {
                let rooms: Vec<RoomId> = rooms.into_iter().map(|(room, _)| room).collect();
                let user = UserRef {
                    id: user.id,
                    username: user.username,
                    display_name: user.display_name,
                    avatar_id: user.avatar.map(|f| f.id),
                };
                broadcast(&self.hub, user, &rooms, status);
            }
            Err(e) => tracing::debug!(error = %e, user, "cannot pass on a presence change"),
        }
    }
}

/// Sends a presence frame to the local connections sharing a room with
/// `user`.
fn broadcast(hub: &Hub, user: UserRef, rooms: &[RoomId], status: PresenceStatus) {
    let id = user.id;
    let frame = ServerFrame::Presence { user, status };
    if let Ok(json) = serde_json::to_string(&frame) {
        hub.broadcast_to_peers(id, rooms, json.into());
    }
}
