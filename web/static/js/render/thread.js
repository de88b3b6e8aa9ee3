// The thread side panel: the root message, its replies (a `log` named
// "Thread replies"), earlier replies on request, and a composer that sends
// through the outbox like the main one (Enter sends, Esc closes the panel).

import '../later.js';
import { byId, clear, focusIn, h, reorder, setText } from '../dom.js';
import { buildMessage, isOutgoing, sameSig } from './message.js';
import * as store from '../store.js';

/** @typedef {import('../types.js').Message} Message */
/** @typedef {import('../types.js').Outgoing} Outgoing */
/** @typedef {import('../store.js').State} State */
/** @typedef {import('./message.js').Sig} Sig */
/** @typedef {import('./message.js').MessageHooks} MessageHooks */

/**
 * @typedef {object} ThreadHooks
 * @property {MessageHooks} message
 * @property {(roomId: number, rootId: number, body: string) => void} send
 * @property {() => void} loadOlder
 * @property {() => void} close
 * @property {() => void} markRead
 */

export class ThreadPanel {
  /** @param {ThreadHooks} hooks */
  constructor(hooks) {
    this.hooks = hooks;
    this.panel = byId('thread-panel', HTMLElement);
    this.rootBox = byId('thread-root', HTMLElement);
    this.log = byId('thread-log', HTMLElement);
    this.status = byId('thread-status', HTMLElement);
    this.scroller = byId('thread-scroller', HTMLElement);
    this.input = byId('thread-input', HTMLTextAreaElement);
    this.more = byId('thread-more', HTMLButtonElement);
    /** @type {Map<string, {node: HTMLElement, sig: Sig}>} */
    this.nodes = new Map();
    /** @type {number|null} */
    this.rootId = null;
    /** @type {{node: HTMLElement, sig: Sig}|null} */
    this.rootEntry = null;
    /** @type {string|null} */
    this.menuKey = null;
    /** @type {State|null} */
    this.last = null;

    byId('thread-close', HTMLButtonElement).addEventListener('click', () => hooks.close());
    this.more.addEventListener('click', () => hooks.loadOlder());
    byId('thread-composer', HTMLFormElement).addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.submit();
    });
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
        ev.preventDefault();
        this.submit();
      }
    });
    this.panel.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Escape') return;
      ev.preventDefault();
      ev.stopPropagation();
      if (this.menuKey) this.toggleMenu(this.menuKey);
      else hooks.close();
    });
    document.addEventListener('click', (ev) => {
      if (!this.menuKey || !(ev.target instanceof Node)) return;
      if (!this.nodes.get(this.menuKey)?.node.contains(ev.target) && !this.rootEntry?.node.contains(ev.target)) this.toggleMenu(this.menuKey);
    });
  }

  submit() {
    const t = this.last?.thread;
    const body = this.input.value.trim();
    if (!t || !body) return;
    if (store.tooLong(body)) return;
    this.input.value = '';
    this.input.rows = 1;
    this.hooks.send(t.roomId, t.root.id, body);
    queueMicrotask(() => (this.scroller.scrollTop = this.scroller.scrollHeight));
  }

  focus() {
    this.input.focus();
  }

  /** @param {string} key */
  toggleMenu(key) {
    this.menuKey = this.menuKey === key ? null : key;
    if (this.last) this.render(this.last);
    const node = key === 'root' ? this.rootEntry?.node : this.nodes.get(key)?.node;
    focusIn(node, this.menuKey === key ? '.msg-menu .menu-item' : 'button.msg-menu-toggle[aria-label="More actions"]');
  }

  /** @param {string} key @param {Sig} sig @param {State} state */
  build(key, sig, state) {
    return buildMessage(key, sig, state, {
      hooks: this.hooks.message,
      toggleMenu: (k) => this.toggleMenu(k),
      runMenu: (fn) => {
        this.menuKey = null;
        fn();
        if (this.last) this.render(this.last);
      },
    });
  }

  /** @param {State} state */
  render(state) {
    this.last = state;
    const t = state.thread;
    const open = t !== null;
    this.panel.hidden = !open;
    document.body.classList.toggle('thread-open', open);
    if (!t) {
      this.rootId = null;
      this.nodes.clear();
      clear(this.log);
      clear(this.rootBox);
      this.rootEntry = null;
      return;
    }
    if (this.rootId !== t.root.id) {
      this.rootId = t.root.id;
      this.nodes.clear();
      clear(this.log);
      this.menuKey = null;
      this.input.value = '';
    }
    const me = state.me;
    const moderator = ['owner', 'admin'].includes(state.rooms.get(t.roomId)?.room.role ?? '');
    /** @param {Message|Outgoing} item @param {string} key @returns {Sig} */
    const sigOf = (item, key) => {
      const outgoing = isOutgoing(item);
      const mine = outgoing || (me !== null && item.author.id === me.id);
      const deleted = !outgoing && item.deleted;
      return {
        data: item,
        day: null,
        grouped: false,
        quoted: null,
        menuOpen: this.menuKey === key,
        canEdit: false,
        canDelete: !outgoing && !deleted && (mine || moderator),
        link: outgoing ? state.link : '',
        inThread: true,
      };
    };
    const rootSig = sigOf(t.root, 'root');
    if (!this.rootEntry || !sameSig(this.rootEntry.sig, rootSig)) {
      const node = this.build('root', rootSig, state);
      clear(this.rootBox);
      this.rootBox.appendChild(node);
      this.rootEntry = { node, sig: rootSig };
    }

    const n = t.root.thread?.reply_count ?? t.replies.length;
    setText(byId('thread-title', HTMLElement), `Thread · ${n} ${n === 1 ? 'reply' : 'replies'}`);
    setText(this.status, t.error ? `Could not load the replies: ${t.error}` : t.loading ? 'Loading replies…' : '');
    this.more.hidden = !t.hasMore || t.loading;

    const wasAtBottom = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 48;
    /** @type {(Message|Outgoing)[]} */
    const items = [...t.replies, ...state.outbox.inThread(t.root.id)];
    /** @type {HTMLElement[]} */
    const wanted = [];
    for (const item of items) {
      const key = isOutgoing(item) ? `o:${item.client_id}` : `m:${item.id}`;
      const sig = sigOf(item, key);
      let entry = this.nodes.get(key);
      if (!entry || !sameSig(entry.sig, sig)) {
        entry = { node: this.build(key, sig, state), sig };
        this.nodes.set(key, entry);
      }
      wanted.push(entry.node);
    }
    const keep = new Set(wanted);
    for (const [key, entry] of this.nodes) if (!keep.has(entry.node)) this.nodes.delete(key);
    if (wanted.length === 0 && t.loaded) wanted.push(h('p', { class: 'section-empty' }, 'No replies yet.'));
    reorder(this.log, wanted);
    if (wasAtBottom) this.scroller.scrollTop = this.scroller.scrollHeight;
    if (t.loaded) this.hooks.markRead();
  }
}
