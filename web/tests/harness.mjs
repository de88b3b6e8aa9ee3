// The browser tests' harness: a real chatd on a fresh PostgreSQL database,
// users and rooms made through the REST API, and Debian's Chromium driven by
// playwright-core. Pages are read the way a screen reader reads them: by
// accessible role and name (API.md, "Web client"), never by CSS class.
//
// One `startServer()` per test file (node --test runs files in parallel, each
// in its own process): its own database and port, dropped and stopped by
// `server.close()`.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** The repository root (web/tests/ is two levels below it). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGET_DIR = (() => {
  const dir = process.env.CARGO_TARGET_DIR || 'target';
  return isAbsolute(dir) ? dir : join(ROOT, dir);
})();
/** Which build of chatd and chatctl: the debug one the tests use, or the
 * release one a deployment runs (CHAT_WEB_PROFILE=release, for the speed
 * bench). */
export const PROFILE = process.env.CHAT_WEB_PROFILE === 'release' ? 'release' : 'debug';
const CHATD = join(TARGET_DIR, PROFILE, 'chatd');
const CHATCTL = join(TARGET_DIR, PROFILE, 'chatctl');
/** chatd's logs, one file per server, for reading after a failure. */
const LOG_DIR = join(TARGET_DIR, 'web-tests');
/** Debian's Chromium; CHAT_CHROMIUM names another build of Chromium. */
export const CHROMIUM = process.env.CHAT_CHROMIUM || '/usr/bin/chromium';
/** The maintenance database the test databases are created from and dropped
 * through: the one scripts/dev chose (CHAT_TEST_DATABASE_URL), else the
 * PostgreSQL on 127.0.0.1:5432. */
const ADMIN_URL = process.env.CHAT_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** How long a condition may take to come true before a test fails. */
export const TIMEOUT = 15_000;
export const PASSWORD = 'correct horse battery';

// --- polling: waits on conditions, never on the clock ---------------------------

/**
 * Evaluate `probe` until `check` accepts its value; return that value. Fails
 * after `timeout` ms with `what` and the last value seen.
 * @template T
 * @param {string} what
 * @param {() => T | Promise<T>} probe
 * @param {(value: T) => boolean} [check]
 * @param {number} [timeout]
 * @returns {Promise<T>}
 */
export async function eventually(what, probe, check = Boolean, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  let error;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      last = await probe();
      error = undefined;
      if (check(last)) return last;
    } catch (e) {
      error = e;
    }
    if (Date.now() > deadline) {
      const seen = error ? `error: ${error}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (${seen})`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

// --- binaries, ports, databases -------------------------------------------------------

let checked = false;
/**
 * chatd and chatctl as the sources are now. `scripts/dev test` has cargo
 * build them before the browser tests run; run on their own (`npm test`),
 * the tests build them once if they are missing, or if chatd is older than
 * a file of web/static/ (chatd embeds those files when it is built).
 */
function ensureBinaries() {
  if (checked) return;
  checked = true;
  const missing = [CHATD, CHATCTL].find((f) => !existsSync(f));
  const stale = missing ? undefined : newerThan(join(ROOT, 'web', 'static'), statSync(CHATD).mtimeMs);
  if (!missing && !stale) return;
  const args = ['build', '--quiet', '-p', 'chatd', '-p', 'chatctl', ...(PROFILE === 'release' ? ['--release'] : [])];
  console.error(`# ${missing ? `${missing} is missing` : `${stale} is newer than ${CHATD}`}: running cargo ${args.join(' ')}`);
  // Into the directory the binaries are looked for in, whatever the
  // environment says by now.
  const env = { ...process.env, CARGO_TARGET_DIR: TARGET_DIR };
  const r = spawnSync('cargo', args, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`cargo ${args.join(' ')} failed (exit ${r.status ?? r.error})`);
}

/**
 * A file below `dir` modified after `time` (ms since the epoch), if any.
 * @param {string} dir @param {number} time @returns {string | undefined}
 */
function newerThan(dir, time) {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name.endsWith('~')) continue; // as chatd/build.rs skips them
    const p = join(dir, entry.name);
    const found = entry.isDirectory() ? newerThan(p, time) : statSync(p).mtimeMs > time ? p : undefined;
    if (found) return found;
  }
  return undefined;
}

