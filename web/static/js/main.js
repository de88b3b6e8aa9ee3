// Start-up and wiring: who is logged in, the socket, the views.

import { api, ApiError, setUnauthorizedHandler } from './api.js';
import * as actions from './actions.js';
import { DRAFT_PREFIX, LAST_ROOM_KEY, forget, store as remember, storedKeys } from './boot.js';
import { byId } from './dom.js';
import { installShortcuts } from './keyboard.js';
import { Gateway } from './socket.js';
import * as live from './live.js';
import { forgetSaved, keepSaved } from './outbox.js';
import { overlays } from './overlays.js';
import { refreshThreadCount, show as showThreadCount } from './threadcount.js';
import * as replies from './replies.js';
import * as store from './store.js';
import { limits, state } from './store.js';
import { Chrome } from './render/chrome.js';
import { Composer } from './render/composer.js';
import { RoomList } from './render/rooms.js';
import { Timeline } from './render/timeline.js';
// The modules the ones above import, named here too so the browser asks for
// them with the first wave instead of after their importers arrive (one
// round of requests less before the first screen).
import './format.js';
import './time.js';
import './render/avatar.js';
import './render/message.js';

/** @typedef {import('./types.js').User} User */

const boot = byId('boot', HTMLElement);
/** notify.js's setting (localStorage), read here so the module loads only when on. */
const NOTIFY_KEY = 'chat.notifications';
const loginScreen = byId('login-screen', HTMLElement);
const chatScreen = byId('chat-screen', HTMLElement);

// ---- the socket ------------------------------------------------------------

const gateway = new Gateway({
  onReady(ready) {
    const { resume, unknownRooms } = live.applyReady(ready);
    if (unknownRooms.length) void actions.refreshRooms();
    return resume;
  },
  onResumed() {
    actions.flushOutbox();
    refreshThreadCount();
    // A thread whose replies did not load (the server was away) tries again.
    if (state.thread && !state.thread.loaded) void threadView().then(({ threads }) => threads.reloadThread());
    store.changed();
  },
  onFrame(frame) {
    switch (frame.type) {
      case 'ack':
        state.outbox.ack(frame.client_id);
        replies.putMessage(frame.message);
        break;
      case 'error':
        if (frame.client_id && state.outbox.get(frame.client_id)) {
          state.outbox.fail(frame.client_id, frame.error?.message ?? 'refused');
          store.changed();
        } else if (frame.error?.code !== 'not_found') {
          store.setNotice(frame.error?.message ?? 'The server refused a request.', 'error');
        }
        break;
      case 'typing':
        live.addTyping(frame.room_id, frame.user);
        scheduleTypingExpiry();
        break;
      case 'presence':
        live.setPresence(frame.user, frame.status);
        break;
      default:
        if (typeof frame.seq === 'number' && typeof frame.room_id === 'number') {
          const out = live.applyEvent(frame);
          const msg = frame.type === 'message.created' ? frame.message : undefined;
          // notify.js loads only for those who turned notifications on.
          if (out.applied && msg && localStorage.getItem(NOTIFY_KEY) === 'on') {
            void import('./notify.js').then((n) => n.maybeNotify(msg, (id) => actions.openRoom(id)));
          }
          if (out.reply && frame.message && frame.message.author.id !== state.me?.id) refreshThreadCount();
          if (frame.type === 'message.pinned' || frame.type === 'message.unpinned') more.pinsChanged(frame.room_id);
          if (frame.type.startsWith('member.')) {
            more.membersChanged(frame.room_id);
            actions.forgetMembers(frame.room_id);
          }
          if (out.refetchRooms) void actions.refreshRooms();
          if (out.applied && state.currentId === frame.room_id && state.reading) actions.markRead(frame.room_id);
          if (out.removed && state.currentId === null) openDefaultRoom();
        }
    }
  },
  onStatus(status, retryInMs) {
    store.setLink(status, retryInMs);
  },
  onUnauthorized() {
    void loggedOut('Your session ended. Please log in again.');
  },
  async stillLoggedIn() {
    try {
      await api.me();
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return false;
      return true;
    }
  },
});
actions.useGateway(gateway);

/** @type {ReturnType<typeof setInterval>|undefined} */
let typingTimer;
function scheduleTypingExpiry() {
  if (typingTimer !== undefined) return;
  typingTimer = setInterval(() => {
    if (!live.expireTyping()) {
      clearInterval(typingTimer);
      typingTimer = undefined;
    }
  }, 1000);
}

// ---- views ------------------------------------------------------------------

/** @type {Promise<import('./render/login.js').LoginForm>|undefined} */
let loginLoaded;
/** How long the login form waits to learn whether to offer registration. */
const SERVER_INFO_WAIT_MS = 2000;

