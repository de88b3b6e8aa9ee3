// The message overlays: the reaction picker, a message's edit history, the
// room's pinned messages and search across my rooms. Each is a native modal
// <dialog> (focus kept inside, Esc closes, focus returns to the opener).

import '../later.js';
import { byId, clear, h, setText } from '../dom.js';
import { ApiError } from '../api.js';
import { panelApi } from '../panel-api.js';
import { excerpt } from '../format.js';
import { mediumTime } from '../time.js';
import { setNotice, state } from '../store.js';

/** @typedef {import('../types.js').Message} Message */

/** The quick set of reactions; anything else is typed. */
export const QUICK_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢'];

/** @param {unknown} err */
export function errorText(err) {
  return err instanceof Error ? err.message : 'Something went wrong.';
}

/**
 * A modal dialog that closes on its [data-close] buttons and its backdrop.
 * @param {string} id
 */
export function modal(id) {
  const dialog = byId(id, HTMLDialogElement);
  dialog.addEventListener('click', (ev) => {
    const target = ev.target;
    if (target instanceof HTMLElement && target.closest('[data-close]')) dialog.close();
    if (target === dialog) dialog.close();
  });
  closeOnEscape(dialog);
  return dialog;
}

/**
 * Esc closes the dialog at once, even from a search field (where Chromium's
 * first Esc would only clear the text).
 * @param {HTMLDialogElement} dialog
 */
export function closeOnEscape(dialog) {
  dialog.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || ev.defaultPrevented) return;
    ev.preventDefault();
    dialog.close();
  });
}

/** @param {HTMLDialogElement} dialog */
export function show(dialog) {
  for (const d of document.querySelectorAll('dialog[open]')) if (d instanceof HTMLDialogElement && d !== dialog) d.close();
  if (!dialog.open) dialog.showModal();
}

/** The room's name as the lists show it. @param {number} roomId */
function roomLabel(roomId) {
  const room = state.rooms.get(roomId)?.room;
  if (!room) return 'a room';
  return room.kind === 'direct' ? room.name : `#${room.name}`;
}

/**
 * One message as a list entry: author, room, time, an excerpt, and buttons.
 * @param {Message} msg @param {HTMLElement[]} buttons @param {boolean} [withRoom]
 */
export function messageEntry(msg, buttons, withRoom = false) {
  const who = msg.author.display_name || msg.author.username;
  return h(
    'li',
    { class: 'result-item' },
    h(
      'div',
      { class: 'result-text' },
      h(
        'span',
        { class: 'result-meta' },
        h('span', { class: 'author' }, who),
        withRoom ? ` in ${roomLabel(msg.room_id)}` : '',
        ' · ',
        h('time', { datetime: msg.created_at }, mediumTime(msg.created_at)),
      ),
      h('span', { class: 'result-body' }, msg.deleted || msg.body === null ? 'message deleted' : excerpt(msg.body, 300)),
    ),
    h('span', { class: 'result-buttons' }, buttons),
  );
}

/**
 * @typedef {object} PanelHooks
 * @property {(msg: Message, emoji: string, on: boolean) => Promise<boolean>} react
 * @property {(msg: Message, on: boolean) => Promise<boolean>} pin
 * @property {(msg: Message) => Promise<void>} jump  opens its room (or thread) and shows it
 */

