// The signed-in session: tokens kept in sessionStorage (gone when the tab closes, never shared
// with other tabs or sent as cookies), refreshed shortly before the access token expires.

const KEY = 'skywatch.session';
const REFRESH_MARGIN_MS = 60_000;

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    return null;
  }
}

function save(tokens) {
  const session = {
    access: tokens.access_token,
    refresh: tokens.refresh_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function signedIn() {
  return load() !== null;
}

export async function signIn(username, password) {
  const response = await fetch('/api/auth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }),
  });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    const wait = response.headers.get('Retry-After');
    const detail = typeof payload.detail === 'string' ? payload.detail : 'sign-in failed';
    return { ok: false, status: response.status, retryAfterS: wait ? Number(wait) : null,
      detail: wait ? `${detail} (${wait} s)` : detail };
  }
  save(payload);
  return { ok: true };
}

let refreshing = null;

async function refresh(session) {
  const response = await fetch('/api/auth/refresh', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: session.refresh }),
  });
  if (!response.ok) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return save(await response.json());
}

// The access token to send now (refreshed first when it is about to expire), or null when the
// user has to sign in again.
export async function accessToken({ renew = false } = {}) {
  const session = load();
  if (!session) return null;
  if (!renew && session.expiresAt - Date.now() > REFRESH_MARGIN_MS) return session.access;
  refreshing = refreshing || refresh(session).finally(() => { refreshing = null; });
  const renewed = await refreshing;
  return renewed ? renewed.access : null;
}

export async function signOut() {
  const session = load();
  sessionStorage.removeItem(KEY);
  if (!session) return;
  await fetch('/api/auth/sign-out', {
    method: 'POST',
    headers: { Authorization: `Bearer ${session.access}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: session.refresh }),
  }).catch(() => {});
}