/**
 * The login form loads when someone has to log in; its screen shows once it
 * is wired and knows whether this server lets people register (offered
 * unless the server says it is closed; a slow answer corrects it later).
 */
const loginForm = () =>
  (loginLoaded ??= Promise.all([
    import('./render/login.js'),
    Promise.race([learnServer(), new Promise((r) => setTimeout(r, SERVER_INFO_WAIT_MS, null))]),
  ]).then(([m, info]) => {
    const form = new m.LoginForm({
      async login(username, password) {
        const user = await api.login(username, password);
        await enterChat(user);
      },
      async register(username, password, displayName) {
        await api.register(username, password, displayName || undefined);
        const user = await api.login(username, password);
        await enterChat(user);
      },
    });
    form.offerRegistration(info?.registration !== 'closed');
    if (!info) void offerRegistration(form);
    return form;
  }));

/**
 * Asks the server again (an earlier answer failed or was late) and shows
 * or hides registration by what it says.
 * @param {import('./render/login.js').LoginForm} form
 */
async function offerRegistration(form) {
  const info = await learnServer();
  if (info) form.offerRegistration(info.registration !== 'closed');
}

/** Asks the server about itself and keeps its limits for the composer. */
async function learnServer() {
  const info = await api.server();
  if (info) Object.assign(limits, info.limits);
  return info;
}

const chrome = new Chrome();
const rooms = new RoomList(byId('room-nav', HTMLElement), (id) => {
  actions.openRoom(id);
  if (chrome.closeDrawer(false)) composer.focus();
});

const timeline = new Timeline(
  {
    scroller: byId('timeline', HTMLElement),
    log: byId('log', HTMLElement),
    status: byId('history-status', HTMLElement),
    pill: byId('new-pill', HTMLButtonElement),
  },
  {
    loadOlder: (id) => void actions.loadOlder(id),
    loadNewer: (id) => void actions.loadNewer(id),
    loadLatest: (id) => void actions.loadLatest(id),
    markRead: (id) => actions.markRead(id),
    reply: (msg) => composer.startReply(msg),
    edit: (msg) => composer.startEdit(msg),
    remove: (msg) => void actions.remove(msg),
    retry: (clientId) => actions.retry(clientId),
    discard: (clientId) => actions.discard(clientId),
    react: (msg, emoji, on) => void actions.react(msg, emoji, on),
    pickReaction: (msg) => more.openReact(msg),
    pin: (msg, on) => void actions.pin(msg, on),
    history: (msg) => more.openHistory(msg),
    openThread: (msg) => void openThread(msg),
    report: (msg) => more.openReport(msg),
  },
);

/** Opens a message's thread in the side panel, its room in the main view. @param {import('./types.js').Message} msg */
async function openThread(msg) {
  if (state.currentId !== msg.room_id) actions.openRoom(msg.room_id);
  chrome.closeDrawer(false);
  const { panel, threads } = await threadView();
  await threads.openThread(msg);
  panel.focus();
}

// The thread panel and its actions load with the first thread opened.
/** @type {import('./render/thread.js').ThreadPanel|null} */
let threadPanel = null;
/** @type {Promise<{panel: import('./render/thread.js').ThreadPanel, threads: typeof import('./threads.js')}>|null} */
let threadLoading = null;
function threadView() {
  threadLoading ??= Promise.all([import('./render/thread.js'), import('./threads.js')]).then(([view, threads]) => {
    const panel = new view.ThreadPanel({
      message: {
        reply: () => {},
        edit: () => {},
        remove: (msg) => void actions.remove(msg),
        retry: (clientId) => actions.retry(clientId),
        discard: (clientId) => actions.discard(clientId),
        react: (msg, emoji, on) => void actions.react(msg, emoji, on),
        pickReaction: (msg) => more.openReact(msg),
        pin: (msg, on) => void actions.pin(msg, on),
        history: (msg) => more.openHistory(msg),
        report: (msg) => more.openReport(msg),
      },
      send: (roomId, rootId, body) => threads.sendReply(roomId, rootId, body),
      loadOlder: () => void threads.loadOlderReplies(),
      close() {
        replies.closeThread();
        composer.focus();
      },
      markRead: () => {
        const moved = threads.markThreadRead();
        if (moved) void moved.then((yes) => yes && refreshThreadCount());
      },
    });
    threadPanel = panel;
    return { panel, threads };
  });
  return threadLoading;
}

