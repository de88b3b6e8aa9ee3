// Reactions, pins and edit history in the browser: added and taken back by
// clicking, live for the other person; the pinned-messages panel; the
// "edited" mark opening the earlier texts.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { entry, eventually, launchBrowser, logIn, newContext, startServer, ui, waitForMessage, TEST } from './harness.mjs';

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

/** The reaction toggle named like `👍 2` inside an entry. @param {import('playwright-core').Locator} msg @param {string} name */
const chip = (msg, name) => msg.getByRole('list', { name: 'Reactions' }).getByRole('button', { name, exact: true });

/** The reactions of a message over REST: `emoji count` strings. @param {import('./harness.mjs').User} user @param {{id: number}} room @param {number} id */
async function restReactions(user, room, id) {
  const { messages } = await server.expect(200, `/api/v1/rooms/${room.id}/messages?limit=200`, { token: user.token });
  const msg = messages.find((/** @type {{id: number}} */ m) => m.id === id);
  return (msg?.reactions ?? []).map((/** @type {{emoji: string, count: number}} */ r) => `${r.emoji} ${r.count}`);
}

test('reactions: picked, toggled by clicking, mine pressed, live for the other person', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const message = await server.send(bob, room, 'react to this one');
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);
    await Promise.all([waitForMessage(pa, 'react to this one'), waitForMessage(pb, 'react to this one')]);

    // Alice picks 👍 from the quick set.
    await entry(pa, 'react to this one').getByRole('button', { name: 'Add reaction' }).click();
    const picker = pa.getByRole('dialog', { name: 'Add a reaction' });
    await picker.getByRole('button', { name: '👍', exact: true }).click();
    await picker.waitFor({ state: 'hidden' });
    await chip(entry(pa, 'react to this one'), '👍 1').waitFor();
    assert.equal(await chip(entry(pa, 'react to this one'), '👍 1').getAttribute('aria-pressed'), 'true', 'my reaction is pressed');

    // Bob sees it live, not pressed for him; clicking it adds his.
    const bobs = chip(entry(pb, 'react to this one'), '👍 1');
    await bobs.waitFor();
    assert.equal(await bobs.getAttribute('aria-pressed'), 'false');
    await bobs.click();
    await chip(entry(pb, 'react to this one'), '👍 2').waitFor();
    await chip(entry(pa, 'react to this one'), '👍 2').waitFor();
    assert.deepEqual(await restReactions(alice, room, message.id), ['👍 2']);

    // Alice clicks hers again: taken back, for both.
    await chip(entry(pa, 'react to this one'), '👍 2').click();
    await chip(entry(pb, 'react to this one'), '👍 1').waitFor();
    assert.equal(await chip(entry(pb, 'react to this one'), '👍 1').getAttribute('aria-pressed'), 'true', 'bob’s own stays pressed');

    // Free entry: a :name:, and a refusal shown in the picker for nonsense.
    await entry(pa, 'react to this one').getByRole('button', { name: 'Add reaction' }).click();
    await picker.getByRole('textbox', { name: 'Emoji or :name:' }).fill('not an emoji');
    await picker.getByRole('button', { name: 'React', exact: true }).click();
    await picker.getByRole('alert').filter({ hasText: 'refused' }).waitFor();
    await picker.getByRole('textbox', { name: 'Emoji or :name:' }).fill(':shipit:');
    await picker.getByRole('textbox', { name: 'Emoji or :name:' }).press('Enter');
    await chip(entry(pb, 'react to this one'), ':shipit: 1').waitFor();
    assert.deepEqual(await restReactions(bob, room, message.id), ['👍 1', ':shipit: 1']);
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});

