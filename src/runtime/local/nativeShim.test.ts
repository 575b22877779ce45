/**
 * The native shim (native/shim/*.c) against its contract, side by side with the Node shim
 * (shim.ts): every case runs on both, and the files they write must read the same (and be exactly
 * what JSON.stringify(value, null, 2) writes, so the runtime cannot tell them apart).
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitHowMessage } from './exitReason.js';
import { readAllLogRecords } from './logFiles.js';
import { isSameProcessAlive, killPid, readProcStat, readStartTime } from './procfs.js';
import { createShimLauncher, type ShimKind } from './shimLauncher.js';
import { createShimPool, type ShimLauncher } from './shimPool.js';
import { shimArgv, shimPaths } from './shimFiles.js';
import type { ExitInfo, ShimArgs, ShimInfo } from './shimFiles.js';
import type { Runtime } from '../runtime.js';
import { recordTimeMs } from '../../model/logTime.js';
import { buildShims, fixtureState, killShim, useLocalRuntime, waitFor } from './testdata/testing.js';

let shims: { shimEntry: string; nativeShim: string };
const root = mkdtempSync(join(tmpdir(), 'berth-native-shim-test-'));
const started: ShimInfo[] = [];
beforeAll(() => {
  shims = buildShims();
});
afterAll(() => {
  for (const s of started) killShim(s);
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function launcher(kind: ShimKind): ShimLauncher {
  if (kind === 'node') return createShimPool({ entry: shims.shimEntry, home: root, size: 0 });
  return createShimLauncher({
    nodeEntry: shims.shimEntry,
    nativeBinary: shims.nativeShim,
    kind: 'native',
    home: root,
    warmShims: 0,
    logger: pino({ level: 'silent' }),
  });
}

/** Starts `command` under a shim as the runtime does; returns the replica directory. */
function start(kind: ShimKind, command: string[], over: Partial<ShimArgs> = {}, env: Record<string, string> = {}) {
  const dir = join(root, `${kind}-${n++}`);
  const argv = shimArgv({ replicaDir: dir, gracePeriodMs: 2000, logMaxBytes: 1 << 20, logKeep: 3, command, ...over });
  launcher(kind).launch({ argv, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
  return dir;
}

/** Reads a JSON file the shim wrote, checking it is byte for byte what JSON.stringify writes. */
function readJson<T>(path: string): T {
  const text = readFileSync(path, 'utf8');
  const value = JSON.parse(text) as T;
  expect(text).toBe(`${JSON.stringify(value, null, 2)}\n`);
  return value;
}

async function exitOf(dir: string): Promise<ExitInfo> {
  const path = shimPaths(dir).exit;
  await waitFor(() => existsSync(path), 10_000, `${path}`);
  return readJson<ExitInfo>(path);
}

async function shimOf(dir: string): Promise<ShimInfo> {
  const path = shimPaths(dir).shim;
  await waitFor(() => existsSync(path), 10_000, `${path}`);
  const info = readJson<ShimInfo>(path);
  started.push(info);
  return info;
}

const sh = (script: string): string[] => ['/bin/sh', '-c', script];
const records = (dir: string, keep = 3) => readAllLogRecords(shimPaths(dir).logs, { includeCurrent: true, keep });

describe.each(['native', 'node'] as const)('the %s shim', (kind) => {
  it('records its identity and runs the command in its own session and process group', async () => {
    const dir = start(kind, sh('echo up; while :; do sleep 0.05; done'));
    const info = await shimOf(dir);
    expect(info.shimStartTime).toBe(readStartTime(info.shimPid));
    expect(info.startTime).toBe(readStartTime(info.pid));
    expect(readProcStat(info.pid)?.pgrp).toBe(info.pid);
    const session = Number(readFileSync(`/proc/${info.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[3]);
    expect(session).toBe(info.pid);
    expect(readlinkSync(`/proc/${info.shimPid}/exe`)).toBe(kind === 'native' ? shims.nativeShim : process.execPath);
    killPid(info.shimPid, 'SIGTERM');
    const exit = await exitOf(dir);
    expect(exit).toMatchObject({ code: null, signal: 'SIGTERM' });
    // The shim writes exit.json, then exits: on a loaded machine it can still be tearing down when the
    // file appears (CI read it alive once), so wait for it to be gone rather than look at once.
    await waitFor(() => !isSameProcessAlive(info.shimPid, info.shimStartTime), 10_000, 'the shim to exit');
  });

  it('timestamps every line, flushes an unterminated last line and rotates by size', async () => {
    const dir = start(
      kind,
      sh(
        'i=0; while [ $i -lt 200 ]; do echo "line $i of the output"; i=$((i+1)); done; printf "last without newline"; printf "err tail" >&2',
      ),
      { logMaxBytes: 2000, logKeep: 2 },
    );
    expect(await exitOf(dir)).toMatchObject({ code: 0, signal: null, stderrTail: ['err tail'] });
    const logs = shimPaths(dir).logs;
    for (const f of ['current.log', 'current.log.1', 'current.log.2'])
      expect(statSync(join(logs, f)).size).toBeLessThanOrEqual(2000);
    expect(existsSync(join(logs, 'current.log.3'))).toBe(false);
    const recs = records(dir, 2);
    // Stamped to the microsecond by both shims, in the order the lines were written, near the wall clock.
    for (const r of recs) expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const times = recs.map((r) => recordTimeMs(r.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.abs(times.at(-1)! - Date.now())).toBeLessThan(60_000);
    const out = recs.filter((r) => r.stream === 'stdout').map((r) => r.line);
    expect(out.at(-1)).toBe('last without newline');
    // The kept generations hold the end of the output, in order, without a gap.
    const numbers = out.slice(0, -1).map((l) => Number(/^line (\d+) /.exec(l)![1]));
    expect(numbers.at(-1)).toBe(199);
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));
    expect(recs.find((r) => r.stream === 'stderr')?.line).toBe('err tail');
  });

  it('keeps the last 40 stderr lines, each cut at 500 characters', async () => {
    const dir = start(
      kind,
      sh(
        'i=0; while [ $i -lt 50 ]; do echo "e$i" >&2; i=$((i+1)); done; head -c 600 /dev/zero | tr "\\0" x >&2; exit 4',
      ),
    );
    const exit = await exitOf(dir);
    expect(exit.code).toBe(4);
    expect(exit.stderrTail).toHaveLength(40);
    expect(exit.stderrTail!.slice(0, 39)).toEqual(Array.from({ length: 39 }, (_, i) => `e${i + 11}`));
    expect(exit.stderrTail!.at(-1)).toBe('x'.repeat(500));
  });

  it('escapes quotes, backslashes, control characters and invalid UTF-8 in exit.json', async () => {
    const dir = start(kind, [
      process.execPath,
      '-e',
      String.raw`process.stderr.write(Buffer.concat([Buffer.from('say "hi" \\ C:\\dir\ttab\x01\x1f\x7f é € 🙂 '), Buffer.from([0xff]), Buffer.from(' end\r\n')]))`,
    ]);
    const exit = await exitOf(dir);
    expect(exit.stderrTail).toEqual(['say "hi" \\ C:\\dir\ttab\x01\x1f\x7f é € 🙂 \uFFFD end\r']);
  });

  it('stops with the stop signal, then SIGKILLs a group that ignores it after the grace period', async () => {
    const dir = start(kind, sh('trap "" TERM USR1; echo ready; while :; do sleep 0.05; done'), {
      gracePeriodMs: 300,
      stopSignal: 'SIGUSR1',
    });
    const info = await shimOf(dir);
    await waitFor(() => records(dir).some((r) => r.line === 'ready'), 10_000, 'ready');
    killPid(info.shimPid, 'SIGTERM');
    expect(await exitOf(dir)).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(isSameProcessAlive(info.pid, info.startTime)).toBe(false);
  });

  it('ignores SIGHUP and passes NODE_OPTIONS and the umask meant for the command', async () => {
    const dir = start(
      kind,
      sh('echo "opts=$NODE_OPTIONS child=${BERTH_CHILD_NODE_OPTIONS-unset}"; umask; sleep 0.3'),
      {},
      {
        NODE_OPTIONS: '--max-old-space-size=64',
        BERTH_CHILD_NODE_OPTIONS: '--enable-source-maps',
        BERTH_CHILD_UMASK: '027',
      },
    );
    const info = await shimOf(dir);
    killPid(info.shimPid, 'SIGHUP');
    expect(await exitOf(dir)).toMatchObject({ code: 0, signal: null });
    expect(records(dir).map((r) => r.line)).toEqual(['opts=--enable-source-maps child=unset', '0027']);
  });

  it('writes the spawn errors of shim.ts, with codes the runtime accepts', async () => {
    const noExec = join(root, `${kind}-not-executable`);
    writeFileSync(noExec, 'echo no\n');
    chmodSync(noExec, 0o644);
    const cases = [
      { command: 'berth-no-such-command', code: 'exit.commandNotFound' },
      { command: noExec, code: 'exit.notExecutable' },
    ];
    for (const c of cases) {
      const exit = await exitOf(start(kind, [c.command, 'arg']));
      expect(exit).toMatchObject({
        code: 127,
        signal: null,
        errorMessage: { code: c.code, params: { file: c.command } },
      });
      expect(exit.error).toContain(c.command);
      // exitReason.ts trusts the code only when its text is the message's: the same words as shim.ts.
      expect(exitHowMessage(exit)).toEqual(exit.errorMessage);
    }
  });

  it('keeps the command running and writing logs after its parent is SIGKILLed', async () => {
    const dir = join(root, `${kind}-orphan-${n++}`);
    const argv = shimArgv({
      replicaDir: dir,
      gracePeriodMs: 2000,
      logMaxBytes: 1 << 20,
      logKeep: 3,
      command: sh('i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.02; done'),
    });
    // A stand-in control plane: starts the shim the way the runtime does, then is killed.
    const bin = kind === 'native' ? [shims.nativeShim] : [process.execPath, shims.shimEntry];
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `require('child_process').spawn(${JSON.stringify(bin[0])}, ${JSON.stringify([...bin.slice(1), ...argv])}, { detached: true, stdio: 'ignore' }).unref(); setInterval(() => {}, 1000);`,
      ],
      { stdio: 'ignore' },
    );
    const info = await shimOf(dir);
    parent.kill('SIGKILL');
    await new Promise((r) => parent.once('exit', r));
    const ticks = () => records(dir).filter((r) => r.line.startsWith('tick ')).length;
    const seen = ticks();
    await waitFor(() => ticks() > seen + 5, 10_000, 'more ticks after the parent died');
    expect(isSameProcessAlive(info.shimPid, info.shimStartTime)).toBe(true);
    expect(readJson<ShimInfo>(shimPaths(dir).shim)).toEqual(info);
    killPid(info.shimPid, 'SIGTERM');
    expect(await exitOf(dir)).toMatchObject({ signal: 'SIGTERM' });
  });
});

const quiet = { signal: new AbortController().signal, onEvent: () => undefined };

/** The executable of the shim the runtime started the fixture's replica under. */
async function shimExe(rt: Runtime): Promise<string> {
  await rt.converge(fixtureState(), quiet);
  const [replica] = (await rt.observe('shop', 'dev')).services[0]!.replicas;
  // The command's parent is its shim.
  return readlinkSync(`/proc/${readProcStat(replica!.pid!)!.ppid}/exe`);
}

describe('the runtime by default', () => {
  const local = useLocalRuntime();
  it('runs replicas under the native shim', async () => {
    expect(await shimExe(local.start())).toBe(shims.nativeShim);
  });
});

/** A logger at info whose lines the test reads. */
function capturedLog(): { lines: string[]; logger: pino.Logger } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: pino({ level: 'info' }, sink) };
}

describe('the runtime with BERTH_SHIM=node (the fallback)', () => {
  const local = useLocalRuntime({ shim: 'node' });
  it('runs replicas under the Node shim, a full start and removal', async () => {
    const rt = local.start();
    expect(await shimExe(rt)).toBe(process.execPath);
    await rt.remove('shop', 'dev');
    expect((await rt.observe('shop', 'dev')).services).toEqual([]);
  });
});

describe('choosing the shim', () => {
  it('falls back to the Node shim when the native one was not built, and says so once', () => {
    const { lines, logger } = capturedLog();
    const chosen = createShimLauncher({
      nodeEntry: shims.shimEntry,
      nativeBinary: join(root, 'not-built'),
      home: root,
      warmShims: 0,
      logger,
    });
    chosen.close();
    expect(chosen.kind).toBe('node');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, msg: expect.stringContaining('not-built was not built') });
  });

  it('says so when BERTH_SHIM holds neither shim, and uses the default', () => {
    const { lines, logger } = capturedLog();
    const before = process.env.BERTH_SHIM;
    process.env.BERTH_SHIM = 'nodejs';
    try {
      const chosen = createShimLauncher({
        nodeEntry: shims.shimEntry,
        nativeBinary: shims.nativeShim,
        home: root,
        warmShims: 0,
        logger,
      });
      chosen.close();
      expect(chosen.kind).toBe('native');
    } finally {
      if (before === undefined) delete process.env.BERTH_SHIM;
      else process.env.BERTH_SHIM = before;
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 40,
      msg: 'BERTH_SHIM is "nodejs": expected native or node; the default is used',
    });
  });
});
