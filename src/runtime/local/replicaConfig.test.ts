import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ServiceState } from '../../model/serviceState.js';
import type { WorkloadFile } from '../../model/workload.js';
import { freeIndex, resolveReplicaFiles } from './replicaConfig.js';
import { fixtureState, useLocalRuntime } from './testdata/testing.js';

const local = useLocalRuntime();
const quiet = { signal: new AbortController().signal, onEvent: () => undefined };

function withFiles(replicas: number, files: WorkloadFile[]): ServiceState {
  const state = fixtureState({ replicas });
  return { ...state, workload: { ...state.workload, files } };
}

async function get(port: number, path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return res.text();
}

const TEMPLATE = [
  'listen 127.0.0.1:{{ replica.port }};',
  'index {{replica.index}} of http {{ replica.port.http }}',
  'pid {{ replica.configDir }}/nginx.pid;',
  'literal {{{{ replica.port }} and {{ .Values.kept }}',
].join('\n');

describe('per-replica config directories', () => {
  it('writes each replica its own files with its own values, and removes them with it', async () => {
    const rt = local.start();
    const files: WorkloadFile[] = [
      { path: 'site.conf', content: TEMPLATE, secret: false, perReplica: true },
      { path: 'plain/{{ replica.port }}.txt', content: '{{ replica.port }} as written', secret: false },
      { path: 'token', content: 'secret {{ replica.index }}', secret: true, perReplica: true },
    ];
    await rt.converge(withFiles(3, files), quiet);
    const replicas = (await rt.observe('shop', 'dev')).services[0]!.replicas;
    expect(replicas).toHaveLength(3);
    const dirs: string[] = [];
    const indexes: string[] = [];
    for (const r of replicas) {
      const env = JSON.parse(await get(r.port!, '/env')) as Record<string, string>;
      const dir = env.BERTH_CONFIG_DIR!;
      dirs.push(dir);
      const site = await get(r.port!, '/config?file=site.conf');
      const index = /^index (\d) of/m.exec(site)?.[1] ?? '?';
      indexes.push(index);
      expect(site).toBe(
        [
          `listen 127.0.0.1:${r.port};`,
          `index ${index} of http ${r.port}`,
          `pid ${dir}/nginx.pid;`,
          'literal {{ replica.port }} and {{ .Values.kept }}',
        ].join('\n'),
      );
      // A file without per-replica values is written as it is.
      expect(await get(r.port!, `/config?file=${encodeURIComponent('plain/{{ replica.port }}.txt')}`)).toBe(
        '{{ replica.port }} as written',
      );
      expect(await get(r.port!, '/config?file=token')).toBe(`secret ${index}`);
      expect(statSync(`${dir}/token`).mode & 0o777).toBe(0o600);
    }
    expect(new Set(dirs).size).toBe(3);
    expect(indexes.sort()).toEqual(['0', '1', '2']);

    await rt.converge(withFiles(1, files), quiet);
    const [kept] = (await rt.observe('shop', 'dev')).services[0]!.replicas;
    const keptDir = dirs[replicas.findIndex((r) => r.id === kept!.id)]!;
    expect(dirs.filter((d) => existsSync(d))).toEqual([keptDir]);
    await rt.remove('shop', 'dev');
    expect(existsSync(keptDir)).toBe(false);
  });

  it('refuses a named port the replica has no port of its own for, naming the file and the place', () => {
    const files: WorkloadFile[] = [
      { path: 'a.conf', content: 'x\nmetrics {{ replica.port.metrics }}', secret: false, perReplica: true },
    ];
    const ports = [
      { name: 'http', port: 8080, protocol: 'TCP' as const },
      { name: 'metrics', port: 9090, protocol: 'TCP' as const },
    ];
    expect(() => resolveReplicaFiles(files, { port: 4000, ports, env: {} }, '/c')).toThrow(
      'config file a.conf: {{ replica.port.metrics }} (line 2, column 9): the replica has no port of its own for `metrics` (no $PORT_METRICS)',
    );
    expect(resolveReplicaFiles(files, { port: 4000, ports, env: { PORT_METRICS: '4001' } }, '/c')[0]!.content).toBe(
      'x\nmetrics 4001',
    );
  });

  it('gives a new replica the lowest free index', () => {
    expect(freeIndex([])).toBe(0);
    expect(freeIndex([0, 2, undefined])).toBe(1);
    expect(freeIndex([1, 0, 2])).toBe(3);
  });
});
