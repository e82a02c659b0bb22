// One-to-one audio/video calls over WebRTC. The server only relays the call_* frames (to one
// member of the room, with `from` set by the server); media go peer to peer. The caller makes the
// only offer, so there is no glare to resolve: invite -> accept -> offer -> answer, with ICE
// candidates both ways (queued until the remote description is set), and end or reject.
import { h, clear, randomId } from './util.js';

const RTC_CONFIG = { iceServers: [] }; // no STUN/TURN: nothing is fetched from outside the server

export class CallManager {
  constructor(app) {
    this.app = app;
    this.active = null;
    this.status = h('p', { class: 'call-status', role: 'status', 'aria-live': 'assertive' });
    this.title = h('h2', { id: 'call-title' }, 'Call');
    this.remoteVideo = h('video', { class: 'remote-video', autoplay: true, playsinline: true, 'aria-label': 'Remote video' });
    this.localVideo = h('video', { class: 'local-video', autoplay: true, playsinline: true, muted: true, 'aria-label': 'Your camera' });
    this.controls = h('div', { class: 'call-controls' });
    this.element = h('section', { class: 'call', hidden: true, role: 'dialog', 'aria-labelledby': 'call-title', dataset: { state: 'idle' } },
      this.title, this.status, h('div', { class: 'videos' }, this.remoteVideo, this.localVideo), this.controls);
    this.element.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && this.active) this.hangUp(true); });
  }

  send(type, extra = {}) {
    const c = this.active;
    if (!c) return;
    this.app.conn.send({ type, room_id: c.roomId, call_id: c.id, to: c.peer.id, ...extra });
  }

  setState(state, text) {
    if (!this.active) return;
    this.active.state = state;
    this.element.dataset.state = state;
    this.status.textContent = text;
    this.renderControls();
    this.app.render();
  }

  show() {
    const c = this.active;
    this.title.textContent = `${c.video ? 'Video' : 'Audio'} call with ${c.peer.username}`;
    this.element.hidden = false;
    this.element.classList.toggle('audio-only', !c.video);
  }

  async start(roomId, member, video) {
    if (this.active) return;
    this.active = { id: randomId('call-'), roomId, peer: { id: member.id, username: member.username }, video, role: 'caller', pendingIce: [] };
    this.show();
    this.setState('calling', `Calling ${member.username}…`);
    try {
      await this.getMedia();
    } catch (e) {
      return this.finish(`Cannot use ${video ? 'camera or microphone' : 'microphone'}: ${e.message}`);
    }
    if (!this.active) return;
    this.send('call_invite', { video });
    this.setState('ringing-out', `Ringing ${member.username}…`);
  }

  async getMedia() {
    const c = this.active;
    c.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: c.video });
    if (this.active !== c) { c.local.getTracks().forEach((t) => t.stop()); return; }
    this.localVideo.srcObject = c.local;
  }

  createPeer() {
    const c = this.active;
    const pc = new RTCPeerConnection(RTC_CONFIG);
    c.pc = pc;
    for (const track of c.local.getTracks()) pc.addTrack(track, c.local);
    pc.onicecandidate = (ev) => { if (ev.candidate && this.active === c) this.send('call_ice', { candidate: ev.candidate.toJSON() }); };
    pc.ontrack = (ev) => { this.remoteVideo.srcObject = ev.streams[0] ?? new MediaStream([ev.track]); };
    pc.onconnectionstatechange = () => {
      if (this.active !== c) return;
      if (pc.connectionState === 'connected') this.setState('connected', `Connected with ${c.peer.username}`);
      else if (pc.connectionState === 'failed') { this.send('call_end', { reason: 'failed' }); this.finish('The call could not connect.'); }
    };
    return pc;
  }

  async flushIce() {
    const c = this.active;
    for (const cand of c.pendingIce.splice(0)) await c.pc.addIceCandidate(cand).catch(() => {});
  }

  async onFrame(f) {
    const c = this.active;
    if (f.type === 'call_invite') {
      if (c) {
        this.app.conn.send({ type: 'call_reject', room_id: f.room_id, call_id: f.call_id, to: f.from.id, reason: 'busy' });
        return;
      }
      this.active = { id: f.call_id, roomId: f.room_id, peer: f.from, video: f.video !== false, role: 'callee', pendingIce: [] };
      this.show();
      this.setState('ringing', `${f.from.username} is calling you${f.video === false ? ' (audio)' : ''}`);
      return;
    }
    if (!c || f.call_id !== c.id || f.from?.id !== c.peer.id) return;
    try {
      switch (f.type) {
        case 'call_accept': {
          if (c.role !== 'caller') return;
          this.setState('connecting', 'Connecting…');
          const pc = this.createPeer();
          await pc.setLocalDescription(await pc.createOffer());
          this.send('call_offer', { sdp: pc.localDescription.sdp });
          break;
        }
        case 'call_offer': {
          if (!c.pc) return;
          await c.pc.setRemoteDescription({ type: 'offer', sdp: f.sdp });
          await this.flushIce();
          await c.pc.setLocalDescription(await c.pc.createAnswer());
          this.send('call_answer', { sdp: c.pc.localDescription.sdp });
          break;
        }
        case 'call_answer':
          if (!c.pc) return;
          await c.pc.setRemoteDescription({ type: 'answer', sdp: f.sdp });
          await this.flushIce();
          break;
        case 'call_ice':
          if (!f.candidate) return;
          if (c.pc?.remoteDescription) await c.pc.addIceCandidate(f.candidate).catch(() => {});
          else c.pendingIce.push(f.candidate);
          break;
        case 'call_reject':
          this.finish(f.reason === 'busy' ? `${c.peer.username} is in another call.` : `${c.peer.username} declined the call.`);
          break;
        case 'call_end':
          this.finish(`${c.peer.username} hung up.`);
          break;
      }
    } catch (e) {
      this.send('call_end', { reason: 'error' });
      this.finish(`Call failed: ${e.message}`);
    }
  }

  async accept() {
    const c = this.active;
    if (!c || c.state !== 'ringing') return;
    this.setState('connecting', 'Connecting…');
    try {
      await this.getMedia();
    } catch (e) {
      this.send('call_reject', { reason: 'no-media' });
      return this.finish(`Cannot use ${c.video ? 'camera or microphone' : 'microphone'}: ${e.message}`);
    }
    if (this.active !== c) return;
    this.createPeer();
    this.send('call_accept');
  }

  reject() {
    this.send('call_reject');
    this.finish('Call declined.');
  }

  hangUp(notify = true) {
    if (!this.active) return;
    if (notify) this.send('call_end');
    this.finish('Call ended.');
  }

  toggleMute() {
    const c = this.active;
    if (!c?.local) return;
    c.muted = !c.muted;
    for (const t of c.local.getAudioTracks()) t.enabled = !c.muted;
    this.renderControls();
  }

  toggleCamera() {
    const c = this.active;
    if (!c?.local) return;
    c.cameraOff = !c.cameraOff;
    for (const t of c.local.getVideoTracks()) t.enabled = !c.cameraOff;
    this.renderControls();
  }

  /** Ends the call locally: media stopped, the panel shows why for a moment. */
  finish(text) {
    const c = this.active;
    if (!c) return;
    this.active = null;
    c.pc?.close();
    c.local?.getTracks().forEach((t) => t.stop());
    this.remoteVideo.srcObject = null;
    this.localVideo.srcObject = null;
    this.element.dataset.state = 'ended';
    this.status.textContent = text;
    clear(this.controls, h('button', { class: 'ghost', onclick: () => this.close() }, 'Close'));
    clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => this.close(), 3000);
    this.app.render();
  }

  close() {
    if (this.active) return;
    this.element.hidden = true;
    this.element.dataset.state = 'idle';
  }

  renderControls() {
    const c = this.active;
    if (!c) return;
    if (c.state === 'ringing') {
      clear(this.controls,
        h('button', { class: 'primary accept', onclick: () => this.accept() }, 'Accept'),
        h('button', { class: 'danger', onclick: () => this.reject() }, 'Decline'));
      this.controls.querySelector('.accept').focus();
      return;
    }
    clear(this.controls,
      h('button', { class: 'ghost', 'aria-pressed': String(!!c.muted), onclick: () => this.toggleMute() }, c.muted ? 'Unmute' : 'Mute'),
      c.video ? h('button', { class: 'ghost', 'aria-pressed': String(!!c.cameraOff), onclick: () => this.toggleCamera() }, c.cameraOff ? 'Camera on' : 'Camera off') : null,
      h('button', { class: 'danger', onclick: () => this.hangUp(true) }, 'Hang up'));
  }

  onConnState(s) {
    // Signalling needs the socket; a call in progress keeps its media if the peers still reach each other.
    if (s === 'reconnecting' && this.active && this.active.state !== 'connected') this.finish('Connection lost: call ended.');
  }

  onMemberLeft(roomId, userId) {
    if (this.active && this.active.roomId === roomId && this.active.peer.id === userId) this.finish(`${this.active.peer.username} left the room.`);
  }

  onSignalError(f) {
    if (this.active && this.active.state !== 'connected') this.finish(`Call failed: ${f.message}`);
  }
}
