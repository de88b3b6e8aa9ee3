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