const more = overlays({
  react: (msg, emoji, on) => actions.react(msg, emoji, on),
  pin: (msg, on) => actions.pin(msg, on),
  jump: (msg) => jumpTo(msg),
  openThread: (root) => openThread(root),
  dm: (username) => thenCloseDrawer(actions.openDm(username)),
  logOut: () => void logOut(),
  left: () => openDefaultRoom(),
});

/** Shows a message where it lives: in its room, or a reply in its thread. @param {import('./types.js').Message} msg */
async function jumpTo(msg) {
  chrome.closeDrawer(false);
  if (msg.thread_root != null) {
    await openThread(msg);
    return;
  }
  if (await actions.showMessage(msg)) timeline.reveal(msg.id);
}

// `@` completion loads with the first `@` typed, and answers it at once.
const messageInput = byId('message-input', HTMLTextAreaElement);
messageInput.addEventListener('input', function firstAt() {
  if (!messageInput.value.includes('@')) return;
  messageInput.removeEventListener('input', firstAt);
  void import('./render/complete.js').then((m) => {
    const complete = new m.MentionComplete(messageInput, byId('mention-list', HTMLUListElement), {
      roomId: () => state.currentId,
      members: (roomId) => actions.roomMembers(roomId),
    });
    void complete.update();
  });
});

const composer = new Composer(
  {
    form: byId('composer', HTMLFormElement),
    input: byId('message-input', HTMLTextAreaElement),
    context: byId('compose-context', HTMLElement),
    contextText: byId('compose-context-text', HTMLElement),
    cancel: byId('compose-cancel', HTMLButtonElement),
    sendButton: byId('send-button', HTMLButtonElement),
    attach: byId('attach-button', HTMLButtonElement),
    picker: byId('attach-input', HTMLInputElement),
    tray: byId('attach-list', HTMLUListElement),
    dropZone: byId('room-main', HTMLElement),
  },
  {
    send(roomId, body, replyTo, files) {
      actions.send(roomId, body, replyTo, files);
      timeline.stickToBottom();
    },
    edit: (msg, body) => actions.edit(msg, body),
    typing: (roomId) => actions.typing(roomId),
    lastOwn: (roomId) => actions.lastOwnMessage(roomId),
    reactLast: (roomId, emoji) => actions.reactLast(roomId, emoji),
  },
);

/**
 * Runs an action that opens a room, then closes the phone-width drawer.
 * @template T
 * @param {Promise<T>} p
 */
async function thenCloseDrawer(p) {
  const out = await p;
  chrome.closeDrawer(false);
  return out;
}

/** @type {Promise<import('./render/dialogs.js').Dialogs>|undefined} */
let dialogsLoaded;
/** The dialogs (rooms, new room, new conversation, help) load on first use. */
const dialogs = () =>
  (dialogsLoaded ??= import('./render/dialogs.js').then(
    (m) =>
      new m.Dialogs({
        join: (id) => thenCloseDrawer(actions.joinRoom(id)),
        open: (id) => {
          actions.openRoom(id);
          chrome.closeDrawer(false);
        },
        create: (name, topic, isPrivate) => thenCloseDrawer(actions.createRoom(name, topic, isPrivate)),
        dm: (username) => thenCloseDrawer(actions.openDm(username)),
      }),
  ));

store.subscribe((s) => {
  boot.hidden = s.screen !== 'loading';
  loginScreen.hidden = s.screen !== 'login';
  chatScreen.hidden = s.screen !== 'chat';
  if (s.screen !== 'chat') return;
  chrome.render(s);
  rooms.render(s);
  timeline.render(s);
  composer.render(s);
  if (threadPanel) threadPanel.render(s);
  else if (s.thread) void threadView().then(({ panel }) => panel.render(state));
});

byId('browse-button', HTMLButtonElement).addEventListener('click', () => void dialogs().then((d) => d.openBrowse()));
byId('create-button', HTMLButtonElement).addEventListener('click', () => void dialogs().then((d) => d.openCreate()));
byId('dm-button', HTMLButtonElement).addEventListener('click', () => {
  void dialogs().then((d) => {
    d.openDm();
    more.peopleOpened();
  });
});
byId('search-button', HTMLButtonElement).addEventListener('click', () => more.openSearch());
byId('mentions-button', HTMLButtonElement).addEventListener('click', () => more.openMentions());
byId('threads-button', HTMLButtonElement).addEventListener('click', () => more.openThreads());
byId('settings-button', HTMLButtonElement).addEventListener('click', () => more.openSettings());
byId('pins-button', HTMLButtonElement).addEventListener('click', () => {
  if (state.currentId !== null) more.openPins(state.currentId);
});
byId('members-button', HTMLButtonElement).addEventListener('click', () => {
  if (state.currentId !== null) more.openMembers(state.currentId);
});
const openHelp = () => void dialogs().then((d) => d.openHelp());
byId('help-button', HTMLButtonElement).addEventListener('click', openHelp);
byId('logout-button', HTMLButtonElement).addEventListener('click', () => void logOut());

