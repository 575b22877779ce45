/**
 * How this tab is signed in. With an API token: kept in sessionStorage (gone when the tab closes), taken
 * once from a `#token=…` fragment that `berth up` prints (fragments never reach a server or its logs).
 * With a console session: the cookie is HttpOnly (the page never sees it); the page keeps only the
 * session's CSRF token, in memory (GET /api/v1/me answers it again after a reload), and a marker in
 * localStorage that says a session may be open (no secret: it only saves a refused /me on a first visit).
 */
const KEY = 'berth.token';
const SESSION_MARK = 'berth.session';

let csrf: string | null = null;

/** The token this tab signed in with, if any. */
export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

/** Remembers the token for this tab. */
export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token.trim());
}

/** Forgets the token (sign-out). */
export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}

/** The console session's CSRF token, once known (the session's answer, or GET /api/v1/me). */
export function getCsrf(): string | null {
  return csrf;
}

/** Remembers a console session's CSRF token and that a session is open. */
export function setSession(token: string): void {
  csrf = token;
  localStorage.setItem(SESSION_MARK, '1');
}

/**
 * Marks that a session is being opened elsewhere: single sign-on leaves the page for the provider and
 * comes back with only the cookie, which the page cannot see; GET /api/v1/me then answers its CSRF token.
 */
export function expectSession(): void {
  csrf = null;
  localStorage.setItem(SESSION_MARK, '1');
}

/** Whether a console session may be open (its cookie may still live). */
export function maySessionBeOpen(): boolean {
  return localStorage.getItem(SESSION_MARK) === '1';
}

/** Forgets the session's CSRF token and marker (sign-out, or the cookie was refused). */
export function clearSession(): void {
  csrf = null;
  localStorage.removeItem(SESSION_MARK);
}

/** Forgets every credential this tab knows of. */
export function forgetCredentials(): void {
  clearToken();
  clearSession();
}

/** Moves a `#token=…` fragment into sessionStorage and removes it from the address bar. */
export function adoptTokenFromFragment(loc: Location = window.location, hist: History = window.history): boolean {
  const m = /(?:^#|&)token=([^&]+)/.exec(loc.hash);
  if (!m) return false;
  setToken(decodeURIComponent(m[1]!));
  hist.replaceState(null, '', loc.pathname + loc.search);
  return true;
}
