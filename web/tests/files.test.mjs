// Files in the browser: uploads from the composer with progress, a file
// name that looks like markup staying text, an image attachment's thumbnail
// shown to the other person, files pasted or dropped; and two composer and Settings conveniences:
// `+:name:` reacting to the latest message, and ending every other session.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, logIn, newContext, png, recordConsole, startServer, ui, waitForMessage, PASSWORD, TEST } from './harness.mjs';

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

const XSS_NAME = '<img src=x onerror="window.__pwned=1">.txt';

/** The composer's tray of files. @param {import('playwright-core').Page} page */
const tray = (page) => page.getByRole('list', { name: 'Files to send' });

test('upload: a file attached from the composer shows its progress, then ready; its markup-like name stays text', TEST, async () => {
  const alice = await server.user('alice');
  const room = await server.room(alice, []);
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const consoleLines = recordConsole(page);
    await logIn(page, server, alice, room.name);
    const bytes = Buffer.from('hello, file\n'.repeat(20_000));
    const uploaded = page.waitForResponse((r) => r.url().includes('/api/v1/files?') && r.request().method() === 'POST');
    await page.locator('#attach-input').setInputFiles({ name: XSS_NAME, mimeType: 'text/plain', buffer: bytes });
    const item = tray(page).getByRole('listitem');
    await item.getByText(XSS_NAME, { exact: true }).waitFor();
    const res = await uploaded;
    assert.equal(res.status(), 201);
    const { file } = await res.json();
    assert.equal(file.name, XSS_NAME, 'the server keeps the name as given');
    assert.equal(file.size, bytes.length);
    await item.getByRole('status').filter({ hasText: 'ready' }).waitFor();
    const bar = item.getByRole('progressbar', { name: `Uploading ${XSS_NAME}` });
    assert.equal(await bar.evaluate((p) => /** @type {HTMLProgressElement} */ (p).value), bytes.length, 'the bar reached the end');
    assert.equal(await tray(page).locator('img').count(), 0, 'the name made no element');
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__pwned), undefined);

    // The upload is the uploader's: the browser fetches it by cookie.
    const got = await page.evaluate(async (id) => (await fetch(`/api/v1/files/${id}`)).status, file.id);
    assert.equal(got, 200);

    // Removing it empties the tray.
    await item.getByRole('button', { name: `Remove ${XSS_NAME}` }).click();
    await tray(page).waitFor({ state: 'hidden' });
    assert.deepEqual(consoleLines.filter((l) => l.startsWith('pageerror')), []);
  } finally {
    await context.close();
  }
});

test('paste and drop: files pasted into the composer or dropped on the room go out with the message', TEST, async () => {
  const alice = await server.user('alice');
  const room = await server.room(alice, []);
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, alice, room.name);
    await page.evaluate(() => {
      const pasted = new DataTransfer();
      pasted.items.add(new File(['pasted text\n'], 'pasted.txt', { type: 'text/plain' }));
      const input = /** @type {HTMLElement} */ (document.getElementById('message-input'));
      input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, cancelable: true }));
      const dropped = new DataTransfer();
      dropped.items.add(new File(['dropped text\n'], 'dropped.txt', { type: 'text/plain' }));
      const room = /** @type {HTMLElement} */ (document.getElementById('room-main'));
      room.dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }));
    });
    for (const name of ['pasted.txt', 'dropped.txt']) {
      await tray(page).getByRole('listitem').filter({ hasText: name }).getByRole('status').filter({ hasText: 'ready' }).waitFor();
    }
    await ui(page).message.fill('two files');
    await ui(page).message.press('Enter');
    // Stored (the page shows it as soon as it is typed, before the server has it).
    const stored = async () => {
      const { messages } = await server.expect(200, `/api/v1/rooms/${room.id}/messages`, { token: alice.token });
      return messages.find((/** @type {{body: string}} */ m) => m.body === 'two files');
    };
    const sent = await eventually('the message to be stored', stored);
    assert.deepEqual(sent.attachments.map((/** @type {{name: string}} */ f) => f.name), ['pasted.txt', 'dropped.txt']);
  } finally {
    await context.close();
  }
});

