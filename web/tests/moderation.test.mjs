// Running a room from the browser: the Members dialog lists members with
// their roles; the owner changes a role, removes a member, bans one with a
// reason (who loses the room live) and lifts the ban; plain members see no
// controls.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, logIn, newContext, startServer, ui, TEST } from './harness.mjs';

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

/** @param {import('./harness.mjs').User} user @param {{id: number}} room */
async function roles(user, room) {
  const { members } = await server.expect(200, `/api/v1/rooms/${room.id}/members`, { token: user.token });
  return Object.fromEntries(members.map((/** @type {{user: {username: string}, role: string}} */ m) => [m.user.username, m.role]));
}

test('members: the owner changes a role, removes, bans with a reason and lifts the ban', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const carol = await server.user('carol');
  const room = await server.room(alice, [bob, carol]);
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);

    // Bob, a plain member, sees the list but no controls.
    await pb.getByRole('button', { name: 'Members', exact: true }).click();
    const bobsDialog = pb.getByRole('dialog', { name: 'Members' });
    await bobsDialog.getByText('3 members', { exact: false }).waitFor();
    assert.equal(await bobsDialog.getByRole('button', { name: /^(Remove|Ban) / }).count(), 0);
    await pb.keyboard.press('Escape');

    await pa.getByRole('button', { name: 'Members', exact: true }).click();
    const dialog = pa.getByRole('dialog', { name: 'Members' });
    await dialog.getByText('3 members', { exact: false }).waitFor();

    await dialog.getByRole('combobox', { name: `Role for ${bob.username}` }).selectOption('admin');
    await eventually('bob to be an admin', () => roles(alice, room), (r) => r[bob.username] === 'admin');
    await dialog.getByText(`@${bob.username} · admin`).waitFor();

    await dialog.getByRole('button', { name: `Remove ${carol.username}` }).click();
    await dialog.getByText('2 members', { exact: false }).waitFor();
    assert.equal((await roles(alice, room))[carol.username], undefined);

    await dialog.getByRole('button', { name: `Ban ${bob.username}` }).click();
    await dialog.getByRole('textbox', { name: `Reason for banning ${bob.username}` }).fill('posting spam links');
    await dialog.getByRole('button', { name: 'Ban', exact: true }).click();
    await dialog.getByText('1 member', { exact: false }).waitFor();
    const bans = dialog.getByRole('region', { name: 'Banned' });
    await bans.getByText('posting spam links', { exact: false }).waitFor();
    // Bob loses the room, live.
    await eventually('the room to leave bob’s list', () => ui(pb).room(room.name).count(), (n) => n === 0);
    const banned = await server.call(`/api/v1/rooms/${room.id}/join`, { method: 'POST', token: bob.token });
    assert.equal(banned.status, 403);

    await bans.getByRole('button', { name: `Lift ban on ${bob.username}` }).click();
    await bans.getByText('Nobody is banned.').waitFor();
    await server.expect(200, `/api/v1/rooms/${room.id}/join`, { method: 'POST', token: bob.token });
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});

test('room settings: the owner renames the room and sets its topic; a member leaves it', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);

    await pa.getByRole('button', { name: 'Members', exact: true }).click();
    const dialog = pa.getByRole('dialog', { name: 'Members' });
    const newName = `${room.name}-renamed`;
    await dialog.getByRole('textbox', { name: 'Room name' }).fill(newName);
    await dialog.getByRole('textbox', { name: 'Topic' }).fill('release planning');
    await dialog.getByRole('button', { name: 'Save room' }).click();
    await dialog.getByText('Saved.').waitFor();
    // Bob's header and list follow, live.
    await pb.getByRole('heading', { name: `# ${newName}` }).waitFor();
    await pb.getByText('release planning').first().waitFor();
    await ui(pb).room(newName).waitFor();

    // Bob has no room form, and leaving takes a second click.
    await pb.getByRole('button', { name: 'Members', exact: true }).click();
    const bobs = pb.getByRole('dialog', { name: 'Members' });
    await bobs.getByText('2 members', { exact: false }).waitFor();
    assert.equal(await bobs.getByRole('textbox', { name: 'Room name' }).count(), 0);
    await bobs.getByRole('button', { name: 'Leave room' }).click();
    await bobs.getByRole('button', { name: 'Leave for good' }).click();
    await bobs.waitFor({ state: 'hidden' });
    await eventually('the room to leave bob’s list', () => ui(pb).room(newName).count(), (n) => n === 0);
    assert.equal((await roles(alice, room))[bob.username], undefined);
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});

test('reporting a message to the server’s admins from its menu', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const msg = await server.send(alice, room, 'buy cheap watches at example.com');
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, bob, room.name);
    const entry = ui(page).messages.locator(':scope > *').filter({ hasText: 'buy cheap watches' });
    await entry.getByRole('button', { name: 'More actions' }).click();
    await entry.getByRole('button', { name: 'Report…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Report message' });
    // A reason is required.
    await dialog.getByRole('button', { name: 'Send report' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Say what is wrong' }).waitFor();
    await dialog.getByRole('textbox', { name: 'Why are you reporting it?' }).fill('spam');
    await dialog.getByRole('button', { name: 'Send report' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('alert').filter({ hasText: 'Reported' }).waitFor();
    // The report exists: the same report again is a conflict.
    const again = await server.call('/api/v1/reports', { method: 'POST', token: bob.token, body: { message_id: msg.id, reason: 'spam' } });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    // My own messages offer no report.
    await server.send(bob, room, 'my own words');
    const mine = ui(page).messages.locator(':scope > *').filter({ hasText: 'my own words' });
    await mine.getByRole('button', { name: 'More actions' }).click();
    await mine.getByRole('button', { name: 'Edit' }).waitFor();
    assert.equal(await mine.getByRole('button', { name: 'Report…' }).count(), 0);
  } finally {
    await context.close();
  }
});
