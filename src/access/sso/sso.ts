/**
 * Single sign-on with OpenID Connect (docs/access.md "Single sign-on"): a console sign-in or a CLI
 * sign-in (`berth login --sso`) starts here (a pending login: state, nonce, PKCE verifier), goes to the
 * provider, and finishes at the callback: the code exchanged and the ID token checked (oidc.ts), the
 * user named by its claims — stored with source `sso` when first seen, its groups replaced by the
 * claim's at every sign-in (so a group change at the provider counts from the next sign-in, for its
 * tokens too) — then a console session, or a one-time code the CLI exchanges for a personal token
 * with the PKCE verifier of its own challenge.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import * as oidc from 'openid-client';
import type { Database } from '../../store/schema.js';
import type { UserStore } from '../users.js';
import { groupsOf, usernameClaims, usernameOf } from './claims.js';
import { SsoError, classify, startDiscovery, type Discovery } from './oidc.js';
import { createPendingStore, type PendingStore } from './pending.js';
import { safeReturnPath, ssoSettingsFrom, type SsoSettings } from './settings.js';

/** The path of the callback the provider redirects to (under the public URL). */
export const CALLBACK_PATH = '/api/v1/sso/callback';

export type SsoOutcome =
  | { kind: 'console'; user: string; groups: string[]; returnTo: string }
  | { kind: 'cli'; user: string; groups: string[]; port: number; code: string };

export interface SsoStatus {
  enabled: boolean;
  issuer?: string;
  /** Why single sign-on is configured but not available (the issuer unreachable, a bad setting). */
  reason?: string;
}

export interface Sso {
  status(): SsoStatus;
  /** Starts discovery; `serverUrl` is the redirect base unless BERTH_PUBLIC_URL says another. */
  start(serverUrl: string): void;
  stop(): void;
  /** The provider URL a console sign-in that returns to `to` starts at, tied to the browser by `binding` (a hash). */
  beginConsole(to: string | undefined, binding: string): Promise<URL>;
  /** The provider URL a CLI sign-in (loopback `port`, PKCE `challenge`) starts at. */
  beginCli(port: number, challenge: string): Promise<URL>;
  /**
   * The callback's query (`binding`: the sha256 of the browser's binding cookie, which a console sign-in
   * must carry): who signed in (stored, groups replaced), or an SsoError.
   */
  finish(query: URLSearchParams, binding: string | undefined): Promise<SsoOutcome>;
  /** The user of one-time `code` whose challenge `verifier` answers, or undefined (the code is spent either way). */
  exchange(code: string, verifier: string): Promise<string | undefined>;
}

/** The S256 PKCE challenge of `verifier`. */
export const challengeOf = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');

