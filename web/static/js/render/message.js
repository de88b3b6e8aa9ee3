// One message's node in the timeline (or in a thread): author and avatar, time, the
// "edited" mark that opens the earlier texts, the body, reactions as toggle
// buttons, a pinned mark, a thread summary, and the actions menu.

import { h } from '../dom.js';
import { formatBody, excerpt } from '../format.js';
import { fullTime, shortTime } from '../time.js';
import { mentionsMe } from '../replies.js';
import { avatar } from './avatar.js';

/** @typedef {import('../types.js').Message} Message */
/** @typedef {import('../types.js').Outgoing} Outgoing */
/** @typedef {import('../types.js').Reaction} Reaction */
/** @typedef {import('../store.js').State} State */

/**
 * What a message can be asked to do.
 * @typedef {object} MessageHooks
 * @property {(msg: Message) => void} reply
 * @property {(msg: Message) => void} edit
 * @property {(msg: Message) => void} remove
 * @property {(clientId: string) => void} retry
 * @property {(clientId: string) => void} discard
 * @property {(msg: Message, emoji: string, on: boolean) => void} react
 * @property {(msg: Message, opener: HTMLElement) => void} pickReaction
 * @property {(msg: Message, on: boolean) => void} pin
 * @property {(msg: Message, opener: HTMLElement) => void} history
 * @property {(msg: Message) => void} [openThread]
 * @property {(msg: Message) => void} [report]  to the server's admins
 */

/**
 * What a message's node depends on; a node is rebuilt only when this changes.
 * @typedef {object} Sig
 * @property {Message|Outgoing} data
 * @property {string|null} day
 * @property {boolean} grouped
 * @property {Message|null|undefined} quoted
 * @property {boolean} menuOpen
 * @property {boolean} canEdit
 * @property {boolean} canDelete
 * @property {string} link  for messages on their way: the connection state
 * @property {boolean} [inThread]  shown in the thread panel (no thread actions)
 * @property {boolean} [first]  the first unread: the "New messages" line goes above it
 */

/** @param {Sig} a @param {Sig} b */
export function sameSig(a, b) {
  return (
    a.data === b.data &&
    a.day === b.day &&
    a.grouped === b.grouped &&
    a.quoted === b.quoted &&
    a.menuOpen === b.menuOpen &&
    a.canEdit === b.canEdit &&
    a.canDelete === b.canDelete &&
    a.link === b.link &&
    a.inThread === b.inThread &&
    a.first === b.first
  );
}

/** @param {Message|Outgoing} d @returns {d is Outgoing} */
export function isOutgoing(d) {
  return 'status' in d;
}

/**
 * @typedef {object} BuildContext
 * @property {MessageHooks} hooks
 * @property {(key: string) => void} toggleMenu
 * @property {(fn: () => void) => void} runMenu  closes the menu, then runs fn
 */

/**
 * @param {string} key
 * @param {Sig} sig
 * @param {State} state
 * @param {BuildContext} ctx
 * @returns {HTMLElement}
 */