test('pins: pinned from the actions menu, listed in the room’s panel, live', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  await server.send(alice, room, 'the deploy checklist lives here');
  await server.send(bob, room, 'something else');
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);
    await waitForMessage(pb, 'something else');

    // Bob opens the (empty) pinned-messages panel and keeps it open.
    await pb.getByRole('button', { name: 'Pinned messages' }).click();
    const panel = pb.getByRole('dialog', { name: 'Pinned messages' });
    await panel.getByText('Nothing is pinned').waitFor();

    // Alice pins from the message's menu; Bob's panel fills in live.
    await waitForMessage(pa, 'the deploy checklist lives here');
    await entry(pa, 'the deploy checklist').getByRole('button', { name: 'More actions' }).click();
    await entry(pa, 'the deploy checklist').getByRole('button', { name: 'Pin', exact: true }).click();
    await panel.getByText('the deploy checklist lives here').waitFor();
    await entry(pa, 'the deploy checklist').getByText('📌 pinned').waitFor();

    // Jump closes the panel and shows the message; the mark is there for Bob too.
    await panel.getByRole('button', { name: /^Jump to the message/ }).click();
    await panel.waitFor({ state: 'hidden' });
    await entry(pb, 'the deploy checklist').getByText('📌 pinned').waitFor();

    // Unpinned from Alice's menu: the mark goes, live.
    await entry(pa, 'the deploy checklist').getByRole('button', { name: 'More actions' }).click();
    await entry(pa, 'the deploy checklist').getByRole('button', { name: 'Unpin', exact: true }).click();
    await eventually('the pin mark to go for bob', () => entry(pb, 'the deploy checklist').getByText('📌 pinned').count(), (n) => n === 0);
    const { messages } = await server.expect(200, `/api/v1/rooms/${room.id}/pins`, { token: bob.token });
    assert.deepEqual(messages, []);
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});

test('edit history: the “edited” mark opens the earlier texts, oldest first', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const msg = await server.send(alice, room, 'first draft');
  for (const body of ['second draft', 'final text']) {
    await server.expect(200, `/api/v1/rooms/${room.id}/messages/${msg.id}`, { method: 'PATCH', token: alice.token, body: { body } });
  }
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, bob, room.name);
    await waitForMessage(page, 'final text');
    await entry(page, 'final text').getByRole('button', { name: '(edited)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit history' });
    const items = dialog.getByRole('listitem');
    await eventually('three texts listed', () => items.count(), (n) => n === 3);
    const texts = await items.allInnerTexts();
    assert.match(texts[0] ?? '', /first draft/);
    assert.match(texts[1] ?? '', /second draft/);
    assert.match(texts[2] ?? '', /final text/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  } finally {
    await context.close();
  }
});

test('keyboard only: react from the picker and pin from the menu', TEST, async () => {
  const alice = await server.user('alice');
  const room = await server.room(alice, []);
  await server.send(alice, room, 'done with the keyboard');
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, alice, room.name);
    await waitForMessage(page, 'done with the keyboard');
    const msg = entry(page, 'done with the keyboard');
    await ui(page).messages.focus();

    await tabTo(page, msg.getByRole('button', { name: 'Add reaction' }));
    await page.keyboard.press('Enter');
    const picker = page.getByRole('dialog', { name: 'Add a reaction' });
    await picker.waitFor();
    // The quick set has the focus: Enter picks its first emoji.
    await page.keyboard.press('Enter');
    await picker.waitFor({ state: 'hidden' });
    await chip(msg, '👍 1').waitFor();

    await tabTo(page, msg.getByRole('button', { name: 'More actions' }));
    await page.keyboard.press('Enter');
    await tabTo(page, msg.getByRole('button', { name: 'Pin', exact: true }));
    await page.keyboard.press('Enter');
    await msg.getByText('📌 pinned').waitFor();
    const { messages } = await server.expect(200, `/api/v1/rooms/${room.id}/pins`, { token: alice.token });
    assert.deepEqual(messages.map((/** @type {{body: string}} */ m) => m.body), ['done with the keyboard']);
  } finally {
    await context.close();
  }
});

/**
 * Press Tab until `locator` has the focus (at most 30 times).
 * @param {import('playwright-core').Page} page @param {import('playwright-core').Locator} locator
 */
async function tabTo(page, locator) {
  await locator.waitFor();
  for (let i = 0; i < 30; i++) {
    if (await locator.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`30 presses of Tab never reached ${locator}`);
}
