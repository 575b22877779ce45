/**
 * The outbox on a real SQLite file, delivering over real HTTP to a receiver on 127.0.0.1: written
 * before it is sent, removed only after a 2xx, retried with doubling backoff on an injected clock,
 * a chat robot's 200 with an error code kept for retry, and no URL or secret in what it shows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSecretBox, type SecretBox } from '../config/secretBox.js';
import { openStore, type Store } from '../store/store.js';
import { firing } from './formatters/testing.js';
import { backoffMs, createOutbox } from './outbox.js';
import { startReceiver, type Receiver } from './testing.js';

describe('the alert outbox', () => {
  let home: string;
  let store: Store;
  let box: SecretBox;
  let receiver: Receiver;
  let clock: number;
  const now = (): number => clock;

  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'berth-outbox-'));
    store = await openStore({ file: path.join(home, 'berth.db') });
    box = await loadSecretBox(home);
    receiver = await startReceiver();
    clock = Date.parse('2026-12-06T09:00:00Z');
  });
  afterEach(async () => {
    await receiver.close();
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  it('writes a notification per channel before sending, and removes each only after its 2xx', async () => {
    const outbox = createOutbox({ db: store.db, box, now });
    await outbox.enqueue(firing, [
      { type: 'webhook', url: `${receiver.url}/hook`, secret: 's3cret' },
      { type: 'slack', url: `${receiver.url}/services/T/B/x` },
    ]);
    expect(receiver.received).toHaveLength(0);
    const waiting = await outbox.pending();
    expect(waiting.map((p) => [p.channel, p.status, p.attempts])).toEqual([
      ['webhook', 'firing', 0],
      ['slack', 'firing', 0],
    ]);
    expect(JSON.stringify(waiting)).not.toContain('s3cret');
    const raw = store.sqlite.prepare('select channel from alert_outbox').all() as { channel: string }[];
    expect(raw.map((r) => r.channel).join()).not.toContain(receiver.url);

    expect(await outbox.deliverDue()).toEqual({ delivered: 2, failed: 0, givenUp: 0 });
    expect(receiver.received.map((r) => r.url)).toEqual(['/hook', '/services/T/B/x']);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({
      version: '1',
      rule: 'orders-errors',
      status: 'firing',
    });
    expect(receiver.received[0]!.headers['x-berth-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(await outbox.pending()).toEqual([]);
  });

  it('keeps a refused notification and retries it with doubling backoff until it is taken', async () => {
    const outbox = createOutbox({ db: store.db, box, now, backoff: { initialMs: 1000, maxMs: 4000 } });
    let refuse = 3;
    receiver.answer = () => (refuse-- > 0 ? { status: 503, body: 'busy' } : { status: 200 });
    await outbox.enqueue(firing, [{ type: 'webhook', url: receiver.url }]);

    expect(await outbox.deliverDue()).toEqual({ delivered: 0, failed: 1, givenUp: 0 });
    let [row] = await outbox.pending();
    expect(row).toMatchObject({
      attempts: 1,
      lastError: 'HTTP 503: busy',
      nextAttemptAt: new Date(clock + 1000).toISOString(),
    });
    // Not due yet: nothing is sent.
    clock += 999;
    expect(await outbox.deliverDue()).toEqual({ delivered: 0, failed: 0, givenUp: 0 });
    expect(receiver.received).toHaveLength(1);
    clock += 1;
    await outbox.deliverDue();
    [row] = await outbox.pending();
    expect(row).toMatchObject({ attempts: 2, nextAttemptAt: new Date(clock + 2000).toISOString() });
    clock += 2000;
    await outbox.deliverDue();
    [row] = await outbox.pending();
    expect(row).toMatchObject({ attempts: 3, nextAttemptAt: new Date(clock + 4000).toISOString() });
    clock += 4000;
    expect(await outbox.deliverDue()).toEqual({ delivered: 1, failed: 0, givenUp: 0 });
    expect(receiver.received).toHaveLength(4);
    expect(await outbox.pending()).toEqual([]);
  });

  it('retries when nothing listens, and a DingTalk 200 with a non-zero errcode', async () => {
    const outbox = createOutbox({ db: store.db, box, now });
    receiver.answer = () => ({ status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' });
    const closed = await startReceiver();
    await closed.close();
    await outbox.enqueue(firing, [
      { type: 'dingtalk', url: `${receiver.url}/robot/send?access_token=t`, secret: 'SECx' },
      { type: 'webhook', url: closed.url },
    ]);
    expect(await outbox.deliverDue()).toEqual({ delivered: 0, failed: 2, givenUp: 0 });
    const rows = await outbox.pending();
    expect(rows[0]!.lastError).toContain('sign not match');
    expect(rows[1]!.lastError).toMatch(/fetch failed: .*ECONNREFUSED/);
    const sent = new URL(receiver.received[0]!.url, receiver.url);
    expect(sent.searchParams.get('access_token')).toBe('t');
    expect(sent.searchParams.get('timestamp')).toBe(String(clock));
  });

  it('delivers in the background once started, woken by an enqueue', async () => {
    const outbox = createOutbox({ db: store.db, box, pollMs: 60_000 });
    receiver.answer = () => ({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' });
    outbox.start();
    try {
      await outbox.enqueue(firing, [{ type: 'wecom', url: `${receiver.url}/send?key=k` }]);
      await receiver.waitFor(1);
      await expect.poll(() => outbox.pending()).toEqual([]);
    } finally {
      await outbox.stop();
    }
  });

  it('doubles the wait per failed try up to the cap', () => {
    expect([1, 2, 3, 4, 10, 20].map((a) => backoffMs(a))).toEqual([1000, 2000, 4000, 8000, 300_000, 300_000]);
  });
});
