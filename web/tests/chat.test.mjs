// Logging in, chatting live between two browsers, keyboard-only use, and
// logging out: the web client through the names a screen reader announces.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  TIMEOUT,
  eventually,
  launchBrowser,
  logIn,
  messageTexts,
  occurrences,
  recordSockets,
  sessionCookie,
  startServer,
  ui,
  waitForMessage,
  TEST,
  newContext,
} from './harness.mjs';

/** @type {import('./harness.mjs').Server} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

describe('web client', () => {
  test('two users chat live: what one sends appears in the other’s Messages log', TEST, async () => {
    const alice = await server.user('alice');
    const bob = await server.user('bob');
    const room = await server.room(alice, [bob]);
    const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
    try {
      const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
      await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);

      await ui(pa).message.fill('hello bob, this is alice');
      await ui(pa).message.press('Enter');
      await waitForMessage(pb, 'hello bob, this is alice');
      await waitForMessage(pa, 'hello bob, this is alice');
      // Enter sent it: the field is empty again.
      assert.equal(await ui(pa).message.inputValue(), '');

      await ui(pb).message.fill('hi alice!');
      await ui(pb).message.press('Enter');
      await waitForMessage(pa, 'hi alice!');

      // Each shows once, in order, on both sides.
      for (const page of [pa, pb]) {
        const texts = await eventually('both messages in order', () => messageTexts(page), (t) => occurrences(t, 'hi alice!') === 1);
        assert.equal(occurrences(texts, 'hello bob, this is alice'), 1, texts.join(' | '));
        const first = texts.findIndex((t) => t.includes('hello bob'));
        const second = texts.findIndex((t) => t.includes('hi alice!'));
        assert.ok(first < second, `out of order: ${texts.join(' | ')}`);
      }
    } finally {
      await Promise.all([ca.close(), cb.close()]);
    }
  });

  test('keyboard only: Tab, typing and Enter log in and send a message', TEST, async () => {
    const carol = await server.user('carol');
    const room = await server.room(carol, []);
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      const u = ui(page);
      await page.goto(server.url);
      await u.username.waitFor();

      await tabTo(page, u.username);
      await page.keyboard.type(carol.username);
      await tabTo(page, u.password);
      await page.keyboard.type(carol.password);
      await page.keyboard.press('Enter');
      await u.rooms.waitFor();

      // Open the room (unless the client already has and put the focus in the
      // Message field), then type and send.
      if (!(await isFocused(u.message))) {
        await tabTo(page, u.room(room.name));
        await page.keyboard.press('Enter');
        await u.messages.waitFor({ state: 'attached' });
        await tabTo(page, u.message);
      }
      await page.keyboard.type('sent without a mouse');
      await page.keyboard.press('Enter');
      await waitForMessage(page, 'sent without a mouse');
      // The log may show it before the server has acknowledged it.
      const stored = await eventually('the message to be stored', () => server.history(carol, room), (h) => h.length > 0);
      assert.deepEqual(stored, ['sent without a mouse']);
    } finally {
      await context.close();
    }
  });

  test('logging out clears the session cookie, closes the socket and ends the session', TEST, async () => {
    const dave = await server.user('dave');
    const room = await server.room(dave, []);
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      const sockets = recordSockets(page);
      await logIn(page, server, dave, room.name);

      const cookie = await sessionCookie(context);
      assert.ok(cookie, 'logged in, but no chat_session cookie');
      assert.equal(cookie.httpOnly, true, 'chat_session must be HttpOnly');
      assert.equal(await page.evaluate(() => document.cookie.includes('chat_session')), false);
      const me = await server.call('/api/v1/me', { headers: { cookie: `chat_session=${cookie.value}`, origin: server.url } });
      assert.equal(me.status, 200, `the cookie authenticates before logout: ${JSON.stringify(me.body)}`);
      await eventually('the WebSocket to open', () => sockets.open());

      await page.getByRole('button', { name: /^(log ?out|sign out)$/i }).click();

      await ui(page).username.waitFor();
      await ui(page).password.waitFor();
      assert.equal(await ui(page).rooms.count(), 0, 'the Rooms navigation is still shown after logout');
      assert.equal(await sessionCookie(context), undefined, 'chat_session is still set after logout');
      await eventually('the WebSocket to close', () => !sockets.open());
      const after = await server.call('/api/v1/me', { headers: { cookie: `chat_session=${cookie.value}`, origin: server.url } });
      assert.equal(after.status, 401, `the old cookie still works: ${JSON.stringify(after.body)}`);
      assert.equal(after.body?.error?.code, 'unauthorized');
    } finally {
      await context.close();
    }
  });
});

describe('reactions and pins', () => {
  test('reactions show as chips under a message and a pin as a mark, live', TEST, async () => {
    const alice = await server.user('alice');
    const bob = await server.user('bob');
    const room = await server.room(alice, [bob]);
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await logIn(page, server, alice, room.name);
      const message = await server.send(bob, room, 'react to this one');
      await waitForMessage(page, 'react to this one');
      const reactions = `/api/v1/rooms/${room.id}/messages/${message.id}/reactions/${encodeURIComponent('👍')}`;
      for (const user of [bob, alice]) await server.expect(204, reactions, { method: 'PUT', token: user.token });
      await server.expect(204, `/api/v1/rooms/${room.id}/pins/${message.id}`, { method: 'PUT', token: bob.token });
      const chips = ui(page).messages.getByRole('list', { name: 'Reactions' });
      await chips.getByText('👍 2', { exact: true }).waitFor({ timeout: TIMEOUT });
      await ui(page).messages.getByText('pinned', { exact: false }).first().waitFor({ timeout: TIMEOUT });
      // Taking a reaction back updates the chip.
      await server.expect(204, reactions, { method: 'DELETE', token: bob.token });
      await chips.getByText('👍 1', { exact: true }).waitFor({ timeout: TIMEOUT });
    } finally {
      await context.close();
    }
  });
});

/** @param {import('playwright-core').Locator} locator */
async function isFocused(locator) {
  return locator.evaluate((el) => el === document.activeElement).catch(() => false);
}

/**
 * Press Tab until `locator` has the focus (at most 40 times).
 * @param {import('playwright-core').Page} page
 * @param {import('playwright-core').Locator} locator
 */
async function tabTo(page, locator) {
  await locator.waitFor({ timeout: TIMEOUT });
  for (let i = 0; i < 40; i++) {
    if (await isFocused(locator)) return;
    await page.keyboard.press('Tab');
  }
  const focused = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200));
  assert.fail(`40 presses of Tab never reached ${locator}; the focus is on ${focused}`);
}
