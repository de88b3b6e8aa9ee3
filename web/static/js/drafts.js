// Composer drafts kept in localStorage, so that a reload, a closed tab or a
// crash keeps what was typed: one entry per user and room, written at most
// half a second after a keystroke and whenever the page is hidden, removed
// when the text is sent or deleted, and at logout (docs/security.md, "What
// the browser keeps"). With several tabs, the last one typed in wins. A
// draft far over any server's message limit (a stray paste) is not kept,
// so it cannot fill the storage unsent messages need.
// The composer loads this with the first keystroke, or at login when
// drafts were kept.

import { DRAFT_PREFIX, store, stored, storedKeys } from './boot.js';

/**
 * At login: puts the drafts this user's pages kept into `drafts`, by room,
 * and drops those of rooms no longer `mine`. The keeper keeps what is
 * typed next.
 * @param {number} userId @param {(roomId: number) => boolean} mine @param {Map<number, string>} drafts
 */
export function restore(userId, mine, drafts) {
  const kept = new Drafts(userId);
  for (const [room, text] of kept.load()) {
    if (!mine(room)) kept.drop(room);
    else if (!drafts.has(room)) drafts.set(room, text);
  }
  return kept;
}

/** Removes the drafts pages kept: a user's, or anyone's. @param {number} [userId] */
export function forget(userId) {
  for (const key of storedKeys(userId === undefined ? DRAFT_PREFIX : `${DRAFT_PREFIX}${userId}.`)) store(key, null);
}

/** How long a keystroke may wait before its draft is written. */
const WRITE_AFTER_MS = 500;
/** The longest draft kept, in UTF-16 units. */
const MAX_KEPT = 100_000;

export class Drafts {
  /** @param {number} userId */
  constructor(userId) {
    this.prefix = `${DRAFT_PREFIX}${userId}.`;
    /** @type {Map<number, string>} typed here and not yet written */
    this.pending = new Map();
    this.timer = 0;
    this.onHide = () => this.flush();
    addEventListener('pagehide', this.onHide);
    document.addEventListener('visibilitychange', this.onHide);
  }

  /** This user's kept drafts, by room. @returns {Map<number, string>} */
  load() {
    const drafts = new Map();
    for (const key of storedKeys(this.prefix)) {
      const room = Number(key.slice(this.prefix.length));
      const text = stored(key);
      if (Number.isSafeInteger(room) && room > 0 && text) drafts.set(room, text);
      else store(key, null);
    }
    return drafts;
  }

  /** The draft of `roomId` is now `text` (blank removes it). @param {number} roomId @param {string} text */
  put(roomId, text) {
    this.pending.set(roomId, text);
    if (!this.timer) this.timer = window.setTimeout(() => this.flush(), WRITE_AFTER_MS);
  }

  /** Removes the draft of a room that is no longer mine. @param {number} roomId */
  drop(roomId) {
    this.pending.delete(roomId);
    store(`${this.prefix}${roomId}`, null);
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = 0;
    for (const [room, text] of this.pending) store(`${this.prefix}${room}`, text.trim() && text.length <= MAX_KEPT ? text : null);
    this.pending.clear();
  }

  /** Stops keeping drafts (logging out): nothing pending is written. */
  close() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.pending.clear();
    removeEventListener('pagehide', this.onHide);
    document.removeEventListener('visibilitychange', this.onHide);
  }
}
