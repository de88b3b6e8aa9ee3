// What is waiting for me across rooms: the Mentions dialog (messages that
// mention me, newest first, paged back) and the Threads dialog (threads I
// follow, with their unread replies). Each entry opens where it lives.

import { byId, clear, h, setText } from '../dom.js';
import { api } from '../api.js';
import { panelApi } from '../panel-api.js';
import { errorText, messageEntry, modal, show } from './panels.js';

/** @typedef {import('../types.js').Message} Message */

/**
 * @typedef {object} InboxHooks
 * @property {(msg: Message) => Promise<void>} jump  a message in its room (a reply: in its thread)
 * @property {(root: Message) => Promise<void>} openThread
 */

export class Inbox {
  /** @param {InboxHooks} hooks */
  constructor(hooks) {
    this.hooks = hooks;
    this.mentions = modal('mentions-dialog');
    this.threads = modal('threads-dialog');
    this.mentionsList = byId('mentions-list', HTMLUListElement);
    this.more = byId('mentions-more', HTMLButtonElement);
    /** @type {number|undefined} the oldest mention shown */
    this.oldest = undefined;
    this.more.addEventListener('click', () => void this.loadMentions(true));
  }

  async openMentions() {
    clear(this.mentionsList);
    this.oldest = undefined;
    this.more.hidden = true;
    setText(byId('mentions-status', HTMLElement), 'Loading…');
    show(this.mentions);
    await this.loadMentions(false);
    const first = this.mentionsList.querySelector('button');
    if (first instanceof HTMLElement) first.focus();
  }

  /** @param {boolean} older */
  async loadMentions(older) {
    const status = byId('mentions-status', HTMLElement);
    /** @type {Message[]} */
    let messages;
    try {
      messages = await panelApi.mentions(older ? this.oldest : undefined);
    } catch (err) {
      setText(status, errorText(err));
      return;
    }
    for (const msg of messages) {
      const who = msg.author.display_name || msg.author.username;
      this.mentionsList.appendChild(
        messageEntry(
          msg,
          [h('button', { type: 'button', class: 'button', 'aria-label': `Open the mention from ${who}`, onclick: () => void this.go(this.mentions, () => this.hooks.jump(msg)) }, 'Open')],
          true,
        ),
      );
    }
    const last = messages[messages.length - 1];
    if (last) this.oldest = last.id;
    this.more.hidden = messages.length < 50;
    const shown = this.mentionsList.children.length;
    setText(status, shown ? `${shown} ${shown === 1 ? 'message mentions' : 'messages mention'} you` : 'Nobody has mentioned you yet.');
  }

  async openThreads() {
    const list = byId('threads-list', HTMLUListElement);
    const status = byId('threads-status', HTMLElement);
    clear(list);
    setText(status, 'Loading…');
    show(this.threads);
    let threads;
    try {
      threads = await api.threads();
    } catch (err) {
      setText(status, errorText(err));
      return;
    }
    const unread = threads.reduce((n, t) => n + t.unread_count, 0);
    setText(status, threads.length ? `${threads.length} ${threads.length === 1 ? 'thread' : 'threads'}${unread ? `, ${unread} unread ${unread === 1 ? 'reply' : 'replies'}` : ''}` : 'You follow no threads yet: start or reply in one.');
    for (const t of threads) {
      const who = t.root.author.display_name || t.root.author.username;
      const n = t.root.thread?.reply_count ?? 0;
      const entry = messageEntry(
        t.root,
        [
          t.unread_count > 0 ? h('span', { class: 'badge' }, `${t.unread_count} unread`) : null,
          h('span', { class: 'result-meta' }, `${n} ${n === 1 ? 'reply' : 'replies'}`),
          h('button', { type: 'button', class: 'button', 'aria-label': `Open the thread of ${who}`, onclick: () => void this.go(this.threads, () => this.hooks.openThread(t.root)) }, 'Open'),
        ].filter((x) => x !== null),
        true,
      );
      if (t.unread_count > 0) entry.classList.add('unread');
      list.appendChild(entry);
    }
    const first = list.querySelector('button');
    if (first instanceof HTMLElement) first.focus();
  }

  /** @param {HTMLDialogElement} dialog @param {() => Promise<void>} fn */
  async go(dialog, fn) {
    dialog.close();
    await fn();
  }
}
