// Parley's web client: the app's state, what each server frame does to it, and the actions the
// views call. Views (auth.js, rooms.js, chat.js, call.js) render from `app.state`.
import { Api, ApiError } from './api.js';
import { Connection } from './conn.js';
import { CallManager } from './call.js';
import { renderAuth } from './auth.js';
import { renderRooms } from './rooms.js';
import { ChatView } from './chat.js';
import { h, clear, randomId } from './util.js';

const TYPING_LOCAL_TTL_MS = 8000;
const PAGE = 50;

class App {
  constructor() {
    this.api = new Api({ onLoggedOut: () => this.showAuth('Your session has ended. Please log in again.') });
    this.conn = new Connection(this.api, {
      onFrame: (f) => this.onFrame(f),
      onState: (s) => this.onConnState(s),
      onOpen: () => this.onOpen(),
    });
    this.calls = new CallManager(this);
    this.state = this.emptyState();
    this.renderQueued = false;
    document.addEventListener('visibilitychange', () => {
      this.sendStatus(document.hidden ? 'away' : 'online');
      this.maybeSendRead();
    });
    window.addEventListener('hashchange', () => this.followHash());
    setInterval(() => { if (this.state.me && this.conn.open) this.loadRooms().catch(() => {}); }, 60_000);
  }

  emptyState() {
    return { me: null, rooms: new Map(), current: null, conn: 'offline', pending: [], paneMembers: false };
  }

  // ------------------------------------------------------------------ session

  async boot() {
    if (this.api.hasStoredLogin) {
      try {
        const me = await this.api.restore();
        if (me) return this.enter(me);
      } catch (e) {
        if (!(e instanceof ApiError) || e.status === 401) return this.showAuth();
        // The server is unreachable: keep the login and retry.
        clear(document.getElementById('app'), h('p', { class: 'boot' }, 'Cannot reach the server. Retrying…'));
        return setTimeout(() => this.boot(), 2000);
      }
    }
    this.showAuth();
  }

  showAuth(message) {
    this.conn.stop();
    this.calls.hangUp(false);
    this.state = this.emptyState();
    this.chat = null;
    document.getElementById('conn-banner').hidden = true;
    renderAuth(document.getElementById('app'), {
      message,
      submit: async (mode, username, password) => {
        const me = mode === 'register' ? await this.api.register(username, password) : await this.api.login(username, password);
        this.enter(me);
      },
    });
  }

  async enter(me) {
    this.state = this.emptyState();
    this.state.me = me;
    const root = document.getElementById('app');
    this.layout = {
      sidebar: h('nav', { class: 'sidebar', 'aria-label': 'Rooms' }),
      main: h('section', { class: 'main', 'aria-label': 'Chat' }),
    };
    clear(root, h('div', { class: 'shell' }, this.layout.sidebar, this.layout.main, this.calls.element));
    this.chat = new ChatView(this, this.layout.main);
    try {
      await this.loadRooms();
    } catch {}
    this.render();
    this.conn.start();
    this.followHash();
  }

  async logout() {
    this.calls.hangUp(true);
    this.conn.stop();
    try { await this.api.logout(); } catch {}
    location.hash = '';
    this.showAuth();
  }

  // ------------------------------------------------------------------ rooms

  room(id) {
    return this.state.rooms.get(Number(id));
  }

  mergeRoom(r) {
    let room = this.state.rooms.get(r.id);
    if (!room) {
      room = {
        msgs: new Map(), loaded: false, hasMore: true, loadingOlder: false, members: new Map(), typing: new Map(),
        unread: 0, readByOthers: 0, readSent: Number(localStorage.getItem(this.readKey(r.id)) || 0), lastSeen: 0,
      };
      this.state.rooms.set(r.id, room);
    }
    const lastSeq = Math.max(room.last_seq || 0, r.last_seq);
    Object.assign(room, r, { last_seq: lastSeq });
    if (room.joined && room.readSent && room.unread === 0 && room.lastSeen === 0) {
      room.unread = Math.max(0, lastSeq - room.readSent);
    }
    return room;
  }

  readKey(roomId) {
    return `parley.read.${this.state.me?.id}.${roomId}`;
  }

  async loadRooms() {
    const { rooms } = await this.api.request('GET', '/api/rooms');
    for (const r of rooms) this.mergeRoom(r);
    // Rooms joined elsewhere (another tab or device) since the connection opened get followed too.
    if (this.conn.open) for (const room of this.state.rooms.values()) if (room.joined && !room.subscribed) this.subscribe(room);
    this.render();
  }

