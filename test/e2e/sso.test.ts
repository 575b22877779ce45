/**
 * Single sign-on end to end (issue 18 point 5, docs/access.md "Single sign-on"): a real control plane
 * configured for a real OpenID provider (oidc-provider in this process, test/support/oidcProvider.ts),
 * the test playing the browser. The console's sign-in gives a session whose user, groups and grants
 * come from the provider's claims and a group binding; `berth login --sso` gives the CLI a token
 * (`berth whoami`); a wrong audience, an expired ID token and a forged state are refused without a
 * session; a group change at the provider changes the grants at the next sign-in.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startBerth, tempHome, writeApp, type Berth } from './harness.js';
import { bindGroup } from '../support/identities.js';
import { startOidcProvider, type Hop, type TestProvider } from '../support/oidcProvider.js';
import { openStore } from '../../src/store/store.js';
import { createAccess } from '../../src/access/access.js';

const SECRET = 'berth-test-client-secret-0123456789';
const CALLBACK = '/api/v1/sso/callback';
const A = '/api/v1/apps/tiny/envs/local';

let op: TestProvider;
let berth: Berth;
let dir: string;

beforeAll(async () => {
  op = await startOidcProvider({
    alice: { groups: ['viewers'], email: 'alice@example.com', name: 'Alice Liddell' },
    bob: { groups: ['deployers'] },
    carol: { groups: ['testers'] },
  });
  berth = await startBerth({
    env: { BERTH_OIDC_ISSUER: op.issuer, BERTH_OIDC_CLIENT_ID: 'berth', BERTH_OIDC_CLIENT_SECRET: SECRET },
  });
  await op.addClient({ clientId: 'berth', secret: SECRET, redirectUri: `${berth.url}${CALLBACK}` });
  await bindGroup(berth.home, 'viewers', 'viewer');
  await bindGroup(berth.home, 'deployers', 'deployer');
  dir = await writeApp('tiny', {
    'server.mjs': [
      "import { createServer } from 'node:http';",
      "createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');",
      "process.on('SIGTERM', () => process.exit(0));",
    ],
    'berth.yaml': ['name: tiny', 'services:', '  web:', '    command: node server.mjs'],
  });
  const r = await berth.cli(['deploy', dir]);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await berth?.teardown();
  await op?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The control plane's answer to the provider's redirect back (the callback hop). */
const callbackHop = (hops: Hop[]): Hop => {
  const hop = hops.find((h) => new URL(h.url).pathname === CALLBACK);
  if (!hop) throw new Error(`no callback among ${JSON.stringify(hops)}`);
  return hop;
};

