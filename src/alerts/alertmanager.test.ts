/**
 * The outbox delivers to a real Alertmanager (Debian's prometheus-alertmanager, started here on a
 * free 127.0.0.1 port): a firing alert shows in its API with Berth's labels, and the resolved one
 * (with endsAt) leaves its active alerts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSecretBox } from '../config/secretBox.js';
import { openStore, type Store } from '../store/store.js';
import { firing, resolved } from './formatters/testing.js';
import { createOutbox, type Outbox } from './outbox.js';

const BINARY = '/usr/bin/prometheus-alertmanager';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
}

describe('notifications to a real Alertmanager', () => {
  let home: string;
  let store: Store;
  let outbox: Outbox;
  let am: ChildProcess;
  let url: string;
  let log = '';

  beforeAll(async () => {
    if (!existsSync(BINARY))
      throw new Error(`${BINARY} is missing: apt-get install -y prometheus-alertmanager (see .ci/run)`);
    home = await mkdtemp(path.join(os.tmpdir(), 'berth-am-'));
    await writeFile(path.join(home, 'am.yml'), "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n");
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    am = spawn(
      BINARY,
      [
        `--config.file=${path.join(home, 'am.yml')}`,
        `--storage.path=${path.join(home, 'am-data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    am.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    am.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ready = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline || am.exitCode !== null) throw new Error(`alertmanager did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    store = await openStore({ file: path.join(home, 'berth.db') });
    outbox = createOutbox({ db: store.db, box: await loadSecretBox(home) });
  }, 30_000);
  afterAll(async () => {
    if (am && am.exitCode === null && am.signalCode === null) {
      am.kill('SIGTERM');
      await new Promise((resolve) => am.once('exit', resolve));
    }
    await store?.close();
    await rm(home, { recursive: true, force: true });
  });

  const active = async (): Promise<ApiAlert[]> =>
    (await fetch(`${url}/api/v2/alerts?filter=${encodeURIComponent('alertname="orders-errors"')}`)).json() as Promise<
      ApiAlert[]
    >;

  it('shows a firing alert with Berth’s labels, and drops it once resolved', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    await outbox.enqueue({ ...firing, startsAt }, [{ type: 'alertmanager', url }]);
    expect(await outbox.deliverDue()).toEqual({ delivered: 1, failed: 0, givenUp: 0 });
    const alerts = await active();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.labels).toEqual({
      alertname: 'orders-errors',
      app: 'shop',
      env: 'prod',
      service: 'orders',
      severity: 'critical',
      team: 'payments',
    });
    expect(alerts[0]!.annotations).toMatchObject({ summary: 'orders answers errors', value: '0.12' });
    expect(alerts[0]!.status.state).toBe('active');

    await outbox.enqueue({ ...resolved, startsAt, endsAt: new Date(Date.now() - 1000).toISOString() }, [
      { type: 'alertmanager', url },
    ]);
    expect(await outbox.deliverDue()).toEqual({ delivered: 1, failed: 0, givenUp: 0 });
    await expect.poll(active, { timeout: 5000 }).toEqual([]);
  });

  it('keeps a notification Alertmanager refuses (400) for retry', async () => {
    await outbox.enqueue({ ...firing, startsAt: 'not a time' }, [{ type: 'alertmanager', url }]);
    expect(await outbox.deliverDue()).toEqual({ delivered: 0, failed: 1, givenUp: 0 });
    const [row] = await outbox.pending();
    expect(row!.lastError).toMatch(/^HTTP 400/);
  });
});
