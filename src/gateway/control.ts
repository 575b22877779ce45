/**
 * How the local runtime drives the gateway process: adopt the running gateway or start one
 * (detached, so it outlives the control plane), and push table changes to it one at a time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { ErrorJSON } from '../errors.js';
import { BerthError, ConflictError, RuntimeError, TimeoutError, fromErrorJSON } from '../errors.js';
import type { ListenerStatsJSON } from './listeners.js';
import { usableHaproxy } from './haproxy/haproxyProcess.js';
import { isSameProcess } from './processIdentity.js';
import type { DataPlane } from './server.js';
import { askedWorkers, dataPlaneFromEnv } from './gatewayOptions.js';
import { alreadyRunningExitCode, gatewayPaths, logTail, readGatewayState, readJsonFile } from './state.js';
import type { GatewayControl, ListenerError, RoutingTable, ServiceTraffic } from './table.js';
import { emptyTable } from './table.js';
import { parseRoutingTable } from './tableSchema.js';
import type { SpanBatch } from './spans.js';
import type { GatewayStats } from './controlApi.js';
import { controlKeepAliveMs } from './controlApi.js';

/** `value` and everything in it, frozen (plain JSON: objects and arrays). */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

/** Options of createGatewayControl. */
export interface GatewayControlOptions {
  /** Berth home; the gateway keeps its files in `<home>/gateway/`. */
  home: string;
  logger?: Logger;
  /** Path of the gateway entry (`main.js`); defaults to dist/gateway/main.js. */
  entry?: string;
  /** Longest wait for a started gateway to answer its health check. */
  startTimeoutMs?: number;
  /** Longest wait for a gateway to exit after SIGTERM before it is killed. */
  stopTimeoutMs?: number;
  /** Timeout of one control API call (a table apply waits for new listeners). */
  requestTimeoutMs?: number;
  /** Data path of a gateway this control starts; defaults to env BERTH_DATA_PLANE, else `node`. */
  dataPlane?: DataPlane;
  /**
   * Processes serving the Node data plane of a gateway this control starts (`--workers`); defaults
   * to env BERTH_GATEWAY_WORKERS, else 1. An adopted gateway keeps its own.
   */
  workers?: number | 'auto';
  /**
   * Called when a gateway this control started exits while it serves (not stopped by this control):
   * the control plane restarts it at once (`heal`) instead of at its next supervision tick. A gateway
   * adopted from another process is not this process's child: its death is found by `heal` alone.
   */
  onExit?: () => void;
}

/** GatewayControl plus what the local gateway can tell beyond the shared contract. */
export interface LocalGatewayControl extends GatewayControl {
  /** Pid of the gateway process this control talks to, if any. */
  pid(): number | undefined;
  /** Takes up to `max` of the gateway's ended spans (`GET /spans`); undefined when no gateway runs. */
  spans(max: number, opts?: SpanReadOptions): Promise<SpanBatch | undefined>;
  /**
   * The gateway's counters (`GET /stats`); undefined when no gateway runs. While nothing moved since
   * the last reading the gateway says so (304) and that reading's object is answered again: callers
   * must not change it.
   */
  stats(): Promise<GatewayStats | undefined>;
  /** The data plane of the gateway this control talks to (an adopted one keeps its own); undefined before one runs. */
  dataPlane(): DataPlane | undefined;
}

/** How a `GET /spans` is asked (controlApi.ts): held while the queue is empty, and/or releasing a held one. */
export interface SpanReadOptions {
  /** Held until a span is queued or `ms` pass (or a read releases `id`). */
  wait?: { id: string; ms: number };
  /** Answers the held read `id` now (or at once when it arrives later). */
  release?: string;
}

interface Connection {
  pid: number;
  startTime: string;
  base: string;
  token: string;
}

function defaultEntry(): string {
  // Compiled: main.js sits beside this file. Run from source (tests): use the build output.
  const beside = fileURLToPath(new URL('./main.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../dist/gateway/main.js', import.meta.url));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Exited in the meantime.
  }
}

async function healthy(port: number, pid: number): Promise<boolean> {
  try {
    const res = await request(`http://127.0.0.1:${port}/healthz`, { headersTimeout: 1_000, bodyTimeout: 1_000 });
    const body = (await res.body.json()) as { ok?: boolean; pid?: number };
    return res.statusCode === 200 && body.ok === true && body.pid === pid;
  } catch {
    return false;
  }
}

