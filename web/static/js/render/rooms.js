// The room list: a navigation landmark named "Rooms" with one button per
// room, named exactly by the room's name (unread and mention counts and presence are
// its description, so the name stays the name). Each shows the room's avatar
// (a direct conversation's is the other person's) or its initial.

import { h, clear } from '../dom.js';
import { orderedRooms } from '../store.js';
import { avatar } from './avatar.js';

/** @typedef {import('../store.js').State} State */
/** @typedef {import('../store.js').RoomView} RoomView */

export class RoomList {
  /**
   * @param {HTMLElement} nav
   * @param {(roomId: number) => void} open
   */
  constructor(nav, open) {
    this.nav = nav;
    this.open = open;
    /** @type {string} */
    this.lastKey = '';
  }

  /** @param {State} state */
  render(state) {
    const views = orderedRooms();
    // Rebuild only when something shown changed (keeps focus and is cheap).
    const key = JSON.stringify([
      state.currentId,
      views.map((v) => [v.room.id, v.room.name, v.room.avatar?.id, v.unread, v.mentions, v.room.kind === 'direct' && state.online.has(v.room.name)]),
    ]);
    if (key === this.lastKey) return;
    this.lastKey = key;
    const focusedId = document.activeElement instanceof HTMLElement && this.nav.contains(document.activeElement)
      ? document.activeElement.dataset['roomId']
      : undefined;

    const rooms = views.filter((v) => v.room.kind !== 'direct');
    const dms = views.filter((v) => v.room.kind === 'direct');
    clear(this.nav);
    this.nav.appendChild(this.section('Rooms', 'rooms-heading', rooms, state, 'No rooms yet.'));
    this.nav.appendChild(this.section('Direct messages', 'dms-heading', dms, state, 'No conversations yet.'));
    if (focusedId) {
      const btn = this.nav.querySelector(`button[data-room-id="${CSS.escape(focusedId)}"]`);
      if (btn instanceof HTMLElement) btn.focus();
    }
  }

  /**
   * @param {string} title
   * @param {string} id
   * @param {RoomView[]} views
   * @param {State} state
   * @param {string} empty
   */
  section(title, id, views, state, empty) {
    const list = h('ul', { class: 'room-list' });
    for (const view of views) list.appendChild(this.item(view, state));
    return h(
      'section',
      { class: 'room-section' },
      h('h2', { class: 'section-title', id }, title),
      views.length ? list : h('p', { class: 'section-empty' }, empty),
    );
  }

  /**
   * @param {RoomView} view
   * @param {State} state
   */
  item(view, state) {
    const room = view.room;
    const direct = room.kind === 'direct';
    const online = direct && state.online.has(room.name);
    const selected = state.currentId === room.id;
    const descId = `room-desc-${room.id}`;
    const desc = [];
    if (view.unread > 0) desc.push(`${view.unread} unread`);
    if (view.mentions > 0) desc.push(`${view.mentions} ${view.mentions === 1 ? 'mention' : 'mentions'}`);
    if (direct) desc.push(online ? 'online' : 'offline');
    if (room.visibility === 'private' && !direct) desc.push('private');

    const classes = ['room-button'];
    if (view.unread > 0) classes.push('unread');
    if (selected) classes.push('selected');
    const button = h(
      'button',
      {
        type: 'button',
        class: classes.join(' '),
        'aria-label': room.name,
        'aria-describedby': desc.length ? descId : undefined,
        'aria-current': selected ? 'page' : undefined,
        'data-room-id': String(room.id),
        onclick: () => this.open(room.id),
      },
      h(
        'span',
        { class: 'room-picture', 'aria-hidden': 'true' },
        avatar(room),
        direct ? h('span', { class: `presence ${online ? 'online' : 'offline'}` }) : null,
      ),
      h('span', { class: 'room-name' }, room.name),
      room.visibility === 'private' && !direct ? h('span', { class: 'room-glyph', 'aria-hidden': 'true' }, '🔒') : null,
      view.mentions > 0 ? h('span', { class: 'badge mention-badge', 'aria-hidden': 'true', title: 'mentions' }, `@${view.mentions > 99 ? '99+' : view.mentions}`) : null,
      view.unread > 0 ? h('span', { class: 'badge', 'aria-hidden': 'true' }, view.unread > 99 ? '99+' : String(view.unread)) : null,
      desc.length ? h('span', { id: descId, class: 'visually-hidden' }, desc.join(', ')) : null,
    );
    return h('li', {}, button);
  }
}
