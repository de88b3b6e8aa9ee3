// `@` completion in a composer: typing `@` and the start of a name lists the
// room's members who match (and `@room`); ↑/↓ choose, Enter or Tab puts the
// name in, Esc closes the list. The field keeps its role and name (a textbox
// named "Message"); the list is a listbox it points into with
// aria-activedescendant.

import '../later.js';
import { clear, h } from '../dom.js';

/** @typedef {import('../types.js').UserRef} UserRef */

const MAX = 6;

/**
 * @typedef {object} CompleteHooks
 * @property {() => number|null} roomId
 * @property {(roomId: number) => Promise<UserRef[]>} members
 */

export class MentionComplete {
  /**
   * @param {HTMLTextAreaElement} input
   * @param {HTMLUListElement} list
   * @param {CompleteHooks} hooks
   */
  constructor(input, list, hooks) {
    this.input = input;
    this.list = list;
    this.hooks = hooks;
    /** @type {{name: string, label: string}[]} */
    this.options = [];
    this.active = 0;
    /** @type {{start: number, end: number}|null} where the `@word` is */
    this.span = null;
    this.asked = 0;

    // In the capture phase: ahead of the composer's own keydown handler
    // (registered first), so Enter and Tab pick a name while the list is open.
    input.addEventListener('keydown', (ev) => this.onKey(ev), true);
    input.addEventListener('input', () => void this.update());
    input.addEventListener('blur', () => this.close());
    list.addEventListener('mousedown', (ev) => ev.preventDefault());
  }

  isOpen() {
    return !this.list.hidden;
  }

  close() {
    this.list.hidden = true;
    this.options = [];
    this.span = null;
    this.input.removeAttribute('aria-activedescendant');
  }

  async update() {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const before = this.input.value.slice(0, caret);
    const m = /(^|\s)@([\p{L}\p{N}_.-]{0,32})$/u.exec(before);
    const roomId = this.hooks.roomId();
    if (!m || roomId === null) {
      this.close();
      return;
    }
    const q = (m[2] ?? '').toLowerCase();
    const n = ++this.asked;
    let members;
    try {
      members = await this.hooks.members(roomId);
    } catch {
      this.close();
      return;
    }
    if (n !== this.asked) return;
    const found = members
      .filter((u) => u.username.toLowerCase().startsWith(q) || u.display_name.toLowerCase().startsWith(q))
      .slice(0, MAX)
      .map((u) => ({ name: u.username, label: u.display_name && u.display_name !== u.username ? `${u.display_name} (@${u.username})` : `@${u.username}` }));
    if ('room'.startsWith(q)) found.push({ name: 'room', label: '@room (everyone here)' });
    if (!found.length) {
      this.close();
      return;
    }
    this.span = { start: caret - q.length - 1, end: caret };
    this.options = found;
    this.active = 0;
    this.render();
  }

  render() {
    clear(this.list);
    this.options.forEach((o, i) => {
      this.list.appendChild(
        h(
          'li',
          {
            id: `mention-option-${i}`,
            role: 'option',
            class: i === this.active ? 'active' : undefined,
            'aria-selected': i === this.active ? 'true' : 'false',
            onclick: () => this.pick(i),
          },
          o.label,
        ),
      );
    });
    this.list.hidden = false;
    this.input.setAttribute('aria-activedescendant', `mention-option-${this.active}`);
  }

  /** @param {number} i */
  pick(i) {
    const o = this.options[i];
    const span = this.span;
    if (!o || !span) return;
    const value = this.input.value;
    const insert = `@${o.name} `;
    this.input.value = value.slice(0, span.start) + insert + value.slice(span.end);
    const caret = span.start + insert.length;
    this.input.setSelectionRange(caret, caret);
    this.close();
    // As typing would: the composer keeps the draft.
    this.input.dispatchEvent(new Event('input'));
    this.input.focus();
  }

  /** @param {KeyboardEvent} ev */
  onKey(ev) {
    if (!this.isOpen() || ev.isComposing) return;
    const stop = () => {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    };
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      stop();
      const n = this.options.length;
      this.active = (this.active + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.render();
    } else if ((ev.key === 'Enter' || ev.key === 'Tab') && !ev.shiftKey) {
      stop();
      this.pick(this.active);
    } else if (ev.key === 'Escape') {
      stop();
      this.close();
    }
  }
}
