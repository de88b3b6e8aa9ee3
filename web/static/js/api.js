// The REST client: same-origin fetch with the session cookie, JSON in and out.
// Errors become ApiError carrying the server's {"error": {code, message}}.
// A GET that boot.js started early is answered from there, once.

import { answer, take } from './boot.js';

/** @typedef {import('./types.js').User} User */
/** @typedef {import('./types.js').Room} Room */
/** @typedef {import('./types.js').Message} Message */
/** @typedef {import('./types.js').Member} Member */
/** @typedef {import('./types.js').Ban} Ban */
/** @typedef {import('./types.js').Session} Session */
/** @typedef {import('./types.js').Revision} Revision */

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
async function request(method, path, body, opts = {}) {
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
const room = (id) => `/rooms/${encodeURIComponent(String(id))}`;

export const api = {
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
  /** @returns {Promise<Room[]>} */
  async publicRooms() {
    return (await request('GET', '/rooms/public')).rooms;
  },
  /** @param {number} id @returns {Promise<Room>} */
  async room(id) {
    return (await request('GET', room(id))).room;
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
  /** @param {number} roomId @returns {Promise<Message[]>} most recently pinned first */
  async pins(roomId) {
    return (await request('GET', `${room(roomId)}/pins`)).messages;
  },
  /** @param {number} roomId @param {number} messageId @returns {Promise<Revision[]>} oldest first */
  async history(roomId, messageId) {
    return (await request('GET', `${room(roomId)}/messages/${messageId}/history`)).revisions;
  },
  /** @param {string} q @returns {Promise<Message[]>} newest first */
  async search(q) {
    return (await request('GET', `/search?${new URLSearchParams({ q, limit: '50' })}`)).messages;
  },

  // ---- threads and mentions ----
  /**
   * @param {number} roomId @param {number} rootId @param {{before?: number, limit?: number}} q
   * @returns {Promise<{messages: Message[], has_more: boolean}>}
   */
  async threadMessages(roomId, rootId, q) {
    const params = new URLSearchParams({ limit: String(q.limit ?? 50) });
    if (q.before !== undefined) params.set('before', String(q.before));
    const data = await request('GET', `${room(roomId)}/threads/${rootId}/messages?${params}`);
    return { messages: data.messages, has_more: Boolean(data.has_more) };
  },
  /** @param {number} roomId @param {number} rootId @param {number} seq */
  async markThreadRead(roomId, rootId, seq) {
    await request('POST', `${room(roomId)}/threads/${rootId}/read`, { seq });
  },
  /** @returns {Promise<{room_id: number, root: Message, unread_count: number}[]>} most recent activity first */
  async threads() {
    return (await request('GET', '/threads')).threads;
  },
  /** @param {number} [before] a message id: the page older than it @returns {Promise<Message[]>} newest first */
  async mentions(before) {
    const params = new URLSearchParams({ limit: '50' });
    if (before !== undefined) params.set('before', String(before));
    return (await request('GET', `/mentions?${params}`)).messages;
  },

  // ---- people and my account ----
  /** @param {string} q @returns {Promise<User[]>} */
  async users(q) {
    return (await request('GET', `/users?${new URLSearchParams({ q, limit: '20' })}`)).users;
  },
  /** @param {{display_name?: string, bio?: string}} patch @returns {Promise<User>} */
  async updateMe(patch) {
    return (await request('PATCH', '/me', patch)).user;
  },
  /**
   * Sets (a file id) or removes (null) my avatar, or a room's.
   * @param {number|null} roomId  null: mine
   * @param {number|null} fileId
   * @returns {Promise<any>} the user or room as it is now
   */
  async setAvatar(roomId, fileId) {
    const data = await request(fileId ? 'PUT' : 'DELETE', `${roomId ? room(roomId) : '/me'}/avatar`, fileId ? { file_id: fileId } : undefined);
    return data.user ?? data.room;
  },
  /** @returns {Promise<Session[]>} */
  async sessions() {
    return (await request('GET', '/me/sessions')).sessions;
  },
  /** @param {number} id */
  async endSession(id) {
    await request('DELETE', `/me/sessions/${encodeURIComponent(String(id))}`);
  },

  /** @returns {Promise<User[]>} most recently blocked first */
  async blocks() {
    return (await request('GET', '/me/blocks')).users;
  },
  /** @param {string} username @param {boolean} on */
  async block(username, on) {
    await request(on ? 'PUT' : 'DELETE', `/me/blocks/${encodeURIComponent(username)}`);
  },
  /** Reports a message to the server's admins. @param {number} messageId @param {string} reason */
  async report(messageId, reason) {
    await request('POST', '/reports', { message_id: messageId, reason });
  },

  // ---- running a room ----
  /** @param {number} id @param {{name?: string, topic?: string}} patch @returns {Promise<Room>} */
  async updateRoom(id, patch) {
    return (await request('PATCH', room(id), patch)).room;
  },
  /** @param {number} id */
  async leave(id) {
    await request('POST', `${room(id)}/leave`);
  },
  /** @param {number} roomId @returns {Promise<Member[]>} */
  async members(roomId) {
    return (await request('GET', `${room(roomId)}/members`)).members;
  },
  /** @param {number} roomId @param {string} username @param {'owner'|'admin'|'member'} role */
  async setRole(roomId, username, role) {
    return /** @type {Member} */ ((await request('PATCH', `${room(roomId)}/members/${encodeURIComponent(username)}`, { role })).member);
  },
  /** @param {number} roomId @param {string} username */
  async removeMember(roomId, username) {
    await request('DELETE', `${room(roomId)}/members/${encodeURIComponent(username)}`);
  },
  /** @param {number} roomId @param {string} username @param {string} reason */
  async ban(roomId, username, reason) {
    await request('PUT', `${room(roomId)}/bans/${encodeURIComponent(username)}`, reason ? { reason } : {});
  },
  /** @param {number} roomId @param {string} username */
  async unban(roomId, username) {
    await request('DELETE', `${room(roomId)}/bans/${encodeURIComponent(username)}`);
  },
  /** @param {number} roomId @returns {Promise<Ban[]>} */
  async bans(roomId) {
    return (await request('GET', `${room(roomId)}/bans`)).bans;
  },
};
