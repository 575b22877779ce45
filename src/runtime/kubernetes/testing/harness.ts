/** Test set-up shared by the Kubernetes runtime tests: a fake API server, a kubeconfig, runtimes over it. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '../../runtime.js';
import type { ServiceState } from '../../../model/serviceState.js';
import { createKubernetesRuntime, type KubernetesRuntimeOptions } from '../kubernetesRuntime.js';
import { startFakeApiServer, type FakeApiServer, type FakeApiServerOptions } from './fakeApiServer.js';

/** A fake cluster with a kubeconfig for it and the runtimes a test opened. */
export interface KubeHarness {
  server: FakeApiServer;
  kubeconfig: string;
  dir: string;
  /** A runtime for `namespace` (default `berth-test`) over the fake cluster. */
  open(opts?: Partial<KubernetesRuntimeOptions>): Runtime;
  close(): Promise<void>;
}

/** Starts a fake API server and writes a kubeconfig (context `fake`) for it in a temp dir. */
export async function startHarness(opts: FakeApiServerOptions = {}): Promise<KubeHarness> {
  const server = await startFakeApiServer({ podReadyDelayMs: 30, ...opts });
  const dir = await mkdtemp(join(tmpdir(), 'berth-k8s-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await server.writeKubeconfig(kubeconfig, { context: 'fake' });
  const runtimes: Runtime[] = [];
  return {
    server,
    kubeconfig,
    dir,
    open(o = {}) {
      const rt = createKubernetesRuntime({
        kubeconfig,
        context: 'fake',
        namespace: 'berth-test',
        pollIntervalMs: 50,
        ...o,
      });
      runtimes.push(rt);
      return rt;
    },
    async close() {
      for (const rt of runtimes) await rt.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A desired state whose pods the fake cluster starts (they log a line when they start). */
export function testState(o: {
  app: string;
  env: string;
  service: string;
  replicas: number;
  hash: string;
  revision?: number;
  progressDeadlineMs?: number;
  port?: number;
}): ServiceState {
  return {
    app: o.app,
    env: o.env,
    service: o.service,
    revision: o.revision ?? 1,
    configVersion: 1,
    hash: o.hash,
    replicas: o.replicas,
    workload: {
      image: `registry.example/${o.service}:${o.hash}`,
      env: { VERSION: o.hash },
      files: [],
      ports: [{ name: 'http', port: o.port ?? 80, protocol: 'TCP' }],
      readiness: {
        kind: 'http',
        path: '/healthz',
        initialDelayMs: 0,
        periodMs: 1000,
        timeoutMs: 1000,
        failureThreshold: 3,
        successThreshold: 1,
      },
      resources: {},
      terminationGracePeriodMs: 2000,
    },
    rollout: { maxSurge: '25%', maxUnavailable: '25%', progressDeadlineMs: o.progressDeadlineMs ?? 20_000 },
    restart: { initialBackoffMs: 200, maxBackoffMs: 1000, resetAfterMs: 60_000 },
  };
}
