// The outbox: messages typed while chatd is down are sent once, in order,
// when the page reconnects. chatd is killed (SIGKILL, like a crash) and
// started again on the same port and database.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { entry, eventually, launchBrowser, logIn, messageTexts, occurrences, openRoom, recordSockets, startServer, ui, waitForMessage, TEST, newContext } from './harness.mjs';

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

test('messages typed while offline are sent once, in order, after reconnecting', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    const socketsA = recordSockets(pa);
    const socketsB = recordSockets(pb);
    await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);
    await server.send(bob, room, 'before the outage');
    await Promise.all([waitForMessage(pa, 'before the outage'), waitForMessage(pb, 'before the outage')]);
    await eventually('both pages to hold an open WebSocket', () => socketsA.open() && socketsB.open());

    await server.kill();
    await eventually('both pages to see their WebSocket close', () => !socketsA.open() && !socketsB.open());

    // Alice types two messages while nothing answers.
    const first = 'typed offline, first';
    const second = 'typed offline, second';
    await ui(pa).message.fill(first);
    await ui(pa).message.press('Enter');
    await ui(pa).message.fill(second);
    await ui(pa).message.press('Enter');

    await server.start();

    // Bob, reconnected too, sees both, in order.
    await waitForMessage(pb, second);
    // A barrier: a message sent after the outbox drained reaches Bob after
    // anything the outbox might still (wrongly) send a second time.
    await eventually('the server to store both', () => server.history(bob, room), (h) => h.includes(first) && h.includes(second));
    await server.send(bob, room, 'after the outage');
    await Promise.all([waitForMessage(pa, 'after the outage'), waitForMessage(pb, 'after the outage')]);

    for (const [who, page] of /** @type {const} */ ([['alice', pa], ['bob', pb]])) {
      const texts = await messageTexts(page);
      assert.equal(occurrences(texts, first), 1, `${who}'s log: ${texts.join(' | ')}`);
      assert.equal(occurrences(texts, second), 1, `${who}'s log: ${texts.join(' | ')}`);
      const order = ['before the outage', first, second, 'after the outage'].map((t) => texts.findIndex((x) => x.includes(t)));
      assert.deepEqual([...order].sort((a, b) => a - b), order, `${who}'s log is out of order: ${texts.join(' | ')}`);
    }
    assert.deepEqual(await server.history(bob, room), ['before the outage', first, second, 'after the outage']);
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});

test('a thread reply typed while offline is sent once after reconnecting', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const root = await server.send(bob, room, 'root of the offline thread');
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    const socketsA = recordSockets(pa);
    await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);
    for (const page of [pa, pb]) {
      await waitForMessage(page, 'root of the offline thread');
      const entry = ui(page).messages.locator(':scope > *').filter({ hasText: 'root of the offline thread' });
      await entry.getByRole('button', { name: 'More actions' }).click();
      await entry.getByRole('button', { name: 'Reply in thread' }).click();
      await page.getByRole('log', { name: 'Thread replies' }).getByText('No replies yet.').waitFor();
    }
    await eventually('alice’s WebSocket to open', () => socketsA.open());

    await server.kill();
    await eventually('alice’s WebSocket to close', () => !socketsA.open());
    const box = pa.getByRole('textbox', { name: 'Reply in thread' });
    await box.fill('replied while offline');
    await box.press('Enter');
    const replies = (/** @type {import('playwright-core').Page} */ page) => page.getByRole('log', { name: 'Thread replies' });
    await replies(pa).getByText('Waiting for connection…').waitFor();

    await server.start();
    await replies(pb).getByText('replied while offline').waitFor();
    await eventually('the pending mark to go', () => replies(pa).getByText('Waiting for connection…').count(), (n) => n === 0);
    const { messages } = await server.expect(200, `/api/v1/rooms/${room.id}/threads/${root.id}/messages`, { token: bob.token });
    assert.deepEqual(messages.map((/** @type {{body: string}} */ m) => m.body), ['replied while offline']);
    for (const page of [pa, pb]) {
      const texts = await replies(page).evaluate((log) => Array.from(log.children, (c) => /** @type {HTMLElement} */ (c).innerText));
      assert.equal(occurrences(texts, 'replied while offline'), 1, texts.join(' | '));
    }
    assert.equal(occurrences(await messageTexts(pa), 'replied while offline'), 0, 'the reply leaked into the timeline');
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});

