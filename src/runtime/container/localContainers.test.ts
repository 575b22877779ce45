import { afterEach, describe, expect, inject, it } from 'vitest';
import { localContainers } from './localContainers.js';
import { podman } from '../../../test/support/containerEngine.js';
import { NODE_IMAGE } from '../../../test/support/testImages.js';
import type { ConvergeOptions, Runtime } from '../runtime.js';
import type { LogLine } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import { createLocalRuntime } from '../local/localRuntime.js';
import { RecordingGateway, buildShims, fixtureState, killAll, tempHome } from '../local/testdata/testing.js';
import { CONTAINER_HOST, LABEL, homeIdOf } from './containerLaunch.js';
import { removeHomeContainers } from './testing.js';
import { connectEngine, serviceHostsOf } from './engine.js';

const homes: string[] = [];
const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.close().catch(() => undefined);
  for (const home of homes.splice(0)) {
    killAll(home);
    await removeHomeContainers(home, inject('containerSocket'));
    await removeHomeContainers(home, inject('dockerSocket'));
  }
});

const opts = (): ConvergeOptions => ({ signal: AbortSignal.timeout(60_000), onEvent: () => undefined });

function open(home: string, env: NodeJS.ProcessEnv = { BERTH_CONTAINER_SOCKET: inject('containerSocket') }): Runtime {
  const rt = createLocalRuntime({
    home,
    gateway: new RecordingGateway(),
    ...buildShims(),
    pollIntervalMs: 50,
    edgePort: 0,
    containers: localContainers(env),
  });
  runtimes.push(rt);
  return rt;
}

/** A container service of the test image with `replicas` replicas, ready on /healthz. */
function webState(replicas: number): ServiceState {
  const base = fixtureState({ app: 'shop', env: 'dev', service: 'web', replicas, hash: 'c0ffee01' });
  return {
    ...base,
    workload: {
      ...base.workload,
      command: undefined,
      image: NODE_IMAGE,
      runAs: 'container',
      env: { GREETING: 'from a container' },
    },
  };
}

/** The ids of the containers of `home` the engine has, sorted. */
async function containersOf(home: string): Promise<string[]> {
  const out = await podman([
    'ps',
    '-a',
    '--no-trunc',
    '--format',
    '{{.ID}}',
    '--filter',
    `label=${LABEL.home}=${homeIdOf(home)}`,
  ]);
  return out.split('\n').filter(Boolean).sort();
}

