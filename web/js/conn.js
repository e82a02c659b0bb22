// The WebSocket: connects with a fresh access token, reconnects with exponential backoff and
// jitter, and reports its state ('connecting', 'online', 'reconnecting'). Resuming rooms and
// re-sending queued messages is the app's job, on each 'online' (see main.js).

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

export class Connection {
  constructor(api, { onFrame, onState, onOpen }) {
    this.api = api;
    this.onFrame = onFrame;
    this.onState = onState;
    this.onOpen = onOpen;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.stopped = true;
    this.state = 'offline';
    window.addEventListener('online', () => this._retryNow());
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this._retryNow(); });
  }

  start() {
    this.stopped = false;
    this._connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000);
      this.ws = null;
    }
    this._setState('offline');
  }

  get open() {
    return this.ws?.readyState === WebSocket.OPEN && this.state === 'online';
  }

  /** Sends a frame now; false when not connected (the caller queues). */
  send(frame) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState?.(state, this);
  }

  _retryNow() {
    if (this.stopped || this.ws || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this._connect();
  }

  async _connect() {
    this.timer = null;
    if (this.stopped) return;
    this._setState(this.attempt === 0 && this.state !== 'reconnecting' ? 'connecting' : 'reconnecting');
    let token;
    try {
      token = await this.api.token(60_000);
    } catch (e) {
      if (e.status === 401) return; // logged out: the app shows the login screen
      return this._schedule();
    }
    if (this.stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/ws?token=${encodeURIComponent(token)}`);
    this.ws = ws;
    ws.onmessage = (ev) => {
      let frame;
      try { frame = JSON.parse(ev.data); } catch { return; }
      if (frame.type === 'hello') {
        this.attempt = 0;
        this.heartbeatMs = (frame.heartbeat_s || 30) * 1000;
        this._setState('online');
        this.onOpen?.(frame);
        return;
      }
      this.onFrame(frame);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      // 1008 "login revoked": the refresh decides whether the session still exists.
      if (ev.code === 1008) this.api.refresh().catch(() => {});
      this._schedule();
    };
  }

  _schedule() {
    if (this.stopped) return;
    this._setState('reconnecting');
    const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempt);
    this.attempt++;
    const delay = base / 2 + Math.random() * (base / 2);
    this.retryAt = Date.now() + delay;
    this.timer = setTimeout(() => this._connect(), delay);
  }
}
