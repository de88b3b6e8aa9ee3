// The composer: Enter sends, Shift+Enter makes a new line, ↑ in an empty
// composer edits my last message, Esc cancels an edit or a reply. Typing
// notices go out at most every 3 s (actions.typing throttles). Drafts are
// kept per room, across reloads too (drafts.js).

import { DRAFT_PREFIX, storedKeys } from '../boot.js';
import { setText } from '../dom.js';
import { excerpt } from '../format.js';
import * as store from '../store.js';

/** @typedef {import('../types.js').Message} Message */
/** @typedef {import('../types.js').FileInfo} FileInfo */
/** @typedef {import('../store.js').State} State */

/**
 * @typedef {object} ComposerHooks
 * @property {(roomId: number, body: string, replyTo: number|null, files: FileInfo[]) => void} send
 * @property {(msg: Message, body: string) => Promise<boolean>} edit
 * @property {(roomId: number) => void} typing
 * @property {(roomId: number) => Message|undefined} lastOwn
 * @property {(roomId: number, emoji: string) => Promise<boolean>} reactLast  `+:name:` reacts to the latest message
 */

/** A message that is only `+:name:` or `+` and one emoji is a reaction. */
const REACTION = /^\+(:[a-z0-9_+-]{1,38}:|\p{Extended_Pictographic}[\p{Extended_Pictographic}\p{Emoji_Modifier}\u200d\ufe0f]{0,15})$/u;