describe('local runtime with containers', () => {
  it('runs a container service, sweeps orphans at start, and adopts its containers after a restart without duplicates', async () => {
    const home = tempHome();
    homes.push(home);
    // An orphan: a container of this home that no replica names (as if the control plane died creating it).
    const orphan = `berth-${homeIdOf(home)}-shop-dev-web-orphan`;
    await podman(['create', '--name', orphan, '--label', `${LABEL.home}=${homeIdOf(home)}`, NODE_IMAGE]);
    const rt = open(home);
    await rt.converge(webState(2), opts());
    const st = (await rt.observe('shop', 'dev')).services.find((s) => s.service === 'web')!;
    expect(st.runAs).toBe('container');
    expect(st.readyReplicas).toBe(2);
    expect(st.address?.containerHost).toBe(CONTAINER_HOST);
    expect(st.replicas.every((r) => /^[0-9a-f]{12}$/.test(r.container ?? ''))).toBe(true);
    const before = await containersOf(home);
    expect(before).toHaveLength(2); // the orphan is gone
    expect(before.map((id) => id.slice(0, 12)).sort()).toEqual(st.replicas.map((r) => r.container).sort());
    const port = st.replicas[0]!.port;
    expect(await (await fetch(`http://127.0.0.1:${port}/env/GREETING`)).text()).toBe('from a container');

    await rt.close();
    const again = open(home);
    const adopted = (await again.observe('shop', 'dev')).services.find((s) => s.service === 'web')!;
    expect(adopted.replicas.map((r) => r.id).sort()).toEqual(st.replicas.map((r) => r.id).sort());
    await again.converge(webState(2), opts());
    const after = (await again.observe('shop', 'dev')).services.find((s) => s.service === 'web')!;
    expect(after.readyReplicas).toBe(2);
    expect(after.replicas.map((r) => r.container).sort()).toEqual(st.replicas.map((r) => r.container).sort());
    expect(await containersOf(home)).toEqual(before);

    // Logs resumed after the adoption: each start line once per replica.
    await new Promise((r) => setTimeout(r, 1500));
    const lines: LogLine[] = [];
    for await (const l of again.logs({ app: 'shop', env: 'dev', service: 'web' }, { follow: false })) lines.push(l);
    for (const r of st.replicas)
      expect(lines.filter((l) => l.replica === r.id && l.line === 'listening on 8080')).toHaveLength(1);

    await again.remove('shop', 'dev');
    expect(await containersOf(home)).toEqual([]);
  });

  it('resolves per-replica values as the container sees them, mounts the file at its mountPath, and probes by exec inside', async () => {
    const home = tempHome();
    homes.push(home);
    const rt = open(home);
    const base = webState(1);
    const state: ServiceState = {
      ...base,
      workload: {
        ...base.workload,
        files: [
          {
            path: 'app.conf',
            content: 'port={{ replica.port }} dir={{ replica.configDir }}\n',
            secret: false,
            perReplica: true,
            mountPath: '/etc/app.conf',
          },
        ],
        readiness: {
          kind: 'exec',
          command: ['/bin/sh', '-c', 'grep -qx "port=8080 dir=/etc/berth/config" /etc/app.conf'],
          initialDelayMs: 0,
          periodMs: 100,
          timeoutMs: 2000,
          failureThreshold: 1,
          successThreshold: 1,
        },
      },
    };
    await rt.converge(state, opts());
    const st = (await rt.observe('shop', 'dev')).services.find((s) => s.service === 'web')!;
    expect(st.readyReplicas).toBe(1);
    await rt.remove('shop', 'dev');
  });

  it('fails a crash-looping container service with its exit code and stderr', async () => {
    const home = tempHome();
    homes.push(home);
    const rt = open(home);
    const base = webState(1);
    const state: ServiceState = {
      ...base,
      workload: { ...base.workload, env: { CRASH: 'no database at db:5432' } },
      rollout: { ...base.rollout, progressDeadlineMs: 15_000 },
      restart: { initialBackoffMs: 100, maxBackoffMs: 200, resetAfterMs: 60_000 },
    };
    await expect(rt.converge(state, opts())).rejects.toThrow(
      /crash loop: .*exited with code 3: Error: no database at db:5432/,
    );
    const st = (await rt.observe('shop', 'dev')).services.find((s) => s.service === 'web')!;
    expect(st.replicas[0]?.lastExit?.code).toBe(3);
    await rt.remove('shop', 'dev');
  });

  it('runs a container canary beside process replicas, both behind the gateway, then promotes it (a service moving to its image)', async () => {
    const home = tempHome();
    homes.push(home);
    const gateway = new RecordingGateway();
    const rt = createLocalRuntime({
      home,
      gateway,
      ...buildShims(),
      pollIntervalMs: 50,
      edgePort: 0,
      containers: localContainers({ BERTH_CONTAINER_SOCKET: inject('containerSocket') }),
    });
    runtimes.push(rt);
    const stable = fixtureState({ app: 'shop', env: 'dev', service: 'web', replicas: 1 });
    await rt.converge(stable, opts());
    const next = { ...webState(1), revision: 2 };
    const canary = { revision: 2, configVersion: 1, hash: next.hash, replicas: 1, workload: next.workload };
    await rt.converge({ ...stable, canary, traffic: { canaryWeight: 50 } }, opts());
    const listener = gateway.table().services.find((s) => s.key === 'shop/dev/web')!;
    expect(listener.split).toEqual({ canaryWeight: 50 });
    const canaryBackend = listener.backends.find((b) => b.track === 'canary')!;
    expect(await (await fetch(`http://127.0.0.1:${canaryBackend.port}/env/GREETING`)).text()).toBe('from a container');
    let st = (await rt.observe('shop', 'dev')).services[0]!;
    expect(st.replicas.map((r) => (r.container ? 'container' : 'process')).sort()).toEqual(['container', 'process']);

    await rt.converge(next, opts());
    st = (await rt.observe('shop', 'dev')).services[0]!;
    expect(st.runAs).toBe('container');
    expect(st.replicas).toHaveLength(1);
    expect(st.replicas[0]!.container).toMatch(/^[0-9a-f]{12}$/);
    expect((await containersOf(home)).map((id) => id.slice(0, 12))).toEqual([st.replicas[0]!.container]);
    await rt.remove('shop', 'dev');
  });

  it("has the gateway listen on Docker's bridge address for service addresses once a container service converges on Docker, and not on Podman", async () => {
    const bridgeOf = async (socket: string): Promise<string[] | undefined> => {
      const home = tempHome();
      homes.push(home);
      const gateway = new RecordingGateway();
      const rt = createLocalRuntime({
        home,
        gateway,
        ...buildShims(),
        pollIntervalMs: 50,
        edgePort: 0,
        containers: localContainers({ BERTH_CONTAINER_SOCKET: socket }),
      });
      runtimes.push(rt);
      // A process service asks for nothing.
      await rt.converge(fixtureState({ app: 'shop', env: 'dev', service: 'api' }), opts());
      expect(gateway.table().serviceHosts).toBeUndefined();
      await rt.converge(webState(1), opts());
      const hosts = gateway.table().serviceHosts;
      await rt.remove('shop', 'dev');
      return hosts;
    };
    const docker = await connectEngine({ BERTH_CONTAINER_SOCKET: inject('dockerSocket') });
    expect(await bridgeOf(inject('dockerSocket'))).toEqual(await serviceHostsOf(docker));
    expect(await bridgeOf(inject('containerSocket'))).toBeUndefined();
  });

  it('says the engine is missing, naming the service, before converging a container service', async () => {
    const home = tempHome();
    homes.push(home);
    const rt = open(home, { BERTH_CONTAINER_SOCKET: `${home}/no-engine.sock` });
    await expect(rt.converge(webState(1), opts())).rejects.toThrow(
      /^web runs as a container: no container engine is running: none of .*no-engine\.sock exists/,
    );
    // A process service of the same runtime runs as before, and says so.
    await rt.converge(fixtureState({ app: 'shop', env: 'dev', service: 'api' }), opts());
    const st = (await rt.observe('shop', 'dev')).services.find((s) => s.service === 'api')!;
    expect(st.runAs).toBe('process');
    expect(st.readyReplicas).toBe(1);
    await rt.remove('shop', 'dev');
  });
});
