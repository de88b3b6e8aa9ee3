// Accessibility: axe-core finds nothing serious or critical on the login form
// or on a room with messages. axe is injected as a script, which the page's
// CSP would refuse, so this test's context bypasses the CSP (and only this).

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { launchBrowser, logIn, startServer, ui, waitForMessage, TEST, newContext } from './harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core');

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
 * axe's serious and critical violations on the page as it is now, one line each.
 * @param {import('playwright-core').Page} page
 */
async function seriousViolations(page) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = /** @type {any} */ (window).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return /** @type {{id: string, impact: string, help: string, nodes: {target: string[]}[]}[]} */ (result.violations);
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

test('axe finds no serious or critical violations, logged out or in', TEST, async () => {
  const erin = await server.user('erin', { display_name: 'Erin' });
  const frank = await server.user('frank', { display_name: 'Frank' });
  const room = await server.room(erin, [frank], { topic: 'where we test accessibility' });
  await server.send(frank, room, 'hello erin');
  await server.send(erin, room, 'hi frank, how are you?');
  const context = await newContext(browser, { bypassCSP: true });
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await ui(page).username.waitFor();
    assert.deepEqual(await seriousViolations(page), [], 'on the login form');

    await logIn(page, server, erin, room.name);
    await waitForMessage(page, 'hi frank, how are you?');
    await ui(page).message.fill('a draft');
    assert.deepEqual(await seriousViolations(page), [], 'in a room');
  } finally {
    await context.close();
  }
});

test('axe finds nothing serious in the panels: reactions, pins, search, people, settings, members', TEST, async () => {
  const gina = await server.user('gina', { display_name: 'Gina' });
  const hugo = await server.user('hugo', { display_name: 'Hugo' });
  const room = await server.room(gina, [hugo], { topic: 'panels' });
  const msg = await server.send(hugo, room, 'pin me and react to me');
  await server.expect(204, `/api/v1/rooms/${room.id}/pins/${msg.id}`, { method: 'PUT', token: hugo.token });
  await server.expect(204, `/api/v1/rooms/${room.id}/messages/${msg.id}/reactions/${encodeURIComponent('👍')}`, { method: 'PUT', token: gina.token });
  const context = await newContext(browser, { bypassCSP: true });
  try {
    const page = await context.newPage();
    await logIn(page, server, gina, room.name);
    await waitForMessage(page, 'pin me and react to me');
    assert.deepEqual(await seriousViolations(page), [], 'a room with reactions and a pin');

    /** @param {string} button @param {string} dialog @param {(d: import('playwright-core').Locator) => Promise<void>} [fill] */
    const check = async (button, dialog, fill) => {
      await page.getByRole('button', { name: button, exact: true }).first().click();
      const d = page.getByRole('dialog', { name: dialog });
      await d.waitFor();
      if (fill) await fill(d);
      assert.deepEqual(await seriousViolations(page), [], `the ${dialog} dialog`);
      await page.keyboard.press('Escape');
      await d.waitFor({ state: 'hidden' });
    };
    await check('Add reaction', 'Add a reaction');
    await check('Pinned messages', 'Pinned messages', (d) => d.getByText('pin me and react to me').waitFor());
    await check('Search', 'Search messages', async (d) => {
      await d.getByRole('searchbox').fill('react');
      await d.getByRole('searchbox').press('Enter');
      await d.getByRole('button', { name: /^Open the message/ }).waitFor();
    });
    await check('People', 'People', async (d) => {
      await d.getByRole('searchbox').fill('hugo');
      await d.getByRole('button', { name: /^Message hugo/ }).waitFor();
    });
    await check('Settings', 'Settings', (d) => d.getByText('(this device)').waitFor());
    await check('Members', 'Members', (d) => d.getByRole('combobox', { name: /^Role for hugo/ }).waitFor());
    await page.getByRole('button', { name: 'More actions' }).first().click();
    await check('Report…', 'Report message');
  } finally {
    await context.close();
  }
});

test('axe finds nothing serious in dark mode either: a room with reactions, a pin, a mention and a thread', TEST, async () => {
  const ivy = await server.user('ivy', { display_name: 'Ivy' });
  const jon = await server.user('jon', { display_name: 'Jon' });
  const room = await server.room(ivy, [jon]);
  const root = await server.send(jon, room, `@${ivy.username} a question for you`);
  await server.expect(204, `/api/v1/rooms/${room.id}/pins/${root.id}`, { method: 'PUT', token: jon.token });
  await server.expect(204, `/api/v1/rooms/${room.id}/messages/${root.id}/reactions/${encodeURIComponent('🎉')}`, { method: 'PUT', token: ivy.token });
  await server.expect(201, `/api/v1/rooms/${room.id}/messages`, { method: 'POST', token: ivy.token, body: { body: 'answered in the thread', thread_root: root.id } });
  const context = await newContext(browser, { bypassCSP: true, colorScheme: 'dark' });
  try {
    const page = await context.newPage();
    await logIn(page, server, ivy, room.name);
    await waitForMessage(page, 'a question for you');
    await page.getByRole('button', { name: '1 reply' }).click();
    await page.getByRole('log', { name: 'Thread replies' }).getByText('answered in the thread').waitFor();
    assert.deepEqual(await seriousViolations(page), [], 'dark mode, thread open');
  } finally {
    await context.close();
  }
});
