// Application state and every change to it. Views read `state` and are
// re-rendered (batched, once per microtask) after any update; they never
// change state themselves.

import { Outbox } from './outbox.js';

/** @typedef {import('./types.js').User} User */
/** @typedef {import('./types.js').UserRef} UserRef */
/** @typedef {import('./types.js').Room} Room */
/** @typedef {import('./types.js').Message} Message */
/** @typedef {import('./socket.js').LinkStatus} LinkStatus */

/** Most messages kept per room (and so in the DOM). */
export const WINDOW_MAX = 300;

/**
 * One room as the client knows it.
 * @typedef {object} RoomView
 * @property {Room} room
 * @property {Message[]} messages  a contiguous window, ascending by seq
 * @property {boolean} loaded  the window holds real history
 * @property {boolean} loading  a page is on its way
 * @property {boolean} hasMoreBefore  older messages exist on the server
 * @property {boolean} hasNewer  newer messages exist beyond the window
 * @property {number} unread
 * @property {number} mentions  messages mentioning me since my read marker
 * @property {number|undefined} seen  highest event seq applied (for resume)
 * @property {number} newBelow  messages that arrived while reading history
 * @property {NewLine|null} line  where the "New messages" line goes
 * @property {string|null} error  why the history did not load
 */

/**
 * The "New messages" line: above the first message of others after `after`,
 * my read marker as it was when I opened the room with unread messages in
 * it, or where unread ones began while I looked away (live.js). It stays
 * until I open another room.
 * @typedef {object} NewLine
 * @property {number} after  a seq
 * @property {number} unread  messages of others after it then: a window
 *   holding fewer of them starts after the first unread, so the line is not
 *   in it
 */

/**
 * The open thread (the side panel).
 * @typedef {object} ThreadView
 * @property {number} roomId
 * @property {Message} root
 * @property {Message[]} replies  ascending by seq
 * @property {boolean} loaded
 * @property {boolean} loading
 * @property {boolean} hasMore  older replies exist on the server
 * @property {string|null} error
 */

/**
 * @typedef {object} Compose
 * @property {Message|null} editing
 * @property {Message|null} replyTo
 */

/**
 * @typedef {object} State
 * @property {'loading'|'login'|'chat'} screen
 * @property {User|null} me
 * @property {Map<number, RoomView>} rooms
 * @property {number|null} currentId
 * @property {Set<string>} online  usernames
 * @property {LinkStatus} link
 * @property {number} retryInMs
 * @property {Map<number, Map<number, {user: UserRef, until: number}>>} typing
 * @property {Outbox} outbox
 * @property {{text: string, kind: 'info'|'error'}|null} notice
 * @property {Compose} compose
 * @property {boolean} reading  the current room's newest messages are on screen
 * @property {ThreadView|null} thread
 */

/** @returns {State} */
function initial() {
  return {
    screen: 'loading',
    me: null,
    rooms: new Map(),
    currentId: null,
    online: new Set(),
    link: 'connecting',
    retryInMs: 0,
    typing: new Map(),
    outbox: new Outbox(),
    notice: null,
    compose: { editing: null, replyTo: null },
    reading: false,
    thread: null,
  };
}

/** @type {State} */
export const state = initial();

/**
 * What this server enforces (GET /api/v1/server), checked before sending;
 * chatd's defaults until it answers. Kept across logins: it is the server's.
 * @type {import('./types.js').ServerLimits}
 */
export const limits = { message_chars: 4000, upload_bytes: 25 * 1024 * 1024, attachments: 10 };

/** @type {Set<(s: State) => void>} */
const listeners = new Set();
let scheduled = false;

/** @param {(s: State) => void} fn */
export function subscribe(fn) {
  listeners.add(fn);
}

/** Schedules one render for everything changed in this turn. */
export function changed() {
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(() => {
    scheduled = false;
    for (const fn of listeners) fn(state);
  });
}

/** Forget everything (log out). */
export function reset() {
  Object.assign(state, initial(), { screen: 'login' });
  changed();
}

/** @param {State['screen']} screen */
export function setScreen(screen) {
  state.screen = screen;
  changed();
}

