// Thread actions: open a thread in the side panel (loading its replies),
// page back through older replies, send a reply through the outbox (so it
// survives a reconnect like any message), and move the thread's read marker.

import { api } from './api.js';
import { panelApi } from './panel-api.js';
import { messageOf, sendQueued } from './actions.js';
import * as replies from './replies.js';
import { state } from './store.js';

/** @typedef {import('./types.js').Message} Message */

const PAGE = 50;

/** Opens a thread on its root (a reply opens its root's thread). @param {Message} msg */
export async function openThread(msg) {
  const root = msg.thread_root == null ? msg : await rootOf(msg);
  replies.openThreadView(root);
  const t = state.thread;
  if (!t || t.loaded || t.loading) return;
  replies.setThreadLoading(root.id, true);
  try {
    const page = await panelApi.threadMessages(root.room_id, root.id, { limit: PAGE });
    replies.setReplies(root.id, page.messages, page.has_more, false);
  } catch (err) {
    replies.setThreadLoading(root.id, false, messageOf(err));
  }
}

/**
 * The root of a reply's thread: from the room's window, else from the
 * threads I follow, else a stand-in that says where it is.
 * @param {Message} reply
 * @returns {Promise<Message>}
 */
async function rootOf(reply) {
  const rootId = /** @type {number} */ (reply.thread_root);
  const known = state.rooms.get(reply.room_id)?.messages.find((m) => m.id === rootId);
  if (known) return known;
  try {
    const followed = (await api.threads()).find((t) => t.root.id === rootId);
    if (followed) return followed.root;
  } catch {
    // fall through to the stand-in
  }
  return {
    ...reply,
    id: rootId,
    thread_root: null,
    thread: null,
    body: 'The message that started this thread is further up in the room.',
    edited_at: null,
    reactions: [],
    pinned: false,
    mentions: [],
    mentions_room: false,
    reply_to: null,
  };
}

/** Loads the open thread's newest replies again (after a failed load, once back online). */
export async function reloadThread() {
  const t = state.thread;
  if (!t || t.loading) return;
  const rootId = t.root.id;
  replies.setThreadLoading(rootId, true);
  try {
    const page = await panelApi.threadMessages(t.roomId, rootId, { limit: PAGE });
    replies.setReplies(rootId, page.messages, page.has_more, false);
  } catch (err) {
    replies.setThreadLoading(rootId, false, messageOf(err));
  }
}

export async function loadOlderReplies() {
  const t = state.thread;
  const first = t?.replies[0];
  if (!t || !first || t.loading || !t.hasMore) return;
  const rootId = t.root.id;
  replies.setThreadLoading(rootId, true);
  try {
    const page = await panelApi.threadMessages(t.roomId, rootId, { before: first.seq, limit: PAGE });
    replies.setReplies(rootId, page.messages, page.has_more, true);
  } catch (err) {
    replies.setThreadLoading(rootId, false, messageOf(err));
  }
}

/** @param {number} roomId @param {number} rootId @param {string} body */
export function sendReply(roomId, rootId, body) {
  sendQueued(state.outbox.add(roomId, body, null, rootId));
}

/** @type {Map<number, number>} root id → the seq last marked read */
const readSent = new Map();

/**
 * Moves my read marker in the open thread to its newest reply (only
 * forward); true if it moved (once the server has it).
 * @returns {Promise<boolean>|false}
 */
export function markThreadRead() {
  const t = state.thread;
  const last = t?.replies[t.replies.length - 1];
  if (!t || !last || document.visibilityState !== 'visible') return false;
  if (last.seq <= (readSent.get(t.root.id) ?? 0)) return false;
  readSent.set(t.root.id, last.seq);
  return panelApi.markThreadRead(t.roomId, t.root.id, last.seq).then(
    () => true,
    () => {
      readSent.delete(t.root.id);
      return false;
    },
  );
}
