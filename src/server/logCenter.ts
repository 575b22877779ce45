/**
 * The control plane's log center: the index file under the home, a worker thread that owns its
 * writes (it follows this machine's replica logs and the pods of the environments on Kubernetes
 * into it and applies the retention: logIngestWorker.ts), and a read connection on this thread for searches (WAL: readers never wait
 * for the writer). Retention defaults to 7 days and 1 GiB of line text per environment;
 * BERTH_LOG_INDEX_MAX_AGE ("72h") and BERTH_LOG_INDEX_MAX_BYTES ("512Mi") change the default.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { openLogIndex, type LogIndex } from '../logs/logIndex.js';
import { DEFAULT_INDEX_RETENTION, type IndexRetention } from '../logs/logIngester.js';
import { parseDurationMs, parseMemoryBytes } from '../spec/units.js';
import type { Environments, EnvironmentTarget } from '../environment/environments.js';
import { logRetentionOf } from '../environment/logRetention.js';
import { ValidationError } from '../errors.js';

/** The index file, beside the main store. */
export const LOG_INDEX_FILE = 'logindex.db';

/** What the worker is started with. */
export interface LogWorkerStart {
  home: string;
  file: string;
  retention: IndexRetention;
  pollMs?: number;
  batchLines?: number;
}

/** An environment on Kubernetes whose pods' logs the worker follows. */
export interface KubeLogTarget {
  env: string;
  namespace: string;
  context?: string;
}

/** Control plane → worker. */
export type LogWorkerMessage =
  | { type: 'retention'; defaults: IndexRetention; byEnv: [string, IndexRetention][] }
  | { type: 'kube'; targets: KubeLogTarget[] }
  | { type: 'prune'; id: number }
  | { type: 'stop' };

/** Worker → control plane. */
export type LogWorkerReport =
  | { type: 'ready' }
  | { type: 'error'; message: string }
  | { type: 'pruned'; id: number; lines: number }
  | { type: 'stopped' };

export interface LogCenter {
  /** The read connection; absent when the index could not be opened: the control plane runs on, searches answer 503. */
  index?: LogIndex;
  /** The retention of each environment with its own (the others keep the default). */
  setRetention(byEnv: ReadonlyMap<string, IndexRetention>): void;
  /**
   * Keeps up with the environments: each one's retention is its `logRetention` setting over the
   * default (applied by the next retention run, within a minute), and the pods of each environment
   * on Kubernetes are followed into the index. Read now, on reloadEnvironments() and every 30 s.
   */
  followEnvironments(list: () => Promise<readonly { name: string; target: EnvironmentTarget }[]>): Promise<void>;
  /** Reads the environments again now (an environment was created, changed or deleted). */
  reloadEnvironments(): Promise<void>;
  /** Applies the retention now (it also runs every minute); answers how many lines went. */
  prune(): Promise<number>;
  close(): Promise<void>;
}

export interface LogCenterOptions {
  /** Between looks at the files when there was nothing new (ms). */
  pollMs?: number;
  /** Lines per transaction in the worker. */
  batchLines?: number;
}

/** The control plane's variables that change the default retention: name, how it reads, an example. */
const RETENTION_VARIABLES = [
  { name: 'BERTH_LOG_INDEX_MAX_AGE', key: 'maxAgeMs', parse: parseDurationMs, example: 'a duration such as 72h' },
  { name: 'BERTH_LOG_INDEX_MAX_BYTES', key: 'maxBytes', parse: parseMemoryBytes, example: 'a size such as 512Mi' },
] as const;

/** The default retention the control plane's variables ask for; a bad value names its variable. */
export function indexRetentionOf(env: Readonly<Record<string, string | undefined>>): IndexRetention {
  const problems: { file: string; path: string; message: string }[] = [];
  const out = { ...DEFAULT_INDEX_RETENTION };
  for (const v of RETENTION_VARIABLES) {
    const text = env[v.name];
    if (text === undefined) continue;
    const n = v.parse(text);
    if (n === undefined || n <= 0)
      problems.push({ file: 'environment', path: v.name, message: `"${text}" is not ${v.example}` });
    else out[v.key] = n;
  }
  if (problems.length > 0) throw new ValidationError('invalid log index retention', problems);
  return out;
}

/**
 * The environments with the log center told of every change (create, set, delete), so a new
 * environment's retention and a new Kubernetes environment's pods are taken up at once rather
 * than at the next 30-second read.
 */
export function tellingLogCenter(envs: Environments, center: Pick<LogCenter, 'reloadEnvironments'>): Environments {
  const after =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const r = await f(...a);
      await center.reloadEnvironments();
      return r;
    };
  // Spread: methods work detached (createEnvironments), and any other method passes through.
  return {
    ...envs,
    create: after(envs.create),
    delete: after(envs.delete),
    setEdge: after(envs.setEdge),
  };
}

function workerEntry(): string {
  // Compiled: the worker sits beside this file. Run from source (tests): use the build output.
  const beside = fileURLToPath(new URL('./logIngestWorker.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../dist/server/logIngestWorker.js', import.meta.url));
}

