// The overlays that are not on the first screen (the reaction picker, edit
// history, pins, search, people, settings, members, mentions, threads) load
// on first use, so the first screen downloads less. Each loader runs once;
// events for an overlay not loaded yet need no work (it loads fresh).

/** @typedef {import('./types.js').Message} Message */
/** @typedef {import('./render/panels.js').Panels} Panels */
/** @typedef {import('./render/people.js').People} People */
/** @typedef {import('./render/members.js').Members} Members */
/** @typedef {import('./render/inbox.js').Inbox} Inbox */

/**
 * @typedef {object} OverlayHooks
 * @property {(msg: Message, emoji: string, on: boolean) => Promise<boolean>} react
 * @property {(msg: Message, on: boolean) => Promise<boolean>} pin
 * @property {(msg: Message) => Promise<void>} jump
 * @property {(root: Message) => Promise<void>} openThread
 * @property {(username: string) => Promise<unknown>} dm
 * @property {() => void} logOut
 * @property {() => void} left  I left the room shown in Members
 */

/**
 * @template T
 * @param {() => Promise<T>} load
 * @returns {{get: () => Promise<T>, loaded: () => T|null}}
 */
function once(load) {
  /** @type {Promise<T>|null} */
  let promise = null;
  /** @type {T|null} */
  let value = null;
  return {
    get() {
      promise ??= load().then((v) => (value = v));
      return promise;
    },
    loaded: () => value,
  };
}

/** @param {OverlayHooks} hooks */
export function overlays(hooks) {
  const panels = once(async () => new (await import('./render/panels.js')).Panels(hooks));
  const people = once(async () => new (await import('./render/people.js')).People(hooks));
  const members = once(async () => new (await import('./render/members.js')).Members(hooks));
  const inbox = once(async () => new (await import('./render/inbox.js')).Inbox(hooks));
  return {
    /** @param {Message} msg */
    openReact: (msg) => void panels.get().then((p) => p.openReact(msg)),
    /** @param {Message} msg */
    openReport: (msg) => void panels.get().then((p) => p.openReport(msg)),
    /** @param {Message} msg */
    openHistory: (msg) => void panels.get().then((p) => p.openHistory(msg)),
    /** @param {number} roomId */
    openPins: (roomId) => void panels.get().then((p) => p.openPins(roomId)),
    openSearch: () => void panels.get().then((p) => p.openSearch()),
    /** @param {number} roomId */
    pinsChanged: (roomId) => panels.loaded()?.pinsChanged(roomId),
    /** The People dialog was opened: its directory search comes alive. */
    peopleOpened: () => void people.get().then((p) => p.opened()),
    openSettings: () => void people.get().then((p) => p.openSettings()),
    /** @param {number} roomId */
    openMembers: (roomId) => void members.get().then((m) => m.open(roomId)),
    /** @param {number} roomId */
    membersChanged: (roomId) => members.loaded()?.changed(roomId),
    openMentions: () => void inbox.get().then((i) => i.openMentions()),
    openThreads: () => void inbox.get().then((i) => i.openThreads()),
  };
}
