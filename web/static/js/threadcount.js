// The unread replies in the threads I follow, as a badge on the Threads
// button. The server knows which threads I follow and where my markers are,
// so the count is asked again (debounced) whenever it may have changed: at
// start and reconnect, on a reply by someone else, and after I read one.

import { api } from './api.js';
import { byId, setText } from './dom.js';

const DEBOUNCE_MS = 500;

/** @type {ReturnType<typeof setTimeout>|undefined} */
let timer;

/** Asks for the count soon (several calls in a row make one request). */
export function refreshThreadCount() {
  clearTimeout(timer);
  timer = setTimeout(() => void load(), DEBOUNCE_MS);
}

async function load() {
  let unread = 0;
  try {
    for (const t of await api.threads()) unread += t.unread_count;
  } catch {
    return; // keep what is shown; the next change asks again
  }
  show(unread);
}

/** @param {number} unread */
export function show(unread) {
  const badge = byId('threads-badge', HTMLElement);
  badge.hidden = unread === 0;
  setText(badge, unread > 99 ? '99+' : String(unread));
  setText(byId('threads-unread', HTMLElement), unread ? `${unread} unread ${unread === 1 ? 'reply' : 'replies'}` : '');
}
