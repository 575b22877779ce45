/**
 * The control plane is disposable: SIGKILLed while idle or in the middle of a deploy, it comes
 * back, re-adopts the running replicas (pid + start time), starts nothing twice, leaves nothing
 * behind and finishes (or fails) every release, while the services keep answering throughout.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, keepAliveLoad, processesOf, startBerth, waitFor, type Berth } from './harness.js';

const HELLO = join(ROOT, 'test/apps/hello/server.mjs');
const APP = 'restarts';
const DESIRED: Record<string, number> = { backend: 1, web: 3 };

interface Replica {
  id: string;
  pid?: number;
  phase: string;
  hash: string;
  restarts: number;
  lastExit?: { reason: string };
}
interface Status {
  edge?: { url: string };
  services: {
    service: string;
    hash?: string;
    revision?: number;
    readyReplicas: number;
    desiredReplicas: number;
    address?: { url: string };
    replicas: Replica[];
  }[];
}
interface Release {
  revision: number;
  status: string;
  reason: string | null;
}

function spec(services = Object.keys(DESIRED)): string {
  const blocks: Record<string, string> = {
    backend: `  backend:
    command: [node, ${JSON.stringify(HELLO)}]
    replicas: 1
    env: { VERSION: "\${VERSION}" }
    health: { readiness: { http: { path: /healthz }, period: 1s } }
    terminationGracePeriod: 5s`,
    web: `  web:
    command: [node, ${JSON.stringify(HELLO)}]
    replicas: 3
    dependsOn: [backend]
    env: { VERSION: "\${VERSION}", READY_AFTER_MS: "200", ON_SIGTERM: drain }
    health: { readiness: { http: { path: /healthz }, period: 1s } }
    restart: { initialBackoff: 1s }
    terminationGracePeriod: 5s`,
    extra: `  extra:
    command: [node, ${JSON.stringify(HELLO)}]
    health: { readiness: { http: { path: /healthz }, period: 1s } }
    terminationGracePeriod: 5s`,
  };
  return `name: ${APP}
variables:
  VERSION: { default: "0" }
services:
${services.map((s) => blocks[s]).join('\n')}
routes:
  - { path: /, service: web }
`;
}

let berth: Berth;
let dir: string;

beforeAll(async () => {
  berth = await startBerth();
  dir = await mkdtemp(join(tmpdir(), 'berth-restarts-'));
  await writeFile(join(dir, 'berth.yaml'), spec());
  const r = await berth.cli(['deploy', dir]);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await berth?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const status = async (): Promise<Status> =>
  (await berth.api<Status>('GET', `/api/v1/apps/${APP}/envs/local/status`)).body;

/** The replicas' own processes (not shims, not the gateway). */
async function appPids(): Promise<number[]> {
  // A native shim's command line holds the command it runs: it is not one of them.
  return (await processesOf(berth.home))
    .filter((p) => p.cmd.includes(HELLO) && !p.cmd.includes('/native/berth-shim '))
    .map((p) => p.pid);
}

/**
 * Waits until every service has exactly its desired replicas, all ready and of one hash, and the
 * replica processes are exactly those the status lists; fails with what it saw otherwise.
 */