export class Composer {
  /**
   * @param {{form: HTMLFormElement, input: HTMLTextAreaElement, context: HTMLElement, contextText: HTMLElement, cancel: HTMLButtonElement, sendButton: HTMLButtonElement, attach: HTMLButtonElement, picker: HTMLInputElement, tray: HTMLUListElement, dropZone: HTMLElement}} els
   * @param {ComposerHooks} hooks
   */
  constructor(els, hooks) {
    this.els = els;
    this.hooks = hooks;
    /** @type {Map<number, string>} unsent drafts per room */
    this.drafts = new Map();
    /** @type {Promise<import('../drafts.js').Drafts>|null} keeps them across reloads; loaded with the first keystroke */
    this.kept = null;
    /** Logging out: nothing typed is kept any more. */
    this.closed = false;
    /** @type {number|null} */
    this.roomId = null;
    /** @type {Message|null} */
    this.editing = null;
    this.busy = false;
    /** @type {Promise<import('./files.js').Uploads>|null} loaded with the first file */
    this.uploads = null;

    // Files come from the Attach button, a paste, or a drop on the room.
    els.attach.addEventListener('click', () => els.picker.click());
    els.picker.addEventListener('change', () => {
      void this.addFiles([...(els.picker.files ?? [])]);
      els.picker.value = '';
    });
    els.input.addEventListener('paste', (ev) => {
      const files = [...(ev.clipboardData?.files ?? [])];
      if (!files.length) return;
      ev.preventDefault();
      void this.addFiles(files);
    });
    els.dropZone.addEventListener('dragover', (ev) => {
      if (ev.dataTransfer?.types.includes('Files') && !els.input.disabled) ev.preventDefault();
    });
    els.dropZone.addEventListener('drop', (ev) => {
      const files = [...(ev.dataTransfer?.files ?? [])];
      if (!files.length || els.input.disabled) return;
      ev.preventDefault();
      void this.addFiles(files);
      els.input.focus();
    });

    els.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submit();
    });
    els.input.addEventListener('keydown', (ev) => this.onKey(ev));
    els.input.addEventListener('input', () => {
      this.autosize();
      const id = store.state.currentId;
      if (id === null || this.editing) return;
      this.keep(id, els.input.value);
      if (els.input.value.trim()) hooks.typing(id);
    });
    els.cancel.addEventListener('click', () => {
      this.cancelContext();
      els.input.focus();
    });
  }

  /** The draft of a room is now `text`, here and across reloads. @param {number} roomId @param {string} text */
  keep(roomId, text) {
    const me = store.state.me;
    if (this.closed) return;
    if (text) this.drafts.set(roomId, text);
    else this.drafts.delete(roomId);
    if (!me || (!this.kept && !text)) return; // nothing kept to remove
    this.kept ??= import('../drafts.js').then((m) => new m.Drafts(me.id));
    this.kept.then((d) => d.put(roomId, text), () => {});
  }

  /** At login: the drafts this user's pages kept, for the rooms still `mine`. @param {number} userId @param {(roomId: number) => boolean} mine */
  async open(userId, mine) {
    this.reset();
    this.closed = false;
    if (!storedKeys(`${DRAFT_PREFIX}${userId}.`).length) return;
    this.kept = import('../drafts.js').then((m) => m.restore(userId, mine, this.drafts));
    await this.kept.catch(() => {});
  }

  /** Logging out: nothing of this user's typing stays in the page. */
  reset() {
    this.closed = true;
    void this.kept?.then((d) => d.close(), () => {});
    void this.uploads?.then((u) => u.clear(), () => {});
    this.kept = this.uploads = this.editing = this.roomId = null;
    this.drafts.clear();
    this.els.input.value = '';
    this.els.input.disabled = true;
    this.autosize();
  }

  /** Starts uploading files into the tray. @param {File[]} files */
  async addFiles(files) {
    if (!files.length || store.state.currentId === null) return;
    this.uploads ??= import('./files.js').then((m) => new m.Uploads(this.els.tray, store.limits));
    const refused = (await this.uploads).add(files);
    if (refused) store.setNotice(refused, 'error');
  }

  /** @param {KeyboardEvent} ev */
  onKey(ev) {
    const input = this.els.input;
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      ev.preventDefault();
      void this.submit();
    } else if (ev.key === 'ArrowUp' && !ev.altKey && !ev.shiftKey && input.value === '' && !this.editing) {
      const id = store.state.currentId;
      const msg = id === null ? undefined : this.hooks.lastOwn(id);
      if (msg) {
        ev.preventDefault();
        this.startEdit(msg);
      }
    } else if (ev.key === 'Escape' && (this.editing || store.state.compose.replyTo)) {
      ev.preventDefault();
      ev.stopPropagation();
      this.cancelContext();
    }
  }

  /** @param {Message} msg */
  startEdit(msg) {
    // The draft waits while the message is edited.
    if (!this.editing && this.roomId !== null) this.keep(this.roomId, this.els.input.value);
    store.setCompose({ editing: msg, replyTo: null });
    this.editing = msg;
    this.els.input.value = msg.body ?? '';
    this.autosize();
    this.els.input.focus();
    this.els.input.setSelectionRange(this.els.input.value.length, this.els.input.value.length);
  }

  /** @param {Message} msg */
  startReply(msg) {
    if (this.editing) this.cancelContext();
    store.setCompose({ replyTo: msg, editing: null });
    this.els.input.focus();
  }

  cancelContext() {
    if (this.editing) {
      this.els.input.value = this.roomId === null ? '' : this.drafts.get(this.roomId) ?? '';
      this.autosize();
    }
    this.editing = null;
    store.setCompose({ editing: null, replyTo: null });
  }

  async submit() {
    const id = store.state.currentId;
    if (id === null || this.busy) return;
    const body = this.els.input.value.trim();
    const uploads = this.uploads && !this.editing ? await this.uploads : null;
    if (uploads?.busy()) {
      store.setNotice('Wait for the files to finish uploading, or remove them.', 'error');
      return;
    }
    const files = uploads ? uploads.ready() : [];
    if (!body && !files.length) return;
    if (!files.length && !this.editing && REACTION.test(body)) {
      this.busy = true;
      const ok = await this.hooks.reactLast(id, body.slice(1));
      this.busy = false;
      if (ok) {
        this.els.input.value = '';
        this.autosize();
        this.keep(id, '');
      }
      return;
    }
    if (store.tooLong(body)) return;
    if (this.editing) {
      const msg = this.editing;
      if (body === msg.body) {
        this.cancelContext();
        return;
      }
      this.busy = true;
      const ok = await this.hooks.edit(msg, body);
      this.busy = false;
      if (ok) this.cancelContext();
      return;
    }
    const reply = store.state.compose.replyTo;
    this.els.input.value = '';
    this.autosize();
    this.keep(id, '');
    if (reply) store.setCompose({ replyTo: null });
    uploads?.clear();
    this.hooks.send(id, body, reply ? reply.id : null, files);
  }

  autosize() {
    const input = this.els.input;
    const lines = Math.min(10, input.value.split('\n').length);
    input.rows = Math.max(1, lines);
  }

  focus() {
    this.els.input.focus();
  }

  /** @param {State} state */
  render(state) {
    const id = state.currentId;
    if (id !== this.roomId) {
      this.editing = null;
      this.els.input.value = id === null ? '' : this.drafts.get(id) ?? '';
      this.autosize();
      this.roomId = id;
    }
    if (!state.compose.editing && this.editing) {
      // The message went away (deleted) or the edit ended elsewhere: the
      // draft comes back.
      this.editing = null;
      this.els.input.value = id === null ? '' : this.drafts.get(id) ?? '';
      this.autosize();
    }
    const view = id === null ? undefined : state.rooms.get(id);
    const archived = Boolean(view?.room.archived);
    this.els.input.disabled = id === null || archived;
    this.els.sendButton.disabled = id === null || archived;
    this.els.input.placeholder = view
      ? archived
        ? 'This room is archived'
        : view.room.kind === 'direct'
          ? `Message ${view.room.name}`
          : `Message #${view.room.name}`
      : 'Message';
    setText(this.els.sendButton, this.editing ? 'Save' : 'Send');

    const { editing, replyTo } = state.compose;
    let context = '';
    if (editing) context = 'Editing your message. Enter saves, Esc cancels.';
    else if (replyTo) {
      const who = replyTo.author.display_name || replyTo.author.username;
      context = `Replying to ${who}: ${replyTo.body ? excerpt(replyTo.body, 80) : 'message deleted'}`;
    }
    this.els.context.hidden = !context;
    setText(this.els.contextText, context);
  }
}
