// The selected vehicle's live camera: the newest preview its onboard bridge sent (thermal or
// RGB), with the detector's boxes drawn over it and how old the picture is. Polls the relay
// twice a second (GET /api/vehicles/{id}/camera/{modality}?after=<frame>, 204 while nothing
// is newer), only while a vehicle is selected and the page is visible. The age is counted
// from the frame's capture time, so a picture that stops coming shows a growing latency
// instead of passing for live.
import { formatQuantity, onLocaleChange, t, tValue } from '/static/i18n.js';

const POLL_MS = 500;
const IDLE_POLL_MS = 2000; // a camera that has sent nothing: ask less often
const STALE_MS = 5000;
const CLOCK_AHEAD_MS = -500; // a frame from the future: the clocks disagree, no latency to show
const BOX_COLOURS = { fire: '#ff6d00', smoke: '#b0bec5', person: '#00e5ff' };

export class CameraView {
  // `container`: an element to fill; `api`: { getIfAny }.
  constructor(container, { api }) {
    this.api = api;
    this.vehicleId = null;
    this.frame = 0;
    this.capturedAt = null;
    this.timer = null;
    this.state = 'none';
    this.root = container;
    this.root.innerHTML = `
      <div class="panel-head">
        <h3 data-i18n="camera.title"></h3>
        <label><span class="visually-hidden" data-i18n="camera.modality"></span>
          <select data-testid="camera-modality">
            <option value="thermal" data-i18n="camera.thermal"></option>
            <option value="rgb" data-i18n="camera.rgb"></option>
          </select></label>
      </div>
      <canvas class="camera-canvas" data-testid="camera-canvas" width="320" height="256"
        role="img" data-i18n-aria-label="camera.title"></canvas>
      <p class="camera-status" data-testid="camera-status" role="status"></p>`;
    this.canvas = this.root.querySelector('canvas');
    this.status = this.root.querySelector('.camera-status');
    this.modality = this.root.querySelector('select');
    this.modality.addEventListener('change', () => this.show(this.vehicleId));
    document.addEventListener('visibilitychange', () => this.schedule(0));
    onLocaleChange(() => this.renderStatus());
    this.renderStatus();
  }

  // Follow `vehicleId`'s camera (null: none). Called again on a modality switch.
  show(vehicleId) {
    this.vehicleId = vehicleId;
    this.frame = 0;
    this.capturedAt = null;
    this.setState('waiting');
    this.canvas.getContext('2d').clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.canvas.dataset.frame = '0';
    this.canvas.dataset.boxes = '0';
    this.schedule(0);
  }

  schedule(delayMs) {
    clearTimeout(this.timer);
    if (this.vehicleId) this.timer = setTimeout(() => this.poll(), delayMs);
  }

  async poll() {
    const vehicleId = this.vehicleId;
    const modality = this.modality.value;
    if (!vehicleId || document.hidden) return; // visibilitychange starts it again
    try {
      const path = `/api/vehicles/${encodeURIComponent(vehicleId)}/camera/${modality}`;
      const answer = await this.api.getIfAny(`${path}?after=${this.frame}`);
      if (vehicleId !== this.vehicleId || modality !== this.modality.value) return; // switched
      if (answer.data) await this.draw(answer.data);
      else if (answer.status === 404) this.setState('none');
    } catch (error) {
      this.setState('error');
      console.warn(`camera ${vehicleId}: ${error}`);
    }
    this.renderStatus();
    this.schedule(this.state === 'none' ? IDLE_POLL_MS : POLL_MS);
  }

  async draw(preview) {
    const image = new Image();
    image.src = `data:image/jpeg;base64,${preview.jpeg}`;
    await image.decode();
    const { canvas } = this;
    if (canvas.width !== preview.width || canvas.height !== preview.height) {
      canvas.width = preview.width;
      canvas.height = preview.height;
    }
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0, preview.width, preview.height);
    const line = Math.max(1, Math.round(preview.width / 160));
    context.lineWidth = line;
    context.font = `${6 * line}px system-ui, sans-serif`;
    for (const { label, score, box: [x1, y1, x2, y2] } of preview.boxes) {
      context.strokeStyle = BOX_COLOURS[label] || '#ffeb3b';
      context.fillStyle = context.strokeStyle;
      context.strokeRect(x1, y1, x2 - x1, y2 - y1);
      const caption = `${tValue('label', label)} ${Math.round(score * 100)}`;
      context.fillText(caption, x1, Math.max(6 * line, y1 - line));
    }
    this.frame = preview.frame;
    this.capturedAt = new Date(preview.captured_at);
    canvas.dataset.frame = String(preview.frame);
    canvas.dataset.boxes = String(preview.boxes.length);
    this.setState('live');
  }

  setState(state) {
    this.state = state;
    this.root.dataset.state = state;
  }

  // "Latency 0.4 s" from the frame's capture time to now; stale after 5 s without a frame.
  renderStatus() {
    if (this.state !== 'live' || !this.capturedAt) {
      this.status.textContent = t(`camera.${this.state}`);
      this.status.classList.remove('stale');
      delete this.status.dataset.latencyMs;
      return;
    }
    const latencyMs = Date.now() - this.capturedAt.getTime();
    this.status.dataset.latencyMs = String(latencyMs);
    this.status.classList.toggle('stale', latencyMs > STALE_MS || latencyMs < CLOCK_AHEAD_MS);
    if (latencyMs < CLOCK_AHEAD_MS) { // a sped-up simulator, or a vehicle clock not in sync
      this.status.textContent = t('camera.clock_ahead',
        { offset: formatQuantity(-latencyMs / 1000, 's', 1) });
      return;
    }
    this.status.textContent = t(latencyMs > STALE_MS ? 'camera.stale' : 'camera.latency',
      { latency: formatQuantity(latencyMs / 1000, 's', 1) });
  }
}