  async createRoom(name, isPrivate) {
    const r = await this.api.request('POST', '/api/rooms', { name, private: isPrivate });
    this.mergeRoom(r);
    this.subscribe(this.room(r.id));
    this.openRoom(r.id);
  }

  /** A number joins a public room by id; anything else is an invite code. */
  async joinRoom(text) {
    const value = text.trim();
    const r = /^\d+$/.test(value)
      ? await this.api.request('POST', `/api/rooms/${value}/join`)
      : await this.api.request('POST', '/api/rooms/join', { invite: value });
    this.mergeRoom(r);
    this.subscribe(this.room(r.id));
    this.openRoom(r.id);
  }

  async leaveRoom(id) {
    await this.api.request('POST', `/api/rooms/${id}/leave`);
    const room = this.room(id);
    if (room) {
      room.joined = false;
      room.members.clear();
      if (room.private) this.state.rooms.delete(room.id);
    }
    if (this.state.current === id) location.hash = '';
    this.loadRooms().catch(() => {});
    this.render();
  }

  followHash() {
    const m = /^#\/room\/(\d+)$/.exec(location.hash);
    const id = m ? Number(m[1]) : null;
    if (id && this.room(id)?.joined) this.showRoom(id);
    else if (id && this.room(id)) this.joinRoom(String(id)).catch((e) => this.toast(e.message));
    else this.showRoom(null);
  }

  openRoom(id) {
    const hash = id ? `#/room/${id}` : '';
    if (location.hash !== hash) location.hash = hash;
    else this.showRoom(id);
  }

  showRoom(id) {
    this.state.current = id;
    this.state.paneMembers = false;
    const room = id && this.room(id);
    if (room && !room.loaded) this.loadLatest(room);
    this.render();
    this.chat?.onRoomShown();
  }

  // ------------------------------------------------------------------ messages

  maxSeq(room) {
    let max = 0;
    for (const seq of room.msgs.keys()) if (seq > max) max = seq;
    return max;
  }

  minSeq(room) {
    let min = Infinity;
    for (const seq of room.msgs.keys()) if (seq < min) min = seq;
    return min === Infinity ? 0 : min;
  }

  addMessage(room, m) {
    room.msgs.set(m.seq, m);
    if (m.seq >= (room.last_message?.seq ?? 0)) room.last_message = m;
    room.last_seq = Math.max(room.last_seq || 0, m.seq);
    if (m.client_id && m.sender_id === this.state.me.id) {
      this.state.pending = this.state.pending.filter((p) => p.client_id !== m.client_id);
    }
  }

  async loadLatest(room) {
    try {
      const res = await this.api.request('GET', `/api/messages?room_id=${room.id}&limit=${PAGE}`);
      for (const m of res.messages) this.addMessage(room, m);
      room.hasMore = res.has_more;
      room.loaded = true;
      this.render();
      this.chat?.scrollToBottom();
    } catch (e) {
      this.toast(`Could not load messages: ${e.message}`);
    }
  }

  async loadOlder(room) {
    if (room.loadingOlder || !room.hasMore || !room.loaded) return;
    room.loadingOlder = true;
    try {
      const before = this.minSeq(room);
      const res = await this.api.request('GET', `/api/messages?room_id=${room.id}&limit=${PAGE}&before_seq=${before}`);
      this.chat?.keepScrollWhile(() => {
        for (const m of res.messages) this.addMessage(room, m);
        room.hasMore = res.has_more;
      });
    } catch (e) {
      this.toast(`Could not load older messages: ${e.message}`);
    } finally {
      room.loadingOlder = false;
    }
  }

  /** Fetches what a truncated replay skipped, through history. */
  async fillGap(room, fromSeq) {
    let since = fromSeq;
    for (;;) {
      const res = await this.api.request('GET', `/api/messages?room_id=${room.id}&limit=200&since_seq=${since}`);
      for (const m of res.messages) this.addMessage(room, m);
      if (!res.has_more || res.messages.length === 0) break;
      since = res.messages[res.messages.length - 1].seq;
    }
    this.render();
  }

  /** Queues a message; it goes out now if connected, else on reconnect (same client_id: no duplicates). */
  sendMessage(roomId, content, attachment = null) {
    const p = { client_id: randomId('w-'), room_id: roomId, content, attachment, status: 'queued', created: new Date().toISOString() };
    this.state.pending.push(p);
    this.flushOne(p);
    this.sendTyping(roomId, false);
    this.render();
    this.chat?.scrollToBottom();
  }

