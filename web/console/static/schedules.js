// Recurring patrols of the user's departments: each schedule's next run and, in red, the runs
// it missed (slots that passed while the server was down), so that a patrol that did not fly
// is seen and someone can be sent. The server counts them; a `schedule` event (created, run,
// missed, refused) makes the list be read again.
import { keepFocus } from '/static/dom.js';
import { formatDateTime, formatDuration, onLocaleChange, t, translate } from '/static/i18n.js';

export class ScheduleList {
  // `api`: { getJson }.
  constructor(container, { api }) {
    this.api = api;
    this.schedules = [];
    this.root = container;
    this.root.innerHTML = `
      <h2 data-i18n="schedules.title"></h2>
      <p class="empty" data-i18n="schedules.empty"></p>
      <ul class="schedule-list" data-testid="schedule-list"></ul>`;
    this.list = this.root.querySelector('.schedule-list');
    onLocaleChange(() => this.render());
    this.render();
  }

  async load() {
    this.schedules = await this.api.getJson('/api/schedules');
    this.render();
  }

  handleEvent(event) {
    if (event.type !== 'schedule') return;
    this.load().catch((error) => console.warn(`schedules: ${error}`));
  }

  render() {
    translate(this.root);
    // Those that missed runs first: they ask for someone to act.
    const schedules = [...this.schedules].sort((a, b) => (
      (b.missed_runs > 0) - (a.missed_runs > 0)) || a.next_run_at.localeCompare(b.next_run_at));
    this.root.querySelector('.empty').hidden = schedules.length > 0;
    this.root.classList.toggle('has-missed', schedules.some((s) => s.missed_runs > 0));
    keepFocus(this.list, () => this.list.replaceChildren(
      ...schedules.map((schedule) => this.renderItem(schedule))));
  }

  renderItem(schedule) {
    const item = document.createElement('li');
    item.className = 'schedule';
    item.classList.toggle('missed', schedule.missed_runs > 0);
    item.classList.toggle('disabled', !schedule.enabled);
    item.setAttribute('data-testid', `schedule-item-${schedule.id}`);
    item.dataset.missed = String(schedule.missed_runs);
    const name = document.createElement('span');
    name.className = 'schedule-name';
    name.textContent = t('schedules.item', { name: schedule.name,
      period: formatDuration(schedule.period_s) });
    const next = document.createElement('span');
    next.className = 'schedule-next';
    next.setAttribute('data-testid', `schedule-next-${schedule.id}`);
    next.textContent = schedule.enabled
      ? t('schedules.next', { time: formatDateTime(schedule.next_run_at) })
      : t('schedules.disabled');
    const missed = document.createElement('span');
    missed.className = 'schedule-missed';
    missed.setAttribute('data-testid', `schedule-missed-${schedule.id}`);
    missed.textContent = schedule.missed_runs > 0
      ? t('schedules.missed', { count: schedule.missed_runs,
        time: formatDateTime(schedule.last_missed_at) })
      : t('schedules.none_missed');
    item.append(name, next, missed);
    return item;
  }
}
