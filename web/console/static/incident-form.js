// A new incident in a few clicks: type and priority, a point or an area on the map, then the
// dispatcher's proposal (vehicles, ETA, battery margin, why) before anything flies, then
// confirm. With "dispatch at once" ticked, the preview step is skipped (the server dispatches
// by priority as soon as the incident is stored).
import * as L from '/static/vendor/leaflet/leaflet-src.esm.js';
import { formatLatLon, formatQuantity, onLocaleChange, t, translate } from '/static/i18n.js';
import { areaM2, PlaceTool } from '/static/place-tool.js';
import { proposedTasks, renderExplanation } from '/static/proposal.js';

// Incident types and the department that owns each (null: the reporter's own).
export const INCIDENT_TYPES = Object.freeze({
  fire: 'fire', person_search: 'fire', traffic_accident: 'traffic',
  reservoir_patrol: 'water', survey_3d: null, delivery: null, broadcast: null,
});
const AUTO_KEY = 'skywatch.autoDispatch';
const PLAN_STYLE = { color: '#6a1b9a', weight: 3, opacity: 0.8, dashArray: '6 6' };

function itemLatLngs(items) {
  return items.filter((i) => i.lat_deg != null && i.lon_deg != null
    && !(i.lat_deg === 0 && i.lon_deg === 0)).map((i) => [i.lat_deg, i.lon_deg]);
}

