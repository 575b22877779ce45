/**
 * No notification is lost across a control-plane kill: a child process enqueues a notification
 * while the receiver refuses it (503), is SIGKILLed with the notification still undelivered, and a
 * new outbox on the same SQLite file delivers it to the real receiver on 127.0.0.1 — at least once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSecretBox } from '../config/secretBox.js';
import { openStore } from '../store/store.js';
import { createOutbox } from './outbox.js';
import { buildForChild, startReceiver } from './testing.js';

/** Enqueues one firing notification to the webhook at argv[3], prints "enqueued", keeps trying until killed. */
const CHILD = `
import { openStore } from './src/store/store.js';
import { loadSecretBox } from './src/config/secretBox.js';
import { createOutbox } from './src/alerts/outbox.js';
const [home, url] = process.argv.slice(2);
const store = await openStore({ file: home + '/berth.db' });
const outbox = createOutbox({ db: store.db, box: await loadSecretBox(home), backoff: { initialMs: 200, maxMs: 200 }, pollMs: 50 });
outbox.start();
await outbox.enqueue(
  { status: 'firing', app: 'shop', env: 'local', rule: 'errors', metric: 'error-rate', severity: 'critical',
    labels: {}, value: 0.5, threshold: 0.1, startsAt: new Date().toISOString() },
  [{ type: 'webhook', url }],
);
console.log('enqueued');
setInterval(() => {}, 1000);
`;

describe('the outbox across a control-plane kill', () => {
  let build: { dir: string; remove(): Promise<void> };
  let home: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    build = await buildForChild(['model', 'store', 'config', 'spec', 'alerts']);
    await writeFile(path.join(build.dir, 'child.js'), CHILD);
    home = await mkdtemp(path.join(os.tmpdir(), 'berth-outbox-kill-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    await build?.remove();
    await rm(home, { recursive: true, force: true });
  });

  it('delivers after a restart what was enqueued before the kill', async () => {
    const receiver = await startReceiver();
    try {
      receiver.answer = () => ({ status: 503, body: 'not yet' });
      child = spawn(process.execPath, [path.join(build.dir, 'child.js'), home, `${receiver.url}/alerts`], {
        cwd: build.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      // The child enqueued and tried (refused): the notification is written, not delivered.
      await receiver.waitFor(1, 15_000).catch((err: unknown) => {
        throw new Error(`${String(err)}; child said: ${out}`);
      });
      expect(out).toContain('enqueued');
      child.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));
      const triedBeforeKill = receiver.received.length;

      receiver.answer = () => ({ status: 200 });
      const store = await openStore({ file: path.join(home, 'berth.db') });
      const outbox = createOutbox({ db: store.db, box: await loadSecretBox(home), pollMs: 50 });
      try {
        // Still there, whether the kill came before or after the child recorded its refused try.
        const left = await outbox.pending();
        expect(left).toHaveLength(1);
        expect(left[0]).toMatchObject({ app: 'shop', rule: 'errors', channel: 'webhook', status: 'firing' });
        outbox.start();
        await receiver.waitFor(triedBeforeKill + 1);
        await expect.poll(() => outbox.pending(), { timeout: 5000 }).toEqual([]);
      } finally {
        await outbox.stop();
        await store.close();
      }
      const delivered = receiver.received.at(-1)!;
      expect(delivered.url).toBe('/alerts');
      expect(JSON.parse(delivered.body)).toMatchObject({ app: 'shop', rule: 'errors', status: 'firing', value: 0.5 });
    } finally {
      await receiver.close();
    }
  }, 30_000);
});
