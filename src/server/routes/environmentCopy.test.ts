/**
 * `POST /api/v1/environments/{to}/copy` and `GET /api/v1/environments/{from}/config-diff` through
 * fastify's inject() on a real SQLite file: a copy keeps values, files and secrets (read back by reveal),
 * says where it came from, refuses what would lose work, and leaves the target untouched when it fails
 * midway; the difference shows plain values, files by hash, and secrets only as differing.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, type TestApi } from '../testing/apiContext.js';
import { openStore } from '../../store/store.js';

interface Problems {
  problems: { path: string; message: string }[];
}

describe('copying an environment', () => {
  let t: TestApi;
  const config = (app: string, env: string): string => `/api/v1/apps/${app}/envs/${env}/config`;
  const write = async (app: string, env: string, body: object): Promise<number> => {
    const base = (await t.request({ method: 'GET', url: config(app, env) })).json<{ version: number }>().version;
    const r = await t.request({ method: 'PATCH', url: config(app, env), body: { baseVersion: base, ...body } });
    expect(r.statusCode, r.body).toBe(201);
    return r.json<{ version: number }>().version;
  };
  const copy = (to: string, body: object) =>
    t.request({ method: 'POST', url: `/api/v1/environments/${to}/copy`, body });

  beforeAll(async () => {
    t = await testApi();
    const env = await t.request({
      method: 'PATCH',
      url: '/api/v1/environments/local',
      body: { edgePort: 18931, timeZone: 'Europe/Berlin' },
    });
    expect(env.statusCode, env.body).toBe(200);
    await write('shop', 'local', {
      set: { GREETING: 'hello', DB_PASSWORD: { value: 'pw-local', secret: true }, constructor: 'own' },
      files: { 'app.conf': 'port=1\n' },
      secretFiles: { 'tls/key.pem': '-----BEGIN KEY-----\nabc\n' },
    });
    await write('shop', 'local', { set: { GREETING: 'hello again' } });
    await write('constructor', 'local', { set: { A: '1' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates the target like the source and copies values, files and secrets, secrets readable by reveal', async () => {
    const r = await copy('qa', { from: 'local' });
    expect(r.statusCode, r.body).toBe(201);
    const result = r.json<{
      created: boolean;
      environment: { target: Record<string, unknown> };
      notes: string[];
      apps: unknown[];
    }>();
    expect(result.created).toBe(true);
    // The time zone comes along; the edge port belongs to local alone.
    expect(result.environment.target).toEqual({ kind: 'local', timeZone: 'Europe/Berlin' });
    expect(result.notes.join('\n')).toMatch(/edge ports are not copied/);
    expect(result.apps).toEqual([
      {
        app: 'constructor',
        fromVersion: 1,
        previousVersion: 0,
        toVersion: 1,
        outcome: 'copied',
        values: 1,
        secrets: 0,
        files: 0,
      },
      {
        app: 'shop',
        fromVersion: 2,
        previousVersion: 0,
        toVersion: 1,
        outcome: 'copied',
        values: 2,
        secrets: 2,
        files: 2,
      },
    ]);
    expect(r.body).not.toContain('pw-local');
    expect(r.body).not.toContain('BEGIN KEY');

    const secret = await t.request({ method: 'GET', url: `${config('shop', 'qa')}/values/DB_PASSWORD?reveal=true` });
    expect(secret.json()).toMatchObject({ secret: true, value: 'pw-local' });
    const file = await t.request({ method: 'GET', url: `${config('shop', 'qa')}/files/tls/key.pem?reveal=true` });
    expect(file.json()).toMatchObject({ secret: true, content: '-----BEGIN KEY-----\nabc\n' });
    const own = await t.request({ method: 'GET', url: `${config('shop', 'qa')}/values/constructor` });
    expect(own.json()).toMatchObject({ value: 'own', secret: false });
    const history = await t.request({ method: 'GET', url: `${config('shop', 'qa')}/history` });
    expect(history.json()).toMatchObject([{ version: 1, author: 'tester', message: 'copied from local@2' }]);
  });

  it('refuses an existing target without intoExisting, and a newer config there without force', async () => {
    const exists = await copy('qa', { from: 'local' });
    expect(exists.statusCode).toBe(409);
    expect(exists.json<{ message: string }>().message).toMatch(/already exists.*--into-existing/);

    const same = await copy('qa', { from: 'local', intoExisting: true });
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json<{ apps: { outcome: string }[] }>().apps.map((a) => a.outcome)).toEqual(['unchanged', 'unchanged']);

    await write('shop', 'qa', { set: { GREETING: 'qa only' } });
    const newer = await copy('qa', { from: 'local', intoExisting: true });
    expect(newer.statusCode).toBe(409);
    expect(newer.json<{ message: string }>().message).toMatch(/shop in qa was written after.*--force/);
    expect((await t.request({ method: 'GET', url: config('shop', 'qa') })).json()).toMatchObject({ version: 2 });

    const forced = await copy('qa', { from: 'local', intoExisting: true, force: true, apps: ['shop'] });
    expect(forced.statusCode, forced.body).toBe(200);
    expect(forced.json()).toMatchObject({
      apps: [{ app: 'shop', previousVersion: 2, toVersion: 3, outcome: 'copied' }],
    });
    const now = await t.request({ method: 'GET', url: `${config('shop', 'qa')}/values/GREETING` });
    expect(now.json()).toMatchObject({ value: 'hello again', version: 3 });
  });

  it('names the field of a bad request with 400, an unknown source with 404', async () => {
    const paths = async (to: string, body: object): Promise<string[]> => {
      const r = await copy(to, body);
      expect(r.statusCode, r.body).toBe(400);
      return r.json<Problems>().problems.map((p) => p.path);
    };
    expect(await paths('qa', { from: 'qa' })).toEqual(['from']);
    expect(await paths('Not_A_Name', { from: 'local' })).toEqual(['name']);
    expect(await paths('qa2', { from: 'local', apps: ['Bad_App'] })).toEqual(['apps.0']);
    expect(await paths('qa2', { from: 'local', apps: ['nothere'] })).toEqual(['apps']);
    expect(await paths('qa2', { from: 'local', extra: 1 })).toEqual(['']);
    expect(await paths('qa2', { from: 'local', namespace: 'ns' })).toEqual(['namespace']);
    expect((await copy('qa2', { from: 'nosuch' })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/qa2' })).statusCode).toBe(404);
  });

  it('leaves the target as it was when the copy fails midway', async () => {
    await write('zeta', 'local', { set: { Z: '1' } });
    // A corrupt stored version of the last app copied: the failure comes after the environment and the first apps were written.
    const store = await openStore({ file: join(t.ctx.home, 'berth.db') });
    try {
      await store.db
        .updateTable('config_versions')
        .set({ entries: '{"values": 1}' })
        .where('app', '=', 'zeta')
        .where('env', '=', 'local')
        .execute();
    } finally {
      await store.close();
    }
    const r = await copy('broken', { from: 'local' });
    expect(r.statusCode).toBe(500);
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/broken' })).statusCode).toBe(404);
    const shop = await t.request({ method: 'GET', url: config('shop', 'broken') });
    expect(shop.statusCode).toBe(404);

    const into = await copy('qa', { from: 'local', intoExisting: true, force: true });
    expect(into.statusCode).toBe(500);
    expect((await t.request({ method: 'GET', url: config('constructor', 'qa') })).json()).toMatchObject({ version: 1 });
    expect((await t.request({ method: 'GET', url: config('shop', 'qa') })).json()).toMatchObject({ version: 3 });
  });

  it('makes a Kubernetes environment deploy into its own namespace', async () => {
    const k = await t.request({
      method: 'POST',
      url: '/api/v1/environments',
      body: { name: 'kprod', target: { kind: 'kubernetes', context: 'c1', namespace: 'prod' } },
    });
    expect(k.statusCode, k.body).toBe(201);
    const r = await copy('kstage', { from: 'kprod' });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({
      environment: { target: { kind: 'kubernetes', context: 'c1', namespace: 'kstage' } },
      apps: [],
    });
    const named = await copy('kdev', { from: 'kprod', namespace: 'team-dev' });
    expect(named.json()).toMatchObject({ environment: { target: { namespace: 'team-dev' } } });

    // Config may go from this machine to a cluster: the target keeps its own settings, and the answer says so.
    const across = await copy('kprod', { from: 'local', intoExisting: true, apps: ['constructor'] });
    expect(across.statusCode, across.body).toBe(200);
    expect(across.json()).toMatchObject({
      created: false,
      environment: { target: { kind: 'kubernetes', namespace: 'prod' } },
      notes: ["kprod runs on Kubernetes and local on this machine: only config is copied, kprod's settings are kept"],
      apps: [{ app: 'constructor', outcome: 'copied', toVersion: 1 }],
    });
  });
});

describe('the config difference between two environments', () => {
  let t: TestApi;
  const patch = (app: string, env: string, body: object) =>
    t.request({ method: 'PATCH', url: `/api/v1/apps/${app}/envs/${env}/config`, body });

  beforeAll(async () => {
    t = await testApi();
    await t.request({ method: 'POST', url: '/api/v1/environments', body: { name: 'qa' } });
    const sameSecret = { value: 'same-pw', secret: true };
    await patch('shop', 'local', {
      baseVersion: 0,
      set: { A: '1', B: 'x', S1: sameSecret, S2: { value: 'local-pw', secret: true }, ONLY_LOCAL: 'l' },
      files: { 'same.conf': 'same', 'app.conf': 'local\n' },
      secretFiles: { 'key.pem': 'k1' },
    });
    // The same secret sealed again (another ciphertext) is not a difference: secrets compare by digest.
    await patch('shop', 'qa', {
      baseVersion: 0,
      set: { A: '2', B: { value: 'x', secret: true }, S1: sameSecret, S2: { value: 'qa-pw', secret: true }, NEW: 'n' },
      files: { 'same.conf': 'same', 'app.conf': 'qa!\n' },
      secretFiles: { 'key.pem': 'k2' },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('shows plain values, files by hash, secrets only as differing', async () => {
    const r = await t.request({ method: 'GET', url: '/api/v1/environments/local/config-diff?to=qa' });
    expect(r.statusCode, r.body).toBe(200);
    const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
    expect(r.json()).toEqual([
      {
        app: 'shop',
        from: 'local',
        to: 'qa',
        fromVersion: 1,
        toVersion: 1,
        entries: [
          { kind: 'value', key: 'A', change: 'changed', secret: false, from: '1', to: '2' },
          { kind: 'value', key: 'B', change: 'changed', secret: true, secrecy: 'secretInTo' },
          { kind: 'value', key: 'NEW', change: 'added', secret: false, to: 'n' },
          { kind: 'value', key: 'ONLY_LOCAL', change: 'removed', secret: false, from: 'l' },
          { kind: 'value', key: 'S2', change: 'changed', secret: true },
          {
            kind: 'file',
            key: 'app.conf',
            change: 'changed',
            secret: false,
            fromHash: sha('local\n'),
            fromSize: 6,
            toHash: sha('qa!\n'),
            toSize: 4,
          },
          { kind: 'file', key: 'key.pem', change: 'changed', secret: true },
        ],
      },
    ]);
    expect(r.body).not.toMatch(/pw|k1|k2/);
  });

  it('takes some apps, and names a bad app or unknown environment', async () => {
    const none = await t.request({ method: 'GET', url: '/api/v1/environments/local/config-diff?to=qa&apps=other' });
    expect(none.json()).toEqual([{ app: 'other', from: 'local', to: 'qa', fromVersion: 0, toVersion: 0, entries: [] }]);
    const bad = await t.request({ method: 'GET', url: '/api/v1/environments/local/config-diff?to=qa&apps=a,B_' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<Problems>().problems.map((p) => p.path)).toEqual(['apps']);
    const missing = await t.request({ method: 'GET', url: '/api/v1/environments/local/config-diff' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json<Problems>().problems.map((p) => p.path)).toEqual(['to']);
    expect((await t.request({ method: 'GET', url: '/api/v1/environments/local/config-diff?to=nope' })).statusCode).toBe(
      404,
    );
  });
});
