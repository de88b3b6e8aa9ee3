// Avatars in the browser: I choose one in Settings and the other person
// sees it beside my next message (an initial before); an owner gives the
// room one in its Members dialog and a member sees it in the room's header.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import { launchBrowser, logIn, newContext, recordConsole, startServer, ui, waitForMessage, TEST } from './harness.mjs';

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

/** A w×h RGB PNG of one colour, for the server to decode and thumbnail. @param {number} w @param {number} h */
function png(w, h) {
  /** @param {string} type @param {Buffer} data */
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, 0x5a)]);
  const rows = Buffer.concat(Array.from({ length: h }, () => row));
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Waits until an image has loaded and returns its natural width (0: broken).
 * @param {import('playwright-core').Locator} img
 */
const loadedWidth = (img) =>
  img.evaluate(async (el) => {
    const image = /** @type {HTMLImageElement} */ (el);
    if (!image.complete) {
      await new Promise((r) => {
        image.addEventListener('load', r, { once: true });
        image.addEventListener('error', r, { once: true });
      });
    }
    return image.naturalWidth;
  });

test('my avatar: chosen in Settings, the other person sees it beside my next message', TEST, async () => {
  const alice = await server.user('alice', { display_name: 'Alice' });
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  await server.send(alice, room, 'before the picture');
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    const consoleLines = recordConsole(pb);
    await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);

    // Without one, an initial stands in.
    await waitForMessage(pb, 'before the picture');
    const first = ui(pb).messages.locator(':scope > *').filter({ hasText: 'before the picture' });
    assert.equal(await first.locator('[data-initial]').getAttribute('data-initial'), 'A');

    await pa.getByRole('button', { name: 'Settings', exact: true }).click();
    const settings = pa.getByRole('dialog', { name: 'Settings' });
    const chosen = pa.waitForResponse((r) => r.url().endsWith('/api/v1/me/avatar') && r.request().method() === 'PUT');
    await settings.getByLabel('Avatar image').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png(120, 90) });
    const { user } = await (await chosen).json();
    assert.ok(user.avatar?.id, 'the avatar is set');
    await settings.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await settings.getByRole('button', { name: 'Remove avatar' }).waitFor();
    await settings.getByRole('button', { name: 'Close' }).click();
    // Bob speaks in between, so my next message shows its author line.
    await server.send(bob, room, 'oh, hi');
    await waitForMessage(pa, 'oh, hi');

    await ui(pa).message.fill('now with a face');
    await ui(pa).message.press('Enter');
    await waitForMessage(pb, 'now with a face');
    const msg = ui(pb).messages.locator(':scope > *').filter({ hasText: 'now with a face' });
    const picture = msg.locator(`img[src="/api/v1/files/${user.avatar.id}/thumbnail"]`);
    await picture.waitFor();
    assert.ok((await loadedWidth(picture)) > 0, 'the thumbnail loaded, by cookie');
    const src = /** @type {string} */ (await picture.getAttribute('src'));
    assert.ok(!/token|session/i.test(src), `no credential in the URL: ${src}`);
    assert.deepEqual(consoleLines.filter((l) => l.startsWith('pageerror')), []);
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});

test('room avatar: the owner sets it in Members; a member sees it in the room header', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);

    // A plain member has no room avatar control.
    await pb.getByRole('button', { name: 'Members', exact: true }).click();
    const theirs = pb.getByRole('dialog', { name: 'Members' });
    await theirs.getByText(/2 members/).waitFor();
    assert.equal(await theirs.getByLabel('Room avatar image').isVisible(), false);
    await theirs.getByRole('button', { name: 'Close' }).click();

    await pa.getByRole('button', { name: 'Members', exact: true }).click();
    const members = pa.getByRole('dialog', { name: 'Members' });
    await members.getByLabel('Room avatar image').setInputFiles({ name: 'room.png', mimeType: 'image/png', buffer: png(64, 64) });
    await members.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await members.getByRole('button', { name: 'Remove room avatar' }).waitFor();

    // Live, through room.updated.
    const header = pb.locator('header', { has: pb.getByRole('heading', { name: `# ${room.name}` }) });
    const picture = header.locator('img[src^="/api/v1/files/"]');
    await picture.waitFor();
    assert.ok((await loadedWidth(picture)) > 0, 'the room avatar loaded');

    await members.getByRole('button', { name: 'Remove room avatar' }).click();
    await members.getByRole('button', { name: 'Remove room avatar' }).waitFor({ state: 'hidden' });
    await picture.waitFor({ state: 'hidden' });
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});
