/**
 * The Node data plane on several cores: N worker processes (`node:cluster`, gatewayWorker.ts), each
 * with its own listeners on every port of the table. The gateway process stays the primary — table,
 * lock, control API — and the cluster hands each accepted connection to the next worker (round
 * robin; Node 20 has no SO_REUSEPORT option). What the control plane reads is the sum of the
 * workers' counters (workerReports.ts) and the join of their spans; every table reaches every
 * worker before `apply` resolves, and a worker that dies is replaced and given the table.
 *
 * Rate limits are split: each worker's bucket holds 1/N of the rate and burst, so together they let
 * the configured rate through when connections spread evenly (one keep-alive client reaches one
 * worker: it sees 1/N). Circuit breakers are per worker; the report shows the most open.
 */
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import type { Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { DataPlaneReport, ServedDataPlane } from './dataPlane.js';
import type { ListenerError, ListenerStatsJSON } from './listenerTypes.js';
import type { ListenersOptions } from './listeners.js';
import type { SpanCounts, SpanParts } from './spans.js';
import { DEFAULT_SPAN_CAPACITY, spanBatchJSON } from './spans.js';
import type { RoutingTable } from './table.js';
import { policyActions } from './trafficSums.js';
import { sumListenerStats, sumTraffic } from './workerReports.js';

/** The environment variable carrying a worker's options (JSON). */
export const workerOptionsEnv = 'BERTH_GATEWAY_WORKER_OPTIONS';

/** What a worker is started with. */
export interface WorkerOptions {
  listeners: Omit<ListenersOptions, 'spans' | 'policyShare'>;
  tracing: boolean;
  spanQueueCapacity?: number;
  policyShare: number;
}

/** A request of the primary to a worker. */
export type WorkerRequest =
  | { id: number; op: 'apply'; table: RoutingTable }
  | { id: number; op: 'report' }
  | { id: number; op: 'spans'; max: number }
  | { id: number; op: 'close' };

/** A worker's answer to request `id` (id 0: the worker is ready). */
export interface WorkerReply {
  id: number;
  result?: unknown;
  error?: string;
}

/** Counters of one worker. */
type WorkerReport = DataPlaneReport;

/** Options of the worker set. */
export interface GatewayWorkersOptions extends ListenersOptions {
  workers: number;
  tracing: boolean;
  spanQueueCapacity?: number;
  logger?: Logger;
}

/** The worker count of `--workers` / BERTH_GATEWAY_WORKERS: a positive integer or `auto` (one per core). */
export function parseWorkerCount(value: string | undefined, cores: number): number | undefined {
  if (value === undefined || value === '') return 1;
  if (value === 'auto') return Math.min(64, Math.max(1, cores));
  if (!/^\d+$/.test(value)) return undefined; // not Number(): it takes "0x10", "1e1", " 4 "
  const n = Number(value);
  return n >= 1 && n <= 64 ? n : undefined;
}

const restartWindowMs = 10_000;
const maxRestartsInWindow = 5;

function workerEntry(): string {
  // Compiled: beside this file. Run from source (an in-process test gateway): the build output.
  const beside = fileURLToPath(new URL('./gatewayWorker.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../dist/gateway/gatewayWorker.js', import.meta.url));
}

interface Member {
  worker: Worker;
  ready: Promise<void>;
  pending: Map<number, (reply: WorkerReply | undefined) => void>;
  /** Its last report: what it had counted when it exits, carried on in the sums. */
  last?: WorkerReport;
}

/** The Node data plane served by N cluster workers. */
export class GatewayWorkers implements ServedDataPlane {
  private readonly members: Member[] = [];
  private readonly opts: GatewayWorkersOptions;
  private nextId = 1;
  private table: RoutingTable | undefined;
  private closing = false;
  /** When workers exited lately (performance.now()), to stop replacing ones that cannot stay up. */
  private exits: number[] = [];
  /**
   * What workers that exited had counted (their last reports, in-flight and circuit states left out;
   * their queued spans count as dropped): added to the live workers' sums, so counters never go back.
   */
  private carried: { listeners: ListenerStatsJSON[]; services: DataPlaneReport['services']; spans: SpanCounts } = {
    listeners: [],
    services: [],
    spans: { queued: 0, recorded: 0, dropped: 0 },
  };
  /** Which worker's spans `spansJSON` takes first (turns, so none always waits behind the others). */
  private spanTurn = 0;

  constructor(opts: GatewayWorkersOptions) {
    this.opts = opts;
    // V8's serialiser, not JSON: a batch of spans is one large string that JSON would escape.
    cluster.setupPrimary({ exec: workerEntry(), serialization: 'advanced' });
    for (let i = 0; i < opts.workers; i++) this.members.push(this.fork());
  }

  private fork(): Member {
    const { workers, tracing, spanQueueCapacity, logger: _logger, spans: _spans, ...listeners } = this.opts;
    const options: WorkerOptions = {
      listeners,
      tracing,
      // The gateway's capacity shared out: N workers together hold what one process would.
      spanQueueCapacity: Math.ceil((spanQueueCapacity ?? DEFAULT_SPAN_CAPACITY) / workers),
      policyShare: 1 / workers,
    };
    const worker = cluster.fork({ [workerOptionsEnv]: JSON.stringify(options) });
    const pending = new Map<number, (reply: WorkerReply | undefined) => void>();
    let readyResolve!: () => void;
    const ready = new Promise<void>((resolve) => (readyResolve = resolve));
    const member: Member = { worker, ready, pending };
    worker.on('message', (m: WorkerReply) => {
      if (m.id === 0) return readyResolve();
      const done = pending.get(m.id);
      pending.delete(m.id);
      done?.(m);
    });
    worker.once('exit', (code, signal) => {
      readyResolve();
      for (const done of pending.values()) done(undefined);
      pending.clear();
      if (this.closing) return;
      if (member.last !== undefined) this.carry(member.last);
      const i = this.members.indexOf(member);
      const nowMs = performance.now();
      this.exits = this.exits.filter((t) => nowMs - t < restartWindowMs);
      this.exits.push(nowMs);
      if (this.exits.length > maxRestartsInWindow) {
        // A worker that cannot stay up (a broken install, no memory) is not restarted in a loop.
        this.opts.logger?.error({ pid: worker.process.pid, code, signal }, 'gateway worker exited; too many restarts');
        if (i >= 0) this.members.splice(i, 1);
        return;
      }
      // Replaced at once and given the table: the other workers serve meanwhile.
      this.opts.logger?.warn({ pid: worker.process.pid, code, signal }, 'gateway worker exited; starting another');
      const next = this.fork();
      if (i >= 0) this.members[i] = next;
      if (this.table !== undefined)
        void this.ask(next, { op: 'apply', table: this.table }).then((r) => {
          if (r?.error !== undefined)
            this.opts.logger?.error(
              { pid: next.worker.process.pid, err: r.error },
              'new gateway worker could not apply the table',
            );
        });
    });
    return member;
  }

  private async ask(member: Member, request: DistributiveOmit<WorkerRequest, 'id'>): Promise<WorkerReply | undefined> {
    await member.ready;
    if (!member.worker.isConnected()) return undefined;
    const id = this.nextId++;
    return new Promise((resolve) => {
      member.pending.set(id, resolve);
      member.worker.send({ ...request, id } as WorkerRequest);
    });
  }

  /** Asks every worker; the replies in the order of `members` (undefined: that worker exited meanwhile). */
  private async askEach(
    members: readonly Member[],
    request: DistributiveOmit<WorkerRequest, 'id'>,
  ): Promise<(unknown | undefined)[]> {
    // Every worker gave up (too many restarts): nothing serves, which must not read as "all listening".
    if (members.length === 0 && !this.closing)
      throw new Error('gateway worker: none is running (each exited too often: see the gateway log)');
    const replies = await Promise.all(members.map((m) => this.ask(m, request)));
    return replies.map((r) => {
      if (r?.error !== undefined) throw new Error(`gateway worker: ${r.error}`);
      return r?.result;
    });
  }

  private async askAll(request: DistributiveOmit<WorkerRequest, 'id'>): Promise<unknown[]> {
    return (await this.askEach(this.members, request)).filter((r) => r !== undefined);
  }

  /** Adds an exited worker's last counts to the carried ones. */
  private carry(last: WorkerReport): void {
    const c = this.carried;
    c.listeners = sumListenerStats([c.listeners, last.listeners.map((l) => ({ ...l, inFlight: 0 }))]);
    const services = last.services.map((s) => (s.policy === undefined ? s : { ...s, policy: policyActions(s.policy) }));
    c.services = sumTraffic([c.services, services]);
    c.spans.recorded += last.spans?.recorded ?? 0;
    c.spans.dropped += (last.spans?.dropped ?? 0) + (last.spans?.queued ?? 0);
  }

  /** Every worker serves `table` when this resolves; a port none could bind is reported once. */
  async apply(table: RoutingTable): Promise<ListenerError[]> {
    this.table = table;
    const results = (await this.askAll({ op: 'apply', table })) as ListenerError[][];
    const seen = new Map<string, ListenerError>();
    for (const errors of results) for (const e of errors) seen.set(`${e.key} ${e.port} ${e.message}`, e);
    return [...seen.values()];
  }

  /** The workers' counters, summed, with those of workers that exited (listeners and services still served). */
  async report(): Promise<DataPlaneReport> {
    const members = [...this.members];
    const replies = (await this.askEach(members, { op: 'report' })) as (WorkerReport | undefined)[];
    const reports: WorkerReport[] = [];
    members.forEach((m, i) => {
      const r = replies[i];
      if (r === undefined) return;
      m.last = r;
      reports.push(r);
    });
    const live = reports.map((r) => r.listeners);
    const ids = new Set(live.flat().map((l) => `${l.kind} ${l.key} ${l.port}`));
    const keys = new Set(reports.flatMap((r) => r.services.map((s) => s.key)));
    const out: DataPlaneReport = {
      listeners: sumListenerStats([
        ...live,
        this.carried.listeners.filter((l) => ids.has(`${l.kind} ${l.key} ${l.port}`)),
      ]),
      services: sumTraffic([...reports.map((r) => r.services), this.carried.services.filter((s) => keys.has(s.key))]),
    };
    if (this.opts.tracing) {
      const spans: SpanCounts = {
        queued: 0,
        recorded: this.carried.spans.recorded,
        dropped: this.carried.spans.dropped,
      };
      for (const r of reports) {
        spans.queued += r.spans?.queued ?? 0;
        spans.recorded += r.spans?.recorded ?? 0;
        spans.dropped += r.spans?.dropped ?? 0;
      }
      out.spans = spans;
    }
    return out;
  }

  /**
   * Up to `max` spans of the workers, oldest first within each worker, as `GET /spans` JSON. The
   * worker asked first takes turns, so under load (more than `max` queued) none is always left last.
   */
  async spansJSON(max: number): Promise<string> {
    const items: string[] = [];
    let left = max;
    let dropped = this.carried.spans.dropped;
    let queued = 0;
    const n = this.members.length;
    const first = n === 0 ? 0 : this.spanTurn++ % n;
    const order = [...this.members.slice(first), ...this.members.slice(0, first)];
    // One after the other, so the batch never holds more than `max`.
    for (const m of order) {
      // max 0 takes nothing and still tells the worker's dropped and queued counts.
      const r = await this.ask(m, { op: 'spans', max: left });
      const parts = r?.result as SpanParts | undefined;
      if (parts === undefined) continue;
      if (parts.count > 0) {
        items.push(parts.items);
        left -= parts.count;
      }
      dropped += parts.dropped;
      queued += parts.queued;
    }
    return spanBatchJSON(items.join(','), dropped, queued);
  }

  /** The workers' counters are asked over IPC: no cheap summary, every `GET /stats` is a full report. */
  version(): undefined {
    return undefined;
  }

  /** The workers' counters are current when asked. */
  fresh(): Promise<void> {
    return Promise.resolve();
  }

  /** Spans wait in the workers: a held `GET /spans` is answered at once. */
  onSpans(): undefined {
    return undefined;
  }

  /** Every worker stops its listeners (draining, bounded by the drain timeout), then exits. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.members.map((m) => this.ask(m, { op: 'close' })));
    await Promise.all(
      this.members.map(
        (m) =>
          new Promise<void>((resolve) => {
            if (m.worker.isDead()) return resolve();
            // Its listeners and pools are closed, so it exits on disconnect; a stuck one is killed.
            const kill = setTimeout(() => m.worker.process.kill('SIGKILL'), 2_000);
            m.worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            m.worker.disconnect();
          }),
      ),
    );
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
