/**
 * A `test: { command }` step: the command run by `/bin/sh -c` in the run's checkout (berth.yaml's
 * folder), in a process group of its own so a timeout or a cancel stops everything it started. Its
 * output goes to the step's log; a non-zero exit, a timeout or a cancel fails the step.
 */
import { spawn } from 'node:child_process';
import { RuntimeError } from '../errors.js';
import type { StepLog } from './stepLog.js';

export interface CommandRun {
  command: string;
  cwd: string;
  timeoutMs: number;
  env: Record<string, string>;
  log: StepLog;
  signal: AbortSignal;
  /** Told the process group's leader once it started. */
  onStart?: (pid: number) => void;
}

/** Resolves with exit code 0; rejects with a RuntimeError saying how it ended. */
export function runTestCommand(r: CommandRun): Promise<{ exitCode: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', r.command], {
      cwd: r.cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...r.env },
    });
    if (child.pid !== undefined) r.onStart?.(child.pid);
    let ended: string | undefined;
    const stopGroup = (why: string): void => {
      ended ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => stopGroup(`timed out after ${Math.round(r.timeoutMs / 1000)}s`), r.timeoutMs);
    const onAbort = (): void => stopGroup(String(r.signal.reason ?? 'cancelled'));
    if (r.signal.aborted) onAbort();
    r.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => r.log.write(d.toString()));
    child.stderr.on('data', (d: Buffer) => r.log.write(d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new RuntimeError(`the command could not start: ${err.message}`));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      r.signal.removeEventListener('abort', onAbort);
      if (ended) return reject(new RuntimeError(`the command was stopped: ${ended}`));
      if (code === 0) return resolve({ exitCode: 0 });
      reject(new RuntimeError(code === null ? `the command was killed by ${sig}` : `the command exited with ${code}`));
    });
  });
}
