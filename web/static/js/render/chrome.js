// Everything around the timeline: the top bar (connection, who I am), the
// room header (with the room's avatar), the typing line, notices, the empty state and the phone-width
// room drawer.

import { byId, setText } from '../dom.js';
import * as store from '../store.js';
import { avatar } from './avatar.js';

/** @typedef {import('../store.js').State} State */

const NOTICE_MS = 6_000;

export class Chrome {
  constructor() {
    this.linkStatus = byId('link-status', HTMLElement);
    this.meName = byId('me-name', HTMLElement);
    this.title = byId('room-title', HTMLElement);
    this.picture = byId('room-picture', HTMLElement);
    /** Which room's picture shows (every render comes through here). */
    this.pictureKey = '';
    this.topic = byId('room-topic', HTMLElement);
    this.typing = byId('typing', HTMLElement);
    this.notice = byId('notice', HTMLElement);
    this.empty = byId('empty-state', HTMLElement);
    this.timeline = byId('timeline', HTMLElement);
    this.composer = byId('composer', HTMLFormElement);
    this.drawerButton = byId('show-rooms', HTMLButtonElement);
    this.scrim = byId('scrim', HTMLElement);
    this.sidebar = byId('sidebar', HTMLElement);
    this.roomTools = byId('room-tools', HTMLElement);
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.noticeTimer = undefined;
    /** @type {{text: string, kind: string}|null} */
    this.shownNotice = null;

    this.drawerButton.addEventListener('click', () => (this.drawerOpen() ? this.closeDrawer(true) : this.openDrawer()));
    this.scrim.addEventListener('click', () => this.closeDrawer(true));
    byId('hide-rooms', HTMLButtonElement).addEventListener('click', () => this.closeDrawer(true));
    this.notice.addEventListener('click', () => store.setNotice(null));
  }

  drawerOpen() {
    return document.body.classList.contains('drawer-open');
  }

  openDrawer() {
    document.body.classList.add('drawer-open');
    this.drawerButton.setAttribute('aria-expanded', 'true');
    this.scrim.hidden = false;
    const target = this.sidebar.querySelector('button[aria-current="page"]') ?? this.sidebar.querySelector('button');
    if (target instanceof HTMLElement) target.focus();
  }

  /** @param {boolean} refocus */
  closeDrawer(refocus) {
    if (!this.drawerOpen()) return false;
    document.body.classList.remove('drawer-open');
    this.drawerButton.setAttribute('aria-expanded', 'false');
    this.scrim.hidden = true;
    if (refocus) this.drawerButton.focus();
    return true;
  }

  /** @param {State} state */
  render(state) {
    let link = '';
    if (state.link === 'connecting') link = 'Connecting…';
    else if (state.link === 'offline') {
      const secs = Math.max(1, Math.round(state.retryInMs / 1000));
      link = `Offline — reconnecting in ${secs} s`;
    }
    setText(this.linkStatus, link);
    this.linkStatus.classList.toggle('offline', state.link === 'offline');
    setText(this.meName, state.me ? state.me.display_name || state.me.username : '');

    const view = store.current();
    const hasRooms = state.rooms.size > 0;
    this.empty.hidden = hasRooms && view !== undefined;
    if (!hasRooms) {
      setText(this.empty.firstElementChild ?? this.empty, 'You are not in any room yet.');
    } else if (!view) {
      setText(this.empty.firstElementChild ?? this.empty, 'Pick a room.');
    }
    this.timeline.hidden = !view;
    this.composer.hidden = !view;
    this.roomTools.hidden = !view;
    if (view) {
      const direct = view.room.kind === 'direct';
      const online = direct && state.online.has(view.room.name);
      setText(this.title, direct ? `${view.room.name}${online ? ' (online)' : ''}` : `# ${view.room.name}`);
      this.showPicture(view.room);
      setText(this.topic, view.room.archived ? `${view.room.topic ? `${view.room.topic} — ` : ''}archived` : view.room.topic);
      let unread = 0;
      for (const v of state.rooms.values()) unread += v.unread;
      document.title = `${unread > 0 ? `(${unread}) ` : ''}${view.room.name} — chat`;
    } else {
      this.showPicture(null);
      setText(this.title, '');
      setText(this.topic, '');
      document.title = 'chat';
    }
    this.renderTyping(state);
    this.renderNotice(state);
  }

  /** The room's avatar or initial, replaced only when it changes. @param {import('../types.js').Room|null} room */
  showPicture(room) {
    const key = room ? `${room.id} ${room.avatar?.id} ${room.name}` : '';
    if (key === this.pictureKey) return;
    this.pictureKey = key;
    this.picture.replaceChildren(...(room ? [avatar(room)] : []));
  }

  /** @param {State} state */
  renderTyping(state) {
    const id = state.currentId;
    const people = id === null ? [] : [...(state.typing.get(id)?.values() ?? [])].map((t) => t.user.display_name || t.user.username);
    let text = '';
    if (people.length === 1) text = `${people[0]} is typing…`;
    else if (people.length === 2) text = `${people[0]} and ${people[1]} are typing…`;
    else if (people.length > 2) text = 'Several people are typing…';
    setText(this.typing, text);
  }

  /** @param {State} state */
  renderNotice(state) {
    if (state.notice === this.shownNotice) return;
    this.shownNotice = state.notice;
    clearTimeout(this.noticeTimer);
    if (!state.notice) {
      this.notice.hidden = true;
      setText(this.notice, '');
      return;
    }
    this.notice.hidden = false;
    this.notice.classList.toggle('error', state.notice.kind === 'error');
    setText(this.notice, state.notice.text);
    this.noticeTimer = setTimeout(() => store.setNotice(null), NOTICE_MS);
  }
}
