// Screenshots for the docs (docs/screens/): a room with a few messages, at
// desktop (1280×800) and phone (390×844) sizes, light and dark: people's
// and rooms' avatars (pictures drawn here, and an initial where there is
// none), a photo with its thumbnail, the room list with a conversation.
// Only with CHAT_SCREENSHOTS=1, so ordinary runs leave the tracked PNGs
// alone.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, launchBrowser, logIn, png, startServer, ui, uploadPng, waitForMessage, TEST, newContext } from './harness.mjs';

const SCREENS = join(ROOT, 'docs', 'screens');
const wanted = process.env.CHAT_SCREENSHOTS === '1';

/** @type {import('./harness.mjs').Server} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  if (!wanted) return;
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * Reactions, a pin and (when the server has threads) a thread on the room.
 * @param {{id: number}} room @param {Record<string, number>} ids
 * @param {Record<'alice'|'bob'|'carol', import('./harness.mjs').User>} who
 */
async function decorate(room, ids, who) {
  const base = `/api/v1/rooms/${room.id}`;
  const clientId = ids['has anyone tried the new web client? it keeps working when the connection drops and sends what you typed once it is back'];
  const react = (/** @type {number|undefined} */ id, /** @type {string} */ emoji, /** @type {import('./harness.mjs').User} */ user) =>
    server.expect(204, `${base}/messages/${id}/reactions/${encodeURIComponent(emoji)}`, { method: 'PUT', token: user.token });
  await react(clientId, '👍', who.alice);
  await react(clientId, '👍', who.bob);
  await react(clientId, '🎉', who.bob);
  await react(ids['lunch at 12:30?'], '😂', who.carol);
  await server.expect(204, `${base}/pins/${ids['lunch at 12:30?']}`, { method: 'PUT', token: who.bob.token });
  const reply = (/** @type {import('./harness.mjs').User} */ user, /** @type {string} */ body) =>
    server.call(`${base}/messages`, { method: 'POST', token: user.token, body: { body, thread_root: clientId } });
  await reply(who.bob, 'yes — I closed the laptop mid-sentence and it sent when I opened it again');
  await reply(who.alice, 'same here, works on my phone too');
}

/** @typedef {[number, number, number]} RGB */

/** @param {RGB} a @param {RGB} b @param {number} t  0..1 @returns {RGB} */
const mix = (a, b, t) => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

/** Smooth edge: 1 inside, 0 outside, blended over a pixel. @param {number} d  signed distance */
const inside = (d) => Math.max(0, Math.min(1, 0.5 - d));

/**
 * A person's picture: a head and shoulders on a two-tone backdrop.
 * @param {RGB} from @param {RGB} to @param {RGB} figure
 */
const face = (from, to, figure) =>
  png(96, 96, (x, y) => {
    const back = mix(from, to, (x + y) / 190);
    const head = Math.hypot(x - 48, y - 38) - 19;
    const body = Math.hypot((x - 48) / 34, (y - 100) / 34) * 34 - 34;
    return mix(back, figure, inside(Math.min(head, body)));
  });

/**
 * A room's picture: rings on a gradient.
 * @param {RGB} from @param {RGB} to
 */
const badge = (from, to) =>
  png(96, 96, (x, y) => {
    const r = Math.hypot(x - 48, y - 48);
    const ring = Math.abs(((r + 4) % 18) - 9) - 3;
    return mix(mix(from, to, y / 96), [255, 255, 255], 0.55 * inside(ring) * (r < 40 ? 1 : 0));
  });

/** A photo: hills under a low sun, 640×400. */
const photo = () =>
  png(640, 400, (x, y) => {
    /** @type {RGB} */
    let c = mix([255, 183, 120], [98, 140, 214], Math.max(0, 1 - y / 260));
    c = mix(c, [255, 236, 170], inside(Math.hypot(x - 450, y - 190) - 46));
    const far = 250 + 26 * Math.sin(x / 70) + 12 * Math.sin(x / 23);
    c = mix(c, mix([96, 120, 150], [70, 92, 120], (y - far) / 150), inside(far - y));
    const near = 300 + 30 * Math.sin(x / 110 + 2) + 8 * Math.sin(x / 31);
    c = mix(c, mix([74, 128, 76], [40, 84, 46], (y - near) / 100), inside(near - y));
    return c;
  });

