import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../runtime.js';
import type { LogLine } from '../../model/observation.js';
import { fixtureState, useLocalRuntime, waitFor } from './testdata/testing.js';

const local = useLocalRuntime();
const quiet = { signal: new AbortController().signal, onEvent: () => undefined };

async function logsOf(rt: Runtime): Promise<LogLine[]> {
  const all: LogLine[] = [];
  for await (const l of rt.logs({ app: 'shop', env: 'dev', service: 'orders' }, { follow: false })) all.push(l);
  return all;
}

describe("a replica's I/O", () => {
  it('opens /dev/stdout and /dev/stderr by path, and what it writes there is in its logs', async () => {
    const rt = local.start();
    await rt.converge(fixtureState({ replicas: 2, fixtureEnv: { FIXTURE_DEV_STDIO: '1' } }), quiet);
    const status = (await rt.observe('shop', 'dev')).services;
    const replicas = status[0]!.replicas;
    expect(replicas.map((r) => r.restarts)).toEqual([0, 0]);
    const lines = await waitFor(async () => {
      const all = await logsOf(rt);
      return all.filter((l) => l.line.includes('wrote to /dev/')).length === 4 ? all : undefined;
    });
    for (const r of replicas) {
      expect(lines.find((l) => l.line === `${r.id} wrote to /dev/stdout`)).toMatchObject({
        stream: 'stdout',
        replica: r.id,
      });
      expect(lines.find((l) => l.line === `${r.id} wrote to /dev/stderr`)).toMatchObject({
        stream: 'stderr',
        replica: r.id,
      });
    }
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT.*Z$/.test(l.time))).toBe(true);
  });

  it('keeps writing into its logs after the control plane went away and came back', async () => {
    const state = fixtureState({ fixtureEnv: { FIXTURE_DEV_STDIO: '1', FIXTURE_PRINT_EVERY_MS: '20' } });
    const first = local.start();
    await first.converge(state, quiet);
    const [before] = (await first.observe('shop', 'dev')).services[0]!.replicas;
    await first.close();
    // Nothing reads the replica's output but its shim: it keeps ticking while no runtime runs.
    const ticksNow = async (rt: Runtime) =>
      (await logsOf(rt)).flatMap((l) => (/^tick (\d+)$/.exec(l.line) ? [Number(l.line.slice(5))] : []));
    await new Promise((r) => setTimeout(r, 300));
    const rt = local.start({ keepHome: true });
    await rt.converge(state, quiet);
    const [after] = (await rt.observe('shop', 'dev')).services[0]!.replicas;
    expect(after!.id).toBe(before!.id);
    expect(after!.restarts).toBe(0);
    const seen = (await ticksNow(rt)).length;
    expect(seen).toBeGreaterThan(10);
    await waitFor(async () => (await ticksNow(rt)).length > seen + 5, 5000, 'more ticks');
    const ticks = await ticksNow(rt);
    expect(ticks).toEqual(ticks.map((_, i) => i));
  });

  it('stops the command with the service stopSignal instead of SIGTERM', async () => {
    const rt = local.start();
    const signalLog = join(local.home, 'signals.log');
    const sigtermLog = join(local.home, 'sigterm.log');
    const state = fixtureState({ fixtureEnv: { FIXTURE_SIGNAL_LOG: signalLog, FIXTURE_SIGTERM_LOG: sigtermLog } });
    await rt.converge({ ...state, workload: { ...state.workload, stopSignal: 'SIGQUIT' } }, quiet);
    const [replica] = (await rt.observe('shop', 'dev')).services[0]!.replicas;
    await rt.remove('shop', 'dev');
    expect(readFileSync(signalLog, 'utf8')).toBe(`${replica!.id} SIGQUIT\n`);
    expect(() => readFileSync(sigtermLog, 'utf8')).toThrow(/ENOENT/);
  });
});
