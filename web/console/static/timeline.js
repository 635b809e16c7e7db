// A mission's timeline: one row per task (one vehicle's part), its states as coloured spans
// from when it entered each to when it left (or now), with the times listed underneath and
// its progress through the plan.
import { formatDuration, formatQuantity, formatTime, t, tValue } from '/static/i18n.js';

const FINAL = new Set(['done', 'failed', 'cancelled']);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

// `history`: task id -> [{ state, at: Date }] in the order they happened.
export function renderTimeline(mission, history, now) {
  const tasks = [...(mission.tasks || [])].sort((a, b) => a.created_at.localeCompare(b.created_at));
  const box = element('div', 'timeline-rows');
  if (!tasks.length) return box;
  const spans = tasks.map((task) => {
    const seen = history.get(task.id) || [];
    const entries = seen.length ? seen : [{ state: task.state, at: new Date(task.updated_at) }];
    return { task, entries };
  });
  const start = Math.min(new Date(mission.created_at).getTime(),
    ...spans.map((s) => s.entries[0].at.getTime()));
  const last = Math.max(...spans.map((s) => s.entries[s.entries.length - 1].at.getTime()));
  const running = tasks.some((task) => !FINAL.has(task.state));
  const end = Math.max(running ? now.getTime() : last, start + 1000);
  const scale = (ms) => `${(100 * (ms - start)) / (end - start)}%`;

  const axis = element('div', 'timeline-axis');
  axis.append(element('span', null, formatTime(new Date(start))),
    element('span', null, formatDuration((end - start) / 1000)),
    element('span', null, formatTime(new Date(end))));
  box.append(axis);

  for (const { task, entries } of spans) {
    const row = element('div', `timeline-row state-${task.state}`);
    row.setAttribute('data-testid', `timeline-task-${task.id}`);
    row.dataset.state = task.state;
    row.dataset.progress = String(task.progress);
    const head = element('div', 'timeline-head');
    const name = t('missions.task', { task: task.id, vehicle: task.vehicle_id });
    head.append(element('span', 'task-name', name),
      element('span', `badge state-${task.state}`, tValue('task.state', task.state)));
    const bar = element('progress');
    bar.max = 1;
    bar.value = task.state === 'done' ? 1 : task.progress;
    bar.setAttribute('aria-label', t('missions.progress'));
    head.append(bar, element('span', 'number', formatQuantity(bar.value * 100, 'pct')));
    row.append(head);

    const track = element('div', 'timeline-track');
    entries.forEach((entry, i) => {
      const from = entry.at.getTime();
      const next = entries[i + 1];
      const to = next ? next.at.getTime() : (FINAL.has(entry.state) ? from : end);
      const span = element('span', `segment state-${entry.state}`);
      span.style.left = scale(from);
      span.style.width = `calc(${scale(to)} - ${scale(from)})`;
      span.title = `${tValue('task.state', entry.state)} ${formatTime(entry.at)}`;
      track.append(span);
    });
    row.append(track);

    const steps = element('ol', 'timeline-steps');
    for (const entry of entries) {
      const step = element('li', `state-${entry.state}`);
      step.append(element('time', null, formatTime(entry.at)), ' ',
        element('span', null, tValue('task.state', entry.state)));
      steps.append(step);
    }
    row.append(steps);
    if (task.reason && (task.state === 'failed' || task.state === 'cancelled')) {
      row.append(element('p', 'reason', task.reason));
    } else if (task.summary) {
      row.append(element('p', 'summary', task.summary));
    }
    box.append(row);
  }
  return box;
}
