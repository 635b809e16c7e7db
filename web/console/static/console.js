// The console: the fleet on a map, a vehicle list and panel, commands, live events.
import * as L from '/static/vendor/leaflet/leaflet-src.esm.js';
import { getJson, sendCommand, SignedOut } from '/static/api.js';
import { offlineGrid } from '/static/offline-grid.js';
import { signedIn, signIn, signOut } from '/static/session.js';
import { EventStream } from '/static/stream.js';
import { VehiclesLayer } from '/static/vehicles-layer.js';

const TELEMETRY_FIELDS = ['lat', 'lon', 'alt_rel_m', 'alt_amsl_m', 'heading_deg', 'speed_mps',
  'battery_pct', 'armed', 'flight_mode', 'landed_state'];

const vehicles = new Map();
let selectedId = null;
let gotoArmed = false;

const map = L.map('map', { zoomControl: true, attributionControl: true });
const baseLayers = {
  'Offline grid': offlineGrid().addTo(map),
  'OpenStreetMap (online)': L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
    maxZoom: 19, attribution: '&copy; OpenStreetMap contributors',
  }),
};
L.control.layers(baseLayers, {}, { collapsed: true }).addTo(map);
L.control.scale({ metric: true, imperial: false }).addTo(map);
const layer = new VehiclesLayer(map, select);

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const fmt = (value, digits, unit) => (value == null ? '—' : `${value.toFixed(digits)} ${unit}`);

function renderList() {
  const list = $('vehicle-list');
  for (const vehicle of vehicles.values()) {
    let item = list.querySelector(`[data-vehicle="${vehicle.id}"]`);
    if (!item) {
      item = document.createElement('li');
      item.dataset.vehicle = vehicle.id;
      item.setAttribute('data-testid', `vehicle-item-${vehicle.id}`);
      item.innerHTML = '<span class="name"></span><span class="link"></span>';
      item.addEventListener('click', () => select(vehicle.id));
      list.appendChild(item);
    }
    item.classList.toggle('selected', vehicle.id === selectedId);
    item.querySelector('.name').textContent = `${vehicle.id} · ${vehicle.name}`;
    const link = item.querySelector('.link');
    link.textContent = vehicle.link;
    link.className = `link link-${vehicle.link}`;
  }
}

function renderPanel() {
  const vehicle = vehicles.get(selectedId);
  $('vehicle-panel').hidden = !vehicle;
  if (!vehicle) return;
  $('panel-name').textContent = `${vehicle.name} (${vehicle.id}, ${vehicle.department})`;
  $('panel-link').textContent = vehicle.link;
  $('panel-armed').textContent = vehicle.armed ? 'armed' : 'disarmed';
  $('panel-mode').textContent = `${vehicle.flight_mode} · ${vehicle.landed_state}`;
  $('panel-battery').textContent = fmt(vehicle.battery_pct, 0, '%');
  $('panel-alt').textContent = fmt(vehicle.alt_rel_m, 1, 'm');
  $('panel-alt').dataset.value = vehicle.alt_rel_m == null ? '' : String(vehicle.alt_rel_m);
  $('panel-speed').textContent = fmt(vehicle.speed_mps, 1, 'm/s');
  $('panel-heading').textContent = fmt(vehicle.heading_deg, 0, '°');
}

function select(vehicleId) {
  selectedId = vehicleId;
  layer.select(vehicleId);
  renderList();
  renderPanel();
}

function showStatus(text, isError) {
  const status = $('command-status');
  status.textContent = text;
  status.classList.toggle('error', Boolean(isError));
}

async function command(body) {
  if (!selectedId) return;
  showStatus(`${body.command}: sent`, false);
  const result = await sendCommand(selectedId, body);
  showStatus(result.ok ? `${body.command}: accepted` : `${body.command}: ${result.detail}`,
    !result.ok);
}

function altitudeInput() {
  return Number($('input-alt').value);
}

document.querySelector('.commands').addEventListener('click', (e) => {
  const button = e.target.closest('button');
  if (!button) return;
  const name = button.dataset.command;
  if (name === 'takeoff') command({ command: 'takeoff', alt_m: altitudeInput() });
  else if (name === 'goto') {
    gotoArmed = !gotoArmed;
    button.classList.toggle('active', gotoArmed);
    map.getContainer().classList.toggle('map-hint', gotoArmed);
    showStatus(gotoArmed ? 'click the map where it should go' : '', false);
  } else command({ command: name });
});

map.on('click', (e) => {
  if (!gotoArmed || !selectedId) return;
  gotoArmed = false;
  $('btn-goto').classList.remove('active');
  map.getContainer().classList.remove('map-hint');
  command({ command: 'goto', lat: e.latlng.lat, lon: e.latlng.lng, alt_m: altitudeInput() });
});

function onEvent(event) {
  const vehicle = vehicles.get(event.vehicle_id);
  if (!vehicle) return;
  if (event.type === 'telemetry') {
    for (const field of TELEMETRY_FIELDS) if (field in event) vehicle[field] = event[field];
    vehicle.updated_at = event.t;
    layer.update(vehicle);
  } else if (event.type === 'vehicle') {
    for (const field of ['link', 'armed', 'flight_mode']) {
      if (field in event) vehicle[field] = event[field];
    }
    renderList();
  } else if (event.type === 'command_result' && event.vehicle_id === selectedId) {
    showStatus(`${event.command}: ${event.ok ? 'accepted' : event.reason || 'refused'}`, !event.ok);
  }
  if (event.vehicle_id === selectedId) renderPanel();
}

function showSignIn(message) {
  document.querySelector('main').hidden = true;
  $('user').hidden = true;
  $('btn-sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message || '';
  $('input-username').focus();
}

$('sign-in-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const result = await signIn(form.get('username'), form.get('password'));
  if (!result.ok) {
    $('sign-in-error').textContent = result.detail;
    return;
  }
  e.target.reset();
  boot();
});

let stream = null;

$('btn-sign-out').addEventListener('click', async () => {
  if (stream) stream.stop();
  await signOut();
  window.location.reload();
});

async function start() {
  $('sign-in').hidden = true;
  document.querySelector('main').hidden = false;
  map.invalidateSize();
  const me = await getJson('/api/auth/me');
  $('user').textContent = `${me.username} · ${me.role} · ${me.departments.join(', ')}`;
  $('user').hidden = false;
  $('btn-sign-out').hidden = false;
  const health = await getJson('/api/health');
  const fleet = await getJson('/api/vehicles');
  const bounds = [];
  for (const vehicle of fleet) {
    vehicles.set(vehicle.id, vehicle);
    layer.addDock(vehicle.dock);
    layer.update(vehicle);
    bounds.push([vehicle.dock.lat, vehicle.dock.lon]);
  }
  if (bounds.length) map.fitBounds(bounds, { padding: [40, 40], maxZoom: 16 });
  else map.setView([22.5431, 114.0579], 13);
  renderList();
  stream = new EventStream({
    since: health.last_seq,
    onEvent,
    onSignedOut: () => showSignIn('session expired: sign in again'),
    onState: (state) => {
      const badge = $('stream-status');
      badge.dataset.state = state;
      badge.textContent = state;
    },
  });
  stream.connect();
}

function boot() {
  if (!signedIn()) {
    showSignIn('');
    return;
  }
  start().catch((error) => {
    if (error instanceof SignedOut) showSignIn('session expired: sign in again');
    else showStatus(String(error), true);
  });
}

boot();