export class IncidentForm {
  // `api`: { postJson(path, body) -> {ok, status, data, detail} }; `onCreated(incident)`.
  constructor(container, { map, api, onCreated = () => {} }) {
    this.map = map;
    this.api = api;
    this.onCreated = onCreated;
    this.preview = null;
    this.statusText = () => '';
    this.root = container;
    this.root.innerHTML = `
      <form class="incident-form" data-testid="incident-form" novalidate>
        <h2 data-i18n="incidents.new"></h2>
        <div class="fields">
          <label><span data-i18n="incidents.type"></span>
            <select name="type" data-testid="incident-type">
              ${Object.keys(INCIDENT_TYPES).map((type) => `<option value="${type}"
                data-i18n="incident.type.${type}"></option>`).join('')}
            </select></label>
          <label><span data-i18n="incidents.priority"></span>
            <select name="priority" data-testid="incident-priority">
              ${[1, 2, 3, 4, 5].map((p) => `<option value="${p}"${p === 2 ? ' selected' : ''}>P${p}</option>`).join('')}
            </select></label>
          <label><span data-i18n="incidents.vehicles"></span>
            <input name="vehicles" type="number" min="1" max="10" step="1" value="1"
              data-testid="incident-vehicles"></label>
        </div>
        <div class="where">
          <span data-i18n="incidents.where"></span>
          <button type="button" data-testid="incident-pick-point" data-i18n="incidents.pick_point"></button>
          <button type="button" data-testid="incident-draw-area" data-i18n="incidents.draw_area"></button>
        </div>
        <p class="place" data-testid="incident-place-text"></p>
        <label class="note"><span data-i18n="incidents.note"></span>
          <textarea name="note" rows="2" maxlength="2000" data-testid="incident-note"></textarea></label>
        <label class="auto"><input type="checkbox" name="auto" data-testid="incident-auto">
          <span data-i18n="incidents.auto_dispatch"></span></label>
        <button type="submit" class="primary" data-testid="incident-preview"></button>
        <p class="status" data-testid="incident-status" role="status"></p>
        <section class="proposal" data-testid="proposal" hidden>
          <h3 data-i18n="proposal.title"></h3>
          <ul class="proposed-tasks" data-testid="proposal-tasks"></ul>
          <div class="proposal-body"></div>
          <div class="buttons">
            <button type="button" class="primary" data-testid="proposal-confirm" data-i18n="incidents.confirm"></button>
            <button type="button" data-testid="proposal-discard" data-i18n="incidents.discard"></button>
          </div>
        </section>
      </form>`;
    this.form = this.root.querySelector('form');
    this.plans = L.layerGroup().addTo(map);
    this.tool = new PlaceTool(map, {
      onChange: () => this.placeChanged(),
      onMode: (mode) => this.status(() => (mode ? t(mode === 'point' ? 'incidents.point_hint'
        : 'incidents.draw_hint') : '')),
    });
    const auto = this.form.elements.auto;
    try {
      auto.checked = localStorage.getItem(AUTO_KEY) === '1';
    } catch {
      auto.checked = false;
    }
    auto.addEventListener('change', () => {
      try {
        localStorage.setItem(AUTO_KEY, auto.checked ? '1' : '0');
      } catch {
        // storage disabled: the choice lasts until the page is reloaded
      }
      this.render();
    });
    this.$('incident-pick-point').addEventListener('click', () => this.tool.start('point'));
    this.$('incident-draw-area').addEventListener('click', () => this.tool.start('area'));
    this.$('proposal-confirm').addEventListener('click', () => this.create());
    this.$('proposal-discard').addEventListener('click', () => this.discard());
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (auto.checked) this.create();
      else this.requestPreview();
    });
    this.form.addEventListener('input', (e) => {
      if (e.target.name !== 'auto') this.discard();
    });
    this.form.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.preview) {
        e.preventDefault();
        this.discard();
      }
    });
    onLocaleChange(() => this.render());
    this.render();
  }

  $(testid) {
    return this.root.querySelector(`[data-testid="${testid}"]`);
  }

  // Offer only the types the user's departments may report (null: all of them).
  setDepartments(departments) {
    for (const option of this.form.elements.type.options) {
      const owner = INCIDENT_TYPES[option.value];
      option.hidden = Boolean(departments && owner && !departments.includes(owner));
    }
    const select = this.form.elements.type;
    if (select.selectedOptions[0] && select.selectedOptions[0].hidden) {
      const first = [...select.options].find((o) => !o.hidden);
      if (first) select.value = first.value;
    }
  }

  // The status line; `text` is a function so that it follows the language switch.
  status(text, isError = false) {
    this.statusText = text;
    const status = this.$('incident-status');
    status.textContent = text();
    status.classList.toggle('error', isError);
  }

  body() {
    const f = this.form.elements;
    const body = {
      type: f.type.value,
      geometry: this.tool.place.geometry,
      priority: Number(f.priority.value),
      vehicles: Number(f.vehicles.value),
    };
    if (f.note.value.trim()) body.note = f.note.value.trim();
    return body;
  }

  placeChanged() {
    this.discard();
    this.render();
  }

  placeText() {
    const place = this.tool.place;
    if (!place) return '';
    if (place.kind === 'point') {
      const [p] = place.latlngs;
      return t('incidents.place_point', { position: formatLatLon(p.lat, p.lng) });
    }
    const area = areaM2(place.latlngs);
    return t('incidents.place_area', { corners: place.latlngs.length,
      area: formatQuantity(area / 1e4, 'ha', 1) });
  }

  async requestPreview() {
    if (!this.tool.place) {
      this.status(() => t('incidents.no_place'), true);
      return;
    }
    this.status(() => t('incidents.previewing'));
    const result = await this.api.postJson('/api/incidents/preview', this.body());
    if (!result.ok) {
      this.status(() => t('command.refused', { command: t('incidents.preview'),
        reason: result.detail }), true);
      return;
    }
    this.status(() => '');
    this.preview = result.data;
    this.showPreview();
  }

  showPreview() {
    const proposal = this.$('proposal');
    proposal.hidden = false;
    const tasks = proposedTasks(this.preview);
    const list = this.$('proposal-tasks');
    list.replaceChildren(...tasks.map((task) => {
      const item = document.createElement('li');
      item.setAttribute('data-testid', `proposal-task-${task.vehicleId}`);
      item.textContent = `${task.vehicleId}: ${task.summary}`;
      return item;
    }));
    this.plans.clearLayers();
    for (const task of tasks) {
      const points = itemLatLngs(task.items);
      if (points.length > 1) {
        L.polyline(points, { ...PLAN_STYLE, interactive: false }).addTo(this.plans);
      }
    }
    this.root.querySelector('.proposal-body')
      .replaceChildren(renderExplanation(this.preview.explanation));
    this.$('proposal-confirm').focus();
  }

  discard() {
    this.preview = null;
    this.$('proposal').hidden = true;
    this.plans.clearLayers();
  }

  async create() {
    if (!this.tool.place) {
      this.status(() => t('incidents.no_place'), true);
      return;
    }
    this.$('proposal-confirm').disabled = true;
    const result = await this.api.postJson('/api/incidents', this.body());
    this.$('proposal-confirm').disabled = false;
    if (!result.ok) {
      this.status(() => t('command.refused', { command: t('incidents.confirm'),
        reason: result.detail }), true);
      return;
    }
    this.discard();
    this.tool.clear();
    this.form.elements.note.value = '';
    this.status(() => t('incidents.created', { id: result.data.id }));
    this.onCreated(result.data);
  }

  render() {
    translate(this.root);
    this.$('incident-preview').textContent = t(this.form.elements.auto.checked
      ? 'incidents.dispatch_now' : 'incidents.preview');
    this.$('incident-place-text').textContent = this.placeText();
    this.$('incident-status').textContent = this.statusText();
    if (this.preview) {
      this.root.querySelector('.proposal-body')
        .replaceChildren(renderExplanation(this.preview.explanation));
    }
  }
}
