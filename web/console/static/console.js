// The console: the fleet on a map, a vehicle list and panel, commands, live events; incidents,
// missions and alarms in their own panels (incident-form.js, incidents.js, missions.js,
// alarms.js). All text comes from the message catalogues (i18n.js).
import * as L from '/static/vendor/leaflet/leaflet-src.esm.js';
import { AlarmPanel } from '/static/alarms.js';
import {
  getBlob, getIfAny, getJson, postForm, postJson, sendCommand, SignedOut,
} from '/static/api.js';
import { CameraView } from '/static/camera.js';
import { ObjectList } from '/static/detections.js';
import { confirmDialog } from '/static/dialog.js';
import {
  currentLocale, formatLatLon, formatQuantity, initLocale, LOCALES, onLocaleChange, setLocale, t,
  tValue,
} from '/static/i18n.js';
import { IncidentForm } from '/static/incident-form.js';
import { IncidentList } from '/static/incidents.js';
import { OperationsLayers } from '/static/layers.js';
import { MissionList } from '/static/missions.js';
import { offlineGrid } from '/static/offline-grid.js';
import { ScheduleList } from '/static/schedules.js';
import { signedIn, signIn, signOut } from '/static/session.js';
import { EventStream } from '/static/stream.js';
import { VehiclesLayer } from '/static/vehicles-layer.js';

const TELEMETRY_FIELDS = ['lat', 'lon', 'alt_rel_m', 'alt_amsl_m', 'heading_deg', 'speed_mps',
  'battery_pct', 'armed', 'flight_mode', 'landed_state'];
// Commands that cannot be taken back: asked again in a dialog before they are sent.
const DANGEROUS = new Set(['arm', 'disarm', 'land', 'payload_release']);
// Roles that only look: the console hides what the server would refuse them anyway.
const READ_ONLY_ROLES = new Set(['analyst', 'developer']);

const vehicles = new Map();
let selectedId = null;
let gotoArmed = false;
let me = null;

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const api = { getJson, postJson };

const map = L.map('map', { zoomControl: true, attributionControl: true });
const baseLayers = {
  'map.offline_grid': offlineGrid().addTo(map),
  'map.osm': L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
    maxZoom: 19, attribution: '&copy; OpenStreetMap contributors',
  }),
};
L.control.scale({ metric: true, imperial: false }).addTo(map);
const layer = new VehiclesLayer(map, select);
const operations = new OperationsLayers(map, { onSelectIncident: (id) => incidents.select(id) });
let layerControl = null;

// The layer control names its layers in the current language: rebuilt on a switch.
function buildLayerControl() {
  if (layerControl) layerControl.remove();
  const named = (layers) => Object.fromEntries(Object.entries(layers).map(([k, v]) => [t(k), v]));
  layerControl = L.control.layers(named(baseLayers),
    named({ 'layer.docks': layer.docks, ...operations.overlays() }), { collapsed: true })
    .addTo(map);
}

const alarms = new AlarmPanel(document.getElementById('alarms'), {
  vehicleName: (id) => (vehicles.get(id) ? vehicles.get(id).name : id),
  // A fire or person found: the map shows where, the panel the drone that found it (and so
  // its camera); other alarms show their vehicle or incident.
  onSelect: (alarm) => {
    if (alarm.vehicleId && vehicles.has(alarm.vehicleId)) {
      select(alarm.vehicleId, { pan: !alarm.position });
    } else if (alarm.incidentId) incidents.select(alarm.incidentId);
    if (alarm.position) map.panTo(alarm.position);
  },
});
const objects = new ObjectList(document.getElementById('objects'), {
  api: { getJson, getBlob },
  onSelect: (object) => map.panTo([object.lat_deg, object.lon_deg]),
});
// The selected vehicle's camera in a corner of the map, where the eye already is.
const cameraBox = L.DomUtil.create('div', 'camera');
cameraBox.setAttribute('data-testid', 'camera');
cameraBox.hidden = true;
L.DomEvent.disableClickPropagation(cameraBox);
L.DomEvent.disableScrollPropagation(cameraBox);
new (L.Control.extend({ onAdd: () => cameraBox }))({ position: 'bottomleft' }).addTo(map);
const camera = new CameraView(cameraBox, { api: { getIfAny } });
const incidents = new IncidentList(document.getElementById('incidents'), {
  api,
  onChange: (list) => operations.showIncidents(list),
  onSelect: (incident) => {
    const g = incident.geometry;
    if (g.type === 'Point') map.panTo([g.coordinates[1], g.coordinates[0]]);
    else map.fitBounds(g.coordinates[0].map(([lon, lat]) => [lat, lon]), { maxZoom: 17 });
  },
});
const missions = new MissionList(document.getElementById('missions'), {
  api, map,
  onChange: (list) => operations.showPlans(list),
  onSelect: (mission) => {
    const points = (mission.tasks || []).flatMap((task) => (task.plan ? task.plan.items : []))
      .filter((i) => i.lat_deg != null && !(i.lat_deg === 0 && i.lon_deg === 0))
      .map((i) => [i.lat_deg, i.lon_deg]);
    if (points.length) map.fitBounds(points, { padding: [40, 40], maxZoom: 17 });
  },
});
const schedules = new ScheduleList(document.getElementById('schedules'), { api });
const incidentForm = new IncidentForm(document.getElementById('incident-form'), {
  map, api,
  onCreated: (incident) => {
    incidents.put(incident);
    incidents.select(incident.id);
    if (incident.mission_ids.length) {
      missions.fetch(incident.mission_ids[0]).then(() => missions.select(incident.mission_ids[0]));
    }
  },
});

