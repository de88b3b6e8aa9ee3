// Search, the people directory and settings in the browser: a search result
// jumps to its room and message; the directory starts a direct
// conversation; the settings show my profile and sessions, end another
// session and log out.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, logIn, newContext, sessionCookie, startServer, ui, waitForMessage, TEST } from './harness.mjs';

/** @type {import('./harness.mjs').Server} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  // The search test fills a room faster than the default per-user send limit.
  process.env.CHATD_LIMIT_SENDS_USER = 'off';
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('search: “/” opens it, a result opens its room with the message in view', TEST, async () => {
  const alice = await server.user('alice');
  const here = await server.room(alice, [], { name: 'here' });
  const there = await server.room(alice, [], { name: 'there' });
  await server.send(alice, there, 'the quarterly zebra report is out');
  // Enough newer messages that the hit is not in the newest page.
  for (let i = 0; i < 80; i++) await server.send(alice, there, `filler ${i}`);
  await server.send(alice, here, 'nothing to see here');
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, alice, 'here');
    await waitForMessage(page, 'nothing to see here');

    await ui(page).messages.focus();
    await page.keyboard.press('/');
    const dialog = page.getByRole('dialog', { name: 'Search messages' });
    await dialog.getByRole('searchbox', { name: 'Search messages' }).fill('zebra');
    await page.keyboard.press('Enter');
    const open = dialog.getByRole('button', { name: /^Open the message from .* in #there$/ });
    await open.waitFor();
    assert.equal(await open.count(), 1);
    await open.click();

    await dialog.waitFor({ state: 'hidden' });
    await waitForMessage(page, 'the quarterly zebra report is out');
    const current = ui(page).rooms.locator('[aria-current="page"]');
    assert.equal(await current.getAttribute('aria-label'), 'there');
    // The hit has the focus and is on screen.
    const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    assert.match(focused, /quarterly zebra report/);
    await eventually('the hit to be on screen', () => ui(page).messages.getByText('the quarterly zebra report is out').isVisible());
  } finally {
    await context.close();
  }
});

test('people: the directory finds a person and starts a conversation', TEST, async () => {
  const alice = await server.user('alice');
  const zoe = await server.user('zoe', { display_name: 'Zoe Quinn' });
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, alice);
    await page.getByRole('button', { name: 'People', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'People' });
    // By display name, as the directory matches either.
    await dialog.getByRole('searchbox', { name: 'Person' }).fill('Zoe Q');
    await dialog.getByRole('button', { name: `Message ${zoe.username}` }).click();
    await dialog.waitFor({ state: 'hidden' });
    await ui(page).room(zoe.username).waitFor();
    await page.getByRole('heading', { name: new RegExp(`^${zoe.username}`) }).waitFor();
    await ui(page).message.fill('hi zoe');
    await ui(page).message.press('Enter');
    const { rooms } = await server.expect(200, '/api/v1/rooms', { token: zoe.token });
    const dm = rooms.find((/** @type {{kind: string}} */ r) => r.kind === 'direct');
    assert.ok(dm, 'zoe has no direct conversation');
    await eventually('the message to reach zoe', () => server.history(zoe, dm), (h) => h.includes('hi zoe'));
  } finally {
    await context.close();
  }
});

test('settings: profile saved, sessions listed with this one marked, another ended, log out', TEST, async () => {
  const alice = await server.user('alice', { display_name: 'Alice' });
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, alice);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });

    const name = dialog.getByRole('textbox', { name: 'Display name' });
    assert.equal(await name.inputValue(), 'Alice');
    await name.fill('Alice Liddell');
    await dialog.getByRole('textbox', { name: 'Bio' }).fill('down the rabbit hole');
    await dialog.getByRole('button', { name: 'Save profile' }).click();
    await dialog.getByText('Saved.').waitFor();
    const me = await server.expect(200, '/api/v1/me', { token: alice.token });
    assert.equal(me.user.display_name, 'Alice Liddell');
    assert.equal(me.user.bio, 'down the rabbit hole');

    // Two sessions: this browser's (marked) and the REST login's token.
    await dialog.getByText('2 signed-in sessions').waitFor();
    await dialog.getByText('(this device)').waitFor();
    const end = dialog.getByRole('button', { name: /^End session/ });
    assert.equal(await end.count(), 1, 'only the other session can be ended from here');
    await end.click();
    await dialog.getByText('1 signed-in session').waitFor();
    const gone = await server.call('/api/v1/me', { token: alice.token });
    assert.equal(gone.status, 401, 'the ended session still works');

    await dialog.getByRole('button', { name: 'Log out of this device' }).click();
    await ui(page).username.waitFor();
    assert.equal(await sessionCookie(context), undefined);
  } finally {
    await context.close();
  }
});

