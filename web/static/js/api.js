// The REST client: same-origin fetch with the session cookie, JSON in and out.
// Errors become ApiError carrying the server's {"error": {code, message}}.
// A GET that boot.js started early is answered from there, once. These are
// the first screen's calls; the panels' are in panel-api.js.

import { answer, take } from './boot.js';

/** @typedef {import('./types.js').User} User */
/** @typedef {import('./types.js').Room} Room */
/** @typedef {import('./types.js').Message} Message */
/** @typedef {import('./types.js').Member} Member */

const BASE = '/api/v1';

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Called when any call answers 401 (the session ended). */
/** @type {() => void} */
let onUnauthorized = () => {};

/** @param {() => void} fn */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {{quiet401?: boolean}} [opts]
 * @returns {Promise<any>}
 */
export async function request(method, path, body, opts = {}) {
  /** @type {RequestInit} */
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let res;
  let text;
  try {
    ({ res, text } = await ((method === 'GET' ? take(path) : undefined) ?? answer(BASE + path, init)));
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.');
  }
  if (res.status === 204) return null;
  /** @type {any} */
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = data && typeof data === 'object' && data.error ? data.error : null;
    const code = err && typeof err.code === 'string' ? err.code : `http_${res.status}`;
    let message = err && typeof err.message === 'string' ? err.message : `The server answered ${res.status}.`;
    if (res.status === 429) {
      const after = res.headers.get('Retry-After');
      if (after) message += ` Try again in ${after} s.`;
    }
    if (res.status === 401 && !opts.quiet401) onUnauthorized();
    throw new ApiError(res.status, code, message);
  }
  return data;
}

/** @param {number} id */
export const room = (id) => `/rooms/${encodeURIComponent(String(id))}`;

/** @type {Promise<import('./types.js').ServerInfo|null>|undefined} */
let about;

export const api = {
  /**
   * This server's registration mode and limits, asked once; null when it
   * cannot say (unreachable now: asked again next time).
   * @returns {Promise<import('./types.js').ServerInfo|null>}
   */
  server() {
    about ??= request('GET', '/server', undefined, { quiet401: true }).catch(() => {
      about = undefined;
      return null;
    });
    return about;
  },
  /** @returns {Promise<User>} */
  async me() {
    return (await request('GET', '/me', undefined, { quiet401: true })).user;
  },
  /** @param {string} username @param {string} password @returns {Promise<User>} */
  async login(username, password) {
    return (await request('POST', '/auth/session', { username, password }, { quiet401: true })).user;
  },
  async logout() {
    await request('DELETE', '/auth/session', undefined, { quiet401: true });
  },
  /** @param {string} username @param {string} password @param {string} [displayName] */
  async register(username, password, displayName) {
    /** @type {{username: string, password: string, display_name?: string}} */
    const body = { username, password };
    if (displayName) body.display_name = displayName;
    return /** @type {User} */ ((await request('POST', '/auth/register', body, { quiet401: true })).user);
  },
  /** @returns {Promise<Room[]>} */
  async rooms() {
    return (await request('GET', '/rooms')).rooms;
  },
  /** @param {number} id @returns {Promise<Room>} */
  async join(id) {
    return (await request('POST', `${room(id)}/join`)).room;
  },
  /** @param {string} name @param {string} topic @param {boolean} isPrivate @returns {Promise<Room>} */
  async createRoom(name, topic, isPrivate) {
    /** @type {{name: string, visibility: string, topic?: string}} */
    const body = { name, visibility: isPrivate ? 'private' : 'public' };
    if (topic) body.topic = topic;
    return (await request('POST', '/rooms', body)).room;
  },
  /** @param {string} username @returns {Promise<Room>} */
  async openDm(username) {
    return (await request('POST', '/dms', { username })).room;
  },
  /**
   * @param {number} id
   * @param {{before?: number, after?: number, limit?: number}} q
   * @returns {Promise<{messages: Message[], has_more: boolean}>}
   */
  async messages(id, q) {
    const params = new URLSearchParams();
    if (q.before !== undefined) params.set('before', String(q.before));
    if (q.after !== undefined) params.set('after', String(q.after));
    params.set('limit', String(q.limit ?? 50));
    const data = await request('GET', `${room(id)}/messages?${params}`);
    return { messages: data.messages, has_more: Boolean(data.has_more) };
  },
  /** @param {number} roomId @param {number} messageId @param {string} body @returns {Promise<Message>} */
  async editMessage(roomId, messageId, body) {
    return (await request('PATCH', `${room(roomId)}/messages/${messageId}`, { body })).message;
  },
  /** @param {number} roomId @param {number} messageId */
  async deleteMessage(roomId, messageId) {
    await request('DELETE', `${room(roomId)}/messages/${messageId}`);
  },
  /** @param {number} roomId @param {number} seq */
  async markRead(roomId, seq) {
    await request('POST', `${room(roomId)}/read`, { seq });
  },

  // ---- reactions, pins, edit history ----
  /** @param {number} roomId @param {number} messageId @param {string} emoji @param {boolean} on */
  async react(roomId, messageId, emoji, on) {
    await request(on ? 'PUT' : 'DELETE', `${room(roomId)}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`);
  },
  /** @param {number} roomId @param {number} messageId @param {boolean} on */
  async pin(roomId, messageId, on) {
    await request(on ? 'PUT' : 'DELETE', `${room(roomId)}/pins/${messageId}`);
  },
  /** @returns {Promise<{room_id: number, root: Message, unread_count: number}[]>} most recent activity first */
  async threads() {
    return (await request('GET', '/threads')).threads;
  },
  /** @param {number} roomId @returns {Promise<Member[]>} */
  async members(roomId) {
    return (await request('GET', `${room(roomId)}/members`)).members;
  },
};
