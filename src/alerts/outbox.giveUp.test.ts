/**
 * Delivery that gives up, on a real SQLite file and a real receiver on 127.0.0.1: a notification
 * still refused after the allowed tries, or tried again after its age ran out, leaves the outbox and
 * is recorded undelivered with its last error; the tries count across a restart (a new outbox on
 * the same file) with their backoff; a delivered one is recorded with the tries it took.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSecretBox, type SecretBox } from '../config/secretBox.js';
import { openStore, type Store } from '../store/store.js';
import { firing } from './formatters/testing.js';
import { createAlertHistory } from './history.js';
import { createOutbox, DEFAULT_GIVE_UP } from './outbox.js';
import { startReceiver, type Receiver } from './testing.js';

describe('the alert outbox giving up', () => {
  let home: string;
  let store: Store;
  let box: SecretBox;
  let receiver: Receiver;
  let clock: number;
  const now = (): number => clock;
  const history = () => createAlertHistory(store.db).query({ app: firing.app, env: firing.env, limit: 100 });

  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'berth-giveup-'));
    store = await openStore({ file: path.join(home, 'berth.db') });
    box = await loadSecretBox(home);
    receiver = await startReceiver();
    receiver.answer = () => ({ status: 503, body: 'down for maintenance' });
    clock = Date.parse('2026-12-06T09:00:00Z');
  });
  afterEach(async () => {
    await receiver.close();
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  it('documents its defaults: 20 tries or 24 hours', () => {
    expect(DEFAULT_GIVE_UP).toEqual({ maxAttempts: 20, maxAgeMs: 86_400_000 });
  });

  it('gives up after the allowed tries, counted across a restart, and records the last error', async () => {
    const options = { db: store.db, box, now, backoff: { initialMs: 1000, maxMs: 4000 } };
    const giveUp = { maxAttempts: 4, maxAgeMs: 86_400_000 };
    const first = createOutbox({ ...options, giveUp });
    await first.enqueue(firing, [{ type: 'webhook', url: `${receiver.url}/hook` }]);
    expect(await first.deliverDue()).toEqual({ delivered: 0, failed: 1, givenUp: 0 });
    clock += 1000;
    expect(await first.deliverDue()).toEqual({ delivered: 0, failed: 1, givenUp: 0 });

    // A restart: the store reopened, a new outbox; the tries so far and the backoff are on the row.
    await store.close();
    store = await openStore({ file: path.join(home, 'berth.db') });
    const second = createOutbox({ ...options, db: store.db, giveUp });
    const [row] = await second.pending();
    expect(row).toMatchObject({ attempts: 2, nextAttemptAt: new Date(clock + 2000).toISOString() });
    clock += 1999;
    expect(await second.deliverDue()).toEqual({ delivered: 0, failed: 0, givenUp: 0 });
    clock += 1;
    expect(await second.deliverDue()).toEqual({ delivered: 0, failed: 1, givenUp: 0 });
    receiver.answer = () => ({ status: 500, body: 'still broken' });
    clock += 4000;
    expect(await second.deliverDue()).toEqual({ delivered: 0, failed: 0, givenUp: 1 });

    expect(receiver.received).toHaveLength(4);
    expect(await second.pending()).toEqual([]);
    clock += 300_000;
    await second.deliverDue();
    expect(receiver.received).toHaveLength(4);
    expect(await history()).toEqual([
      expect.objectContaining({
        kind: 'undelivered',
        rule: firing.rule,
        service: firing.service,
        status: 'firing',
        channel: 'webhook',
        attempts: 4,
        error: 'HTTP 500: still broken',
        startsAt: firing.startsAt,
        at: new Date(clock - 300_000).toISOString(),
      }),
    ]);
  });

  it('gives up a notification whose try fails once its age has run out, however few tries it had', async () => {
    const outbox = createOutbox({ db: store.db, box, now, giveUp: { maxAttempts: 100, maxAgeMs: 3_600_000 } });
    await outbox.enqueue(firing, [{ type: 'slack', url: `${receiver.url}/services/x` }]);
    expect(await outbox.deliverDue()).toEqual({ delivered: 0, failed: 1, givenUp: 0 });
    // The control plane was down for two hours: one more try when it is back, then given up.
    clock += 2 * 3_600_000;
    expect(await outbox.deliverDue()).toEqual({ delivered: 0, failed: 0, givenUp: 1 });
    expect(receiver.received).toHaveLength(2);
    expect(await outbox.pending()).toEqual([]);
    expect(await history()).toMatchObject([{ kind: 'undelivered', channel: 'slack', attempts: 2 }]);
  });

  it('records a delivered notification per channel with the tries it took', async () => {
    const outbox = createOutbox({ db: store.db, box, now });
    let refuse = 1;
    receiver.answer = (r) => (r.url === '/a' && refuse-- > 0 ? { status: 503, body: 'busy' } : { status: 200 });
    await outbox.enqueue(firing, [
      { type: 'webhook', url: `${receiver.url}/a` },
      { type: 'alertmanager', url: receiver.url },
    ]);
    expect(await outbox.deliverDue()).toEqual({ delivered: 1, failed: 1, givenUp: 0 });
    clock += 1000;
    expect(await outbox.deliverDue()).toEqual({ delivered: 1, failed: 0, givenUp: 0 });
    expect((await history()).map((e) => [e.kind, e.channel, e.attempts, e.status])).toEqual([
      ['delivered', 'webhook', 2, 'firing'],
      ['delivered', 'alertmanager', 1, 'firing'],
    ]);
  });
});
