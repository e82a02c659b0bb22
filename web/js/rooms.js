// The sidebar: who is logged in, the rooms one is in and the public rooms one can join (with the
// last message and an unread count), and the forms to create or join a room.
import { h, clear, formatTime } from './util.js';

export function renderRooms(sidebar, app) {
  if (!sidebar.firstChild) build(sidebar, app);
  const { state } = app;
  sidebar.querySelector('.me-name').textContent = state.me.username;
  const rooms = [...state.rooms.values()];
  const mine = rooms.filter((r) => r.joined).sort((a, b) => lastTime(b) - lastTime(a) || a.id - b.id);
  const others = rooms.filter((r) => !r.joined && !r.private).sort((a, b) => a.id - b.id);
  fill(sidebar.querySelector('.my-rooms'), mine, app, 'You are in no room yet. Create one or join one below.');
  fill(sidebar.querySelector('.public-rooms'), others, app, 'No other public rooms.');
}

function lastTime(r) {
  return r.last_message ? Date.parse(r.last_message.timestamp) : Date.parse(r.created_at);
}

function fill(list, rooms, app, emptyText) {
  const items = rooms.map((r) => roomItem(r, app));
  if (!items.length) items.push(h('li', { class: 'empty' }, emptyText));
  clear(list, items);
}

function roomItem(r, app) {
  const current = app.state.current === r.id;
  const last = r.last_message;
  const preview = !last ? 'No messages yet'
    : last.deleted ? `${last.sender}: message deleted`
    : `${last.sender}: ${last.content || (last.attachment ? `[file] ${last.attachment.original_filename}` : `[${last.message_type}]`)}`;
  const unread = r.joined && r.unread > 0 && !current;
  const label = `${r.name}${r.private ? ' (private)' : ''}${unread ? `, ${r.unread} unread` : ''}`;
  return h('li', { class: 'room-item', dataset: { roomId: String(r.id) } },
    h('button', {
      class: `room-button${current ? ' current' : ''}`, 'aria-current': current ? 'page' : undefined, 'aria-label': label,
      onclick: () => (r.joined ? app.openRoom(r.id) : app.joinRoom(String(r.id)).catch((e) => app.toast(e.message))),
    },
    h('span', { class: 'room-line' },
      h('span', { class: 'room-name' }, r.private ? h('span', { class: 'tag' }, 'private') : '# ', r.name),
      last ? h('time', { class: 'room-time', datetime: last.timestamp }, formatTime(last.timestamp)) : null),
    h('span', { class: 'room-line' },
      h('span', { class: 'room-preview' }, r.joined ? preview : `${r.member_count} member${r.member_count === 1 ? '' : 's'} · join`),
      unread ? h('span', { class: 'badge', 'aria-hidden': 'true' }, r.unread > 99 ? '99+' : String(r.unread)) : null)));
}

function build(sidebar, app) {
  const createName = h('input', { id: 'create-name', required: true, maxlength: '100', placeholder: 'Room name', autocomplete: 'off' });
  const createPrivate = h('input', { id: 'create-private', type: 'checkbox' });
  const createError = h('p', { class: 'form-error', role: 'alert' });
  const createForm = h('form', { class: 'side-form', 'aria-label': 'Create a room' },
    h('label', { for: 'create-name' }, 'New room'),
    h('div', { class: 'row' }, createName, h('button', { type: 'submit' }, 'Create')),
    h('label', { class: 'check' }, createPrivate, ' Private (join by invite only)'),
    createError);
  createForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    createError.textContent = '';
    const name = createName.value.trim();
    if (!name) { createError.textContent = 'Give the room a name.'; return; }
    try {
      await app.createRoom(name, createPrivate.checked);
      createName.value = '';
      createPrivate.checked = false;
    } catch (e) {
      createError.textContent = e.message;
    }
  });

  const joinInput = h('input', { id: 'join-input', required: true, placeholder: 'Room id or invite code', autocomplete: 'off', spellcheck: false });
  const joinError = h('p', { class: 'form-error', role: 'alert' });
  const joinForm = h('form', { class: 'side-form', 'aria-label': 'Join a room' },
    h('label', { for: 'join-input' }, 'Join a room'),
    h('div', { class: 'row' }, joinInput, h('button', { type: 'submit' }, 'Join')),
    joinError);
  joinForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    joinError.textContent = '';
    if (!joinInput.value.trim()) return;
    try {
      await app.joinRoom(joinInput.value);
      joinInput.value = '';
    } catch (e) {
      joinError.textContent = e.status === 404 ? 'No such room, or the invite code is wrong.' : e.message;
    }
  });

  sidebar.append(
    h('header', { class: 'side-header' },
      h('span', { class: 'brand-small' }, h('img', { src: '/icon.svg', alt: '', width: 24, height: 24 }), ' Parley'),
      h('span', { class: 'me' }, h('span', { class: 'dot online', 'aria-hidden': 'true' }), h('span', { class: 'me-name' })),
      h('button', { class: 'ghost', onclick: () => app.logout() }, 'Log out')),
    h('div', { class: 'side-scroll' },
      h('h2', { id: 'my-rooms-title' }, 'Your rooms'),
      h('ul', { class: 'room-list my-rooms', 'aria-labelledby': 'my-rooms-title' }),
      h('h2', { id: 'public-rooms-title' }, 'Public rooms'),
      h('ul', { class: 'room-list public-rooms', 'aria-labelledby': 'public-rooms-title' }),
      createForm, joinForm));
}
