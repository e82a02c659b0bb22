// Test harness for the Parley integration suite.
//
// Starts the REAL `parley` binary on loopback (port 0, fresh temp data dir), and offers small
// HTTP and WebSocket helpers. Every wait has a deadline; a timeout fails with what was received
// and with the tail of the server's output. Nothing here sleeps to synchronise: waits are for
// events (a log line, a frame, a close, a process exit) or bounded polls of an observable state.
//
// Environment:
//   PARLEY_BIN          path to the binary (ctest sets it); default <repo>/build/release/parley
//   PARLEY_TEST_LOGS=1  echo the servers' output live to stderr
//   PARLEY_KEEP_DATA=1  keep the temp data dirs (their paths are printed)

import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..', '..');
export const PARLEY_BIN = process.env.PARLEY_BIN
  ? path.resolve(process.env.PARLEY_BIN)
  : path.join(REPO_ROOT, 'build', 'release', 'parley');

export const STARTUP_TIMEOUT_MS = 20_000;
export const STOP_TIMEOUT_MS = 15_000;
export const FRAME_TIMEOUT_MS = 5_000;
export const HTTP_TIMEOUT_MS = 10_000;
const LOG_CAP = 2 * 1024 * 1024;

/** RFC 3339 UTC with milliseconds, e.g. 2026-11-22T23:45:01.123Z */
export const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: never leave a server or a temp dir behind, even when a test file crashes.

const liveServers = new Set();