export function buildMessage(key, sig, state, ctx) {
  const item = sig.data;
  const outgoing = isOutgoing(item);
  const me = state.me;
  const author = outgoing ? me : item.author;
  const authorName = author ? author.display_name || author.username : '';
  const deleted = !outgoing && item.deleted;
  const classes = ['msg'];
  if (sig.grouped) classes.push('grouped');
  if (deleted) classes.push('deleted');
  if (outgoing) classes.push(item.status === 'failed' ? 'failed' : 'pending');
  if (sig.menuOpen) classes.push('menu-open');
  if (!outgoing && !deleted && mentionsMe(item, me?.id)) classes.push('mention');

  const node = h('div', { class: classes.join(' '), 'data-key': key });
  if (!outgoing) node.id = `${sig.inThread ? 'thread-msg' : 'msg'}-${item.id}`;

  if (sig.day) node.appendChild(h('div', { class: 'day-divider' }, h('span', {}, sig.day)));
  if (sig.first) node.appendChild(h('div', { class: 'day-divider new-divider' }, h('span', {}, 'New messages')));
  if (item.reply_to !== null) node.appendChild(replyQuote(sig.quoted));
  const edited =
    !outgoing && !item.deleted && item.edited_at
      ? h(
          'button',
          {
            type: 'button',
            class: 'edited link-button',
            title: `Edited ${fullTime(item.edited_at)}: show the earlier texts`,
            onclick: (ev) => ctx.hooks.history(item, /** @type {HTMLElement} */ (ev.currentTarget)),
          },
          '(edited)',
        )
      : null;
  node.appendChild(
    h(
      'div',
      { class: 'msg-head' },
      author && !sig.grouped ? avatar(author) : null,
      h('span', { class: 'author', title: author ? `@${author.username}` : undefined }, authorName),
      ' ',
      h('time', { class: 'msg-time', datetime: item.created_at, title: fullTime(item.created_at) }, shortTime(item.created_at)),
      edited ? ' ' : null,
      edited,
      classes.includes('mention') ? h('span', { class: 'visually-hidden' }, ' (mentions you)') : null,
    ),
  );

  if (deleted) {
    node.appendChild(h('p', { class: 'msg-body tombstone' }, 'message deleted'));
  } else {
    const body = h('div', { class: 'msg-body' });
    body.appendChild(formatBody(outgoing ? item.body : item.body ?? ''));
    node.appendChild(body);
    const files = item.attachments;
    if (files?.length) {
      // files.js loads with the first message that carries files.
      const area = h('div', { class: 'msg-files' });
      node.appendChild(area);
      void import('./files.js').then((m) => m.showAttachments(area, files));
    }
  }

  if (outgoing) {
    node.appendChild(outgoingStatus(item, state, ctx.hooks));
    return node;
  }
  if (!sig.inThread && item.thread && item.thread.reply_count > 0) node.appendChild(threadSummary(item, ctx.hooks));
  if (deleted) return node;

  const extras = messageExtras(item, me?.id, ctx.hooks);
  if (extras) node.appendChild(extras);
  node.appendChild(tools(key, sig, item, ctx));
  return node;
}

/** @param {Message|null|undefined} q */
function replyQuote(q) {
  return h(
    'div',
    { class: 'reply-quote' },
    q
      ? [
          h('span', { class: 'reply-author' }, q.author.display_name || q.author.username),
          ' ',
          h('span', { class: 'reply-text' }, q.deleted || q.body === null ? 'message deleted' : excerpt(q.body)),
        ]
      : h('span', { class: 'reply-text' }, 'Reply to an earlier message'),
  );
}

/** @param {Outgoing} item @param {State} state @param {MessageHooks} hooks */
function outgoingStatus(item, state, hooks) {
  if (item.status !== 'failed') {
    return h('div', { class: 'msg-status' }, state.link === 'online' ? 'Sending…' : 'Waiting for connection…');
  }
  return h(
    'div',
    { class: 'msg-status error' },
    h('span', {}, `Not sent: ${item.error ?? 'error'}`),
    ' ',
    h('button', { class: 'link-button', type: 'button', onclick: () => hooks.retry(item.client_id) }, 'Retry'),
    ' ',
    h('button', { class: 'link-button', type: 'button', onclick: () => hooks.discard(item.client_id) }, 'Discard'),
  );
}

/** "3 replies · last at 10:42", opening the thread. @param {Message} msg @param {MessageHooks} hooks */
function threadSummary(msg, hooks) {
  const t = /** @type {import('../types.js').ThreadSummary} */ (msg.thread);
  const n = t.reply_count;
  const label = `${n} ${n === 1 ? 'reply' : 'replies'}`;
  return h(
    'div',
    { class: 'thread-summary' },
    h('button', { type: 'button', class: 'link-button thread-link', onclick: () => hooks.openThread?.(msg) }, label),
    t.last_reply_at ? h('span', { class: 'msg-time' }, ` · last ${shortTime(t.last_reply_at)}`) : null,
  );
}

