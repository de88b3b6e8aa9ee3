// The timeline: one child of the `log` per message (sent or on its way),
// rebuilt from state with keyed nodes so unchanged messages keep their DOM.
// It keeps the reading position when older pages arrive, sticks to the
// bottom while you are there, and asks for more history as you scroll.

import { clear, focusIn, reorder, setText } from '../dom.js';
import { dayKey, dayLabel } from '../time.js';
import * as store from '../store.js';
import { buildMessage, isOutgoing, sameSig } from './message.js';

/** @typedef {import('../types.js').Message} Message */
/** @typedef {import('../types.js').Outgoing} Outgoing */
/** @typedef {import('../store.js').State} State */
/** @typedef {import('../store.js').RoomView} RoomView */
/** @typedef {import('./message.js').Sig} Sig */
/** @typedef {import('./message.js').MessageHooks} MessageHooks */

const NEAR_TOP_PX = 400;
const AT_BOTTOM_PX = 48;
const GROUP_MS = 5 * 60_000;

/**
 * @typedef {object} TimelineLoaders
 * @property {(roomId: number) => void} loadOlder
 * @property {(roomId: number) => void} loadNewer
 * @property {(roomId: number) => void} loadLatest
 * @property {(roomId: number) => void} markRead
 * @typedef {TimelineLoaders & MessageHooks} TimelineHooks
 */

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
    /** @type {number|null} a message to bring into view once it is rendered */
    this.revealId = null;

    /** At the bottom as of the last scroll or render: growth keeps it there. */
    this.pinned = true;
    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    // Messages that grow after they render (attachments, pictures) keep the newest in view.
    new ResizeObserver(() => {
      if (this.pinned) this.scroller.scrollTop = this.scroller.scrollHeight;
    }).observe(this.log);
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

  /** Scroll to a message and focus it, now or once it is rendered. @param {number} id */
  reveal(id) {
    this.revealId = id;
    if (this.last) this.render(this.last);
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
    if (refocus && key) focusIn(this.nodes.get(key)?.node, 'button.msg-menu-toggle[aria-label="More actions"]');
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
    // Until the room's first page is in there is nothing to read or to
    // keep in view, and measuring would lay the page out for nothing.
    if (!view || this.roomId !== view.room.id || !view.loaded) return;
    const bottom = this.atBottom();
    this.pinned = bottom;
    const reading = bottom && !view.hasNewer && document.visibilityState === 'visible';
    store.setReading(reading);
    if (reading) this.hooks.markRead(view.room.id);
    if (view.loading || view.error) return;
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

    // Where we are, before the DOM changes. With no message on screen yet
    // there is nothing to keep in place, and reading the layout here would
    // lay the page out once more before the messages are even in it.
    const fresh = this.nodes.size === 0;
    const wasAtBottom = fresh || this.atBottom();
    const anchor = fresh ? null : this.findAnchor();

    this.renderStatus(view);
    this.renderMessages(state, view);
    this.renderPill(state, view);

    const target = this.revealId === null ? null : document.getElementById(`msg-${this.revealId}`);
    if (target && this.log.contains(target)) {
      this.revealId = null;
      this.toBottom = false;
      target.tabIndex = -1;
      target.scrollIntoView({ block: 'center' });
      target.classList.add('flash');
      target.focus({ preventScroll: true });
    } else if (view.loaded && (this.toBottom || (wasAtBottom && !view.hasNewer && this.nodes.size > 0))) {
      this.scroller.scrollTop = this.scroller.scrollHeight;
      this.toBottom = false;
    } else if (anchor && anchor.node.isConnected) {
      const top = anchor.node.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top;
      this.scroller.scrollTop += top - anchor.top;
    }
    if (view.loaded) this.pinned = this.atBottom();
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
    let lined = false;
    const lineAfter = this.lineAfter(view, me?.id);
    for (const item of items) {
      const outgoing = isOutgoing(item);
      const key = outgoing ? `o:${item.client_id}` : `m:${item.id}`;
      const created = item.created_at;
      const day = !prev || dayKey(prev.created_at) !== dayKey(created) ? dayLabel(created) : null;
      const authorId = outgoing ? me?.id : item.author.id;
      const prevAuthor = prev ? (isOutgoing(prev) ? me?.id : prev.author.id) : undefined;
      const mine = outgoing || (me !== null && item.author.id === me.id);
      const first = !mine && item.seq > lineAfter && !lined;
      if (first) lined = true;
      const grouped =
        !day &&
        !first &&
        prev !== null &&
        prevAuthor === authorId &&
        !(!isOutgoing(prev) && prev.deleted) &&
        new Date(created).getTime() - new Date(prev.created_at).getTime() < GROUP_MS &&
        item.reply_to === null;
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
        first,
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
    reorder(this.log, wanted);
  }

  /**
   * The seq the "New messages" line follows, if the window holds the first
   * unread message (a window that starts later holds fewer of them than
   * there were); Infinity for no line.
   * @param {RoomView} view @param {number|undefined} myId
   */
  lineAfter(view, myId) {
    const line = view.line;
    if (!line) return Infinity;
    const first = view.messages[0];
    if (!view.hasMoreBefore || !first || first.seq <= line.after) return line.after;
    const unread = view.messages.filter((m) => m.seq > line.after && m.author.id !== myId).length;
    return unread >= line.unread ? line.after : Infinity;
  }

  /**
   * @param {string} key
   * @param {Sig} sig
   * @param {State} state
   * @returns {HTMLElement}
   */
  build(key, sig, state) {
    return buildMessage(key, sig, state, {
      hooks: this.hooks,
      toggleMenu: (k) => {
        this.menuKey = this.menuKey === k ? null : k;
        if (this.last) this.render(this.last);
        const focus = this.menuKey === k ? '.msg-menu .menu-item' : 'button.msg-menu-toggle[aria-label="More actions"]';
        focusIn(this.nodes.get(k)?.node, focus);
      },
      runMenu: (fn) => {
        this.menuKey = null;
        fn();
        if (this.last) this.render(this.last);
      },
    });
  }
}