/** @param {User} me */
export function setMe(me) {
  state.me = me;
  changed();
}

/** @param {string|null} text @param {'info'|'error'} [kind] */
export function setNotice(text, kind = 'info') {
  state.notice = text ? { text, kind } : null;
  changed();
}

/**
 * Whether a message body is over the server's length limit; says so if it is.
 * @param {string} body
 */
export function tooLong(body) {
  const max = limits.message_chars;
  if ([...body].length <= max) return false;
  setNotice(`A message can have at most ${max} characters.`, 'error');
  return true;
}

/** @param {LinkStatus} link @param {number} [retryInMs] */
export function setLink(link, retryInMs = 0) {
  state.link = link;
  state.retryInMs = retryInMs;
  changed();
}

/** @param {Room} room @returns {RoomView} */
function newView(room) {
  return {
    room,
    messages: [],
    loaded: false,
    loading: false,
    hasMoreBefore: true,
    hasNewer: false,
    unread: room.unread_count ?? 0,
    mentions: room.mention_count ?? 0,
    seen: undefined,
    newBelow: 0,
    line: null,
    error: null,
  };
}

/** Replaces the room list, keeping what we know of rooms still in it. @param {Room[]} rooms */
export function setRooms(rooms) {
  /** @type {Map<number, RoomView>} */
  const next = new Map();
  for (const room of rooms) {
    const old = state.rooms.get(room.id);
    if (old) {
      old.room = room;
      old.unread = room.unread_count ?? old.unread;
      old.mentions = room.mention_count ?? old.mentions;
      next.set(room.id, old);
    } else {
      next.set(room.id, newView(room));
    }
  }
  state.rooms = next;
  if (state.currentId !== null && !next.has(state.currentId)) state.currentId = null;
  changed();
}

/**
 * Adds (or refreshes) one room, e.g. after joining it. Events up to its
 * latest_seq are already reflected in it.
 * @param {Room} room
 */
export function upsertRoom(room) {
  const old = state.rooms.get(room.id);
  if (old) {
    old.room = { ...old.room, ...room };
  } else {
    const view = newView(room);
    view.seen = room.latest_seq;
    state.rooms.set(room.id, view);
  }
  changed();
}

/** @param {number} id */
export function removeRoom(id) {
  state.rooms.delete(id);
  state.typing.delete(id);
  if (state.currentId === id) state.currentId = null;
  if (state.thread && state.thread.roomId === id) state.thread = null;
  changed();
}

/** Rooms first, then direct conversations, each by name: the order of the list. */
export function orderedRooms() {
  const all = [...state.rooms.values()];
  const byName = (/** @type {RoomView} */ a, /** @type {RoomView} */ b) =>
    a.room.name.localeCompare(b.room.name, undefined, { sensitivity: 'base' }) || a.room.id - b.room.id;
  return [
    ...all.filter((v) => v.room.kind !== 'direct').sort(byName),
    ...all.filter((v) => v.room.kind === 'direct').sort(byName),
  ];
}

/** @param {number|null} id */
export function selectRoom(id) {
  if (state.currentId !== id) {
    const view = id === null ? undefined : state.rooms.get(id);
    if (view) view.line = view.unread > 0 ? { after: view.room.read_seq ?? 0, unread: view.unread } : null;
    state.currentId = id;
    state.compose = { editing: null, replyTo: null };
    state.reading = false;
  }
  changed();
}

export function current() {
  return state.currentId === null ? undefined : state.rooms.get(state.currentId);
}

/** @param {boolean} reading */
export function setReading(reading) {
  if (state.reading === reading) return;
  state.reading = reading;
  const view = current();
  if (reading && view && !view.hasNewer) view.newBelow = 0;
  changed();
}

// ---- history windows ------------------------------------------------------

/** @param {Message[]} a @param {Message[]} b  merged by id, ascending by seq */
export function merge(a, b) {
  /** @type {Map<number, Message>} */
  const byId = new Map();
  for (const m of a) byId.set(m.id, m);
  for (const m of b) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => x.seq - y.seq);
}

/** @param {number} id @param {boolean} loading */
export function setLoading(id, loading) {
  const view = state.rooms.get(id);
  if (!view) return;
  view.loading = loading;
  if (loading) view.error = null;
  changed();
}

