// People and me: the directory in the People dialog (search as you type,
// "Message NAME" opens a direct conversation, "Block NAME" blocks) and the
// Settings dialog (my profile and avatar, the people I blocked, my sessions
// with the current one marked, log out).

import { byId, clear, h, setText } from '../dom.js';
import { api, ApiError } from '../api.js';
import { panelApi } from '../panel-api.js';
import { mediumTime } from '../time.js';
import { setMe, state } from '../store.js';
import * as notify from '../notify.js';
import { closeOnEscape, errorText, modal, show } from './panels.js';
import { avatar } from './avatar.js';
import { AvatarField } from './avatars.js';

/** @typedef {import('../types.js').User} User */
/** @typedef {import('../types.js').Session} Session */

/**
 * @typedef {object} PeopleHooks
 * @property {(username: string) => Promise<unknown>} dm
 * @property {() => void} logOut
 */

export class People {
  /** @param {PeopleHooks} hooks */
  constructor(hooks) {
    this.hooks = hooks;
    this.settings = modal('settings-dialog');
    this.input = byId('dm-username', HTMLInputElement);
    this.results = byId('dm-results', HTMLUListElement);
    this.status = byId('dm-status', HTMLElement);
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.timer = undefined;
    /** Answers older than the newest query are dropped. */
    this.asked = 0;
    /** @type {Set<string>} usernames I have blocked (as of the dialog opening) */
    this.blocked = new Set();
    this.avatar = new AvatarField('my-avatar', async (fileId) => {
      const me = await panelApi.setAvatar(null, fileId);
      setMe(me);
      return me;
    });

    closeOnEscape(byId('dm-dialog', HTMLDialogElement));
    this.input.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.lookUp(), 150);
    });
    byId('profile-form', HTMLFormElement).addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.saveProfile();
    });
    byId('password-form', HTMLFormElement).addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.changePassword();
    });
    const toggle = byId('notify-toggle', HTMLInputElement);
    toggle.addEventListener('change', async () => {
      const wanted = toggle.checked;
      const on = await notify.setEnabled(wanted);
      toggle.checked = on;
      this.notifyStatus(wanted === on ? null : 'The browser did not allow notifications for this site.');
    });
    byId('settings-logout', HTMLButtonElement).addEventListener('click', () => {
      this.settings.close();
      hooks.logOut();
    });
  }

  /** The People dialog opened (Dialogs.openDm resets its form). */
  opened() {
    clear(this.results);
    setText(this.status, '');
    panelApi.blocks().then(
      (users) => {
        this.blocked = new Set(users.map((u) => u.username));
        if (this.input.value.trim()) void this.lookUp();
      },
      () => {},
    );
    // Typed before this module had loaded:
    if (this.input.value.trim()) void this.lookUp();
  }

  async lookUp() {
    const q = this.input.value.trim().replace(/^@/, '');
    const n = ++this.asked;
    if (!q) {
      clear(this.results);
      setText(this.status, '');
      return;
    }
    /** @type {User[]} */
    let users;
    try {
      users = await panelApi.users(q);
    } catch (err) {
      if (n === this.asked) setText(this.status, errorText(err));
      return;
    }
    if (n !== this.asked) return;
    const me = state.me;
    users = users.filter((u) => !me || u.id !== me.id);
    clear(this.results);
    setText(this.status, users.length ? `${users.length} ${users.length === 1 ? 'person' : 'people'} found` : `Nobody’s name starts with “${q}”.`);
    for (const u of users) {
      const name = u.display_name || u.username;
      this.results.appendChild(
        h(
          'li',
          { class: 'browse-item' },
          avatar(u),
          h(
            'div',
            { class: 'browse-text' },
            h('span', { class: 'browse-name' }, name),
            h('span', { class: 'browse-topic' }, `@${u.username}${u.bio ? ` — ${u.bio}` : ''}`),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'button primary',
              'aria-label': `Message ${u.username}`,
              onclick: async (ev) => {
                const button = /** @type {HTMLButtonElement} */ (ev.currentTarget);
                button.disabled = true;
                try {
                  await this.hooks.dm(u.username);
                  byId('dm-dialog', HTMLDialogElement).close();
                } catch (err) {
                  setText(byId('dm-error', HTMLElement), errorText(err));
                  button.disabled = false;
                }
              },
            },
            'Message',
          ),
          this.blockButton(u.username),
        ),
      );
    }
  }

  /** Block or unblock, toggling in place. @param {string} username */
  blockButton(username) {
    const blocked = this.blocked.has(username);
    return h(
      'button',
      {
        type: 'button',
        class: 'button subtle',
        'aria-label': `${blocked ? 'Unblock' : 'Block'} ${username}`,
        title: blocked ? undefined : 'They can no longer message you directly, and their mentions of you do not count',
        onclick: async (ev) => {
          const button = /** @type {HTMLButtonElement} */ (ev.currentTarget);
          try {
            await panelApi.block(username, !blocked);
          } catch (err) {
            setText(byId('dm-error', HTMLElement), errorText(err));
            return;
          }
          if (blocked) this.blocked.delete(username);
          else this.blocked.add(username);
          const next = this.blockButton(username);
          button.replaceWith(next);
          next.focus();
        },
      },
      blocked ? 'Unblock' : 'Block',
    );
  }

  // ---- settings ----

  async openSettings() {
    const me = state.me;
    byId('profile-form', HTMLFormElement).reset();
    setText(byId('profile-username', HTMLElement), me ? `You are @${me.username}.` : '');
    byId('profile-display-name', HTMLInputElement).value = me?.display_name ?? '';
    byId('profile-bio', HTMLTextAreaElement).value = me?.bio ?? '';
    setText(byId('profile-status', HTMLElement), '');
    const passwords = byId('password-form', HTMLFormElement);
    passwords.reset();
    // For password managers: whose password this is.
    const account = passwords.elements.namedItem('username');
    if (account instanceof HTMLInputElement) account.value = me?.username ?? '';
    setText(byId('password-status', HTMLElement), '');
    this.avatar.show(me ?? {});
    const toggle = byId('notify-toggle', HTMLInputElement);
    toggle.checked = notify.enabled();
    toggle.disabled = !notify.supported();
    this.notifyStatus(null);
    show(this.settings);
    byId('profile-display-name', HTMLInputElement).focus();
    try {
      // The socket's `ready` may carry less than GET /me (the bio).
      const fresh = await api.me();
      if (!me || fresh.id !== me.id) return;
      setMe(fresh);
      this.avatar.show(fresh);
      const bio = byId('profile-bio', HTMLTextAreaElement);
      if (!bio.value) bio.value = fresh.bio ?? '';
    } catch {
      // the form keeps what we knew
    }
    await Promise.all([this.loadSessions(), this.loadBlocked()]);
  }

  /** @param {string|null} problem */
  notifyStatus(problem) {
    let text = problem ?? '';
    if (!problem && !notify.supported()) text = 'This browser cannot show notifications.';
    else if (!problem && Notification.permission === 'denied') text = 'Notifications are blocked for this site in the browser’s settings.';
    setText(byId('notify-status', HTMLElement), text);
  }

  async loadBlocked() {
    const list = byId('blocked-list', HTMLUListElement);
    let users;
    try {
      users = await panelApi.blocks();
    } catch (err) {
      clear(list);
      list.appendChild(h('li', { class: 'section-empty' }, errorText(err)));
      return;
    }
    clear(list);
    if (!users.length) list.appendChild(h('li', { class: 'section-empty' }, 'You have blocked nobody.'));
    for (const u of users) {
      list.appendChild(
        h(
          'li',
          { class: 'result-item' },
          avatar(u),
          h('div', { class: 'result-text' }, h('span', { class: 'result-body' }, u.display_name || u.username), h('span', { class: 'result-meta' }, `@${u.username}`)),
          h(
            'button',
            {
              type: 'button',
              class: 'button subtle',
              'aria-label': `Unblock ${u.username}`,
              onclick: async () => {
                try {
                  await panelApi.block(u.username, false);
                } catch (err) {
                  setText(byId('sessions-status', HTMLElement), errorText(err));
                }
                await this.loadBlocked();
                byId('settings-logout', HTMLButtonElement).focus();
              },
            },
            'Unblock',
          ),
        ),
      );
    }
  }

  async saveProfile() {
    const status = byId('profile-status', HTMLElement);
    const displayName = byId('profile-display-name', HTMLInputElement).value.trim();
    const bio = byId('profile-bio', HTMLTextAreaElement).value.trim();
    setText(status, 'Saving…');
    try {
      const user = await panelApi.updateMe({ display_name: displayName, bio });
      setMe(user);
      setText(status, 'Saved.');
    } catch (err) {
      setText(status, errorText(err));
    }
  }

  async changePassword() {
    const form = byId('password-form', HTMLFormElement);
    const status = byId('password-status', HTMLElement);
    const current = byId('current-password', HTMLInputElement);
    const next = byId('new-password', HTMLInputElement);
    if (!current.value || next.value.length < 8) {
      setText(status, current.value ? 'The new password needs at least 8 characters.' : 'Type your current password.');
      (current.value ? next : current).focus();
      return;
    }
    const submit = form.querySelector('button[type="submit"]');
    if (!(submit instanceof HTMLButtonElement) || submit.disabled) return;
    // One change at a time: a second click would send the old password again.
    submit.disabled = true;
    setText(status, 'Changing…');
    try {
      await panelApi.changePassword(current.value, next.value);
    } catch (err) {
      setText(status, errorText(err));
      return;
    } finally {
      submit.disabled = false;
    }
    form.reset();
    setText(status, 'Password changed. Your other sessions were logged out.');
    void this.loadSessions();
  }

  async loadSessions() {
    const list = byId('sessions-list', HTMLUListElement);
    const status = byId('sessions-status', HTMLElement);
    /** @type {Session[]} */
    let sessions;
    try {
      sessions = await panelApi.sessions();
    } catch (err) {
      setText(status, errorText(err));
      return;
    }
    clear(list);
    setText(status, `${sessions.length} signed-in ${sessions.length === 1 ? 'session' : 'sessions'}`);
    const others = sessions.filter((s) => !s.current);
    const endAll = byId('end-other-sessions', HTMLButtonElement);
    endAll.hidden = others.length === 0;
    endAll.onclick = () => void this.endSessions(others.map((s) => s.id));
    for (const s of sessions) {
      const what = s.user_agent ? browserName(s.user_agent) : 'Unknown client';
      list.appendChild(
        h(
          'li',
          { class: s.current ? 'result-item current' : 'result-item' },
          h(
            'div',
            { class: 'result-text' },
            h('span', { class: 'result-body' }, what, s.current ? h('strong', { class: 'current-mark' }, ' (this device)') : null),
            h('span', { class: 'result-meta' }, `signed in ${mediumTime(s.created_at)} · last active ${mediumTime(s.last_seen_at)}`),
          ),
          s.current
            ? null
            : h(
                'button',
                {
                  type: 'button',
                  class: 'button subtle',
                  'aria-label': `End session ${s.id} (${what})`,
                  onclick: () => void this.endSession(s.id),
                },
                'End session',
              ),
        ),
      );
    }
  }

  /** @param {number} id */
  async endSession(id) {
    await this.endSessions([id]);
  }

  /** Ends sessions one by one (one that is already gone is no failure). @param {number[]} ids */
  async endSessions(ids) {
    for (const id of ids) {
      try {
        await panelApi.endSession(id);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) continue;
        setText(byId('sessions-status', HTMLElement), errorText(err));
        return;
      }
    }
    await this.loadSessions();
    byId('settings-logout', HTMLButtonElement).focus();
  }
}

/** A short name for a User-Agent ("Chrome on Linux"), else the string itself. @param {string} ua */
function browserName(ua) {
  const browser = /Firefox\//.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : null;
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? (ua.length > 60 ? `${ua.slice(0, 59)}…` : ua);
}