/**
 * Pictures for the people and two of the rooms (the third keeps its
 * initial), and a photo posted in `room`.
 * @param {Record<'alice'|'bob'|'carol', import('./harness.mjs').User>} who
 * @param {{id: number}[]} rooms  pictures for the first two
 * @param {{id: number}} room  where the photo goes
 */
async function pictures(who, rooms, room) {
  /** @type {[import('./harness.mjs').User, Buffer][]} */
  const faces = [
    [who.alice, face([120, 86, 220], [220, 120, 190], [255, 236, 246])],
    [who.bob, face([32, 140, 130], [120, 200, 120], [232, 250, 240])],
    [who.carol, face([230, 130, 40], [240, 200, 80], [255, 246, 226])],
  ];
  for (const [user, bytes] of faces) {
    const file = await uploadPng(server, user, 'me.png', bytes);
    await server.expect(200, '/api/v1/me/avatar', { method: 'PUT', token: user.token, body: { file_id: file.id } });
  }
  const badges = [badge([52, 81, 209], [110, 160, 255]), badge([206, 66, 43], [250, 150, 70])];
  for (const [i, bytes] of badges.entries()) {
    const target = rooms[i];
    if (!target) continue;
    const file = await uploadPng(server, who.alice, 'room.png', bytes);
    await server.expect(200, `/api/v1/rooms/${target.id}/avatar`, { method: 'PUT', token: who.alice.token, body: { file_id: file.id } });
  }
  const file = await uploadPng(server, who.bob, 'hills.png', photo());
  await server.expect(201, `/api/v1/rooms/${room.id}/messages`, { method: 'POST', token: who.bob.token, body: { body: 'the view from the offsite 🌄', attachments: [file.id] } });
}

const SIZES = /** @type {const} */ ([
  ['desktop', { width: 1280, height: 800 }],
  ['phone', { width: 390, height: 844 }],
]);

test('screenshots of a room, desktop and phone, light and dark', { ...TEST, skip: !wanted && 'set CHAT_SCREENSHOTS=1 to write docs/screens/*.png' }, async () => {
  const alice = await server.user('alice', { display_name: 'Alice' });
  const bob = await server.user('bob', { display_name: 'Bob' });
  const carol = await server.user('carol', { display_name: 'Carol' });
  const room = await server.room(alice, [bob, carol], { name: 'general', topic: 'anything goes' });
  const rust = await server.room(alice, [bob], { name: 'rust' });
  await server.room(bob, [alice], { name: 'lunch' });
  await server.expect(201, '/api/v1/dms', { method: 'POST', token: carol.token, body: { username: alice.username } });
  const lines = /** @type {const} */ ([
    [bob, 'morning all! who is around today?'],
    [alice, 'I am, just got coffee'],
    [carol, 'has anyone tried the new web client? it keeps working when the connection drops and sends what you typed once it is back'],
    [bob, 'the café downstairs has crème brûlée today — naïve question: who wants some?'],
    [alice, 'lunch at 12:30?'],
  ]);
  /** @type {Record<string, number>} */
  const ids = {};
  for (const [who, text] of lines) ids[text] = (await server.send(who, room, text)).id;
  await decorate(room, ids, { alice, bob, carol });
  await pictures({ alice, bob, carol }, [room, rust], room);
  await server.send(carol, room, 'yes! see you there');

  mkdirSync(SCREENS, { recursive: true });
  for (const [size, viewport] of SIZES) {
    for (const colorScheme of /** @type {const} */ (['light', 'dark'])) {
      const context = await newContext(browser, { viewport, colorScheme, deviceScaleFactor: 1 });
      try {
        const page = await context.newPage();
        await logIn(page, server, alice, room.name);
        await waitForMessage(page, 'yes! see you there');
        // Every picture has loaded: the photo's thumbnail and the avatars.
        await page.getByRole('img', { name: 'hills.png' }).waitFor();
        await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
        await ui(page).message.fill('on my way');
        // No hover highlight: rest the pointer on the room's header.
        await page.getByRole('heading', { name: /general/ }).hover();
        // Transitions (the phone's room drawer sliding away) are finished first.
        await page.screenshot({ path: join(SCREENS, `${size}-${colorScheme}.png`), animations: 'disabled' });
      } finally {
        await context.close();
      }
    }
  }
});

