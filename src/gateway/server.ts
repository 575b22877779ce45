/**
 * The gateway process's core, startable in-process for tests: takes the home's gateway lock,
 * serves the last applied table at once, and opens the control API. `main.ts` wraps it with
 * argument parsing and signal handling.
 */
import { mkdirSync, openSync, closeSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConflictError } from '../errors.js';
import { createControlApi } from './controlApi.js';
import type { ServedDataPlane } from './dataPlane.js';
import { servedHere } from './dataPlane.js';
import { HaproxyListeners } from './haproxy/haproxyListeners.js';
import type { ListenerError, ListenersOptions } from './listeners.js';
import { Listeners } from './listeners.js';
import { isSameProcess, processStartTime } from './processIdentity.js';
import type { GatewayPaths } from './state.js';
import { ensureToken, gatewayPaths, readJsonFile, writeFileAtomic } from './state.js';
import type { RoutingTable } from './table.js';
import { emptyTable } from './table.js';
import { parseRoutingTable } from './tableSchema.js';
import { SpanQueue } from './spans.js';
import { GatewayWorkers } from './gatewayWorkers.js';

/** Options of an in-process gateway. */
export interface StartGatewayOptions extends ListenersOptions {
  home: string;
  logger?: Logger;
  /** Control API port; 0 (default) picks a free one. */
  controlPort?: number;
  /** What serves the listeners: Node (default) or an HAProxy process this gateway drives. */
  dataPlane?: DataPlane;
  /**
   * Tracing (default on): every proxied hop continues or starts a W3C trace and its span waits in a
   * bounded queue for the control plane (`GET /spans`). `false` proxies without touching traceparent.
   */
  tracing?: boolean;
  /** Spans the queue holds before it drops new ones (default 20 000). */
  spanQueueCapacity?: number;
  /**
   * Processes serving the Node data plane (default 1: the gateway process itself). Above 1 the
   * gateway forks that many cluster workers (gatewayWorkers.ts) and only drives them.
   */
  workers?: number;
}

/** The data path of a gateway: its own Node listeners, or HAProxy driven through its admin socket. */
export type DataPlane = 'node' | 'haproxy';

/** A running gateway. */
export interface Gateway {
  readonly pid: number;
  readonly controlPort: number;
  readonly paths: GatewayPaths;
  /** The table being served. */
  table(): RoutingTable;
  /** Stops accepting, finishes in-flight requests (bounded by the drain timeout) and releases the lock. */
  close(): Promise<void>;
}

function acquireLock(paths: GatewayPaths, startTime: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(paths.lock, 'wx', 0o644);
      writeSync(fd, JSON.stringify({ pid: process.pid, startTime }));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: { pid?: unknown; startTime?: unknown } = {};
    try {
      holder = JSON.parse(readFileSync(paths.lock, 'utf8')) as typeof holder;
    } catch {
      // A lock being written right now reads as empty; a torn one is treated as stale below.
    }
    if (
      typeof holder.pid === 'number' &&
      typeof holder.startTime === 'string' &&
      isSameProcess(holder.pid, holder.startTime)
    ) {
      throw new ConflictError(`a gateway (pid ${holder.pid}) already runs for this home`, {
        details: { pid: holder.pid },
      });
    }
    try {
      unlinkSync(paths.lock);
    } catch {
      // Another starter removed the stale lock first; try again.
    }
  }
  throw new ConflictError('could not take the gateway lock');
}

function loadTable(paths: GatewayPaths, logger: Logger | undefined): RoutingTable {
  const raw = readJsonFile(paths.table);
  if (raw === undefined) return emptyTable();
  try {
    return parseRoutingTable(raw, paths.table);
  } catch (err) {
    logger?.error({ err }, 'ignoring invalid table.json');
    return emptyTable();
  }
}

function logErrors(logger: Logger | undefined, errors: ListenerError[]): void {
  for (const e of errors) logger?.error({ key: e.key, port: e.port }, `cannot listen on port ${e.port}: ${e.message}`);
}

