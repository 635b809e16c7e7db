// Missions: a list with state and progress, and for the selected mission a timeline of its
// tasks (each vehicle's states with their times, progress through its plan) and pause, resume,
// abort behind a confirmation. State changes arrive as `mission` and `task` events; progress
// is not an event (it changes with every waypoint), so the selected mission is re-read every
// couple of seconds while it runs.
import { keepFocus } from '/static/dom.js';
import { confirmDialog } from '/static/dialog.js';
import { formatQuantity, formatTime, onLocaleChange, t, translate, tValue } from '/static/i18n.js';
import { missionEvents, Replay } from '/static/replay.js';
import { renderTimeline } from '/static/timeline.js';

const RUNNING = new Set(['planned', 'active', 'paused']);
const TASK_ORDER = ['planned', 'queued', 'launching', 'transit', 'on_station', 'returning', 'done',
  'failed', 'cancelled'];
const POLL_MS = 2000;
const ACTIONS = {
  pause: { when: ['active'], confirm: 'missions.pause_confirm', danger: false },
  resume: { when: ['paused'], confirm: 'missions.resume_confirm', danger: false },
  abort: { when: ['planned', 'active', 'paused'], confirm: 'missions.abort_confirm', danger: true },
  watch: { when: ['active'], confirm: null, danger: false }, // the server: active only
};
const WATCH_MAX_MIN = 240;

export function missionProgress(mission) {
  const tasks = (mission.tasks || []).filter((task) => task.state !== 'cancelled');
  if (!tasks.length) return mission.state === 'completed' ? 1 : 0;
  return tasks.reduce((sum, task) => sum + (task.state === 'done' ? 1 : task.progress), 0)
    / tasks.length;
}

export class MissionList {
  // `api`: { getJson, postJson }; `onChange(missions)`: the plans layer redraws;
  // `onSelect(mission)`: show it on the map; `map`: where a replay draws its tracks.
  constructor(container, { api, map = null, onChange = () => {}, onSelect = () => {} }) {
    this.api = api;
    this.map = map;
    this.replay = null;
    this.onChange = onChange;
    this.onSelect = onSelect;
    this.missions = new Map();
    this.history = new Map(); // task id -> [{ state, at }] seen since the page loaded
    this.selectedId = null;
    this.poller = null;
    this.statusText = () => '';
    this.root = container;
    this.root.innerHTML = `
      <h2 data-i18n="missions.title"></h2>
      <p class="empty" data-i18n="missions.empty"></p>
      <ul class="mission-list" data-testid="mission-list"></ul>
      <div class="mission-detail" data-testid="mission-detail" hidden>
        <div class="mission-actions operator-only">
          ${['pause', 'resume', 'abort'].map((action) => `<button type="button"
            data-testid="mission-${action}" data-action="${action}"
            class="${ACTIONS[action].danger ? 'danger' : ''}"
            data-i18n="missions.${action}"></button>`).join('')}
          <label class="watch"><span data-i18n="missions.watch_min"></span>
            <input type="number" min="1" max="${WATCH_MAX_MIN}" step="1" value="10"
              data-testid="mission-watch-min"></label>
          <button type="button" data-testid="mission-watch" data-action="watch"
            data-i18n="missions.watch"></button>
        </div>
        <p class="status" data-testid="mission-status" role="status"></p>
        <h3 data-i18n="missions.timeline"></h3>
        <div class="replay-controls">
          <label><span data-i18n="replay.speed"></span>
            <select data-testid="replay-speed">
              ${[1, 10, 60].map((x) => `<option value="${x}"${x === 10 ? ' selected' : ''}>${x}×</option>`).join('')}
            </select></label>
          <button type="button" data-testid="replay-play" data-i18n="replay.play"></button>
          <button type="button" data-testid="replay-stop" data-i18n="replay.stop" hidden></button>
          <span class="replay-status" data-testid="replay-status" role="status"></span>
        </div>
        <div class="timeline" data-testid="mission-timeline"></div>
      </div>`;
    this.list = this.root.querySelector('.mission-list');
    this.root.querySelector('.mission-actions').addEventListener('click', (e) => {
      const button = e.target.closest('button[data-action]');
      if (button) this.act(button.dataset.action);
    });
    this.root.querySelector('[data-testid="replay-play"]')
      .addEventListener('click', () => this.startReplay());
    this.root.querySelector('[data-testid="replay-stop"]')
      .addEventListener('click', () => this.endReplay());
    this.replayText = () => '';
    onLocaleChange(() => this.render());
    this.render();
  }