export class Panels {
  /** @param {PanelHooks} hooks */
  constructor(hooks) {
    this.hooks = hooks;
    this.react = modal('react-dialog');
    this.history = modal('history-dialog');
    this.pins = modal('pins-dialog');
    this.search = modal('search-dialog');
    this.report = modal('report-dialog');
    /** @type {Message|null} the message being reported */
    this.reporting = null;
    /** @type {Message|null} the message the picker reacts to */
    this.reactTo = null;
    /** @type {number|null} the room whose pins are shown */
    this.pinsRoom = null;

    const quick = byId('react-quick', HTMLElement);
    for (const emoji of QUICK_EMOJI) {
      quick.appendChild(
        h('button', { type: 'button', class: 'button emoji-button', title: `React with ${emoji}`, onclick: () => void this.pick(emoji) }, emoji),
      );
    }
    byId('react-form', HTMLFormElement).addEventListener('submit', (ev) => {
      ev.preventDefault();
      const value = byId('react-input', HTMLInputElement).value.trim();
      if (value) void this.pick(value);
    });
    byId('report-form', HTMLFormElement).addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.sendReport();
    });
    byId('search-form', HTMLFormElement).addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.runSearch();
    });
  }

  // ---- reactions ----

  /** @param {Message} msg */
  openReact(msg) {
    this.reactTo = msg;
    byId('react-form', HTMLFormElement).reset();
    setText(byId('react-error', HTMLElement), '');
    show(this.react);
    byId('react-quick', HTMLElement).querySelector('button')?.focus();
  }

  /** @param {string} emoji */
  async pick(emoji) {
    const msg = this.reactTo;
    if (!msg) return;
    const mine = (msg.reactions ?? []).some((r) => r.emoji === emoji && state.me && r.user_ids.includes(state.me.id));
    if (mine) {
      this.react.close();
      return;
    }
    if (await this.hooks.react(msg, emoji, true)) {
      this.react.close();
    } else {
      setText(byId('react-error', HTMLElement), 'That reaction was refused: use one emoji, or a :name: of letters, digits, _ + or -.');
      byId('react-input', HTMLInputElement).focus();
    }
  }

  // ---- reports ----

  /** @param {Message} msg */
  openReport(msg) {
    this.reporting = msg;
    byId('report-form', HTMLFormElement).reset();
    const who = msg.author.display_name || msg.author.username;
    setText(byId('report-quote', HTMLElement), `${who}: ${msg.body === null ? 'message deleted' : excerpt(msg.body, 200)}`);
    setText(byId('report-status', HTMLElement), '');
    show(this.report);
    byId('report-reason', HTMLTextAreaElement).focus();
  }

  async sendReport() {
    const msg = this.reporting;
    const status = byId('report-status', HTMLElement);
    const reason = byId('report-reason', HTMLTextAreaElement).value.trim();
    if (!msg) return;
    if (!reason) {
      setText(status, 'Say what is wrong with it, for the admins.');
      byId('report-reason', HTMLTextAreaElement).focus();
      return;
    }
    try {
      await panelApi.report(msg.id, reason);
    } catch (err) {
      const again = err instanceof ApiError && err.status === 409;
      setText(status, again ? 'You have already reported this message (or it was deleted).' : errorText(err));
      return;
    }
    this.report.close();
    setNotice('Reported. The server’s admins will look at it.');
  }

  // ---- edit history ----

  /** @param {Message} msg */
  async openHistory(msg) {
    const list = byId('history-list', HTMLOListElement);
    const status = byId('history-status', HTMLElement);
    clear(list);
    setText(status, 'Loading the earlier texts…');
    show(this.history);
    try {
      const revisions = await panelApi.history(msg.room_id, msg.id);
      setText(status, revisions.length ? `${revisions.length} earlier ${revisions.length === 1 ? 'text' : 'texts'}, oldest first` : 'No earlier texts.');
      for (const r of revisions) {
        list.appendChild(h('li', { class: 'revision' }, h('p', { class: 'revision-body' }, r.body), h('span', { class: 'result-meta' }, `replaced ${mediumTime(r.edited_at)}`)));
      }
      if (msg.body !== null) list.appendChild(h('li', { class: 'revision current' }, h('p', { class: 'revision-body' }, msg.body), h('span', { class: 'result-meta' }, 'now')));
    } catch (err) {
      setText(status, errorText(err));
    }
  }

  // ---- pins ----

  /** @param {number} roomId */
  async openPins(roomId) {
    this.pinsRoom = roomId;
    show(this.pins);
    await this.loadPins();
  }

  /** A pin changed in a room: refresh the panel if it shows that room. @param {number} roomId */
  pinsChanged(roomId) {
    if (this.pins.open && this.pinsRoom === roomId) void this.loadPins();
  }

  async loadPins() {
    const roomId = this.pinsRoom;
    if (roomId === null) return;
    const list = byId('pins-list', HTMLUListElement);
    const status = byId('pins-status', HTMLElement);
    let messages;
    try {
      messages = await panelApi.pins(roomId);
    } catch (err) {
      setText(status, errorText(err));
      return;
    }
    if (this.pinsRoom !== roomId) return;
    const focused = document.activeElement instanceof HTMLElement && list.contains(document.activeElement);
    clear(list);
    setText(status, messages.length ? `${messages.length} pinned in ${roomLabel(roomId)}` : `Nothing is pinned in ${roomLabel(roomId)} yet. Pin a message from its “More actions” menu.`);
    for (const msg of messages) {
      const who = msg.author.display_name || msg.author.username;
      list.appendChild(
        messageEntry(msg, [
          h('button', { type: 'button', class: 'button', 'aria-label': `Jump to the message from ${who}`, onclick: () => void this.jumpFrom(this.pins, msg) }, 'Jump'),
          h('button', { type: 'button', class: 'button subtle', 'aria-label': `Unpin the message from ${who}`, onclick: () => void this.hooks.pin(msg, false) }, 'Unpin'),
        ]),
      );
    }
    if (focused) list.querySelector('button')?.focus();
  }

  // ---- search ----

  openSearch() {
    show(this.search);
    const input = byId('search-input', HTMLInputElement);
    input.focus();
    input.select();
  }

  async runSearch() {
    const q = byId('search-input', HTMLInputElement).value.trim();
    const list = byId('search-results', HTMLUListElement);
    const status = byId('search-status', HTMLElement);
    if (!q) {
      setText(status, 'Type what to look for.');
      return;
    }
    clear(list);
    setText(status, 'Searching…');
    let messages;
    try {
      messages = await panelApi.search(q);
    } catch (err) {
      setText(status, errorText(err));
      return;
    }
    setText(status, messages.length ? `${messages.length === 50 ? 'The newest 50' : messages.length} ${messages.length === 1 ? 'message' : 'messages'} found` : `Nothing found for “${q}”.`);
    for (const msg of messages) {
      const who = msg.author.display_name || msg.author.username;
      list.appendChild(
        messageEntry(
          msg,
          [h('button', { type: 'button', class: 'button', 'aria-label': `Open the message from ${who} in ${roomLabel(msg.room_id)}`, onclick: () => void this.jumpFrom(this.search, msg) }, 'Open')],
          true,
        ),
      );
    }
  }

  /** @param {HTMLDialogElement} dialog @param {Message} msg */
  async jumpFrom(dialog, msg) {
    dialog.close();
    await this.hooks.jump(msg);
  }

  closeAll() {
    for (const d of [this.react, this.history, this.pins, this.search, this.report]) if (d.open) d.close();
  }
}
