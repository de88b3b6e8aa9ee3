// Reconnecting with backoff and jitter: the delay's schedule, checked in the
// page's own module, and a page whose gateway keeps refusing it, which must
// wait longer before each attempt instead of hammering the server.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, launchBrowser, logIn, newContext, startServer, TEST } from './harness.mjs';

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

test('the reconnect delay is random in the upper half of a ceiling that doubles from 0.5 s to 30 s', TEST, async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    const { bounds, draws } = await page.evaluate(async () => {
      const { reconnectDelay } = await import('/js/socket.js');
      const attempts = [0, 1, 2, 3, 4, 5, 6, 7, 10, 60];
      return {
        bounds: attempts.map((a) => [reconnectDelay(a, 0), reconnectDelay(a, 0.999999)]),
        draws: Array.from({ length: 1000 }, () => reconnectDelay(3)),
      };
    });
    assert.deepEqual(bounds, [
      [250, 500],
      [500, 1000],
      [1000, 2000],
      [2000, 4000],
      [4000, 8000],
      [8000, 16000],
      [15000, 30000],
      [15000, 30000],
      [15000, 30000],
      [15000, 30000],
    ]);
    assert.ok(draws.every((d) => d >= 2000 && d <= 4000), 'a draw left its range');
    // Jitter: pages cut off at once spread out (1000 draws over 2001 values).
    assert.ok(new Set(draws).size > 100, `only ${new Set(draws).size} distinct delays`);
  } finally {
    await context.close();
  }
});

test('a page whose gateway keeps refusing it waits longer before each attempt and says when it retries', TEST, async () => {
  const alice = await server.user('alice');
  const room = await server.room(alice, []);
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    // Every upgrade is accepted and closed at once, before `ready`; when
    // each came is noted here (a few milliseconds after the page opened it).
    /** @type {number[]} */
    const opened = [];
    await page.routeWebSocket(/\/api\/v1\/ws$/, (ws) => {
      opened.push(performance.now());
      ws.close({ code: 1011, reason: 'test' });
    });
    await logIn(page, server, alice, room.name);
    await page.getByRole('status').filter({ hasText: /Offline — reconnecting in \d+ s/ }).first().waitFor();
    await eventually('five attempts', () => opened.length, (n) => n >= 5, 30_000);
    const gaps = opened.slice(1, 5).map((t, i) => t - /** @type {number} */ (opened[i]));
    // Each wait is at least half its ceiling (0.5, 1, 2, 4 s): a timer never
    // fires early (the 50 ms allow for the route's notice being late once).
    [250, 500, 1000, 2000].forEach((floor, i) => {
      assert.ok(/** @type {number} */ (gaps[i]) >= floor - 50, `wait ${i + 1} was ${gaps[i]} ms, less than ${floor}: ${gaps.join(', ')}`);
    });
  } finally {
    await context.close();
  }
});
