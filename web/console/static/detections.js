// What the drones found: one row per tracked object (a fire, a person), not per frame, with the
// evidence crop the vehicle sent as a thumbnail, newest first. Filled from
// GET /api/detections/objects on opening, then kept current by `object` events.
import { keepFocus } from '/static/dom.js';
import {
  formatDistance, formatQuantity, formatTime, onLocaleChange, t, translate, tValue,
} from '/static/i18n.js';

const MAX_ROWS = 200;
const COUNTED = ['fire', 'person'];

export class ObjectList {
  // `api`: { getJson, getBlob }; `onSelect(object)`: show it on the map.
  constructor(container, { api, onSelect = () => {} }) {
    this.api = api;
    this.onSelect = onSelect;
    this.objects = new Map(); // object id -> latest state
    this.thumbnails = new Map(); // evidence detection id -> object URL, or null: no crop
    this.root = container;
    this.root.innerHTML = `
      <div class="panel-head">
        <h2 data-i18n="objects.title"></h2>
        <span class="object-counts" data-testid="object-counts"></span>
      </div>
      <p class="empty" data-i18n="objects.empty"></p>
      <ol class="object-list" data-testid="object-list"></ol>`;
    this.list = this.root.querySelector('.object-list');
    onLocaleChange(() => this.render());
    this.render();
  }

  // The objects seen before this page opened; returns them for the map.
  async load() {
    const objects = await this.api.getJson('/api/detections/objects');
    for (const object of objects) this.objects.set(object.object_id, object);
    this.render();
    return objects;
  }

  handleEvent(event) {
    if (event.type !== 'object') return;
    const before = this.objects.get(event.object_id);
    const old = before && before.evidence_detection_id;
    if (old && old !== event.evidence_detection_id) { // its crop is not shown any more
      if (this.thumbnails.get(old)) URL.revokeObjectURL(this.thumbnails.get(old));
      this.thumbnails.delete(old);
    }
    this.objects.set(event.object_id, event);
    this.render();
  }

  newestFirst() {
    return [...this.objects.values()]
      .sort((a, b) => String(b.evidence_at).localeCompare(String(a.evidence_at)))
      .slice(0, MAX_ROWS);
  }

  render() {
    translate(this.root);
    const objects = this.newestFirst();
    this.root.querySelector('.empty').hidden = objects.length > 0;
    const counts = COUNTED.map((label) => [label,
      objects.filter((o) => o.label === label).length]).filter(([, n]) => n > 0);
    const countsText = this.root.querySelector('.object-counts');
    countsText.textContent = counts.map(([label, n]) => t('objects.count',
      { label: tValue('label', label), count: n })).join(' · ');
    for (const [label, n] of counts) countsText.dataset[label] = String(n);
    keepFocus(this.list, () => this.list.replaceChildren(...objects.map((o) => this.row(o))));
  }

  row(object) {
    const item = document.createElement('li');
    item.className = `object label-${object.label}`;
    item.setAttribute('data-testid', `object-item-${object.object_id}`);
    item.dataset.label = object.label;
    const thumb = document.createElement('span');
    thumb.className = 'thumb';
    this.fillThumbnail(thumb, object);
    const text = document.createElement('button');
    text.type = 'button';
    text.className = 'object-text';
    text.setAttribute('data-testid', `object-select-${object.object_id}`);
    text.textContent = t('objects.row', {
      label: tValue('label', object.label), vehicle: object.vehicle_id,
      confidence: formatQuantity((object.confidence ?? 0) * 100, 'pct'),
      sigma: formatDistance(object.sigma_major_m),
    });
    text.addEventListener('click', () => this.onSelect(object));
    const time = document.createElement('time');
    time.dateTime = object.evidence_at;
    time.textContent = formatTime(object.evidence_at);
    item.append(thumb, text, time);
    return item;
  }

  // The crop of the detection that last confirmed the object. Fetched once per detection with
  // the session's token (an <img src> could not send it) and kept as an object URL.
  fillThumbnail(thumb, object) {
    const id = object.evidence_detection_id;
    if (!id) return;
    const show = (url) => {
      if (!url) return;
      const img = document.createElement('img');
      img.src = url;
      img.alt = t('objects.evidence', { label: tValue('label', object.label) });
      img.setAttribute('data-testid', `object-thumb-${object.object_id}`);
      thumb.replaceChildren(img);
    };
    if (this.thumbnails.has(id)) {
      show(this.thumbnails.get(id));
      return;
    }
    this.thumbnails.set(id, null); // asked for: one request per crop, however often we render
    this.api.getBlob(`/api/detections/${encodeURIComponent(id)}/crop`).then((blob) => {
      if (!blob || !this.thumbnails.has(id)) return; // none, or replaced while loading
      this.thumbnails.set(id, URL.createObjectURL(blob));
      this.render();
    }).catch((error) => console.warn(`crop ${id}: ${error}`));
  }
}