/**
 * A pinned mark and the reactions (toggle buttons, mine pressed) under a
 * message; null when it has neither.
 * @param {Message} msg
 * @param {number|undefined} meId
 * @param {MessageHooks} hooks
 * @returns {HTMLElement|null}
 */
function messageExtras(msg, meId, hooks) {
  const reactions = msg.reactions ?? [];
  if (!msg.pinned && reactions.length === 0) return null;
  return h(
    'div',
    { class: 'msg-extras' },
    msg.pinned ? h('span', { class: 'pinned-mark' }, '📌 pinned') : null,
    reactions.length > 0
      ? h(
          'ul',
          { class: 'reactions', 'aria-label': 'Reactions' },
          reactions.map((r) => h('li', {}, reactionButton(msg, r, meId, hooks))),
        )
      : null,
  );
}

/** @param {Message} msg @param {Reaction} r @param {number|undefined} meId @param {MessageHooks} hooks */
function reactionButton(msg, r, meId, hooks) {
  const mine = meId !== undefined && r.user_ids.includes(meId);
  return h(
    'button',
    {
      type: 'button',
      class: mine ? 'reaction mine' : 'reaction',
      'aria-pressed': mine ? 'true' : 'false',
      'aria-label': `${r.emoji} ${r.count}`,
      title: mine ? `You reacted with ${r.emoji}; click to take it back` : `React with ${r.emoji}`,
      onclick: () => hooks.react(msg, r.emoji, !mine),
    },
    `${r.emoji} ${r.count}`,
  );
}

/**
 * The hover tools: add a reaction, and the "More actions" menu.
 * @param {string} key @param {Sig} sig @param {Message} msg @param {BuildContext} ctx
 */
function tools(key, sig, msg, ctx) {
  const { hooks } = ctx;
  const toggle = h(
    'button',
    {
      class: 'msg-menu-toggle',
      type: 'button',
      'aria-label': 'More actions',
      'aria-expanded': sig.menuOpen ? 'true' : 'false',
      onclick: (ev) => {
        ev.stopPropagation();
        ctx.toggleMenu(key);
      },
    },
    '⋯',
  );
  const react = h(
    'button',
    {
      class: 'msg-menu-toggle',
      type: 'button',
      'aria-label': 'Add reaction',
      title: 'Add reaction',
      onclick: (ev) => {
        ev.stopPropagation();
        hooks.pickReaction(msg, /** @type {HTMLElement} */ (ev.currentTarget));
      },
    },
    '☺',
  );
  const box = h('div', { class: 'msg-tools' }, react, toggle);
  if (!sig.menuOpen) return box;
  /** @param {string} label @param {() => void} fn */
  const item = (label, fn) =>
    h('button', {
      type: 'button',
      class: 'menu-item',
      onclick: (ev) => {
        ev.stopPropagation();
        ctx.runMenu(fn);
      },
    }, label);
  box.appendChild(
    h(
      'div',
      { class: 'msg-menu' },
      sig.inThread ? null : item('Reply', () => hooks.reply(msg)),
      !sig.inThread && hooks.openThread && msg.thread_root == null ? item('Reply in thread', () => hooks.openThread?.(msg)) : null,
      msg.pinned ? item('Unpin', () => hooks.pin(msg, false)) : item('Pin', () => hooks.pin(msg, true)),
      sig.canEdit ? item('Edit', () => hooks.edit(msg)) : null,
      sig.canDelete ? item('Delete', () => hooks.remove(msg)) : null,
      hooks.report && !sig.canEdit ? item('Report…', () => hooks.report?.(msg)) : null,
    ),
  );
  return box;
}
