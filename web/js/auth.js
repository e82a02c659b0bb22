// The login / register screen.
import { h, clear } from './util.js';

export function renderAuth(root, { message, submit }) {
  let mode = 'login';
  const error = h('p', { class: 'form-error', role: 'alert', id: 'auth-error' }, message ?? '');
  const username = h('input', {
    id: 'auth-username', name: 'username', autocomplete: 'username', required: true, minlength: '3', maxlength: '32',
    pattern: '[A-Za-z0-9_.\\-]+', spellcheck: false, autocapitalize: 'off',
  });
  const password = h('input', {
    id: 'auth-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, minlength: '8',
  });
  const submitButton = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const title = h('h1', { id: 'auth-title' }, 'Log in to Parley');
  const hint = h('p', { class: 'hint', id: 'auth-hint' }, '');
  const switchButton = h('button', { type: 'button', class: 'link' }, 'Create an account');
  const form = h('form', { class: 'auth-form', 'aria-labelledby': 'auth-title', novalidate: true },
    title,
    h('label', { for: 'auth-username' }, 'Username'), username,
    h('label', { for: 'auth-password' }, 'Password'), password,
    hint, error, submitButton,
    h('p', { class: 'switch' }, switchButton));

  const setMode = (m) => {
    mode = m;
    title.textContent = m === 'login' ? 'Log in to Parley' : 'Create a Parley account';
    submitButton.textContent = m === 'login' ? 'Log in' : 'Register';
    switchButton.textContent = m === 'login' ? 'Create an account' : 'I already have an account';
    password.autocomplete = m === 'login' ? 'current-password' : 'new-password';
    hint.textContent = m === 'login' ? '' : 'Username: 3-32 letters, digits, _ . -  Password: at least 8 characters.';
    error.textContent = '';
  };
  switchButton.addEventListener('click', () => setMode(mode === 'login' ? 'register' : 'login'));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    if (mode === 'register' && !form.checkValidity()) {
      error.textContent = 'Username: 3-32 letters, digits, _ . - (not only digits). Password: at least 8 characters.';
      return;
    }
    submitButton.disabled = true;
    try {
      await submit(mode, username.value.trim(), password.value);
    } catch (e) {
      error.textContent = e.message;
      submitButton.disabled = false;
      password.select();
    }
  });

  clear(root, h('main', { class: 'auth' }, h('div', { class: 'brand', 'aria-hidden': 'true' }, h('img', { src: '/icon.svg', alt: '', width: 48, height: 48 }), 'Parley'), form));
  username.focus();
}