/** This browser's saved outbox entries. @param {import('playwright-core').Page} page */
const savedOutbox = (page) =>
  page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('chat.outbox.')).map((k) => localStorage.getItem(k)));

test('messages typed offline survive closing the tab: the next page sends them once, in order; a day-old one comes back failed; logging out, or a session ended meanwhile, drops them', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const pb = await cb.newPage();
    await logIn(pb, server, bob, room.name);
    // Alice's page gets no gateway (nothing answers its WebSocket), as when
    // the network drops; the page itself is loaded.
    const offline = await ca.newPage();
    await offline.routeWebSocket(/\/api\/v1\/ws$/, () => {});
    await logIn(offline, server, alice, room.name);
    for (const text of ['kept across tabs, first', 'kept across tabs, second']) {
      await ui(offline).message.fill(text);
      await ui(offline).message.press('Enter');
    }
    await eventually('both to be saved', () => savedOutbox(offline), (s) => s.join().includes('second'));
    await offline.close();
    assert.deepEqual(await server.history(bob, room), [], 'nothing went out from the offline page');

    // A new tab (the session cookie is the context's) sends them.
    const online = await ca.newPage();
    await online.goto(server.url);
    await ui(online).message.waitFor();
    await waitForMessage(pb, 'kept across tabs, second');
    await eventually('the saved entries to go once acknowledged', () => savedOutbox(online), (s) => s.length === 0);
    await server.send(bob, room, 'after them');
    await waitForMessage(online, 'after them');
    assert.deepEqual(await server.history(bob, room), ['kept across tabs, first', 'kept across tabs, second', 'after them']);
    const texts = await messageTexts(online);
    assert.equal(occurrences(texts, 'kept across tabs, first'), 1, texts.join(' | '));

    // Logging out takes unsent messages with it: nothing is sent at the next login.
    await online.routeWebSocket(/\/api\/v1\/ws$/, () => {});
    await online.reload();
    await ui(online).message.waitFor();
    await ui(online).message.fill('never sent');
    await ui(online).message.press('Enter');
    await eventually('it to be saved', () => savedOutbox(online), (s) => s.join().includes('never sent'));
    await online.getByRole('button', { name: 'Log out' }).click();
    await ui(online).username.waitFor();
    assert.deepEqual(await savedOutbox(online), []);
    await online.close();
    const again = await ca.newPage();
    await logIn(again, server, alice, room.name);
    await server.send(bob, room, 'the last one');
    await waitForMessage(again, 'the last one');
    assert.deepEqual(await server.history(bob, room), ['kept across tabs, first', 'kept across tabs, second', 'after them', 'the last one']);

    // A message a closed page kept for over a day comes back failed, to send
    // or discard, instead of going out unseen.
    const leftOver = (/** @type {string} */ body, /** @type {number} */ ageMs) => ({
      at: Date.now() - ageMs,
      gone: true,
      items: [{ client_id: `old-${ageMs}`, room_id: room.id, body, reply_to: null, thread_root: null, attachments: [], status: 'pending', created_at: new Date(Date.now() - ageMs).toISOString() }],
    });
    await again.evaluate(([key, entry]) => localStorage.setItem(key, JSON.stringify(entry)), [`chat.outbox.${alice.id}.closed-page`, leftOver('from two days ago', 2 * 86_400_000)]);
    await again.reload();
    const old = entry(again, 'from two days ago');
    await old.getByText('Not sent: kept unsent for over a day').waitFor();
    await old.getByRole('button', { name: 'Discard' }).click();
    await eventually('it to go', () => old.count(), (n) => n === 0);
    assert.deepEqual(await savedOutbox(again), []);

    // A browser whose session ended while no page was open forgets what its
    // pages left unsent, as a logout does.
    await again.evaluate(([key, entry]) => localStorage.setItem(key, JSON.stringify(entry)), [`chat.outbox.${alice.id}.another`, leftOver('left behind', 60_000)]);
    await again.close();
    await ca.clearCookies();
    const loggedOut = await ca.newPage();
    await loggedOut.goto(server.url);
    await ui(loggedOut).username.waitFor();
    await eventually('the left-behind message to be dropped', () => savedOutbox(loggedOut), (s) => s.length === 0);
    assert.equal((await server.history(bob, room)).length, 4);
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});

