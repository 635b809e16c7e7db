// The event stream: replay after the last seq seen, then live; reconnects with `since`, so a
// dropped connection or a server restart loses no event the log still holds.

export class EventStream {
  constructor({ since, onEvent, onState }) {
    this.lastSeq = since;
    this.onEvent = onEvent;
    this.onState = onState;
    this.retryMs = 500;
    this.socket = null;
  }

  connect() {
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${window.location.host}/ws?since=${this.lastSeq}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    this.onState('connecting');
    socket.addEventListener('open', () => {
      this.retryMs = 500;
      this.onState('live');
    });
    socket.addEventListener('message', (message) => {
      const event = JSON.parse(message.data);
      if (event.seq <= this.lastSeq) return;
      this.lastSeq = event.seq;
      this.onEvent(event);
    });
    socket.addEventListener('close', () => {
      this.onState('reconnecting');
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    });
  }
}
