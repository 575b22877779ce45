/**
 * The log center on Kubernetes: the worker follows the pods of an environment on a cluster (the
 * in-test API server, which serves pods/log with follow, timestamps and sinceTime) into the same
 * index, and a control plane stopped and started again reads on from each pod's cursor — every
 * line once, lines of the same timestamp included, with the kubelet's time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentTarget } from '../environment/environments.js';
import { isoMicros, recordTimeMs } from '../model/logTime.js';
import type { Runtime } from '../runtime/runtime.js';
import { startHarness, testState, type KubeHarness } from '../runtime/kubernetes/testing/harness.js';
import { startLogCenter, type LogCenter } from './logCenter.js';

const NS = 'berth-test';
const target: EnvironmentTarget = { kind: 'kubernetes', namespace: NS, context: 'fake' };
const environments = async () => [{ name: 'prod', target }];

describe('the log center on Kubernetes', () => {
  let h: KubeHarness;
  let rt: Runtime;
  let home: string;
  const kubeconfigBefore = process.env.KUBECONFIG;
  beforeEach(async () => {
    h = await startHarness();
    rt = h.open();
    home = mkdtempSync(join(tmpdir(), 'berth-logcenter-kube-'));
    // The worker reads the kubeconfig as the control plane does: $KUBECONFIG.
    process.env.KUBECONFIG = h.kubeconfig;
  });
  afterEach(async () => {
    if (kubeconfigBefore === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = kubeconfigBefore;
    await h.close();
    rmSync(home, { recursive: true, force: true });
  });

  const open = async (): Promise<LogCenter> => {
    const center = startLogCenter(home, pino({ level: 'silent' }), {}, { pollMs: 100 });
    await center.followEnvironments(environments);
    return center;
  };
  const texts = (center: LogCenter): string[] =>
    center.index!.search({ app: 'shop', env: 'prod', limit: 10_000 }).lines.map((l) => `${l.replica} ${l.line}`);
  const waitForLines = async (center: LogCenter, n: number): Promise<string[]> => {
    for (let i = 0; i < 200 && texts(center).length < n; i++) await new Promise((r) => setTimeout(r, 50));
    return texts(center);
  };

  it('follows every pod’s log into the index, and reads on from each pod’s cursor after a restart: every line once', async () => {
    await rt.converge(testState({ app: 'shop', env: 'prod', service: 'web', replicas: 2, hash: 'a1' }), {
      signal: AbortSignal.timeout(20_000),
      onEvent: () => undefined,
    });
    const [p1, p2] = h.server.list('v1', 'Pod', NS).map((o) => o.metadata.name) as [string, string];
    const log = (pod: string, line: string): void => h.server.controllers.appendLog(NS, pod, line);
    log(p1, 'trade T-1 accepted');
    log(p2, 'trade T-1 shipped');
    let center = await open();
    const expected = [`${p1} ${p1} listening on :80`, `${p2} ${p2} listening on :80`];
    expected.push(`${p1} trade T-1 accepted`, `${p2} trade T-1 shipped`);
    // Lines in one millisecond carry one timestamp: the cursor counts them.
    for (let i = 0; i < 5; i++) log(p1, `burst ${i}`);
    expected.push(...[0, 1, 2, 3, 4].map((i) => `${p1} burst ${i}`));
    expect((await waitForLines(center, expected.length)).sort()).toEqual([...expected].sort());
    const found = center.index!.search({ app: 'shop', env: 'prod', text: 'T-1 accepted', limit: 5 }).lines;
    expect(found.map((l) => [l.service, l.replica, l.time])).toEqual([
      ['web', p1, isoMicros(recordTimeMs(h.server.controllers.logOf(NS, p1)[1]!.time))], // answered to the microsecond
    ]);
    await center.close();

    // Printed while the control plane was down, some in the same millisecond as each other.
    for (let i = 0; i < 3; i++) log(p1, `while down ${i}`);
    log(p2, 'while down on two');
    expected.push(...[0, 1, 2].map((i) => `${p1} while down ${i}`), `${p2} while down on two`);
    center = await open();
    try {
      await waitForLines(center, expected.length);
      log(p2, 'after the restart');
      expected.push(`${p2} after the restart`);
      await waitForLines(center, expected.length);
      await new Promise((r) => setTimeout(r, 500)); // more looks: nothing comes twice
      expect(texts(center).sort()).toEqual([...expected].sort());
      // Each follow after the restart asked from the cursor's second, not from the beginning.
      const resumed = h.server.requests.filter((r) => r.path.endsWith('/log') && r.query.follow === 'true');
      expect(resumed.filter((r) => r.query.sinceTime).length).toBeGreaterThanOrEqual(2);
    } finally {
      await center.close();
    }
  });
});
