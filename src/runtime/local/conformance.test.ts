import type { Runtime } from '../runtime.js';
import { runtimeConformance } from '../testing.js';
import { createLocalRuntime } from './localRuntime.js';
import { FIXTURE, RecordingGateway, buildShim, killAll, tempHome } from './testdata/testing.js';

runtimeConformance('local', async () => {
  const shimEntry = buildShim();
  const home = tempHome();
  const gateway = new RecordingGateway();
  const instances: Runtime[] = [];
  const open = (): Runtime => {
    const rt = createLocalRuntime({ home, gateway, shimEntry, pollIntervalMs: 50, edgePort: 0 });
    instances.push(rt);
    return rt;
  };
  return {
    runtime: open(),
    makeState: ({ app, env, service, replicas, hash, revision }) => ({
      app,
      env,
      service,
      revision: revision ?? 1,
      configVersion: 1,
      hash,
      replicas,
      workload: {
        command: [process.execPath, FIXTURE],
        env: { VERSION: hash },
        files: [],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        readiness: {
          kind: 'http',
          path: '/healthz',
          initialDelayMs: 0,
          periodMs: 100,
          timeoutMs: 1000,
          failureThreshold: 3,
          successThreshold: 1,
        },
        resources: {},
        terminationGracePeriodMs: 2000,
      },
      rollout: { maxSurge: '25%', maxUnavailable: '25%', progressDeadlineMs: 20_000 },
      restart: { initialBackoffMs: 200, maxBackoffMs: 1000, resetAfterMs: 60_000 },
    }),
    newInstance: async () => open(),
    teardown: async () => {
      const last = instances.at(-1)!;
      await last.remove('conform', 'test').catch(() => undefined);
      for (const rt of instances) await rt.close();
      killAll(home);
    },
  };
});
