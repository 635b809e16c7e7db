// The alarm panel: what needs a person now (a new incident, a fire or a person found, a vehicle
// that lost its link or runs low, a task that failed), with a beep and an acknowledgement.
// A fire or a person counts once its track is confirmed (an `object` event), not on every
// frame's detection. An alarm stays until someone acknowledges it; the same condition on the
// same vehicle updates the open alarm instead of piling up (a flapping link beeps once).
import { keepFocus } from '/static/dom.js';
import {
  formatQuantity, formatTime, onLocaleChange, t, translate, tValue,
} from '/static/i18n.js';

const LOW_BATTERY_PCT = 25;
const BATTERY_RECOVERED_PCT = 30; // hysteresis: a battery hovering at 25 % alarms once
const KEEP_ACKNOWLEDGED = 30;
const DETECTION_LABELS = new Set(['fire', 'person']);
// Beeps per severity: two high tones for critical, one lower for a warning, none for info.
const TONES = { critical: [[1046, 0.16], [1046, 0.16]], warning: [[784, 0.2]], info: [] };

// A short beep through WebAudio (no sound file to download). Browsers start audio only after a
// user gesture; the context is created on the first click or key press (signing in is one).
class Beeper {
  constructor() {
    this.context = null;
    this.enabled = true;
    this.played = 0;
    const unlock = () => {
      this.ensure();
      window.removeEventListener('pointerdown', unlock, true);
      window.removeEventListener('keydown', unlock, true);
    };
    window.addEventListener('pointerdown', unlock, true);
    window.addEventListener('keydown', unlock, true);
  }

  ensure() {
    if (!this.context) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return null;
      this.context = new Context();
    }
    if (this.context.state === 'suspended') this.context.resume().catch(() => {});
    return this.context;
  }

  play(severity) {
    const tones = TONES[severity] || [];
    if (!this.enabled || !tones.length) return false;
    const context = this.ensure();
    if (!context) return false;
    let start = context.currentTime;
    for (const [frequencyHz, durationS] of tones) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = 'square';
      oscillator.frequency.value = frequencyHz;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.2, start + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + durationS);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start);
      oscillator.stop(start + durationS);
      start += durationS + 0.08;
    }
    this.played += 1;
    return true;
  }
}

export class AlarmPanel {
  // `container`: an element to fill; `onSelect(alarm)`: the operator picked an alarm (show its
  // vehicle or incident); `vehicleName(id)`: how to call a vehicle in a message.
  constructor(container, { onSelect = () => {}, vehicleName = (id) => id } = {}) {
    this.onSelect = onSelect;
    this.vehicleName = vehicleName;
    this.alarms = [];
    this.nextId = 1;
    this.lowBattery = new Set();
    this.linkLost = new Set();
    this.objects = new Set(); // tracked objects already alarmed
    this.beeper = new Beeper();
    this.root = container;
    this.root.classList.add('alarm-panel');
    this.root.innerHTML = `
      <div class="panel-head">
        <h2 data-i18n="alarms.title"></h2>
        <span class="alarm-count" data-testid="alarm-count"></span>
        <button type="button" class="sound" data-testid="alarm-sound" aria-pressed="true"></button>
        <button type="button" data-testid="alarm-ack-all" data-i18n="alarms.ack_all"></button>
      </div>
      <p class="empty" data-testid="alarms-empty" data-i18n="alarms.empty"></p>
      <ol class="alarm-list" data-testid="alarm-list" aria-live="assertive"></ol>`;
    this.list = this.root.querySelector('.alarm-list');
    this.root.querySelector('[data-testid="alarm-ack-all"]')
      .addEventListener('click', () => this.acknowledgeAll());
    this.root.querySelector('[data-testid="alarm-sound"]').addEventListener('click', (e) => {
      this.beeper.enabled = !this.beeper.enabled;
      e.currentTarget.setAttribute('aria-pressed', String(this.beeper.enabled));
      this.render();
    });
    onLocaleChange(() => this.render());
    this.render();
  }

