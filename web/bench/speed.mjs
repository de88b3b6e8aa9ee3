// The web client's speed, measured in Debian's headless Chromium against a
// real chatd on a fresh database (the browser tests' harness):
//   1. what the browser downloads for the first screen (logged in, a room
//      open), uncompressed and gzipped;
//   2. navigation → the first room's messages painted (cold loads, each in
//      a new profile, after an untimed first load that starts the browser's
//      own processes; then warm loads in the first profile's cache), from
//      the page's own clock;
//   3. the tab's memory (JS heap after a forced GC, DOM nodes) after scrolling
//      up through 2,000 and through 20,000 messages.
// Run: `node web/bench/speed.mjs` (or `cd web && npm run bench`); chatd and
// chatctl must be built (the harness builds them if missing). It uses the
// debug chatd of `scripts/dev up`; `CHAT_WEB_PROFILE=release` measures the
// release build a deployment runs. Prints a Markdown table for
// docs/benchmarks.md.

import { loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import { PASSWORD, PROFILE, launchBrowser, logIn, newContext, startServer } from '../tests/harness.mjs';

// The 22,000 messages go in as fast as chatd stores them.
process.env.CHATD_LIMIT_SENDS_USER = 'off';

const SIZES = [2_000, 20_000];
const COLD_RUNS = 9;
const WARM_RUNS = 5;
const IN_FLIGHT = 16;

/** @param {number} n */
const label = (n) => `bench #${String(n).padStart(6, '0')}`;
/** @param {number} bytes */
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/**
 * Fills a room with `count` numbered messages over REST, IN_FLIGHT at a time
 * (their order in the room is the order chatd commits them: close enough to
 * numbered order for scrolling, which stops at the oldest).
 * @param {import('../tests/harness.mjs').Server} server
 * @param {import('../tests/harness.mjs').User} user
 * @param {{id: number}} room
 * @param {number} count
 */
async function fill(server, user, room, count) {
  let next = 1;
  const worker = async () => {
    while (next <= count) {
      const n = next++;
      await server.expect(201, `/api/v1/rooms/${room.id}/messages`, { method: 'POST', token: user.token, body: { body: `${label(n)} lorem ipsum dolor sit amet, a message of ordinary length for the benchmark` } });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

/** Records, in the page, when #log first has messages and the frame after that is painted. */
const PAINT_PROBE = () => {
  const w = /** @type {any} */ (window);
  const check = () => {
    const log = document.getElementById('log');
    if (!log || !log.firstElementChild || w.__painted !== undefined) return false;
    w.__painted = null;
    requestAnimationFrame(() => requestAnimationFrame(() => (w.__painted = performance.now())));
    return true;
  };
  const mo = new MutationObserver(() => {
    if (check()) mo.disconnect();
  });
  mo.observe(document, { childList: true, subtree: true });
};

/** @param {import('playwright-core').Page} page */
async function paintedAt(page) {
  await page.waitForFunction(() => typeof (/** @type {any} */ (window).__painted) === 'number', null, { timeout: 30_000 });
  return page.evaluate(() => /** @type {number} */ (/** @type {any} */ (window).__painted));
}

/**
 * Scrolls the timeline up until the room's oldest message shows; returns how
 * many older pages that took.
 * @param {import('playwright-core').Page} page
 */
async function scrollToStart(page) {
  return page.evaluate(async (oldest) => {
    const scroller = /** @type {HTMLElement} */ (document.getElementById('timeline'));
    const log = /** @type {HTMLElement} */ (document.getElementById('log'));
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    let pages = 0;
    for (;;) {
      const top = log.firstElementChild?.textContent ?? '';
      if (log.textContent?.includes(oldest)) return pages;
      scroller.scrollTop = 0;
      scroller.dispatchEvent(new Event('scroll'));
      const deadline = performance.now() + 10_000;
      while ((log.firstElementChild?.textContent ?? '') === top) {
        if (performance.now() > deadline) throw new Error(`no older page after ${pages} pages`);
        await frame();
        scroller.scrollTop = 0;
      }
      pages++;
    }
  }, label(1));
}

/** Heap and DOM after a forced GC. @param {import('playwright-core').Page} page */
async function memory(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  const inLog = await page.evaluate(() => document.getElementById('log')?.childElementCount ?? 0);
  await cdp.detach();
  return { heap: usedSize, nodes: m.Nodes ?? NaN, inLog };
}

async function main() {
  const loadAtStart = loadavg()[0].toFixed(1);
  const [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  try {
    const alice = await server.user('alice');
    /** @type {{size: number, room: {id: number, name: string}}[]} */
    const rooms = [];
    for (const size of SIZES) {
      const room = await server.room(alice, [], { name: `bench-${size}` });
      const t = Date.now();
      await fill(server, alice, room, size);
      console.error(`# ${size} messages stored in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      rooms.push({ size, room });
    }
    const first = rooms[0];
    if (!first) throw new Error('no rooms');

    // A logged-in profile's cookie, to start cold profiles already logged in.
    const login = await newContext(browser, { viewport: { width: 1280, height: 800 } });
    const lp = await login.newPage();
    await logIn(lp, server, { username: alice.username, password: PASSWORD });
    const cookies = await login.cookies();
    await login.close();
    const url = `${server.url}/#room/${first.room.id}`;

    // 1 + 2 (cold): a new profile, everything downloaded; the files of the
    // first, the times of each.
    /** A new profile, logged in (the cookie only: no room remembered). */
    const profile = async () => {
      const context = await newContext(browser, { viewport: { width: 1280, height: 800 } });
      await context.addCookies(cookies);
      await context.addInitScript(PAINT_PROBE);
      return context;
    };
    // The files, from a load of its own: reading each answer's body (over
    // the DevTools protocol) slows the page, so that load is not timed. It
    // is also the browser's first navigation, which pays for starting the
    // browser's own processes (GPU, network), not for this page.
    const cold = await profile();
    /** @type {{url: string, type: string, size: number, gzip: number}[]} */
    const files = [];
    const page = await cold.newPage();
    page.on('response', async (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/api/') || r.status() !== 200) return;
      try {
        const body = await r.body();
        files.push({ url: u.pathname, type: r.request().resourceType(), size: body.length, gzip: gzipSync(body, { level: 9 }).length });
      } catch {
        // a response without a body (e.g. a redirect): nothing downloaded
      }
    });
    await page.goto(url);
    await paintedAt(page);
    await page.waitForLoadState('networkidle');
    await page.close();
    const coldRuns = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      const other = await profile();
      const p = await other.newPage();
      await p.goto(url);
      coldRuns.push(await paintedAt(p));
      await other.close();
    }
    const code = files.filter((f) => f.type === 'script' || f.type === 'stylesheet');
    const sum = (/** @type {typeof files} */ fs, /** @type {'size'|'gzip'} */ k) => fs.reduce((a, f) => a + f[k], 0);

    // 2 (warm): new pages in the first profile (its cache: the page
    // revalidated by ETag, the files under /v/<version>/ fresh).
    const warm = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      const p = await cold.newPage();
      await p.goto(url);
      warm.push(await paintedAt(p));
      await p.close();
    }

    // 3: memory after scrolling through each room, in a fresh page each.
    const mem = [];
    for (const { size, room } of rooms) {
      const p = await cold.newPage();
      await p.goto(`${server.url}/#room/${room.id}`);
      await paintedAt(p);
      const before = await memory(p);
      const t = Date.now();
      const pages = await scrollToStart(p);
      const scrollS = (Date.now() - t) / 1000;
      const after = await memory(p);
      mem.push({ size, before, after, pages, scrollS });
      await p.close();
    }
    await cold.close();

    const out = [];
    out.push(`chatd: the ${PROFILE} build; load average at the start ${loadAtStart}.`);
    out.push('');
    out.push(`First screen (logged in, a room open): ${files.length} files.`);
    out.push('');
    out.push('| what | uncompressed | gzip -9 |');
    out.push('|---|---|---|');
    out.push(`| JS + CSS (${code.length} files) | ${kb(sum(code, 'size'))} | ${kb(sum(code, 'gzip'))} |`);
    out.push(`| everything (HTML, JS, CSS, icons) | ${kb(sum(files, 'size'))} | ${kb(sum(files, 'gzip'))} |`);
    out.push('');
    const runs = (/** @type {number[]} */ xs) => `median of ${xs.length}: ${median(xs).toFixed(0)} ms (runs: ${xs.map((x) => x.toFixed(0)).join(', ')} ms)`;
    out.push(`Navigation → first room's messages painted: cold (new profile), ${runs(coldRuns)}; warm, ${runs(warm)}.`);
    out.push('');
    out.push('| scrolled up through | older pages loaded | time | JS heap before → after (after GC) | DOM nodes before → after | messages in the DOM after |');
    out.push('|---|---|---|---|---|---|');
    for (const m of mem) {
      out.push(`| ${m.size.toLocaleString('en')} messages | ${m.pages} | ${m.scrollS.toFixed(1)} s | ${kb(m.before.heap)} → ${kb(m.after.heap)} | ${m.before.nodes} → ${m.after.nodes} | ${m.after.inLog} |`);
    }
    const [a, b] = mem;
    if (a && b) out.push('', `Heap after 20,000 vs after 2,000: ${((b.after.heap / a.after.heap - 1) * 100).toFixed(1)} % (target: within 20 %).`);
    console.log(out.join('\n'));
    console.error('# files:', files.map((f) => `${f.url} ${f.size}`).join(', '));
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