process.on('exit', () => {
  for (const s of liveServers) {
    try { if (s.proc && s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL'); } catch {}
    if (!process.env.PARLEY_KEEP_DATA) {
      try { fs.rmSync(s.dataDir, { recursive: true, force: true }); } catch {}
    }
  }
});

// Interrupted (Ctrl-C, a runner cancelling the file): 'exit' above does not run for signals.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1)));
}

/** Tail of every live server's output, for failure messages. */
export function serverLogTail(chars = 3000) {
  const parts = [];
  for (const s of liveServers) {
    const l = s.logs();
    parts.push(`--- parley :${s.port} (${s.dataDir}) output tail ---\n${l.slice(-chars)}`);
  }
  return parts.join('\n');
}

export function withDeadline(promise, ms, what, extra = () => '') {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}\n${extra()}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a truthy value (which is returned) or the deadline passes.
 * For observable state that has no event (a REST view changing, a token expiring). The interval
 * is a poll period, not a synchronisation sleep: success is decided by the observed state.
 */
export async function waitFor(fn, { timeoutMs = 5000, intervalMs = 50, what = 'condition', diagnostics = () => serverLogTail() } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last result: ${describe(last)}\n${diagnostics()}`);
    }
    await delay(intervalMs);
  }
}

function describe(v) {
  if (v instanceof Error) return v.stack || String(v);
  try { return JSON.stringify(v)?.slice(0, 1000); } catch { return String(v); }
}

// ---------------------------------------------------------------------------------------------
// Server

function optionArgs(options) {
  const args = [];
  // Every test process registers and logs in many users from 127.0.0.1: the per-address auth
  // rate limit would throttle the suite itself, so it is lifted unless a test sets it.
  const opts = { 'password-hash-cost': 'minimum', 'auth-rate-burst': 100_000, 'auth-rate-per-s': 100_000, ...options };
  for (const [k, v] of Object.entries(opts)) {
    if (k === 'args' || k === 'env' || v === undefined || v === null || v === false) continue;
    const flag = '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    if (v === true) args.push(flag);
    else args.push(flag, String(v));
  }
  if (Array.isArray(options.args)) args.push(...options.args);
  return args;
}

/**
 * startServer({ 'heartbeat-s': 1, presenceGraceMs: 300, args: [...], env: { PARLEY_X: '1' } })
 * Option keys are the command-line flag names (kebab or camelCase); `--password-hash-cost minimum`
 * and a lifted auth rate limit are added unless overridden.
 */
export async function startServer(options = {}) {
  if (!fs.existsSync(PARLEY_BIN)) {
    throw new Error(`parley binary not found at ${PARLEY_BIN} (set PARLEY_BIN, or build the release preset)`);
  }
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'parley-it-'));
  if (process.env.PARLEY_KEEP_DATA) process.stderr.write(`[harness] data dir ${dataDir}\n`);
  const server = new Server(dataDir, options);
  liveServers.add(server);
  try {
    await server._spawn(0);
  } catch (e) {
    await server.dispose();
    throw e;
  }
  return server;
}

class Server {
  constructor(dataDir, options) {
    this.dataDir = dataDir;
    this.options = options;
    this.proc = null;
    this.port = 0;
    this._log = '';
    this._exit = null; // promise of {code, signal} for the current process
  }

  get tls() { return !!this.options['tls-cert']; }
  get baseUrl() { return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`; }
  get wsUrl() { return `${this.tls ? 'wss' : 'ws'}://127.0.0.1:${this.port}`; }
  logs() { return this._log; }
  get running() { return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null; }

  _append(text) {
    this._log += text;
    if (this._log.length > LOG_CAP) this._log = this._log.slice(-LOG_CAP);
    if (process.env.PARLEY_TEST_LOGS) process.stderr.write(text);
  }

  async _spawn(port) {
    const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', this.dataDir, ...optionArgs(this.options)];
    this._append(`[harness] $ ${PARLEY_BIN} ${args.join(' ')}\n`);
    const env = { ...process.env, ...(this.options.env || {}) };
    const proc = spawn(PARLEY_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.proc = proc;
    const exit = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this._append(`[harness] parley exited code=${code} signal=${signal}\n`);
        resolve({ code, signal });
      });
      proc.on('error', (err) => {
        this._append(`[harness] spawn error: ${err.message}\n`);
        resolve({ code: null, signal: null, error: err });
      });
    });
    this._exit = exit;

    const listening = new Promise((resolve) => {
      const re = /listening on [^\s:]+:(\d+)/;
      for (const stream of [proc.stdout, proc.stderr]) {
        let buf = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk) => {
          this._append(chunk);
          buf += chunk;
          const m = re.exec(buf);
          if (m) { resolve(Number(m[1])); buf = ''; }
          if (buf.length > 65536) buf = buf.slice(-1024);
        });
      }
    });

    const outcome = await withDeadline(
      Promise.race([listening.then((p) => ({ port: p })), exit.then((e) => ({ exited: e }))]),
      STARTUP_TIMEOUT_MS,
      `parley to log "listening on 127.0.0.1:PORT"`,
      () => `server output:\n${this._log}`,
    ).catch(async (e) => {
      proc.kill('SIGKILL');
      await exit;
      throw e;
    });
    if (outcome.exited) {
      const err = new Error(`parley exited before listening (code=${outcome.exited.code} signal=${outcome.exited.signal})\nserver output:\n${this._log}`);
      err.exited = outcome.exited;
      throw err;
    }
    this.port = outcome.port;
    return this.port;
  }

  /** Sends `signal` and waits for the exit; returns {code, signal}. Does not remove the data dir. */
  async stop(signal = 'SIGTERM', timeoutMs = STOP_TIMEOUT_MS) {
    if (!this.proc) return null;
    if (this.running) this.proc.kill(signal);
    try {
      return await withDeadline(this._exit, timeoutMs, `parley to exit after ${signal}`, () => `server output:\n${this._log.slice(-5000)}`);
    } catch (e) {
      this.proc.kill('SIGKILL');
      await this._exit;
      throw e;
    }
  }

  /** SIGKILL, no chance to flush anything. */
  kill9() { return this.stop('SIGKILL'); }

  /** Waits for the process to exit by itself (e.g. after a signal sent elsewhere). */
  waitExit(timeoutMs = STOP_TIMEOUT_MS) {
    return withDeadline(this._exit, timeoutMs, 'parley to exit', () => `server output:\n${this._log.slice(-5000)}`);
  }

  /** Starts again on the same data dir; same port if it is still free, else a new one (see .port). */
  async restart() {
    if (this.running) await this.stop('SIGTERM');
    const oldPort = this.port;
    try {
      await this._spawn(oldPort);
    } catch (e) {
      if (!e.exited) throw e;
      this._append(`[harness] port ${oldPort} not reusable, restarting on a fresh port\n`);
      await this._spawn(0);
    }
    return this.port;
  }

  /** Stops (SIGTERM, then SIGKILL) and removes the data dir. Safe to call twice. */
  async dispose() {
    try {
      if (this.running) await this.stop('SIGTERM').catch(() => this.stop('SIGKILL'));
    } finally {
      liveServers.delete(this);
      if (!process.env.PARLEY_KEEP_DATA) await fsp.rm(this.dataDir, { recursive: true, force: true }).catch(() => {});
    }
  }

  // -- conveniences bound to this server
  api(method, p, body, token, opts) { return api(this.baseUrl, method, p, body, token, opts); }
  registerUser(prefix) { return registerUser(this.baseUrl, prefix); }
  /** connectWs('/ws', token) or connectWs('/ws/chat/7?since_seq=3', token) */
  connectWs(p, token, opts = {}) {
    const sep = p.includes('?') ? '&' : '?';
    const url = token ? `${this.wsUrl}${p}${sep}token=${encodeURIComponent(token)}` : `${this.wsUrl}${p}`;
    return connectWs(url, opts);
  }
  tryUpgrade(p, headers) { return tryUpgrade(this.baseUrl, p, headers); }
  /** `user`'s /ws/chat/{room} connection, once its `joined` arrived. */
  async chatWs(room, user) {
    const ws = await this.connectWs(`/ws/chat/${room.id}`, user.token);
    await ws.next('joined');
    return ws;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

/**
 * api(baseUrl, method, path, body, token) -> {status, headers, json, text}
 * body: object (sent as JSON), string or Buffer (sent raw), undefined (no body).
 * opts.headers: extra/override headers; opts.ca: CA certificates (PEM) trusted for https. A fresh connection per request (no stale keep-alive
 * sockets across server restarts).
 */
export function api(baseUrl, method, p, body, token, opts = {}) {
  const url = new URL(p, baseUrl);
  const headers = { Accept: 'application/json' };
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' || Buffer.isBuffer(body) ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  Object.assign(headers, opts.headers || {});
  for (const [k, v] of Object.entries(headers)) if (v === undefined) delete headers[k];
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, { method, headers, agent: false, ca: opts.ca, timeout: opts.timeoutMs ?? HTTP_TIMEOUT_MS }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = text.length ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, json, text });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`HTTP ${method} ${p} timed out after ${opts.timeoutMs ?? HTTP_TIMEOUT_MS} ms`)));
    req.on('error', (e) => reject(new Error(`HTTP ${method} ${p} failed: ${e.message}\n${serverLogTail(1500)}`)));
    if (payload) req.write(payload);
    req.end();
  });
}

