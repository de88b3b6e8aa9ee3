// Threads and mentions in the browser: a reply in a thread stays out of the
// main timeline and shows live in the other person's open thread and as the
// root's "N replies"; the Threads dialog lists followed threads; a mention
// is highlighted, counted in the room list and listed under Mentions.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { entry, eventually, launchBrowser, logIn, messageTexts, newContext, openRoom, startServer, ui, waitForMessage, TEST } from './harness.mjs';

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

/** @param {import('playwright-core').Page} page */
const thread = (page) => page.getByRole('complementary', { name: /^Thread/ });
/** @param {import('playwright-core').Page} page */
const replies = (page) => thread(page).getByRole('log', { name: 'Thread replies' });

test('threads: replies live in the side panel, counted on the root, kept out of the timeline', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  await server.send(alice, room, 'shall we ship on friday?');
  const [ca, cb] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    await Promise.all([logIn(pa, server, alice, room.name), logIn(pb, server, bob, room.name)]);
    await Promise.all([waitForMessage(pa, 'shall we ship'), waitForMessage(pb, 'shall we ship')]);

    // Bob starts a thread from the message's menu and replies.
    await entry(pb, 'shall we ship').getByRole('button', { name: 'More actions' }).click();
    await entry(pb, 'shall we ship').getByRole('button', { name: 'Reply in thread' }).click();
    const box = thread(pb).getByRole('textbox', { name: 'Reply in thread' });
    // The side panel's styles (later.css) are in before it shows.
    assert.equal(await thread(pb).evaluate((el) => getComputedStyle(el).display), 'flex');
    await box.fill('yes, once QA signs off');
    await box.press('Enter');
    await replies(pb).getByText('yes, once QA signs off').waitFor();

    // Alice sees the count on the root, live, and not the reply in the timeline.
    await entry(pa, 'shall we ship').getByRole('button', { name: '1 reply' }).click();
    await replies(pa).getByText('yes, once QA signs off').waitFor();
    assert.equal((await messageTexts(pa)).filter((t) => t.includes('once QA signs off')).length, 0, 'the reply leaked into the timeline');

    // Alice answers in the thread; Bob's open panel shows it live, and his root says 2.
    await thread(pa).getByRole('textbox', { name: 'Reply in thread' }).fill('great, I will tell the team');
    await thread(pa).getByRole('textbox', { name: 'Reply in thread' }).press('Enter');
    await replies(pb).getByText('great, I will tell the team').waitFor();
    await entry(pb, 'shall we ship').getByRole('button', { name: '2 replies' }).waitFor();

    // A reaction on a reply shows live for the other.
    const reply = replies(pb).locator(':scope > *').filter({ hasText: 'great, I will tell' });
    await reply.getByRole('button', { name: 'Add reaction' }).click();
    await pb.getByRole('dialog', { name: 'Add a reaction' }).getByRole('button', { name: '🎉', exact: true }).click();
    await replies(pa).getByRole('button', { name: '🎉 1', exact: true }).waitFor();

    // Stored as replies of the root, not in the room's history.
    const history = await server.history(alice, room);
    assert.deepEqual(history, ['shall we ship on friday?']);

    // Bob follows the thread: the Threads dialog lists it and opens it.
    await pb.getByRole('button', { name: 'Close thread' }).click();
    await thread(pb).waitFor({ state: 'hidden' });
    await pb.getByRole('button', { name: 'Threads', exact: true }).click();
    const dialog = pb.getByRole('dialog', { name: 'Threads' });
    await dialog.getByText('shall we ship on friday?').waitFor();
    await dialog.getByRole('button', { name: /^Open the thread/ }).first().click();
    await replies(pb).getByText('great, I will tell the team').waitFor();
    // Esc closes the panel too.
    await thread(pb).getByRole('textbox', { name: 'Reply in thread' }).focus();
    await pb.keyboard.press('Escape');
    await thread(pb).waitFor({ state: 'hidden' });
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});

