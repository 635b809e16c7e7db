// Vehicles on the map: an icon rotated to the heading, a trail of where it has been, its dock.
import * as L from '/static/vendor/leaflet/leaflet-src.esm.js';

const TRAIL_POINTS = 600;
const TRAIL_MIN_STEP_DEG = 0.000005; // about half a metre: skip points that add nothing

const DRONE_SVG = `<svg viewBox="0 0 32 32" width="32" height="32" aria-hidden="true">
  <path d="M16 2 L26 28 L16 22 L6 28 Z" fill="#1565c0" stroke="#fff" stroke-width="2"/></svg>`;
const ROVER_SVG = `<svg viewBox="0 0 32 32" width="32" height="32" aria-hidden="true">
  <path d="M16 3 L25 12 L25 28 L7 28 L7 12 Z" fill="#e65100" stroke="#fff" stroke-width="2"/></svg>`;

function vehicleIcon(vehicle) {
  const html = `<div class="vehicle-icon" data-testid="vehicle-marker-${vehicle.id}">
    <div class="body">${vehicle.kind === 'rover' ? ROVER_SVG : DRONE_SVG}</div>
    <span class="label">${vehicle.id}</span></div>`;
  return L.divIcon({ html, className: '', iconSize: [32, 32], iconAnchor: [16, 16] });
}

export class VehiclesLayer {
  constructor(map, onSelect) {
    this.map = map;
    this.onSelect = onSelect;
    this.markers = new Map();
    this.trails = new Map();
    this.docks = L.layerGroup().addTo(map);
  }

  addDock(dock) {
    const icon = L.divIcon({
      html: `<div class="dock-icon" data-testid="dock-${dock.id}" title="${dock.id}"></div>`,
      className: '', iconSize: [14, 14], iconAnchor: [7, 7],
    });
    L.marker([dock.lat, dock.lon], { icon, interactive: false, keyboard: false })
      .addTo(this.docks);
  }

  update(vehicle) {
    if (vehicle.lat == null || vehicle.lon == null) return;
    const position = [vehicle.lat, vehicle.lon];
    let marker = this.markers.get(vehicle.id);
    if (!marker) {
      marker = L.marker(position, { icon: vehicleIcon(vehicle), zIndexOffset: 1000 })
        .addTo(this.map);
      marker.on('click', () => this.onSelect(vehicle.id));
      this.markers.set(vehicle.id, marker);
      this.trails.set(vehicle.id, L.polyline([position], {
        color: vehicle.kind === 'rover' ? '#e65100' : '#1565c0', weight: 2, opacity: 0.7,
      }).addTo(this.map));
    } else {
      marker.setLatLng(position);
      this.extendTrail(vehicle.id, position);
    }
    const icon = marker.getElement() && marker.getElement().querySelector('.vehicle-icon');
    if (!icon) return;
    icon.querySelector('.body').style.transform = `rotate(${vehicle.heading_deg || 0}deg)`;
    // Position and heading as data attributes: what a test (or a screen reader) can read.
    icon.dataset.lat = String(vehicle.lat);
    icon.dataset.lon = String(vehicle.lon);
    icon.dataset.headingDeg = String(vehicle.heading_deg ?? '');
  }

  extendTrail(vehicleId, position) {
    const trail = this.trails.get(vehicleId);
    const points = trail.getLatLngs();
    const last = points[points.length - 1];
    if (last && Math.abs(last.lat - position[0]) < TRAIL_MIN_STEP_DEG
        && Math.abs(last.lng - position[1]) < TRAIL_MIN_STEP_DEG) return;
    points.push(L.latLng(position));
    if (points.length > TRAIL_POINTS) points.splice(0, points.length - TRAIL_POINTS);
    trail.setLatLngs(points);
  }

  select(vehicleId) {
    for (const [id, marker] of this.markers) {
      const icon = marker.getElement() && marker.getElement().querySelector('.vehicle-icon');
      if (icon) icon.classList.toggle('selected', id === vehicleId);
    }
  }
}
