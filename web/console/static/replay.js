// Replay a mission from the event log at a chosen speed: its tasks' states on the timeline and
// its vehicles' tracks on the map, as they happened. The log is read through `/api/events`
// page by page (the same scoping as the live stream). Task and mission events are durable;
// telemetry lives in the server's memory only, so tracks replay for recent missions and a
// replay after a server restart shows the states without the tracks.
import * as L from '/static/vendor/leaflet/leaflet-src.esm.js';

const PAGE = 1000;
const MAX_PAGES = 300; // 300,000 events: a bound on what one replay may read
const TICK_MS = 100;
const MARGIN_MS = 5000; // events this close around the mission still belong to it
const TRACK_COLOUR = '#ad1457';

// The events of `mission` (its task and mission events, its vehicles' telemetry while it ran),
// oldest first. `lastSeq`: the log's newest seq when the replay was asked for.
export async function missionEvents(api, mission, lastSeq) {
  const vehicles = new Set((mission.tasks || []).map((task) => task.vehicle_id));
  const startMs = new Date(mission.created_at).getTime() - MARGIN_MS;
  const endMs = new Date(mission.updated_at).getTime() + MARGIN_MS;
  const ended = !['planned', 'active', 'paused'].includes(mission.state);
  const out = [];
  let since = 0;
  for (let page = 0; page < MAX_PAGES && since < lastSeq; page += 1) {
    const events = await api.getJson(`/api/events?since=${since}&limit=${PAGE}`);
    if (!events.length) {
      // Every event of this page was another department's: the next PAGE seqs are all seen.
      since += PAGE;
      continue;
    }
    for (const event of events) {
      const atMs = new Date(event.t).getTime();
      if ((event.type === 'task' || event.type === 'mission') && event.mission_id === mission.id) {
        out.push(event);
      } else if (event.type === 'telemetry' && vehicles.has(event.vehicle_id)
        && atMs >= startMs && (!ended || atMs <= endMs) && event.lat != null) {
        out.push(event);
      }
    }
    since = events[events.length - 1].seq;
    if (ended && new Date(events[events.length - 1].t).getTime() > endMs) break;
  }
  return out;
}

// Plays `events` on a clock running `speed` times real time; `onFrame(state)` gets the
// replayed task states and history so far. Tracks are drawn on `map`.
export class Replay {
  constructor(map, events, { speed = 10, onFrame = () => {}, onEnd = () => {} } = {}) {
    this.map = map;
    this.events = events;
    this.speed = speed;
    this.onFrame = onFrame;
    this.onEnd = onEnd;
    this.layer = L.layerGroup().addTo(map);
    this.tracks = new Map(); // vehicle id -> { line, marker }
    this.next = 0;
    this.timer = null;
    this.tasks = new Map(); // task id -> { state, progress, reason }
    this.history = new Map(); // task id -> [{ state, at }]
    this.startMs = events.length ? new Date(events[0].t).getTime() : 0;
    this.endMs = events.length ? new Date(events[events.length - 1].t).getTime() : 0;
    this.clockMs = this.startMs;
  }

  play() {
    this.stop();
    this.timer = setInterval(() => this.advance(TICK_MS * this.speed), TICK_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  close() {
    this.stop();
    this.layer.remove();
  }

  advance(ms) {
    this.clockMs += ms;
    while (this.next < this.events.length
      && new Date(this.events[this.next].t).getTime() <= this.clockMs) {
      this.apply(this.events[this.next]);
      this.next += 1;
    }
    const done = this.next >= this.events.length;
    if (done) this.clockMs = this.endMs;
    this.onFrame(this.state());
    if (done) {
      this.stop();
      this.onEnd();
    }
  }

  apply(event) {
    if (event.type === 'task') {
      this.tasks.set(event.task_id, { state: event.state, progress: event.progress,
        reason: event.reason });
      const seen = this.history.get(event.task_id) || [];
      seen.push({ state: event.state, at: new Date(event.t) });
      this.history.set(event.task_id, seen);
    } else if (event.type === 'telemetry') {
      const position = [event.lat, event.lon];
      let track = this.tracks.get(event.vehicle_id);
      if (!track) {
        track = {
          line: L.polyline([], { color: TRACK_COLOUR, weight: 3, opacity: 0.8 }).addTo(this.layer),
          marker: L.circleMarker(position, { radius: 7, color: '#fff', weight: 2,
            fillColor: TRACK_COLOUR, fillOpacity: 1 }).addTo(this.layer),
          points: 0,
        };
        this.tracks.set(event.vehicle_id, track);
      }
      track.line.addLatLng(position);
      track.marker.setLatLng(position);
      track.points += 1;
      const element = track.marker.getElement && track.marker.getElement();
      if (element) {
        element.setAttribute('data-testid', `replay-marker-${event.vehicle_id}`);
        element.dataset.points = String(track.points);
      }
    }
  }

  state() {
    const spanMs = this.endMs - this.startMs;
    return { clock: new Date(this.clockMs), tasks: this.tasks, history: this.history,
      fraction: spanMs > 0 ? (this.clockMs - this.startMs) / spanMs : 1 };
  }
}