  // Read the selected mission's events from the log and play them at the chosen speed.
  async startReplay() {
    const mission = this.missions.get(this.selectedId);
    if (!mission || !this.map) return;
    this.endReplay();
    this.replayText = () => t('replay.loading');
    this.render();
    const { last_seq: lastSeq } = await this.api.getJson('/api/health');
    const events = await missionEvents(this.api, mission, lastSeq);
    if (!events.length) {
      this.replayText = () => t('replay.empty');
      this.render();
      return;
    }
    const speed = Number(this.root.querySelector('[data-testid="replay-speed"]').value);
    this.replay = new Replay(this.map, events, {
      speed,
      onFrame: (frame) => {
        this.replayText = () => t('replay.playing', { time: formatTime(frame.clock),
          percent: formatQuantity(frame.fraction * 100, 'pct') });
        this.render();
      },
      onEnd: () => {
        this.replayText = () => t('replay.finished', { count: events.length });
        this.render();
      },
    });
    this.replay.play();
  }

  endReplay() {
    if (this.replay) this.replay.close();
    this.replay = null;
    this.replayText = () => '';
    this.render();
  }

  async load() {
    for (const mission of await this.api.getJson('/api/missions')) this.store(mission);
    this.changed();
  }

  store(mission) {
    this.missions.set(mission.id, mission);
    for (const task of mission.tasks || []) this.note(task.id, task.state, task.updated_at);
  }

  // Remember when a task entered a state (the API gives only the current one). Task states
  // only move forward, so a re-read that lags behind an event already seen adds nothing.
  note(taskId, state, at) {
    const seen = this.history.get(taskId) || [];
    const last = seen.length ? TASK_ORDER.indexOf(seen[seen.length - 1].state) : -1;
    if (TASK_ORDER.indexOf(state) > last) {
      seen.push({ state, at: at ? new Date(at) : new Date() });
      this.history.set(taskId, seen);
    }
  }

  changed() {
    this.render();
    this.onChange([...this.missions.values()]);
  }

  // Keep a mission as the API returned it (after a POST) without waiting for its events.
  put(mission) {
    this.store(mission);
    this.changed();
  }

  async fetch(missionId) {
    try {
      this.store(await this.api.getJson(`/api/missions/${encodeURIComponent(missionId)}`));
      this.changed();
    } catch (error) {
      console.warn(`mission ${missionId}: ${error}`);
    }
  }

  handleEvent(event) {
    if (event.type === 'task' && event.mission_id) {
      this.note(event.task_id, event.state, event.t);
      const mission = this.missions.get(event.mission_id);
      const task = mission && (mission.tasks || []).find((x) => x.id === event.task_id);
      if (task) {
        Object.assign(task, { state: event.state, progress: event.progress, reason: event.reason });
        this.changed();
      } else {
        this.fetch(event.mission_id); // a new task (relief, replacement) or a new mission
      }
    } else if (event.type === 'mission' && event.mission_id) {
      const mission = this.missions.get(event.mission_id);
      if (mission) {
        Object.assign(mission, { state: event.state, reason: event.reason });
        this.changed();
      }
      this.fetch(event.mission_id);
    }
  }

  select(missionId) {
    if (missionId !== this.selectedId) {
      this.statusText = () => '';
      if (this.replay) this.endReplay();
    }
    this.selectedId = missionId;
    clearInterval(this.poller);
    this.poller = setInterval(() => {
      const mission = this.missions.get(this.selectedId);
      if (mission && RUNNING.has(mission.state)) this.fetch(this.selectedId);
      else this.render(); // the timeline's "now" moves on
    }, POLL_MS);
    this.render();
    const mission = this.missions.get(missionId);
    if (mission) this.onSelect(mission);
    this.fetch(missionId);
  }

