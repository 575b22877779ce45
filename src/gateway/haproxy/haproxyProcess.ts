/**
 * The HAProxy process of a gateway: master-worker mode, detached (it outlives the gateway, so a
 * gateway restart drops no connection), identified by pid + start time so a restarted gateway
 * adopts it instead of starting a second one. Every config is checked (`haproxy -c`) before it is
 * loaded; reloads go through the master CLI and wait until the new worker answers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { RuntimeError, TimeoutError } from '../../errors.js';
import { isSameProcess, processStartTime } from '../processIdentity.js';
import { logTail, readJsonFile, writeFileAtomic } from '../state.js';
import type { ProcList } from './adminSocket.js';
import { AdminSocket, haproxyCommand, parseShowProc } from './adminSocket.js';

const execFileP = promisify(execFile);

/** The control plane's answer when the haproxy data plane is asked for but not installed. */
export const haproxyNotFoundMessage =
  'haproxy not found on PATH: install it (apt-get install haproxy) or use --data-plane node';

/**
 * Path of the haproxy binary: BERTH_HAPROXY when set (a path, used as it is, so an empty or wrong
 * one means "no HAProxy"), else PATH, then the sbin directories PATH often lacks; undefined if none.
 */
export function findHaproxy(): string | undefined {
  const named = process.env.BERTH_HAPROXY;
  if (named !== undefined) return named === '' ? undefined : named;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, 'haproxy'))) return join(dir, 'haproxy');
  }
  return undefined;
}

/** Files of the gateway's HAProxy. */
export interface HaproxyPaths {
  dir: string;
  config: string;
  pidFile: string;
  /** `{pid, startTime}` of the master, for adoption. */
  identity: string;
  admin: string;
  master: string;
  log: string;
}

/** Paths under `dir` (the admin and master sockets live there too); the log beside it. */
export function haproxyPaths(dir: string, log = join(dir, 'haproxy.log')): HaproxyPaths {
  return {
    dir,
    config: join(dir, 'haproxy.cfg'),
    pidFile: join(dir, 'haproxy.pid'),
    identity: join(dir, 'haproxy.json'),
    admin: join(dir, 'admin.sock'),
    master: join(dir, 'master.sock'),
    log,
  };
}

/** Options of start and adopt. */
export interface HaproxyProcessOptions {
  paths: HaproxyPaths;
  /** The haproxy binary; found on PATH when absent. */
  binary?: string;
  logger?: Logger;
  /** Longest wait for a started or reloaded worker to answer. */
  startTimeoutMs?: number;
}

/** A running HAProxy master and its workers. */
export class HaproxyProcess {
  readonly paths: HaproxyPaths;
  /** Pid of the master process. */
  readonly pid: number;
  private readonly binary: string;
  private readonly startTime: string;
  private readonly logger: Logger | undefined;
  private readonly startTimeoutMs: number;

  private constructor(
    paths: HaproxyPaths,
    binary: string,
    pid: number,
    startTime: string,
    logger: Logger | undefined,
    startTimeoutMs: number,
  ) {
    this.paths = paths;
    this.binary = binary;
    this.pid = pid;
    this.startTime = startTime;
    this.logger = logger;
    this.startTimeoutMs = startTimeoutMs;
  }

  private static binaryOf(opts: HaproxyProcessOptions): string {
    const binary = opts.binary ?? findHaproxy();
    if (binary === undefined || !existsSync(binary)) throw new RuntimeError(haproxyNotFoundMessage);
    return binary;
  }

  /** The HAProxy a previous gateway of this directory left running, or undefined. */
  static adopt(opts: HaproxyProcessOptions): HaproxyProcess | undefined {
    const id = readJsonFile(opts.paths.identity) as { pid?: unknown; startTime?: unknown } | undefined;
    if (typeof id?.pid !== 'number' || typeof id.startTime !== 'string') return undefined;
    if (!isSameProcess(id.pid, id.startTime)) return undefined;
    return new HaproxyProcess(
      opts.paths,
      HaproxyProcess.binaryOf(opts),
      id.pid,
      id.startTime,
      opts.logger,
      opts.startTimeoutMs ?? 10_000,
    );
  }

