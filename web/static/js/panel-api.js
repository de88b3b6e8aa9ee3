// The REST calls of the dialogs and panels (search, pins, people, settings,
// members, threads), which load on first use: kept out of api.js so that
// the first screen does not download them.

import { request, room } from './api.js';

/** @typedef {import('./types.js').User} User */
/** @typedef {import('./types.js').Room} Room */
/** @typedef {import('./types.js').Message} Message */
/** @typedef {import('./types.js').Member} Member */
/** @typedef {import('./types.js').Ban} Ban */
/** @typedef {import('./types.js').Session} Session */
/** @typedef {import('./types.js').Revision} Revision */

/** @param {string} username */
const member = (username) => `/members/${encodeURIComponent(username)}`;

export const panelApi = {
  /** @returns {Promise<Room[]>} */
  async publicRooms() {
    return (await request('GET', '/rooms/public')).rooms;
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
  /** @param {string} current @param {string} next */
  async changePassword(current, next) {
    await request('POST', '/me/password', { current_password: current, new_password: next });
  },
  /** @param {number} roomId @param {string} username */
  async addMember(roomId, username) {
    await request('POST', `${room(roomId)}/members`, { username });
  },
  /** @param {number} roomId @param {string} username @param {'owner'|'admin'|'member'} role */
  async setRole(roomId, username, role) {
    return /** @type {Member} */ ((await request('PATCH', `${room(roomId)}${member(username)}`, { role })).member);
  },
  /** @param {number} roomId @param {string} username */
  async removeMember(roomId, username) {
    await request('DELETE', `${room(roomId)}${member(username)}`);
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