test('screenshots of the panels: thread, members, search, settings', { ...TEST, skip: !wanted && 'set CHAT_SCREENSHOTS=1 to write docs/screens/*.png' }, async () => {
  const alice = await server.user('alice', { display_name: 'Alice' });
  const bob = await server.user('bob', { display_name: 'Bob' });
  const carol = await server.user('carol', { display_name: 'Carol' });
  const room = await server.room(alice, [bob, carol], { name: 'design', topic: 'the web client' });
  /** @type {Record<string, number>} */
  const ids = {};
  for (const [who, text] of /** @type {const} */ ([
    [bob, 'morning! the new panels are in'],
    [carol, 'has anyone tried the new web client? it keeps working when the connection drops and sends what you typed once it is back'],
    [alice, 'lunch at 12:30?'],
  ])) ids[text] = (await server.send(who, room, text)).id;
  await decorate(room, ids, { alice, bob, carol });
  await server.expect(204, `/api/v1/rooms/${room.id}/bans/${carol.username}`, { method: 'PUT', token: alice.token, body: { reason: 'testing the ban list' } });

  /** @type {[string, {width: number, height: number}, 'light'|'dark', (page: import('playwright-core').Page) => Promise<void>][]} */
  const shots = [
    ['thread', SIZES[0][1], 'light', openThread],
    ['thread', SIZES[1][1], 'dark', openThread],
    ['members', SIZES[0][1], 'dark', (page) => openDialog(page, 'Members', 'Members', (d) => d.getByRole('combobox').first().waitFor())],
    ['search', SIZES[0][1], 'light', (page) => openDialog(page, 'Search', 'Search messages', async (d) => {
      await d.getByRole('searchbox').fill('web client');
      await d.getByRole('searchbox').press('Enter');
      await d.getByRole('button', { name: /^Open the message/ }).first().waitFor();
    })],
    ['settings', SIZES[1][1], 'light', (page) => openDialog(page, 'Settings', 'Settings', (d) => d.getByText('(this device)').waitFor())],
  ];
  for (const [name, viewport, colorScheme, act] of shots) {
    const context = await newContext(browser, { viewport, colorScheme, deviceScaleFactor: 1 });
    try {
      const page = await context.newPage();
      await logIn(page, server, alice, room.name);
      await waitForMessage(page, 'lunch at 12:30?');
      await act(page);
      const size = viewport.width > 700 ? 'desktop' : 'phone';
      await page.screenshot({ path: join(SCREENS, `${size}-${colorScheme}-${name}.png`), animations: 'disabled' });
    } finally {
      await context.close();
    }
  }
});

/** @param {import('playwright-core').Page} page */
async function openThread(page) {
  await page.getByRole('button', { name: /^\d+ repl/ }).first().click();
  await page.getByRole('log', { name: 'Thread replies' }).getByText('works on my phone').waitFor();
  await page.getByRole('textbox', { name: 'Reply in thread' }).fill('nice!');
}

/**
 * @param {import('playwright-core').Page} page @param {string} button @param {string} dialog
 * @param {(d: import('playwright-core').Locator) => Promise<unknown>} ready
 */
async function openDialog(page, button, dialog, ready) {
  await page.getByRole('button', { name: button, exact: true }).click();
  await ready(page.getByRole('dialog', { name: dialog }));
}