  async act(action) {
    const mission = this.missions.get(this.selectedId);
    if (!mission) return;
    const spec = ACTIONS[action];
    if (spec.confirm) {
      const ok = await confirmDialog({
        title: `${t(`missions.${action}`)} ${mission.id}`, body: t(spec.confirm, { id: mission.id }),
        confirmLabel: t(`missions.${action}`), danger: spec.danger, testid: `mission-${action}`,
      });
      if (!ok) return;
    }
    const minutes = Number(this.root.querySelector('[data-testid="mission-watch-min"]').value);
    const body = action === 'watch' ? { watch_s: minutes * 60 } : {};
    const result = await this.api.postJson(
      `/api/missions/${encodeURIComponent(mission.id)}/${action}`, body);
    this.statusText = () => (result.ok ? t('missions.done', { action: t(`missions.${action}`) })
      : t('command.refused', { command: t(`missions.${action}`), reason: result.detail }));
    this.root.querySelector('[data-testid="mission-status"]').classList.toggle('error', !result.ok);
    if (result.ok) this.store(result.data);
    this.changed();
  }

  render() {
    translate(this.root);
    const missions = [...this.missions.values()].sort((a, b) => (
      (RUNNING.has(b.state) - RUNNING.has(a.state)) || b.created_at.localeCompare(a.created_at)));
    this.root.querySelector('.empty').hidden = missions.length > 0;
    keepFocus(this.list, () => this.list.replaceChildren(
      ...missions.map((mission) => this.renderItem(mission))));
    const selected = this.missions.get(this.selectedId);
    const detail = this.root.querySelector('.mission-detail');
    detail.hidden = !selected;
    if (!selected) return;
    detail.querySelector('[data-testid="mission-status"]').textContent = this.statusText();
    for (const [action, spec] of Object.entries(ACTIONS)) {
      const button = detail.querySelector(`[data-action="${action}"]`);
      button.disabled = !spec.when.includes(selected.state);
    }
    detail.querySelector('[data-testid="replay-status"]').textContent = this.replayText();
    detail.querySelector('[data-testid="replay-stop"]').hidden = !this.replay;
    detail.querySelector('[data-testid="replay-play"]').hidden = Boolean(this.replay);
    detail.querySelector('.timeline').dataset.replay = String(Boolean(this.replay));
    detail.querySelector('.timeline').replaceChildren(this.replay
      ? this.replayedTimeline(selected) : renderTimeline(selected, this.history, new Date()));
  }

  // The timeline as it stood at the replay's clock.
  replayedTimeline(mission) {
    const frame = this.replay.state();
    const tasks = (mission.tasks || []).filter((task) => frame.history.has(task.id))
      .map((task) => ({ ...task, progress: 0, ...frame.tasks.get(task.id) }));
    return renderTimeline({ ...mission, tasks }, frame.history, frame.clock);
  }

  renderItem(mission) {
    const item = document.createElement('li');
    item.className = `mission state-${mission.state}`;
    item.classList.toggle('selected', mission.id === this.selectedId);
    item.setAttribute('data-testid', `mission-item-${mission.id}`);
    item.dataset.state = mission.state;
    // An aborted or failed mission's vehicles flew home on a recall, not through the plan:
    // a percentage would claim work that was never done.
    const ended = mission.state === 'aborted' || mission.state === 'failed';
    const progress = ended ? null : missionProgress(mission);
    item.dataset.progress = String(progress ?? '');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'mission-name';
    button.textContent = t('missions.item', { id: mission.id,
      incident: mission.incident_id || '—' });
    button.addEventListener('click', () => this.select(mission.id));
    const state = document.createElement('span');
    state.className = `badge state-${mission.state}`;
    state.setAttribute('data-testid', `mission-state-${mission.id}`);
    state.textContent = tValue('mission.state', mission.state);
    const bar = document.createElement('progress');
    bar.max = 1;
    bar.value = progress ?? 0;
    bar.hidden = ended;
    bar.setAttribute('aria-label', t('missions.progress'));
    const percent = document.createElement('span');
    percent.className = 'number';
    percent.setAttribute('data-testid', `mission-progress-${mission.id}`);
    percent.textContent = ended ? '' : formatQuantity(progress * 100, 'pct');
    const time = document.createElement('time');
    time.dateTime = mission.created_at;
    time.textContent = formatTime(mission.created_at);
    item.append(button, state, bar, percent, time);
    return item;
  }
}
