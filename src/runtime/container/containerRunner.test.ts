import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { podman } from '../../../test/support/containerEngine.js';
import { NODE_IMAGE } from '../../../test/support/testImages.js';
import type { Probe } from '../../model/probe.js';
import type { Workload } from '../../model/workload.js';
import { freePort } from '../local/ports.js';
import { readAllLogRecords } from '../local/logFiles.js';
import { runProbe } from '../local/probes.js';
import { takeProcSnapshot } from '../local/procfs.js';
import type { RunChange, Runner } from '../local/runner.js';
import type { ExitInfo } from '../local/shimFiles.js';
import { connectEngine, type Engine } from './engine.js';
import { containerLaunchOf, homeIdOf } from './containerLaunch.js';
import { CONTAINER_FILE, CONTAINER_HOST, ContainerRunner } from './containerRunner.js';
import { containerRecord, containerState } from './testing.js';

let enginePromise: Promise<Engine> | undefined;
const engine = (): Promise<Engine> =>
  (enginePromise ??= connectEngine({ BERTH_CONTAINER_SOCKET: inject('containerSocket') }));

const dirs: string[] = [];
const names: string[] = [];
afterEach(async () => {
  const { docker } = await engine();
  for (const n of names.splice(0))
    await docker
      .getContainer(n)
      .remove({ force: true })
      .catch(() => undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
afterAll(() => {
  enginePromise = undefined;
});

/** A replica dir and a runner for one container of the test image, `over` merged into its workload. */
async function setup(
  over: Partial<Workload> = {},
  spec: { stopSignal?: 'SIGUSR1'; graceMs?: number } = {},
  otherPorts: Record<string, number> = {},
) {
  const home = await mkdtemp(join(tmpdir(), 'berth-crun-'));
  dirs.push(home);
  const dir = join(home, 'replica');
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'app.conf'), 'greeting = hello\n');
  const state = containerState(NODE_IMAGE, { terminationGracePeriodMs: spec.graceMs ?? 5_000, ...over });
  const id = `web-${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  const rec = containerRecord(state, id, port, { http: port, ...otherPorts });
  const launch = containerLaunchOf(state, rec, configDir, {}, homeIdOf(home));
  names.push(launch.container!.name);
  const make = (): ContainerRunner =>
    new ContainerRunner({
      engine,
      dir,
      gracePeriodMs: state.workload.terminationGracePeriodMs,
      ...(spec.stopSignal ? { stopSignal: spec.stopSignal } : {}),
      logMaxBytes: 1024 * 1024,
      logKeep: 2,
    });
  return { dir, rec, launch, make, runner: make() };
}

/** Polls `runner` until a change of `kind` comes (the changes before it are returned too). */
async function next(runner: Runner, kind: 'running' | 'exited', timeoutMs = 20_000): Promise<NonNullable<RunChange>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = runner.poll(Date.now());
    if (c?.kind === kind) return c;
    if (c?.kind === 'exited') throw new Error(`exited while waiting for ${kind}: ${JSON.stringify(c.info)}`);
    if (Date.now() > deadline) throw new Error(`no ${kind} within ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exited(runner: Runner, timeoutMs = 20_000): Promise<ExitInfo> {
  const c = await next(runner, 'exited', timeoutMs);
  if (c.kind !== 'exited') throw new Error('unreachable');
  return c.info;
}

async function untilReady(runner: Runner, port: number): Promise<void> {
  const timing = { initialDelayMs: 0, periodMs: 100, timeoutMs: 1000, failureThreshold: 1, successThreshold: 1 };
  const probe: Probe = { kind: 'http', path: '/healthz', port: runner.probes().hostPort(port), ...timing };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await runProbe(probe, { host: '127.0.0.1', port: 0, env: {} });
    if (r.ok) return;
    if (Date.now() > deadline) throw new Error(`not ready: ${r.message}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function get(port: number, path: string): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).text();
}

async function logLines(
  dir: string,
  until: (lines: string[]) => boolean,
): Promise<{ stream: string; line: string; time: string }[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const recs = readAllLogRecords(join(dir, 'logs'), { includeCurrent: true, keep: 2 });
    if (until(recs.map((r) => r.line)) || Date.now() > deadline) return recs;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('ContainerRunner', () => {
  it('runs the image: ready through the published port, env and mounts inside, logs with timestamps, stop with the stop signal', async () => {
    const t = await setup({ env: { GREETING: 'hello from berth' } }, { stopSignal: 'SIGUSR1' });
    t.runner.start(t.launch, Date.now());
    const running = await next(t.runner, 'running');
    expect(running.kind === 'running' && running.run.pid).toBeGreaterThan(0);
    expect(running.kind === 'running' && running.run.container).toMatch(/^[0-9a-f]{12}$/);
    expect(existsSync(join(t.dir, CONTAINER_FILE))).toBe(true);
    expect(t.runner.probes().hostPort(8080)).toBe(t.rec.port);
    await untilReady(t.runner, 8080);
    expect(await get(t.rec.port, '/env/GREETING')).toBe('hello from berth');
    expect(await get(t.rec.port, '/env/PORT')).toBe('8080');
    expect(await get(t.rec.port, '/env/BERTH_CONFIG_DIR')).toBe('/etc/berth/config');
    expect(await get(t.rec.port, '/env/HOME')).toBe('/root'); // the image's, not the machine's
    // usage from /proc through the container's init process (visible: a rootful engine here)
    const use = t.runner.usage(takeProcSnapshot(Date.now()));
    expect(use?.rssBytes).toBeGreaterThan(1024 * 1024);

    // exec probes run inside: the config dir is there and read-only
    const exec = t.runner.probes().exec!;
    expect(await exec(['/bin/sh', '-c', 'grep -q hello /etc/berth/config/app.conf'], 5000)).toMatchObject({ ok: true });
    const ro = await exec(['/bin/sh', '-c', 'echo x > /etc/berth/config/app.conf'], 5000);
    expect(ro.ok).toBe(false);
    expect(ro.message).toMatch(/exit code \d+: .*Read-only file system/);
    expect(await exec(['/bin/sleep', '5'], 300)).toMatchObject({
      ok: false,
      message: 'exec /bin/sleep: no exit within 300ms',
      detail: { code: 'probe.execTimeout', params: { file: '/bin/sleep', timeoutMs: 300 } },
    });

    const recs = await logLines(t.dir, (l) => l.includes('started'));
    expect(recs).toContainEqual(expect.objectContaining({ stream: 'stdout', line: 'listening on 8080' }));
    expect(recs).toContainEqual(expect.objectContaining({ stream: 'stderr', line: 'started' }));
    for (const r of recs) expect(Math.abs(Date.parse(r.time) - Date.now())).toBeLessThan(60_000);

    t.runner.stop();
    const info = await exited(t.runner);
    expect(info).toMatchObject({ code: 0 });
    expect(info.error).toBeUndefined();
    const after = readAllLogRecords(join(t.dir, 'logs'), { includeCurrent: true, keep: 2 }).map((r) => r.line);
    expect(after).toContain('got SIGUSR1');
    // the container is removed, its logs stay
    expect(existsSync(join(t.dir, CONTAINER_FILE))).toBe(false);
    expect(await podman(['ps', '-a', '--filter', `name=${t.launch.container!.name}`, '--format', '{{.Names}}'])).toBe(
      '',
    );
  });

  it("publishes every declared port, and the container reaches the machine's 127.0.0.1 at host.berth.internal", async () => {
    const host = createServer((_q, res) => res.end('from the host')).listen(0, '127.0.0.1');
    await once(host, 'listening');
    try {
      const admin = await freePort();
      const ports = [
        { name: 'http', port: 8080, protocol: 'TCP' as const },
        { name: 'admin', port: 9090, protocol: 'TCP' as const },
      ];
      const t = await setup({ ports, env: { SECOND_PORT: '1' } }, {}, { admin });
      t.runner.start(t.launch, Date.now());
      await next(t.runner, 'running');
      await untilReady(t.runner, 8080);
      expect(t.runner.probes().hostPort(9090)).toBe(admin);
      expect(await get(admin, '/')).toBe('second');
      const hostPort = (host.address() as AddressInfo).port;
      expect(await get(t.rec.port, `/fetch?url=http://${CONTAINER_HOST}:${hostPort}/`)).toBe('from the host');
    } finally {
      host.close();
    }
  });

  it('logs a line the engine splits into parts as one line (multi-byte characters across the parts), and a last line without newline', async () => {
    const script =
      "process.stdout.write('€'.repeat(7000) + '\\n'); process.stderr.write('tail without newline'); setTimeout(() => process.exit(4), 100)";
    const t = await setup({ command: ['/usr/local/bin/node', '-e', script] });
    t.runner.start(t.launch, Date.now());
    const info = await exited(t.runner);
    expect(info.code).toBe(4);
    expect(info.stderrTail).toEqual(['tail without newline']);
    const recs = readAllLogRecords(join(t.dir, 'logs'), { includeCurrent: true, keep: 2 });
    expect(recs.map((r) => [r.stream, r.line.length])).toEqual([
      ['stdout', 7000],
      ['stderr', 'tail without newline'.length],
    ]);
    expect(recs[0]!.line).toBe('€'.repeat(7000));
  });

  it('reports a crash with its exit code and the last stderr lines', async () => {
    const t = await setup({ env: { CRASH: 'cannot connect to the database' } });
    t.runner.start(t.launch, Date.now());
    const info = await exited(t.runner);
    expect(info.code).toBe(3);
    expect(info.stderrTail).toContain('Error: cannot connect to the database');
  });

  it('kills a container that ignores its stop signal after the grace period', async () => {
    const t = await setup({ env: { IGNORE_SIGNALS: '1' } }, { graceMs: 1000 });
    t.runner.start(t.launch, Date.now());
    await next(t.runner, 'running');
    await untilReady(t.runner, 8080);
    const t0 = Date.now();
    t.runner.stop();
    const info = await exited(t.runner);
    expect(info.code).toBe(137);
    expect(info.error).toBeUndefined(); // asked for: not taken for an OOM kill
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it("fails a run the engine cannot create, with the engine's reason", async () => {
    const t = await setup();
    t.runner.start(
      {
        ...t.launch,
        container: { ...t.launch.container!, mounts: [{ source: t.dir, target: 'relative', readOnly: false }] },
      },
      Date.now(),
    );
    expect((await exited(t.runner)).error).toMatch(
      new RegExp(`^cannot create container ${t.launch.container!.name} from ${NODE_IMAGE}: \\S`),
    );
  });

  it('fails a run whose image is missing as a deploy does (images.ts), naming the service: Never says so, IfNotPresent says why the pull failed', async () => {
    const never = await setup({ image: 'localhost/berth-test/missing:0', imagePullPolicy: 'Never' });
    never.runner.start(never.launch, Date.now());
    expect((await exited(never.runner)).error).toBe(
      'web: image localhost/berth-test/missing:0 is not on this machine and its imagePullPolicy is Never (build or pull it first, e.g. `podman pull localhost/berth-test/missing:0`, or use IfNotPresent)',
    );
    const pull = await setup({ image: 'localhost/berth-test/missing:0' });
    pull.runner.start(pull.launch, Date.now());
    // Classified as images.ts's pullFailure does: nothing listens on localhost:80 here.
    expect((await exited(pull.runner, 60_000)).error).toMatch(
      /^web: cannot pull localhost\/berth-test\/missing:0: registry localhost is unreachable \(.*\)$/,
    );
  });

  it('sets the CPU and memory limits and the kernel enforces the memory one: killed, reported as OOMKilled', async () => {
    const t = await setup({ resources: { memoryLimitBytes: 64 * 1024 * 1024, cpuLimitMillis: 500 } });
    t.runner.start(t.launch, Date.now());
    await next(t.runner, 'running');
    await untilReady(t.runner, 8080);
    const limits = await podman([
      'inspect',
      t.launch.container!.name,
      '--format',
      '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}',
    ]);
    expect(limits.trim()).toBe(`${64 * 1024 * 1024} 500000000`);
    await get(t.rec.port, '/alloc?mb=200').catch(() => undefined);
    const info = await exited(t.runner);
    expect(info).toMatchObject({ code: 137, error: 'OOMKilled' });
  });

  it('is adopted by a new runner after release: the same container, logs resumed without duplicates, then stopped', async () => {
    const t = await setup();
    t.runner.start(t.launch, Date.now());
    const first = await next(t.runner, 'running');
    await untilReady(t.runner, 8080);
    await logLines(t.dir, (l) => l.includes('started'));
    t.runner.release();

    const again = t.make();
    expect(again.adopt(Date.now(), true)).toBe('running');
    expect(again.current()?.container).toBe(first.kind === 'running' ? first.run.container : '');
    await new Promise((r) => setTimeout(r, 1500)); // the resumed stream replays the second already logged
    await get(t.rec.port, '/crash');
    const info = await exited(again);
    expect(info.code).toBe(3);
    expect(info.stderrTail).toEqual(['started', 'Error: asked to crash']);
    const lines = readAllLogRecords(join(t.dir, 'logs'), { includeCurrent: true, keep: 2 }).map((r) => r.line);
    expect(lines.filter((l) => l === 'listening on 8080')).toHaveLength(1);
    expect(lines.filter((l) => l === 'started')).toHaveLength(1);
    expect(lines).toContain('Error: asked to crash');
  });

  it('adopts a container that exited while no runner watched it as ended, with its exit code and stderr', async () => {
    const t = await setup();
    t.runner.start(t.launch, Date.now());
    await next(t.runner, 'running');
    await untilReady(t.runner, 8080);
    t.runner.release();
    await get(t.rec.port, '/crash');
    await podman(['wait', t.launch.container!.name]);
    const again = t.make();
    expect(again.adopt(Date.now(), true)).toBe('ended');
    const info = await exited(again);
    expect(info.code).toBe(3);
    expect(info.stderrTail?.at(-1)).toBe('Error: asked to crash');
    expect(await podman(['ps', '-a', '--filter', `name=${t.launch.container!.name}`, '--format', '{{.Names}}'])).toBe(
      '',
    );
  });

  it('adopts nothing where no container was recorded, and ends a run that was due but never started', async () => {
    const t = await setup();
    expect(t.runner.adopt(Date.now(), false)).toBe('none');
    expect(t.runner.poll(Date.now())).toBeUndefined();
    expect(t.runner.adopt(Date.now(), true)).toBe('ended');
    expect((await exited(t.runner)).error).toBe('the control plane stopped before the container was started');
  });

  it('says the container disappeared when it was removed while no runner watched it', async () => {
    const t = await setup();
    t.runner.start(t.launch, Date.now());
    await next(t.runner, 'running');
    t.runner.release();
    await podman(['rm', '-f', '-t', '0', t.launch.container!.name]);
    const again = t.make();
    again.adopt(Date.now(), true);
    const info = await exited(again);
    expect(info.error).toBe(`the container ${t.launch.container!.name} disappeared (removed outside Berth)`);
    expect(existsSync(join(t.dir, CONTAINER_FILE))).toBe(false);
  });
});
