// Unsent messages kept in localStorage, so a reload or a closed tab does not
// lose what was typed offline. Each page keeps its own entry (two tabs do not
// overwrite each other's); a page that starts takes over every entry of its
// user and sends them with its own. Sending one that another open tab is
// still sending is harmless: the server answers a known client_id with the
// original message. Logging out removes them. Loaded after login, so the
// first screen does not wait for it.

import { store, stored } from './boot.js';
import { newClientId } from './outbox.js';

/** @typedef {import('./types.js').Outgoing} Outgoing */
/** @typedef {import('./outbox.js').Outbox} Outbox */

/** localStorage: a user's unsent messages, one entry per page. @param {number} userId */
const prefixOf = (userId) => `chat.outbox.${userId}.`;

/** The keys of a user's saved entries. @param {number} userId */
function savedKeys(userId) {
  const prefix = prefixOf(userId);
  /** @type {string[]} */
  const keys = [];
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key?.startsWith(prefix)) keys.push(key);
    }
  } catch {
    // storage disabled: nothing saved
  }
  return keys;
}

/** @param {unknown} o @returns {o is Outgoing} */
function isOutgoing(o) {
  if (!o || typeof o !== 'object') return false;
  const v = /** @type {Record<string, unknown>} */ (o);
  return typeof v.client_id === 'string' && typeof v.room_id === 'number' && typeof v.body === 'string' && typeof v.created_at === 'string';
}

/** @param {string} key @returns {unknown[]} */
function read(key) {
  try {
    const list = JSON.parse(stored(key) ?? '[]');
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

/**
 * Puts the messages this user left unsent in any page (this one before a
 * reload, a closed tab) into `outbox`, oldest first, and keeps the outbox
 * saved from now on. Failed ones stay failed; pending ones go out with the
 * rest when the socket is ready.
 * @param {Outbox} outbox
 * @param {number} userId
 * @param {(o: Outgoing) => boolean} keep  false drops one (a room I am no longer in)
 */
export function restore(outbox, userId, keep) {
  /** @type {Map<string, Outgoing>} */
  const found = new Map(outbox.items.map((o) => [o.client_id, o]));
  for (const key of savedKeys(userId)) {
    for (const o of read(key)) if (isOutgoing(o) && !found.has(o.client_id)) found.set(o.client_id, o);
    store(key, null);
  }
  // ISO times: text order is time order.
  outbox.items = [...found.values()].filter(keep).sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  const key = prefixOf(userId) + newClientId();
  outbox.onChange = (items) => store(key, items.length ? JSON.stringify(items) : null);
  outbox.save();
}

/** Removes a user's saved messages (at logout). @param {number} userId */
export function forget(userId) {
  for (const key of savedKeys(userId)) store(key, null);
}