/** A worker that dies is started again after this long (it reads on from its saved cursors). */
const RESTART_AFTER_MS = 2000;
/** Between reads of the environments (retention settings, Kubernetes targets). */
const ENVIRONMENTS_EVERY_MS = 30_000;

/** Opens the index and starts the worker that follows this machine's replica logs into it. */
export function startLogCenter(
  home: string,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
  opts: LogCenterOptions = {},
): LogCenter {
  const defaults = indexRetentionOf(env);
  const file = join(home, LOG_INDEX_FILE);
  let index: LogIndex;
  try {
    // Opened here first: the schema exists before the worker writes and this thread reads.
    index = openLogIndex(file);
  } catch (err) {
    // A damaged index must not keep the control plane (releases, the running apps) from starting.
    logger.error({ err, file }, 'the log index cannot be opened: log search is off');
    return {
      setRetention: () => undefined,
      followEnvironments: async () => undefined,
      reloadEnvironments: async () => undefined,
      prune: async () => 0,
      close: async () => undefined,
    };
  }
  let byEnv: [string, IndexRetention][] = [];
  let kube: KubeLogTarget[] = [];
  let worker: Worker | undefined;
  let closing = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let retentionTimer: NodeJS.Timeout | undefined;
  let reloadEnvironments = async (): Promise<void> => undefined;
  let nextPrune = 1;
  const pruning = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
  const failPrunes = (err: Error): void => {
    for (const p of pruning.values()) p.reject(err);
    pruning.clear();
  };
  const start = (): void => {
    const data: LogWorkerStart = {
      home,
      file,
      retention: defaults,
      ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
      ...(opts.batchLines !== undefined ? { batchLines: opts.batchLines } : {}),
    };
    const w = new Worker(workerEntry(), { workerData: data });
    worker = w;
    w.postMessage({ type: 'retention', defaults, byEnv } satisfies LogWorkerMessage);
    if (kube.length > 0) w.postMessage({ type: 'kube', targets: kube } satisfies LogWorkerMessage);
    w.on('message', (m: LogWorkerReport) => {
      if (m.type === 'error') logger.warn({ err: m.message }, 'log indexing failed; retrying');
      else if (m.type === 'pruned') {
        pruning.get(m.id)?.resolve(m.lines);
        pruning.delete(m.id);
      }
    });
    w.on('error', (err) => logger.error({ err }, 'the log indexing worker failed'));
    w.on('exit', (code) => {
      if (worker !== w) return;
      worker = undefined;
      failPrunes(new Error(`the log indexing worker stopped (exit code ${code})`));
      if (closing) return;
      logger.warn({ code }, 'the log indexing worker stopped; starting it again');
      restartTimer = setTimeout(start, RESTART_AFTER_MS);
    });
  };
  start();
  const setRetention = (map: ReadonlyMap<string, IndexRetention>): void => {
    const next = [...map];
    // The environments are read again every ENVIRONMENTS_EVERY_MS: an unchanged answer wakes no worker.
    if (JSON.stringify(next) === JSON.stringify(byEnv)) return;
    byEnv = next;
    worker?.postMessage({ type: 'retention', defaults, byEnv } satisfies LogWorkerMessage);
  };
  return {
    index,
    setRetention,
    async followEnvironments(list) {
      const load = async (): Promise<void> => {
        if (retentionTimer) clearTimeout(retentionTimer);
        try {
          const envs = await list();
          setRetention(new Map(envs.map((e) => [e.name, logRetentionOf(e.target.logRetention, defaults)])));
          const targets = envs.flatMap((e): KubeLogTarget[] =>
            e.target.kind === 'kubernetes'
              ? [
                  {
                    env: e.name,
                    namespace: e.target.namespace,
                    ...(e.target.context ? { context: e.target.context } : {}),
                  },
                ]
              : [],
          );
          if (JSON.stringify(targets) !== JSON.stringify(kube)) {
            kube = targets;
            worker?.postMessage({ type: 'kube', targets } satisfies LogWorkerMessage);
          }
        } catch (err) {
          logger.warn({ err }, 'could not read the environments for the log index; keeping the last ones');
        }
        if (!closing) retentionTimer = setTimeout(() => void load(), ENVIRONMENTS_EVERY_MS).unref();
      };
      reloadEnvironments = load;
      await load();
    },
    reloadEnvironments: () => reloadEnvironments(),
    prune() {
      const w = worker;
      if (!w) return Promise.reject(new Error('the log indexing worker is not running'));
      const id = nextPrune++;
      return new Promise<number>((resolve, reject) => {
        pruning.set(id, { resolve, reject });
        w.postMessage({ type: 'prune', id } satisfies LogWorkerMessage);
      });
    },
    async close() {
      closing = true;
      if (restartTimer) clearTimeout(restartTimer);
      if (retentionTimer) clearTimeout(retentionTimer);
      const w = worker;
      if (w) {
        // The worker ends its batch (lines and cursors committed together), closes its connection and exits.
        const exited = new Promise<void>((r) => w.once('exit', () => r()));
        w.postMessage({ type: 'stop' } satisfies LogWorkerMessage);
        const timer = setTimeout(() => void w.terminate(), 10_000);
        await exited;
        clearTimeout(timer);
      }
      index.close();
    },
  };
}
