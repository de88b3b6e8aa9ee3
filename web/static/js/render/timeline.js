// The timeline: one child of the `log` per message (sent or on its way),
// rebuilt from state with keyed nodes so unchanged messages keep their DOM.
// It keeps the reading position when older pages arrive, sticks to the
// bottom while you are there, and asks for more history as you scroll.

import { h, clear, focusIn, setText } from '../dom.js';
import { formatBody, excerpt } from '../format.js';
import { dayKey, dayLabel, fullTime, shortTime } from '../time.js';
import * as store from '../store.js';

/** @typedef {import('../types.js').Message} Message */
/** @typedef {import('../types.js').Outgoing} Outgoing */
/** @typedef {import('../store.js').State} State */
/** @typedef {import('../store.js').RoomView} RoomView */

const NEAR_TOP_PX = 400;
const AT_BOTTOM_PX = 48;
const GROUP_MS = 5 * 60_000;

/**
 * @typedef {object} TimelineHooks
 * @property {(roomId: number) => void} loadOlder
 * @property {(roomId: number) => void} loadNewer
 * @property {(roomId: number) => void} loadLatest
 * @property {(roomId: number) => void} markRead
 * @property {(msg: Message) => void} reply
 * @property {(msg: Message) => void} edit
 * @property {(msg: Message) => void} remove
 * @property {(clientId: string) => void} retry
 * @property {(clientId: string) => void} discard
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
 */

/** @param {Sig} a @param {Sig} b */
function sameSig(a, b) {
  return (
    a.data === b.data &&
    a.day === b.day &&
    a.grouped === b.grouped &&
    a.quoted === b.quoted &&
    a.menuOpen === b.menuOpen &&
    a.canEdit === b.canEdit &&
    a.canDelete === b.canDelete &&
    a.link === b.link
  );
}

/**
 * A pinned mark and the reactions as text chips (`👍 2`) under a message;
 * null when it has neither.
 * @param {Message} msg
 * @returns {HTMLElement|null}
 */
function messageExtras(msg) {
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
          reactions.map((r) =>
            h('li', { class: 'reaction', title: `${r.count} × ${r.emoji}` }, `${r.emoji} ${r.count}`),
          ),
        )
      : null,
  );
}

/** @param {Message|Outgoing} d @returns {d is Outgoing} */
function isOutgoing(d) {
  return 'status' in d;
}

