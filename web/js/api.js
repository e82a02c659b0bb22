// REST client: the session's tokens, silent renewal, JSON requests and uploads with progress.
//
// The access token lives in memory only. The refresh token is kept in localStorage so a login
// survives reloads (docs/WEB.md discusses the trade-off). Refresh tokens are single-use and a
// reused one revokes the login, so renewals are serialised across tabs with the Web Locks API and
// always use the newest token in storage.

const REFRESH_KEY = 'parley.refresh_token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  constructor({ onLoggedOut }) {
    this.onLoggedOut = onLoggedOut;
    this.access = null;
    this.expiresAt = 0;
    this.user = null;
    this.timer = null;
    this.refreshing = null;
  }

  get hasStoredLogin() {
    return !!localStorage.getItem(REFRESH_KEY);
  }

  async register(username, password) {
    return this._login('/api/auth/register', { username, password });
  }

  async login(username, password) {
    return this._login('/api/auth/login', { username, password });
  }

  async _login(path, body) {
    const res = await this._fetch('POST', path, body, false);
    this._setSession(res);
    return res.user;
  }

  _setSession(res) {
    this.access = res.access_token;
    this.expiresAt = Date.now() + res.expires_in * 1000;
    if (res.user) this.user = res.user;
    localStorage.setItem(REFRESH_KEY, res.refresh_token);
    clearTimeout(this.timer);
    // Renew a minute before expiry (or at 80% of a short lifetime).
    const lead = Math.min(60_000, res.expires_in * 200);
    this.timer = setTimeout(() => this.refresh().catch(() => {}), Math.max(1000, res.expires_in * 1000 - lead));
  }

  /** Restores the session from the stored refresh token; returns the user or null. */
  async restore() {
    if (!this.hasStoredLogin) return null;
    await this.refresh();
    if (!this.user) this.user = await this.request('GET', '/api/me');
    return this.user;
  }

  /** Renews the access token. A refused refresh token ends the session; a network error does not. */
  refresh() {
    if (this.refreshing) return this.refreshing;
    const run = async () => {
      // Inside the lock the stored token is the newest one (another tab may have rotated it).
      const token = localStorage.getItem(REFRESH_KEY);
      if (!token) throw this._loggedOut();
      try {
        this._setSession(await this._fetch('POST', '/api/auth/refresh', { refresh_token: token }, false));
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) throw this._loggedOut();
        throw e;
      }
    };
    const locked = navigator.locks ? () => navigator.locks.request('parley-refresh', run) : run;
    this.refreshing = locked().finally(() => { this.refreshing = null; });
    return this.refreshing;
  }

  _loggedOut() {
    this._clear();
    this.onLoggedOut?.();
    return new ApiError(401, 'unauthorized', 'Your session has ended. Please log in again.');
  }

  _clear() {
    clearTimeout(this.timer);
    this.access = null;
    this.user = null;
    localStorage.removeItem(REFRESH_KEY);
  }

  /** An access token valid for at least `marginMs`, renewed if needed. */
  async token(marginMs = 30_000) {
    if (!this.access || Date.now() > this.expiresAt - marginMs) await this.refresh();
    return this.access;
  }

  async logout() {
    const token = localStorage.getItem(REFRESH_KEY);
    try {
      if (token && this.access) await this._fetch('POST', '/api/auth/logout', { refresh_token: token }, true);
    } finally {
      this._clear();
    }
  }

  /** JSON request with the access token; a 401 renews the token once and retries. */
  async request(method, path, body) {
    await this.token();
    try {
      return await this._fetch(method, path, body, true);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      await this.refresh();
      return this._fetch(method, path, body, true);
    }
  }

  async _fetch(method, path, body, auth) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth) headers.Authorization = `Bearer ${this.access}`;
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, 'network', 'Cannot reach the server.');
    }
    if (res.status === 204) return null;
    let json = null;
    try { json = await res.json(); } catch {}
    if (!res.ok) {
      throw new ApiError(res.status, json?.error?.code ?? 'http', json?.error?.message ?? `HTTP ${res.status}`);
    }
    return json;
  }

  /** Uploads a file (multipart) with progress callbacks; resolves with the stored file. */
  async upload(file, onProgress, signal) {
    const token = await this.token();
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/upload-file');
      xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress?.(e.loaded / e.total); };
      xhr.onload = () => {
        let json = null;
        try { json = JSON.parse(xhr.responseText); } catch {}
        if (xhr.status === 200 && json) return resolve(json);
        reject(uploadError(xhr.status, json?.error?.message));
      };
      xhr.onerror = () => reject(uploadError(0));
      xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled.'));
      signal?.addEventListener('abort', () => xhr.abort());
      const form = new FormData();
      form.append('file', file, file.name || 'pasted-file');
      xhr.send(form);
    });
  }
}

function uploadError(status, message) {
  if (status === 413) return new ApiError(413, 'too_large', `This file is too large to send${message ? ` (${message})` : ''}.`);
  if (status === 415) return new ApiError(415, 'unsupported_media_type', `This type of file is not accepted${message ? ` (${message})` : ''}.`);
  if (status === 429) return new ApiError(429, 'rate_limited', 'Too many uploads; try again in a moment.');
  if (status === 0) return new ApiError(0, 'network', 'The upload failed: the server closed the connection (the file may be too large).');
  return new ApiError(status, 'upload', message || `Upload failed (HTTP ${status}).`);
}
