// The first screen's requests, started as soon as the page is parsed while
// the other modules are still loading (this one imports nothing, and
// index.html loads it first): who I am, my rooms, and the latest messages
// of the room the page will open (the one in the address, else the last
// one open in this browser). Each answer is read whole here, so the first
// render has all three in one go; api.js takes each once instead of asking
// again. Logged out, /me and /rooms answer 401 and the login form shows.
// It also loads the locale's date data early (below).

/** localStorage: the room open last (set by actions.js, cleared at logout). */
export const LAST_ROOM_KEY = 'chat.room';
/** localStorage: composer drafts, `chat.draft.<user>.<room>` (drafts.js). */
export const DRAFT_PREFIX = 'chat.draft.';
/** An answer not taken by then is dropped: it would be stale. */
const FRESH_MS = 10_000;

/** @typedef {{res: Response, text: string}} Answer */

/** @type {Map<string, Promise<Answer>>} */
const started = new Map();

/** @param {string} key */
export function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage disabled: nothing remembered
  }
}

/** @param {string} key @param {string|null} value  null removes it */
export function store(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // storage disabled or full: the next load just starts later
  }
}

/** The stored keys that start with `prefix`. @param {string} prefix */
export function storedKeys(prefix) {
  const keys = [];
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key?.startsWith(prefix)) keys.push(key);
    }
  } catch {
    // storage disabled: nothing stored
  }
  return keys;
}

/**
 * A request and its whole body.
 * @param {string} url @param {RequestInit} init
 * @returns {Promise<Answer>}
 */
export async function answer(url, init) {
  const res = await fetch(url, init);
  return { res, text: await res.text() };
}

/** @param {string} path  below /api/v1 */
function start(path) {
  const got = answer(`/api/v1${path}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  got.catch(() => {}); // an answer nobody takes must not fail loudly; the taker sees the failure
  started.set(path, got);
}

start('/me');
start('/rooms');
const room = /^#room\/(\d+)$/.exec(location.hash)?.[1] ?? stored(LAST_ROOM_KEY);
if (room && /^\d+$/.test(room)) start(`/rooms/${room}/messages?limit=50`);

// A page's first date formatter loads the locale's data, which took 25-75 ms
// in a cold Chromium here; the first render formats every message's time.
// Pay it while the answers and modules are on their way, when the page is
// idle, instead of inside that render (later formatters are cheap).
// Any formatter does: the data is loaded once, whatever the options.
const warmDates = () => void new Intl.DateTimeFormat().format(0);
if ('requestIdleCallback' in window) requestIdleCallback(warmDates, { timeout: 1000 });
else setTimeout(warmDates, 0);

/** Drops the answers not taken (logged out: they were refused anyway). */
export function forget() {
  started.clear();
}
setTimeout(forget, FRESH_MS);

/**
 * The answer to a GET of `path` started here, once.
 * @param {string} path  below /api/v1, as api.js writes it
 * @returns {Promise<Answer>|undefined}
 */
export function take(path) {
  const res = started.get(path);
  started.delete(path);
  return res;
}
