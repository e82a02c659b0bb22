// The open room: header, message list (grouped by day and sender, with history paging and a
// "new messages" button), members with presence, typing line, and the composer with attachments.
import { h, clear, formatTime, formatDay, dayKey, formatSize, typingText, copyText } from './util.js';

const GROUP_MS = 5 * 60 * 1000;
const THUMB_BOX = 280;

export class ChatView {
  constructor(app, main) {
    this.app = app;
    this.main = main;
    this.nodes = new Map(); // key -> element
    this.editing = null; // key of the message being edited
    this.drafts = new Map(); // room id -> text
    this.attachment = null; // {file, previewUrl}
    this.shownRoom = null;
    this.build();
  }

  build() {
    const app = this.app;
    this.title = h('h2', { class: 'chat-title', id: 'chat-title' });
    this.info = h('span', { class: 'chat-info' });
    this.copyButton = h('button', { class: 'ghost', onclick: () => this.copyInvite() }, 'Copy invite');
    this.membersButton = h('button', { class: 'ghost members-toggle', 'aria-expanded': 'false', onclick: () => {
      app.state.paneMembers = !app.state.paneMembers;
      this.render();
    } }, 'Members');
    this.header = h('header', { class: 'chat-header' },
      h('button', { class: 'ghost back', 'aria-label': 'Back to rooms', onclick: () => app.openRoom(null) }, '‹'),
      h('div', { class: 'chat-heading' }, this.title, this.info),
      h('div', { class: 'chat-actions' }, this.copyButton, this.membersButton,
        h('button', { class: 'ghost', onclick: () => this.leave() }, 'Leave')));

    this.list = h('ol', { class: 'messages', role: 'log', 'aria-label': 'Messages', 'aria-live': 'polite', tabindex: '0' });
    this.scroller = h('div', { class: 'scroller' }, h('p', { class: 'history-note', 'aria-live': 'polite' }), this.list);
    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.jump = h('button', { class: 'jump', hidden: true, onclick: () => { this.scrollToBottom(); this.app.maybeSendRead(); } }, 'New messages ↓');
    this.membersList = h('ul', { class: 'member-list' });
    this.members = h('aside', { class: 'members', 'aria-label': 'Members' }, h('h3', {}, 'Members'), this.membersList);
    this.typing = h('div', { class: 'typing', role: 'status', 'aria-live': 'polite' });

    // Composer
    this.fileInput = h('input', { type: 'file', class: 'visually-hidden', tabindex: '-1', 'aria-label': 'Choose a file to attach',
      onchange: () => { if (this.fileInput.files[0]) this.setAttachment(this.fileInput.files[0]); this.fileInput.value = ''; } });
    this.input = h('textarea', { class: 'composer-input', rows: '1', 'aria-label': 'Message', placeholder: 'Write a message…', maxlength: '4000' });
    this.preview = h('div', { class: 'attachment-preview', hidden: true });
    this.progress = h('progress', { class: 'upload-progress', max: '1', value: '0', hidden: true, 'aria-label': 'Upload progress' });
    this.composerError = h('p', { class: 'form-error', role: 'alert' });
    this.sendButton = h('button', { type: 'submit', class: 'primary send' }, 'Send');
    this.composer = h('form', { class: 'composer', 'aria-label': 'Send a message' },
      this.preview, this.progress, this.composerError,
      h('div', { class: 'composer-row' },
        h('button', { type: 'button', class: 'ghost attach', 'aria-label': 'Attach a file', title: 'Attach a file (or drop or paste one)', onclick: () => this.fileInput.click() }, '+'),
        this.fileInput, this.input, this.sendButton));
    this.composer.addEventListener('submit', (ev) => { ev.preventDefault(); this.submit(); });
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); this.submit(); }
      if (ev.key === 'Escape' && this.attachment) this.clearAttachment();
    });
    this.input.addEventListener('input', () => this.onInput());
    this.input.addEventListener('paste', (ev) => {
      const file = [...(ev.clipboardData?.files ?? [])][0];
      if (file) { ev.preventDefault(); this.setAttachment(file); }
    });

    this.body = h('div', { class: 'chat-body' },
      h('div', { class: 'conversation' }, this.scroller, this.jump, this.typing, this.composer),
      this.members);
    this.dropZone = h('div', { class: 'drop-zone', hidden: true }, 'Drop the file to attach it');
    this.room = h('div', { class: 'room-view' }, this.header, this.body, this.dropZone);
    for (const t of ['dragenter', 'dragover']) this.room.addEventListener(t, (ev) => {
      if (![...ev.dataTransfer.types].includes('Files')) return;
      ev.preventDefault();
      this.dropZone.hidden = false;
    });
    this.room.addEventListener('dragleave', (ev) => { if (ev.target === this.dropZone) this.dropZone.hidden = true; });
    this.room.addEventListener('drop', (ev) => {
      ev.preventDefault();
      this.dropZone.hidden = true;
      const file = ev.dataTransfer.files[0];
      if (file) this.setAttachment(file);
    });

    this.empty = h('div', { class: 'no-room' }, h('p', {}, 'Choose a room on the left, or create or join one.'));
    this.viewerImg = h('img', { alt: '' });
    this.viewer = h('dialog', { class: 'viewer', 'aria-label': 'Image' },
      h('form', { method: 'dialog' }, h('button', { class: 'ghost close', 'aria-label': 'Close image' }, '✕')), this.viewerImg);
    this.viewer.addEventListener('click', (ev) => { if (ev.target === this.viewer) this.viewer.close(); });
    clear(this.main, this.empty, this.room, this.viewer);
  }

  current() {
    return this.app.state.current ? this.app.room(this.app.state.current) : null;
  }

  // ------------------------------------------------------------------ scrolling

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 48;
  }

  scrollToBottom() {
    requestAnimationFrame(() => {
      this.scroller.scrollTop = this.scroller.scrollHeight;
      this.jump.hidden = true;
    });
  }

  keepScrollWhile(change) {
    const before = this.scroller.scrollHeight - this.scroller.scrollTop;
    change();
    this.renderMessages();
    this.scroller.scrollTop = this.scroller.scrollHeight - before;
  }

  onScroll() {
    const room = this.current();
    if (!room) return;
    if (this.atBottom()) {
      this.jump.hidden = true;
      this.app.maybeSendRead();
    }
    if (this.scroller.scrollTop < 120) this.app.loadOlder(room);
  }

  onRoomShown() {
    this.scrollToBottom();
  }

  onNewMessage(room, m) {
    if (room.id !== this.app.state.current) return;
    if (m.sender_id === this.app.state.me.id) return this.scrollToBottom();
    if (this.atBottom()) this.stickToBottom = true;
    else this.jump.hidden = false;
  }

  // ------------------------------------------------------------------ rendering

  render() {
    const room = this.current();
    this.empty.hidden = !!room;
    this.room.hidden = !room;
    if (!room) { this.shownRoom = null; return; }
    if (this.shownRoom !== room.id) this.switchRoom(room);
    clear(this.title, room.private ? h('span', { class: 'tag' }, 'private') : '# ', room.name);
    const online = [...room.members.values()].filter((m) => m.status !== 'offline').length;
    const count = room.members.size || room.member_count;
    this.info.textContent = `${room.private ? 'Private' : `Room ${room.id}`} · ${count} member${count === 1 ? '' : 's'}, ${online} online`;
    this.copyButton.textContent = room.private ? 'Copy invite' : 'Copy room id';
    this.membersButton.setAttribute('aria-expanded', String(this.app.state.paneMembers));
    this.body.classList.toggle('show-members', this.app.state.paneMembers);
    const stick = this.atBottom() || this.stickToBottom;
    this.stickToBottom = false;
    this.renderMessages();
    if (stick) this.scroller.scrollTop = this.scroller.scrollHeight;
    this.renderMembers(room);
    const names = [...room.typing.values()].map((t) => t.name).sort();
    this.typing.textContent = typingText(names);
    const offline = this.app.state.conn !== 'online';
    this.input.placeholder = offline ? 'Offline: messages are sent when the connection is back' : 'Write a message…';
  }

  switchRoom(room) {
    if (this.shownRoom !== null) this.drafts.set(this.shownRoom, this.input.value);
    this.input.value = this.drafts.get(room.id) ?? '';
    this.shownRoom = room.id;
    this.editing = null;
    this.clearAttachment();
    this.composerError.textContent = '';
    this.jump.hidden = true;
    this.list.replaceChildren();
    this.nodes.clear();
    if (matchMedia('(min-width: 721px)').matches) this.input.focus({ preventScroll: true });
  }

  items(room) {
    const me = this.app.state.me.id;
    const msgs = [...room.msgs.values()].sort((a, b) => a.seq - b.seq);
    const pending = this.app.state.pending.filter((p) => p.room_id === room.id)
      .map((p) => ({ ...p, sender: this.app.state.me.username, sender_id: me, timestamp: p.created, pending: true }));
    const out = [];
    let prev = null;
    for (const m of [...msgs, ...pending]) {
      const day = dayKey(m.timestamp);
      if (!prev || dayKey(prev.timestamp) !== day) out.push({ key: `day-${day}`, day: m.timestamp });
      const grouped = prev && prev.sender_id === m.sender_id && dayKey(prev.timestamp) === day &&
        Date.parse(m.timestamp) - Date.parse(prev.timestamp) < GROUP_MS;
      let status = null;
      if (m.sender_id === me) {
        status = m.pending ? m.status : m.seq <= room.readByOthers ? 'read' : 'delivered';
      }
      out.push({ key: m.pending ? `p-${m.client_id}` : `m-${m.seq}`, m, grouped, status });
      prev = m;
    }
    return out;
  }

  renderMessages() {
    const room = this.current();
    if (!room) return;
    const note = this.scroller.firstChild;
    note.textContent = !room.loaded ? 'Loading…' : room.hasMore ? (room.loadingOlder ? 'Loading older messages…' : '') : 'This is the beginning of the room.';
    const items = this.items(room);
    const keep = new Set();
    let cursor = this.list.firstChild;
    for (const item of items) {
      keep.add(item.key);
      let el = this.nodes.get(item.key);
      const sig = JSON.stringify([item.m, item.grouped, item.status, item.day]);
      if (!el) {
        el = h('li');
        this.nodes.set(item.key, el);
      }
      if (el.dataset.sig !== sig && this.editing !== item.key) {
        el.dataset.sig = sig;
        if (item.day) this.fillDay(el, item);
        else this.fillMessage(el, item);
      }
      if (el !== cursor) this.list.insertBefore(el, cursor);
      else cursor = cursor.nextSibling;
    }
    for (const [key, el] of this.nodes) {
      if (!keep.has(key)) { el.remove(); this.nodes.delete(key); }
    }
  }

  fillDay(el, item) {
    el.className = 'day';
    clear(el, h('span', {}, formatDay(item.day)));
  }

  fillMessage(el, { m, grouped, status, key }) {
    const own = m.sender_id === this.app.state.me.id;
    el.className = `msg${own ? ' own' : ''}${grouped ? ' grouped' : ''}${m.deleted ? ' deleted' : ''}`;
    el.dataset.seq = m.seq ?? '';
    el.dataset.sender = m.sender;
    if (status) el.dataset.status = status; else delete el.dataset.status;
    // Own messages take focus (tap or Tab), which shows their actions without a hover.
    if (own && !m.deleted) el.tabIndex = 0; else el.removeAttribute('tabindex');
    const time = h('time', { datetime: m.timestamp, title: new Date(m.timestamp).toLocaleString() }, formatTime(m.timestamp));
    const head = grouped ? null : h('div', { class: 'msg-head' }, h('span', { class: 'sender' }, m.sender), ' ', time);
    const body = h('div', { class: 'msg-body' });
    if (m.deleted) body.append(h('p', { class: 'text tombstone' }, 'This message was deleted.'));
    else {
      if (m.attachment) body.append(this.attachmentView(m.attachment));
      if (m.content) body.append(h('p', { class: 'text' }, m.content));
    }
    const meta = h('div', { class: 'msg-meta' },
      grouped ? h('time', { datetime: m.timestamp, class: 'quiet-time' }, formatTime(m.timestamp)) : null,
      m.edited_at && !m.deleted ? h('span', { class: 'edited' }, 'edited') : null,
      status ? h('span', { class: `status status-${status}`, title: statusTitle(status, m.error) }, statusText(status)) : null);
    const actions = [];
    if (own && m.pending && status === 'failed') {
      actions.push(h('button', { class: 'ghost small', onclick: () => this.app.retry(this.app.state.pending.find((p) => p.client_id === m.client_id)) }, 'Retry'));
      actions.push(h('button', { class: 'ghost small', onclick: () => this.app.discard(this.app.state.pending.find((p) => p.client_id === m.client_id)) }, 'Discard'));
    }
    if (own && !m.pending && !m.deleted) {
      actions.push(h('button', { class: 'ghost small', 'aria-label': 'Edit message', onclick: () => this.startEdit(el, key, m) }, 'Edit'));
      actions.push(h('button', { class: 'ghost small', 'aria-label': 'Delete message', onclick: () => this.remove(m) }, 'Delete'));
    }
    clear(el, head, body, meta, actions.length ? h('div', { class: 'msg-actions' }, actions) : null);
  }

  attachmentView(a) {
    if (a.type === 'image' && a.thumbnail_url) {
      const scale = Math.min(1, THUMB_BOX / Math.max(a.width || THUMB_BOX, a.height || THUMB_BOX));
      const w = Math.max(1, Math.round((a.width || THUMB_BOX) * scale));
      const hgt = Math.max(1, Math.round((a.height || THUMB_BOX) * scale));
      return h('button', { class: 'image-link', 'aria-label': `Open image ${a.original_filename}`, onclick: () => this.openImage(a) },
        h('img', { class: 'thumb', src: a.thumbnail_url, alt: a.original_filename, width: w, height: hgt, loading: 'lazy' }));
    }
    if (a.type === 'video') return h('video', { class: 'media', src: a.url, controls: true, preload: 'metadata', 'aria-label': a.original_filename });
    if (a.type === 'audio') return h('audio', { class: 'media', src: a.url, controls: true, preload: 'metadata', 'aria-label': a.original_filename });
    return h('a', { class: 'file', href: a.url, download: a.original_filename },
            h('span', { class: 'file-name' }, a.original_filename), h('span', { class: 'file-size' }, formatSize(a.size)));
  }

  openImage(a) {
    this.viewerImg.src = a.url;
    this.viewerImg.alt = a.original_filename;
    if (a.width) { this.viewerImg.width = a.width; this.viewerImg.height = a.height; }
    this.viewer.showModal();
  }

  startEdit(el, key, m) {
    this.editing = key;
    const field = h('textarea', { class: 'edit-input', 'aria-label': 'Edit message', rows: '2' }, m.content);
    const done = () => { this.editing = null; el.dataset.sig = ''; this.renderMessages(); };
    const save = async () => {
      const text = field.value.trim();
      if (!text && !m.attachment) return;
      if (text === m.content) return done();
      try {
        await this.app.editMessage(m, text);
        done();
      } catch (e) {
        this.app.toast(`Could not edit: ${e.message}`);
      }
    };
    field.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); save(); }
      if (ev.key === 'Escape') { ev.preventDefault(); done(); this.input.focus(); }
    });
    const body = el.querySelector('.msg-body');
    const text = body.querySelector('.text');
    const editor = h('div', { class: 'editor' }, field,
      h('div', { class: 'editor-actions' }, h('span', { class: 'hint' }, 'Enter to save, Esc to cancel'),
        h('button', { class: 'ghost small', onclick: done }, 'Cancel'), h('button', { class: 'primary small', onclick: save }, 'Save')));
    if (text) text.replaceWith(editor); else body.append(editor);
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
  }

  async remove(m) {
    if (!confirm('Delete this message for everyone?')) return;
    try {
      await this.app.deleteMessage(m);
    } catch (e) {
      this.app.toast(`Could not delete: ${e.message}`);
    }
  }

  renderMembers(room) {
    const me = this.app.state.me.id;
    const order = { online: 0, away: 1, offline: 2 };
    const members = [...room.members.values()].sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3) || a.username.localeCompare(b.username));
    this.membersButton.textContent = `Members (${members.length})`;
    clear(this.membersList, members.map((m) => {
      const canCall = m.id !== me && m.status !== 'offline' && !this.app.calls.active;
      return h('li', { class: 'member', dataset: { user: m.username, status: m.status } },
        h('span', { class: `dot ${m.status}`, 'aria-hidden': 'true' }),
        h('span', { class: 'member-name' }, m.username, m.id === me ? ' (you)' : ''),
        h('span', { class: 'member-status' }, m.status),
        canCall ? h('span', { class: 'call-buttons' },
          h('button', { class: 'ghost small', 'aria-label': `Video call ${m.username}`, title: `Video call ${m.username}`, onclick: () => this.app.calls.start(room.id, m, true) }, 'Video'),
          h('button', { class: 'ghost small', 'aria-label': `Audio call ${m.username}`, title: `Audio call ${m.username}`, onclick: () => this.app.calls.start(room.id, m, false) }, 'Audio')) : null);
    }));
  }

  // ------------------------------------------------------------------ actions

  async copyInvite() {
    const room = this.current();
    if (!room) return;
    const text = room.private ? room.invite : String(room.id);
    const ok = text && await copyText(text);
    this.app.toast(ok ? (room.private ? `Invite code copied: ${text}` : `Room id copied: ${text}`) : `Copy failed: ${text}`);
  }

  async leave() {
    const room = this.current();
    if (!room || !confirm(`Leave ${room.name}?${room.private ? ' You will need the invite to come back.' : ''}`)) return;
    try { await this.app.leaveRoom(room.id); } catch (e) { this.app.toast(e.message); }
  }

  onInput() {
    const room = this.current();
    if (!room) return;
    clearTimeout(this.typingTimer);
    if (this.input.value.trim()) {
      this.app.sendTyping(room.id, true);
      this.typingTimer = setTimeout(() => this.app.sendTyping(room.id, false), 4000);
    } else {
      this.app.sendTyping(room.id, false);
    }
  }

  setAttachment(file) {
    this.clearAttachment();
    this.composerError.textContent = '';
    const isImage = file.type.startsWith('image/');
    const url = isImage ? URL.createObjectURL(file) : null;
    this.attachment = { file, url };
    clear(this.preview,
      isImage ? h('img', { src: url, alt: `Preview of ${file.name}`, class: 'preview-img' }) :       h('span', { class: 'preview-name' }, file.name || 'pasted file', ' ', h('span', { class: 'file-size' }, formatSize(file.size))),
      h('button', { type: 'button', class: 'ghost small', 'aria-label': 'Remove attachment', onclick: () => this.clearAttachment() }, '✕'));
    this.preview.hidden = false;
    this.input.focus();
  }

  clearAttachment() {
    if (this.attachment?.url) URL.revokeObjectURL(this.attachment.url);
    this.attachment?.abort?.abort();
    this.attachment = null;
    this.preview.hidden = true;
    this.preview.replaceChildren();
    this.progress.hidden = true;
  }

  async submit() {
    const room = this.current();
    if (!room || this.uploading) return;
    const text = this.input.value.trim();
    if (!text && !this.attachment) return;
    this.composerError.textContent = '';
    let stored = null;
    if (this.attachment) {
      const att = this.attachment;
      att.abort = new AbortController();
      this.uploading = true;
      this.sendButton.disabled = true;
      this.progress.hidden = false;
      this.progress.value = 0;
      try {
        stored = await this.app.api.upload(att.file, (f) => { this.progress.value = f; }, att.abort.signal);
      } catch (e) {
        this.composerError.textContent = e.message;
        this.progress.hidden = true;
        return;
      } finally {
        this.uploading = false;
        this.sendButton.disabled = false;
      }
      if (this.attachment !== att) return; // removed meanwhile
      this.clearAttachment();
    }
    this.input.value = '';
    clearTimeout(this.typingTimer);
    this.app.sendMessage(room.id, text, stored);
    this.stickToBottom = true;
    this.input.focus();
  }
}

function statusText(status) {
  return { queued: 'queued', sent: 'sent', delivered: 'delivered', read: 'read', failed: 'not sent' }[status] ?? status;
}

function statusTitle(status, error) {
  return {
    queued: 'Waiting for the connection',
    sent: 'Sent, waiting for the server',
    delivered: 'Delivered to the server',
    read: 'Read',
    failed: `Not sent: ${error ?? 'refused'}`,
  }[status];
}