  // Raise (or refresh) an alarm. `text` is a function so that it follows the language switch.
  raise({
    key, severity, text, vehicleId = null, incidentId = null, position = null, at = new Date(),
  }) {
    const open = this.alarms.find((a) => a.key === key && !a.acknowledged);
    if (open) {
      Object.assign(open, { severity, text, at, repeats: open.repeats + 1 });
    } else {
      this.alarms.unshift({
        id: this.nextId, key, severity, text, vehicleId, incidentId, position, at,
        acknowledged: false, repeats: 0,
      });
      this.nextId += 1;
      if (this.beeper.play(severity)) this.root.dataset.beeps = String(this.beeper.played);
    }
    this.trim();
    this.render();
  }

  acknowledge(id) {
    const alarm = this.alarms.find((a) => a.id === id);
    if (!alarm || alarm.acknowledged) return;
    alarm.acknowledged = true;
    alarm.acknowledgedAt = new Date();
    this.trim();
    this.render();
  }

  acknowledgeAll() {
    for (const alarm of this.alarms) {
      if (alarm.acknowledged) continue;
      Object.assign(alarm, { acknowledged: true, acknowledgedAt: new Date() });
    }
    this.trim();
    this.render();
  }

  unacknowledged() {
    return this.alarms.filter((a) => !a.acknowledged);
  }

  trim() {
    const acknowledged = this.alarms.filter((a) => a.acknowledged);
    if (acknowledged.length <= KEEP_ACKNOWLEDGED) return;
    const drop = new Set(acknowledged.slice(KEEP_ACKNOWLEDGED).map((a) => a.id));
    this.alarms = this.alarms.filter((a) => !drop.has(a.id));
  }

  // Turn a server event into an alarm when it is one.
  handleEvent(event) {
    const vehicle = event.vehicle_id;
    const name = () => this.vehicleName(vehicle);
    const at = event.t ? new Date(event.t) : new Date();
    switch (event.type) {
      case 'vehicle':
        if (event.link === 'lost' && !this.linkLost.has(vehicle)) {
          this.linkLost.add(vehicle);
          this.raise({ key: `link:${vehicle}`, severity: 'critical', vehicleId: vehicle, at,
            text: () => t('alarm.link_lost', { vehicle: name() }) });
        } else if (event.link === 'connected' && this.linkLost.delete(vehicle)) {
          this.raise({ key: `link-back:${vehicle}`, severity: 'info', vehicleId: vehicle, at,
            text: () => t('alarm.link_back', { vehicle: name() }) });
        }
        break;
      case 'telemetry':
        this.checkBattery(vehicle, event.battery_pct, at);
        break;
      case 'incident':
        if (event.state === 'new') {
          this.raise({ key: `incident:${event.incident_id}`, incidentId: event.incident_id, at,
            severity: event.priority <= 2 ? 'critical' : 'warning',
            text: () => t('alarm.incident_new', { id: event.incident_id,
              type: tValue('incident.type', event.incident_type), priority: event.priority }) });
        }
        break;
      case 'task':
        if (event.state === 'failed') {
          this.raise({ key: `task:${event.task_id}`, severity: 'critical', vehicleId: vehicle, at,
            text: () => t('alarm.task_failed', { vehicle: name(), task: event.task_id,
              reason: event.reason || '—' }) });
        }
        break;
      case 'mission':
        if (event.state === 'failed') {
          this.raise({ key: `mission:${event.mission_id}`, severity: 'critical', at,
            incidentId: event.incident_id,
            text: () => t('alarm.mission_failed', { id: event.mission_id,
              reason: event.reason || '—' }) });
        }
        break;
      case 'object': // a tracked object, confirmed over several frames: one alarm each
        if (DETECTION_LABELS.has(event.label) && !this.objects.has(event.object_id)) {
          this.objects.add(event.object_id);
          this.raise({ key: `object:${event.object_id}`, severity: 'critical', vehicleId: vehicle,
            incidentId: event.incident_id, at, position: [event.lat_deg, event.lon_deg],
            text: () => t('alarm.detection', { vehicle: name(), label: tValue('label', event.label),
              score: formatQuantity((event.confidence ?? 0) * 100, 'pct') }) });
        }
        break;
      default:
    }
  }