/** A call with a console session's cookie (and its CSRF token on changes). */
async function withSession(session: string, method: string, path: string, body?: unknown, csrf?: string) {
  const res = await fetch(berth.url + path, {
    method,
    headers: {
      cookie: `berth_session=${session}`,
      ...(csrf ? { 'x-berth-csrf': csrf } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Me {
  name: string;
  via: string;
  groups: string[];
  grants: { role: string; app: string; env: string; permissions: string[] }[];
  csrf?: string;
}

/** Signs `account` in to the console in a fresh browser: the callback hop and the session cookie, if any. */
async function consoleSignIn(account: string, to = '/apps/tiny/local') {
  const browser = op.browser();
  const hops = await browser.visit(`${berth.url}/api/v1/sso/login?to=${encodeURIComponent(to)}`, account);
  return { hop: callbackHop(hops), session: browser.cookie('berth_session'), hops };
}

/** Runs `berth login --sso` in `env`, playing the browser on the URL it prints as `account`. */
async function cliSignIn(env: NodeJS.ProcessEnv, account: string) {
  const child = spawn(process.execPath, [CLI, 'login', '--sso'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /^\s+(http\S+)$/m.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`berth login exited ${code}: ${stderr}`)));
  });
  const hops = await op.browser().visit(url, account);
  const code = await exited;
  return { url, hops, code, stdout, stderr };
}

/** `berth whoami -o json` in `env`. */
async function whoami(env: NodeJS.ProcessEnv): Promise<Me> {
  const who = spawn(process.execPath, [CLI, 'whoami', '-o', 'json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  who.stdout.on('data', (d: Buffer) => (out += d.toString()));
  expect(await new Promise((r) => who.on('exit', r))).toBe(0);
  return JSON.parse(out) as Me;
}

describe('single sign-on', () => {
  it('says it is enabled, and which issuer, to anyone', async () => {
    const r = await berth.api('GET', '/api/v1/sso', undefined, { token: null });
    expect(r).toEqual({ status: 200, body: { enabled: true, issuer: `${op.issuer}/` } });
  });

  it('signs a console user in: a session whose groups come from the claim and grants from a group binding', async () => {
    const { hop, session, hops } = await consoleSignIn('alice');
    // The provider was asked for the code flow with PKCE S256, state and nonce.
    const auth = new URL(hops[0]!.location!);
    expect(auth.origin).toBe(op.issuer);
    expect(auth.searchParams.get('response_type')).toBe('code');
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('state')).toBeTruthy();
    expect(auth.searchParams.get('nonce')).toBeTruthy();
    expect(auth.searchParams.get('client_id')).toBe('berth');
    expect(hop).toMatchObject({ status: 302, location: '/apps/tiny/local' });
    expect(session).toBeTruthy();

    const me = (await withSession(session!, 'GET', '/api/v1/me')).body as unknown as Me;
    expect(me).toMatchObject({ name: 'alice', via: 'session', groups: ['viewers'] });
    expect(me.grants.map((g) => g.role)).toEqual(['viewer']);
    expect(await withSession(session!, 'GET', `${A}/status`)).toMatchObject({ status: 200 });

    // Stored as an SSO user, without a password.
    const store = await openStore({ file: join(berth.home, 'berth.db') });
    try {
      expect(await createAccess(store.db).users.get('alice')).toMatchObject({
        source: 'sso',
        hasPassword: false,
        displayName: 'Alice Liddell',
        groups: ['viewers'],
      });
    } finally {
      await store.close();
    }
    // The code is not in the control plane's log.
    const code = new URL(hop.url).searchParams.get('code')!;
    expect(await readFile(join(berth.home, 'server.log'), 'utf8')).not.toContain(code);
  });

  it('returns only to a path of the console (no open redirect)', async () => {
    for (const to of ['//evil.example/x', 'https://evil.example/', '/\\evil.example'])
      expect((await consoleSignIn('alice', to)).hop.location, to).toBe('/');
  });

  it('follows a group change at the provider at the next sign-in: 403 before, allowed after', async () => {
    const before = await consoleSignIn('alice');
    const csrf1 = ((await withSession(before.session!, 'GET', '/api/v1/me')).body as unknown as Me).csrf;
    const refused = await withSession(before.session!, 'POST', `${A}/services/web/scale`, { replicas: 1 }, csrf1);
    expect(refused.status).toBe(403);
    expect(refused.body['message']).toContain('apps:deploy');

    op.setAccount('alice', { groups: ['deployers'], email: 'alice@example.com' });
    const after = await consoleSignIn('alice');
    const me = (await withSession(after.session!, 'GET', '/api/v1/me')).body as unknown as Me;
    expect(me.groups).toEqual(['deployers']);
    expect(me.grants.map((g) => g.role)).toEqual(['deployer']);
    const allowed = await withSession(after.session!, 'POST', `${A}/services/web/scale`, { replicas: 1 }, me.csrf);
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
  });

  it('refuses an ID token for another audience: no session, /signin?error=sso_audience (and the page asked for)', async () => {
    op.setIdTokenAudience('berth', 'another-app');
    try {
      const { hop, session } = await consoleSignIn('bob');
      expect(hop).toMatchObject({ status: 302, location: '/signin?error=sso_audience&to=%2Fapps%2Ftiny%2Flocal' });
      expect(session).toBeUndefined();
    } finally {
      op.setIdTokenAudience('berth', undefined);
    }
    expect(await readFile(join(berth.home, 'server.log'), 'utf8')).toMatch(/single sign-on refused.*audience/);
  });

  it('refuses an expired ID token: no session, /signin?error=sso_expired', async () => {
    // The provider's clock 10 minutes behind: its 60 s ID tokens arrive expired.
    op.setClockBehind(10 * 60_000);
    try {
      const { hop, session } = await consoleSignIn('bob');
      expect(hop).toMatchObject({ status: 302, location: '/signin?error=sso_expired&to=%2Fapps%2Ftiny%2Flocal' });
      expect(session).toBeUndefined();
    } finally {
      op.setClockBehind(0);
    }
  });

  it('refuses a callback whose state it did not issue, or another browser’s', async () => {
    const forged = await op.browser().visit(`${berth.url}${CALLBACK}?code=abc&state=forged`, 'bob');
    expect(forged[0]).toMatchObject({ status: 302, location: '/signin?error=sso_state' });
    // A callback URL made in one browser, opened in another (login CSRF).
    const started = await fetch(`${berth.url}/api/v1/sso/login?to=/`, { redirect: 'manual' });
    const auth = new URL(started.headers.get('location')!);
    const victim = await op.browser().visit(auth.href, 'bob');
    expect(callbackHop(victim)).toMatchObject({ status: 302, location: '/signin?error=sso_state' });
  });

  it('signs the CLI in: berth login --sso (the test plays the browser), then berth whoami', async () => {
    const home = await tempHome('berth-sso-cli-');
    const env = { ...process.env, BERTH_HOME: home, BERTH_SERVER: berth.url, NO_COLOR: '1' };
    try {
      const login = await cliSignIn(env, 'bob');
      expect(new URL(login.url).origin).toBe(op.issuer);
      const last = login.hops.at(-1)!;
      expect(last.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
      expect(last.status).toBe(200);
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toMatch(/signed in to .* as bob/);
      expect((await stat(join(home, 'credentials.json'))).mode & 0o777).toBe(0o600);

      const me = await whoami(env);
      expect(me).toMatchObject({ name: 'bob', via: 'token', groups: ['deployers'] });
      expect(me.grants.map((g) => g.role)).toEqual(['deployer']);

      // The token follows the provider's groups from bob's next sign-in (here in the console).
      op.setAccount('bob', { groups: ['viewers'] });
      await consoleSignIn('bob');
      expect(await whoami(env)).toMatchObject({ name: 'bob', groups: ['viewers'] });
    } finally {
      op.setAccount('bob', { groups: ['deployers'] });
      await rm(home, { recursive: true, force: true });
    }
  });

  it('tells the CLI when the sign-in is refused, and stores nothing', async () => {
    const home = await tempHome('berth-sso-cli-');
    const env = { ...process.env, BERTH_HOME: home, BERTH_SERVER: berth.url, NO_COLOR: '1' };
    op.setIdTokenAudience('berth', 'another-app');
    try {
      const login = await cliSignIn(env, 'bob');
      expect(login.hops.at(-1)!.url).toMatch(/\/callback\?error=sso_audience$/);
      expect(login.code).toBe(1);
      expect(login.stderr).toContain('sso_audience');
      await expect(stat(join(home, 'credentials.json'))).rejects.toThrow();
    } finally {
      op.setIdTokenAudience('berth', undefined);
      await rm(home, { recursive: true, force: true });
    }
  });

  it('gives a CLI code once, and only for the verifier of its challenge', async () => {
    // The test is the CLI: its own loopback callback, verifier and challenge.
    let received: (code: string) => void;
    const got = new Promise<string>((r) => (received = r));
    const server: Server = createServer((req, res) => {
      received(new URL(req.url!, 'http://x').searchParams.get('code') ?? '');
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const port = (server.address() as AddressInfo).port;
      const started = await berth.api<{ url: string }>('POST', '/api/v1/sso/cli', { port, challenge }, { token: null });
      expect(started.status).toBe(200);
      await op.browser().visit(started.body.url, 'bob');
      const code = await got;
      const wrong = randomBytes(32).toString('base64url');
      const exchange = (v: string) =>
        berth.api('POST', '/api/v1/sso/cli/exchange', { code, verifier: v }, { token: null });
      expect((await exchange(wrong)).status).toBe(401);
      // Spent by the failed attempt: the right verifier comes too late.
      expect((await exchange(verifier)).status).toBe(401);
      const bad = await berth.api('POST', '/api/v1/sso/cli', { port: 80, challenge: 'x' }, { token: null });
      expect(bad.status).toBe(400);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('single sign-on as a public client (no secret: PKCE only)', () => {
  it('signs a console user in', async () => {
    const other = await startBerth({ env: { BERTH_OIDC_ISSUER: op.issuer, BERTH_OIDC_CLIENT_ID: 'berth-public' } });
    try {
      await op.addClient({ clientId: 'berth-public', redirectUri: `${other.url}${CALLBACK}` });
      const browser = op.browser();
      const hops = await browser.visit(`${other.url}/api/v1/sso/login?to=/environments`, 'carol');
      expect(new URL(hops[0]!.location!).searchParams.get('client_id')).toBe('berth-public');
      expect(callbackHop(hops)).toMatchObject({ status: 302, location: '/environments' });
      const res = await fetch(`${other.url}/api/v1/me`, {
        headers: { cookie: `berth_session=${browser.cookie('berth_session')}` },
      });
      expect(await res.json()).toMatchObject({ name: 'carol', via: 'session', groups: ['testers'] });
    } finally {
      await other.teardown();
    }
  });
});