installShortcuts({
  active: () => state.screen === 'chat' && !document.querySelector('dialog[open]'),
  help: openHelp,
  search: () => more.openSearch(),
  moveRoom(delta, unreadOnly) {
    const list = store.orderedRooms();
    if (!list.length) return;
    const at = list.findIndex((v) => v.room.id === state.currentId);
    for (let step = 1; step <= list.length; step++) {
      const i = (((at < 0 ? (delta > 0 ? -1 : 0) : at) + delta * step) % list.length + list.length) % list.length;
      const view = list[i];
      if (!view) continue;
      if (unreadOnly && view.unread === 0) continue;
      actions.openRoom(view.room.id);
      const btn = document.querySelector(`#room-nav button[data-room-id="${view.room.id}"]`);
      if (btn instanceof HTMLElement && document.activeElement instanceof HTMLElement && document.activeElement.closest('#room-nav')) btn.focus();
      return;
    }
  },
  escape: () => timeline.dismiss() || chrome.closeDrawer(true),
});

// ---- session ----------------------------------------------------------------

/** @param {User} user */
async function enterChat(user) {
  store.setMe(user);
  let roomsKnown = false;
  try {
    store.setRooms(await api.rooms());
    roomsKnown = true;
  } catch (err) {
    store.setNotice(actions.messageOf(err), 'error');
  }
  const mine = (/** @type {number} */ room) => !roomsKnown || state.rooms.has(room);
  // What this user left unsent (a reload, a closed tab) goes out on
  // connecting; what they were typing is back in its room.
  await Promise.all([
    keepSaved(state.outbox, user.id, (o) => mine(o.room_id), () => {
      actions.flushOutbox();
      store.changed();
    }),
    composer.open(user.id, mine),
  ]);
  store.setScreen('chat');
  gateway.start();
  openDefaultRoom();
  void learnServer();
  queueMicrotask(() => composer.focus());
}

function openDefaultRoom() {
  const m = /^#room\/(\d+)$/.exec(location.hash);
  const wanted = m ? Number(m[1]) : NaN;
  if (state.rooms.has(wanted)) {
    actions.openRoom(wanted);
    return;
  }
  const first = store.orderedRooms()[0];
  if (first) actions.openRoom(first.room.id);
  else store.changed();
}

/** @param {string} [message] */
async function loggedOut(message) {
  gateway.stop();
  // Unsent messages and drafts stay only while their author is logged in
  // here: nothing is saved from now on (a Retry before the reset included).
  state.outbox.closed = true;
  state.outbox.onChange = null;
  composer.reset();
  const me = state.me;
  if (me) await Promise.all([forgetSaved(me.id), forgetDrafts(me.id)]);
  showThreadCount(0);
  for (const d of document.querySelectorAll('dialog[open]')) if (d instanceof HTMLDialogElement) d.close();
  chrome.closeDrawer(false);
  forget();
  remember(LAST_ROOM_KEY, null);
  const form = await loginForm();
  store.reset();
  history.replaceState(null, '', location.pathname);
  form.reset(message);
  void offerRegistration(form);
  queueMicrotask(() => form.focus());
}

/** Removes the drafts pages kept (drafts.js): a user's, or anyone's. @param {number} [userId] */
async function forgetDrafts(userId) {
  if (storedKeys(DRAFT_PREFIX).length) await import('./drafts.js').then((m) => m.forget(userId), () => {});
}

async function logOut() {
  try {
    await api.logout();
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) {
      store.setNotice(actions.messageOf(err), 'error');
      return;
    }
  }
  await loggedOut();
}

setUnauthorizedHandler(() => {
  if (state.screen === 'chat') void loggedOut('Your session ended. Please log in again.');
});

window.addEventListener('hashchange', () => {
  const m = /^#room\/(\d+)$/.exec(location.hash);
  if (m && state.screen === 'chat') actions.openRoom(Number(m[1]));
});

async function start() {
  try {
    const user = await api.me();
    await enterChat(user);
  } catch (err) {
    forget();
    // Logged out while no page was open (the session expired or was ended
    // elsewhere): what was left unsent goes too, as at a logout.
    if (err instanceof ApiError && err.status === 401) void Promise.all([forgetSaved(), forgetDrafts()]);
    const form = await loginForm();
    store.setScreen('login');
    form.reset(err instanceof ApiError && err.status !== 401 ? err.message : '');
    queueMicrotask(() => form.focus());
  }
}

void start();
