// Desktop notifications (the Notification API) for messages that mention me
// and for direct messages, while the page is open but I am not looking at
// that room. Off until turned on in Settings, which asks the browser's
// permission on that click (browsers only ask on a user gesture).

import { excerpt } from './format.js';
import { mentionsMe } from './replies.js';
import { state } from './store.js';

/** @typedef {import('./types.js').Message} Message */

const KEY = 'chat.notifications';

/** Whether this browser can show notifications at all. */
export function supported() {
  return typeof Notification === 'function';
}

/** Turned on here, and allowed by the browser. */
export function enabled() {
  return supported() && Notification.permission === 'granted' && localStorage.getItem(KEY) === 'on';
}

/**
 * Turns notifications on (asking permission) or off; returns whether they are on.
 * @param {boolean} on
 */
export async function setEnabled(on) {
  if (!on || !supported()) {
    localStorage.removeItem(KEY);
    return false;
  }
  const permission = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
  if (permission !== 'granted') {
    localStorage.removeItem(KEY);
    return false;
  }
  localStorage.setItem(KEY, 'on');
  return true;
}

/**
 * A new message arrived (a `message.created` applied to the state): show a
 * notification if it is for me and I am not reading its room.
 * @param {Message} msg
 * @param {(roomId: number) => void} open  what a click on it does
 */
export function maybeNotify(msg, open) {
  const me = state.me;
  if (!enabled() || !me || msg.author.id === me.id || msg.deleted || msg.body === null) return;
  const view = state.rooms.get(msg.room_id);
  if (!view) return;
  const direct = view.room.kind === 'direct';
  if (!direct && !mentionsMe(msg, me.id)) return;
  const looking = document.visibilityState === 'visible' && document.hasFocus() && state.currentId === msg.room_id;
  if (looking) return;
  const who = msg.author.display_name || msg.author.username;
  const title = direct ? who : `${who} in #${view.room.name}`;
  const n = new Notification(title, { body: excerpt(msg.body, 200), tag: `chat-room-${msg.room_id}` });
  n.onclick = () => {
    window.focus();
    open(msg.room_id);
    n.close();
  };
}