  flushOne(p) {
    const frame = { type: 'message', room_id: p.room_id, content: p.content, client_id: p.client_id };
    if (p.attachment) frame.attachment = p.attachment.url;
    if (this.conn.send(frame)) p.status = 'sent';
  }

  retry(p) {
    p.status = 'queued';
    p.error = null;
    this.flushOne(p);
    this.render();
  }

  discard(p) {
    this.state.pending = this.state.pending.filter((x) => x !== p);
    this.render();
  }

  async editMessage(m, content) {
    const updated = await this.api.request('PATCH', `/api/messages/${m.id}`, { content });
    const room = this.room(updated.room_id);
    if (room) room.msgs.set(updated.seq, updated);
    this.render();
  }

  async deleteMessage(m) {
    await this.api.request('DELETE', `/api/messages/${m.id}`);
    const room = this.room(m.room_id);
    if (room) room.msgs.set(m.seq, { ...m, deleted: true, content: '', attachment: null });
    this.render();
  }

  maybeSendRead() {
    const room = this.state.current && this.room(this.state.current);
    if (!room || document.hidden || !this.chat?.atBottom()) return;
    room.unread = 0;
    room.lastSeen = Date.now();
    const seq = this.maxSeq(room);
    if (seq > room.readSent && this.conn.send({ type: 'read', room_id: room.id, seq })) {
      room.readSent = seq;
      localStorage.setItem(this.readKey(room.id), String(seq));
    }
    this.renderSidebarSoon();
  }

  // ------------------------------------------------------------------ typing, status

  sendTyping(roomId, typing) {
    const now = Date.now();
    if (typing) {
      if (this.typingRoom === roomId && now - this.typingSentAt < 2000) return;
      this.typingRoom = roomId;
      this.typingSentAt = now;
      this.conn.send({ type: 'typing_start', room_id: roomId });
    } else if (this.typingRoom === roomId) {
      this.typingRoom = null;
      this.typingSentAt = 0;
      this.conn.send({ type: 'typing_stop', room_id: roomId });
    }
  }

  sendStatus(status) {
    if (this.state.me) this.conn.send({ type: 'status', status });
  }

  setTyping(room, userId, name, on) {
    const prev = room.typing.get(userId);
    if (prev) clearTimeout(prev.timer);
    if (on) {
      const timer = setTimeout(() => { room.typing.delete(userId); this.render(); }, TYPING_LOCAL_TTL_MS);
      room.typing.set(userId, { name, timer });
    } else {
      room.typing.delete(userId);
    }
  }

  // ------------------------------------------------------------------ connection

  subscribe(room) {
    if (!room?.joined || room.subscribing) return;
    room.subscribing = true;
    const since = room.msgs.size ? this.maxSeq(room) : room.last_seq;
    this.conn.send({ type: 'join', room_id: room.id, since_seq: since });
  }

  onOpen() {
    for (const room of this.state.rooms.values()) this.subscribe(room);
    if (document.hidden) this.sendStatus('away');
    // Messages typed while offline (and sends whose ack was lost) go out with their client_id.
    for (const p of this.state.pending) if (p.status !== 'delivered' && p.status !== 'failed') this.flushOne(p);
    this.loadRooms().catch(() => {});
    this.render();
  }

  onConnState(s) {
    this.state.conn = s;
    if (s !== 'online') for (const room of this.state.rooms.values()) room.subscribed = room.subscribing = false;
    const banner = document.getElementById('conn-banner');
    if (s === 'reconnecting') {
      banner.hidden = false;
      banner.textContent = 'Connection lost. Reconnecting…';
      for (const room of this.state.rooms.values()) {
        for (const t of room.typing.values()) clearTimeout(t.timer);
        room.typing.clear();
      }
    } else if (s === 'connecting') {
      banner.hidden = false;
      banner.textContent = 'Connecting…';
    } else {
      banner.hidden = true;
      banner.textContent = '';
    }
    document.body.dataset.conn = s;
    this.calls.onConnState(s);
    this.render();
  }

