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
  for (const [who, text] of lines) await server.send(who, room, text);

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