/** A TCP port nothing listens on right now. */
export async function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => ok(port));
    });
  });
}

/** ADMIN_URL with another database name. */
function databaseUrl(name) {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** psql from PATH, else from the newest PostgreSQL installation. */
function psql() {
  const found = spawnSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'psql'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error('psql is not installed (needed to drop the test databases)');
  return join(base, versions[0], 'bin', 'psql');
}

/** @param {string} name */
function dropDatabase(name) {
  const r = spawnSync(psql(), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', ADMIN_URL, '-c', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`], {
    encoding: 'utf8',
    env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
  });
  if (r.status !== 0) console.error(`# could not drop database ${name}: ${r.stderr}`);
}

// Kill every chatd we started if the test process dies without teardown.
/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

// --- the server ---------------------------------------------------------------------------

/**
 * @typedef {{status: number, body: any, headers: Headers}} Reply
 * @typedef {{method?: string, token?: string, body?: unknown, headers?: Record<string, string>}} CallOptions
 * @typedef {{id: number, username: string, display_name: string, token: string, password: string}} User
 */

/** A chatd on its own fresh database and port. */
export class Server {
  /** @param {string} dbName @param {number} port @param {string[]} [flags]  more chatd flags */
  constructor(dbName, port, flags = []) {
    this.dbName = dbName;
    this.flags = flags;
    this.dbUrl = databaseUrl(dbName);
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    /** @type {import('node:child_process').ChildProcess | null} */
    this.child = null;
    this.logFile = join(LOG_DIR, `${dbName}.log`);
    this.userCount = 0;
  }

  /** Start chatd (again, after kill(): same port and database) and wait for /readyz. */
  async start() {
    mkdirSync(LOG_DIR, { recursive: true });
    const log = createWriteStream(this.logFile, { flags: 'a' });
    await new Promise((r) => log.on('open', r));
    const child = spawn(CHATD, ['--database-url', this.dbUrl, '--listen', `127.0.0.1:${this.port}`, ...this.flags], {
      cwd: ROOT,
      stdio: ['ignore', log, log],
    });
    this.child = child;
    children.add(child);
    /** @type {number | null} */
    let exited = null;
    child.on('exit', (code, signal) => {
      exited = code ?? (signal ? 128 : 1);
      children.delete(child);
      log.end();
    });
    await eventually(
      `chatd on ${this.url} to be ready (log: ${this.logFile})`,
      async () => {
        if (exited !== null) throw new Error(`chatd exited with ${exited}; see ${this.logFile}`);
        const r = await fetch(`${this.url}/readyz`);
        return r.status;
      },
      (status) => status === 200,
      30_000,
    ).catch((e) => {
      if (exited !== null) e.message = `chatd exited (status ${exited}) before it was ready; see ${this.logFile}`;
      throw e;
    });
  }

  /** SIGKILL chatd: no goodbye to its sockets, like a crash. */
  async kill() {
    await this.#stop('SIGKILL');
  }

  /** @param {NodeJS.Signals} signal */
  async #stop(signal) {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }

  /** Stop chatd (gracefully) and drop its database. */
  async close() {
    await this.#stop('SIGTERM');
    dropDatabase(this.dbName);
  }

  /**
   * A REST call; JSON in and out.
   * @param {string} path
   * @param {CallOptions} [options]
   * @returns {Promise<Reply>}
   */
  async call(path, { method = 'GET', token, body, headers = {} } = {}) {
    /** @type {Record<string, string>} */
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    const r = await fetch(`${this.url}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text for the failure message
    }
    return { status: r.status, body: parsed, headers: r.headers };
  }

  /**
   * A REST call that must answer `status`; returns the body.
   * @param {number} status @param {string} path @param {CallOptions} [options]
   */
  async expect(status, path, options) {
    const r = await this.call(path, options);
    if (r.status !== status) {
      throw new Error(`${options?.method ?? 'GET'} ${path}: expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
    }
    return r.body;
  }

  /**
   * Register a user (a unique username from `prefix`) and log in over REST.
   * @param {string} prefix @param {{display_name?: string}} [profile]
   * @returns {Promise<User>}
   */
  async user(prefix, profile = {}) {
    const username = `${prefix}${++this.userCount}`;
    const body = { username, password: PASSWORD, ...profile };
    await this.expect(201, '/api/v1/auth/register', { method: 'POST', body });
    const { token, user } = await this.expect(200, '/api/v1/auth/login', { method: 'POST', body: { username, password: PASSWORD } });
    return { ...user, token, password: PASSWORD };
  }

