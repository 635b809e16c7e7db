// Where an incident is: one click for a point, or clicks for the corners of an area. A small tool
// of our own on Leaflet (a few dozen lines do what an incident form needs); the result is
// GeoJSON in [lon, lat] order, as the API takes it.
import * as L from '/static/vendor/leaflet/leaflet-src.esm.js';

const CLOSE_PX = 12; // a click this close to the first corner closes the area
const STYLE = { color: '#c62828', weight: 2, fillOpacity: 0.15 };

// Area of a small polygon in m², on a local equirectangular projection around its first corner
// (incident areas are a few km across; the error is far below what an operator draws).
export function areaM2(latlngs) {
  if (latlngs.length < 3) return 0;
  const r = 6_371_008.8;
  const lat0 = (latlngs[0].lat * Math.PI) / 180;
  const xy = latlngs.map((p) => [
    (((p.lng - latlngs[0].lng) * Math.PI) / 180) * r * Math.cos(lat0),
    (((p.lat - latlngs[0].lat) * Math.PI) / 180) * r,
  ]);
  let twice = 0;
  for (let i = 0; i < xy.length; i += 1) {
    const [x1, y1] = xy[i];
    const [x2, y2] = xy[(i + 1) % xy.length];
    twice += x1 * y2 - x2 * y1;
  }
  return Math.abs(twice) / 2;
}

export class PlaceTool {
  // `onChange(place)`: place is null or { geometry, latlngs, kind: 'point' | 'area' }.
  // `onMode(mode)`: 'point', 'area' or null, so the page can show a hint.
  constructor(map, { onChange = () => {}, onMode = () => {} } = {}) {
    this.map = map;
    this.onChange = onChange;
    this.onMode = onMode;
    this.mode = null;
    this.corners = [];
    this.place = null;
    this.shapes = L.layerGroup().addTo(map);
    this.onClick = (e) => this.click(e);
    this.onMove = (e) => this.move(e);
    this.onKey = (e) => this.key(e);
  }

  start(mode) {
    this.stop();
    this.mode = mode;
    this.corners = [];
    this.map.on('click', this.onClick);
    this.map.on('mousemove', this.onMove);
    document.addEventListener('keydown', this.onKey);
    this.map.doubleClickZoom.disable();
    this.map.getContainer().classList.add('map-hint');
    this.onMode(mode);
  }

  stop() {
    if (!this.mode) return;
    this.mode = null;
    this.map.off('click', this.onClick);
    this.map.off('mousemove', this.onMove);
    document.removeEventListener('keydown', this.onKey);
    this.map.doubleClickZoom.enable();
    this.map.getContainer().classList.remove('map-hint');
    this.onMode(null);
  }

  active() {
    return this.mode !== null;
  }

  clear() {
    this.stop();
    this.corners = [];
    this.place = null;
    this.shapes.clearLayers();
    this.onChange(null);
  }

  click(e) {
    if (this.mode === 'point') {
      this.set({ kind: 'point', latlngs: [e.latlng],
        geometry: { type: 'Point', coordinates: [e.latlng.lng, e.latlng.lat] } });
      this.stop();
      return;
    }
    const first = this.corners[0];
    if (first && this.corners.length >= 3) {
      const a = this.map.latLngToContainerPoint(first);
      if (a.distanceTo(e.containerPoint) <= CLOSE_PX) {
        this.closeArea();
        return;
      }
    }
    this.corners.push(e.latlng);
    this.drawOpen(null);
  }

  move(e) {
    if (this.mode === 'area' && this.corners.length) this.drawOpen(e.latlng);
  }

  key(e) {
    if (e.key === 'Escape') {
      e.preventDefault();
      if (!this.place) {
        this.clear();
        return;
      }
      this.stop(); // back to the place chosen before
      this.draw(this.place);
    } else if (e.key === 'Enter' && this.mode === 'area' && this.corners.length >= 3) {
      e.preventDefault();
      this.closeArea();
    } else if (e.key === 'Backspace' && this.mode === 'area' && this.corners.length) {
      e.preventDefault();
      this.corners.pop();
      this.drawOpen(null);
    }
  }

  drawOpen(cursor) {
    this.shapes.clearLayers();
    const points = cursor ? [...this.corners, cursor] : this.corners;
    L.polyline(points, { ...STYLE, dashArray: '4 4', interactive: false }).addTo(this.shapes);
    for (const corner of this.corners) {
      L.circleMarker(corner, { ...STYLE, radius: 4, interactive: false }).addTo(this.shapes);
    }
  }

  closeArea() {
    const ring = this.corners.map((p) => [p.lng, p.lat]);
    ring.push(ring[0]);
    this.set({ kind: 'area', latlngs: [...this.corners],
      geometry: { type: 'Polygon', coordinates: [ring] } });
    this.stop();
  }

  set(place) {
    this.place = place;
    this.draw(place);
    this.onChange(place);
  }

  draw(place) {
    this.shapes.clearLayers();
    const shape = place.kind === 'point'
      ? L.circleMarker(place.latlngs[0], { ...STYLE, radius: 9, fillOpacity: 0.5 })
      : L.polygon(place.latlngs, STYLE);
    shape.addTo(this.shapes);
    const element = shape.getElement && shape.getElement();
    if (element) element.setAttribute('data-testid', 'incident-place');
  }
}
