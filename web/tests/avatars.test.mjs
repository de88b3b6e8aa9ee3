// Avatars in the browser: I choose one in Settings and the other person
// sees it beside my next message (an initial before); an owner gives the
// room one in its Members dialog and a member sees it in the room list and
// the room's header (the room's initial before and after); a direct
// conversation shows the other person's in the list.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, logIn, newContext, png, recordConsole, startServer, ui, uploadPng, waitForMessage, TEST } from './harness.mjs';

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

test('room avatar: the owner sets it in Members; a member sees it in the room list and the header', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);
    const listed = ui(pb).rooms.getByRole('button', { name: room.name, exact: true });
    const header = pb.locator('header', { has: pb.getByRole('heading', { name: `# ${room.name}` }) });
    // Without one, the room's initial, beside its name and atop the room.
    const initial = room.name[0].toUpperCase();
    for (const where of [listed, header]) assert.equal(await where.locator('[data-initial]').getAttribute('data-initial'), initial);

    // A plain member has no room avatar control.
    await pb.getByRole('button', { name: 'Members', exact: true }).click();
    const theirs = pb.getByRole('dialog', { name: 'Members' });
    await theirs.getByText(/2 members/).waitFor();
    assert.equal(await theirs.getByLabel('Room avatar image').isVisible(), false);
    await theirs.getByRole('button', { name: 'Close' }).click();

    await pa.getByRole('button', { name: 'Members', exact: true }).click();
    const members = pa.getByRole('dialog', { name: 'Members' });
    const chosen = pa.waitForResponse((r) => r.url().endsWith(`/api/v1/rooms/${room.id}/avatar`) && r.request().method() === 'PUT');
    await members.getByLabel('Room avatar image').setInputFiles({ name: 'room.png', mimeType: 'image/png', buffer: png(64, 64) });
    const id = (await (await chosen).json()).room.avatar?.id;
    assert.ok(id, 'the room has an avatar');
    await members.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await members.getByRole('button', { name: 'Remove room avatar' }).waitFor();

    // Live, through room.updated: in the list and the header, loaded by cookie.
    for (const where of [listed, header]) {
      const picture = where.locator(`img[src="/api/v1/files/${id}/thumbnail"]`);
      await picture.waitFor();
      assert.ok((await loadedWidth(picture)) > 0, 'the room avatar loaded');
      assert.equal(await where.locator('[data-initial]').count(), 0);
    }
    // The list's picture adds nothing to the room's accessible name.
    assert.equal(await ui(pb).rooms.getByRole('button', { name: room.name, exact: true }).count(), 1);

    await members.getByRole('button', { name: 'Remove room avatar' }).click();
    await members.getByRole('button', { name: 'Remove room avatar' }).waitFor({ state: 'hidden' });
    for (const where of [listed, header]) {
      await where.locator('img[src^="/api/v1/files/"]').waitFor({ state: 'detached' });
      assert.equal(await where.locator('[data-initial]').getAttribute('data-initial'), initial);
    }
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});

test("direct conversation: the list shows the other person's avatar, with their presence", TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const face = await uploadPng(server, alice, 'alice.png', png(48, 48, (x, y) => [40 + 4 * x, 90, 200 - 3 * y]));
  await server.expect(200, '/api/v1/me/avatar', { method: 'PUT', token: alice.token, body: { file_id: face.id } });
  await server.expect(201, '/api/v1/dms', { method: 'POST', token: bob.token, body: { username: alice.username } });
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    await logIn(pb, server, bob);
    const dm = ui(pb).room(alice.username);
    const picture = dm.locator(`img[src="/api/v1/files/${face.id}/thumbnail"]`);
    await picture.waitFor();
    assert.ok((await loadedWidth(picture)) > 0, "alice's avatar loaded");
    // The presence is the button's description, the picture's dot its look.
    const presence = () => dm.evaluate((b) => document.getElementById(b.getAttribute('aria-describedby') ?? '')?.textContent);
    assert.equal(await presence(), 'offline');
    await logIn(pa, server, alice);
    await eventually('alice online in the list', presence, (d) => d === 'online');
    assert.equal(await dm.locator('img').count(), 1, 'one picture, still hers');
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});