  onFrame(f) {
    const room = f.room_id !== undefined ? this.room(f.room_id) : null;
    const me = this.state.me;
    switch (f.type) {
      case 'joined': {
        if (!room) return;
        room.joined = true;
        room.subscribed = true;
        room.subscribing = false;
        room.members = new Map(f.members.map((m) => [m.id, { ...m }]));
        room.member_count = f.members.length;
        // Receipts sent while this page was away (or before a reload), ours from other devices too.
        for (const m of f.members) {
          if (m.id !== me.id) room.readByOthers = Math.max(room.readByOthers, m.read_seq || 0);
          else if (m.read_seq > room.readSent) {
            room.readSent = m.read_seq;
            localStorage.setItem(this.readKey(room.id), String(m.read_seq));
          }
        }
        room.last_seq = Math.max(room.last_seq || 0, f.last_seq);
        if (f.truncated) this.fillGap(room, this.maxSeq(room) ? 0 : room.last_seq).catch(() => {});
        break;
      }
      case 'message': {
        if (!room) return;
        this.addMessage(room, f);
        if (room.typing.has(f.sender_id)) this.setTyping(room, f.sender_id, f.sender, false);
        if (f.sender_id !== me.id && (this.state.current !== room.id || document.hidden || !this.chat?.atBottom())) {
          if (f.seq > room.readSent) room.unread++;
        }
        this.chat?.onNewMessage(room, f);
        break;
      }
      case 'ack': {
        const p = this.state.pending.find((x) => x.client_id === f.client_id);
        if (p) {
          p.status = 'delivered';
          p.seq = f.seq;
          p.id = f.id;
          if (room?.msgs.has(f.seq)) this.discard(p);
        }
        break;
      }
      case 'message_updated':
        if (room && room.msgs.has(f.seq)) room.msgs.set(f.seq, { ...f });
        if (room?.last_message?.id === f.id) room.last_message = { ...f };
        break;
      case 'message_deleted': {
        const m = room?.msgs.get(f.seq);
        if (m) room.msgs.set(f.seq, { ...m, deleted: true, content: '', attachment: null });
        if (room?.last_message?.id === f.id) room.last_message = { ...room.last_message, deleted: true, content: '' };
        break;
      }
      case 'read':
        if (room && f.user_id !== me.id) room.readByOthers = Math.max(room.readByOthers, f.seq);
        break;
      case 'typing_start':
      case 'typing_stop':
        if (room && f.sender_id !== me.id) this.setTyping(room, f.sender_id, f.sender, f.type === 'typing_start');
        break;
      case 'presence':
        if (room?.members.has(f.user_id)) room.members.get(f.user_id).status = f.status;
        if (f.status === 'offline' && room?.typing.has(f.user_id)) this.setTyping(room, f.user_id, '', false);
        break;
      case 'member_joined':
        if (room && !room.members.has(f.user.id)) {
          room.members.set(f.user.id, { ...f.user, status: f.status ?? 'online' });
          room.member_count = room.members.size;
        }
        break;
      case 'member_left':
        if (room) {
          room.members.delete(f.user.id);
          room.member_count = room.members.size;
          this.setTyping(room, f.user.id, '', false);
          if (f.user.id === me.id) room.joined = false;
        }
        this.calls.onMemberLeft(f.room_id, f.user.id);
        break;
      case 'error': {
        const p = this.state.pending.find((x) => x.client_id === f.ref);
        if (p) {
          p.status = 'failed';
          p.error = f.message;
        } else if (!['read', 'typing_start', 'typing_stop', 'status'].includes(f.ref)) {
          this.toast(f.message);
        }
        if (f.ref?.startsWith?.('call_')) this.calls.onSignalError(f);
        break;
      }
      default:
        if (f.type?.startsWith('call_')) return this.calls.onFrame(f);
        return;
    }
    this.render();
  }

  // ------------------------------------------------------------------ rendering

  render() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      if (!this.state.me || !this.layout) return;
      const shell = this.layout.sidebar.parentElement;
      shell.classList.toggle('room-open', !!this.state.current);
      renderRooms(this.layout.sidebar, this);
      this.chat.render();
      this.maybeSendRead();
    });
  }

  renderSidebarSoon() {
    if (this.layout) renderRooms(this.layout.sidebar, this);
  }

  toast(text) {
    const region = document.getElementById('toasts') ?? document.body.appendChild(h('div', { id: 'toasts', class: 'toasts', role: 'alert' }));
    const t = h('div', { class: 'toast' }, text);
    region.append(t);
    setTimeout(() => t.remove(), 5000);
  }
}

const app = new App();
window.parley = app; // for debugging from the console
app.boot();
