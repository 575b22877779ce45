/**
 * The tour of the README, for real: the example shop deployed with real processes, reached through
 * its edge; config changed, planned, deployed; history, diff and rollback; a replica killed and
 * restarted; the API's token and its errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFile, readdir } from 'node:fs/promises';
import { ROOT, startBerth, waitFor, type Berth } from './harness.js';

interface Status {
  edge?: { url: string };
  services: {
    service: string;
    readyReplicas: number;
    desiredReplicas: number;
    address?: { url: string };
    replicas: { id: string; pid?: number; restarts: number; phase: string; lastExit?: { reason: string } }[];
  }[];
}
interface Release {
  revision: number;
  kind: string;
  status: string;
  reason: string | null;
  configVersion: number;
  sourceRevision: number | null;
}

const SHOP = join(ROOT, 'examples/shop');
let berth: Berth;

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
});

describe('the example shop on one machine', () => {
  let edge = '';

  it('deploys in dependency order and serves the routes on the edge', async () => {
    const r = await berth.cli(['deploy', SHOP, '-m', 'first']);
    expect(r.stderr).toContain('revision 1 is live');
    expect(r.code).toBe(0);
    // level order: inventory before orders before web
    const levels = r.stderr.split('\n').filter((l) => l.includes('Level'));
    expect(levels.map((l) => l.replace(/.*level \d+: /, ''))).toEqual(['inventory', 'orders', 'web']);

    const st = await berth.json<Status>(['status', 'shop']);
    expect(st.services.map((s) => [s.service, s.readyReplicas, s.desiredReplicas])).toEqual([
      ['inventory', 1, 1],
      ['orders', 2, 2],
      ['web', 1, 1],
    ]);
    edge = st.edge!.url;
    const home = await get(`${edge}/`);
    expect(home.status).toBe(200);
    expect(home.text).toContain('Welcome to the Berth shop');

    // a request through the edge to orders, which calls inventory through its service address
    const order = await fetch(`${edge}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ item: 'plum' }),
    });
    expect(order.status).toBe(201);
    const stock = JSON.parse((await get(`${edge}/api/inventory`)).text) as { items: Record<string, number> };
    expect(stock.items.plum).toBe(2);

    // requests to orders are spread over both replicas
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++)
      seen.add((JSON.parse((await get(`${edge}/api/orders`)).text) as { replica: string }).replica);
    expect(seen.size).toBe(2);
  });

  it('changes config, shows the plan with its cause, deploys it', async () => {
    const set = await berth.cli(['config', 'set', 'GREETING=Hello from v1', '--app', 'shop', '-m', 'new greeting']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('config version 1');

    const plan = await berth.cli(['plan', SHOP]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/~ web\s+update, 1 replica replaced/);
    expect(plan.stdout).toContain('env.GREETING: "Welcome to the Berth shop" → "Hello from v1"  (config GREETING)');
    expect(plan.stdout).toMatch(/= orders\s+unchanged/);

    const r = await berth.cli(['deploy', SHOP, '-m', 'greeting']);
    expect(r.code).toBe(0);
    expect((await get(`${edge}/`)).text).toContain('Hello from v1');
  });

  it('keeps secrets encrypted and masked, and reveals one only on request', async () => {
    const r = await berth.cli(['config', 'set', 'SESSION_SECRET=s3cr3t-value-42', '--secret', '--app', 'shop']);
    expect(r.code).toBe(0);
    const get1 = await berth.cli(['config', 'get', '--app', 'shop']);
    expect(get1.stdout).toMatch(/SESSION_SECRET\s+secret\s+\*\*\*\*\*\*/);
    expect(get1.stdout).not.toContain('s3cr3t-value-42');
    const diff = await berth.cli(['config', 'diff', '1', '2', '--app', 'shop']);
    expect(diff.stdout).toContain('SESSION_SECRET (secret)');
    expect(diff.stdout).not.toContain('s3cr3t-value-42');
    const plan = await berth.cli(['plan', SHOP, '-o', 'json']);
    expect(plan.stdout).not.toContain('s3cr3t-value-42');
    expect(plan.stdout).toContain('env.SESSION_SECRET');
    const reveal = await berth.cli(['config', 'get', 'SESSION_SECRET', '--reveal', '--app', 'shop']);
    expect(reveal.stdout.trim()).toBe('s3cr3t-value-42');
    // at rest: not in the database file, nor in the server log
    const db = await readFile(join(berth.home, 'berth.db'));
    expect(db.includes('s3cr3t-value-42')).toBe(false);
    const log = await readFile(join(berth.home, 'server.log'), 'utf8');
    expect(log).not.toContain('s3cr3t-value-42');
  });

  it('refuses a stale config write and loses nothing', async () => {
    const stale = await berth.cli(['config', 'set', 'CURRENCY=USD', '--app', 'shop', '--base', '1']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/changed since version 1 \(now 2\)/);
    const api = await berth.api<{ code: string }>('PATCH', '/api/v1/apps/shop/envs/local/config', {
      baseVersion: 0,
      set: { A: { value: '1' } },
    });
    expect(api.status).toBe(409);
    expect(api.body.code).toBe('CONFLICT');
    const cfg = await berth.json<{ version: number; values: Record<string, { value: string }> }>([
      'config',
      'get',
      '--app',
      'shop',
    ]);
    expect(cfg.version).toBe(2);
    expect(cfg.values.GREETING!.value).toBe('Hello from v1');
    expect(cfg.values.CURRENCY).toBeUndefined();
  });

  it('shows history and diffs two revisions field by field', async () => {
    const history = await berth.json<Release[]>(['history', 'shop']);
    expect(history.map((h) => [h.revision, h.kind, h.status, h.configVersion])).toEqual([
      [2, 'deploy', 'succeeded', 1],
      [1, 'deploy', 'succeeded', 0],
    ]);
    const diff = await berth.cli(['diff', 'shop', '1', '2']);
    expect(diff.stdout).toContain('env.GREETING: "Welcome to the Berth shop" → "Hello from v1"  (config GREETING)');
  });

  it('rolls back to an earlier revision, config version included', async () => {
    const r = await berth.cli(['rollback', 'shop', '--to', '1']);
    expect(r.code).toBe(0);
    const [last] = await berth.json<Release[]>(['history', 'shop']);
    expect(last).toMatchObject({
      revision: 3,
      kind: 'rollback',
      status: 'succeeded',
      configVersion: 0,
      sourceRevision: 1,
    });
    expect((await get(`${edge}/`)).text).toContain('Welcome to the Berth shop');
  });

  it('restarts a replica that is killed', async () => {
    const before = await berth.json<Status>(['status', 'shop']);
    const inv = before.services.find((s) => s.service === 'inventory')!;
    const pid = inv.replicas[0]!.pid!;
    process.kill(pid, 'SIGKILL');
    const after = await waitFor(
      'inventory restarted',
      async () => {
        const st = await berth.json<Status>(['status', 'shop']);
        const s = st.services.find((x) => x.service === 'inventory')!;
        return s.readyReplicas === 1 && s.replicas[0]!.restarts === 1 && s.replicas[0]!.pid !== pid ? s : undefined;
      },
      40_000,
      250,
    );
    expect(after.replicas[0]!.lastExit?.reason).toBeTruthy();
    expect((await get(`${edge}/api/inventory`)).status).toBe(200);
  });

  it('serves logs with timestamps per service', async () => {
    const r = await berth.cli(['logs', 'shop/orders', '--tail', '50']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z orders-\S+ +info orders listening on \d+/m);
    const files = await readdir(join(berth.home, 'run', 'shop', 'local', 'orders'));
    expect(files.length).toBeGreaterThan(0);
  });

  it('requires a token on every route but the health check', async () => {
    expect((await berth.api('GET', '/healthz', undefined, { token: null })).status).toBe(200);
    for (const path of ['/api/v1/apps', '/api/v1/openapi.json', '/api/v1/apps/shop/envs/local/config']) {
      const r = await berth.api<{ code: string }>('GET', path, undefined, { token: null });
      expect(r.status, path).toBe(401);
      expect(r.body.code).toBe('UNAUTHORIZED');
    }
    expect((await berth.api('GET', '/api/v1/apps', undefined, { token: 'berth_wrong' })).status).toBe(401);
    const openapi = await berth.api<{ openapi: string; paths: Record<string, unknown> }>('GET', '/api/v1/openapi.json');
    expect(openapi.body.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.body.paths)).toContain('/api/v1/releases');
  });

  it('answers malformed API bodies with every problem and its field path', async () => {
    const bad = await berth.api<{ code: string; problems: { path: string; message: string }[] }>(
      'POST',
      '/api/v1/releases',
      { env: 5, spec: { file: '' } },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION');
    expect(bad.body.problems.map((p) => p.path).sort()).toEqual(['env', 'spec.file', 'spec.text']);
    const notJson = await berth.api<{ code: string }>('POST', '/api/v1/releases', '{"env":', {});
    expect(notJson.status).toBe(400);
    const badSpec = await berth.api<{ problems: { line: number; path: string; message: string }[] }>(
      'POST',
      '/api/v1/releases',
      {
        spec: { file: '/tmp/x/berth.yaml', text: 'name: x\nservices:\n  a:\n    command: node a.js\n    replcas: 2\n' },
      },
    );
    expect(badSpec.status).toBe(400);
    expect(badSpec.body.problems[0]).toMatchObject({ line: 5, path: 'services.a.replcas' });
    expect(badSpec.body.problems[0]!.message).toContain('did you mean `replicas`?');
    // the server is still fine
    expect((await berth.api('GET', '/api/v1/apps')).status).toBe(200);
  });

  it('takes the app down gracefully', async () => {
    const r = await berth.cli(['down', 'shop']);
    expect(r.code).toBe(0);
    const st = await berth.json<Status>(['status', 'shop']);
    expect(st.services).toEqual([]);
  });
});
