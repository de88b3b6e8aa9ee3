// Markup in what users write is shown as text, never run; and the page's
// Content-Security-Policy blocks inline script even if some got in.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, logIn, recordConsole, startServer, ui, waitForMessage, TEST, newContext } from './harness.mjs';

const IMG = '<img src=x onerror=window.__xss=1>';
const SCRIPT = '<script>window.__xss=1</script>';
const CSP_VIOLATION = /Content[- ]Security[- ]Policy/i;

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
 * Nothing the attacker wrote became markup or ran.
 * @param {import('playwright-core').Page} page
 */
async function assertInert(page) {
  const found = await page.evaluate(() => ({
    xss: /** @type {any} */ (window).__xss,
    injectedImages: Array.from(document.images).filter((i) => i.getAttribute('src') === 'x').length,
    injectedScripts: Array.from(document.scripts).filter((s) => (s.textContent ?? '').includes('__xss')).length,
  }));
  assert.deepEqual(found, { xss: undefined, injectedImages: 0, injectedScripts: 0 });
}

test('a message body, a display name and a room topic holding markup render as text', TEST, async () => {
  const mallory = await server.user('mallory', { display_name: `Mal ${IMG}` });
  const victim = await server.user('victim');
  const room = await server.room(mallory, [victim], { topic: `${SCRIPT} ${IMG}` });
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const console = recordConsole(page);
    await logIn(page, server, victim, room.name);

    // Live, over the WebSocket...
    await server.send(mallory, room, `image ${IMG}`);
    await server.send(mallory, room, `script ${SCRIPT}`);
    await waitForMessage(page, `image ${IMG}`);
    await waitForMessage(page, `script ${SCRIPT}`);
    await ui(page).messages.getByText(`Mal ${IMG}`).first().waitFor();
    await page.getByText(`${SCRIPT} ${IMG}`).first().waitFor(); // the topic
    await assertInert(page);

    // ...and from history after a reload.
    await page.reload();
    await ui(page).rooms.waitFor();
    if (!(await ui(page).messages.getByText(`script ${SCRIPT}`).count())) await ui(page).room(room.name).click();
    await waitForMessage(page, `image ${IMG}`);
    await waitForMessage(page, `script ${SCRIPT}`);
    await assertInert(page);

    // Had the client turned any of it into markup, the CSP would have
    // refused the inline handler or script and said so on the console.
    assert.deepEqual(console.filter((l) => CSP_VIOLATION.test(l)), []);
  } finally {
    await context.close();
  }
});

test('the page is served with a CSP that blocks inline script', TEST, async () => {
  const r = await fetch(`${server.url}/`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
  const csp = r.headers.get('content-security-policy') ?? '';
  const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name.toLowerCase(), values]));
  const scripts = directives.get('script-src') ?? directives.get('default-src');
  assert.ok(scripts, `no script-src or default-src in ${JSON.stringify(csp)}`);
  assert.ok(!scripts.includes("'unsafe-inline'") && !scripts.includes("'unsafe-eval'"), `scripts are not locked down: ${csp}`);

  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const console = recordConsole(page);
    await page.goto(server.url);
    await ui(page).username.waitFor();
    // The test's own evaluate runs through DevTools, outside the CSP; the
    // <script> element it adds is page content, under the CSP.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline_ran = 1';
      document.body.append(s);
    });
    await eventually('a CSP violation on the console', () => console.find((l) => CSP_VIOLATION.test(l)));
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__inline_ran), undefined);
  } finally {
    await context.close();
  }
});
