/**
 * The OpenID Connect relying party, with openid-client (panva): discovery of the issuer (retried until
 * it answers: the control plane starts without single sign-on meanwhile and says why), the
 * authorization request (code flow, PKCE S256, state and nonce), and the code exchange whose ID token
 * openid-client checks (signature, iss, aud = the client id, exp, iat, nonce). Nothing here logs a
 * token or a code.
 */
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import { isLoopback, type SsoSettings } from './settings.js';
import type { Claims } from './claims.js';
import { needsUserInfo } from './claims.js';

/** Why a sign-in failed: the `error` code `/signin?error=` shows (never a token, never a secret). */
export type SsoErrorCode =
  | 'sso_unavailable'
  | 'sso_state'
  | 'sso_provider_error'
  | 'sso_audience'
  | 'sso_expired'
  | 'sso_nonce'
  | 'sso_id_token'
  | 'sso_username'
  | 'sso_local_user'
  | 'sso_disabled'
  | 'sso_failed';

export class SsoError extends Error {
  readonly code: SsoErrorCode;
  /** The CLI sign-in this failure belongs to (its browser is sent back to its loopback port). */
  readonly cliPort: number | undefined;
  /** The console page a console sign-in was for (the sign-in page offers to go there again). */
  readonly returnTo: string | undefined;
  constructor(code: SsoErrorCode, message: string, cliPort?: number, returnTo?: string) {
    super(message);
    this.code = code;
    this.cliPort = cliPort;
    this.returnTo = returnTo;
  }
}

/** The failure code of an openid-client error at the code exchange. */
export function classify(err: unknown): { code: SsoErrorCode; message: string } {
  if (err instanceof oidc.AuthorizationResponseError)
    return {
      code: 'sso_provider_error',
      message: `the provider answered ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`,
    };
  if (err instanceof oidc.ResponseBodyError)
    return {
      code: 'sso_provider_error',
      message: `the provider's token endpoint answered ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`,
    };
  const e = err as { code?: string; message?: string; cause?: { message?: string; cause?: { claim?: string } } };
  const claim = e.cause?.cause?.claim;
  const detail = e.cause?.message ?? e.message ?? String(err);
  if (e.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && (claim === 'aud' || claim === 'azp'))
    return { code: 'sso_audience', message: `ID token refused: ${detail}` };
  if (e.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && claim === 'nonce')
    return { code: 'sso_nonce', message: `ID token refused: ${detail}` };
  if (e.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' && (claim === 'exp' || claim === 'iat'))
    return { code: 'sso_expired', message: `ID token refused: ${detail}` };
  if (e.code?.startsWith('OAUTH_JWT') || e.code === 'OAUTH_INVALID_RESPONSE')
    return { code: 'sso_id_token', message: `ID token refused: ${detail}` };
  return { code: 'sso_failed', message: detail };
}

export interface ProviderLeg {
  /** The authorization URL to send the browser to, for a new state, nonce and PKCE verifier. */
  authorizationUrl(o: { redirectUri: string; state: string; nonce: string; verifier: string }): Promise<URL>;
  /** The checked claims of the callback `callbackUrl` (the ID token's, completed by UserInfo when it lacks some). */
  exchange(callbackUrl: URL, o: { state: string; nonce: string; verifier: string }): Promise<Claims>;
}

export interface Discovery {
  /** The provider leg once discovered; waits for the attempt under way, if any. */
  ready(): Promise<ProviderLeg | undefined>;
  status(): { ready: boolean; reason?: string };
  stop(): void;
}

/** How long to wait between discovery attempts: 1 s, doubling, at most a minute. */
const retryDelayMs = (attempt: number): number => Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6));

async function discover(s: SsoSettings): Promise<oidc.Configuration> {
  const insecure = s.issuer.protocol === 'http:';
  if (insecure && !isLoopback(s.issuer))
    throw new Error(`the issuer ${s.issuer.href} is not https (plain http is only allowed on this machine)`);
  const options = { timeout: 10, ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}) };
  if (!s.clientSecret) return oidc.discovery(s.issuer, s.clientId, undefined, oidc.None(), options);
  const found = await oidc.discovery(s.issuer, s.clientId, s.clientSecret, undefined, options);
  // The client authentication the provider supports: client_secret_basic (the default), else _post.
  const methods = found.serverMetadata().token_endpoint_auth_methods_supported;
  const auth =
    !methods || methods.includes('client_secret_basic')
      ? oidc.ClientSecretBasic(s.clientSecret)
      : oidc.ClientSecretPost(s.clientSecret);
  const config = new oidc.Configuration(found.serverMetadata(), s.clientId, s.clientSecret, auth);
  config.timeout = 10;
  if (insecure) oidc.allowInsecureRequests(config);
  return config;
}

function legOf(config: oidc.Configuration, s: SsoSettings): ProviderLeg {
  return {
    async authorizationUrl(o) {
      return oidc.buildAuthorizationUrl(config, {
        redirect_uri: o.redirectUri,
        scope: s.scopes,
        state: o.state,
        nonce: o.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(o.verifier),
        code_challenge_method: 'S256',
      });
    },
    async exchange(callbackUrl, o) {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: o.verifier,
        expectedState: o.state,
        expectedNonce: o.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new SsoError('sso_id_token', 'the provider returned no ID token');
      if (!needsUserInfo(claims, s) || !tokens.access_token || !config.serverMetadata().userinfo_endpoint)
        return claims;
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      // The ID token's checked claims win; UserInfo only adds what it lacks.
      return { ...info, ...claims };
    },
  };
}

/** Discovers `s.issuer` now and, while it fails, again and again (logging why), until stopped. */
export function startDiscovery(s: SsoSettings, logger: Logger): Discovery {
  let leg: ProviderLeg | undefined;
  let reason: string | undefined = 'discovery of the issuer under way';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let attempt = 0;
  let current: Promise<void>;
  const tryOnce = async (): Promise<void> => {
    try {
      leg = legOf(await discover(s), s);
      reason = undefined;
      logger.info({ issuer: s.issuer.href, clientId: s.clientId }, 'single sign-on ready');
    } catch (err) {
      reason = `the issuer ${s.issuer.href} could not be discovered: ${(err as Error).message}`;
      const delay = retryDelayMs(attempt++);
      // Said loudly the first times and then once in a while, not every minute forever.
      const level = attempt <= 3 || attempt % 10 === 0 ? 'warn' : 'debug';
      logger[level]({ issuer: s.issuer.href, retryInMs: delay }, `single sign-on unavailable: ${reason}`);
      if (!stopped) {
        timer = setTimeout(() => {
          current = tryOnce();
        }, delay);
        timer.unref();
      }
    }
  };
  current = tryOnce();
  return {
    async ready() {
      if (!leg) await current;
      return leg;
    },
    status: () => (leg ? { ready: true } : { ready: false, ...(reason ? { reason } : {}) }),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
