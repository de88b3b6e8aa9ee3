// The timeline as people read it: unread rooms counted and bold in the list,
// the "New messages" line above the first unread message, day separators,
// the composer (Shift+Enter, ↑ to edit, replies, the typing line), deleted
// messages as tombstones, and a long history read by scrolling up, with a
// bounded window and the "N new ↓" pill for messages that arrive meanwhile.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { entry, eventually, launchBrowser, logIn, newContext, openRoom, startServer, ui, waitForMessage, TEST } from './harness.mjs';

// The long history goes in over REST faster than the per-person send limit.
process.env.CHATD_LIMIT_SENDS_USER = 'off';

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

test('unread: counted and bold in the room list; the “New messages” line above the first unread, until I leave', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const other = await server.room(alice, [bob]);
  await server.send(alice, room, 'read before the line');
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, bob, room.name);
    await waitForMessage(page, 'read before the line');
    // Today's messages sit under a "Today" separator.
    await entry(page, 'read before the line').getByText('Today', { exact: true }).waitFor();
    await openRoom(page, other.name);

    await server.send(alice, room, 'first unread');
    await server.send(alice, room, 'second unread');
    const item = ui(page).room(room.name);
    const described = () => item.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent ?? '');
    await eventually('two unread in the room list', described, (t) => /2 unread/.test(t));
    const look = await item.evaluate((el) => ({ unread: el.classList.contains('unread'), weight: Number(getComputedStyle(el).fontWeight) }));
    assert.ok(look.unread && look.weight >= 600, `an unread room is bold: ${JSON.stringify(look)}`);
    assert.equal(await ui(page).room(other.name).evaluate((el) => el.classList.contains('unread')), false);

    await openRoom(page, room.name);
    await waitForMessage(page, 'second unread');
    const line = ui(page).messages.getByText('New messages', { exact: true });
    await line.waitFor();
    assert.equal(await line.count(), 1);
    assert.equal(await entry(page, 'first unread').getByText('New messages').count(), 1, 'the line sits above the first unread message');
    await eventually('the room to be read', () => item.evaluate((el) => el.classList.contains('unread')), (u) => !u);
    // The server has my read marker too: nothing unread there either.
    const unreadThere = async () => {
      const { rooms } = await server.expect(200, '/api/v1/rooms', { token: bob.token });
      return rooms.find((/** @type {{id: number}} */ r) => r.id === room.id).unread_count;
    };
    await eventually('the server to count nothing unread', unreadThere, (n) => n === 0);

    // What arrives while I read comes under the line, not under a new one.
    await server.send(alice, room, 'live while reading');
    await waitForMessage(page, 'live while reading');
    assert.equal(await line.count(), 1);

    // Back later with nothing unread: no line.
    await openRoom(page, other.name);
    await openRoom(page, room.name);
    await waitForMessage(page, 'live while reading');
    await eventually('the line to be gone', () => line.count(), (n) => n === 0);
  } finally {
    await context.close();
  }
});

test('a long unread stretch: the line shows when the first page starts at the first unread, and once older pages bring it in', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const exact = await server.room(alice, [bob]);
  const longer = await server.room(alice, [bob]);
  const other = await server.room(alice, [bob]);
  for (const room of [exact, longer]) for (let i = 0; i < 5; i++) await server.send(alice, room, `read ${i}`);
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, bob, exact.name);
    await waitForMessage(page, 'read 4');
    await openRoom(page, longer.name);
    await waitForMessage(page, 'read 4');
    await openRoom(page, other.name);
    // A page of messages is 50: exactly that many unread in one room; in
    // the other, more than the first page and one older page hold.
    const LONG = 120;
    for (let i = 1; i <= 50; i++) await server.send(alice, exact, `unread ${i}`);
    for (let i = 1; i <= LONG; i++) await server.send(alice, longer, `unread ${i}`);
    const described = (/** @type {string} */ name) => ui(page).room(name).evaluate((el) => document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent ?? '');
    await eventually(`${LONG} unread in the list`, () => described(longer.name), (t) => t.includes(`${LONG} unread`));
    /** The bodies of the messages the line sits above. */
    const underLine = () =>
      ui(page)
        .messages.locator(':scope > *')
        .filter({ has: page.getByText('New messages', { exact: true }) })
        .evaluateAll((nodes) => nodes.map((n) => n.querySelector('.msg-body')?.textContent ?? ''));

    // A fresh page: each room's window is its latest page (the live
    // messages no longer extend the windows read earlier).
    await page.reload();
    await ui(page).room(exact.name).waitFor();
    await openRoom(page, exact.name);
    await waitForMessage(page, 'unread 50');
    await eventually('the line above the first unread', underLine, (b) => b.length === 1 && b[0] === 'unread 1');

    // The first page of the other starts after its first unread: no line
    // until scrolling up brings that one in.
    await openRoom(page, longer.name);
    await waitForMessage(page, `unread ${LONG}`);
    assert.deepEqual(await underLine(), []);
    await page.evaluate(async () => {
      const scroller = /** @type {HTMLElement} */ (document.getElementById('timeline'));
      const log = /** @type {HTMLElement} */ (document.getElementById('log'));
      const deadline = performance.now() + 20_000;
      while (!log.textContent?.includes('read 4')) {
        if (performance.now() > deadline) throw new Error('never reached the read messages');
        scroller.scrollTop = 0;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    await eventually('the line above the first unread', underLine, (b) => b.length === 1 && b[0] === 'unread 1');
  } finally {
    await context.close();
  }
});

