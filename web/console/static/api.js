// The REST calls the console makes, with the session's bearer token; errors come back as
// { ok: false, status, detail }. A 401 after one refresh means the user must sign in again.
import { accessToken } from '/static/session.js';

export class SignedOut extends Error {}

async function authorizedFetch(path, options = {}) {
  for (const renew of [false, true]) {
    const token = await accessToken({ renew });
    if (!token) break;
    const headers = { ...(options.headers || {}), Authorization: `Bearer ${token}` };
    const response = await fetch(path, { ...options, headers });
    if (response.status !== 401) return response;
  }
  throw new SignedOut('signed out');
}

export async function getJson(path) {
  const response = await authorizedFetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

export async function sendCommand(vehicleId, body) {
  const response = await authorizedFetch(
    `/api/vehicles/${encodeURIComponent(vehicleId)}/commands`, {
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
