/**
 * The kit's setup of the local runtime (excluded from the build like every `testing.ts`): replicas run
 * as processes or as containers of the test image, behind a real gateway process of either data plane
 * (so routes, splits and addresses are served); both run the kit's server with the node binary.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, inject } from 'vitest';
import { createGatewayControl, type LocalGatewayControl } from '../../../../gateway/control.js';
import type { DataPlane } from '../../../../gateway/server.js';
import { ensureGatewayBuilt, freePort } from '../../../../gateway/testing.js';
import { CONFORMANCE_SERVER } from '../../../conformance/server.js';
import { localContainers } from '../../../container/localContainers.js';
import { removeHomeContainers } from '../../../container/testing.js';
import type { Runtime } from '../../../runtime.js';
import type { ServiceState } from '../../../../model/serviceState.js';
import { runtimeConformance } from '../../../conformance/kit.js';
import { createLocalRuntime } from '../../localRuntime.js';
import { buildShims, killAll, tempHome } from '../testing.js';
import { NODE_IMAGE } from '../../../../../test/support/testImages.js';

/**
 * The VERSION of every process on the machine that runs the kit's server (`node -e CONFORMANCE_SERVER`)
 * with `marker` in its environment: the replicas, in containers too (a shim started cold carries the
 * replica's environment as well, but runs shim.js).
 */
function runningWith(marker: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let argv: string[];
    let environ: string[];
    try {
      argv = readFileSync(join('/proc', pid, 'cmdline'), 'utf8').split('\0');
      environ = readFileSync(join('/proc', pid, 'environ'), 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (argv[1] !== '-e' || argv[2] !== CONFORMANCE_SERVER || !environ.includes(marker)) continue;
    const version = environ.find((e) => e.startsWith('VERSION='));
    if (version) out.push(version.slice('VERSION='.length));
  }
  return out.sort();
}

let shims = { shimEntry: '', nativeShim: '' };
let entry = '';
beforeAll(() => {
  // Built once, before any test's setup: a stale gateway build compiles for a while.
  shims = buildShims();
  entry = ensureGatewayBuilt();
}, 120_000);

/**
 * Registers the kit against the local runtime running its replicas `runAs`, behind `dataPlane`;
 * containers on the test engine `engine` (Podman's or Docker's socket, test/support/containersSetup.ts).
 */
export function localConformance(
  name: string,
  runAs: 'process' | 'container',
  dataPlane: DataPlane = 'node',
  engine: 'containerSocket' | 'dockerSocket' = 'containerSocket',
): void {
  runtimeConformance(name, async () => {
    const home = tempHome();
    // The edge's preferred port: a free one (the registry takes the next free one above it if taken since).
    const edgePort = await freePort();
    const marker = `CONFORMANCE_RUN=${randomUUID()}`;
    const instances: Runtime[] = [];
    const controls: LocalGatewayControl[] = [];
    const inContainer = runAs === 'container';
    const containers = inContainer ? localContainers({ BERTH_CONTAINER_SOCKET: inject(engine) }) : undefined;
    const open = (): Runtime => {
      // Each instance its own control, as a restarted control plane: it adopts the running gateway.
      const gateway = createGatewayControl({ home, entry, dataPlane });
      controls.push(gateway);
      const rt = createLocalRuntime({
        home,
        gateway,
        ...shims,
        pollIntervalMs: 50,
        edgePort,
        ...(containers ? { containers } : {}),
      });
      instances.push(rt);
      return rt;
    };
    const last = (): Runtime => instances.at(-1)!;
    return {
      runtime: open(),
      makeState: (o): ServiceState => ({
        app: o.app,
        env: o.env,
        service: o.service,
        revision: o.revision ?? 1,
        configVersion: 1,
        hash: o.hash,
        replicas: o.replicas,
        workload: {
          command: [inContainer ? '/usr/local/bin/node' : process.execPath, '-e', CONFORMANCE_SERVER],
          ...(inContainer ? { image: NODE_IMAGE, runAs: 'container' as const } : {}),
          env: {
            VERSION: o.hash,
            SERVICE: o.service,
            BIND: inContainer ? '0.0.0.0' : '127.0.0.1',
            [marker.split('=')[0]!]: marker.split('=')[1]!,
            ...(o.ready === false ? { NEVER_READY: '1' } : {}),
          },
          files: [],
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
          ...(o.volume ? { volumes: [{ volume: o.volume, path: '/data', env: 'VOLUME_DIR', readOnly: false }] } : {}),
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
        rollout: { maxSurge: '25%', maxUnavailable: '25%', progressDeadlineMs: o.progressDeadlineMs ?? 20_000 },
        restart: { initialBackoffMs: 200, maxBackoffMs: 1000, resetAfterMs: 60_000 },
      }),
      newInstance: async () => open(),
      running: async () => runningWith(marker),
      serving: { kind: 'requests' },
      volume: async (app, env, _service, volume) => {
        const v = (await last().volumes!(env, app)).find((x) => x.volume === volume);
        if (!v) return undefined;
        try {
          return { kind: 'data', lines: readFileSync(join(v.path, 'versions'), 'utf8').split('\n').filter(Boolean) };
        } catch {
          return undefined;
        }
      },
      teardown: async () => {
        await last()
          .remove('conform', 'test')
          .catch(() => undefined);
        for (const rt of instances) await rt.close();
        await controls.at(-1)!.stop();
        killAll(home);
        // None orphaned: removing the app removed its containers.
        const left = inContainer ? await removeHomeContainers(home, inject(engine)) : [];
        if (left.length > 0) throw new Error(`containers left after remove: ${left.join(', ')}`);
      },
    };
  });
}
