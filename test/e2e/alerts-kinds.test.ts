/**
 * More rule kinds end to end against the real control plane and real processes: a cronjob run that
 * exits 1 (`berth jobs run`) fires a job-failed rule, and a service whose process keeps crashing
 * fires a restarts rule, each to a real HTTP receiver on 127.0.0.1 with the service it is about;
 * the restarts alert resolves once the process stays up; a deploy that does not become ready fires
 * release-failed, and its automatic rollback release-rolled-back, each for the whole app.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../src/alerts/testing.js';
import { startBerth, writeApp, type Berth } from './harness.js';

const APP = 'alerts-kinds';

/** Serves until data/crash exists, then exits 1 (Berth starts it again). */
const WORKER = `
import { createServer } from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
mkdirSync('data', { recursive: true });
createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
setInterval(() => { if (existsSync('data/crash')) process.exit(1); }, 100);
process.on('SIGTERM', () => process.exit(0));
`;

let berth: Berth;
let receiver: Receiver;
let dir: string;

beforeAll(async () => {
  receiver = await startReceiver();
  dir = await writeApp('alerts-kinds', {
    'worker.mjs': WORKER,
    'report.mjs': `console.error('no database'); process.exit(1);\n`,
    'berth.yaml': [
      `name: ${APP}`,
      'services:',
      '  worker:',
      '    command: node worker.mjs',
      '    ports: [8080]',
      '  report:',
      '    kind: cronjob',
      '    schedule: "0 3 * * *"',
      '    command: node report.mjs',
    ],
    'alerts.yaml': [
      'rules:',
      '  report-failed:',
      '    metric: job-failed',
      '    notify: [{ type: webhook, url: "RECEIVER/job" }]',
      '  worker-restarts:',
      '    metric: restarts',
      '    threshold: 0',
      '    service: worker',
      '    notify: [{ type: webhook, url: "RECEIVER/restarts" }]',
      '  deploy-failed:',
      '    metric: release-failed',
      '    notify: [{ type: webhook, url: "RECEIVER/failed" }]',
      '  rolled-back:',
      '    metric: release-rolled-back',
      '    notify: [{ type: webhook, url: "RECEIVER/rollback" }]',
    ],
  });
  const rules = join(dir, 'alerts.yaml');
  await writeFile(rules, (await readFile(rules, 'utf8')).replaceAll('RECEIVER', receiver.url));
  berth = await startBerth({ env: { BERTH_ALERT_INTERVAL: '500ms' } });
  const deployed = await berth.cli(['deploy', dir]);
  expect(deployed.code, deployed.stderr).toBe(0);
  const applied = await berth.cli(['alerts', 'rules', 'apply', APP, '-f', rules]);
  expect(applied.code, applied.stderr).toBe(0);
  // The first look sets where counting begins.
  await new Promise((r) => setTimeout(r, 1500));
}, 60_000);
afterAll(async () => {
  await berth?.teardown();
  await receiver?.close();
});

const bodies = (path: string) =>
  receiver.received
    .filter((r) => r.url === path)
    .map((r) => JSON.parse(r.body) as { status: string; rule: string; service?: string; value?: number });

describe('more alert rule kinds', () => {
  it('fires job-failed when a cronjob run exits 1', async () => {
    expect(receiver.received).toEqual([]);
    const run = await berth.cli(['jobs', 'run', `${APP}/report`]);
    expect(run.code, run.stderr).toBe(0);
    await expect.poll(() => bodies('/job').length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(bodies('/job')[0]).toMatchObject({ status: 'firing', rule: 'report-failed', service: 'report' });
    // The next look without a failure resolves it.
    await expect.poll(() => bodies('/job').map((b) => b.status), { timeout: 10_000 }).toEqual(['firing', 'resolved']);
  }, 30_000);

  it('fires restarts when a service keeps crashing, and resolves once it stays up', async () => {
    await writeFile(join(dir, 'data', 'crash'), '');
    try {
      await expect.poll(() => bodies('/restarts').length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    } finally {
      await rm(join(dir, 'data', 'crash'), { force: true });
    }
    const [fired] = bodies('/restarts');
    expect(fired).toMatchObject({ status: 'firing', rule: 'worker-restarts', service: 'worker' });
    expect(fired!.value).toBeGreaterThanOrEqual(1);
    // A replica waiting out its restart backoff when the crashes stop may still restart once more
    // (and fire again): the first firing is followed by its resolution.
    await expect
      .poll(
        () =>
          bodies('/restarts')
            .map((b) => b.status)
            .slice(0, 2),
        { timeout: 30_000 },
      )
      .toEqual(['firing', 'resolved']);
    const history = await berth.json<{ kind: string; rule: string }[]>([
      'alerts',
      'history',
      APP,
      '--rule',
      'worker-restarts',
    ]);
    expect(history.map((e) => e.kind).slice(-4)).toEqual(['delivered', 'resolved', 'delivered', 'firing']);
  }, 60_000);

  it('fires release-failed and release-rolled-back when a deploy does not become ready and is rolled back', async () => {
    const spec = join(dir, 'berth.yaml');
    const original = await readFile(spec, 'utf8');
    try {
      await writeFile(
        spec,
        original.replace(
          '    command: node worker.mjs\n',
          '    command: node -e "process.exit(3)"\n    rollout: { progressDeadline: 3s }\n',
        ),
      );
      const r = await berth.cli(['deploy', dir, '-m', 'broken worker']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/rolled back to revision 1/);
    } finally {
      await writeFile(spec, original);
    }
    await expect.poll(() => bodies('/failed').length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => bodies('/rollback').length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    for (const [path, rule] of [
      ['/failed', 'deploy-failed'],
      ['/rollback', 'rolled-back'],
    ] as const) {
      const [fired] = bodies(path);
      expect(fired).toMatchObject({ status: 'firing', rule });
      // An event of the whole app: no service.
      expect(fired).not.toHaveProperty('service');
    }
  }, 60_000);
});
