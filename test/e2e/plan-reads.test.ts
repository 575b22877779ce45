/**
 * A plan is a read: `berth plan` on a fresh home allocates no address (the port registry,
 * `<home>/run/ports.json`, is as it was), a plan that adds a service shows the others its address as
 * `(allocated at deploy)`, and only the deploy allocates, the address its services then see.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerth, writeApp, type Berth } from './harness.js';

const APP = 'planreads';
const SERVER = [
  "import http from 'node:http';",
  'http.createServer((q, s) => s.end(process.env.WORKER_URL ?? "none")).listen(Number(process.env.PORT), "127.0.0.1");',
];
const service = (name: string): string[] => [
  `  ${name}:`,
  '    command: node server.mjs',
  '    health: { readiness: { tcp: {}, period: 1s } }',
];
const spec = (services: string[]): string[] => [`name: ${APP}`, 'services:', ...services.flatMap(service)];

interface PlanJson {
  plan: { services: { service: string; action: string; changes: { path: string; from?: string; to?: string }[] }[] };
}

let berth: Berth;
let dir: string;
/** The port registry's text, or undefined while it has none. */
const ports = (): Promise<string | undefined> =>
  readFile(join(berth.home, 'run', 'ports.json'), 'utf8').catch(() => undefined);
const registered = async (): Promise<Record<string, number>> =>
  (JSON.parse((await ports()) ?? '{"services":{}}') as { services: Record<string, number> }).services;

beforeAll(async () => {
  dir = await writeApp(APP, { 'server.mjs': SERVER, 'berth.yaml': spec(['web', 'api']) });
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  await rm(dir, { recursive: true, force: true });
});

describe('berth plan reads addresses without allocating them', () => {
  it('plans a first deploy on a fresh home without allocating a port; the deploy allocates them', async () => {
    const before = await ports();
    const plan = await berth.json<PlanJson>(['plan', dir]);
    expect(plan.plan.services.map((s) => [s.service, s.action])).toEqual([
      ['api', 'create'],
      ['web', 'create'],
    ]);
    expect(await ports()).toBe(before);

    expect((await berth.cli(['deploy', dir])).code).toBe(0);
    expect(Object.keys(await registered()).sort()).toEqual([`${APP}/local/api`, `${APP}/local/web`]);
  });

  it('shows a new service’s address as allocated at deploy, then the deploy gives it one', async () => {
    await writeFile(join(dir, 'berth.yaml'), [...spec(['web', 'api', 'worker']), ''].join('\n'));
    const before = await ports();
    const plan = await berth.json<PlanJson>(['plan', dir]);
    const web = plan.plan.services.find((s) => s.service === 'web')!;
    expect(web.action).toBe('update');
    expect(web.changes).toContainEqual({
      path: 'env.WORKER_URL',
      to: '(allocated at deploy)',
      because: ['service address'],
    });
    expect(plan.plan.services.find((s) => s.service === 'worker')?.action).toBe('create');
    expect(await ports()).toBe(before);
    expect((await berth.cli(['plan', dir])).stdout).toContain('(allocated at deploy)');

    expect((await berth.cli(['deploy', dir])).code).toBe(0);
    const port = (await registered())[`${APP}/local/worker`];
    expect(port).toBeGreaterThan(0);
    // The services see the address the deploy allocated.
    const status = await berth.json<{ services: { service: string; address?: { url: string } }[] }>(['status', APP]);
    const web2 = status.services.find((s) => s.service === 'web')!;
    expect(await (await fetch(web2.address!.url)).text()).toBe(`http://127.0.0.1:${port}`);
  });
});
