// The REST calls the console makes; errors come back as { ok: false, status, detail }.

export async function getJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

export async function sendCommand(vehicleId, body) {
  const response = await fetch(`/api/vehicles/${encodeURIComponent(vehicleId)}/commands`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const payload = await response.json().catch(() => ({}));
  if (response.ok) return { ok: true, status: response.status, detail: payload.reason || '' };
  return { ok: false, status: response.status, detail: describeError(payload.detail) };
}

function describeError(detail) {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).slice(1).join('.')}: ${d.msg}`).join('; ');
  }
  return 'failed';
}
