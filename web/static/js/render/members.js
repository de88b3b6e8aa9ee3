// The Members dialog: who is in the room (with their avatars) and their
// roles, adding people (anyone in a public room; owners and admins in a
// private one), and leaving it; owners and admins also rename it, set its
// topic and avatar, change roles, remove, ban (with a reason) and lift
// bans. The server decides who may do what (store/src/roles.rs); a refusal
// shows its message.

import { byId, clear, h, setText } from '../dom.js';
import { api } from '../api.js';
import { panelApi } from '../panel-api.js';
import { mediumTime } from '../time.js';
import { removeRoom, state, upsertRoom } from '../store.js';
import { errorText, modal, show } from './panels.js';
import { avatar } from './avatar.js';
import { AvatarField } from './avatars.js';

/** @typedef {import('../types.js').Member} Member */
/** @typedef {import('../types.js').Ban} Ban */

const ROLES = /** @type {const} */ (['owner', 'admin', 'member']);
const ROLE_ORDER = { owner: 0, admin: 1, member: 2 };

export class Members {
  /** @param {{left: () => void}} hooks  after I left the room */
  constructor(hooks) {
    this.hooks = hooks;
    this.dialog = modal('members-dialog');
    this.list = byId('members-list', HTMLUListElement);
    this.bansList = byId('bans-list', HTMLUListElement);
    this.bansSection = byId('bans-section', HTMLElement);
    this.status = byId('members-status', HTMLElement);
    this.error = byId('members-error', HTMLElement);
    /** @type {number|null} */
    this.roomId = null;
    /** @type {string|null} the member whose ban form is open */
    this.banning = null;
    this.roomForm = byId('room-form', HTMLFormElement);
    this.leaveButton = byId('leave-room', HTMLButtonElement);
    /** Leaving takes a second click (a private room cannot be joined again). */
    this.leaveArmed = false;

    this.roomForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.saveRoom();
    });
    this.leaveButton.addEventListener('click', () => void this.leave());
    this.addForm = byId('add-member-form', HTMLFormElement);
    this.addInput = byId('add-member-input', HTMLInputElement);
    this.addForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.add();
    });
    this.avatarSection = byId('room-avatar-section', HTMLElement);
    this.avatar = new AvatarField('room-avatar', async (fileId) => {
      if (this.roomId === null) throw new Error('No room is open.');
      const room = await panelApi.setAvatar(this.roomId, fileId);
      upsertRoom(room);
      return room;
    });
  }

  async saveRoom() {
    const roomId = this.roomId;
    if (roomId === null) return;
    const status = byId('room-form-status', HTMLElement);
    const name = byId('room-name', HTMLInputElement).value.trim();
    const topic = byId('room-topic-input', HTMLInputElement).value.trim();
    setText(status, 'Saving…');
    try {
      upsertRoom(await panelApi.updateRoom(roomId, { name, topic }));
      setText(status, 'Saved.');
    } catch (err) {
      setText(status, errorText(err));
    }
  }

  async add() {
    const roomId = this.roomId;
    const who = this.addInput.value.trim().replace(/^@/, '');
    if (roomId === null) return;
    if (!who) {
      setText(this.error, 'Type the user name of the person to add.');
      this.addInput.focus();
      return;
    }
    await this.act(async () => {
      await panelApi.addMember(roomId, who);
      this.addInput.value = '';
    });
  }

  async leave() {
    const roomId = this.roomId;
    if (roomId === null) return;
    if (!this.leaveArmed) {
      this.leaveArmed = true;
      setText(this.leaveButton, 'Leave for good');
      const room = state.rooms.get(roomId)?.room;
      setText(this.error, room?.visibility === 'private' ? 'Leaving a private room: only a member can add you back. Click again to leave.' : 'Click again to leave the room.');
      return;
    }
    try {
      await panelApi.leave(roomId);
    } catch (err) {
      setText(this.error, errorText(err));
      return;
    }
    this.dialog.close();
    removeRoom(roomId);
    this.hooks.left();
  }

  /** @param {number} roomId */
  async open(roomId) {
    this.roomId = roomId;
    this.banning = null;
    this.leaveArmed = false;
    setText(this.leaveButton, 'Leave room');
    setText(this.error, '');
    const room = state.rooms.get(roomId)?.room;
    const moderator = room?.kind !== 'direct' && this.moderatorOf(roomId);
    this.roomForm.hidden = !moderator;
    this.addForm.hidden = true; // until load() knows the room and my role
    this.addInput.value = '';
    this.avatarSection.hidden = !moderator;
    if (room) this.avatar.show(room);
    setText(byId('room-form-status', HTMLElement), '');
    byId('room-name', HTMLInputElement).value = room?.name ?? '';
    byId('room-topic-input', HTMLInputElement).value = room?.topic ?? '';
    clear(this.list);
    clear(this.bansList);
    setText(this.status, 'Loading members…');
    show(this.dialog);
    await this.load();
    const first = this.roomForm.hidden ? this.list.querySelector('select, button') : byId('room-name', HTMLInputElement);
    if (first instanceof HTMLElement) first.focus();
  }

  /** Membership changed in a room: refresh if the dialog shows it. @param {number} roomId */
  changed(roomId) {
    if (this.dialog.open && this.roomId === roomId) void this.load();
  }

  moderator() {
    return this.roomId !== null && this.moderatorOf(this.roomId);
  }

  /** @param {number} roomId */
  moderatorOf(roomId) {
    const role = state.rooms.get(roomId)?.room.role;
    return role === 'owner' || role === 'admin';
  }

  async load() {
    const roomId = this.roomId;
    if (roomId === null) return;
    const room = state.rooms.get(roomId)?.room;
    const direct = room?.kind === 'direct';
    const moderator = !direct && this.moderator();
    // Anyone adds people to a public room; owners and admins to a private one.
    this.addForm.hidden = direct || !(moderator || room?.visibility === 'public');
    /** @type {Member[]} */
    let members;
    /** @type {Ban[]} */
    let bans = [];
    try {
      [members, bans] = await Promise.all([api.members(roomId), moderator ? panelApi.bans(roomId) : Promise.resolve([])]);
    } catch (err) {
      setText(this.status, errorText(err));
      return;
    }
    if (this.roomId !== roomId) return;
    members.sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.user.username.localeCompare(b.user.username));
    const focusedLabel = document.activeElement instanceof HTMLElement && this.dialog.contains(document.activeElement) ? document.activeElement.getAttribute('aria-label') : null;
    clear(this.list);
    setText(this.status, `${members.length} ${members.length === 1 ? 'member' : 'members'}${room ? ` of ${direct ? room.name : `#${room.name}`}` : ''}`);
    for (const m of members) this.list.appendChild(this.memberItem(m, moderator));
    clear(this.bansList);
    this.bansSection.hidden = !moderator;
    if (moderator && bans.length === 0) this.bansList.appendChild(h('li', { class: 'section-empty' }, 'Nobody is banned.'));
    for (const b of bans) this.bansList.appendChild(this.banItem(b));
    if (focusedLabel) {
      const again = this.dialog.querySelector(`[aria-label="${CSS.escape(focusedLabel)}"]`);
      if (again instanceof HTMLElement) again.focus();
    }
  }

  /** @param {Member} m @param {boolean} moderator */
  memberItem(m, moderator) {
    const name = m.user.display_name || m.user.username;
    const me = state.me !== null && state.me.id === m.user.id;
    const text = h(
      'div',
      { class: 'result-text' },
      h('span', { class: 'result-body' }, name, me ? ' (you)' : ''),
      h('span', { class: 'result-meta' }, `@${m.user.username} · ${m.role}`),
    );
    if (!moderator || me) return h('li', { class: 'result-item' }, avatar(m.user), text);
    const who = m.user.username;
    const select = h(
      'select',
      {
        'aria-label': `Role for ${who}`,
        onchange: () => void this.act(() => panelApi.setRole(/** @type {number} */ (this.roomId), who, /** @type {'owner'|'admin'|'member'} */ (select.value))),
      },
      ROLES.map((r) => h('option', { value: r, selected: r === m.role }, r)),
    );
    const buttons = h(
      'span',
      { class: 'result-buttons' },
      select,
      h('button', { type: 'button', class: 'button subtle', 'aria-label': `Remove ${who}`, onclick: () => void this.act(() => panelApi.removeMember(/** @type {number} */ (this.roomId), who)) }, 'Remove'),
      h('button', { type: 'button', class: 'button subtle', 'aria-label': `Ban ${who}`, 'aria-expanded': this.banning === who ? 'true' : 'false', onclick: () => this.toggleBan(who) }, 'Ban…'),
    );
    const li = h('li', { class: 'result-item wrap' }, avatar(m.user), text, buttons);
    if (this.banning === who) li.appendChild(this.banForm(who));
    return li;
  }

  /** @param {string} who */
  toggleBan(who) {
    this.banning = this.banning === who ? null : who;
    void this.load().then(() => {
      const input = this.dialog.querySelector('.ban-form input');
      if (input instanceof HTMLElement) input.focus();
    });
  }

  /** @param {string} who */
  banForm(who) {
    const id = `ban-reason-${who}`;
    const input = h('input', { id, type: 'text', maxlength: 1000, autocomplete: 'off' });
    const form = h(
      'form',
      {
        class: 'ban-form',
        onsubmit: (ev) => {
          ev.preventDefault();
          this.banning = null;
          void this.act(() => panelApi.ban(/** @type {number} */ (this.roomId), who, input.value.trim()));
        },
        onkeydown: (ev) => {
          if (/** @type {KeyboardEvent} */ (ev).key === 'Escape') {
            ev.preventDefault();
            ev.stopPropagation();
            this.toggleBan(who);
          }
        },
      },
      h('label', { for: id }, `Reason for banning ${who}`),
      input,
      h('button', { type: 'submit', class: 'button danger' }, 'Ban'),
    );
    return form;
  }

  /** @param {Ban} b */
  banItem(b) {
    const who = b.user.username;
    const by = b.by ? ` by ${b.by.display_name || b.by.username}` : '';
    return h(
      'li',
      { class: 'result-item' },
      h(
        'div',
        { class: 'result-text' },
        h('span', { class: 'result-body' }, b.user.display_name || who),
        h('span', { class: 'result-meta' }, `@${who} · banned${by} ${mediumTime(b.created_at)}${b.reason ? ` — ${b.reason}` : ''}`),
      ),
      h('button', { type: 'button', class: 'button subtle', 'aria-label': `Lift ban on ${who}`, onclick: () => void this.act(() => panelApi.unban(/** @type {number} */ (this.roomId), who)) }, 'Lift ban'),
    );
  }

  /** Runs one change, then shows the room as it is now. @param {() => Promise<unknown>} fn */
  async act(fn) {
    setText(this.error, '');
    try {
      await fn();
    } catch (err) {
      setText(this.error, errorText(err));
    }
    await this.load();
  }
}
