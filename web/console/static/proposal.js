// The dispatcher's answer shown to the operator before anything flies: which vehicles, when
// they arrive, how much battery they keep, and for every other candidate why not.
import { formatDuration, formatQuantity, t, tValue } from '/static/i18n.js';

function cell(tag, text, className) {
  const element = document.createElement(tag);
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

// The tasks a preview proposes, whatever the exact envelope: `tasks`, `proposal.tasks` or
// `assignments`, each with a vehicle id and optionally a plan summary and items.
export function proposedTasks(preview) {
  const tasks = preview.tasks || (preview.proposal && preview.proposal.tasks)
    || preview.assignments || [];
  return tasks.map((task) => ({
    vehicleId: task.vehicle_id,
    summary: task.summary || (task.plan && task.plan.summary) || '',
    items: (task.plan && task.plan.items) || task.items || [],
    etaS: task.eta_s ?? null,
    batteryMarginPct: task.battery_margin_pct ?? null,
  }));
}

// A table of every candidate (chosen first) with its ETA, battery margin and reasons.
export function renderExplanation(explanation, { testid = 'proposal' } = {}) {
  const box = document.createElement('div');
  box.className = 'explanation';
  if (!explanation) return box;
  const chosen = explanation.candidates.filter((c) => c.verdict === 'chosen');
  if (explanation.summary) {
    box.append(cell('p', explanation.summary, 'summary'));
  }
  if (!chosen.length) box.append(cell('p', t('proposal.none'), 'warning'));
  if (explanation.shortfall) {
    box.append(cell('p', t('proposal.shortfall', { count: explanation.shortfall }), 'warning'));
  }
  const table = document.createElement('table');
  table.setAttribute('data-testid', `${testid}-candidates`);
  const head = document.createElement('tr');
  for (const key of ['proposal.vehicle', 'proposal.verdict', 'proposal.eta',
    'proposal.battery_margin', 'proposal.reasons']) head.append(cell('th', t(key)));
  table.append(head);
  for (const c of explanation.candidates) {
    const row = document.createElement('tr');
    row.className = `verdict-${c.verdict}`;
    row.setAttribute('data-testid', `${testid}-candidate-${c.vehicle_id}`);
    row.dataset.verdict = c.verdict;
    row.dataset.etaS = c.eta_s == null ? '' : String(c.eta_s);
    const reasons = [...(c.reasons || [])];
    if (c.preempts_priority != null) {
      reasons.unshift(t('proposal.preempts', { priority: c.preempts_priority }));
    }
    row.append(
      cell('td', c.vehicle_id, 'vehicle'),
      cell('td', tValue('verdict', c.verdict), 'verdict'),
      cell('td', formatDuration(c.eta_s), 'number'),
      cell('td', formatQuantity(c.battery_margin_pct, 'pct'), 'number'),
      cell('td', reasons.join('; '), 'reasons'),
    );
    table.append(row);
  }
  box.append(table);
  return box;
}
