// Messages on their way out. Each keeps its client_id for life, so a resend
// after a reconnect (or a retry after a failure) never makes a second copy:
// the server acknowledges a known client_id with the original message.
//
// saved.js keeps them in localStorage across reloads and closed tabs; it
// loads only when a page left some, or with the first message queued.

import { storedKeys } from './boot.js';

/** @typedef {import('./types.js').Outgoing} Outgoing */
/** @typedef {import('./types.js').SendFrame} SendFrame */

/** A fresh client_id (1–64 visible ASCII characters). */
export function newClientId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** localStorage keys of unsent messages start with this (saved.js). */
export const SAVED_PREFIX = 'chat.outbox.';

/** Whether pages left messages unsent: a user's, or anyone's. @param {number} [userId] */
const anySaved = (userId) => storedKeys(userId === undefined ? SAVED_PREFIX : `${SAVED_PREFIX}${userId}.`).length > 0;

/**
 * Keeps `outbox` saved across reloads and closed tabs (saved.js): loaded now
 * when pages left messages unsent (they join the outbox; `adopted` sends
 * them), else with the first message queued, so the first screen does not
 * wait for it.
 * @param {Outbox} outbox
 * @param {number} userId
 * @param {(o: Outgoing) => boolean} keep  false drops a saved one (a room I left)
 * @param {() => void} adopted
 */
export async function keepSaved(outbox, userId, keep, adopted) {
  const load = () =>
    import('./saved.js').then(
      (s) => s.restore(outbox, userId, keep, adopted),
      () => {}, // not loaded (offline): this page's messages are not kept
    );
  if (anySaved(userId)) return load();
  outbox.onChange = () => {
    outbox.onChange = null;
    void load();
  };
}

/** Removes what pages left unsent: a user's, or anyone's. @param {number} [userId] */
export async function forgetSaved(userId) {
  if (anySaved(userId)) await import('./saved.js').then((s) => s.forget(userId), () => {});
}

/** @param {Outgoing} o @returns {SendFrame} */
export function frameOf(o) {
  /** @type {SendFrame} */
  const frame = { type: 'send', room_id: o.room_id, body: o.body, client_id: o.client_id };
  if (o.reply_to !== null) frame.reply_to = o.reply_to;
  if (o.thread_root != null) frame.thread_root = o.thread_root;
  if (o.attachments?.length) frame.attachments = o.attachments.map((f) => f.id);
  return frame;
}

export class Outbox {
  constructor() {
    /** @type {Outgoing[]} in the order the user sent them */
    this.items = [];
    /** @type {((items: Outgoing[]) => void)|null} */
    this.onChange = null;
    /** Its user is logging out: nothing is saved any more. */
    this.closed = false;
  }

  /** Tells whoever keeps the messages (saved.js) that they changed. */
  save() {
    this.onChange?.(this.items);
  }

  /**
   * Queues a new message.
   * @param {number} roomId
   * @param {string} body
   * @param {number|null} replyTo
   * @param {number|null} [threadRoot]  a reply in this message's thread
   * @param {import('./types.js').FileInfo[]} [attachments]
   * @returns {Outgoing}
   */
  add(roomId, body, replyTo, threadRoot = null, attachments = []) {
    /** @type {Outgoing} */
    const item = {
      client_id: newClientId(),
      room_id: roomId,
      body,
      reply_to: replyTo,
      thread_root: threadRoot,
      attachments,
      status: 'pending',
      created_at: new Date().toISOString(),
    };
    this.items = [...this.items, item];
    this.save();
    return item;
  }

  /** @param {string} clientId */
  get(clientId) {
    return this.items.find((o) => o.client_id === clientId);
  }

  /**
   * Removes an acknowledged message; false if it was not ours (or already gone).
   * @param {string} clientId
   */
  ack(clientId) {
    const before = this.items.length;
    this.items = this.items.filter((o) => o.client_id !== clientId);
    if (this.items.length === before) return false;
    this.save();
    return true;
  }

  /**
   * @param {string} clientId
   * @param {string} reason
   */
  fail(clientId, reason) {
    this.items = this.items.map((o) =>
      o.client_id === clientId ? { ...o, status: /** @type {const} */ ('failed'), error: reason } : o,
    );
    this.save();
  }

  /**
   * Makes a failed message pending again; returns it.
   * @param {string} clientId
   */
  retry(clientId) {
    /** @type {Outgoing|undefined} */
    let found;
    this.items = this.items.map((o) => {
      if (o.client_id !== clientId) return o;
      // Everything but the failure: the body, the reply, the thread, the files.
      found = { ...o, status: 'pending' };
      delete found.error;
      return found;
    });
    this.save();
    return found;
  }

  /** @param {string} clientId */
  discard(clientId) {
    this.ack(clientId);
  }

  /** Every pending message, in order: what to (re)send after a reconnect. */
  pending() {
    return this.items.filter((o) => o.status === 'pending');
  }

  /** @param {number} roomId */
  inRoom(roomId) {
    return this.items.filter((o) => o.room_id === roomId && o.thread_root == null);
  }

  /** Replies on their way into one thread. @param {number} rootId */
  inThread(rootId) {
    return this.items.filter((o) => o.thread_root === rootId);
  }

  clear() {
    this.items = [];
    this.save();
  }
}
