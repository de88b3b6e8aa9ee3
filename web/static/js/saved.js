// Unsent messages kept in localStorage, so a reload or a closed tab does not
// lose what was typed offline. Each page keeps its own entry, with the time
// it last said it was alive (every 10 s while it holds messages) and
// whether it has gone (pagehide: a reload, a closed tab). A page takes over
// the entries of its user's pages that have gone or stopped saying they are
// alive (a crash) when it starts and on every beat after, and sends them
// with its own; a page still open keeps its own messages, so two tabs never
// both hold one. Messages kept over a day come back failed, for the user to
// send or discard, rather than going out unseen. Logging out removes them,
// and so does a page that finds itself logged out (see forgetAll).
// Loaded after login, so the first screen does not wait for it.

import { store, stored, storedKeys } from './boot.js';
import { SAVED_PREFIX as PREFIX, newClientId } from './outbox.js';

/** @typedef {import('./types.js').Outgoing} Outgoing */
/** @typedef {import('./outbox.js').Outbox} Outbox */
/** @typedef {{at: number, gone: boolean, items: Outgoing[]}} Entry */

const BEAT_MS = 10_000;
/** An entry not renewed for this long belongs to a page that is no more. */
const ORPHANED_MS = 3 * BEAT_MS;
/** Older unsent messages come back failed instead of going out unseen. */
const STALE_MS = 24 * 60 * 60 * 1000;

/** The keys of saved entries: a user's, or everyone's. @param {number} [userId] */
const savedKeys = (userId) => storedKeys(userId === undefined ? PREFIX : `${PREFIX}${userId}.`);

/** @param {unknown} v */
const isId = (v) => Number.isSafeInteger(v) && /** @type {number} */ (v) > 0;

/** Only what frameOf and the timeline can use. @param {unknown} o @returns {o is Outgoing} */
function isOutgoing(o) {
  if (!o || typeof o !== 'object') return false;
  const v = /** @type {Record<string, unknown>} */ (o);
  return (
    typeof v.client_id === 'string' &&
    isId(v.room_id) &&
    typeof v.body === 'string' &&
    typeof v.created_at === 'string' &&
    (v.status === 'pending' || v.status === 'failed') &&
    (v.reply_to === null || isId(v.reply_to)) &&
    (v.thread_root == null || isId(v.thread_root)) &&
    (v.attachments === undefined ||
      (Array.isArray(v.attachments) && v.attachments.every((f) => f && typeof f === 'object' && isId(f.id) && typeof f.name === 'string')))
  );
}

/** @param {string} key @returns {Entry|null} */
function read(key) {
  try {
    const e = JSON.parse(stored(key) ?? 'null');
    if (!e || typeof e !== 'object' || !Array.isArray(e.items)) return null;
    return { at: Number(e.at) || 0, gone: e.gone === true, items: e.items.filter(isOutgoing) };
  } catch {
    return null;
  }
}

/**
 * Moves the user's orphaned messages into `outbox` (oldest first); whether
 * any came.
 * @param {Outbox} outbox @param {number} userId @param {string} own  this page's key
 * @param {(o: Outgoing) => boolean} keep
 */
function adopt(outbox, userId, own, keep) {
  const now = Date.now();
  /** @type {Map<string, Outgoing>} */
  const found = new Map(outbox.items.map((o) => [o.client_id, o]));
  let came = false;
  for (const key of savedKeys(userId)) {
    if (key === own) continue;
    const entry = read(key);
    if (entry && !entry.gone && now - entry.at < ORPHANED_MS) continue; // its page is open
    store(key, null);
    for (const o of entry?.items ?? []) {
      if (found.has(o.client_id) || !keep(o)) continue;
      const stale = o.status === 'pending' && now - Date.parse(o.created_at) > STALE_MS;
      found.set(o.client_id, stale ? { ...o, status: 'failed', error: 'kept unsent for over a day' } : o);
      came = true;
    }
  }
  if (came) {
    // ISO times: text order is time order.
    outbox.items = [...found.values()].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  }
  return came;
}

/**
 * Keeps `outbox` saved for `userId` from now on, after taking over what
 * the user's gone pages left unsent. `adopted` is called whenever that
 * brings messages (to send them), now or at a later beat.
 * @param {Outbox} outbox
 * @param {number} userId
 * @param {(o: Outgoing) => boolean} keep  false drops one (a room I am no longer in)
 * @param {() => void} adopted
 */
export function restore(outbox, userId, keep, adopted) {
  const key = `${PREFIX}${userId}.${newClientId()}`;
  /** @param {boolean} gone */
  const write = (gone) => store(key, outbox.items.length ? JSON.stringify({ at: Date.now(), gone, items: outbox.items }) : null);
  if (outbox.closed) return;
  const came = adopt(outbox, userId, key, keep);
  outbox.onChange = () => write(false);
  outbox.save();
  if (came) adopted();
  const beat = setInterval(() => {
    if (outbox.closed) return void clearInterval(beat);
    if (adopt(outbox, userId, key, keep)) adopted();
    if (outbox.items.length) write(false);
  }, BEAT_MS);
  addEventListener('pagehide', () => {
    if (!outbox.closed) write(true);
  });
  // Back from the back/forward cache: this page holds its messages again.
  addEventListener('pageshow', (ev) => {
    if (ev.persisted && !outbox.closed) write(false);
  });
}

/** Removes a user's saved messages, or everyone's (a logged-out page). @param {number} [userId] */
export function forget(userId) {
  for (const key of savedKeys(userId)) store(key, null);
}
