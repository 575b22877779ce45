import { inject } from 'vitest';
import { localContainers } from '../container/localContainers.js';
import type { Runtime } from '../runtime.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { Workload } from '../../model/workload.js';
import { runtimeConformance } from '../testing.js';
import { createLocalRuntime } from './localRuntime.js';
import { FIXTURE, RecordingGateway, buildShim, killAll, tempHome } from './testdata/testing.js';
import { NODE_IMAGE } from '../../../test/support/testImages.js';
import { removeHomeContainers } from '../container/testing.js';

/** The kit against the local runtime, its replicas run as processes or as containers of the test image. */
function localConformance(name: string, runAs: 'process' | 'container'): void {
  runtimeConformance(name, async () => {
    const shimEntry = buildShim();
    const home = tempHome();
    const gateway = new RecordingGateway();
    const instances: Runtime[] = [];
    const containers =
      runAs === 'container' ? localContainers({ BERTH_CONTAINER_SOCKET: inject('containerSocket') }) : undefined;
    const open = (): Runtime => {
      const rt = createLocalRuntime({
        home,
        gateway,
        shimEntry,
        pollIntervalMs: 50,
        edgePort: 0,
        ...(containers ? { containers } : {}),
      });
      instances.push(rt);
      return rt;
    };
    const runs: Pick<Workload, 'command' | 'image' | 'runAs'> =
      runAs === 'container' ? { image: NODE_IMAGE, runAs: 'container' } : { command: [process.execPath, FIXTURE] };
    return {
      runtime: open(),
      makeState: ({ app, env, service, replicas, hash, revision }): ServiceState => ({
        app,
        env,
        service,
        revision: revision ?? 1,
        configVersion: 1,
        hash,
        replicas,
        workload: {
          ...runs,
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
        // None orphaned: removing the app removed its containers.
        const left = runAs === 'container' ? await removeHomeContainers(home) : [];
        if (left.length > 0) throw new Error(`containers left after remove: ${left.join(', ')}`);
      },
    };
  });
}

localConformance('local', 'process');
localConformance('local, containers', 'container');