export class Timeline {
  /**
   * @param {{scroller: HTMLElement, log: HTMLElement, status: HTMLElement, pill: HTMLButtonElement}} els
   * @param {TimelineHooks} hooks
   */
  constructor(els, hooks) {
    this.scroller = els.scroller;
    this.log = els.log;
    this.status = els.status;
    this.pill = els.pill;
    this.hooks = hooks;
    /** @type {Map<string, {node: HTMLElement, sig: Sig}>} */
    this.nodes = new Map();
    /** @type {number|null} */
    this.roomId = null;
    this.toBottom = true;
    /** @type {string|null} key of the message whose menu is open */
    this.menuKey = null;
    /** @type {State|null} */
    this.last = null;

    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    document.addEventListener('visibilitychange', () => this.onScroll());
    this.pill.addEventListener('click', () => this.jumpToLatest());
    document.addEventListener('click', (ev) => {
      if (this.menuKey && ev.target instanceof Node && !this.menuNode()?.contains(ev.target)) this.closeMenu(false);
    });
    this.log.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && this.menuKey) {
        ev.preventDefault();
        ev.stopPropagation();
        this.closeMenu(true);
      }
    });
  }

  /** Scrolls to the newest message (loading it if the window is elsewhere). */
  jumpToLatest() {
    const view = store.current();
    if (!view) return;
    this.toBottom = true;
    if (view.hasNewer) this.hooks.loadLatest(view.room.id);
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.onScroll();
  }

  /** After sending: show the newest messages. */
  stickToBottom() {
    this.jumpToLatest();
  }

  menuNode() {
    return this.menuKey ? this.nodes.get(this.menuKey)?.node : undefined;
  }

  /** @param {boolean} refocus */
  closeMenu(refocus) {
    const key = this.menuKey;
    this.menuKey = null;
    if (this.last) this.render(this.last);
    if (refocus && key) focusIn(this.nodes.get(key)?.node, 'button.msg-menu-toggle');
  }

  /** Closes an open message menu; true if one was open (for Esc). */
  dismiss() {
    if (!this.menuKey) return false;
    this.closeMenu(true);
    return true;
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < AT_BOTTOM_PX;
  }

  onScroll() {
    const view = store.current();
    if (!view || this.roomId !== view.room.id) return;
    const bottom = this.atBottom();
    const reading = bottom && !view.hasNewer && document.visibilityState === 'visible';
    store.setReading(reading);
    if (reading) this.hooks.markRead(view.room.id);
    if (!view.loaded || view.loading || view.error) return;
    if (this.scroller.scrollTop < NEAR_TOP_PX && view.hasMoreBefore) this.hooks.loadOlder(view.room.id);
    else if (bottom && view.hasNewer) this.hooks.loadNewer(view.room.id);
  }

  /** @param {State} state */
  render(state) {
    this.last = state;
    const view = store.current();
    if (!view) {
      this.roomId = null;
      this.nodes.clear();
      clear(this.log);
      setText(this.status, '');
      this.pill.hidden = true;
      return;
    }
    if (this.roomId !== view.room.id) {
      this.roomId = view.room.id;
      this.nodes.clear();
      clear(this.log);
      this.menuKey = null;
      this.toBottom = true;
    }

    // Where we are, before the DOM changes.
    const wasAtBottom = this.atBottom();
    const anchor = this.findAnchor();

    this.renderStatus(view);
    this.renderMessages(state, view);
    this.renderPill(state, view);

    if (view.loaded && (this.toBottom || (wasAtBottom && !view.hasNewer && this.nodes.size > 0))) {
      this.scroller.scrollTop = this.scroller.scrollHeight;
      if (view.loaded) this.toBottom = false;
    } else if (anchor && anchor.node.isConnected) {
      const top = anchor.node.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top;
      this.scroller.scrollTop += top - anchor.top;
    }
    // More to load while the page does not fill the screen, or position changed.
    queueMicrotask(() => this.onScroll());
  }

  /** The first message at least partly on screen, and its offset. */
  findAnchor() {
    const top = this.scroller.getBoundingClientRect().top;
    for (const child of this.log.children) {
      const r = child.getBoundingClientRect();
      if (r.bottom > top) return { node: child, top: r.top - top };
    }
    return null;
  }

  /** @param {RoomView} view */
  renderStatus(view) {
    let text = '';
    if (view.error) text = `Could not load messages: ${view.error}`;
    else if (view.loading) text = 'Loading messages…';
    else if (view.loaded && !view.hasMoreBefore) {
      text = view.room.kind === 'direct' ? `This is the beginning of your conversation with ${view.room.name}.` : `This is the beginning of ${view.room.name}.`;
    }
    setText(this.status, text);
    this.status.classList.toggle('error', Boolean(view.error));
  }

  /**
   * @param {State} state
   * @param {RoomView} view
   */
  renderPill(state, view) {
    const show = (view.newBelow > 0 || view.hasNewer) && !state.reading;
    this.pill.hidden = !show;
    if (show) setText(this.pill, view.newBelow > 0 ? `${view.newBelow} new ↓` : 'Jump to latest ↓');
  }

  /**
   * @param {State} state
   * @param {RoomView} view
   */
  renderMessages(state, view) {
    const me = state.me;
    const moderator = view.room.role === 'owner' || view.room.role === 'admin';
    /** @type {Map<number, Message>} */
    const byId = new Map(view.messages.map((m) => [m.id, m]));
    /** @type {(Message|Outgoing)[]} */
    const items = [...view.messages];
    if (!view.hasNewer) items.push(...state.outbox.inRoom(view.room.id));

    /** @type {HTMLElement[]} */
    const wanted = [];
    /** @type {Set<string>} */
    const keys = new Set();
    /** @type {Message|Outgoing|null} */
    let prev = null;
    for (const item of items) {
      const outgoing = isOutgoing(item);
      const key = outgoing ? `o:${item.client_id}` : `m:${item.id}`;
      const created = item.created_at;
      const day = !prev || dayKey(prev.created_at) !== dayKey(created) ? dayLabel(created) : null;
      const authorId = outgoing ? me?.id : item.author.id;
      const prevAuthor = prev ? (isOutgoing(prev) ? me?.id : prev.author.id) : undefined;
      const grouped =
        !day &&
        prev !== null &&
        prevAuthor === authorId &&
        !(!isOutgoing(prev) && prev.deleted) &&
        new Date(created).getTime() - new Date(prev.created_at).getTime() < GROUP_MS &&
        item.reply_to === null;
      const mine = outgoing || (me !== null && item.author.id === me.id);
      const deleted = !outgoing && item.deleted;
      /** @type {Sig} */
      const sig = {
        data: item,
        day,
        grouped,
        quoted: item.reply_to === null ? null : byId.get(item.reply_to),
        menuOpen: this.menuKey === key,
        canEdit: !outgoing && mine && !deleted,
        canDelete: !outgoing && !deleted && (mine || moderator),
        link: outgoing ? state.link : '',
      };
      let entry = this.nodes.get(key);
      if (!entry || !sameSig(entry.sig, sig)) {
        const node = this.build(key, sig, state);
        if (entry) entry.node.replaceWith(node);
        entry = { node, sig };
        this.nodes.set(key, entry);
      }
      wanted.push(entry.node);
      keys.add(key);
      prev = item;
    }
    for (const [key, entry] of this.nodes) {
      if (!keys.has(key)) {
        entry.node.remove();
        this.nodes.delete(key);
      }
    }
    // Put the nodes in order, moving only those out of place.
    let cursor = this.log.firstElementChild;
    for (const node of wanted) {
      if (node === cursor) {
        cursor = cursor.nextElementSibling;
      } else {
        this.log.insertBefore(node, cursor);
      }
    }
    while (cursor) {
      const next = cursor.nextElementSibling;
      cursor.remove();
      cursor = next;
    }
  }

  /**
   * @param {string} key
   * @param {Sig} sig
   * @param {State} state
   * @returns {HTMLElement}
   */
  build(key, sig, state) {
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

    const node = h('div', { class: classes.join(' '), 'data-key': key });
    if (!outgoing) node.id = `msg-${item.id}`;

    if (sig.day) {
      node.appendChild(h('div', { class: 'day-divider' }, h('span', {}, sig.day)));
    }
    if (item.reply_to !== null) {
      const q = sig.quoted;
      node.appendChild(
        h(
          'div',
          { class: 'reply-quote' },
          q
            ? [
                h('span', { class: 'reply-author' }, q.author.display_name || q.author.username),
                ' ',
                h('span', { class: 'reply-text' }, q.deleted || q.body === null ? 'message deleted' : excerpt(q.body)),
              ]
            : h('span', { class: 'reply-text' }, 'Reply to an earlier message'),
        ),
      );
    }
    const head = h(
      'div',
      { class: 'msg-head' },
      h('span', { class: 'author', title: author ? `@${author.username}` : undefined }, authorName),
      ' ',
      h('time', { class: 'msg-time', datetime: item.created_at, title: fullTime(item.created_at) }, shortTime(item.created_at)),
      !outgoing && !item.deleted && item.edited_at ? h('span', { class: 'edited', title: `Edited ${fullTime(item.edited_at)}` }, ' (edited)') : null,
    );
    node.appendChild(head);

    if (deleted) {
      node.appendChild(h('p', { class: 'msg-body tombstone' }, 'message deleted'));
    } else {
      const body = h('div', { class: 'msg-body' });
      body.appendChild(formatBody(outgoing ? item.body : item.body ?? ''));
      node.appendChild(body);
    }

    if (!outgoing && !deleted) {
      const extras = messageExtras(item);
      if (extras) node.appendChild(extras);
    }

    if (outgoing) {
      if (item.status === 'failed') {
        node.appendChild(
          h(
            'div',
            { class: 'msg-status error' },
            h('span', {}, `Not sent: ${item.error ?? 'error'}`),
            ' ',
            h('button', { class: 'link-button', type: 'button', onclick: () => this.hooks.retry(item.client_id) }, 'Retry'),
            ' ',
            h('button', { class: 'link-button', type: 'button', onclick: () => this.hooks.discard(item.client_id) }, 'Discard'),
          ),
        );
      } else {
        node.appendChild(h('div', { class: 'msg-status' }, state.link === 'online' ? 'Sending…' : 'Waiting for connection…'));
      }
      return node;
    }
    if (deleted) return node;

    const msg = item;
    const toggle = h(
      'button',
      {
        class: 'msg-menu-toggle',
        type: 'button',
        'aria-label': 'More actions',
        'aria-expanded': sig.menuOpen ? 'true' : 'false',
        onclick: (ev) => {
          ev.stopPropagation();
          this.menuKey = this.menuKey === key ? null : key;
          if (this.last) this.render(this.last);
          const focus = this.menuKey === key ? '.msg-menu .menu-item' : 'button.msg-menu-toggle';
          focusIn(this.nodes.get(key)?.node, focus);
        },
      },
      '⋯',
    );
    const tools = h('div', { class: 'msg-tools' }, toggle);
    if (sig.menuOpen) {
      /** @param {string} label @param {() => void} fn */
      const item = (label, fn) =>
        h('button', {
          type: 'button',
          class: 'menu-item',
          onclick: (ev) => {
            ev.stopPropagation();
            this.menuKey = null;
            fn();
            if (this.last) this.render(this.last);
          },
        }, label);
      tools.appendChild(
        h(
          'div',
          { class: 'msg-menu' },
          item('Reply', () => this.hooks.reply(msg)),
          sig.canEdit ? item('Edit', () => this.hooks.edit(msg)) : null,
          sig.canDelete ? item('Delete', () => this.hooks.remove(msg)) : null,
        ),
      );
    }
    node.appendChild(tools);
    return node;
  }
}
