/**
 * Single sign-on settings (docs/access.md "Single sign-on"), read from the control plane's environment:
 * BERTH_OIDC_ISSUER turns it on; the rest have defaults. Bad values are reported naming the variable.
 */
import { ValidationError } from '../../errors.js';

export interface SsoSettings {
  issuer: URL;
  clientId: string;
  /** Absent: a public client (PKCE only, no client authentication). */
  clientSecret?: string;
  groupsClaim: string;
  scopes: string;
  /** The one claim that names the user; absent: preferred_username, else email, else sub. */
  usernameClaim?: string;
  /** Where browsers reach this control plane (the redirect URI's base); absent: the server's own URL. */
  publicUrl?: URL;
}

export const DEFAULT_SCOPES = 'openid profile email groups';
export const DEFAULT_GROUPS_CLAIM = 'groups';
/** The claims tried in turn for the user name when BERTH_OIDC_USERNAME_CLAIM is not set. */
export const DEFAULT_USERNAME_CLAIMS = ['preferred_username', 'email', 'sub'] as const;

function bad(variable: string, message: string): ValidationError {
  return new ValidationError(`invalid ${variable}`, [{ file: 'environment', path: variable, message }]);
}

function urlOf(variable: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(variable, `${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw bad(variable, `${JSON.stringify(value)} is not an http(s) URL`);
  return url;
}

const nonEmpty = (v: string | undefined): string | undefined =>
  v !== undefined && v.trim() !== '' ? v.trim() : undefined;

/** The settings in `env`, undefined when single sign-on is not configured; a ValidationError naming a bad variable. */
export function ssoSettingsFrom(env: NodeJS.ProcessEnv): SsoSettings | undefined {
  const issuer = nonEmpty(env.BERTH_OIDC_ISSUER);
  if (!issuer) return undefined;
  const clientId = nonEmpty(env.BERTH_OIDC_CLIENT_ID);
  if (!clientId) throw bad('BERTH_OIDC_CLIENT_ID', 'single sign-on needs the client id Berth has at the provider');
  const scopes = nonEmpty(env.BERTH_OIDC_SCOPES) ?? DEFAULT_SCOPES;
  if (!scopes.split(/\s+/).includes('openid'))
    throw bad('BERTH_OIDC_SCOPES', `${JSON.stringify(scopes)} lacks \`openid\`: no ID token would be issued`);
  const secret = nonEmpty(env.BERTH_OIDC_CLIENT_SECRET);
  const usernameClaim = nonEmpty(env.BERTH_OIDC_USERNAME_CLAIM);
  const publicUrl = nonEmpty(env.BERTH_PUBLIC_URL);
  return {
    issuer: urlOf('BERTH_OIDC_ISSUER', issuer),
    clientId,
    ...(secret ? { clientSecret: secret } : {}),
    groupsClaim: nonEmpty(env.BERTH_OIDC_GROUPS_CLAIM) ?? DEFAULT_GROUPS_CLAIM,
    scopes: scopes.split(/\s+/).join(' '),
    ...(usernameClaim ? { usernameClaim } : {}),
    ...(publicUrl ? { publicUrl: urlOf('BERTH_PUBLIC_URL', publicUrl) } : {}),
  };
}

/** Whether `url` is on this machine (http is allowed only there: a test provider, a local Dex). */
export function isLoopback(url: URL): boolean {
  const h = url.hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The console path a sign-in returns to: only a path of this console (`/apps/shop/prod`), never another
 * site (`//evil.example`, `https://…`, `/\evil`); anything else is `/`.
 */
export function safeReturnPath(to: string | undefined): string {
  if (!to || !to.startsWith('/') || to.startsWith('//') || to.startsWith('/\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(to)) return '/';
  const base = 'http://console.invalid';
  let url: URL;
  try {
    url = new URL(to, base);
  } catch {
    return '/';
  }
  return url.origin === base ? `${url.pathname}${url.search}${url.hash}` : '/';
}