/** Starts a gateway for `home` (throws ConflictError if another live gateway holds it). */
export async function startGateway(opts: StartGatewayOptions): Promise<Gateway> {
  const paths = gatewayPaths(opts.home);
  const logger = opts.logger;
  mkdirSync(paths.dir, { recursive: true });
  const token = ensureToken(paths);
  const startTime = processStartTime(process.pid) ?? '0';
  acquireLock(paths, startTime);

  const dataPlane = opts.dataPlane ?? 'node';
  const spans = opts.tracing === false ? undefined : new SpanQueue(opts.spanQueueCapacity);
  const listenerOpts = { ...opts, spans };
  const workers =
    dataPlane === 'node' && (opts.workers ?? 1) > 1
      ? new GatewayWorkers({ ...opts, spans: undefined, workers: opts.workers!, tracing: spans !== undefined, logger })
      : undefined;
  const listeners: ServedDataPlane =
    workers ??
    servedHere(
      dataPlane === 'haproxy'
        ? new HaproxyListeners({
            ...listenerOpts,
            dir: join(paths.dir, 'haproxy'),
            log: join(paths.dir, 'haproxy.log'),
            logger,
          })
        : new Listeners(listenerOpts),
      spans,
    );
  let current = loadTable(paths, logger);
  let chain: Promise<unknown> = Promise.resolve();
  let controlPort = 0;

  const writeState = (): void =>
    writeFileAtomic(
      paths.state,
      JSON.stringify({
        pid: process.pid,
        startTime,
        controlPort,
        generation: current.generation,
        dataPlane,
        workers: workers === undefined ? 1 : opts.workers,
      }),
    );

  const apply = (table: RoutingTable): Promise<{ generation: number; errors: ListenerError[] }> => {
    // Serialised: two PUTs never reconcile listeners at the same time.
    const run = chain.then(async () => {
      if (table.generation < current.generation) {
        throw new ConflictError(
          `table generation ${table.generation} is older than the served generation ${current.generation}`,
          {
            details: { generation: current.generation },
          },
        );
      }
      // Persisted before it is applied: a gateway killed half-way serves it in full after restart.
      writeFileAtomic(paths.table, JSON.stringify(table));
      current = table;
      const started = Date.now();
      const errors = await listeners.apply(table);
      logErrors(logger, errors);
      writeState();
      logger?.info({ generation: table.generation, errors: errors.length, ms: Date.now() - started }, 'table applied');
      return { generation: table.generation, errors };
    });
    chain = run.catch(() => undefined);
    return run;
  };

  try {
    logErrors(logger, await listeners.apply(current));
    const api = createControlApi({
      token,
      health: () => ({ pid: process.pid, generation: current.generation }),
      table: () => current,
      apply,
      stats: async () => {
        const generation = current.generation;
        return { generation, ...(await listeners.report()) };
      },
      spans: (max) => listeners.spansJSON(max),
      statsVersion: () => {
        const v = listeners.version();
        return v === undefined ? undefined : `${process.pid}.${startTime}.${current.generation}.${v}`;
      },
      onSpans: (wake) => listeners.onSpans(wake),
      fresh: () => listeners.fresh(),
    });
    await new Promise<void>((resolve, reject) => {
      api.once('error', reject);
      api.listen(opts.controlPort ?? 0, '127.0.0.1', () => resolve());
    });
    controlPort = (api.address() as AddressInfo).port;
    writeState();
    logger?.info({ pid: process.pid, controlPort, generation: current.generation }, 'gateway started');

    let closed: Promise<void> | undefined;
    return {
      pid: process.pid,
      controlPort,
      paths,
      table: () => current,
      close: () =>
        (closed ??= (async () => {
          api.close();
          api.closeAllConnections();
          await chain;
          await listeners.close();
          for (const p of [paths.state, paths.lock]) {
            try {
              unlinkSync(p);
            } catch {
              // Already gone.
            }
          }
          logger?.info('gateway stopped');
        })()),
    };
  } catch (err) {
    await listeners.close();
    unlinkSync(paths.lock);
    throw err;
  }
}
