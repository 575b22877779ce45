/**
 * A command build (issue 17 point 2): `/bin/sh -c command` in the service's folder, its output
 * streamed line by line (each line cut at 8 KiB, the whole log at 16 MiB), ended by a timeout or an
 * abort with SIGTERM to its process group and SIGKILL 5 s later. A non-zero exit fails the build.
 */
import { spawn } from 'node:child_process';

export interface CommandBuildOptions {
  cwd: string;
  command: string;
  env?: NodeJS.ProcessEnv;
  onLog: (line: string) => void;
  signal?: AbortSignal;
  timeoutMs: number;
}

/** Default time a build command may take. */
export const COMMAND_BUILD_TIMEOUT_MS = 30 * 60_000;
const MAX_LINE = 8 * 1024;
const MAX_LOG_BYTES = 16 * 1024 * 1024;
const KILL_AFTER_MS = 5_000;

/** Resolves with how it ended: exit code, or the signal / timeout / abort that ended it. */
export function runBuildCommand(opts: CommandBuildOptions): Promise<{ ok: boolean; reason: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', opts.command], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let logged = 0;
    let cut = false;
    const line = (l: string): void => {
      if (logged > MAX_LOG_BYTES) {
        if (!cut) opts.onLog(`(the rest of the output is not kept: more than ${MAX_LOG_BYTES} bytes)`);
        cut = true;
        return;
      }
      const text = l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}…` : l;
      logged += text.length + 1;
      opts.onLog(text);
    };
    const follow = (stream: NodeJS.ReadableStream): void => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          line(buf.slice(0, nl).replace(/\r$/, ''));
          buf = buf.slice(nl + 1);
        }
        if (buf.length > MAX_LINE) {
          line(buf);
          buf = '';
        }
      });
      stream.on('end', () => {
        if (buf) line(buf);
      });
    };
    follow(child.stdout);
    follow(child.stderr);
    let ended: string | undefined;
    let killer: NodeJS.Timeout | undefined;
    const stop = (why: string): void => {
      if (ended !== undefined || child.exitCode !== null) return;
      ended = why;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* gone already */
      }
      killer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, KILL_AFTER_MS);
    };
    const limit = opts.timeoutMs < 1000 ? `${opts.timeoutMs}ms` : `${Math.round(opts.timeoutMs / 1000)}s`;
    const timer = setTimeout(() => stop(`timed out after ${limit}`), opts.timeoutMs);
    const onAbort = (): void => stop('cancelled');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `cannot run /bin/sh: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (ended !== undefined) resolve({ ok: false, reason: ended });
      else if (code === 0) resolve({ ok: true, reason: 'exit code 0' });
      else resolve({ ok: false, reason: signal ? `killed by ${signal}` : `exit code ${code}` });
    });
  });
}