test('attachments: an image sent with a message shows as a thumbnail for the other person, full size on click; a file as a named link', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);
    await pa.locator('#attach-input').setInputFiles([
      { name: 'gradient.png', mimeType: 'image/png', buffer: png(320, 200, (x, y) => [(x * 255) / 320, (y * 255) / 200, 128]) },
      { name: XSS_NAME, mimeType: 'text/plain', buffer: Buffer.from('just text') },
    ]);
    await tray(pa).getByRole('status').filter({ hasText: 'ready' }).nth(1).waitFor();
    await ui(pa).message.fill('two files');
    await ui(pa).message.press('Enter');

    await waitForMessage(pb, 'two files');
    const msg = ui(pb).messages.locator(':scope > *').filter({ hasText: 'two files' });
    const thumb = msg.getByRole('img', { name: 'gradient.png' });
    await thumb.waitFor();
    // The thumbnail loaded (by cookie): it has pixels.
    const width = await thumb.evaluate(async (img) => {
      const el = /** @type {HTMLImageElement} */ (img);
      if (!el.complete) await new Promise((r) => el.addEventListener('load', r, { once: true }));
      return el.naturalWidth;
    });
    assert.ok(width > 0, 'the thumbnail image loaded');
    const link = msg.getByRole('link', { name: new RegExp(XSS_NAME.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });
    await link.waitFor();
    assert.equal(await msg.locator('img').count(), 1, 'the file name made no image');
    assert.equal(await pb.evaluate(() => /** @type {any} */ (window).__pwned), undefined);

    await thumb.click();
    const viewer = pb.getByRole('dialog', { name: 'gradient.png' });
    await viewer.getByRole('img', { name: 'gradient.png' }).waitFor();
    await pb.keyboard.press('Escape');
    await viewer.waitFor({ state: 'hidden' });
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});

test('`+:name:` as the whole message reacts to the latest message instead of sending text', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const sent = await server.send(bob, room, 'ship it?');
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, alice, room.name);
    await waitForMessage(page, 'ship it?');
    await ui(page).message.fill('+:shipit:');
    await ui(page).message.press('Enter');
    const msg = ui(page).messages.locator(':scope > *').filter({ hasText: 'ship it?' });
    await msg.getByRole('list', { name: 'Reactions' }).getByRole('button', { name: ':shipit: 1', exact: true }).waitFor();
    assert.equal(await ui(page).message.inputValue(), '', 'the composer is cleared');
    const { messages } = await server.expect(200, `/api/v1/rooms/${room.id}/messages?limit=50`, { token: alice.token });
    assert.deepEqual(
      messages.map((/** @type {{body: string}} */ m) => m.body),
      ['ship it?'],
      'no message with the text was sent',
    );
    assert.deepEqual(messages[0].reactions.map((/** @type {{emoji: string}} */ r) => r.emoji), [':shipit:']);
    assert.equal(messages[0].id, sent.id);
  } finally {
    await context.close();
  }
});

test('settings: log out of all other devices ends every session but this one', TEST, async () => {
  const alice = await server.user('alice');
  // Two more sessions besides the harness's token: three others in all.
  const logins = [];
  for (let i = 0; i < 2; i++) {
    logins.push(await server.expect(200, '/api/v1/auth/login', { method: 'POST', body: { username: alice.username, password: PASSWORD } }));
  }
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, alice);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.getByText('4 signed-in sessions').waitFor();
    await dialog.getByRole('button', { name: 'Log out of all other devices' }).click();
    await dialog.getByText('1 signed-in session').waitFor();
    await dialog.getByRole('button', { name: 'Log out of all other devices' }).waitFor({ state: 'hidden' });
    for (const token of [alice.token, ...logins.map((l) => l.token)]) {
      assert.equal((await server.call('/api/v1/me', { token })).status, 401, 'another session still works');
    }
    // This one still works.
    assert.equal(await page.evaluate(async () => (await fetch('/api/v1/me')).status), 200);
  } finally {
    await context.close();
  }
});