/** @param {number} id @param {string} error */
export function setHistoryError(id, error) {
  const view = state.rooms.get(id);
  if (!view) return;
  view.loading = false;
  view.error = error;
  changed();
}

/**
 * The newest page: the window starts over.
 * @param {number} id @param {Message[]} messages @param {boolean} hasMore
 */
export function setLatest(id, messages, hasMore) {
  const view = state.rooms.get(id);
  if (!view) return;
  view.messages = merge([], messages);
  view.hasMoreBefore = hasMore;
  view.hasNewer = false;
  view.loaded = true;
  view.loading = false;
  view.newBelow = 0;
  changed();
}

/**
 * A window around one message (a search result, a pin): the window starts
 * over with the pages on both sides of it.
 * @param {number} id @param {Message[]} messages @param {boolean} moreBefore @param {boolean} moreAfter
 */
export function setAround(id, messages, moreBefore, moreAfter) {
  const view = state.rooms.get(id);
  if (!view) return;
  view.messages = merge([], messages);
  view.hasMoreBefore = moreBefore;
  view.hasNewer = moreAfter;
  view.loaded = true;
  view.loading = false;
  changed();
}

/**
 * An older page; the window drops its newest messages past WINDOW_MAX.
 * @param {number} id @param {Message[]} messages @param {boolean} hasMore
 */
export function prependOlder(id, messages, hasMore) {
  const view = state.rooms.get(id);
  if (!view) return;
  let all = merge(messages, view.messages);
  if (all.length > WINDOW_MAX) {
    all = all.slice(0, WINDOW_MAX);
    view.hasNewer = true;
  }
  view.messages = all;
  view.hasMoreBefore = hasMore;
  view.loading = false;
  changed();
}

/**
 * A newer page (after scrolling back down); the window drops its oldest.
 * @param {number} id @param {Message[]} messages @param {boolean} hasMore
 */
export function appendNewer(id, messages, hasMore) {
  const view = state.rooms.get(id);
  if (!view) return;
  let all = merge(view.messages, messages);
  if (all.length > WINDOW_MAX) {
    all = all.slice(all.length - WINDOW_MAX);
    view.hasMoreBefore = true;
  }
  view.messages = all;
  view.hasNewer = hasMore;
  view.loading = false;
  if (!hasMore) view.newBelow = 0;
  changed();
}

/**
 * Puts a message (new or changed) into its room's window if it belongs there.
 * @param {RoomView} view
 * @param {Message} msg
 * @returns {'updated'|'appended'|'outside'}
 */
export function placeMessage(view, msg) {
  const list = view.messages;
  const i = list.findIndex((m) => m.id === msg.id);
  if (i >= 0) {
    view.messages = [...list.slice(0, i), msg, ...list.slice(i + 1)];
    return 'updated';
  }
  if (!view.loaded) return 'outside';
  const first = list[0];
  const last = list[list.length - 1];
  if (first && msg.seq < first.seq && view.hasMoreBefore) return 'outside';
  if (last && msg.seq > last.seq) {
    if (view.hasNewer) return 'outside';
    let next = [...list, msg];
    if (next.length > WINDOW_MAX) {
      if (state.reading || state.currentId !== view.room.id) {
        next = next.slice(next.length - WINDOW_MAX);
        view.hasMoreBefore = true;
      } else {
        // Reading history: keep the view still; the newest wait beyond the window.
        view.hasNewer = true;
        return 'outside';
      }
    }
    view.messages = next;
    return 'appended';
  }
  view.messages = merge(list, [msg]);
  return 'appended';
}

/** @param {number} roomId @param {number} seq  the read marker, now at least here */
export function markedRead(roomId, seq) {
  const view = state.rooms.get(roomId);
  if (view && seq > (view.room.read_seq ?? 0)) view.room.read_seq = seq;
  if (!view || (view.unread === 0 && view.mentions === 0)) return;
  view.unread = 0;
  view.mentions = 0;
  changed();
}

/** @param {Partial<Compose>} patch */
export function setCompose(patch) {
  state.compose = { ...state.compose, ...patch };
  changed();
}
