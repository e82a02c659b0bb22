// The server's own WebSocket transport (src/ws/frame.*, ws_transport.cpp) at the byte level:
// handshake refusals, frames sent right behind the upgrade, fragmentation, control frames,
// the closing handshake, protocol errors, and the heartbeat that pings and drops.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { startServer, registerUser, withDeadline } from './lib/harness.mjs';

const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

/** A masked client frame. */
function frame(opcode, payload, { fin = true, masked = true } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = [(fin ? 0x80 : 0) | opcode];
  const maskBit = masked ? 0x80 : 0;
  if (data.length < 126) head.push(maskBit | data.length);
  else head.push(maskBit | 126, data.length >> 8, data.length & 0xff);
  const key = randomBytes(4);
  const body = Buffer.from(data);
  if (masked) for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), masked ? key : Buffer.alloc(0), body]);
}

/** A WebSocket client on a raw socket: sends exactly the bytes a test builds, parses what comes back. */
class RawWs {
  static open(port, path, { extraHeaders = {}, after = Buffer.alloc(0) } = {}) {
    const key = randomBytes(16).toString('base64');
    const headers = { Host: `127.0.0.1:${port}`, Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', ...extraHeaders };
    const request = `GET ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
    const ws = new RawWs(net.connect(port, '127.0.0.1'));
    ws.socket.on('connect', () => ws.socket.write(Buffer.concat([Buffer.from(request), after])));
    return ws;
  }

  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.status = null; // HTTP status of the handshake reply
    this.headers = '';
    this.frames = []; // {opcode, payload: Buffer}
    this.closed = false;
    this.waiters = new Set();
    socket.on('data', (d) => { this.buffer = Buffer.concat([this.buffer, d]); this.parse(); this.wake(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => {});
  }

  parse() {
    if (this.status === null) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.headers = this.buffer.subarray(0, end).toString('latin1');
      this.status = Number(this.headers.split(' ')[1]);
      this.buffer = this.buffer.subarray(end + 4);
      if (this.status !== 101) return;
    }
    for (;;) {
      if (this.buffer.length < 2) return;
      assert.equal(this.buffer[1] & 0x80, 0, 'server frames are never masked');
      let length = this.buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) { if (this.buffer.length < 4) return; length = this.buffer.readUInt16BE(2); offset = 4; }
      else if (length === 127) { if (this.buffer.length < 10) return; length = Number(this.buffer.readBigUInt64BE(2)); offset = 10; }
      if (this.buffer.length < offset + length) return;
      this.frames.push({ opcode: this.buffer[0] & 0x0f, fin: (this.buffer[0] & 0x80) !== 0, payload: this.buffer.subarray(offset, offset + length) });
      this.buffer = this.buffer.subarray(offset + length);
    }
  }

  wake() { for (const w of this.waiters) w(); }

  /** Resolves once pred(this) is true; rejects after the deadline. */
  until(pred, what, timeoutMs = 5000) {
    return withDeadline(new Promise((resolve) => {
      const check = () => { if (pred(this)) { this.waiters.delete(check); resolve(); } };
      this.waiters.add(check);
      check();
    }), timeoutMs, what, () => `frames: ${JSON.stringify(this.frames.map((f) => [f.opcode, f.payload.toString()]))} closed=${this.closed}`);
  }

  json(type) { return this.frames.filter((f) => f.opcode === OP.text).map((f) => JSON.parse(f.payload)).filter((j) => j.type === type); }
  closeFrame() { return this.frames.find((f) => f.opcode === OP.close); }
  send(bytes) { this.socket.write(bytes); }
  destroy() { this.socket.destroy(); }
}

const closeCode = (f) => (f && f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null);

describe('WebSocket transport', { timeout: 60_000 }, () => {
  let srv;
  let user;
  before(async () => {
    srv = await startServer({ 'heartbeat-s': 1, 'max-frame-bytes': 2048 });
    user = await registerUser(srv.baseUrl, 'raw');
  });
  after(async () => { await srv?.dispose(); });
  const path = () => `/ws?token=${encodeURIComponent(user.token)}`;

  it('accepts the upgrade with the RFC 6455 accept key and sends hello', async () => {
    const ws = RawWs.open(srv.port, path());
    try {
      await ws.until((w) => w.json('hello').length === 1, 'hello');
      assert.equal(ws.status, 101);
      assert.match(ws.headers, /^Sec-WebSocket-Accept: [A-Za-z0-9+/]{27}=$/mi);
    } finally { ws.destroy(); }
  });

  it('refuses another protocol version with 426 and a bad key with 400', async () => {
    const old = RawWs.open(srv.port, path(), { extraHeaders: { 'Sec-WebSocket-Version': '8' } });
    const badKey = RawWs.open(srv.port, path(), { extraHeaders: { 'Sec-WebSocket-Key': 'not-a-key' } });
    try {
      await old.until((w) => w.status !== null, '426');
      assert.equal(old.status, 426);
      assert.match(old.headers, /^Sec-WebSocket-Version: 13$/mi);
      await badKey.until((w) => w.status !== null, '400');
      assert.equal(badKey.status, 400);
    } finally { old.destroy(); badKey.destroy(); }
  });

  it('reads frames sent in the same packet as the upgrade request', async () => {
    const ws = RawWs.open(srv.port, path(), { after: frame(OP.text, '{"type":"ping"}') });
    try {
      await ws.until((w) => w.json('pong').length === 1, 'pong for the early ping');
    } finally { ws.destroy(); }
  });

  it('reassembles a fragmented message and answers a ping sent between its fragments', async () => {
    const ws = RawWs.open(srv.port, path());
    try {
      await ws.until((w) => w.json('hello').length === 1, 'hello');
      ws.send(Buffer.concat([
        frame(OP.text, '{"type"', { fin: false }),
        frame(OP.ping, 'mid-message'),
        frame(OP.continuation, ':"pi', { fin: false }),
        frame(OP.continuation, 'ng"}'),
      ]));
      await ws.until((w) => w.json('pong').length === 1, 'pong for the reassembled ping');
      const pong = ws.frames.find((f) => f.opcode === OP.pong);
      assert.equal(pong?.payload.toString(), 'mid-message', 'the control pong echoes the ping payload');
      assert.ok(ws.frames.indexOf(pong) < ws.frames.findIndex((f) => f.opcode === OP.text && f.payload.includes('pong')));
    } finally { ws.destroy(); }
  });

  it('answers a client close with the same code, then closes the connection', async () => {
    const ws = RawWs.open(srv.port, path());
    try {
      await ws.until((w) => w.json('hello').length === 1, 'hello');
      ws.send(frame(OP.close, Buffer.concat([Buffer.from([0x0f, 0xa1]), Buffer.from('bye')]))); // 4001
      await ws.until((w) => w.closed, 'the server to close the TCP connection');
      assert.equal(closeCode(ws.closeFrame()), 4001);
    } finally { ws.destroy(); }
  });

  for (const [what, bytes, code] of [
    ['an unmasked frame', () => frame(OP.text, '{"type":"ping"}', { masked: false }), 1002],
    ['a message over max-frame-bytes (announced in its header)', () => frame(OP.text, 'x'.repeat(2049)).subarray(0, 8), 1009],
    ['text that is not UTF-8', () => frame(OP.text, Buffer.from([0x22, 0xc3, 0x22])), 1007],
    ['an unknown opcode', () => frame(3, 'x'), 1002],
  ]) {
    it(`closes the connection for ${what} with ${code}`, async () => {
      const ws = RawWs.open(srv.port, path());
      try {
        await ws.until((w) => w.json('hello').length === 1, 'hello');
        ws.send(bytes());
        await ws.until((w) => w.closeFrame() !== undefined && w.closed, `close ${code}`);
        assert.equal(closeCode(ws.closeFrame()), code);
      } finally { ws.destroy(); }
    });
  }

  it('pings a quiet client every heartbeat and keeps it while it answers', async () => {
    const ws = RawWs.open(srv.port, path());
    try {
      let answered = 0;
      // Answer each ping with a pong, as every WebSocket client does; 3 rounds > 2 heartbeats.
      await ws.until((w) => {
        const pings = w.frames.filter((f) => f.opcode === OP.ping).length;
        while (answered < pings) { w.send(frame(OP.pong, '')); answered++; }
        return pings >= 3;
      }, 'three heartbeat pings', 8000);
      assert.equal(ws.closed, false, 'a client answering pings stays connected');
    } finally { ws.destroy(); }
  });

  it('drops a client that stops answering within two heartbeats (and a bit)', async () => {
    const ws = RawWs.open(srv.port, path());
    try {
      await ws.until((w) => w.json('hello').length === 1, 'hello');
      const silentSince = Date.now();
      await ws.until((w) => w.closed, 'the server to drop the silent client', 6000);
      const took = Date.now() - silentSince;
      assert.ok(took >= 1500, `dropped after ${took} ms, before two heartbeats of 1 s`);
      assert.ok(ws.frames.some((f) => f.opcode === OP.ping), 'it was pinged first');
    } finally { ws.destroy(); }
  });
});