test('composer: Shift+Enter, the typing line, ↑ edits my last message, a reply quotes, a deletion leaves a tombstone', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);
    const composer = ui(pb).message;

    // Typing without sending shows on alice's screen.
    await composer.click();
    await pb.keyboard.type('half a thought');
    await eventually('the typing line', () => pa.locator('#typing').textContent(), (t) => /is typing/.test(t ?? ''));
    await composer.fill('');

    await pb.keyboard.type('line one');
    await pb.keyboard.press('Shift+Enter');
    await pb.keyboard.type('line two');
    await pb.keyboard.press('Enter');
    await waitForMessage(pa, 'line two');
    assert.match(await entry(pa, 'line two').innerText(), /line one\nline two/);
    assert.equal(await composer.inputValue(), '');

    // ↑ in the empty composer edits my last message (once bob's page has it stored).
    await ui(pb).messages.locator('.msg:not(.pending)').filter({ hasText: 'line two' }).waitFor();
    await pb.keyboard.press('ArrowUp');
    assert.equal(await composer.inputValue(), 'line one\nline two');
    await composer.fill('line edited');
    await pb.keyboard.press('Enter');
    await waitForMessage(pa, 'line edited');
    await entry(pa, 'line edited').getByRole('button', { name: '(edited)' }).waitFor();

    // Alice replies from the message's menu; bob sees the quote.
    await entry(pa, 'line edited').getByRole('button', { name: 'More actions' }).click();
    await entry(pa, 'line edited').getByRole('button', { name: 'Reply', exact: true }).click();
    await ui(pa).message.fill('an answer');
    await pa.keyboard.press('Enter');
    await waitForMessage(pb, 'an answer');
    assert.match(await entry(pb, 'an answer').innerText(), /line edited/, 'the reply quotes its message');

    // Alice deletes it: a tombstone for bob, the text gone.
    await entry(pa, 'an answer').getByRole('button', { name: 'More actions' }).click();
    await entry(pa, 'an answer').getByRole('button', { name: 'Delete', exact: true }).click();
    await entry(pb, 'message deleted').waitFor();
    await eventually('the text to go', () => ui(pb).messages.getByText('an answer').count(), (n) => n === 0);
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});

test('history: older pages load as I scroll up, the DOM keeps a bounded window, news shows as “1 new ↓”', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const COUNT = 400;
  const label = (/** @type {number} */ n) => `numbered ${String(n).padStart(3, '0')}`;
  let next = 1;
  const worker = async () => {
    while (next <= COUNT) await server.send(alice, room, label(next++));
  };
  // Four senders at once: the room's order is commit order, close to numbered order.
  await Promise.all([worker(), worker(), worker(), worker()]);
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, bob, room.name);
    await ui(page).messages.getByText(/^numbered \d{3}$/).last().waitFor();
    const most = await page.evaluate(async (oldest) => {
      const scroller = /** @type {HTMLElement} */ (document.getElementById('timeline'));
      const log = /** @type {HTMLElement} */ (document.getElementById('log'));
      let most = log.childElementCount;
      const deadline = performance.now() + 60_000;
      while (!log.textContent?.includes(oldest)) {
        if (performance.now() > deadline) throw new Error(`never reached ${oldest}`);
        scroller.scrollTop = 0;
        await new Promise((r) => setTimeout(r, 50));
        most = Math.max(most, log.childElementCount);
      }
      return most;
    }, label(1));
    assert.ok(most <= 300, `at most 300 messages in the DOM, saw ${most}`);
    assert.equal(await ui(page).messages.getByText(label(COUNT), { exact: true }).count(), 0, 'the newest left the window');
    await ui(page).messages.getByText(label(1), { exact: true }).waitFor();

    await server.send(alice, room, 'news from below');
    const pill = page.getByRole('button', { name: '1 new ↓' });
    await pill.waitFor();
    await pill.click();
    await waitForMessage(page, 'news from below');
    await pill.waitFor({ state: 'hidden' });
  } finally {
    await context.close();
  }
});
