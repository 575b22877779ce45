/**
 * The shim: a tiny process that owns one run of one replica's command (like containerd-shim or
 * conmon). The runtime starts it detached, so the control plane can die without touching the
 * service. It records the child's identity (shim.json), timestamps its output into rotated log
 * files, turns SIGTERM into the service's stop signal → grace → SIGKILL of the child's process
 * group, and records how the child ended (exit.json) before exiting itself. The child's stdout and
 * stderr are real pipes (stdioPipes.ts), so it can open /dev/stdout and /dev/stderr.
 *
 * Usage: node shim.js <replicaDir> <gracePeriodMs> <logMaxBytes> <logKeep> [stopSignal] -- <command...>
 * The shim's environment is the replica's environment.
 *
 * Warm mode: `node shim.js --warm <home>` boots ahead of need (see shimPool.ts), says `ready` on
 * its IPC channel, and waits for its job ({ argv, env, cwd }); it exits if the control plane goes
 * away first, and detaches from it once the command runs.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync } from 'node:fs';
import { LineSplitter, LogWriter } from './logFiles.js';
import type { LogStream } from './logFiles.js';
import { killGroup, readStartTime } from './procfs.js';
import { CHILD_NODE_OPTIONS, CHILD_UMASK, parseShimArgv, shimPaths, writeJsonAtomic } from './shimFiles.js';
import type { ExitInfo, ParsedShimArgs, ShimInfo } from './shimFiles.js';
import { openStdioPipes, type StdioPipe } from './stdioPipes.js';

/** How long to wait for the child's pipes to drain after it exited (a grandchild may hold them). */
const DRAIN_TIMEOUT_MS = 1000;
/** Last stderr lines kept for exit.json, so a crash can be explained without reading the logs. */
const STDERR_TAIL_LINES = 40;

/** A job handed to a warm shim. */
interface WarmJob {
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
}