export function createSso(o: {
  env: NodeJS.ProcessEnv;
  db: Kysely<Database>;
  users: UserStore;
  logger: Logger;
}): Sso | undefined {
  let settings: SsoSettings | undefined;
  let badSetting: string | undefined;
  try {
    settings = ssoSettingsFrom(o.env);
  } catch (err) {
    const e = err as { message: string; problems?: { path: string; message: string }[] };
    badSetting = e.problems?.map((p) => `${p.path}: ${p.message}`).join('; ') ?? e.message;
    o.logger.error(`single sign-on disabled: ${badSetting}`);
  }
  if (!settings && !badSetting) return undefined;
  const pending: PendingStore = createPendingStore(o.db);
  let discovery: Discovery | undefined;
  let redirectUri: string | undefined;

  const leg = async (cliPort?: number) => {
    const l = await discovery?.ready();
    if (!l || !redirectUri)
      throw new SsoError(
        'sso_unavailable',
        `single sign-on is not available: ${status().reason ?? 'not started'}`,
        cliPort,
      );
    return l;
  };
  const status = (): SsoStatus => {
    if (!settings) return { enabled: false, reason: `a setting is invalid: ${badSetting}` };
    const d = discovery?.status() ?? { ready: false, reason: 'not started' };
    return { enabled: d.ready, issuer: settings.issuer.href, ...(d.reason ? { reason: d.reason } : {}) };
  };
  const begin = async (login: {
    returnTo?: string;
    binding?: string;
    cli?: { port: number; challenge: string };
  }): Promise<URL> => {
    const l = await leg(login.cli?.port);
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const verifier = oidc.randomPKCECodeVerifier();
    await pending.saveLogin(state, { nonce, verifier, ...login });
    return l.authorizationUrl({ redirectUri: redirectUri!, state, nonce, verifier });
  };
  /** The user the claims name, stored (first seen) with the claim's groups. */
  const signIn = async (claims: Record<string, unknown>, cliPort: number | undefined) => {
    const s = settings!;
    const name = usernameOf(claims, s);
    if (!name)
      throw new SsoError(
        'sso_username',
        `the ID token names no user: none of ${usernameClaims(s).join(', ')} is a valid user name`,
        cliPort,
      );
    const { groups, dropped } = groupsOf(claims, s);
    if (dropped.length)
      o.logger.warn(
        { user: name, claim: s.groupsClaim, dropped },
        'single sign-on: groups that are not valid names ignored',
      );
    const existing = await o.users.find(name);
    if (existing && existing.source !== 'sso')
      throw new SsoError('sso_local_user', `${name} is a local user: it signs in with its password, not SSO`, cliPort);
    if (existing?.disabled) throw new SsoError('sso_disabled', `${name} is disabled`, cliPort);
    if (!existing) {
      const displayName = typeof claims['name'] === 'string' ? claims['name'] : undefined;
      await o.users.create({
        name,
        kind: 'user',
        source: 'sso',
        createdBy: 'sso',
        ...(displayName ? { displayName } : {}),
      });
    }
    await o.users.setGroups(name, groups);
    return { user: name, groups };
  };

  return {
    status,
    start(serverUrl) {
      if (!settings || discovery) return;
      const base = (settings.publicUrl?.href ?? serverUrl).replace(/\/$/, '');
      redirectUri = `${base}${CALLBACK_PATH}`;
      discovery = startDiscovery(settings, o.logger);
    },
    stop() {
      discovery?.stop();
    },
    beginConsole: (to, binding) => begin({ returnTo: safeReturnPath(to), binding }),
    beginCli: (port, challenge) => begin({ cli: { port, challenge } }),
    async finish(query, binding) {
      const state = query.get('state');
      const login = state ? await pending.takeLogin(state) : undefined;
      if (!state || !login)
        throw new SsoError('sso_state', 'the sign-in is unknown or expired (state mismatch): start it again');
      const cliPort = login.cli?.port;
      // A console sign-in finishes only in the browser that started it: a callback URL sent to someone
      // else must not sign them in as its author (login CSRF).
      if (!login.cli && (!binding || binding !== login.binding))
        throw new SsoError('sso_state', 'the sign-in was started in another browser (state mismatch): start it again');
      let who: Awaited<ReturnType<typeof signIn>>;
      try {
        const l = await leg(cliPort);
        let claims: Record<string, unknown>;
        try {
          const url = new URL(redirectUri!);
          url.search = query.toString();
          claims = await l.exchange(url, { state, nonce: login.nonce, verifier: login.verifier });
        } catch (err) {
          if (err instanceof SsoError) throw err;
          const c = classify(err);
          throw new SsoError(c.code, c.message, cliPort);
        }
        who = await signIn(claims, cliPort);
      } catch (err) {
        // a console sign-in refused here still knows the page it was for
        if (err instanceof SsoError && !login.cli && login.returnTo)
          throw new SsoError(err.code, err.message, undefined, login.returnTo);
        throw err;
      }
      if (login.cli) {
        const code = await pending.saveCode({ user: who.user, challenge: login.cli.challenge });
        return { kind: 'cli', ...who, port: login.cli.port, code };
      }
      return { kind: 'console', ...who, returnTo: login.returnTo ?? '/' };
    },
    async exchange(code, verifier) {
      const c = await pending.takeCode(code);
      if (!c) return undefined;
      const a = Buffer.from(challengeOf(verifier));
      const b = Buffer.from(c.challenge);
      return a.length === b.length && timingSafeEqual(a, b) ? c.user : undefined;
    },
  };
}
