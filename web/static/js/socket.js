// The WebSocket gateway connection: waits for `ready`, sends `resume`,
// pings every 30 s, and reconnects with exponential backoff and jitter
// (0.5 s doubling to 30 s). The session cookie authenticates the upgrade.

/** @typedef {import('./types.js').ReadyFrame} ReadyFrame */
/** @typedef {import('./types.js').ClientFrame} ClientFrame */

const PING_EVERY_MS = 30_000;
const PONG_TIMEOUT_MS = 10_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;

/** @typedef {'connecting'|'online'|'offline'} LinkStatus */

/**
 * @typedef {object} SocketHooks
 * @property {(ready: ReadyFrame) => Record<string, number>} onReady  returns the resume map
 * @property {() => void} onResumed  after `resume` went out: time to resend the outbox
 * @property {(frame: any) => void} onFrame  every frame after `ready`
 * @property {(status: LinkStatus, retryInMs?: number) => void} onStatus
 * @property {() => void} onUnauthorized  close code 4001
 * @property {() => Promise<boolean>} stillLoggedIn  asked when the socket fails before `ready`
 */

/**
 * How long to wait before reconnect attempt `attempt` (0 first): a random
 * point in the upper half of a ceiling that doubles from 0.5 s to 30 s, so
 * pages cut off together do not all come back at the same moment.
 * @param {number} attempt
 * @param {number} [random]  in [0, 1)
 */
export function reconnectDelay(attempt, random = Math.random()) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + random * (ceiling / 2));
}

export function gatewayUrl() {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1/ws';
}

export class Gateway {
  /** @param {SocketHooks} hooks */
  constructor(hooks) {
    this.hooks = hooks;
    /** @type {WebSocket|null} */
    this.ws = null;
    this.ready = false;
    this.attempt = 0;
    this.stopped = true;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.retryTimer = undefined;
    /** @type {ReturnType<typeof setInterval>|undefined} */
    this.pingTimer = undefined;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.pongTimer = undefined;
    this.onBrowserOnline = () => {
      if (!this.stopped && !this.ws) this.connectNow();
    };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    window.addEventListener('online', this.onBrowserOnline);
    this.connectNow();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onBrowserOnline);
    clearTimeout(this.retryTimer);
    this.teardown();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, 'bye');
    }
  }

  /** Whether frames can go out now (connected, past `ready` and `resume`). */
  get isOpen() {
    return this.ready && this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /**
   * Sends a frame if the link is up; false otherwise (the caller queues).
   * @param {ClientFrame} frame
   */
  send(frame) {
    if (!this.isOpen || !this.ws) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  connectNow() {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.stopped) return;
    this.hooks.onStatus('connecting');
    let ws;
    try {
      ws = new WebSocket(gatewayUrl());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.ready = false;
    ws.addEventListener('message', (ev) => this.onMessage(ws, ev));
    ws.addEventListener('close', (ev) => this.onClose(ws, ev));
  }

  /**
   * @param {WebSocket} ws
   * @param {MessageEvent} ev
   */
  onMessage(ws, ev) {
    if (ws !== this.ws || typeof ev.data !== 'string') return;
    /** @type {any} */
    let frame;
    try {
      frame = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== 'string') return;
    if (!this.ready) {
      if (frame.type !== 'ready') {
        // e.g. an `error` frame before a 4029 close; the close handles it.
        this.hooks.onFrame(frame);
        return;
      }
      const resume = this.hooks.onReady(frame);
      ws.send(JSON.stringify({ type: 'resume', rooms: resume }));
      this.ready = true;
      this.attempt = 0;
      this.startHeartbeat(ws);
      this.hooks.onStatus('online');
      this.hooks.onResumed();
      return;
    }
    if (frame.type === 'pong') {
      clearTimeout(this.pongTimer);
      this.pongTimer = undefined;
      return;
    }
    this.hooks.onFrame(frame);
  }

  /**
   * @param {WebSocket} ws
   * @param {CloseEvent} ev
   */
  async onClose(ws, ev) {
    if (ws !== this.ws) return;
    const wasReady = this.ready;
    this.ws = null;
    this.ready = false;
    this.teardown();
    if (this.stopped) return;
    if (ev.code === 4001) {
      this.stopped = true;
      this.hooks.onUnauthorized();
      return;
    }
    if (!wasReady) {
      // A refused upgrade (401) looks like 1006 to a page; ask the REST API.
      let ok = true;
      try {
        ok = await this.hooks.stillLoggedIn();
      } catch {
        ok = true;
      }
      if (!ok) {
        this.stopped = true;
        this.hooks.onUnauthorized();
        return;
      }
    }
    if (ev.code === 4029) this.attempt = Math.max(this.attempt, 5);
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const delay = reconnectDelay(this.attempt);
    this.attempt += 1;
    this.hooks.onStatus('offline', delay);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connectNow(), delay);
  }

  /** @param {WebSocket} ws */
  startHeartbeat(ws) {
    this.teardown();
    this.pingTimer = setInterval(() => {
      if (ws !== this.ws || ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify({ type: 'ping' }));
      if (this.pongTimer === undefined) {
        this.pongTimer = setTimeout(() => {
          // No answer: treat the link as dead and reconnect.
          if (ws === this.ws) ws.close(4000, 'no pong');
          this.onClose(ws, new CloseEvent('close', { code: 1006 }));
        }, PONG_TIMEOUT_MS);
      }
    }, PING_EVERY_MS);
  }

  teardown() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = undefined;
    this.pongTimer = undefined;
  }
}
