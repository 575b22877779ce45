/**
 * The shim: a tiny process that owns one run of one replica's command (like containerd-shim or
 * conmon). The runtime starts it detached, so the control plane can die without touching the
 * service. It records the child's identity (shim.json), timestamps its output into rotated log
 * files, turns SIGTERM into SIGTERM → grace → SIGKILL of the child's process group, and records
 * how the child ended (exit.json) before exiting itself.
 *
 * Usage: node shim.js <replicaDir> <gracePeriodMs> <logMaxBytes> <logKeep> -- <command...>
 * The shim's environment is the replica's environment.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { LineSplitter, LogWriter } from './logFiles.js';
import type { LogStream } from './logFiles.js';
import { killGroup, readStartTime } from './procfs.js';
import { CHILD_NODE_OPTIONS, parseShimArgv, shimPaths, writeJsonAtomic } from './shimFiles.js';
import type { ExitInfo, ShimInfo } from './shimFiles.js';

/** How long to wait for the child's pipes to drain after it exited (a grandchild may hold them). */
const DRAIN_TIMEOUT_MS = 1000;

function main(): void {
  const args = parseShimArgv(process.argv.slice(2));
  const paths = shimPaths(args.replicaDir);
  mkdirSync(paths.logs, { recursive: true });
  const log = new LogWriter(paths.logs, { maxBytes: args.logMaxBytes, keep: args.logKeep });

  const { NODE_OPTIONS: _shimNodeOptions, [CHILD_NODE_OPTIONS]: childNodeOptions, ...env } = process.env;
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
  // Own process group, so a stop reaches everything the command started.
  const child = spawn(file, argv, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });

  child.once('error', (err) => {
    finish({ code: 127, signal: null, at: new Date().toISOString(), error: err.message });
  });
  if (child.pid === undefined) return; // 'error' follows

  const pid = child.pid;
  const info: ShimInfo = {
    shimPid: process.pid,
    shimStartTime: readStartTime(process.pid) ?? 0,
    pid,
    startTime: readStartTime(pid) ?? 0,
  };
  writeJsonAtomic(paths.shim, info);

  let open = 2;
  let onDrained: (() => void) | undefined;
  const pipe = (stream: NodeJS.ReadableStream, name: LogStream): void => {
    const lines = new LineSplitter();
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      for (const line of lines.push(chunk)) log.write(name, line);
    });
    stream.on('close', () => {
      const tail = lines.flush();
      if (tail !== undefined) log.write(name, tail);
      open--;
      if (open === 0) onDrained?.();
    });
  };
  pipe(child.stdout, 'stdout');
  pipe(child.stderr, 'stderr');

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    killGroup(pid, 'SIGTERM');
    setTimeout(() => killGroup(pid, 'SIGKILL'), args.gracePeriodMs).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => undefined);

  child.once('exit', (code, signal) => {
    const info: ExitInfo = { code, signal, at: new Date().toISOString() };
    const done = (): void => {
      // Leftovers of the group would keep the port or the pipes: a replica ends as a whole.
      killGroup(pid, 'SIGKILL');
      finish(info);
    };
    if (open === 0) done();
    else {
      onDrained = done;
      setTimeout(done, DRAIN_TIMEOUT_MS).unref();
    }
  });
}

main();