function renderList() {
  const list = $('vehicle-list');
  for (const vehicle of vehicles.values()) {
    let item = list.querySelector(`[data-vehicle="${vehicle.id}"]`);
    if (!item) {
      item = document.createElement('li');
      item.dataset.vehicle = vehicle.id;
      item.setAttribute('data-testid', `vehicle-item-${vehicle.id}`);
      item.innerHTML = '<button type="button" class="name"></button><span class="link"></span>';
      item.addEventListener('click', () => select(vehicle.id)); // the button's too (keyboard)
      list.appendChild(item);
    }
    item.classList.toggle('selected', vehicle.id === selectedId);
    item.querySelector('.name').textContent = `${vehicle.id} · ${vehicle.name}`;
    const link = item.querySelector('.link');
    link.textContent = tValue('link', vehicle.link);
    link.dataset.link = vehicle.link;
    link.className = `link link-${vehicle.link}`;
  }
}

function renderPanel() {
  const vehicle = vehicles.get(selectedId);
  $('vehicle-panel').hidden = !vehicle;
  if (!vehicle) return;
  $('panel-name').textContent = t('vehicle.name', { name: vehicle.name, id: vehicle.id,
    department: tValue('department', vehicle.department) });
  $('panel-link').textContent = tValue('link', vehicle.link);
  $('panel-link').dataset.value = vehicle.link;
  $('panel-armed').textContent = t(vehicle.armed ? 'vehicle.is_armed' : 'vehicle.is_disarmed');
  $('panel-armed').dataset.value = String(Boolean(vehicle.armed));
  $('panel-mode').textContent = `${tValue('mode', vehicle.flight_mode)} · ${
    tValue('landed', vehicle.landed_state)}`;
  $('panel-mode').dataset.value = `${vehicle.flight_mode} ${vehicle.landed_state}`;
  $('panel-battery').textContent = formatQuantity(vehicle.battery_pct, 'pct');
  $('panel-alt').textContent = formatQuantity(vehicle.alt_rel_m, 'm', 1);
  $('panel-alt').dataset.value = vehicle.alt_rel_m == null ? '' : String(vehicle.alt_rel_m);
  $('panel-speed').textContent = formatQuantity(vehicle.speed_mps, 'mps', 1);
  $('panel-heading').textContent = formatQuantity(vehicle.heading_deg, 'deg');
  $('panel-position').textContent = formatLatLon(vehicle.lat, vehicle.lon);
}

function select(vehicleId, { pan = false } = {}) {
  if (vehicleId !== selectedId) camera.show(vehicleId);
  cameraBox.hidden = !vehicleId;
  selectedId = vehicleId;
  layer.select(vehicleId);
  renderList();
  renderPanel();
  const vehicle = vehicles.get(vehicleId);
  if (pan && vehicle && vehicle.lat != null) map.panTo([vehicle.lat, vehicle.lon]);
}

function showStatus(text, isError) {
  const status = $('command-status');
  status.textContent = text;
  status.classList.toggle('error', Boolean(isError));
}

// The status line of a command: "<command>: accepted" in the current language, with the
// command's machine name kept in data-command for anyone (a test, a screen reader) to read.
let lastCommandStatus = null;

function commandStatus(command, key, reason) {
  lastCommandStatus = [command, key, reason];
  showStatus(t(key, { command: t(`command.${command}`), reason }), key === 'command.refused');
  $('command-status').dataset.command = command;
  $('command-status').dataset.result = key.split('.')[1];
}

async function command(body) {
  if (!selectedId) return;
  const vehicle = vehicles.get(selectedId);
  if (DANGEROUS.has(body.command)) {
    const name = t(`command.${body.command}`);
    const ok = await confirmDialog({
      title: t('command.confirm_title', { command: name, vehicle: vehicle.name }),
      body: t(`command.confirm_${body.command}`, { vehicle: vehicle.name }),
      confirmLabel: name, danger: true, testid: `confirm-${body.command}`,
    });
    if (!ok) return;
  }
  commandStatus(body.command, 'command.sent');
  const result = await sendCommand(selectedId, body);
  commandStatus(body.command, result.ok ? 'command.accepted' : 'command.refused', result.detail);
}

function altitudeInput() {
  return Number($('input-alt').value);
}

function setGoto(armed) {
  gotoArmed = armed;
  lastCommandStatus = null;
  $('btn-goto').classList.toggle('active', armed);
  $('btn-goto').setAttribute('aria-pressed', String(armed));
  map.getContainer().classList.toggle('map-hint', armed);
  showStatus(armed ? t('command.goto_hint') : '', false);
}

