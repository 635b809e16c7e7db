// The incidents of the user's departments: a list kept current by `incident` and `dispatch`
// events, and for the selected one its dispatch explanation (folded: it was read before
// confirming) and a cancel button.
import { keepFocus } from '/static/dom.js';
import { confirmDialog } from '/static/dialog.js';
import { formatTime, onLocaleChange, t, translate, tValue } from '/static/i18n.js';
import { renderExplanation } from '/static/proposal.js';

const OPEN = new Set(['new', 'dispatched', 'active']);

export class IncidentList {
  // `api`: { getJson, postJson }; `onSelect(incident)`: show it on the map;
  // `onChange(incidents)`: the list changed (the map layer redraws).
  constructor(container, { api, onSelect = () => {}, onChange = () => {} }) {
    this.api = api;
    this.onSelect = onSelect;
    this.onChange = onChange;
    this.incidents = new Map();
    this.selectedId = null;
    this.statusText = () => '';
    this.root = container;
    this.root.innerHTML = `
      <h2 data-i18n="incidents.title"></h2>
      <p class="empty" data-i18n="incidents.empty"></p>
      <ul class="incident-list" data-testid="incident-list"></ul>
      <div class="incident-detail" data-testid="incident-detail" hidden>
        <details class="explanation-box" data-testid="incident-explanation">
          <summary data-i18n="incidents.why"></summary><div></div></details>
        <button type="button" class="danger operator-only" data-testid="incident-cancel"
          data-i18n="incidents.cancel"></button>
        <p class="status" data-testid="incident-detail-status" role="status"></p>
      </div>`;
    this.list = this.root.querySelector('.incident-list');
    this.root.querySelector('[data-testid="incident-cancel"]')
      .addEventListener('click', () => this.cancelSelected());
    onLocaleChange(() => this.render());
    this.render();
  }

  async load() {
    for (const incident of await this.api.getJson('/api/incidents')) {
      this.incidents.set(incident.id, incident);
    }
    this.render();
    this.onChange([...this.incidents.values()]);
  }

  // Keep an incident as the API returned it (after a POST) without waiting for its event.
  put(incident) {
    this.incidents.set(incident.id, incident);
    this.render();
    this.onChange([...this.incidents.values()]);
  }

  async refresh(incidentId) {
    try {
      this.put(await this.api.getJson(`/api/incidents/${encodeURIComponent(incidentId)}`));
    } catch (error) {
      console.warn(`incident ${incidentId}: ${error}`);
    }
  }

  handleEvent(event) {
    if ((event.type === 'incident' || event.type === 'dispatch') && event.incident_id) {
      const known = this.incidents.get(event.incident_id);
      if (known && event.state) this.put({ ...known, state: event.state });
      this.refresh(event.incident_id); // the event carries the state, the API the rest
    } else if (event.type === 'mission' && event.incident_id) {
      const known = this.incidents.get(event.incident_id);
      if (known && !known.mission_ids.includes(event.mission_id)) this.refresh(event.incident_id);
    }
  }

  select(incidentId) {
    if (incidentId !== this.selectedId) this.statusText = () => '';
    this.selectedId = incidentId;
    this.render();
    const incident = this.incidents.get(incidentId);
    if (incident) this.onSelect(incident);
  }

  async cancelSelected() {
    const incident = this.incidents.get(this.selectedId);
    if (!incident) return;
    const ok = await confirmDialog({ title: t('incidents.cancel'), danger: true,
      body: t('incidents.cancel_confirm', { id: incident.id }), testid: 'incident-cancel' });
    if (!ok) return;
    const result = await this.api.postJson(
      `/api/incidents/${encodeURIComponent(incident.id)}/cancel`, {});
    this.statusText = () => (result.ok ? '' : t('command.refused', {
      command: t('incidents.cancel'), reason: result.detail }));
    this.root.querySelector('[data-testid="incident-detail-status"]')
      .classList.toggle('error', !result.ok);
    if (result.ok) this.put(result.data);
    else this.render();
  }

  render() {
    translate(this.root);
    const incidents = [...this.incidents.values()].sort((a, b) => (
      (OPEN.has(b.state) - OPEN.has(a.state)) || (a.priority - b.priority)
      || b.created_at.localeCompare(a.created_at)));
    this.root.querySelector('.empty').hidden = incidents.length > 0;
    keepFocus(this.list, () => this.list.replaceChildren(
      ...incidents.map((incident) => this.renderItem(incident))));
    const selected = this.incidents.get(this.selectedId);
    const detail = this.root.querySelector('.incident-detail');
    detail.hidden = !selected;
    if (!selected) return;
    detail.querySelector('[data-testid="incident-detail-status"]').textContent = this.statusText();
    detail.querySelector('.explanation-box > div')
      .replaceChildren(renderExplanation(selected.explanation, { testid: 'incident' }));
    detail.querySelector('[data-testid="incident-cancel"]').hidden = !OPEN.has(selected.state);
  }

  renderItem(incident) {
    const item = document.createElement('li');
    item.className = `incident state-${incident.state}`;
    item.classList.toggle('selected', incident.id === this.selectedId);
    item.setAttribute('data-testid', `incident-item-${incident.id}`);
    item.dataset.state = incident.state;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'incident-name';
    button.textContent = t('incidents.item', { id: incident.id,
      type: tValue('incident.type', incident.type), priority: incident.priority });
    button.addEventListener('click', () => this.select(incident.id));
    const state = document.createElement('span');
    state.className = `badge state-${incident.state}`;
    state.setAttribute('data-testid', `incident-state-${incident.id}`);
    state.textContent = tValue('incident.state', incident.state);
    const time = document.createElement('time');
    time.dateTime = incident.created_at;
    time.textContent = formatTime(incident.created_at);
    item.append(button, state, time);
    return item;
  }
}