  /** Checks `config`, writes it and starts HAProxy on it; resolves once its worker answers. */
  static async start(opts: HaproxyProcessOptions, config: string): Promise<HaproxyProcess> {
    const binary = await usableHaproxy(opts.binary);
    const { paths } = opts;
    mkdirSync(paths.dir, { recursive: true });
    await checkAndWrite(binary, paths.config, config);
    for (const sock of [paths.admin, paths.master]) {
      try {
        unlinkSync(sock);
      } catch {
        // Not there: nothing left over.
      }
    }
    const logFd = openSync(paths.log, 'a');
    let child;
    try {
      child = spawn(binary, ['-W', '-S', `${paths.master},mode,600`, '-f', paths.config, '-p', paths.pidFile], {
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code ?? -1));
    child.once('error', () => (exited = -1));
    child.unref();
    const pid = child.pid;
    const startTime = pid === undefined ? undefined : processStartTime(pid);
    if (pid === undefined || startTime === undefined) {
      throw new RuntimeError('haproxy exited at start', { details: { log: paths.log, tail: logTail(paths.log, 8) } });
    }
    const proc = new HaproxyProcess(paths, binary, pid, startTime, opts.logger, opts.startTimeoutMs ?? 10_000);
    const deadline = Date.now() + proc.startTimeoutMs;
    while (Date.now() < deadline) {
      if (exited !== undefined) {
        throw new RuntimeError(`haproxy exited at start (code ${exited})`, {
          details: { log: paths.log, tail: logTail(paths.log, 8) },
        });
      }
      const procs = await proc.procs().catch(() => undefined);
      if (procs?.worker !== undefined && (await proc.workerAnswers(procs.worker))) {
        writeFileAtomic(paths.identity, JSON.stringify({ pid, startTime }));
        opts.logger?.info({ pid, worker: procs.worker }, 'haproxy started');
        return proc;
      }
      await sleep(20);
    }
    process.kill(pid, 'SIGKILL');
    throw new TimeoutError(`haproxy did not answer within ${proc.startTimeoutMs}ms`, {
      details: { log: paths.log, tail: logTail(paths.log, 8) },
    });
  }

  /** True while the master runs. */
  alive(): boolean {
    return isSameProcess(this.pid, this.startTime);
  }

  /** The current and old workers. */
  async procs(): Promise<ProcList> {
    return parseShowProc(await haproxyCommand(this.paths.master, 'show proc', 2_000));
  }

  /** The current worker's admin socket, or (through the master CLI) the worker `pid`'s. */
  admin(pid?: number): AdminSocket {
    return pid === undefined ? new AdminSocket(this.paths.admin) : new AdminSocket(this.paths.master, pid);
  }

  private async workerAnswers(worker: number): Promise<boolean> {
    try {
      const info = await haproxyCommand(this.paths.admin, 'show info', 1_000);
      return new RegExp(`^Pid: ${worker}$`, 'm').test(info);
    } catch {
      return false;
    }
  }

  /**
   * Loads `config` seamlessly: checked first (a bad config changes nothing), then `prepare` runs
   * (the current worker is about to be replaced) and the master forks a new worker that takes over
   * the listening sockets; resolves once it answers and the old one is stopping (it finishes what it
   * serves and closes its idle client connections). `undo` runs when the reload fails after `prepare`.
   */
  async reload(
    config: string,
    hooks: { prepare?: () => Promise<void>; undo?: () => Promise<void> } = {},
  ): Promise<void> {
    const started = Date.now();
    await checkAndWrite(this.binary, this.paths.config, config);
    const checkMs = Date.now() - started;
    const before = await this.procs();
    await hooks.prepare?.();
    try {
      await this.reloaded(before, { started, checkMs });
    } catch (err) {
      await hooks.undo?.().catch(() => undefined);
      throw err;
    }
  }

  /** Waits for the reload it asks for (the workers were `before`); logs how long each part took. */
  private async reloaded(before: ProcList, times: { started: number; checkMs: number }): Promise<void> {
    const asked = Date.now();
    await haproxyCommand(this.paths.master, 'reload', 2_000).catch(() => '');
    const deadline = Date.now() + this.startTimeoutMs;
    let answered: number | undefined;
    while (Date.now() < deadline) {
      // The master re-executes itself: its socket refuses connections for a moment.
      const now = await this.procs().catch(() => undefined);
      if (now !== undefined) {
        if (now.failedReloads > before.failedReloads) {
          throw new RuntimeError('haproxy failed to reload', {
            details: { log: this.paths.log, tail: logTail(this.paths.log, 8) },
          });
        }
        if (answered === undefined && now.worker !== undefined && now.worker !== before.worker)
          if (await this.workerAnswers(now.worker)) answered = Date.now();
        if (answered !== undefined && (before.worker === undefined || (await this.stopping(before.worker)))) {
          const done = Date.now();
          this.logger?.info(
            {
              worker: now.worker,
              old: now.oldWorkers,
              ms: done - times.started,
              // haproxy -c; until the new worker answers; until the old one stops.
              checkMs: times.checkMs,
              answerMs: answered - asked,
              stoppingMs: done - answered,
            },
            'haproxy reloaded',
          );
          return;
        }
      }
      await sleep(20);
    }
    throw new TimeoutError(`haproxy did not reload within ${this.startTimeoutMs}ms`, {
      details: { log: this.paths.log, tail: logTail(this.paths.log, 8) },
    });
  }

  /** True once worker `pid` soft-stops (told by the master after a reload) or is gone. */
  private async stopping(pid: number): Promise<boolean> {
    try {
      const info = await haproxyCommand(this.paths.master, `@!${pid} show info`, 1_000);
      // The master answers for a worker it no longer has with an error, not `show info`'s fields.
      return /^Stopping: 1$/m.test(info) || !/^Pid: /m.test(info);
    } catch {
      return false;
    }
  }

  /** Soft stop (in-flight requests finish), bounded by `timeoutMs`; then terminated. */
  async stop(timeoutMs: number): Promise<void> {
    const signal = (sig: NodeJS.Signals): void => {
      try {
        process.kill(this.pid, sig);
      } catch {
        // Already gone.
      }
    };
    signal('SIGUSR1');
    const deadline = Date.now() + timeoutMs;
    let terminated = false;
    while (this.alive()) {
      if (!terminated && Date.now() > deadline) {
        signal('SIGTERM');
        terminated = true;
      } else if (terminated && Date.now() > deadline + 2_000) {
        signal('SIGKILL');
      }
      await sleep(20);
    }
    try {
      unlinkSync(this.paths.identity);
    } catch {
      // Already gone.
    }
    this.logger?.info({ pid: this.pid }, 'haproxy stopped');
  }
}

/** The oldest HAProxy the generated configuration and the runtime API calls are written for. */
export const MIN_HAPROXY = { major: 2, minor: 6 };

/** `HAProxy version 2.6.12-1+deb12u4 …` → 2.6, or undefined. */
export function haproxyVersion(output: string): { major: number; minor: number; text: string } | undefined {
  const m = /HA-?Proxy version (\d+)\.(\d+)\S*/.exec(output);
  return m ? { major: Number(m[1]), minor: Number(m[2]), text: m[0].slice(m[0].lastIndexOf(' ') + 1) } : undefined;
}

/** A usable haproxy binary and the version it said it is. */
export interface HaproxyBinary {
  path: string;
  version: string;
}

/**
 * The haproxy binary to run (`binary`, else `findHaproxy`'s) and its version, refused by name when
 * it is missing, is not HAProxy or is older than 2.6.
 */
export async function haproxyBinary(binary = findHaproxy()): Promise<HaproxyBinary> {
  if (binary === undefined || !existsSync(binary)) throw new RuntimeError(haproxyNotFoundMessage);
  let out: string;
  try {
    out = (await execFileP(binary, ['-v'], { timeout: 10_000 })).stdout;
  } catch (err) {
    const code = (err as { code?: string | number }).code;
    throw new RuntimeError(
      `cannot run ${binary} -v (${String(code ?? err)}); install haproxy or use --data-plane node`,
    );
  }
  const v = haproxyVersion(out);
  if (v === undefined)
    throw new RuntimeError(`${binary} -v does not name an HAProxy version (${JSON.stringify(out.split('\n')[0])})`);
  if (v.major < MIN_HAPROXY.major || (v.major === MIN_HAPROXY.major && v.minor < MIN_HAPROXY.minor))
    throw new RuntimeError(
      `${binary} is HAProxy ${v.text}; the HAProxy data plane needs ${MIN_HAPROXY.major}.${MIN_HAPROXY.minor} or later (Debian 12's haproxy is 2.6), or use --data-plane node`,
    );
  return { path: binary, version: v.text };
}

/**
 * The path of `haproxyBinary`: checked by the gateway control before it starts a gateway, and by the
 * gateway before anything is written for it.
 */
export async function usableHaproxy(binary = findHaproxy()): Promise<string> {
  return (await haproxyBinary(binary)).path;
}

/** Checks `config` with `haproxy -c` and puts it in place; a config HAProxy refuses is not written. */
async function checkAndWrite(binary: string, path: string, config: string): Promise<void> {
  const candidate = `${path}.next`;
  writeFileAtomic(candidate, config);
  try {
    // Without -q: HAProxy's [ALERT] lines (file, line and what is wrong) are the message.
    await execFileP(binary, ['-c', '-f', candidate], { timeout: 10_000 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; code?: string | number };
    const alerts = `${e.stderr ?? ''}\n${e.stdout ?? ''}`
      .split('\n')
      .filter((l) => l.includes('[ALERT]'))
      .join('\n');
    const why = e.code === 'ENOENT' || e.code === 'EACCES' ? `cannot run ${binary} (${e.code})` : alerts || String(err);
    throw new RuntimeError(`haproxy refused the generated configuration: ${why}`, { details: { config: candidate } });
  }
  renameSync(candidate, path);
}
