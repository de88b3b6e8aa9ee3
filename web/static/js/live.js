// What the gateway changes: `ready`, room events in seq order, presence
// and typing notices, applied to the state in store.js.

import { countReply, keepSummary, mentionsMe, putReply } from './replies.js';
import { changed, placeMessage, removeRoom, state } from './store.js';

/** @typedef {import('./types.js').UserRef} UserRef */
/** @typedef {import('./types.js').RoomEvent} RoomEvent */
/** @typedef {import('./types.js').ReadyFrame} ReadyFrame */

/** How long a typing notice shows. */
export const TYPING_MS = 5_000;

/**
 * Handles `ready`: returns the resume map (rooms whose seq we know) and
 * takes the server's positions for rooms we have not followed yet.
 * @param {ReadyFrame} ready
 * @returns {{resume: Record<string, number>, unknownRooms: number[]}}
 */
export function applyReady(ready) {
  /** @type {Record<string, number>} */
  const resume = {};
  /** @type {number[]} */
  const unknownRooms = [];
  for (const view of state.rooms.values()) {
    if (view.seen !== undefined) resume[String(view.room.id)] = view.seen;
  }
  for (const pos of ready.rooms) {
    const view = state.rooms.get(pos.room_id);
    if (!view) {
      unknownRooms.push(pos.room_id);
    } else if (view.seen === undefined) {
      view.seen = pos.latest_seq;
    }
  }
  state.me = ready.user;
  state.online = new Set((ready.online ?? []).map((u) => u.username));
  changed();
  return { resume, unknownRooms };
}

/**
 * @typedef {object} EventOutcome
 * @property {boolean} applied  false: a seq already seen, or an unknown room
 * @property {boolean} [refetchRooms]  our membership changed elsewhere
 * @property {boolean} [removed]  we left (or were removed from) the room
 * @property {boolean} [reply]  a new thread reply (kept out of the timeline)
 */

/**
 * Applies one room event, in seq order, ignoring seqs already seen.
 * @param {RoomEvent} ev
 * @returns {EventOutcome}
 */
export function applyEvent(ev) {
  const view = state.rooms.get(ev.room_id);
  const me = state.me;
  if (!view) {
    if (ev.type === 'member.joined' && me && ev.user && ev.user.id === me.id) {
      return { applied: false, refetchRooms: true };
    }
    return { applied: false };
  }
  if (view.seen !== undefined && ev.seq <= view.seen) return { applied: false };
  view.seen = ev.seq;
  view.room = { ...view.room, latest_seq: Math.max(view.room.latest_seq, ev.seq) };
  /** @type {EventOutcome} */
  const out = { applied: true };
  switch (ev.type) {
    case 'message.created': {
      const msg = ev.message;
      if (!msg) break;
      const mine = me !== null && msg.author.id === me.id;
      if (mine && msg.client_id) state.outbox.ack(msg.client_id);
      clearTyping(view.room.id, msg.author.id);
      if (msg.thread_root != null) {
        // A thread reply stays out of the timeline; its root counts it.
        countReply(view, msg);
        putReply(msg);
        if (!mine && mentionsMe(msg, me?.id) && !(state.currentId === view.room.id && state.reading)) view.mentions += 1;
        out.reply = true;
        break;
      }
      const placed = placeMessage(view, msg);
      if (!mine) {
        const isCurrent = state.currentId === view.room.id;
        const onScreen = isCurrent && state.reading && placed !== 'outside' && document.visibilityState === 'visible';
        if (!onScreen) {
          // Unread in the room I have open (scrolled up, another tab): the
          // line goes above it, or above the ones still unread from before.
          if (isCurrent && view.unread === 0) view.line = { after: msg.seq - 1, unread: 1 };
          else if (isCurrent && !view.line) view.line = { after: view.room.read_seq ?? 0, unread: view.unread + 1 };
          view.unread += 1;
        }
        if (!onScreen && mentionsMe(msg, me?.id)) view.mentions += 1;
        if (isCurrent && !(state.reading && placed !== 'outside')) view.newBelow += 1;
      }
      break;
    }
    case 'message.updated':
    case 'message.deleted':
    // These carry the message as it is now, with its reactions and pin.
    case 'reaction.added':
    case 'reaction.removed':
    case 'message.pinned':
    case 'message.unpinned':
      if (ev.message && ev.message.thread_root != null) {
        putReply(ev.message);
      } else if (ev.message) {
        const msg = keepSummary(view, ev.message);
        placeMessage(view, msg);
        if (state.thread && state.thread.root.id === msg.id) state.thread.root = msg;
        if (state.compose.editing && state.compose.editing.id === ev.message.id && ev.message.deleted) {
          state.compose = { ...state.compose, editing: null };
        }
      }
      break;
    case 'member.left':
      if (me && ev.user && ev.user.id === me.id) {
        removeRoom(view.room.id);
        out.removed = true;
      }
      break;
    case 'member.joined':
      break;
    case 'member.updated':
      if (me && ev.user && ev.user.id === me.id && ev.role) {
        view.room = { ...view.room, role: ev.role };
      }
      break;
    case 'room.updated':
      if (ev.room) {
        view.room = { ...view.room, ...ev.room, archived: Boolean(ev.room.archived) };
      }
      break;
  }
  changed();
  return out;
}

/** @param {UserRef} user @param {'online'|'offline'} status */
export function setPresence(user, status) {
  if (status === 'online') state.online.add(user.username);
  else state.online.delete(user.username);
  changed();
}

/** @param {number} roomId @param {UserRef} user */
export function addTyping(roomId, user) {
  if (state.me && user.id === state.me.id) return;
  let room = state.typing.get(roomId);
  if (!room) {
    room = new Map();
    state.typing.set(roomId, room);
  }
  room.set(user.id, { user, until: Date.now() + TYPING_MS });
  changed();
}

/** @param {number} roomId @param {number} userId */
function clearTyping(roomId, userId) {
  state.typing.get(roomId)?.delete(userId);
}

/** Drops typing notices that ran out; true if any are left. */
export function expireTyping() {
  const now = Date.now();
  let left = false;
  let dropped = false;
  for (const room of state.typing.values()) {
    for (const [id, t] of room) {
      if (t.until <= now) {
        room.delete(id);
        dropped = true;
      } else {
        left = true;
      }
    }
  }
  if (dropped) changed();
  return left;
}
