// Through Apache over https, as the site serves it: Apache (apache/standalone.conf,
// the same configuration chatd/tests/api/apache.rs starts) in front of chatd
// with a self-signed certificate for localhost. The browser logs in, the
// session cookie comes back Secure, and a message sent from the page arrives
// for another user over the WebSocket through the proxy.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, eventually, freePort, launchBrowser, logIn, newContext, sessionCookie, startServer, ui, waitForMessage, TEST } from './harness.mjs';

const APACHE = '/usr/sbin/apache2';

// chatd trusts Apache's X-Forwarded-Proto (and so marks the cookie Secure).
process.env.CHATD_TRUSTED_PROXIES = '127.0.0.1';

/** @type {import('./harness.mjs').Server} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {{base: string, stop: () => Promise<void>}} */
let apache;

/** Apache in front of 127.0.0.1:chatdPort, https on a free port. @param {number} chatdPort */
async function startApache(chatdPort) {
  if (!existsSync(APACHE)) throw new Error(`${APACHE} is missing: install Debian's apache2 (the chatd API tests do)`);
  const dir = mkdtempSync(join(tmpdir(), 'chat-web-apache-'));
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ]);
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  const [http, https] = [await freePort(), await freePort()];
  const defines = {
    CHAT_CONF_DIR: join(ROOT, 'apache'),
    CHAT_RUN_DIR: dir,
    CHAT_LISTEN_HOST: '127.0.0.1',
    CHAT_SERVER_NAME: 'localhost',
    CHAT_HTTP_PORT: String(http),
    CHAT_HTTPS_PORT: String(https),
    CHAT_TLS_CERT: cert,
    CHAT_TLS_KEY: key,
    CHATD_ADDR: `127.0.0.1:${chatdPort}`,
  };
  const args = ['-f', join(ROOT, 'apache', 'standalone.conf')];
  for (const [k, v] of Object.entries(defines)) args.push('-C', `Define ${k} ${v}`);
  const checked = spawnSync(APACHE, [...args, '-t'], { encoding: 'utf8' });
  if (checked.status !== 0) throw new Error(`apache2 -t: ${checked.stderr}`);
  const child = spawn(APACHE, [...args, '-DFOREGROUND'], { stdio: 'ignore' });
  /** @type {number|null} */
  let exited = null;
  child.on('exit', (code) => (exited = code ?? 1));
  const errorLog = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '');
  await eventually('apache2 to listen', async () => {
    if (exited !== null) throw new Error(`apache2 exited with ${exited}: ${errorLog()}`);
    return new Promise((ok) => {
      const s = connect(https, '127.0.0.1', () => {
        s.end();
        ok(true);
      });
      s.on('error', () => ok(false));
    });
  });
  return {
    base: `https://localhost:${https}`,
    async stop() {
      if (exited === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  apache = await startApache(server.port);
});
after(async () => {
  await apache?.stop();
  await browser?.close();
  await server?.close();
});

test('through Apache over https: log in (a Secure cookie), send, the other user gets it live', TEST, async () => {
  const alice = await server.user('alice');
  const bob = await server.user('bob');
  const room = await server.room(alice, [bob]);
  // The page only ever talks to Apache; the harness's url is the page's base.
  const site = { ...server, url: apache.base };
  const [ca, cb] = await Promise.all([newContext(browser, { ignoreHTTPSErrors: true }), newContext(browser, { ignoreHTTPSErrors: true })]);
  try {
    const [pa, pb] = await Promise.all([ca.newPage(), cb.newPage()]);
    await Promise.all([logIn(pa, /** @type {any} */ (site), alice, room.name), logIn(pb, /** @type {any} */ (site), bob, room.name)]);
    const cookie = await sessionCookie(ca);
    assert.ok(cookie, 'a session cookie was set');
    assert.equal(cookie.secure, true, 'Secure over https');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(new URL(pa.url()).protocol, 'https:');

    await ui(pa).message.fill('hello through apache');
    await ui(pa).message.press('Enter');
    await waitForMessage(pb, 'hello through apache');
    assert.deepEqual(await server.history(bob, room), ['hello through apache']);
  } finally {
    await Promise.all([ca.close(), cb.close()]);
  }
});
