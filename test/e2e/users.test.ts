/**
 * Users, tokens and roles end to end (issue 18, point 1): a real control plane and the real CLI. An admin
 * (the bootstrap token) creates a user (its password through stdin) and a service account and binds
 * roles; the user signs in with `berth login` from its own machine (another home), sees itself with
 * `berth whoami`, makes a scoped token that is refused what its scopes exclude, revokes it; the bootstrap
 * token is rotated; `berth logout` revokes the login token. No password or token secret reaches the
 * server's log or the CLI's output (but the one `token create` prints).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, startBerth, waitFor, type Berth, type CliResult } from './harness.js';

const DEV_PASSWORD = 'dev password Xq7-long';

describe('users, tokens and roles through the CLI', () => {
  let berth: Berth;
  let devHome: string;
  /** Every CLI output but `token create`'s, to check no secret is in it. */
  const outputs: string[] = [];

  beforeAll(async () => {
    berth = await startBerth();
    devHome = await mkdtemp(join(tmpdir(), 'berth-dev-'));
  });
  afterAll(async () => {
    await berth.teardown();
    await rm(devHome, { recursive: true, force: true });
  });

  /** `berth ...args` with `input` on stdin, as the admin (BERTH_HOME of the server) or another `home`. */
  function run(
    args: string[],
    o: { input?: string; home?: string; env?: Record<string, string>; keep?: boolean } = {},
  ) {
    return new Promise<CliResult>((resolve, reject) => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        NO_COLOR: '1',
        BERTH_HOME: o.home ?? berth.home,
        ...(o.home ? { BERTH_SERVER: berth.url } : {}),
        ...o.env,
      };
      delete env.BERTH_TOKEN;
      if (o.env?.BERTH_TOKEN) env.BERTH_TOKEN = o.env.BERTH_TOKEN;
      const child = spawn(process.execPath, [CLI, ...args], { env, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        if (o.keep !== false) outputs.push(stdout, stderr);
        resolve({ code: code ?? 1, stdout, stderr });
      });
      child.stdin.end(o.input ?? '');
    });
  }
  const dev = (args: string[], o: { input?: string; env?: Record<string, string>; keep?: boolean } = {}) =>
    run(args, { ...o, home: devHome });
  /** `berth login --user dev` on a pseudo-terminal (util-linux `script`), typing the password once asked. */
  async function loginOnTerminal(): Promise<{ code: number; output: string }> {
    const home = await mkdtemp(join(tmpdir(), 'berth-tty-'));
    try {
      const child = spawn('script', ['-qec', `${process.execPath} ${CLI} login --user dev`, '/dev/null'], {
        env: { ...process.env, BERTH_HOME: home, BERTH_SERVER: berth.url, BERTH_TOKEN: '' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
      await waitFor('the password prompt', async () => output.includes('password: '), 15_000);
      child.stdin.write(`${DEV_PASSWORD}\r`);
      const code = await closed;
      outputs.push(output);
      return { code, output };
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }
  const ok = (r: CliResult): CliResult => {
    expect(r.stderr, r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    return r;
  };

  it('admin makes users, dev signs in and is refused what its scoped token excludes, tokens are revoked and rotated', async () => {
    const bootstrap = berth.token;

    // the admin creates a user (password from stdin), a service account, and binds roles
    const made = ok(
      await run(['user', 'create', 'dev', '--group', 'developers', '--password-stdin'], { input: `${DEV_PASSWORD}\n` }),
    );
    expect(made.stdout).toContain('Created user dev in developers');
    ok(await run(['user', 'create', 'ci', '--service']));
    ok(await run(['role', 'bind', 'viewer', '--user', 'dev']));
    ok(await run(['role', 'bind', 'developer', '--group', 'developers', '--env', 'test']));
    const users = JSON.parse(ok(await run(['user', 'list', '-o', 'json'])).stdout) as {
      name: string;
      kind: string;
      hasPassword: boolean;
    }[];
    expect(users.map((u) => [u.name, u.kind, u.hasPassword])).toEqual([
      ['ci', 'service', false],
      ['dev', 'user', true],
    ]);
    const bindings = ok(await run(['role', 'bindings'])).stdout;
    expect(bindings).toMatch(/user dev\s+viewer\s+\*\s+\*/);
    expect(bindings).toMatch(/group developers\s+developer\s+\*\s+test/);

    // a wrong password is refused without a token
    const wrong = await dev(['login', '--user', 'dev', '--password-stdin'], { input: 'not the password\n' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('error:');

    // dev signs in from its own home: the token is kept per server, mode 0600
    const login = ok(
      await dev(['login', '--user', 'dev', '--password-stdin', '--expires', '7d'], { input: `${DEV_PASSWORD}\n` }),
    );
    expect(login.stdout).toContain(`Signed in to ${berth.url} as dev`);
    const credentialsPath = join(devHome, 'credentials.json');
    expect((await stat(credentialsPath)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(credentialsPath, 'utf8')) as {
      servers: Record<string, { token: string; user: string; id: number; expiresAt: string }>;
    };
    const loginToken = stored.servers[berth.url]!;
    expect(loginToken).toMatchObject({ user: 'dev' });
    expect(Date.parse(loginToken.expiresAt) - Date.now()).toBeLessThanOrEqual(7 * 24 * 3600_000);

    // on a terminal the password is asked, and not echoed
    const tty = await loginOnTerminal();
    expect(tty.output).toContain('password: ');
    expect(tty.output).toContain(`Signed in to ${berth.url} as dev`);
    expect(tty.output).not.toContain(DEV_PASSWORD);
    expect(tty.code).toBe(0);

    const whoami = ok(await dev(['whoami'])).stdout;
    expect(whoami).toMatch(/dev\s+user\s+token token:\d+\s+developers/);
    expect(whoami).toMatch(/viewer\s+\*\s+\*/);
    expect(whoami).toMatch(/developer\s+\*\s+test\s+.*apps:deploy/);
    const me = JSON.parse(ok(await dev(['whoami', '-o', 'json'])).stdout) as {
      name: string;
      grants: { role: string }[];
    };
    expect(me.name).toBe('dev');
    expect(me.grants.map((g) => g.role)).toEqual(['viewer', 'developer']);

    // dev may not manage users: a 403 naming the permission
    const notAdmin = await dev(['user', 'list']);
    expect(notAdmin.code).not.toBe(0);
    expect(notAdmin.stderr).toContain('error: dev may not do this: it needs users:read');

    // a scoped token (shown once) reads apps, and is refused environments
    const created = await dev(['token', 'create', 'laptop', '--scopes', 'apps:read', '-o', 'json'], { keep: false });
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('shown only now');
    const scoped = JSON.parse(created.stdout) as { token: string; id: number; scopes: string[] };
    expect(scoped.scopes).toEqual(['apps:read']);
    expect((await berth.api('GET', '/api/v1/apps', undefined, { token: scoped.token })).status).toBe(200);
    const refused = await dev(['env', 'list'], { env: { BERTH_TOKEN: scoped.token } });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('dev may not do this: it needs environments:read');
    const list = ok(await dev(['token', 'list'])).stdout;
    expect(list).toMatch(new RegExp(`${scoped.id}\\s+laptop\\s+personal\\s+dev\\s+apps:read`));

    // revoked: 401, and the CLI says how to sign in
    ok(await dev(['token', 'revoke', String(scoped.id)]));
    const gone = await dev(['whoami'], { env: { BERTH_TOKEN: scoped.token } });
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('berth login');
    expect((await berth.api('GET', '/api/v1/me', undefined, { token: scoped.token })).status).toBe(401);

    // a service account's token, for a pipeline, made by the admin
    const ciMade = await run(['token', 'create', 'pipeline', '--user', 'ci', '--scopes', 'apps:deploy,apps:read'], {
      keep: false,
    });
    expect(ciMade.code).toBe(0);
    const ciToken = ciMade.stdout.trim();
    expect(ciToken).toMatch(/^berth_/);
    const ci = JSON.parse(ok(await run(['whoami', '-o', 'json'], { env: { BERTH_TOKEN: ciToken } })).stdout) as {
      name: string;
      kind: string;
      tokenScopes: string[];
    };
    expect(ci).toMatchObject({ name: 'ci', kind: 'service', tokenScopes: ['apps:deploy', 'apps:read'] });

    // the bootstrap token is rotated: the old one is refused, the new one in <home>/token works
    const rotated = ok(await run(['token', 'rotate-bootstrap']));
    expect(rotated.stdout).toContain('Rotated the bootstrap token');
    const fresh = (await readFile(join(berth.home, 'token'), 'utf8')).trim();
    expect(fresh).not.toBe(bootstrap);
    expect((await berth.api('GET', '/api/v1/me', undefined, { token: bootstrap })).status).toBe(401);
    expect((await berth.api<{ kind: string }>('GET', '/api/v1/me', undefined, { token: fresh })).body.kind).toBe(
      'bootstrap',
    );
    expect(ok(await run(['user', 'list'])).stdout).toContain('dev');

    // logout revokes the login token and forgets it
    const out = ok(await dev(['logout']));
    expect(out.stdout).toContain(`Signed out of ${berth.url}`);
    expect((await berth.api('GET', '/api/v1/me', undefined, { token: loginToken.token })).status).toBe(401);
    expect(JSON.parse(await readFile(credentialsPath, 'utf8')).servers).toEqual({});
    const after = await dev(['whoami']);
    expect(after.code).not.toBe(0);

    // no password or token secret in the server's log or the CLI's output
    const secrets = [DEV_PASSWORD, bootstrap, fresh, loginToken.token, scoped.token, ciToken];
    const log = await readFile(join(berth.home, 'server.log'), 'utf8').catch(() => '');
    for (const s of secrets) {
      expect(log.includes(s), 'server.log holds a secret').toBe(false);
      expect(outputs.join('\n').includes(s), 'CLI output holds a secret').toBe(false);
    }

    // the harness knows only the old token: stop the control plane with the new one
    await berth.api('POST', '/api/v1/shutdown', { stopGateway: true }, { token: fresh });
    await waitFor(
      'control plane exit',
      async () => berth.proc.exitCode !== null || berth.proc.signalCode !== null,
      15_000,
    );
  }, 60_000);
});