test('a reply the first page already counts is not counted again when the socket replays it', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  const root = await server.send(bob, room, 'which release are we on?');
  const answer = (/** @type {string} */ body) =>
    server.expect(201, `/api/v1/rooms/${room.id}/messages`, { method: 'POST', token: bob.token, body: { body, thread_root: root.id } });
  await answer('the one from tuesday');
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    // The socket's frames wait until the room's first page is on screen, so
    // the socket resumes from that page's newest message and replays the
    // reply the page's summary already counts (as a slow socket would).
    /** @type {() => void} */
    let release = () => {};
    const held = new Promise((resolve) => (release = () => resolve(undefined)));
    await page.routeWebSocket(/\/api\/v1\/ws$/, (ws) => {
      const upstream = ws.connectToServer();
      upstream.onMessage((frame) => void held.then(() => ws.send(frame)));
    });
    await logIn(page, server, alice, room.name);
    await waitForMessage(page, 'which release');
    await entry(page, 'which release').getByRole('button', { name: '1 reply' }).waitFor();
    release();
    // A later message comes after the replay on the same socket.
    await server.send(bob, room, 'thanks');
    await waitForMessage(page, 'thanks');
    assert.equal(await entry(page, 'which release').getByRole('button', { name: '2 replies' }).count(), 0, 'the replayed reply was counted twice');
    await entry(page, 'which release').getByRole('button', { name: '1 reply' }).waitFor();
    // A new reply still counts.
    await answer('and friday we take the next');
    await entry(page, 'which release').getByRole('button', { name: '2 replies' }).waitFor();
  } finally {
    await context.close();
  }
});

test('mentions: highlighted, counted in the room list, listed under Mentions', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const quiet = await server.room(alice, [bob], { name: 'quiet' });
  const busy = await server.room(alice, [bob], { name: 'busy' });
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, alice, 'quiet');
    await server.send(bob, busy, `@${alice.username} can you look at the build?`);
    await server.send(bob, quiet, 'no mention here');
    // The busy room's button says so (its description, not its name).
    const button = ui(page).room('busy');
    await eventually('a mention in the room list', async () => {
      const id = await button.getAttribute('aria-describedby');
      return id ? page.locator(`#${id}`).innerText() : '';
    }, (d) => d.includes('1 mention'));

    await page.getByRole('button', { name: 'Mentions', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Mentions' });
    await dialog.getByText('can you look at the build?', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: /^Open the mention from/ }).click();
    await waitForMessage(page, 'can you look at the build?');
    assert.equal(await ui(page).rooms.locator('[aria-current="page"]').getAttribute('aria-label'), 'busy');
    // Highlighted as a mention of me (and the count clears once read).
    await entry(page, 'can you look at the build?').getByText('(mentions you)').waitFor({ state: 'attached' });
    await eventually('the mention count to clear', async () => {
      const id = await button.getAttribute('aria-describedby');
      return id ? page.locator(`#${id}`).innerText() : '';
    }, (d) => !d.includes('mention'));
    await openRoom(page, 'quiet');
    await waitForMessage(page, 'no mention here');
    assert.equal(await entry(page, 'no mention here').getByText('(mentions you)').count(), 0);
  } finally {
    await context.close();
  }
});

test('followed threads: unread replies counted on the Threads button, cleared by reading', TEST, async () => {
  const carol = await server.user('carol');
  const dave = await server.user('dave');
  const room = await server.room(carol, [dave]);
  const root = await server.send(carol, room, 'who has the release notes?');
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await logIn(page, server, carol, room.name);
    await waitForMessage(page, 'who has the release notes?');
    const button = page.getByRole('button', { name: 'Threads', exact: true });
    const described = async () => {
      const id = await button.getAttribute('aria-describedby');
      return id ? page.locator(`#${id}`).textContent() : '';
    };
    await server.expect(201, `/api/v1/rooms/${room.id}/messages`, { method: 'POST', token: dave.token, body: { body: 'I do, sending them now', thread_root: root.id } });
    await eventually('one unread reply on the Threads button', described, (d) => d === '1 unread reply');

    await button.click();
    const dialog = page.getByRole('dialog', { name: 'Threads' });
    await dialog.getByText('1 unread', { exact: true }).waitFor();
    await dialog.getByRole('button', { name: /^Open the thread/ }).click();
    await replies(page).getByText('I do, sending them now').waitFor();
    await eventually('the count to clear once read', described, (d) => d === '');
  } finally {
    await context.close();
  }
});