test('@ completion: the room’s members are offered as you type, Tab puts the name in', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob', { display_name: 'Bob Builder' });
  const room = await server.room(alice, [bob]);
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, alice, room.name);
    const input = ui(page).message;
    await input.pressSequentially('thanks @Bob');
    const list = page.getByRole('listbox', { name: 'People to mention' });
    await list.getByRole('option', { name: `Bob Builder (@${bob.username})` }).waitFor();
    await page.keyboard.press('Tab');
    await list.waitFor({ state: 'hidden' });
    assert.equal(await input.inputValue(), `thanks @${bob.username} `);
    // Enter picks too while the list is open (it does not send).
    await input.pressSequentially('and @Bo');
    await list.getByRole('option', { name: `Bob Builder (@${bob.username})` }).waitFor();
    await page.keyboard.press('Enter');
    await list.waitFor({ state: 'hidden' });
    assert.equal(await input.inputValue(), `thanks @${bob.username} and @${bob.username} `);
    // Esc closes the list without touching the text; Enter then sends.
    await input.pressSequentially('and @ro');
    await list.getByRole('option', { name: /^@room/ }).waitFor();
    await page.keyboard.press('Escape');
    await list.waitFor({ state: 'hidden' });
    await page.keyboard.press('Enter');
    await eventually('the message to be stored', () => server.history(alice, room), (h) => h.length === 1);
    assert.deepEqual(await server.history(alice, room), [`thanks @${bob.username} and @${bob.username} and @ro`]);
  } finally {
    await context.close();
  }
});

test('blocking: from the directory, listed in settings, lifted there', TEST, async () => {
  const alice = await server.user('alice');
  const mallory = await server.user('mallory');
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, alice);
    await page.getByRole('button', { name: 'People', exact: true }).click();
    const people = page.getByRole('dialog', { name: 'People' });
    await people.getByRole('searchbox', { name: 'Person' }).fill(mallory.username);
    await people.getByRole('button', { name: `Block ${mallory.username}` }).click();
    await people.getByRole('button', { name: `Unblock ${mallory.username}` }).waitFor();
    const { users } = await server.expect(200, '/api/v1/me/blocks', { token: alice.token });
    assert.deepEqual(users.map((/** @type {{username: string}} */ u) => u.username), [mallory.username]);
    const dm = await server.call('/api/v1/dms', { method: 'POST', token: mallory.token, body: { username: alice.username } });
    assert.equal(dm.status, 403, 'a blocked user still opened a conversation');
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const settings = page.getByRole('dialog', { name: 'Settings' });
    await settings.getByRole('region', { name: 'Blocked people' }).getByRole('button', { name: `Unblock ${mallory.username}` }).click();
    await settings.getByText('You have blocked nobody.').waitFor();
    await eventually('the block to be lifted', async () => (await server.expect(200, '/api/v1/me/blocks', { token: alice.token })).users.length, (n) => n === 0);
  } finally {
    await context.close();
  }
});

test('desktop notifications: turned on in Settings, shown for a mention in another room', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const here = await server.room(alice, [bob], { name: 'reading-here' });
  const there = await server.room(alice, [bob], { name: 'elsewhere' });
  const context = await newContext(browser);
  await context.grantPermissions(['notifications'], { origin: server.url });
  try {
    const page = await context.newPage();
    // A spy that records each notification the page shows (and still shows it).
    await page.addInitScript(() => {
      const Real = window.Notification;
      /** @type {string[]} */
      const shown = [];
      Object.assign(window, { shownNotifications: shown });
      window.Notification = class extends Real {
        /** @param {string} title @param {NotificationOptions} [options] */
        constructor(title, options) {
          super(title, options);
          shown.push(`${title}: ${options?.body ?? ''}`);
        }
      };
    });
    await logIn(page, server, alice, 'reading-here');
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const settings = page.getByRole('dialog', { name: 'Settings' });
    const toggle = settings.getByRole('checkbox', { name: 'Desktop notifications for mentions and direct messages' });
    await toggle.check();
    await eventually('the setting to stick', () => page.evaluate(() => localStorage.getItem('chat.notifications')), (v) => v === 'on');
    await page.keyboard.press('Escape');

    const shown = () => page.evaluate(() => /** @type {string[]} */ (/** @type {any} */ (window).shownNotifications));
    await server.send(bob, there, 'no mention, no notification');
    await server.send(bob, here, 'in the room I am reading');
    await server.send(bob, there, `@${alice.username} please review`);
    await eventually('a notification for the mention', shown, (s) => s.length > 0);
    // The barrier: a later message is on screen, so the earlier ones were handled.
    await server.send(bob, here, 'barrier');
    await waitForMessage(page, 'barrier');
    assert.deepEqual(await shown(), [`${bob.username} in #elsewhere: @${alice.username} please review`]);
  } finally {
    await context.close();
  }
});
