// Operational layers on the map, each switchable in the layer control: incidents (points and
// areas, coloured by state), the plans of running missions, and tracked fires and people with
// their uncertainty circles.
import * as L from '/static/vendor/leaflet/leaflet-src.esm.js';
import { formatDistance, formatQuantity, tValue } from '/static/i18n.js';

const INCIDENT_COLOURS = { new: '#c62828', dispatched: '#ef6c00', active: '#d84315',
  resolved: '#607d8b', cancelled: '#9e9e9e' };
const TASK_COLOURS = { planned: '#7e57c2', queued: '#7e57c2', launching: '#5e35b1',
  transit: '#3949ab', on_station: '#2e7d32', returning: '#00838f' };
const LABEL_COLOURS = { fire: '#e65100', smoke: '#757575', person: '#1565c0' };
// A flame and a standing figure: told apart at a glance, and without colour.
const LABEL_SYMBOLS = {
  fire: '<path d="M12 2c1 4 5 6 5 11a5 5 0 0 1-10 0c0-3 2-4 2-7 2 1 3 3 3 5 1-2 0-6 0-9z"/>',
  person: '<circle cx="12" cy="5" r="3"/><path d="M8 10h8l-1 7h-2l-0.5 5h-1l-0.5-5h-2z"/>',
};

function objectIcon(event) {
  const symbol = LABEL_SYMBOLS[event.label] || '<circle cx="12" cy="12" r="6"/>';
  return L.divIcon({ className: '', iconSize: [24, 24], iconAnchor: [12, 12],
    html: `<div class="object-icon label-${event.label}" data-testid="object-${event.object_id}"
      data-label="${event.label}"><svg viewBox="0 0 24 24" width="20" height="20"
      aria-hidden="true" fill="#fff">${symbol}</svg></div>` });
}

function itemLatLngs(items) {
  return (items || []).filter((i) => i.lat_deg != null && i.lon_deg != null
    && !(i.lat_deg === 0 && i.lon_deg === 0)).map((i) => [i.lat_deg, i.lon_deg]);
}

export class OperationsLayers {
  constructor(map, { onSelectIncident = () => {} } = {}) {
    this.map = map;
    this.onSelectIncident = onSelectIncident;
    this.incidents = L.layerGroup().addTo(map);
    this.plans = L.layerGroup().addTo(map);
    this.detections = L.layerGroup().addTo(map);
    this.objects = new Map(); // object id -> { circle, marker }
  }

  // The overlays by catalogue key, for the layer control.
  overlays() {
    return { 'layer.incidents': this.incidents, 'layer.plans': this.plans,
      'layer.detections': this.detections };
  }

  showIncidents(incidents) {
    this.incidents.clearLayers();
    for (const incident of incidents) {
      const colour = INCIDENT_COLOURS[incident.state] || '#c62828';
      const g = incident.geometry;
      const style = { color: colour, weight: 2, fillOpacity: 0.2 };
      const shape = g.type === 'Point'
        ? L.circleMarker([g.coordinates[1], g.coordinates[0]],
          { ...style, radius: 10, fillOpacity: 0.6 })
        : L.polygon(g.coordinates[0].map(([lon, lat]) => [lat, lon]), style);
      const type = tValue('incident.type', incident.type);
      shape.bindTooltip(`${incident.id} · ${type} · P${incident.priority}`);
      shape.on('click', () => this.onSelectIncident(incident.id));
      shape.addTo(this.incidents);
      const element = shape.getElement && shape.getElement();
      if (element) {
        element.setAttribute('data-testid', `incident-shape-${incident.id}`);
        element.dataset.state = incident.state;
      }
    }
  }

  showPlans(missions) {
    this.plans.clearLayers();
    for (const mission of missions) {
      for (const task of mission.tasks || []) {
        const colour = TASK_COLOURS[task.state];
        if (!colour) continue; // ended: its plan is history
        const points = itemLatLngs(task.plan && task.plan.items);
        if (points.length < 2) continue;
        const line = L.polyline(points,
          { color: colour, weight: 3, opacity: 0.75, dashArray: '8 6' });
        const state = tValue('task.state', task.state);
        line.bindTooltip(`${mission.id} · ${task.vehicle_id} · ${state}`);
        line.addTo(this.plans);
        const element = line.getElement && line.getElement();
        if (element) element.setAttribute('data-testid', `plan-${task.id}`);
      }
    }
  }

  // A tracked object (`object` event): where it is, how sure, one marker per object.
  showObject(event) {
    if (event.lat_deg == null || event.lon_deg == null) return;
    const position = [event.lat_deg, event.lon_deg];
    const colour = LABEL_COLOURS[event.label] || '#424242';
    let drawn = this.objects.get(event.object_id);
    if (!drawn) {
      drawn = {
        circle: L.circle(position, { radius: 1, color: colour, weight: 1, fillOpacity: 0.15,
          interactive: false }).addTo(this.detections),
        marker: L.marker(position, { icon: objectIcon(event) }).addTo(this.detections),
      };
      this.objects.set(event.object_id, drawn);
    }
    // One sigma of the ellipse's long axis: the circle holds the ellipse, never understates.
    const radiusM = Math.max(event.sigma_major_m || 0, 1);
    drawn.circle.setLatLng(position).setRadius(radiusM);
    const circle = drawn.circle.getElement && drawn.circle.getElement();
    if (circle) {
      circle.setAttribute('data-testid', `object-circle-${event.object_id}`);
      circle.dataset.radiusM = String(radiusM);
    }
    drawn.marker.setLatLng(position);
    const confidence = formatQuantity((event.confidence ?? 0) * 100, 'pct');
    drawn.marker.bindTooltip(`${tValue('label', event.label)} · ${event.vehicle_id} · `
      + `${confidence} · ±${formatDistance(event.sigma_major_m)}`);
  }
}