function main(args: ParsedShimArgs, baseEnv: NodeJS.ProcessEnv, cwd: string | undefined): void {
  const paths = shimPaths(args.replicaDir);
  mkdirSync(paths.logs, { recursive: true });
  const log = new LogWriter(paths.logs, { maxBytes: args.logMaxBytes, keep: args.logKeep });

  const {
    NODE_OPTIONS: _shimNodeOptions,
    [CHILD_NODE_OPTIONS]: childNodeOptions,
    [CHILD_UMASK]: childUmask,
    ...env
  } = baseEnv;
  if (childNodeOptions !== undefined) env.NODE_OPTIONS = childNodeOptions;

  let finished = false;
  const finish = (info: ExitInfo): void => {
    if (finished) return;
    finished = true;
    try {
      log.close();
    } catch {
      // nothing more to log into
    }
    writeJsonAtomic(paths.exit, info);
    process.exit(0);
  };

  const [file, ...argv] = args.command as [string, ...string[]];
  // Own process group, so a stop reaches everything the command started. The shim's own files are
  // owner-only; the command gets the umask the control plane was started with (spawn is synchronous).
  const mask = childUmask === undefined ? Number.NaN : Number.parseInt(childUmask, 8);
  const pipes = stdioPipes(args.replicaDir);
  const shimUmask = Number.isNaN(mask) ? undefined : process.umask(mask);
  const child = spawn(file, argv, {
    env,
    detached: true,
    stdio: ['ignore', pipes?.stdout.write ?? 'pipe', pipes?.stderr.write ?? 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  if (shimUmask !== undefined) process.umask(shimUmask);
  // The child holds its own copies: the pipes end when the child's group closes them.
  if (pipes) for (const p of [pipes.stdout, pipes.stderr]) closeSync(p.write);

  child.once('error', (err) => {
    finish({ code: 127, signal: null, at: new Date().toISOString(), ...spawnError(err, file, cwd) });
  });
  if (child.pid === undefined) return; // 'error' follows

  const pid = child.pid;
  // Handlers before shim.json: the runtime may send SIGTERM as soon as it reads the file, and a
  // signal without a handler would kill the shim before it records the exit.
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    killGroup(pid, args.stopSignal);
    setTimeout(() => killGroup(pid, 'SIGKILL'), args.gracePeriodMs).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => undefined);
  const info: ShimInfo = {
    shimPid: process.pid,
    shimStartTime: readStartTime(process.pid) ?? 0,
    pid,
    startTime: readStartTime(pid) ?? 0,
  };
  writeJsonAtomic(paths.shim, info);

  let open = 2;
  let onDrained: (() => void) | undefined;
  const stderrTail: string[] = [];
  const keep = (name: LogStream, line: string): void => {
    log.write(name, line);
    if (name !== 'stderr') return;
    stderrTail.push(line.length > 500 ? line.slice(0, 500) : line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
  };
  const pipe = (stream: NodeJS.ReadableStream, name: LogStream): void => {
    const lines = new LineSplitter();
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      for (const line of lines.push(chunk)) keep(name, line);
    });
    stream.on('close', () => {
      const tail = lines.flush();
      if (tail !== undefined) keep(name, tail);
      open--;
      if (open === 0) onDrained?.();
    });
  };
  pipe(pipes?.stdout.read ?? child.stdout!, 'stdout');
  pipe(pipes?.stderr.read ?? child.stderr!, 'stderr');

  child.once('exit', (code, signal) => {
    const at = new Date().toISOString();
    const done = (): void => {
      // Leftovers of the group would keep the port or the pipes: a replica ends as a whole.
      killGroup(pid, 'SIGKILL');
      finish({ code, signal, at, ...(stderrTail.length > 0 ? { stderrTail } : {}) });
    };
    if (open === 0) done();
    else {
      onDrained = done;
      setTimeout(done, DRAIN_TIMEOUT_MS).unref();
    }
  });
}

/** Real pipes for the child's stdout and stderr, or undefined (Node's socket pipes) if no FIFO can be made. */
function stdioPipes(dir: string): { stdout: StdioPipe; stderr: StdioPipe } | undefined {
  try {
    return openStdioPipes(dir, ['stdout', 'stderr'] as const);
  } catch (err) {
    process.emitWarning(`stdout and stderr are sockets (${(err as Error).message})`);
    return undefined;
  }
}

/** Why the command could not be started, in words (spawn reports a missing cwd as a missing command). */
function spawnError(
  err: NodeJS.ErrnoException,
  file: string,
  cwd: string | undefined,
): Pick<ExitInfo, 'error' | 'errorMessage'> {
  // The code and params let the console say it in its language; the runtime checks that the
  // text is the code's (exitReason.ts), so a drift between the two falls back to the text.
  const coded = (code: string, params: Record<string, string>, text: string) => ({
    error: text,
    errorMessage: { code, params, text },
  });
  if (err.code === 'ENOENT') {
    if (cwd !== undefined && !existsSync(cwd))
      return coded('exit.noWorkingDir', { dir: cwd }, `the working directory ${cwd} does not exist`);
    return coded('exit.commandNotFound', { file, error: err.message }, `command not found: ${file} (${err.message})`);
  }
  if (err.code === 'EACCES')
    return coded(
      'exit.notExecutable',
      { file, error: err.message },
      `permission denied: ${file} is not executable (${err.message})`,
    );
  return coded('exit.error', { error: err.message }, err.message);
}

if (process.argv[2] === '--warm') {
  let hired = false;
  process.once('disconnect', () => {
    if (!hired) process.exit(0);
  });
  process.once('message', (job: WarmJob) => {
    hired = true;
    main(parseShimArgv(job.argv), job.env, job.cwd);
    process.disconnect();
  });
  process.send?.('ready');
} else {
  main(parseShimArgv(process.argv.slice(2)), process.env, undefined);
}