  /**
   * An account made by the admin (`chatctl user add`), as on a server
   * closed to registration; logged in over REST.
   * @param {string} prefix
   * @returns {Promise<User>}
   */
  async provisioned(prefix) {
    const username = `${prefix}${++this.userCount}`;
    const r = spawnSync(CHATCTL, ['--database-url', this.dbUrl, 'user', 'add', username, '--password-stdin'], {
      input: `${PASSWORD}\n`,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`chatctl user add failed (exit ${r.status}): ${r.stderr}`);
    const { token, user } = await this.expect(200, '/api/v1/auth/login', { method: 'POST', body: { username, password: PASSWORD } });
    return { ...user, token, password: PASSWORD };
  }

  /**
   * A public room made by `owner` and joined by `members`.
   * @param {User} owner @param {User[]} members @param {{name?: string, topic?: string}} [fields]
   */
  async room(owner, members, fields = {}) {
    const name = fields.name ?? `room-${randomBytes(3).toString('hex')}`;
    const { room } = await this.expect(201, '/api/v1/rooms', { method: 'POST', token: owner.token, body: { visibility: 'public', ...fields, name } });
    for (const m of members) await this.expect(200, `/api/v1/rooms/${room.id}/join`, { method: 'POST', token: m.token });
    return room;
  }

  /** @param {User} user @param {{id: number}} room @param {string} body */
  async send(user, room, body) {
    const { message } = await this.expect(201, `/api/v1/rooms/${room.id}/messages`, { method: 'POST', token: user.token, body: { body } });
    return message;
  }

  /** The bodies of the room's newest messages, oldest first. @param {User} user @param {{id: number}} room */
  async history(user, room) {
    const { messages } = await this.expect(200, `/api/v1/rooms/${room.id}/messages?limit=200`, { token: user.token });
    return messages.map((/** @type {{body: string}} */ m) => m.body);
  }
}

/**
 * A chatd on a fresh, migrated database. Call `close()` when done.
 * @param {string[]} [flags]  more chatd flags, e.g. `['--registration', 'closed']`
 */
export async function startServer(flags = []) {
  ensureBinaries();
  const dbName = `chat_web_${process.pid}_${randomBytes(4).toString('hex')}`;
  const server = new Server(dbName, await freePort(), flags);
  const r = spawnSync(CHATCTL, ['--database-url', server.dbUrl, 'migrate', '--create-database'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`chatctl migrate --create-database failed (exit ${r.status}): ${r.stderr}`);
  try {
    await server.start();
  } catch (e) {
    await server.close();
    throw e;
  }
  return server;
}

// --- the browser ----------------------------------------------------------------------------

/** Debian's Chromium, headless. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/dev test does), or set CHAT_CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

/**
 * A fresh browser context (its own cookies: one user) whose waits give up
 * after TIMEOUT rather than Playwright's 30 s.
 * @param {import('playwright-core').Browser} browser
 * @param {import('playwright-core').BrowserContextOptions} [options]
 */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(TIMEOUT);
  return context;
}

/** Options for each test: a hung test fails instead of stalling the run. */
export const TEST = { timeout: 90_000 };

/**
 * Everything the page logs to the console and every uncaught error, for
 * assertions and for failure messages.
 * @param {import('playwright-core').Page} page
 */
export function recordConsole(page) {
  /** @type {string[]} */
  const lines = [];
  page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  return lines;
}

/**
 * The WebSockets the page opens, to wait for one to close.
 * @param {import('playwright-core').Page} page
 */
export function recordSockets(page) {
  /** @type {{url: string, closed: boolean}[]} */
  const sockets = [];
  page.on('websocket', (ws) => {
    const entry = { url: ws.url(), closed: false };
    sockets.push(entry);
    ws.on('close', () => {
      entry.closed = true;
    });
  });
  return {
    sockets,
    /** Some socket is open. */
    open: () => sockets.some((s) => !s.closed),
  };
}

// --- the pinned accessible names (API.md, "Web client") ---------------------------------------

/** @param {import('playwright-core').Page} page */
export const ui = (page) => ({
  username: page.getByRole('textbox', { name: 'Username', exact: true }),
  password: page.getByRole('textbox', { name: 'Password', exact: true }),
  logIn: page.getByRole('button', { name: 'Log in', exact: true }),
  rooms: page.getByRole('navigation', { name: 'Rooms', exact: true }),
  messages: page.getByRole('log', { name: 'Messages', exact: true }),
  message: page.getByRole('textbox', { name: 'Message', exact: true }),
  /** The link or button for a room, named by the room's name. @param {string} name */
  room(name) {
    const nav = this.rooms;
    return nav.getByRole('link', { name }).or(nav.getByRole('button', { name })).first();
  },
});

/**
 * Log in through the form and open `roomName`; leaves the Message field ready.
 * @param {import('playwright-core').Page} page
 * @param {Server} server
 * @param {{username: string, password: string}} user
 * @param {string} [roomName]
 */
export async function logIn(page, server, user, roomName) {
  const u = ui(page);
  await page.goto(server.url);
  await u.username.fill(user.username);
  await u.password.fill(user.password);
  await u.logIn.click();
  // In: the Rooms navigation shows, or on a narrow screen the collapsed
  // button that opens the drawer holding it.
  await u.rooms.or(drawerToggle(page)).first().waitFor();
  if (roomName) await openRoom(page, roomName);
}

/**
 * The collapsed disclosure button that shows the rooms on a narrow screen.
 * @param {import('playwright-core').Page} page
 */
const drawerToggle = (page) => page.getByRole('button', { name: /rooms/i, expanded: false });

/**
 * Open a room from the Rooms navigation, opening the drawer first if the
 * navigation is hidden in one.
 * @param {import('playwright-core').Page} page @param {string} roomName
 */
export async function openRoom(page, roomName) {
  const u = ui(page);
  if (!(await u.rooms.isVisible())) await drawerToggle(page).first().click();
  await u.room(roomName).click();
  await u.messages.waitFor({ state: 'attached' });
  await u.message.waitFor();
}

/**
 * The text of each message in the Messages log (one child per message).
 * @param {import('playwright-core').Page} page
 * @returns {Promise<string[]>}
 */
export async function messageTexts(page) {
  return ui(page).messages.evaluate((log) => Array.from(log.children, (c) => /** @type {HTMLElement} */ (c).innerText));
}

/**
 * Wait until the Messages log shows a message containing `text`.
 * @param {import('playwright-core').Page} page @param {string} text
 */
export async function waitForMessage(page, text) {
  await ui(page).messages.getByText(text, { exact: false }).first().waitFor({ timeout: TIMEOUT });
}

/**
 * The Messages log's child (one per message) holding `text`.
 * @param {import('playwright-core').Page} page @param {string} text
 */
export const entry = (page, text) => ui(page).messages.locator(':scope > *').filter({ hasText: text });

/** How many messages of the log contain `text`. @param {string[]} texts @param {string} text */
export const occurrences = (texts, text) => texts.filter((t) => t.includes(text)).length;

/** The session cookie of a browser context, if any. @param {import('playwright-core').BrowserContext} context */
export async function sessionCookie(context) {
  return (await context.cookies()).find((c) => c.name === 'chat_session');
}

// --- images ---------------------------------------------------------------------------

/**
 * A w×h RGB PNG, each pixel's colour from `paint` (default: one grey), for
 * the server to decode and thumbnail.
 * @param {number} w @param {number} h
 * @param {(x: number, y: number) => [number, number, number]} [paint]
 */
export function png(w, h, paint = () => [0x5a, 0x5a, 0x5a]) {
  /** @param {string} type @param {Buffer} data */
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = Buffer.alloc(h * (1 + w * 3));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) rows.set(paint(x, y).map((c) => Math.max(0, Math.min(255, Math.round(c)))), y * (1 + w * 3) + 1 + x * 3);
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Uploads a PNG over REST as `user`; returns the file.
 * @param {Server} server @param {User} user @param {string} name @param {Buffer} bytes
 * @returns {Promise<{id: number}>}
 */
export async function uploadPng(server, user, name, bytes) {
  const r = await fetch(`${server.url}/api/v1/files?${new URLSearchParams({ name })}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'content-type': 'image/png' },
    body: bytes,
  });
  if (r.status !== 201) throw new Error(`upload ${name}: ${r.status} ${await r.text()}`);
  return (await r.json()).file;
}
