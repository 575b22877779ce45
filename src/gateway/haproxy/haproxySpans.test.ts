/**
 * The gateway's end of HAProxy's log ring: lines arrive over TCP as HAProxy's forwarder writes them,
 * several in one write or one cut across writes, from one connection per worker; each whole line is
 * read once, a span into the queue and the request into the counters.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { SpanQueue } from '../spans.js';
import { HaproxySpanReceiver } from './haproxySpans.js';
import { proxyName } from './config.js';

const queue = new SpanQueue();
const receiver = new HaproxySpanReceiver(queue);
afterAll(() => receiver.close());

const line = (n: number): string =>
  `berth-span ${String(n).padStart(32, 'a')} ${String(n).padStart(16, 'b')} - 200 1800000000.${String(n).padStart(3, '0')} 7 GET ${proxyName('f', 'a/b/c')} - r1 /n${n}\n`;

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok(), what).toBe(true);
}

describe('HaproxySpanReceiver', () => {
  it('reads whole lines over TCP however the writes cut them, from each worker’s connection', async () => {
    const port = await receiver.start();
    receiver.use({ dir: '', services: [{ key: 'a/b/c', port: 1 }], edges: [], backends: [] });
    const open = (): Promise<Socket> =>
      new Promise((resolve) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
      });
    const [first, second] = [await open(), await open()];
    try {
      const cut = line(1);
      first.write(cut.slice(0, 20));
      await new Promise((r) => setTimeout(r, 20));
      first.write(cut.slice(20) + line(2) + line(3));
      second.write(`not a span line\n${line(4)}`);
      const seen: string[] = [];
      await until('four spans', () => {
        seen.push(...queue.drain(10).spans.map((x) => x.path ?? ''));
        return seen.length >= 4;
      });
      expect(seen.sort()).toEqual(['/n1', '/n2', '/n3', '/n4']);
      const latency = receiver.counters.latency('a/b/c', 'stable')!;
      expect(latency.latencyCounts.reduce((a, b) => a + b, 0)).toBe(4);
    } finally {
      first.destroy();
      second.destroy();
    }
  });
});