/** Creates the control of the gateway of `home`; nothing starts until ensureRunning or update. */
export function createGatewayControl(opts: GatewayControlOptions): LocalGatewayControl {
  const paths = gatewayPaths(opts.home);
  const logger = opts.logger;
  const entry = opts.entry ?? defaultEntry();
  const startTimeoutMs = opts.startTimeoutMs ?? 15_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 15_000;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  const dataPlane = opts.dataPlane ?? dataPlaneFromEnv();
  const workers = askedWorkers(opts.workers);

  let current: RoutingTable = emptyTable();
  try {
    const saved = readJsonFile(paths.table);
    if (saved !== undefined) current = parseRoutingTable(saved, paths.table);
  } catch (err) {
    logger?.warn({ err }, 'ignoring invalid gateway table.json');
  }
  let conn: Connection | undefined;
  let running: DataPlane | undefined;
  let errors: ListenerError[] = [];
  let starting: Promise<Connection> | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  /** The last full `GET /stats` and its ETag, answered again while the gateway says nothing moved. */
  let lastStats: { pid: number; etag: string; stats: GatewayStats } | undefined;
  // Kept alive a little less than the gateway keeps it (the client closes first): one connection
  // serves every read instead of one per read (undici's default keeps an idle one 4 s).
  const dispatcher = new Agent({
    keepAliveTimeout: controlKeepAliveMs - 15_000,
    keepAliveMaxTimeout: controlKeepAliveMs - 15_000,
  });

  async function send(
    c: Connection,
    method: 'GET' | 'PUT',
    path: string,
    opts: { body?: unknown; etag?: string; heldMs?: number } = {},
  ): Promise<{ status: number; json: unknown; etag?: string }> {
    const { body, etag } = opts;
    const timeoutMs = requestTimeoutMs + (opts.heldMs ?? 0);
    // One native timer, cleared once the answer is read: undici's own timeouts above 1 s tick twice a
    // second while they run (a wake-up after every call), and AbortSignal.timeout's fires even after.
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new TimeoutError(`gateway ${method} ${path}: no answer in ${timeoutMs}ms`)),
      timeoutMs,
    );
    try {
      const res = await request(`${c.base}${path}`, {
        method,
        dispatcher,
        headers: {
          authorization: `Bearer ${c.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(etag === undefined ? {} : { 'if-none-match': etag }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: 0,
        bodyTimeout: 0,
        signal: abort.signal,
      });
      if (res.statusCode === 304) {
        await res.body.dump();
        return { status: 304, json: undefined };
      }
      const json = (await res.body.json()) as unknown;
      if (res.statusCode !== 200) throw fromErrorJSON(json as ErrorJSON);
      const tag = res.headers.etag;
      return { status: 200, json, etag: typeof tag === 'string' ? tag : undefined };
    } finally {
      clearTimeout(timer);
    }
  }

  async function call(c: Connection, method: 'GET' | 'PUT', path: string, body?: unknown): Promise<unknown> {
    return (await send(c, method, path, { body })).json;
  }

  async function adopt(pid: number, startTime: string, controlPort: number): Promise<Connection> {
    const c: Connection = {
      pid,
      startTime,
      base: `http://127.0.0.1:${controlPort}`,
      token: readFileSync(paths.token, 'utf8').trim(),
    };
    current = parseRoutingTable(await call(c, 'GET', '/table'), 'gateway table');
    errors = await unbound(c, current);
    const state = readJsonFile(paths.state) as { dataPlane?: string; workers?: number } | undefined;
    running = state?.dataPlane === 'haproxy' ? 'haproxy' : 'node';
    // Not restarted for it: a restart would cut every connection; `berth down` then up switches.
    if (running !== dataPlane)
      logger?.warn(
        { pid, running, asked: dataPlane },
        `adopted a gateway whose data plane is ${running}, not ${dataPlane}`,
      );
    else if (running === 'node' && (state?.workers ?? 1) !== workers)
      logger?.warn(
        { pid, running: state?.workers ?? 1, asked: workers },
        `adopted a gateway serving the Node data plane in ${state?.workers ?? 1} process(es), not the ${workers} ` +
          'asked (BERTH_GATEWAY_WORKERS): it keeps its own until it restarts (`berth down`, then start again)',
      );
    conn = c;
    return c;
  }

  /**
   * Listeners of `table` the gateway does not serve: a gateway (re)started on its saved table may
   * have found a port taken, and only says so in its log. The next update retries them.
   */
  async function unbound(c: Connection, table: RoutingTable): Promise<ListenerError[]> {
    const stats = (await call(c, 'GET', '/stats')) as { listeners?: ListenerStatsJSON[] };
    const serving = new Set((stats.listeners ?? []).map((l) => `${l.kind} ${l.key} ${l.port}`));
    const missing = [
      ...table.services.map((s) => ({ kind: 'service', key: s.key, port: s.port })),
      ...table.edges.map((e) => ({ kind: 'edge', key: e.key, port: e.port })),
      ...(table.tcp ?? []).map((l) => ({ kind: 'tcp', key: `${l.key}:${l.name}`, port: l.port })),
    ].filter((l) => !serving.has(`${l.kind} ${l.key} ${l.port}`));
    for (const l of missing) logger?.error({ key: l.key, port: l.port }, `gateway is not listening on port ${l.port}`);
    return missing.map((l) => ({ key: l.key, port: l.port, message: 'not listening' }));
  }

  async function findLive(): Promise<Connection | undefined> {
    const s = readGatewayState(paths);
    if (s && isSameProcess(s.pid, s.startTime) && (await healthy(s.controlPort, s.pid))) {
      return adopt(s.pid, s.startTime, s.controlPort);
    }
    return undefined;
  }

  async function startOne(): Promise<Connection> {
    // A missing or too old haproxy is said here, before a gateway starts only to fail on it.
    if (dataPlane === 'haproxy') await usableHaproxy();
    mkdirSync(paths.dir, { recursive: true });
    const logFd = openSync(paths.log, 'a');
    let exited: number | null | undefined;
    let child;
    try {
      const args = [entry, '--home', opts.home, '--data-plane', dataPlane];
      args.push('--workers', String(workers));
      child = spawn(process.execPath, args, {
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    const started = child;
    child.once('exit', (code, signal) => {
      exited = code ?? (signal ? -1 : null);
      // Still the one this control serves through (stop() forgets it first): gone by itself.
      if (conn?.pid === started.pid && opts.onExit) {
        logger?.warn({ pid: started.pid, code, signal }, 'the gateway exited; restarting it');
        opts.onExit();
      }
    });
    child.once('error', () => (exited = -1));
    child.unref();
    logger?.info({ pid: child.pid, entry }, 'starting gateway');
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (exited === alreadyRunningExitCode) {
        // Another control started one first: adopt it once it answers.
        const live = await findLive();
        if (live) return live;
      } else if (exited !== undefined) {
        throw new RuntimeError(`the gateway exited at start (code ${exited})`, {
          details: { log: paths.log, tail: logTail(paths.log, 5) },
        });
      } else {
        const s = readGatewayState(paths);
        if (s && s.pid === child.pid && (await healthy(s.controlPort, s.pid)))
          return adopt(s.pid, s.startTime, s.controlPort);
      }
      await sleep(25);
    }
    if (exited === undefined && child.pid !== undefined) signal(child.pid, 'SIGKILL');
    throw new TimeoutError(`the gateway did not become healthy within ${startTimeoutMs}ms`, {
      details: { log: paths.log },
    });
  }

  function ensure(): Promise<Connection> {
    starting ??= (async () => {
      try {
        const live = await findLive();
        if (live) {
          logger?.debug({ pid: live.pid }, 'adopted running gateway');
          return live;
        }
        return await startOne();
      } finally {
        starting = undefined;
      }
    })();
    return starting;
  }

  async function put(c: Connection, change: (t: RoutingTable) => void): Promise<void> {
    const next = structuredClone(current);
    change(next);
    // Nothing to tell the gateway: it already serves this table (a listener that failed to bind is
    // retried by sending the table again, and a gateway that died is started again by update()).
    if (sameRoutes(next, current) && errors.length === 0) {
      if (isSameProcess(c.pid, c.startTime)) return;
      throw new Error(`the gateway (pid ${c.pid}) is gone`);
    }
    next.generation = Math.max(next.generation, current.generation + 1);
    const res = (await call(c, 'PUT', '/table', next)) as { generation: number; errors?: ListenerError[] };
    current = next;
    const newErrors = res.errors ?? [];
    if (JSON.stringify(newErrors) !== JSON.stringify(errors)) {
      for (const e of newErrors)
        logger?.error(
          { key: e.key, port: e.port },
          `gateway cannot listen on port ${e.port} for ${e.key}: ${e.message}`,
        );
    }
    errors = newErrors;
  }

  async function update(change: (t: RoutingTable) => void): Promise<void> {
    let c = conn ?? (await ensure());
    try {
      await put(c, change);
    } catch (err) {
      if (err instanceof ConflictError) {
        // Someone else advanced the table: start from what the gateway serves and try once more.
        current = parseRoutingTable(await call(c, 'GET', '/table'), 'gateway table');
      } else if (err instanceof BerthError) {
        throw err;
      } else if (!isSameProcess(c.pid, c.startTime)) {
        logger?.warn({ pid: c.pid }, 'gateway died; restarting it');
        conn = undefined;
        c = await ensure();
      } else {
        // A transport error with the gateway alive (a reset keep-alive connection): the gateway
        // accepts the same generation again, so sending it once more is safe.
        logger?.debug({ err }, 'gateway call failed; retrying');
      }
      await put(c, change);
    }
  }

  /**
   * Not serialised with updates: a table apply may wait seconds for draining backends, and the
   * release engine reads counters every second or so. Never starts or adopts a gateway.
   */
  async function traffic(): Promise<ServiceTraffic[]> {
    return (await stats())?.services ?? [];
  }

  /**
   * Like traffic(), with the listener and span counters too. Asked with the last reading's ETag: a
   * 304 (nothing moved since) answers that reading again, as fresh as a full answer.
   */
  async function stats(): Promise<GatewayStats | undefined> {
    return readLive(async (c) => {
      const last = lastStats?.pid === c.pid ? lastStats : undefined;
      const res = await send(c, 'GET', '/stats', { etag: last?.etag });
      if (res.status === 304 && last !== undefined) return last.stats;
      const stats = res.json as GatewayStats;
      // Answered again to every later caller while nothing moves: frozen, so a caller that changed it
      // in place would fail at once rather than change what the next caller reads.
      lastStats = res.etag === undefined ? undefined : { pid: c.pid, etag: res.etag, stats: frozen(stats) };
      return stats;
    });
  }

  /** Like traffic(): never starts a gateway, not serialised with updates. */
  async function spans(max: number, opts: SpanReadOptions = {}): Promise<SpanBatch | undefined> {
    const query = new URLSearchParams({ max: String(max) });
    if (opts.wait !== undefined) {
      query.set('wait', String(opts.wait.ms));
      query.set('hold', opts.wait.id);
    }
    if (opts.release !== undefined) query.set('release', opts.release);
    const heldMs = opts.wait?.ms ?? 0;
    return readLive(async (c) => (await send(c, 'GET', `/spans?${query}`, { heldMs })).json as SpanBatch);
  }

  /** `read` of the running gateway (adopted or not); undefined when none runs. */
  async function readLive<T>(read: (c: Connection) => Promise<T>): Promise<T | undefined> {
    let c = conn;
    if (c === undefined || !isSameProcess(c.pid, c.startTime)) {
      const s = readGatewayState(paths);
      if (!s || !isSameProcess(s.pid, s.startTime)) return undefined;
      let token: string;
      try {
        token = readFileSync(paths.token, 'utf8').trim();
      } catch {
        return undefined;
      }
      c = { pid: s.pid, startTime: s.startTime, base: `http://127.0.0.1:${s.controlPort}`, token };
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await read(c);
      } catch (err) {
        if (err instanceof BerthError) throw err;
        // Stopped between the check and the call: no gateway.
        if (!isSameProcess(c.pid, c.startTime)) return undefined;
        // A keep-alive connection the gateway closed as it was reused: a GET is safe to send again.
        if (attempt >= 2) throw err;
      }
    }
  }

  async function stop(): Promise<void> {
    const s = conn ?? readGatewayState(paths);
    conn = undefined;
    if (!s || !isSameProcess(s.pid, s.startTime)) return;
    signal(s.pid, 'SIGTERM');
    const deadline = Date.now() + stopTimeoutMs;
    let killed = false;
    while (isSameProcess(s.pid, s.startTime)) {
      if (!killed && Date.now() > deadline) {
        logger?.warn({ pid: s.pid }, 'gateway did not stop in time; killing it');
        signal(s.pid, 'SIGKILL');
        killed = true;
      }
      await sleep(20);
    }
  }

  /**
   * Changes that arrive while a PUT is in flight are applied together in the next one: during a
   * deploy every service of a level updates the table at once, and one PUT serves them all.
   */
  let pending: { change: (t: RoutingTable) => void; resolve: () => void; reject: (err: unknown) => void }[] = [];
  function enqueue(change: (t: RoutingTable) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      pending.push({ change, resolve, reject });
      if (pending.length === 1) void serialise(flush);
    });
  }
  async function flush(): Promise<void> {
    const batch = pending;
    pending = [];
    try {
      await update((t) => {
        for (const b of batch) b.change(t);
      });
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  function serialise<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn);
    chain = run.catch(() => undefined);
    return run;
  }

  return {
    ensureRunning: () => ensure().then(() => undefined),
    // A copy: a caller that edits it must not change what the next update starts from.
    table: () => structuredClone(current),
    update: enqueue,
    // The supervision's periodic check: nothing to send (no clone nor comparison of the table) while
    // the gateway process lives and every listener is bound.
    heal: () => {
      const c = conn;
      if (c && errors.length === 0 && pending.length === 0 && isSameProcess(c.pid, c.startTime))
        return Promise.resolve();
      return enqueue(() => undefined);
    },
    stop: () => serialise(stop),
    listenerErrors: () => errors,
    traffic,
    spans,
    stats,
    pid: () => conn?.pid,
    dataPlane: () => (conn ? running : undefined),
  };
}

/** Whether two tables serve the same listeners, backends and routes (the generation aside). */
function sameRoutes(a: RoutingTable, b: RoutingTable): boolean {
  return JSON.stringify({ ...a, generation: 0 }) === JSON.stringify({ ...b, generation: 0 });
}