/** This browser's kept drafts: `[key, text]` pairs. @param {import('playwright-core').Page} page */
const keptDrafts = (page) =>
  page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('chat.draft.')).sort().map((k) => [k, localStorage.getItem(k)]));

test('drafts survive a reload, each in its room; editing a message leaves the draft be; sending or logging out removes it', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const first = await server.room(alice, []);
  const second = await server.room(alice, [bob]);
  const edited = await server.send(alice, first, 'mine to edit');
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, alice, first.name);
    await waitForMessage(page, 'mine to edit');
    await ui(page).message.fill('half a thought');
    await openRoom(page, second.name);
    await ui(page).message.fill('line one\nline two');
    const both = [
      [`chat.draft.${alice.id}.${first.id}`, 'half a thought'],
      [`chat.draft.${alice.id}.${second.id}`, 'line one\nline two'],
    ].sort();
    await eventually('both drafts to be kept', () => keptDrafts(page), (d) => JSON.stringify(d) === JSON.stringify(both));

    // The page opens the room open last, with its draft; the other room has its own.
    await page.reload();
    await eventually('the second room’s draft', () => ui(page).message.inputValue(), (v) => v === 'line one\nline two');
    await openRoom(page, first.name);
    assert.equal(await ui(page).message.inputValue(), 'half a thought');

    // An edit takes the composer for a while; the draft comes back after it.
    const mine = entry(page, 'mine to edit');
    await mine.getByRole('button', { name: 'More actions' }).click();
    await mine.getByRole('button', { name: 'Edit' }).click();
    await eventually('the message in the composer', () => ui(page).message.inputValue(), (v) => v === 'mine to edit');
    await ui(page).message.fill('mine, edited');
    await ui(page).message.press('Enter');
    await waitForMessage(page, 'mine, edited');
    await eventually('the draft back', () => ui(page).message.inputValue(), (v) => v === 'half a thought');
    assert.deepEqual(await keptDrafts(page), both, 'the edit was not kept as a draft');

    // So does a message deleted while I edit it.
    const again = entry(page, 'mine, edited');
    await again.getByRole('button', { name: 'More actions' }).click();
    await again.getByRole('button', { name: 'Edit', exact: true }).click();
    await eventually('the message in the composer', () => ui(page).message.inputValue(), (v) => v === 'mine, edited');
    await server.expect(204, `/api/v1/rooms/${first.id}/messages/${edited.id}`, { method: 'DELETE', token: alice.token });
    await eventually('the draft back after the deletion', () => ui(page).message.inputValue(), (v) => v === 'half a thought');
    await ui(page).message.press('End');
    await ui(page).message.pressSequentially('!');
    await eventually('the draft, one character longer, kept', () => keptDrafts(page), (d) => d.some(([, text]) => text === 'half a thought!'));
    await ui(page).message.press('Backspace');

    // Sent, it is no longer a draft: not here, not after a reload.
    await ui(page).message.press('Enter');
    await waitForMessage(page, 'half a thought');
    await eventually('its entry to go', () => keptDrafts(page), (d) => d.length === 1);
    await page.reload();
    await ui(page).message.waitFor();
    await openRoom(page, first.name);
    assert.equal(await ui(page).message.inputValue(), '');

    // Logging out removes the rest, and the next user of this page (the
    // same page: no reload) sees nothing of it in the room they share.
    await page.getByRole('button', { name: 'Log out' }).click();
    await ui(page).username.waitFor();
    assert.deepEqual(await keptDrafts(page), []);
    await ui(page).username.fill(bob.username);
    await ui(page).password.fill(bob.password);
    await ui(page).logIn.click();
    await ui(page).rooms.waitFor();
    await openRoom(page, second.name);
    assert.equal(await ui(page).message.inputValue(), '');
  } finally {
    await context.close();
  }
});
