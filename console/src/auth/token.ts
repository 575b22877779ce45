/**
 * The API token in the browser: kept in sessionStorage (gone when the tab closes), taken once from a
 * `#token=…` fragment that `berth up` prints (fragments never reach a server or its logs).
 */
const KEY = 'berth.token';

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

/** Moves a `#token=…` fragment into sessionStorage and removes it from the address bar. */
export function adoptTokenFromFragment(loc: Location = window.location, hist: History = window.history): boolean {
  const m = /(?:^#|&)token=([^&]+)/.exec(loc.hash);
  if (!m) return false;
  setToken(decodeURIComponent(m[1]!));
  hist.replaceState(null, '', loc.pathname + loc.search);
  return true;
}
