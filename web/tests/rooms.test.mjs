// A newcomer's first minutes: registering, creating a private room and
// adding someone to it, browsing and joining a public room, the keyboard
// help, changing the password; and the phone layout's room drawer.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { PASSWORD, eventually, launchBrowser, logIn, newContext, startServer, ui, TEST } from './harness.mjs';

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

/** @param {string} token @returns {Promise<string[]>} the names of my rooms */
async function roomNames(token) {
  const { rooms } = await server.expect(200, '/api/v1/rooms', { token });
  return rooms.map((/** @type {{name: string}} */ r) => r.name);
}

test('a newcomer registers, creates a private room, adds a person, joins a public room, changes the password', TEST, async () => {
  const bob = await server.user('bob');
  const carol = await server.user('carol');
  const square = await server.room(carol, [], { name: `square-${randomBytes(3).toString('hex')}` });
  const username = `dana${randomBytes(3).toString('hex')}`;
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Register' }).click();
    await ui(page).username.fill(username);
    await ui(page).password.fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await ui(page).rooms.waitFor();
    // The first screen leaves the styles of dialogs and panels (later.css)
    // to the first module that shows one.
    const fetched = () => page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
    assert.ok(!(await fetched()).some((p) => p.endsWith('/later.css')), (await fetched()).join(' '));

    // The first dialog is styled the moment it opens, however slowly
    // later.css comes: its radius is read as `open` is set.
    await page.route('**/later.css', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      await route.continue();
    });
    await page.evaluate(() => {
      const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('create-dialog'));
      const seen = () => {
        if (dialog.open) dialog.dataset.radiusWhenOpened ??= getComputedStyle(dialog).borderTopLeftRadius;
      };
      new MutationObserver(seen).observe(dialog, { attributes: true, attributeFilter: ['open'] });
    });

    // A private room of her own, then bob added from the Members dialog.
    const name = `plans-${randomBytes(3).toString('hex')}`;
    await page.getByRole('button', { name: 'New room' }).click();
    const create = page.getByRole('dialog', { name: 'New room' });
    await create.waitFor();
    assert.equal(await create.evaluate((d) => /** @type {HTMLElement} */ (d).dataset.radiusWhenOpened), '12px');
    await create.getByRole('textbox', { name: 'Name' }).fill(name);
    await create.getByRole('checkbox', { name: /^Private/ }).check();
    await create.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('heading', { name: `# ${name}` }).waitFor();
    await page.getByRole('button', { name: 'Members', exact: true }).click();
    const members = page.getByRole('dialog', { name: 'Members' });
    await members.getByText('1 member', { exact: false }).waitFor();
    const add = members.getByRole('textbox', { name: 'Add a person' });
    await add.fill('nobody-by-that-name');
    await members.getByRole('button', { name: 'Add', exact: true }).click();
    await eventually('the refusal', () => members.getByRole('alert').textContent(), (t) => (t ?? '').length > 0);
    await add.fill(bob.username);
    await members.getByRole('button', { name: 'Add', exact: true }).click();
    await members.getByText('2 members', { exact: false }).waitFor();
    assert.ok((await roomNames(bob.token)).includes(name), 'bob is in the room');
    await page.keyboard.press('Escape');
    await members.waitFor({ state: 'hidden' });

    // A public room from the browser.
    await page.getByRole('button', { name: 'Browse rooms' }).click();
    const browse = page.getByRole('dialog', { name: 'Public rooms' });
    await browse.getByRole('button', { name: `Join ${square.name}` }).click();
    await page.getByRole('heading', { name: `# ${square.name}` }).waitFor();
    await ui(page).room(square.name).waitFor();

    // The keyboard help: ? outside a text field, Esc closes it.
    await ui(page).messages.focus();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    assert.equal(await help.locator('dl').evaluate((d) => getComputedStyle(d).display), 'grid');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });

    // A new password: the old one stops working.
    await page.getByRole('button', { name: 'Settings' }).click();
    const settings = page.getByRole('dialog', { name: 'Settings' });
    await settings.getByLabel('Current password').fill(PASSWORD);
    await settings.getByLabel('New password').fill('a much longer passphrase');
    await settings.getByRole('button', { name: 'Change password' }).click();
    await settings.getByText('Password changed.', { exact: false }).waitFor();
    const old = await server.call('/api/v1/auth/login', { method: 'POST', body: { username, password: PASSWORD } });
    assert.equal(old.status, 401);
    await server.expect(200, '/api/v1/auth/login', { method: 'POST', body: { username, password: 'a much longer passphrase' } });
  } finally {
    await context.close();
  }
});

test('phone width: the rooms live in a drawer that Esc closes', TEST, async () => {
  const alice = await server.user('alice');
  const room = await server.room(alice, []);
  const context = await newContext(browser, { viewport: { width: 390, height: 844 } });
  try {
    const page = await context.newPage();
    await logIn(page, server, alice, room.name);
    // The drawer slides away once a room is open.
    await ui(page).rooms.waitFor({ state: 'hidden' });
    const toggle = page.getByRole('button', { name: 'Show rooms' });
    await toggle.click();
    await ui(page).rooms.waitFor();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await page.keyboard.press('Escape');
    await ui(page).rooms.waitFor({ state: 'hidden' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  } finally {
    await context.close();
  }
});
