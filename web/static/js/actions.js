// What the user (and the socket) can make happen: each action calls the API
// or the gateway and records the outcome in the store.

import { api, ApiError } from './api.js';
import { LAST_ROOM_KEY, store as remember } from './boot.js';
import { frameOf } from './outbox.js';
import { putMessage } from './replies.js';
import * as store from './store.js';
import { state } from './store.js';

/** @typedef {import('./types.js').Message} Message */
/** @typedef {import('./types.js').Room} Room */
/** @typedef {import('./socket.js').Gateway} Gateway */

const PAGE = 50;
const TYPING_EVERY_MS = 3_000;

/** @type {Gateway|null} */
let gateway = null;

/** @param {Gateway} g */
export function useGateway(g) {
  gateway = g;
}

/** @param {unknown} err */
export function messageOf(err) {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}

/** @param {unknown} err */
function notifyError(err) {
  store.setNotice(messageOf(err), 'error');
}

// ---- rooms ---------------------------------------------------------------

export async function refreshRooms() {
  try {
    store.setRooms(await api.rooms());
  } catch (err) {
    notifyError(err);
  }
}

/** @param {number} id */
export function openRoom(id) {
  const view = state.rooms.get(id);
  if (!view) return;
  store.selectRoom(id);
  const hash = `#room/${id}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
  remember(LAST_ROOM_KEY, String(id));
  if (!view.loaded && !view.loading) void loadLatest(id);
}

/** @param {number} id */
export async function loadLatest(id) {
  store.setLoading(id, true);
  try {
    const page = await api.messages(id, { limit: PAGE });
    store.setLatest(id, page.messages, page.has_more);
    await catchUp(id, page.messages[page.messages.length - 1]?.seq ?? 0);
  } catch (err) {
    store.setHistoryError(id, messageOf(err));
  }
}

/**
 * The latest page can be older than what the socket has told us: it may
 * have been asked for before `ready` (boot.js starts it early), and events
 * that came while it travelled had no window to go in. If the socket is
 * not ready yet, it resumes the room from the page's newest message; if it
 * has announced more than the page holds, the messages after the page are
 * asked for.
 * @param {number} id @param {number} last  the page's newest seq (0: none)
 */
async function catchUp(id, last) {
  const view = state.rooms.get(id);
  if (!view) return;
  if (view.seen === undefined) {
    if (last > 0) view.seen = last;
    return;
  }
  if (view.seen <= last) return;
  const page = await api.messages(id, { after: last, limit: PAGE });
  store.appendNewer(id, page.messages, page.has_more);
}

/** Loads the page before the window's first message. @param {number} id */
export async function loadOlder(id) {
  const view = state.rooms.get(id);
  if (!view || view.loading || !view.loaded || !view.hasMoreBefore) return;
  const first = view.messages[0];
  if (!first) {
    store.prependOlder(id, [], false);
    return;
  }
  store.setLoading(id, true);
  try {
    const page = await api.messages(id, { before: first.seq, limit: PAGE });
    store.prependOlder(id, page.messages, page.has_more);
  } catch (err) {
    store.setHistoryError(id, messageOf(err));
  }
}

/** Loads the page after the window's last message. @param {number} id */
export async function loadNewer(id) {
  const view = state.rooms.get(id);
  if (!view || view.loading || !view.hasNewer) return;
  const last = view.messages[view.messages.length - 1];
  if (!last) return loadLatest(id);
  store.setLoading(id, true);
  try {
    const page = await api.messages(id, { after: last.seq, limit: PAGE });
    store.appendNewer(id, page.messages, page.has_more);
  } catch (err) {
    store.setHistoryError(id, messageOf(err));
  }
}

/** @type {Map<number, number>} */
const readSent = new Map();
/** @type {Map<number, ReturnType<typeof setTimeout>>} */
const readTimers = new Map();

/**
 * Moves my read marker to the newest message of the room I am looking at
 * (debounced; only forward).
 * @param {number} id
 */
export function markRead(id) {
  const view = state.rooms.get(id);
  if (!view || !view.loaded || view.hasNewer) return;
  const last = view.messages[view.messages.length - 1];
  const seq = Math.max(view.seen ?? 0, last ? last.seq : 0, view.room.latest_seq);
  // What the server has (or is being sent), read before the store moves the room's marker.
  const sent = readSent.get(id) ?? view.room.read_seq ?? 0;
  store.markedRead(id, seq);
  if (seq <= sent) return;
  clearTimeout(readTimers.get(id));
  readTimers.set(
    id,
    setTimeout(() => {
      readTimers.delete(id);
      if (seq <= (readSent.get(id) ?? 0)) return;
      readSent.set(id, seq);
      api.markRead(id, seq).catch(() => readSent.delete(id));
    }, 400),
  );
}

/** @param {number} id */
export async function joinRoom(id) {
  const room = await api.join(id);
  store.upsertRoom(room);
  openRoom(room.id);
  return room;
}

/** @param {string} name @param {string} topic @param {boolean} isPrivate */
export async function createRoom(name, topic, isPrivate) {
  const room = await api.createRoom(name, topic, isPrivate);
  store.upsertRoom(room);
  openRoom(room.id);
  return room;
}

/** @param {string} username */
export async function openDm(username) {
  const room = await api.openDm(username);
  store.upsertRoom(room);
  openRoom(room.id);
  return room;
}

// ---- sending -------------------------------------------------------------

/**
 * Queues a message; it goes out now if the socket is up, else on reconnect.
 * @param {number} roomId
 * @param {string} body
 * @param {number|null} replyTo
 */
/** @param {number} roomId @param {string} body @param {number|null} replyTo @param {import('./types.js').FileInfo[]} [files] */
export function send(roomId, body, replyTo, files = []) {
  sendQueued(state.outbox.add(roomId, body, replyTo, null, files));
}

/** `+:name:` in the composer: reacts to the room's latest message. @param {number} roomId @param {string} emoji */
export async function reactLast(roomId, emoji) {
  const list = state.rooms.get(roomId)?.messages ?? [];
  let msg;
  for (let i = list.length - 1; i >= 0 && !msg; i--) if (list[i] && !list[i]?.deleted) msg = list[i];
  if (!msg) {
    store.setNotice('There is no message here to react to.', 'error');
    return false;
  }
  try {
    await api.react(msg.room_id, msg.id, emoji, true);
    return true;
  } catch (err) {
    notifyError(err);
    return false;
  }
}

/** Sends a message just queued in the outbox (if the socket is up). @param {import('./types.js').Outgoing} item */
export function sendQueued(item) {
  gateway?.send(frameOf(item));
  store.changed();
}

/** Resends every pending message in order (after `resume`). */
export function flushOutbox() {
  if (!gateway) return;
  for (const item of state.outbox.pending()) {
    if (!gateway.send(frameOf(item))) break;
  }
}

/** @param {string} clientId */
export function retry(clientId) {
  const item = state.outbox.retry(clientId);
  if (item) gateway?.send(frameOf(item));
  store.changed();
}

/** @param {string} clientId */
export function discard(clientId) {
  state.outbox.discard(clientId);
  store.changed();
}

/** @type {Map<number, number>} */
const typingSent = new Map();

/** Tells the room I am typing, at most every 3 s. @param {number} roomId */
export function typing(roomId) {
  const now = Date.now();
  if (now - (typingSent.get(roomId) ?? 0) < TYPING_EVERY_MS) return;
  if (gateway?.send({ type: 'typing', room_id: roomId })) typingSent.set(roomId, now);
}

/** @param {Message} msg @param {string} body */
export async function edit(msg, body) {
  try {
    putMessage(await api.editMessage(msg.room_id, msg.id, body));
    return true;
  } catch (err) {
    notifyError(err);
    return false;
  }
}

/** @param {Message} msg */
export async function remove(msg) {
  try {
    await api.deleteMessage(msg.room_id, msg.id);
    putMessage({ ...msg, body: null, deleted: true });
  } catch (err) {
    notifyError(err);
  }
}

// ---- members (for @ completion) ---------------------------------------------

/** @type {Map<number, Promise<import('./types.js').UserRef[]>>} */
const memberCache = new Map();

/** The room's members, asked once and kept until membership changes. @param {number} roomId */
export function roomMembers(roomId) {
  let found = memberCache.get(roomId);
  if (!found) {
    found = api.members(roomId).then((ms) => ms.map((m) => m.user));
    found.catch(() => memberCache.delete(roomId));
    memberCache.set(roomId, found);
  }
  return found;
}

/** @param {number} roomId */
export function forgetMembers(roomId) {
  memberCache.delete(roomId);
}

// ---- reactions, pins, jumping to a message -----------------------------------

/** @param {Message} msg @param {string} emoji @param {boolean} on @returns {Promise<boolean>} */
export async function react(msg, emoji, on) {
  try {
    await api.react(msg.room_id, msg.id, emoji, on);
    return true;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 400)) notifyError(err);
    return false;
  }
}

/** @param {Message} msg @param {boolean} on @returns {Promise<boolean>} */
export async function pin(msg, on) {
  try {
    await api.pin(msg.room_id, msg.id, on);
    return true;
  } catch (err) {
    notifyError(err);
    return false;
  }
}

/**
 * Opens a message's room with the message in its window (loading the pages
 * around it when it is elsewhere). False if I am not in that room.
 * @param {Message} msg
 */
export async function showMessage(msg) {
  const view = state.rooms.get(msg.room_id);
  if (!view) {
    store.setNotice('You are no longer in that room.', 'error');
    return false;
  }
  if (view.loaded && view.messages.some((m) => m.id === msg.id)) {
    openRoom(msg.room_id);
    return true;
  }
  store.selectRoom(msg.room_id);
  history.replaceState(null, '', `#room/${msg.room_id}`);
  remember(LAST_ROOM_KEY, String(msg.room_id));
  store.setLoading(msg.room_id, true);
  try {
    const [older, newer] = await Promise.all([
      api.messages(msg.room_id, { before: msg.seq + 1, limit: PAGE / 2 }),
      api.messages(msg.room_id, { after: msg.seq, limit: PAGE / 2 }),
    ]);
    store.setAround(msg.room_id, [...older.messages, ...newer.messages], older.has_more, newer.has_more);
    return true;
  } catch (err) {
    store.setHistoryError(msg.room_id, messageOf(err));
    return false;
  }
}

/** My newest message in the room that can still be edited. @param {number} roomId */
export function lastOwnMessage(roomId) {
  const view = state.rooms.get(roomId);
  const me = state.me;
  if (!view || !me) return undefined;
  for (let i = view.messages.length - 1; i >= 0; i--) {
    const m = view.messages[i];
    if (m && m.author.id === me.id && !m.deleted) return m;
  }
  return undefined;
}
