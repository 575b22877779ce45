/**
 * Alerts end to end against the real control plane: rules applied from a file with `berth alerts
 * rules apply` (a bad file refused with file, line and field, nothing written), and an error-rate
 * rule that fires to a real HTTP receiver on 127.0.0.1 within its `for` + one evaluation interval
 * once the app answers errors through the gateway, and resolves once it answers well again; `berth
 * alerts history` shows its transitions and each delivery.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../../src/alerts/testing.js';
import { startBerth, waitFor, writeApp, type Berth } from './harness.js';

const APP = 'alerts-demo';

/** Answers 500 while data/fail exists, 200 otherwise. */
const SERVICE = `
import { createServer } from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
mkdirSync('data', { recursive: true });
createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  if (existsSync('data/fail')) { res.statusCode = 500; return res.end('broken'); }
  res.end('fine');
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

const SPEC = [
  `name: ${APP}`,
  'services:',
  '  orders:',
  '    command: node orders.mjs',
  '    ports: [8080]',
  '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
  'routes:',
  '  - { path: /, service: orders }',
];

let berth: Berth;
let receiver: Receiver;
let dir: string;

beforeAll(async () => {
  receiver = await startReceiver();
  dir = await writeApp('alerts', { 'orders.mjs': SERVICE, 'berth.yaml': SPEC });
  berth = await startBerth({ env: { BERTH_ALERT_INTERVAL: '1s' } });
});
afterAll(async () => {
  await berth?.teardown();
  await receiver?.close();
});

describe('alerts', () => {
  it('refuses a bad rules file naming file, line and field, and writes nothing', async () => {
    const file = join(dir, 'bad-alerts.yaml');
    await writeFile(
      file,
      [
        'rules:',
        '  errors:',
        '    metric: cpu-temperature',
        '    notify:',
        '      - { type: slack, url: "hooks.slack.com/x" }',
      ].join('\n'),
    );
    const r = await berth.cli(['alerts', 'rules', 'apply', APP, '-f', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${file}:3:13 rules.errors.metric`);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.]/g, '\\.')}:5:\\d+ rules\\.errors\\.notify\\.0\\.url`));
    expect(await berth.json<unknown[]>(['alerts', 'rules', APP])).toEqual([]);
  });

  it('fires an error-rate rule to a real receiver within for + one interval, and resolves it', async () => {
    const deployed = await berth.cli(['deploy', dir]);
    expect(deployed.code, deployed.stderr).toBe(0);
    const rules = join(dir, 'alerts.yaml');
    await writeFile(
      rules,
      [
        'rules:',
        '  orders-errors:',
        '    metric: error-rate',
        '    threshold: 0.5',
        '    for: 2s',
        '    severity: critical',
        '    notify:',
        `      - { type: webhook, url: "${receiver.url}/hook?token=t0ken" }`,
      ].join('\n'),
    );
    const applied = await berth.cli(['alerts', 'rules', 'apply', APP, '-f', rules]);
    expect(applied.code, applied.stderr).toBe(0);
    const listed = await berth.cli(['alerts', 'rules', APP]);
    expect(listed.stdout).toMatch(/orders-errors\s+error-rate\s+\*\s+0\.5\s+2s\s+critical\s+webhook/);
    expect(listed.stdout).not.toContain('t0ken');

    const st = await berth.json<{ edge: { url: string } }>(['status', APP]);
    const edge = st.edge.url;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        await fetch(edge).then(
          (r) => r.text(),
          () => '',
        );
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      // Healthy traffic first: nothing fires.
      await new Promise((r) => setTimeout(r, 2500));
      expect(receiver.received).toEqual([]);

      await writeFile(join(dir, 'data', 'fail'), '');
      const brokeAt = Date.now();
      const [fired] = await receiver.waitFor(1, 15_000);
      const tookMs = Date.now() - brokeAt;
      // for (2 s) + one interval (1 s) + the interval that first sees the errors (1 s), with slack for a loaded machine.
      expect(tookMs).toBeLessThan(2000 + 1000 + 1000 + 3000);
      expect(tookMs).toBeGreaterThanOrEqual(2000);
      expect(fired!.url).toBe('/hook?token=t0ken');
      expect(JSON.parse(fired!.body)).toMatchObject({
        version: '1',
        status: 'firing',
        app: APP,
        env: 'local',
        rule: 'orders-errors',
        service: 'orders',
        severity: 'critical',
        threshold: 0.5,
      });
      const alerts = await berth.json<{ rule: string; phase: string }[]>(['alerts', APP]);
      expect(alerts).toMatchObject([{ rule: 'orders-errors', service: 'orders', phase: 'firing' }]);

      await rm(join(dir, 'data', 'fail'));
      await receiver.waitFor(2, 15_000);
      expect(JSON.parse(receiver.received[1]!.body)).toMatchObject({ status: 'resolved', rule: 'orders-errors' });
      expect(receiver.received).toHaveLength(2);
    } finally {
      stop = true;
      await load;
    }
    await waitFor('alerts shown resolved or gone', async () => {
      const list = await berth.json<{ phase: string }[]>(['alerts', APP]);
      return list.every((a) => a.phase === 'resolved') ? true : undefined;
    });

    // The history has every transition and each delivery, newest first.
    const history = await berth.json<{ kind: string; status?: string; channel?: string; attempts?: number }[]>([
      'alerts',
      'history',
      APP,
      '--rule',
      'orders-errors',
      '--since',
      '10m',
    ]);
    expect(history.map((e) => [e.kind, e.status, e.channel, e.attempts])).toEqual([
      ['delivered', 'resolved', 'webhook', 1],
      ['resolved', undefined, undefined, undefined],
      ['delivered', 'firing', 'webhook', 1],
      ['firing', undefined, undefined, undefined],
      ['pending', undefined, undefined, undefined],
    ]);
    const table = await berth.cli(['alerts', 'history', APP, '--limit', '2']);
    expect(table.stdout).toMatch(/orders-errors\s+orders\s+delivered \(resolved\)\s+-\s+webhook\s+1 try/);
    const bad = await berth.cli(['alerts', 'history', APP, '--since', 'last week']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('since: "last week" is not a time');
  }, 60_000);

  it('delivers a firing notification after a control-plane kill between firing and delivery', async () => {
    const st = await berth.json<{ edge: { url: string } }>(['status', APP]);
    const before = receiver.received.length;
    receiver.answer = () => ({ status: 503, body: 'receiver down' });
    await writeFile(join(dir, 'data', 'fail'), '');
    let stop = false;
    const load = (async () => {
      while (!stop) {
        await fetch(st.edge.url).then(
          (r) => r.text(),
          () => '',
        );
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      // The alert fired and its notification was tried (refused): it waits in the outbox.
      await receiver.waitFor(before + 1, 15_000);
      await berth.kill('SIGKILL');
      receiver.answer = () => ({ status: 200 });
      const refused = receiver.received.length;
      await berth.restart();
      const got = await receiver.waitFor(refused + 1, 15_000);
      const delivered = JSON.parse(got[refused]!.body) as { status: string; rule: string };
      expect(delivered).toMatchObject({ status: 'firing', rule: 'orders-errors', service: 'orders' });
      // Every try was the same firing notification: none was lost, and the alert did not fire anew.
      expect(
        receiver.received
          .slice(before)
          .map((r) => (JSON.parse(r.body) as { status: string; startsAt: string }).startsAt),
      ).toEqual(
        Array(receiver.received.length - before).fill((JSON.parse(got[before]!.body) as { startsAt: string }).startsAt),
      );
    } finally {
      stop = true;
      await load;
      await rm(join(dir, 'data', 'fail'), { force: true });
    }
  }, 60_000);

  it('silences, lists and ends a silence through the CLI, and names a bad --for', async () => {
    const made = await berth.cli([
      'alerts',
      'silence',
      APP,
      '--for',
      '1h',
      '--rule',
      'orders-errors',
      '--comment',
      'deploy',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const id = /silence (\d+) of/.exec(made.stdout)?.[1];
    expect(id).toBeDefined();
    const list = await berth.json<{ id: number; rule: string; comment: string }[]>(['alerts', 'silences', APP]);
    expect(list).toMatchObject([{ id: Number(id), rule: 'orders-errors', comment: 'deploy' }]);
    const bad = await berth.cli(['alerts', 'silence', APP, '--for', 'forever']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/for: invalid duration/);
    expect((await berth.cli(['alerts', 'unsilence', APP, id!])).code).toBe(0);
    expect(await berth.json<unknown[]>(['alerts', 'silences', APP])).toEqual([]);
  });
});
