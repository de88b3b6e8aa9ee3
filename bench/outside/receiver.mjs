// A second, independent receiver for chat-bench's end-to-end scenario:
// Node.js and its own WebSocket client (undici's), on its own runtime and
// in its own process, so the latency it reports is what a client written
// without chat's code and crates sees.
//
// chat-bench writes one JSON line to stdin:
//   {"url": "ws://127.0.0.1:18100/api/v1/ws", "tokens": ["..."], "total": 5000}
// This opens one listen-only socket per token (`?resume=false`, the token
// in an `auth` first frame, as a browser must), prints `ready` when every
// socket has had its `ready` frame, then parses every frame in full (as a
// typical client does) and takes the latency of each `message.created`
// from the sender's wall-clock microseconds in the body. When every socket
// has seen `total` messages, or none has arrived for 10 s, it prints one
// JSON line: {"delivered", "p50_us", "p99_us", "max_us", "cpu_us"}.
//
// Run by chat-bench (`scripts/bench --only e2e`); needs Node.js 20.10 or
// later (`--experimental-websocket` on 20, built in from 22).

import { createInterface } from 'node:readline';

if (typeof WebSocket === 'undefined') {
  console.error('receiver.mjs: this Node.js has no WebSocket (run it with --experimental-websocket, Node 20.10 or later)');
  process.exit(2);
}

const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

const input = await new Promise((resolve) => {
  createInterface({ input: process.stdin }).once('line', resolve);
});
const { url, tokens, total } = JSON.parse(input);

const latencies = [];
let delivered = 0;
let finished = 0;
let lastArrival = Date.now();
let cpuStart;

/** Opens one socket; resolves once its `ready` frame has come. */
function open(token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?resume=false`);
    let got = 0;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token }));
    ws.onerror = () => reject(new Error('socket error'));
    ws.onclose = (e) => reject(new Error(`socket closed: ${e.code} ${e.reason}`));
    ws.onmessage = (e) => {
      const frame = JSON.parse(e.data);
      if (frame.type === 'ready') {
        resolve(ws);
      } else if (frame.type === 'message.created') {
        const sent = Number(frame.message.body);
        if (Number.isFinite(sent)) latencies.push(Math.max(1, nowMicros() - sent));
        delivered += 1;
        lastArrival = Date.now();
        got += 1;
        if (got === total) {
          finished += 1;
          if (finished === tokens.length) report();
        }
      }
    };
  });
}

function report() {
  const cpu = process.cpuUsage(cpuStart);
  latencies.sort((a, b) => a - b);
  const at = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : 0);
  console.log(JSON.stringify({
    delivered,
    p50_us: at(0.5),
    p99_us: at(0.99),
    max_us: at(1),
    cpu_us: cpu.user + cpu.system,
  }));
  process.exit(0);
}

const sockets = [];
for (const token of tokens) sockets.push(await open(token));
for (const ws of sockets) ws.onclose = null;
cpuStart = process.cpuUsage();
lastArrival = Date.now();
console.log('ready');
setInterval(() => {
  if (Date.now() - lastArrival > 10_000) report();
}, 500);
