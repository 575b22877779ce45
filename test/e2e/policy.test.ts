/**
 * Traffic policy through the real control plane and gateway: changed live with `berth policy`
 * (a revision of kind `policy`, no replica moves), rate limits with 429 and Retry-After per service
 * and per route, retries of idempotent requests past a failing replica, timeouts, a circuit breaker
 * that opens, serves the fallback, half-opens and closes, its state in status and /metrics; and a
 * rollback that brings the earlier policy back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, waitFor, type Berth } from './harness.js';

const APP = 'policy-demo';
let berth: Berth;
let dir: string;
let flags: string;
let edge: string;

interface Status {
  edge?: { url: string };
  services: {
    service: string;
    replicas: { id: string; pid?: number }[];
    circuit?: { state: string; reason?: string };
  }[];
}
interface Release {
  revision: number;
  kind: string;
  status: string;
}

const SERVER = `
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
const flags = process.env.FLAGS;
const me = process.env.BERTH_REPLICA;
const failing = () => existsSync(join(flags, 'fail-all')) || existsSync(join(flags, 'fail-' + me));
const server = createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  if (req.url.startsWith('/slow')) return setTimeout(() => res.end('slow ' + me), 1000);
  if (failing()) { res.writeHead(500); return res.end('failing ' + me); }
  res.end('ok ' + me);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

async function status(): Promise<Status> {
  return berth.json<Status>(['status', APP]);
}

async function pids(): Promise<number[]> {
  return (await status()).services[0]!.replicas.map((r) => r.pid!).sort();
}

async function get(path: string): Promise<{ status: number; body: string; retryAfter: string | null }> {
  const res = await fetch(edge + path);
  return { status: res.status, body: await res.text(), retryAfter: res.headers.get('retry-after') };
}

async function setPolicy(args: string[]): Promise<void> {
  const r = await berth.cli(['policy', ...args]);
  expect(r.code, r.stderr + r.stdout).toBe(0);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-policy-app-'));
  flags = await mkdtemp(join(tmpdir(), 'berth-policy-flags-'));
  await writeFile(join(dir, 'server.mjs'), SERVER);
  await writeFile(
    join(dir, 'berth.yaml'),
    [
      `name: ${APP}`,
      'services:',
      '  api:',
      '    command: node server.mjs',
      '    replicas: 2',
      '    ports: [8080]',
      `    env: { FLAGS: "${flags}" }`,
      '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
      '    terminationGracePeriod: 2s',
      'routes:',
      '  - path: /limited',
      '    service: api',
      '    policy: { rateLimit: { requestsPerSecond: 1, burst: 2 } }',
      '  - path: /',
      '    service: api',
      '',
    ].join('\n'),
  );
  // On the default data plane: HAProxy where it is installed (as in CI), else Node; both answer alike.
  berth = await startBerth();
  const r = await berth.cli(['deploy', dir]);
  expect(r.code, r.stderr).toBe(0);
  edge = (await status()).edge!.url;
});
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
  await rm(flags, { recursive: true, force: true });
});

describe('traffic policy', () => {
  it('rate-limits a route from berth.yaml with 429 and Retry-After, apart from the rest', async () => {
    const limited = [];
    for (let i = 0; i < 6; i++) limited.push(await get('/limited'));
    expect(limited.filter((r) => r.status === 200).length).toBeLessThanOrEqual(3);
    const refused = limited.find((r) => r.status === 429)!;
    expect(refused.retryAfter).toMatch(/^[1-9]\d*$/);
    // Other routes of the same service are not limited.
    for (let i = 0; i < 10; i++) expect((await get('/')).status).toBe(200);
  });

  it('changes a service policy live as a new revision, without moving a replica', async () => {
    const before = await pids();
    await setPolicy(['set', `${APP}/api`, '{ rateLimit: { requestsPerSecond: 2, burst: 4 } }']);
    const [last] = await berth.json<Release[]>(['history', APP]);
    expect(last).toMatchObject({ kind: 'policy', status: 'succeeded' });
    expect(await pids()).toEqual(before);
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push((await get('/')).status);
    expect(answers.filter((s) => s === 200).length).toBeLessThanOrEqual(6);
    expect(answers).toContain(429);
    const show = await berth.cli(['policy', 'show', APP]);
    expect(show.stdout).toMatch(/api\s+rateLimit 2\/s \(burst 4\)/);
    expect(show.stdout).toMatch(/route \/limited → api\s+rateLimit 1\/s \(burst 2\)/);
  });

  it('retries idempotent requests past a failing replica, and times out a slow one', async () => {
    await setPolicy(['set', `${APP}/api`, '{ retries: { attempts: 2 , onStatus: [500] }, timeout: 300ms }']);
    const [bad] = (await status()).services[0]!.replicas;
    await writeFile(join(flags, `fail-${bad!.id}`), '');
    try {
      for (let i = 0; i < 20; i++) {
        const r = await get('/');
        expect(r.status, r.body).toBe(200);
        expect(r.body).not.toContain(bad!.id);
      }
      const post = await fetch(edge + '/', { method: 'POST' });
      await post.text();
      // A POST is never retried: one of a few reaches the failing replica and gets its 500.
      const posts = [post.status];
      for (let i = 0; i < 5; i++) {
        const p = await fetch(edge + '/', { method: 'POST' });
        await p.text();
        posts.push(p.status);
      }
      expect(posts).toContain(500);
    } finally {
      await rm(join(flags, `fail-${bad!.id}`), { force: true });
    }
    const slow = await get('/slow');
    expect(slow.status).toBe(504);
  });

  it('opens the circuit on failures, answers the fallback, then half-opens and closes', async () => {
    await setPolicy([
      'set',
      `${APP}/api`,
      '{ circuitBreaker: { consecutiveFailures: 3, openFor: 1s }, fallback: { status: 503, body: degraded } }',
    ]);
    await writeFile(join(flags, 'fail-all'), '');
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await get('/');
      seen.push(`${r.status} ${r.body.split(' ')[0]}`);
    }
    expect(seen.slice(0, 3)).toEqual(['500 failing', '500 failing', '500 failing']);
    expect(seen.slice(3)).toEqual(Array(5).fill('503 degraded'));
    const api = (await status()).services[0]!;
    expect(api.circuit).toMatchObject({ state: 'open' });
    expect((await berth.cli(['status', APP])).stdout).toMatch(/circuit open/);
    const metrics = await (
      await fetch(`${berth.url}/metrics`, { headers: { authorization: `Bearer ${berth.token}` } })
    ).text();
    expect(metrics).toMatch(/^berth_circuit_open\{app="policy-demo",env="local",service="api"\} 1$/m);
    expect(metrics).toMatch(
      /^berth_policy_actions_total\{app="policy-demo",env="local",service="api",action="short_circuited"\} [1-9]/m,
    );

    await rm(join(flags, 'fail-all'));
    const recovered = await waitFor('the circuit to close', async () => {
      const r = await get('/');
      return r.status === 200 ? r : undefined;
    });
    expect(recovered.body).toMatch(/^ok /);
    await waitFor('closed in status', async () => (await status()).services[0]!.circuit?.state === 'closed');
  });

  it('rolls back to the earlier policy, and clears one', async () => {
    const r = await berth.cli([
      'rollback',
      APP,
      '--to',
      String((await berth.json<Release[]>(['history', APP]))[1]!.revision),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const show = await berth.cli(['policy', 'show', APP, '-o', 'json']);
    const p = JSON.parse(show.stdout) as { services: Record<string, { retries?: unknown; circuitBreaker?: unknown }> };
    expect(p.services.api!.retries).toBeDefined();
    expect(p.services.api!.circuitBreaker).toBeUndefined();
    await setPolicy(['clear', `${APP}/api`]);
    await setPolicy(['clear', APP, '--route', '/limited']);
    const cleared = JSON.parse((await berth.cli(['policy', 'show', APP, '-o', 'json'])).stdout) as {
      services: Record<string, unknown>;
      routes: { policy: unknown }[];
    };
    expect(cleared.services.api).toBeNull();
    expect(cleared.routes.every((x) => x.policy === null)).toBe(true);
    for (let i = 0; i < 8; i++) expect((await get('/limited')).status).toBe(200);
  });

  it('names the field of a bad policy', async () => {
    const r = await berth.cli([
      'policy',
      'set',
      `${APP}/api`,
      '{ rateLimit: { requestsPerSecond: -1 }, retries: { attempts: 0 } }',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/policy\.rateLimit\.requestsPerSecond: must be above 0/);
    expect(r.stderr).toMatch(/policy\.retries\.attempts: must be at least 1/);
  });
});
