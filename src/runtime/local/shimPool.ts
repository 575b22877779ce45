/**
 * Starts shims. A Node process takes ~100 ms of CPU to boot, and every replica start needs a shim
 * before its command can run, so the pool keeps a few shims booted ahead of need ("warm"): a start
 * hands one its job over IPC and the command runs within milliseconds. Idle shims exit by
 * themselves when the control plane goes away; without a warm one, a shim is started cold.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** What a shim needs to run one replica's command. */
export interface ShimJob {
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
}

/** Something that starts shims. */
export interface ShimLauncher {
  /** Starts a shim for `job`; the returned process is already unref'd. */
  launch(job: ShimJob): ChildProcess;
  /** Stops the idle shims. */
  close(): void;
  /** True when its shims run a replica's http and tcp probes themselves (the native shim: shimProbes.ts). */
  readonly runsProbes?: boolean;
}

export interface ShimPoolOptions {
  entry: string;
  /** Data directory: on the idle shims' command line, so they can be told apart. */
  home: string;
  /** How many idle shims to keep; 0 starts every shim cold. */
  size: number;
  /** Wait after a take before booting a replacement, so refills do not compete with the start. */
  refillDelayMs?: number;
}

export function createShimPool(opts: ShimPoolOptions): ShimLauncher {
  const idle: ChildProcess[] = [];
  let booting = 0;
  let closed = false;
  let refillTimer: NodeJS.Timeout | undefined;

  const boot = (): void => {
    booting++;
    const c = spawn(process.execPath, [opts.entry, '--warm', opts.home], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' },
    });
    let ready = false;
    const drop = (): void => {
      if (!ready) booting--;
      ready = true;
      const i = idle.indexOf(c);
      if (i >= 0) idle.splice(i, 1);
    };
    c.once('message', (m) => {
      if (m !== 'ready' || ready) return;
      ready = true;
      booting--;
      if (closed) c.kill('SIGTERM');
      else idle.push(c);
    });
    c.once('exit', drop);
    c.once('error', drop);
    c.unref();
    c.channel?.unref();
  };

  const refill = (): void => {
    refillTimer = undefined;
    while (!closed && idle.length + booting < opts.size) boot();
  };
  const scheduleRefill = (): void => {
    if (!closed && refillTimer === undefined && opts.size > 0) {
      refillTimer = setTimeout(refill, opts.refillDelayMs ?? 300);
      refillTimer.unref();
    }
  };
  refill();

  return {
    launch(job) {
      let warm = idle.shift();
      while (warm && !warm.connected) warm = idle.shift();
      scheduleRefill();
      if (warm) {
        warm.send(job);
        return warm;
      }
      return spawnShim(process.execPath, [opts.entry, ...job.argv], job);
    },
    close() {
      closed = true;
      if (refillTimer) clearTimeout(refillTimer);
      for (const c of idle.splice(0)) c.kill('SIGTERM');
    },
  };
}

/** Starts a shim for `job` detached from the control plane (its own session), already unref'd. */
export function spawnShim(file: string, args: string[], job: ShimJob): ChildProcess {
  const c = spawn(file, args, { detached: true, stdio: 'ignore', env: job.env, ...(job.cwd ? { cwd: job.cwd } : {}) });
  c.unref();
  return c;
}
