// Where a message goes: into its room's window, or, for a thread reply, into
// the open thread (and its root's summary). Replies never enter a room's
// timeline; the server leaves them out of room history the same way.

import { changed, merge, placeMessage, state } from './store.js';

/** @typedef {import('./types.js').Message} Message */
/** @typedef {import('./store.js').RoomView} RoomView */

/**
 * A message we know is current (an ack, an edit's answer).
 * @param {Message} msg
 */
export function putMessage(msg) {
  const view = state.rooms.get(msg.room_id);
  if (!view) return;
  if (msg.thread_root != null) putReply(msg);
  else placeMessage(view, keepSummary(view, msg));
  changed();
}

/** Whether the message mentions me (by name or the whole room). @param {Message} msg @param {number|undefined} meId */
export function mentionsMe(msg, meId) {
  if (meId === undefined || msg.author.id === meId || msg.deleted) return false;
  return Boolean(msg.mentions_room) || (msg.mentions ?? []).includes(meId);
}

// ---- threads ---------------------------------------------------------------

/**
 * A message as an event or an answer carries it, keeping the thread summary
 * we know when it comes without one (a root stays a root, even deleted).
 * @param {RoomView} view @param {Message} msg
 */
export function keepSummary(view, msg) {
  if (msg.thread != null) return msg;
  const known = view.messages.find((m) => m.id === msg.id)?.thread ?? (state.thread?.root.id === msg.id ? state.thread.root.thread : null);
  return known ? { ...msg, thread: known } : msg;
}

/** Puts a reply (new or changed) into the open thread if it is that thread's. @param {Message} msg */
export function putReply(msg) {
  const t = state.thread;
  if (!t || t.root.id !== msg.thread_root) return;
  const i = t.replies.findIndex((m) => m.id === msg.id);
  if (i >= 0) t.replies = [...t.replies.slice(0, i), msg, ...t.replies.slice(i + 1)];
  else if (t.loaded) t.replies = merge(t.replies, [msg]);
}

/**
 * A new reply: its root's summary counts it (in the room's window and the
 * open thread) unless it already does. A page of history read after the
 * reply was stored counts it, and the socket may still replay its event;
 * the summary names the newest reply it counts, and a root's replies come
 * in seq order.
 * @param {RoomView} view @param {Message} reply
 */
export function countReply(view, reply) {
  /** @param {Message} root @returns {Message} */
  const bump = (root) => {
    const t = root.thread ?? { reply_count: 0, last_reply_at: null, participant_ids: [], last_reply_seq: 0 };
    if (reply.seq <= t.last_reply_seq) return root;
    const ids = t.participant_ids.includes(reply.author.id) ? t.participant_ids : [...t.participant_ids, reply.author.id];
    return { ...root, thread: { reply_count: t.reply_count + 1, last_reply_at: reply.created_at, participant_ids: ids, last_reply_seq: reply.seq } };
  };
  const i = view.messages.findIndex((m) => m.id === reply.thread_root);
  const inWindow = view.messages[i];
  if (inWindow) view.messages = [...view.messages.slice(0, i), bump(inWindow), ...view.messages.slice(i + 1)];
  if (state.thread && state.thread.root.id === reply.thread_root) state.thread.root = bump(state.thread.root);
}

/** Opens the side panel on a thread. @param {Message} root */
export function openThreadView(root) {
  if (state.thread && state.thread.root.id === root.id) {
    state.thread.root = root;
  } else {
    state.thread = { roomId: root.room_id, root, replies: [], loaded: false, loading: false, hasMore: false, error: null };
  }
  changed();
}

export function closeThread() {
  state.thread = null;
  changed();
}

/**
 * A page of the open thread's replies (`older`: one before what we have).
 * @param {number} rootId @param {Message[]} replies @param {boolean} hasMore @param {boolean} older
 */
export function setReplies(rootId, replies, hasMore, older) {
  const t = state.thread;
  if (!t || t.root.id !== rootId) return;
  t.replies = older ? merge(replies, t.replies) : merge(t.loaded ? t.replies : [], replies);
  t.hasMore = hasMore;
  t.loaded = true;
  t.loading = false;
  t.error = null;
  changed();
}

/** @param {number} rootId @param {boolean} loading @param {string|null} [error] */
export function setThreadLoading(rootId, loading, error = null) {
  const t = state.thread;
  if (!t || t.root.id !== rootId) return;
  t.loading = loading;
  t.error = error;
  changed();
}
