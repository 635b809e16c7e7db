// The event stream: replay after the last seq seen, then live; reconnects with `since`, so a
// dropped connection or a server restart loses no event the log still holds. The token goes in
// the first message (not the URL, which servers and proxies log); the server sends nothing
// before it has checked it.
import { accessToken } from '/static/session.js';

const CLOSE_POLICY = 1008;

export class EventStream {
  constructor({ since, onEvent, onState, onSignedOut }) {
    this.lastSeq = since;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onSignedOut = onSignedOut;
    this.retryMs = 500;
    this.socket = null;
    this.renew = false;
    this.stopped = false;
  }

  async connect() {
    if (this.stopped) return;
    this.onState('connecting');
    const token = await accessToken({ renew: this.renew });
    if (!token) {
      this.onSignedOut();
      return;
    }
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${window.location.host}/ws?since=${this.lastSeq}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({ type: 'auth', token }));
      this.retryMs = 500;
      this.renew = false;
      this.onState('live');
    });
    socket.addEventListener('message', (message) => {
      const event = JSON.parse(message.data);
      if (event.seq <= this.lastSeq) return;
      this.lastSeq = event.seq;
      this.onEvent(event);
    });
    socket.addEventListener('close', (e) => {
      if (this.stopped) return;
      this.renew = e.code === CLOSE_POLICY; // token refused: refresh it before retrying
      this.onState('reconnecting');
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    });
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close();
  }
}