document.querySelector('.commands').addEventListener('click', (e) => {
  const button = e.target.closest('button');
  if (!button) return;
  const name = button.dataset.command;
  if (name === 'takeoff') command({ command: 'takeoff', alt_m: altitudeInput() });
  else if (name === 'goto') setGoto(!gotoArmed);
  else command({ command: name });
});

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && gotoArmed) setGoto(false);
});

// An operator's own plan file (QGC .plan, .waypoints, GeoJSON, KML, Skywatch JSON) for the
// selected vehicle: it takes off and flies it, supervised like any mission.
$('fly-plan-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const vehicle = vehicles.get(selectedId);
  const file = e.target.elements.file.files[0];
  if (!vehicle || !file) return;
  const ok = await confirmDialog({
    title: t('plan.confirm_title', { vehicle: vehicle.name }),
    body: t('plan.confirm', { vehicle: vehicle.name, file: file.name }),
    confirmLabel: t('plan.fly'), danger: true, testid: 'confirm-plan',
  });
  if (!ok) return;
  const form = new FormData(e.target);
  form.set('vehicle_id', vehicle.id);
  const result = await postForm('/api/missions', form);
  lastCommandStatus = null;
  showStatus(result.ok ? t('plan.started', { id: result.data.id })
    : t('command.refused', { command: t('plan.fly'), reason: result.detail }), !result.ok);
  if (result.ok) {
    e.target.reset();
    missions.put(result.data);
    missions.select(result.data.id);
  }
});

map.on('click', (e) => {
  if (!gotoArmed || !selectedId) return;
  setGoto(false);
  command({ command: 'goto', lat: e.latlng.lat, lon: e.latlng.lng, alt_m: altitudeInput() });
});

function onEvent(event) {
  alarms.handleEvent(event);
  incidents.handleEvent(event);
  missions.handleEvent(event);
  schedules.handleEvent(event);
  objects.handleEvent(event);
  if (event.type === 'object') operations.showObject(event);
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
    commandStatus(event.command, event.ok ? 'command.accepted' : 'command.refused',
      event.reason || '—');
  }
  if (event.vehicle_id === selectedId) renderPanel();
}

function renderUser() {
  if (!me) return;
  $('user').textContent = t('header.user', { user: me.username, role: tValue('role', me.role),
    departments: me.departments.map((d) => tValue('department', d)).join(', ') });
}

function renderStream(state) {
  const badge = $('stream-status');
  badge.dataset.state = state;
  badge.textContent = t(`stream.${state}`);
}

// The server's refusals the operator meets most, in their language; others as the server says.
function signInError(result) {
  if (result.status === 401) return t('sign_in.wrong');
  if (result.status === 429) {
    return t('sign_in.rate_limited', { seconds: result.retryAfterS ?? '—' });
  }
  return t('sign_in.failed', { detail: result.detail });
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
    $('sign-in-error').textContent = signInError(result);
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

function languageSwitch() {
  const select = $('language');
  select.replaceChildren(...Object.entries(LOCALES).map(([code, name]) => {
    const option = document.createElement('option');
    option.value = code;
    option.textContent = name;
    option.lang = code;
    return option;
  }));
  select.value = currentLocale();
  select.addEventListener('change', () => setLocale(select.value));
}

onLocaleChange(() => {
  $('language').value = currentLocale();
  buildLayerControl();
  renderList();
  renderPanel();
  renderUser();
  renderStream($('stream-status').dataset.state);
  if (lastCommandStatus) commandStatus(...lastCommandStatus);
  else if (gotoArmed) showStatus(t('command.goto_hint'), false);
});

async function start() {
  $('sign-in').hidden = true;
  document.querySelector('main').hidden = false;
  map.invalidateSize();
  me = await getJson('/api/auth/me');
  renderUser();
  document.body.dataset.operate = String(!READ_ONLY_ROLES.has(me.role));
  $('user').hidden = false;
  $('btn-sign-out').hidden = false;
  incidentForm.setDepartments(me.departments);
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
  // A list that cannot be read (a role without access, a server error) must not keep the
  // map, the vehicles and the event stream from working.
  const found = objects.load().then((list) => list.forEach((o) => operations.showObject(o)));
  const lists = [incidents.load(), missions.load(), schedules.load(), found];
  await Promise.all(lists.map((loading) => loading.catch(
    (error) => {
      if (error instanceof SignedOut) throw error;
      console.warn(String(error));
    },
  )));
  alarms.fromState({ vehicles: fleet, incidents: [...incidents.incidents.values()],
    objects: [...objects.objects.values()] });
  stream = new EventStream({
    since: health.last_seq,
    onEvent,
    onSignedOut: () => showSignIn(t('sign_in.expired')),
    onState: renderStream,
  });
  stream.connect();
}

function boot() {
  if (!signedIn()) {
    showSignIn('');
    return;
  }
  start().catch((error) => {
    if (error instanceof SignedOut) showSignIn(t('sign_in.expired'));
    else showStatus(String(error), true);
  });
}

initLocale().then(() => {
  languageSwitch();
  buildLayerControl();
  renderStream('connecting');
  boot();
});
