// What the web client learns from the server about itself (GET
// /api/v1/server), on a chatd closed to registration and with small limits:
// no Register button is offered, and a message or a file over the server's
// limits is refused in the page, before anything is sent.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, logIn, newContext, recordConsole, startServer, ui, waitForMessage, TEST } from './harness.mjs';

const MAX_CHARS = 20;
const MAX_UPLOAD = 2000;

/** @type {import('./harness.mjs').Server} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  const flags = ['--registration', 'closed', '--max-message-chars', String(MAX_CHARS), '--max-upload-bytes', String(MAX_UPLOAD)];
  [server, browser] = await Promise.all([startServer(flags), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('closed to registration: the login screen offers no Register button, and an account the admin made logs in', TEST, async () => {
  const alice = await server.provisioned('alice');
  const room = await server.room(alice, []);
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const consoleLines = recordConsole(page);
    await page.goto(server.url);
    await ui(page).username.waitFor();
    // The form shows once it knows the server's mode, without the button.
    assert.equal(await page.getByRole('button', { name: 'Register' }).count(), 0, 'no Register button');
    assert.equal(await page.getByText('New here?').isVisible(), false);
    assert.ok(await page.getByText('No account? Ask the admin of this server for one.').isVisible());
    await logIn(page, server, alice, room.name);
    await ui(page).message.fill('hi from alice');
    await ui(page).message.press('Enter');
    await waitForMessage(page, 'hi from alice');
    assert.deepEqual(consoleLines.filter((l) => l.startsWith('pageerror')), []);
  } finally {
    await context.close();
  }
});

test("the server's limits: a message too long and a file too large are refused in the page, the text kept", TEST, async () => {
  const bob = await server.provisioned('bob');
  const room = await server.room(bob, []);
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, bob, room.name);
    /** @type {string[]} */
    const uploads = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/api/v1/files')) uploads.push(r.url());
    });

    const tooLong = 'x'.repeat(MAX_CHARS + 1);
    await ui(page).message.fill(tooLong);
    await ui(page).message.press('Enter');
    await page.getByRole('alert').filter({ hasText: `A message can have at most ${MAX_CHARS} characters.` }).waitFor();
    assert.equal(await ui(page).message.inputValue(), tooLong, 'the text stays in the composer to shorten');

    await page.locator('#attach-input').setInputFiles({ name: 'big.txt', mimeType: 'text/plain', buffer: Buffer.alloc(MAX_UPLOAD + 1000, 'a') });
    await page.getByRole('alert').filter({ hasText: 'big.txt is 2.9 KB; this server takes files up to 2.0 KB.' }).waitFor();
    assert.deepEqual(uploads, [], 'the file was not sent');
    assert.deepEqual(await server.history(bob, room), [], 'nor was the message');

    // At the limits, both go.
    const tray = page.getByRole('list', { name: 'Files to send' });
    await page.locator('#attach-input').setInputFiles({ name: 'fits.txt', mimeType: 'text/plain', buffer: Buffer.alloc(MAX_UPLOAD, 'a') });
    await tray.getByRole('status').filter({ hasText: 'ready' }).waitFor();
    await ui(page).message.fill('y'.repeat(MAX_CHARS));
    await ui(page).message.press('Enter');
    await waitForMessage(page, 'y'.repeat(MAX_CHARS));
    await ui(page).messages.getByText('fits.txt').waitFor();
    assert.deepEqual(await server.history(bob, room), ['y'.repeat(MAX_CHARS)]);
  } finally {
    await context.close();
  }
});
