// The dialogs: public room browser, new room, new direct message, help.
// Native <dialog> elements: modal, Esc closes them, focus returns to the opener.

import '../later.js';
import { byId, clear, h, setText } from '../dom.js';
import { ApiError } from '../api.js';
import { panelApi } from '../panel-api.js';
import { state } from '../store.js';

/** @typedef {import('../types.js').Room} Room */

/**
 * @typedef {object} DialogHooks
 * @property {(roomId: number) => Promise<unknown>} join
 * @property {(roomId: number) => void} open
 * @property {(name: string, topic: string, isPrivate: boolean) => Promise<unknown>} create
 * @property {(username: string) => Promise<unknown>} dm
 */

/** @param {unknown} err */
function text(err) {
  return err instanceof Error ? err.message : 'Something went wrong.';
}

export class Dialogs {
  /** @param {DialogHooks} hooks */
  constructor(hooks) {
    this.hooks = hooks;
    this.browse = byId('browse-dialog', HTMLDialogElement);
    this.create = byId('create-dialog', HTMLDialogElement);
    this.dm = byId('dm-dialog', HTMLDialogElement);
    this.help = byId('help-dialog', HTMLDialogElement);

    for (const dialog of [this.browse, this.create, this.dm, this.help]) {
      dialog.addEventListener('click', (ev) => {
        const target = ev.target;
        if (target instanceof HTMLElement && target.closest('[data-close]')) dialog.close();
        // A click on the backdrop lands on the dialog itself.
        if (target === dialog) dialog.close();
      });
    }

    const createForm = byId('create-form', HTMLFormElement);
    createForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submitCreate(createForm);
    });
    const dmForm = byId('dm-form', HTMLFormElement);
    dmForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submitDm(dmForm);
    });
  }

  anyOpen() {
    return [this.browse, this.create, this.dm, this.help].some((d) => d.open);
  }

  closeAll() {
    for (const d of [this.browse, this.create, this.dm, this.help]) if (d.open) d.close();
  }

  openHelp() {
    if (!this.help.open) {
      this.closeAll();
      this.help.showModal();
    }
  }

  openCreate() {
    this.closeAll();
    byId('create-form', HTMLFormElement).reset();
    setText(byId('create-error', HTMLElement), '');
    this.create.showModal();
    byId('create-name', HTMLInputElement).focus();
  }

  openDm() {
    this.closeAll();
    byId('dm-form', HTMLFormElement).reset();
    setText(byId('dm-error', HTMLElement), '');
    this.dm.showModal();
    byId('dm-username', HTMLInputElement).focus();
  }

  async openBrowse() {
    this.closeAll();
    const list = byId('browse-list', HTMLUListElement);
    const status = byId('browse-status', HTMLElement);
    clear(list);
    setText(status, 'Loading public rooms…');
    this.browse.showModal();
    /** @type {Room[]} */
    let rooms;
    try {
      rooms = await panelApi.publicRooms();
    } catch (err) {
      setText(status, text(err));
      return;
    }
    rooms.sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
    setText(status, rooms.length ? `${rooms.length} public ${rooms.length === 1 ? 'room' : 'rooms'}` : 'There are no public rooms yet.');
    for (const room of rooms) list.appendChild(this.browseItem(room));
    const first = list.querySelector('button');
    if (first instanceof HTMLButtonElement) first.focus();
  }

  /** @param {Room} room */
  browseItem(room) {
    const member = state.rooms.has(room.id);
    const error = h('p', { class: 'form-error', role: 'alert' });
    const button = h(
      'button',
      {
        type: 'button',
        class: member ? 'button' : 'button primary',
        'aria-label': member ? `Open ${room.name}` : `Join ${room.name}`,
        onclick: async () => {
          if (state.rooms.has(room.id)) {
            this.browse.close();
            this.hooks.open(room.id);
            return;
          }
          button.disabled = true;
          try {
            await this.hooks.join(room.id);
            this.browse.close();
          } catch (err) {
            setText(error, text(err));
            button.disabled = false;
          }
        },
      },
      member ? 'Open' : 'Join',
    );
    return h(
      'li',
      { class: 'browse-item' },
      h(
        'div',
        { class: 'browse-text' },
        h('span', { class: 'browse-name' }, `# ${room.name}`),
        room.topic ? h('span', { class: 'browse-topic' }, room.topic) : null,
        error,
      ),
      button,
    );
  }

  /** @param {HTMLFormElement} form */
  async submitCreate(form) {
    const name = byId('create-name', HTMLInputElement).value.trim();
    const topic = byId('create-topic', HTMLInputElement).value.trim();
    const isPrivate = byId('create-private', HTMLInputElement).checked;
    const error = byId('create-error', HTMLElement);
    if (!name) {
      setText(error, 'Give the room a name.');
      byId('create-name', HTMLInputElement).focus();
      return;
    }
    const submit = form.querySelector('button[type="submit"]');
    if (submit instanceof HTMLButtonElement) submit.disabled = true;
    try {
      await this.hooks.create(name, topic, isPrivate);
      this.create.close();
    } catch (err) {
      const taken = err instanceof ApiError && err.status === 409;
      setText(error, taken ? `A public room named “${name}” already exists. Pick another name, or join it from Browse rooms.` : text(err));
      byId('create-name', HTMLInputElement).focus();
    } finally {
      if (submit instanceof HTMLButtonElement) submit.disabled = false;
    }
  }

  /** @param {HTMLFormElement} form */
  async submitDm(form) {
    const input = byId('dm-username', HTMLInputElement);
    const username = input.value.trim().replace(/^@/, '');
    const error = byId('dm-error', HTMLElement);
    if (!username) {
      setText(error, 'Enter a username.');
      input.focus();
      return;
    }
    const submit = form.querySelector('button[type="submit"]');
    if (submit instanceof HTMLButtonElement) submit.disabled = true;
    try {
      await this.hooks.dm(username);
      this.dm.close();
    } catch (err) {
      setText(error, err instanceof ApiError && err.status === 404 ? `There is no user named “${username}”.` : text(err));
      input.focus();
    } finally {
      if (submit instanceof HTMLButtonElement) submit.disabled = false;
    }
  }
}
