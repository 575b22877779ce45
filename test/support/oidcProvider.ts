/**
 * A real OpenID provider for single sign-on tests: `oidc-provider` (panva) in the test process on
 * 127.0.0.1:<free port>, with accounts that carry a `groups` claim, clients added once the control
 * plane's callback URL is known, its development interactions (a login form taking any password, a
 * consent form), and a small browser — fetch with a cookie jar that follows redirects and fills those
 * forms — that plays the user. Two deliberate faults for the refusal tests: ID tokens naming another
 * audience than the client, and a signing clock behind the real one (tokens expired on arrival).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestAccount {
  groups: string[];
  email?: string;
  name?: string;
}

export interface Hop {
  url: string;
  status: number;
  location?: string;
}

export interface TestBrowser {
  /** Opens `url`, follows every redirect and fills the provider's forms as `account`; the hops it made. */
  visit(url: string, account: string): Promise<Hop[]>;
  /** The value of cookie `name` the browser holds, if any. */
  cookie(name: string): string | undefined;
}

export interface TestProvider {
  readonly issuer: string;
  /** Adds (or replaces) a client: a confidential one with `secret`, else public (PKCE only). */
  addClient(c: { clientId: string; secret?: string; redirectUri: string }): Promise<void>;
  setAccount(name: string, account: TestAccount): void;
  /** From now on the ID tokens of `clientId` name `audience` instead of it (undefined: back to normal). */
  setIdTokenAudience(clientId: string, audience: string | undefined): void;
  /** Moves the provider's signing clock `ms` into the past (0: back to normal). */
  setClockBehind(ms: number): void;
  browser(): TestBrowser;
  close(): Promise<void>;
}

/** How long the provider's ID tokens live: short, so a clock set minutes behind makes them expired. */
export const ID_TOKEN_TTL_SECONDS = 60;

export async function startOidcProvider(accounts: Record<string, TestAccount>): Promise<TestProvider> {
  const known = new Map(Object.entries(accounts));
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    findAccount: (_ctx: unknown, id: string) => {
      const a = known.get(id);
      if (!a) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          preferred_username: id,
          ...(a.email ? { email: a.email } : {}),
          ...(a.name ? { name: a.name } : {}),
          groups: [...a.groups],
        }),
      };
    },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      groups: ['groups'],
    },
    scopes: ['openid', 'profile', 'email', 'groups'],
    // The requested claims in the ID token itself, as Keycloak and Dex put them.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: { IdToken: ID_TOKEN_TTL_SECONDS, AccessToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    cookies: { keys: ['berth-test-provider-cookie-key'] },
  });
  server.on('request', provider.callback());

  const audiences = new Map<string, string>();
  let behindMs = 0;
  const issue = provider.IdToken.prototype.issue;
  provider.IdToken.prototype.issue = async function (this: { client: { clientId: string } }, o) {
    const client = this.client;
    const audience = o?.use === 'idtoken' ? audiences.get(client.clientId) : undefined;
    if (audience)
      this.client = new Proxy(client, {
        get: (t, k) => (k === 'clientId' ? audience : (Reflect.get(t, k) as unknown)),
      });
    const realNow = Date.now;
    if (behindMs) Date.now = () => realNow() - behindMs;
    try {
      return await issue.call(this, o);
    } finally {
      Date.now = realNow;
      this.client = client;
    }
  };

  return {
    issuer,
    async addClient(c) {
      await provider.Client.adapter.upsert(c.clientId, {
        client_id: c.clientId,
        ...(c.secret ? { client_secret: c.secret } : { token_endpoint_auth_method: 'none' }),
        redirect_uris: [c.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      });
    },
    setAccount(name, account) {
      known.set(name, account);
    },
    setIdTokenAudience(clientId, audience) {
      if (audience === undefined) audiences.delete(clientId);
      else audiences.set(clientId, audience);
    },
    setClockBehind(ms) {
      behindMs = ms;
    },
    browser: () => createBrowser(issuer),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The form of an HTML page: its action and fields (hidden ones with their values). */
function formOf(html: string): { action: string; fields: Map<string, string> } | undefined {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) return undefined;
  const fields = new Map<string, string>();
  for (const input of form[2]!.matchAll(/<input([^>]*)>/g)) {
    const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
    if (name) fields.set(name, /value="([^"]*)"/.exec(input[1]!)?.[1] ?? '');
  }
  return { action: form[1]!.replaceAll('&amp;', '&'), fields };
}

/** A browser on 127.0.0.1: one cookie jar for the host (cookies ignore ports, as browsers' do). */
function createBrowser(issuer: string): TestBrowser {
  const jar = new Map<string, { value: string; path: string }>();
  const store = (res: Response): void => {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const path = attrs.map((a) => /^\s*path=(.*)$/i.exec(a)?.[1]).find((p) => p !== undefined) ?? '/';
      const gone =
        value === '' ||
        attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) ||
        attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a));
      if (gone) jar.delete(name);
      else jar.set(name, { value, path });
    }
  };
  const cookieHeader = (url: URL): string =>
    [...jar.entries()]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');
  const request = async (url: URL, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader(url) },
    });
    store(res);
    return res;
  };
  return {
    async visit(start, account) {
      const hops: Hop[] = [];
      let url = new URL(start);
      let init: RequestInit = {};
      for (let i = 0; i < 30; i++) {
        const res = await request(url, init);
        const location = res.headers.get('location') ?? undefined;
        hops.push({ url: url.href, status: res.status, ...(location ? { location } : {}) });
        init = {};
        if (location && res.status >= 300 && res.status < 400) {
          await res.arrayBuffer();
          url = new URL(location, url);
          continue;
        }
        const body = await res.text();
        const form = url.href.startsWith(issuer) && res.status === 200 ? formOf(body) : undefined;
        if (!form) return hops;
        // The provider's login form (any password) or its consent form, submitted as a user would.
        if (form.fields.has('login')) form.fields.set('login', account);
        if (form.fields.has('password')) form.fields.set('password', 'any password');
        url = new URL(form.action, url);
        init = {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams([...form.fields]).toString(),
        };
      }
      throw new Error(`more than 30 hops from ${start}: ${JSON.stringify(hops.slice(-5))}`);
    },
    cookie: (name) => jar.get(name)?.value,
  };
}
