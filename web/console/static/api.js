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

// GET something that may not be there (yet): { status, data } with data null for 204/404,
// so a poller tells "nothing new" and "nothing at all" apart without catching.
export async function getIfAny(path) {
  const response = await authorizedFetch(path);
  if (response.status === 204 || response.status === 404) {
    return { status: response.status, data: null };
  }
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return { status: response.status, data: await response.json() };
}

// GET an image (an evidence crop); null when the server has none.
export async function getBlob(path) {
  const response = await authorizedFetch(path);
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.blob();
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
  return refusal(response, payload);
}

// POST a JSON body; the answer as { ok: true, status, data } or { ok: false, status, detail }.
export async function postJson(path, body) {
  const response = await authorizedFetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const payload = await response.json().catch(() => ({}));
  if (response.ok) return { ok: true, status: response.status, data: payload };
  return refusal(response, payload);
}

// POST a form (a file upload); the answer as postJson's.
export async function postForm(path, form) {
  const response = await authorizedFetch(path, { method: 'POST', body: form });
  const payload = await response.json().catch(() => ({}));
  if (response.ok) return { ok: true, status: response.status, data: payload };
  return refusal(response, payload);
}

function refusal(response, payload) {
  const detail = describeError(payload.detail, response.status);
  return { ok: false, status: response.status, detail };
}

// A server's refusal in one line: FastAPI's validation errors ({loc, msg}), the API's own
// problem lists ({field, reason}) or a plain string.
function describeError(detail, status) {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => (d.field != null ? `${d.field}: ${d.reason}`
      : `${(d.loc || []).slice(1).join('.')}: ${d.msg}`)).join('; ');
  }
  return `HTTP ${status}`;
}