/** Asserts the status, showing the body when it does not match. Returns res. */
export function expectStatus(res, status, what = '') {
  assert.equal(res.status, status, `${what} expected HTTP ${status}, got ${res.status}: ${res.text?.slice(0, 500)}`);
  return res;
}

/** Asserts an error reply: status + {"error":{"code", "message"}}. */
export function expectError(res, status, code, what = '') {
  expectStatus(res, status, what);
  assert.ok(res.json && typeof res.json === 'object', `${what} error body is not JSON: ${res.text}`);
  assert.ok(res.json.error && typeof res.json.error === 'object', `${what} no "error" object: ${res.text}`);
  if (code) assert.equal(res.json.error.code, code, `${what} error code: ${res.text}`);
  assert.equal(typeof res.json.error.message, 'string', `${what} error.message must be a string: ${res.text}`);
  return res;
}

export function uniqueName(prefix = 'u') {
  return `${prefix.slice(0, 12)}_${randomBytes(6).toString('hex')}`;
}

/** Registers a fresh user: {id, username, password, token, refresh, body}. */
export async function registerUser(baseUrl, prefix = 'u') {
  const username = uniqueName(prefix);
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const res = await api(baseUrl, 'POST', '/api/auth/register', { username, password });
  expectStatus(res, 201, `register ${username}:`);
  return {
    id: res.json.user.id,
    username: res.json.user.username,
    password,
    token: res.json.access_token,
    refresh: res.json.refresh_token,
    body: res.json,
  };
}

/**
 * Raw WebSocket upgrade request. Resolves {status, headers, body, socket?}: status 101 when the
 * server accepted (the socket is destroyed), or the refusal's status and body.
 */
