// Screenshots for the docs (docs/screens/): a room with a few messages, at
// desktop (1280×800) and phone (390×844) sizes, light and dark. Only with
// CHAT_SCREENSHOTS=1, so ordinary runs leave the tracked PNGs alone.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, launchBrowser, logIn, startServer, ui, waitForMessage, TEST, newContext } from './harness.mjs';

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

const SIZES = /** @type {const} */ ([
  ['desktop', { width: 1280, height: 800 }],
  ['phone', { width: 390, height: 844 }],
]);

test('screenshots of a room, desktop and phone, light and dark', { ...TEST, skip: !wanted && 'set CHAT_SCREENSHOTS=1 to write docs/screens/*.png' }, async () => {
  const alice = await server.user('alice', { display_name: 'Alice' });
  const bob = await server.user('bob', { display_name: 'Bob' });
  const carol = await server.user('carol', { display_name: 'Carol' });
  const room = await server.room(alice, [bob, carol], { name: 'general', topic: 'anything goes' });
  await server.room(alice, [bob], { name: 'rust' });
  await server.room(bob, [alice], { name: 'lunch' });
  const lines = /** @type {const} */ ([
    [bob, 'morning all! who is around today?'],
    [alice, 'I am, just got coffee'],
    [carol, 'has anyone tried the new web client? it keeps working when the connection drops and sends what you typed once it is back'],
    [bob, 'the café downstairs has crème brûlée today — naïve question: who wants some?'],
    [alice, 'lunch at 12:30?'],
    [carol, 'yes! see you there'],
  ]);
  /** @type {Record<string, number>} */
  const ids = {};
  for (const [who, text] of lines) ids[text] = (await server.send(who, room, text)).id;
  await decorate(room, ids, { alice, bob, carol });

  mkdirSync(SCREENS, { recursive: true });
  for (const [size, viewport] of SIZES) {
    for (const colorScheme of /** @type {const} */ (['light', 'dark'])) {
      const context = await newContext(browser, { viewport, colorScheme, deviceScaleFactor: 1 });
      try {
        const page = await context.newPage();
        await logIn(page, server, alice, room.name);
        await waitForMessage(page, 'yes! see you there');
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