async function expectExact(desired = DESIRED): Promise<Status> {
  let last = '';
  try {
    return await waitFor(
      'the exact desired state',
      async () => {
        const st = await status();
        const listed = st.services.flatMap((s) => s.replicas.map((r) => r.pid)).filter((p): p is number => !!p);
        const pids = await appPids();
        last = JSON.stringify({
          services: st.services.map((s) => [
            s.service,
            s.readyReplicas,
            s.desiredReplicas,
            s.replicas.map((r) => r.phase),
          ]),
          processes: pids.length,
        });
        const servicesOk =
          st.services.length === Object.keys(desired).length &&
          st.services.every((s) => {
            const n = desired[s.service];
            return (
              n !== undefined &&
              s.desiredReplicas === n &&
              s.readyReplicas === n &&
              s.replicas.length === n &&
              s.replicas.every((r) => r.hash === s.hash && r.phase === 'ready')
            );
          });
        const sameProcesses = pids.length === listed.length && pids.every((p) => listed.includes(p));
        return servicesOk && sameProcesses ? st : undefined;
      },
      30_000,
      100,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen ${last}`);
  }
}

async function setVersion(v: string): Promise<void> {
  const cur = (await berth.api<{ version: number }>('GET', `/api/v1/apps/${APP}/envs/local/config`)).body;
  const r = await berth.api('PATCH', `/api/v1/apps/${APP}/envs/local/config`, {
    baseVersion: cur.version,
    set: { VERSION: { value: v } },
    author: 'test',
  });
  expect(r.status).toBe(201);
}

async function deployDetached(): Promise<Release> {
  const text = await readFile(join(dir, 'berth.yaml'), 'utf8');
  const r = await berth.api<Release>('POST', '/api/v1/releases', {
    env: 'local',
    spec: { file: join(dir, 'berth.yaml'), text },
    author: 'test',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return r.body;
}

/** Waits for every release of the app (an auto-rollback included) to have ended. */
async function releasesEnded(): Promise<Release[]> {
  return waitFor(
    'every release to end',
    async () => {
      const list = (await berth.api<Release[]>('GET', `/api/v1/apps/${APP}/envs/local/releases`)).body;
      return list.every((r) => r.status === 'succeeded' || r.status === 'failed') ? list : undefined;
    },
    60_000,
    100,
  );
}

describe('the control plane killed with SIGKILL', () => {
  it('10 times while idle: the services answer throughout and are adopted as they are', async () => {
    const before = await expectExact();
    const ids = before.services.flatMap((s) => s.replicas.map((r) => `${r.id}:${r.pid}`)).sort();
    const web = before.services.find((s) => s.service === 'web')!;
    const traffic = keepAliveLoad([`${before.edge!.url}/`, `${web.address!.url}/`], { connections: 2 });
    try {
      for (let i = 0; i < 10; i++) {
        const okBefore = traffic.counts.ok;
        await berth.kill('SIGKILL');
        // nothing is in charge now, yet requests keep being answered
        await waitFor('requests while the control plane is down', async () => traffic.counts.ok > okBefore + 20);
        await berth.restart();
        const st = await expectExact();
        // the very same replicas and processes: adopted, not restarted or duplicated
        expect(st.services.flatMap((s) => s.replicas.map((r) => `${r.id}:${r.pid}`)).sort()).toEqual(ids);
      }
    } finally {
      await traffic.stop();
    }
    const c = traffic.counts;
    console.log(`idle kills: ${c.sent} requests, ${c.ok} answered 2xx, ${c.failed} failed`);
    expect(c.reasons).toEqual({});
    expect(c.ok).toBe(c.sent);
    expect(c.ok).toBeGreaterThan(1000);
  });

  it('10 times during a deploy, at varying moments: every release ends and the state is exact', async () => {
    const outcomes: string[] = [];
    for (let i = 1; i <= 10; i++) {
      await setVersion(`k${i}`);
      const created = await deployDetached();
      // from right after the release is recorded to past its end (a deploy here takes 1-2 s)
      await new Promise((r) => setTimeout(r, (i - 1) * 220));
      await berth.kill('SIGKILL');
      await berth.restart();
      const all = await releasesEnded();
      const release = all.find((r) => r.revision === created.revision)!;
      outcomes.push(`r${release.revision} ${release.status}`);
      expect(release.status, release.reason ?? '').toBe('succeeded');
      const st = await expectExact();
      expect(new Set(st.services.map((s) => s.revision))).toEqual(new Set([created.revision]));
    }
    console.log(`deploy kills: ${outcomes.join(', ')}`);
  });

  it('a replica that died while the control plane was down is restarted when it starts', async () => {
    const st = await expectExact();
    const victim = st.services.find((s) => s.service === 'web')!.replicas[0]!;
    await berth.kill('SIGKILL');
    process.kill(victim.pid!, 'SIGKILL');
    await berth.restart();
    const after = await expectExact();
    const back = after.services.find((s) => s.service === 'web')!.replicas.find((r) => r.id === victim.id)!;
    expect(back.pid).not.toBe(victim.pid);
    expect(back.restarts).toBe(victim.restarts + 1);
    expect(back.lastExit?.reason).toBe('killed by SIGKILL');
  });

  it('a service removed from berth.yaml while the control plane was down is stopped by the next deploy', async () => {
    await writeFile(join(dir, 'berth.yaml'), spec(['backend', 'web', 'extra']));
    const add = await berth.cli(['deploy', dir]);
    expect(add.code, add.stderr).toBe(0);
    const withExtra = await expectExact({ ...DESIRED, extra: 1 });
    const extraPid = withExtra.services.find((s) => s.service === 'extra')!.replicas[0]!.pid!;

    await berth.kill('SIGKILL');
    await writeFile(join(dir, 'berth.yaml'), spec());
    await berth.restart();
    // adopted and left alone until a deploy says otherwise
    expect((await appPids()).includes(extraPid)).toBe(true);
    const d = await berth.cli(['deploy', dir]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stderr).toMatch(/extra is no longer in the app; removing it/);
    await expectExact();
    expect((await appPids()).includes(extraPid)).toBe(false);
  });

  it('the gateway SIGKILLed while the control plane idles (an adopted one) is started again by itself', async () => {
    const st = await expectExact();
    const gatewayPid = async (): Promise<number> =>
      (JSON.parse(await readFile(join(berth.home, 'gateway', 'gateway.json'), 'utf8')) as { pid: number }).pid;
    const dead = await gatewayPid();
    process.kill(dead, 'SIGKILL');
    // Nobody deploys or asks for status: supervision's own check of the gateway brings it back.
    await waitFor(
      'the edge to answer from a new gateway',
      async () => (await gatewayPid()) !== dead && (await fetch(`${st.edge!.url}/`)).status === 200,
      30_000,
      200,
    );
  });
});
