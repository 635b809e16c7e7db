// An offline base layer: a graticule drawn on canvas tiles, so the map is usable with no tile
// server reachable (a command post in a disaster area may have no internet at all).
import * as L from '/static/vendor/leaflet/leaflet-src.esm.js';

// Grid spacings in degrees, coarse to fine; a tile gets the finest with lines >= 60 px apart.
const STEPS_DEG = [10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005,
  0.0002, 0.0001];
const MIN_SPACING_PX = 60;
// Labels on every third tile row/column only: every tile labelling its own lines would print
// the same value once per tile.
const LABEL_EVERY_TILES = 3;
const LABEL_MARGIN_PX = 48;

function stepForZoom(map, zoom, latDeg) {
  for (let i = STEPS_DEG.length - 1; i >= 0; i -= 1) {
    const step = STEPS_DEG[i];
    const a = map.project([latDeg, 0], zoom);
    const b = map.project([latDeg, step], zoom);
    if (Math.abs(b.x - a.x) >= MIN_SPACING_PX) return step;
  }
  return STEPS_DEG[0];
}

function formatDeg(value, step) {
  const decimals = Math.max(0, Math.ceil(-Math.log10(step)));
  return value.toFixed(decimals);
}

export const OfflineGrid = L.GridLayer.extend({
  options: { attribution: 'offline graticule', maxZoom: 22 },

  createTile(coords) {
    const tile = document.createElement('canvas');
    const size = this.getTileSize();
    tile.width = size.x;
    tile.height = size.y;
    const ctx = tile.getContext('2d');
    const map = this._map;
    const origin = coords.scaleBy(size);
    const nw = map.unproject(origin, coords.z);
    const se = map.unproject(origin.add(size), coords.z);
    const step = stepForZoom(map, coords.z, (nw.lat + se.lat) / 2);

    ctx.fillStyle = '#eef2ea';
    ctx.fillRect(0, 0, size.x, size.y);
    ctx.strokeStyle = '#b9c4b0';
    ctx.fillStyle = '#6b7a66';
    ctx.lineWidth = 1;
    ctx.font = '10px system-ui, sans-serif';

    for (let lon = Math.ceil(nw.lng / step) * step; lon <= se.lng; lon += step) {
      const x = Math.round(map.project([nw.lat, lon], coords.z).x - origin.x) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, 0);
      ctx.lineTo(x, size.y);
      ctx.stroke();
      if (coords.y % LABEL_EVERY_TILES === 0 && x < size.x - LABEL_MARGIN_PX) {
        ctx.fillText(`${formatDeg(lon, step)}°E`, x + 3, size.y - 4);
      }
    }
    for (let lat = Math.ceil(se.lat / step) * step; lat <= nw.lat; lat += step) {
      const y = Math.round(map.project([lat, nw.lng], coords.z).y - origin.y) + 0.5;
      ctx.beginPath();
      ctx.moveTo(0, y);
      ctx.lineTo(size.x, y);
      ctx.stroke();
      if (coords.x % LABEL_EVERY_TILES === 0 && y > 12) {
        ctx.fillText(`${formatDeg(lat, step)}°N`, 3, y - 3);
      }
    }
    return tile;
  },
});

export function offlineGrid(options) {
  return new OfflineGrid(options);
}