  // After a (re)load: alarms for what is still wrong now (a link down, a low battery, an
  // incident no vehicle has taken), since the events that raised them came before this page.
  // Objects found before are news no more: they are in the list and on the map, and only a
  // new one alarms (a reload during a search must not beep for every person found so far).
  fromState({ vehicles = [], incidents = [], objects = [] }) {
    for (const o of objects) this.objects.add(o.object_id);
    for (const v of vehicles) {
      if (v.link === 'lost') {
        this.handleEvent({ type: 'vehicle', vehicle_id: v.id, link: 'lost', t: v.updated_at });
      }
      this.checkBattery(v.id, v.battery_pct, new Date());
    }
    for (const i of incidents) {
      if (i.state !== 'new') continue;
      this.handleEvent({ type: 'incident', incident_id: i.id, incident_type: i.type,
        state: 'new', priority: i.priority, t: i.created_at });
    }
  }

  checkBattery(vehicle, batteryPct, at) {
    if (batteryPct == null) return;
    if (batteryPct < LOW_BATTERY_PCT && !this.lowBattery.has(vehicle)) {
      this.lowBattery.add(vehicle);
      this.raise({ key: `battery:${vehicle}`, severity: 'warning', vehicleId: vehicle, at,
        text: () => t('alarm.low_battery', { vehicle: this.vehicleName(vehicle),
          battery: formatQuantity(batteryPct, 'pct') }) });
    } else if (batteryPct > BATTERY_RECOVERED_PCT) {
      this.lowBattery.delete(vehicle);
    }
  }

  render() {
    translate(this.root);
    const open = this.unacknowledged().length;
    this.root.dataset.unacknowledged = String(open);
    this.root.classList.toggle('has-open', open > 0);
    this.root.querySelector('.alarm-count').textContent = open
      ? t('alarms.unacknowledged', { count: open }) : '';
    const sound = this.root.querySelector('[data-testid="alarm-sound"]');
    sound.textContent = t(this.beeper.enabled ? 'alarms.sound_on' : 'alarms.sound_off');
    this.root.querySelector('.empty').hidden = this.alarms.length > 0;
    const items = this.alarms.map((alarm) => this.renderAlarm(alarm));
    keepFocus(this.list, () => this.list.replaceChildren(...items));
  }

  renderAlarm(alarm) {
    const item = document.createElement('li');
    item.className = `alarm severity-${alarm.severity}${alarm.acknowledged ? ' acknowledged' : ''}`;
    item.setAttribute('data-testid', `alarm-${alarm.id}`);
    item.dataset.key = alarm.key;
    item.dataset.severity = alarm.severity;
    const time = document.createElement('time');
    time.dateTime = alarm.at.toISOString();
    time.textContent = formatTime(alarm.at);
    const text = document.createElement('button');
    text.type = 'button';
    text.className = 'alarm-text';
    text.textContent = alarm.repeats ? `${alarm.text()} ×${alarm.repeats + 1}` : alarm.text();
    text.addEventListener('click', () => this.onSelect(alarm));
    item.append(time, text);
    if (!alarm.acknowledged) {
      const ack = document.createElement('button');
      ack.type = 'button';
      ack.className = 'ack';
      ack.textContent = t('alarms.ack');
      ack.setAttribute('data-testid', `alarm-ack-${alarm.id}`);
      ack.addEventListener('click', () => this.acknowledge(alarm.id));
      item.append(ack);
    }
    return item;
  }
}