export function tryUpgrade(baseUrl, p, headers = {}) {
  const url = new URL(p, baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'GET',
      agent: false,
      timeout: HTTP_TIMEOUT_MS,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(body); } catch {}
        resolve({ status: res.statusCode, headers: res.headers, body, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`upgrade ${p} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// WebSocket client

function toPredicate(pred) {
  if (typeof pred === 'function') return pred;
  if (typeof pred === 'string') return (f) => f.type === pred;
  if (pred && typeof pred === 'object') {
    return (f) => Object.entries(pred).every(([k, v]) => f[k] === v);
  }
  throw new TypeError('predicate must be a function, a type string or an object of fields');
}

function predText(pred) {
  if (typeof pred === 'function') return pred.toString().slice(0, 200);
  return JSON.stringify(pred);
}

export class WsClient {
  constructor(ws, url) {
    this.ws = ws;
    this.url = url;
    this.frames = [];   // every frame received, in order (parsed JSON, or {__raw} when not JSON)
    this.queue = [];    // frames not consumed by next()
    this.waiters = [];
    this.watchers = new Set(); // non-consuming observers (expectNoFrame)
    this.pings = 0;
    this.pingWaiters = [];
    this.closeInfo = null;
    this.errors = [];
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error(`connection closed (code ${code} "${this.closeInfo.reason}") while waiting for a frame matching ${predText(w.pred)}\n${this.dump()}`));
        }
        resolve(this.closeInfo);
      });
    });
    ws.on('error', (e) => this.errors.push(e));
    ws.on('ping', () => {
      this.pings++;
      for (const w of this.pingWaiters.splice(0)) w();
    });
    ws.on('message', (data, isBinary) => this._onFrame(data, isBinary));
  }

  _onFrame(data, isBinary) {
    let frame;
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data).toString('utf8');
    try { frame = JSON.parse(text); } catch { frame = { __raw: text, __binary: isBinary }; }
    if (frame === null || typeof frame !== 'object') frame = { __raw: text, __nonobject: true };
    frame.__at = Date.now();
    this.frames.push(frame);
    for (const w of this.watchers) w(frame);
    const i = this.waiters.findIndex((w) => safeMatch(w.fn, frame));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w.timer);
      w.resolve(frame);
    } else {
      this.queue.push(frame);
    }
  }

  dump(max = 40) {
    const shown = this.frames.slice(-max).map((f) => '  ' + JSON.stringify(stripMeta(f)).slice(0, 300));
    return `frames received on ${this.url.replace(/token=[^&]+/, 'token=…')} (${this.frames.length} total, last ${shown.length}):\n${shown.join('\n') || '  (none)'}${this.closeInfo ? `\n  [closed ${this.closeInfo.code} "${this.closeInfo.reason}"]` : ''}`;
  }

  /** Next not-yet-consumed frame matching pred (function, type string, or {field: value}); consumes it. */
  next(pred = () => true, timeoutMs = FRAME_TIMEOUT_MS) {
    const fn = toPredicate(pred);
    const i = this.queue.findIndex((f) => safeMatch(fn, f));
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    if (this.closeInfo) {
      return Promise.reject(new Error(`connection already closed (code ${this.closeInfo.code}); no frame matching ${predText(pred)}\n${this.dump()}`));
    }
    return new Promise((resolve, reject) => {
      const w = { fn, pred, resolve, reject };
      w.timer = setTimeout(() => {
        const idx = this.waiters.indexOf(w);
        if (idx >= 0) this.waiters.splice(idx, 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a frame matching ${predText(pred)}\n${this.dump()}\n${serverLogTail(1500)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Asserts that no frame matching pred is pending or arrives within `ms` (the window is the assertion). */
  async expectNoFrame(pred, ms = 500) {
    assert.ok(ms <= 1500, 'absence windows must stay short');
    const fn = toPredicate(pred);
    const pending = this.queue.find((f) => safeMatch(fn, f));
    assert.equal(pending, undefined, `unexpected frame ${JSON.stringify(pending && stripMeta(pending))}\n${this.dump()}`);
    let hit;
    const watcher = (f) => { if (!hit && safeMatch(fn, f)) hit = f; };
    this.watchers.add(watcher);
    await delay(ms);
    this.watchers.delete(watcher);
    assert.equal(hit, undefined, `unexpected frame within ${ms} ms: ${JSON.stringify(hit && stripMeta(hit))}\n${this.dump()}`);
  }

  /** Removes all pending (unconsumed) frames, returning them. */
  drain() { return this.queue.splice(0); }

  send(obj) { this.ws.send(JSON.stringify(obj)); }
  /** Raw text or buffer. opts.binary: send as a binary frame (default: text frame, bytes unchecked). */
  sendRaw(data, opts = {}) { this.ws.send(data, { binary: !!opts.binary }); }

  /** Sends a chat message with a fresh client_id and resolves with its ack (rejects on an error frame for it). */
  async sendMessage(roomId, content, extra = {}, timeoutMs = FRAME_TIMEOUT_MS) {
    const client_id = extra.client_id ?? randomUUID();
    this.send({ type: 'message', room_id: roomId, content, ...extra, client_id });
    const f = await this.next((x) => (x.type === 'ack' || x.type === 'error') && (x.client_id === client_id || x.ref === client_id), timeoutMs);
    if (f.type === 'error') throw new Error(`message rejected: ${JSON.stringify(stripMeta(f))}`);
    return f;
  }

  /** Resolves at the next protocol-level ping from the server. */
  nextPing(timeoutMs = FRAME_TIMEOUT_MS) {
    return withDeadline(new Promise((r) => this.pingWaiters.push(r)), timeoutMs, 'a WebSocket ping from the server', () => this.dump());
  }

  /** Resolves {code, reason} once closed, failing after the deadline. */
  waitClosed(timeoutMs = FRAME_TIMEOUT_MS) {
    return withDeadline(this.closed, timeoutMs, 'the connection to close', () => `${this.dump()}\n${serverLogTail(1500)}`);
  }

  /** Closes (normal closure) and waits for the close to complete; terminates if it does not. */
  async close(code = 1000, reason = '') {
    if (this.closeInfo) return this.closeInfo;
    try { this.ws.close(code, reason); } catch {}
    try {
      return await withDeadline(this.closed, 3000, 'close handshake');
    } catch {
      this.ws.terminate();
      return this.closed;
    }
  }

  terminate() { this.ws.terminate(); return this.closed; }
  get isOpen() { return this.ws.readyState === WebSocket.OPEN; }
}

function safeMatch(fn, f) {
  try { return !!fn(f); } catch { return false; }
}

export function stripMeta(f) {
  if (!f || typeof f !== 'object') return f;
  const { __at, ...rest } = f;
  return rest;
}

/**
 * Opens a WebSocket and resolves a WsClient once open. A refused upgrade rejects with an Error
 * carrying .status (HTTP status) and .body. opts: headers, autoPong (default true), timeoutMs, ca (PEM, wss).
 */
export function connectWs(url, opts = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: opts.headers,
      autoPong: opts.autoPong ?? true,
      perMessageDeflate: false, // frame sizes on the wire are what we wrote
      handshakeTimeout: opts.timeoutMs ?? HTTP_TIMEOUT_MS,
      maxPayload: 16 * 1024 * 1024,
      ca: opts.ca,
    });
    // Built before 'open' so that frames sent right after the upgrade are not missed.
    const client = new WsClient(ws, url);
    let settled = false;
    ws.once('open', () => { settled = true; resolve(client); });
    ws.once('unexpected-response', (req, res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        settled = true;
        const body = Buffer.concat(chunks).toString('utf8');
        const err = new Error(`WebSocket upgrade refused with HTTP ${res.statusCode}: ${body.slice(0, 300)}`);
        err.status = res.statusCode;
        err.body = body;
        try { err.json = JSON.parse(body); } catch {}
        req.destroy();
        reject(err);
      });
    });
    ws.once('error', (e) => { if (!settled) { settled = true; reject(new Error(`WebSocket ${url.replace(/token=[^&]+/, 'token=…')} failed: ${e.message}\n${serverLogTail(1500)}`)); } });
  });
}

// ---------------------------------------------------------------------------------------------
// Shape checks (PROTOCOL.md)

export function isPosInt(v) { return Number.isSafeInteger(v) && v > 0; }

export function assertTimestamp(v, what = 'timestamp') {
  assert.equal(typeof v, 'string', `${what} must be a string, got ${JSON.stringify(v)}`);
  assert.match(v, RFC3339_MS, `${what} must be RFC 3339 UTC with milliseconds`);
  assert.ok(!Number.isNaN(Date.parse(v)), `${what} must parse`);
}

export const MESSAGE_TYPES = ['text', 'image', 'video', 'audio', 'document', 'file'];

/** Message object (REST) or the flat fields of a `message` frame. */
export function assertMessageShape(m, what = 'message') {
  const s = JSON.stringify(stripMeta(m));
  assert.ok(m && typeof m === 'object', `${what} is not an object`);
  assert.ok(isPosInt(m.id), `${what}.id must be a positive integer: ${s}`);
  assert.ok(isPosInt(m.seq), `${what}.seq must be a positive integer: ${s}`);
  assert.ok(isPosInt(m.room_id), `${what}.room_id must be a positive integer: ${s}`);
  assert.equal(typeof m.sender, 'string', `${what}.sender: ${s}`);
  assert.ok(isPosInt(m.sender_id), `${what}.sender_id must be a positive integer: ${s}`);
  assert.equal(typeof m.content, 'string', `${what}.content: ${s}`);
  assertTimestamp(m.timestamp, `${what}.timestamp`);
  assert.ok('edited_at' in m, `${what}.edited_at missing: ${s}`);
  if (m.edited_at !== null) assertTimestamp(m.edited_at, `${what}.edited_at`);
  assert.equal(typeof m.deleted, 'boolean', `${what}.deleted: ${s}`);
  assert.ok(MESSAGE_TYPES.includes(m.message_type), `${what}.message_type: ${s}`);
  assert.ok('attachment' in m, `${what}.attachment missing: ${s}`);
  assert.ok(m.attachment === null || typeof m.attachment === 'object', `${what}.attachment: ${s}`);
  assert.ok('client_id' in m, `${what}.client_id missing: ${s}`);
  assert.ok(m.client_id === null || typeof m.client_id === 'string', `${what}.client_id: ${s}`);
}

export function assertRoomShape(r, what = 'room') {
  const s = JSON.stringify(r);
  assert.ok(r && typeof r === 'object', `${what} is not an object`);
  assert.ok(isPosInt(r.id), `${what}.id: ${s}`);
  assert.equal(typeof r.name, 'string', `${what}.name: ${s}`);
  assert.equal(typeof r.private, 'boolean', `${what}.private: ${s}`);
  assert.ok(isPosInt(r.created_by), `${what}.created_by must be a user id: ${s}`);
  assertTimestamp(r.created_at, `${what}.created_at`);
  assert.ok(Number.isSafeInteger(r.member_count) && r.member_count >= 0, `${what}.member_count: ${s}`);
  assert.ok(Number.isSafeInteger(r.online_count) && r.online_count >= 0, `${what}.online_count: ${s}`);
  assert.equal(typeof r.joined, 'boolean', `${what}.joined: ${s}`);
  assert.ok(Number.isSafeInteger(r.last_seq) && r.last_seq >= 0, `${what}.last_seq: ${s}`);
  assert.ok('last_message' in r, `${what}.last_message missing: ${s}`);
  if (r.last_message !== null) assertMessageShape(r.last_message, `${what}.last_message`);
}

/** Message fields of a message_updated frame: flat beside `type` like `message` frames, or nested under `message`. */
export function messageOf(frame) {
  return frame && frame.message && typeof frame.message === 'object' ? frame.message : frame;
}

/** Decodes a JWT's header and payload (no verification). */
export function decodeJwt(token) {
  const parts = token.split('.');
  assert.equal(parts.length, 3, 'a JWT has three parts');
  const dec = (p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  return { header: dec(parts[0]), payload: dec(parts[1]) };
}

// ---------------------------------------------------------------------------------------------
// Small scenario helpers

/** Creates a room as `user` ({token}); returns the room object (201 asserted). */
export async function createRoom(srv, user, { name, private: priv = false } = {}) {
  const res = await srv.api('POST', '/api/rooms', { name: name ?? uniqueName('room'), private: priv }, user.token);
  expectStatus(res, 201, 'create room:');
  return res.json;
}

/** Joins a public room by id (200 asserted); returns the room object. */
export async function joinRoom(srv, user, roomId) {
  const res = await srv.api('POST', `/api/rooms/${roomId}/join`, undefined, user.token);
  expectStatus(res, 200, `join room ${roomId}:`);
  return res.json;
}

/** Two fresh users: A creates a public room and B joins it over REST. {a, b, room} */
export async function twoMembers(srv, prefixA = 'a', prefixB = 'b') {
  const a = await srv.registerUser(prefixA);
  const b = await srv.registerUser(prefixB);
  const room = await createRoom(srv, a);
  await joinRoom(srv, b, room.id);
  return { a, b, room };
}

/** Posts a message over REST (201 asserted); returns the message object. */
export async function postMessage(srv, user, roomId, content, extra = {}) {
  const res = await srv.api('POST', '/api/messages', { room_id: roomId, content, ...extra }, user.token);
  expectStatus(res, 201, 'post message:');
  return res.json;
}

/** Full history of a room via since_seq paging (ascending). */
export async function fullHistory(srv, user, roomId) {
  const out = [];
  let since = 0;
  for (;;) {
    const res = await srv.api('GET', `/api/messages?room_id=${roomId}&since_seq=${since}&limit=200`, undefined, user.token);
    expectStatus(res, 200, 'history:');
    out.push(...res.json.messages);
    if (!res.json.has_more || res.json.messages.length === 0) return out;
    since = res.json.messages[res.json.messages.length - 1].seq;
  }
}
