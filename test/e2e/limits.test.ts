/**
 * Bad input and limits: a command that does not exist, a port already taken (by a service's own
 * command, and the edge's port when the gateway comes back), a replica that exits at once in a
 * loop, and a health check that hangs. Each gets a clear status and reason in `berth status` and
 * the API, its deploy fails with that reason, and none of them holds up the control plane or
 * another app.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/model/messages.js';
import { ROOT, startBerth, waitFor, type Berth, type CliResult } from './harness.js';

const HELLO = join(ROOT, 'test/apps/hello/server.mjs');

interface Replica {
  id: string;
  phase: string;
  restarts: number;
  message?: string;
  /** `message` as a code with params (the console translates it). */
  messageDetail?: Message;
  lastExit?: { reason: string; code: number | null; reasonMessage?: Message };
}
interface Status {
  lastRelease?: { reason: string | null; reasonMessage?: Message } | null;
  edge?: { url: string; port: number; error?: string };
  services: { service: string; readyReplicas: number; desiredReplicas: number; replicas: Replica[] }[];
}

let berth: Berth;
let root: string;
const held: Server[] = [];

beforeAll(async () => {
  // The Node data plane: "the edge's port taken when the gateway comes back" needs the gateway's
  // death to free the port, and HAProxy outlives the gateway and keeps serving it (its taken ports
  // are in src/gateway/haproxy/haproxyListeners.test.ts, its adoption in haproxyLifecycle.test.ts).
  berth = await startBerth({ env: { BERTH_DATA_PLANE: 'node' } });
  root = await mkdtemp(join(tmpdir(), 'berth-limits-'));
});

afterAll(async () => {
  for (const s of held) s.close();
  await berth?.teardown();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Writes app `name` with one service `svc` and returns its folder. */
async function app(name: string, service: string, routes = ''): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'berth.yaml'), `name: ${name}\nservices:\n  svc:\n${service}\n${routes}`);
  return dir;
}

/** Binds `port` (retrying briefly: a process just killed may hold it a moment longer). */
async function holdPort(port = 0): Promise<number> {
  const s = createServer();
  for (let tries = 0; ; tries++) {
    const bound = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) break;
    if (tries > 100) throw new Error(`cannot bind port ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  held.push(s);
  return (s.address() as { port: number }).port;
}

const status = async (name: string): Promise<Status> =>
  (await berth.api<Status>('GET', `/api/v1/apps/${name}/envs/local/status`)).body;

function expectFailed(r: CliResult, reason: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(/revision 1 failed: /);
  expect(r.stderr).toMatch(reason);
}

describe('bad input and limits', () => {
  it('a missing command, a taken port, a crash loop and a hanging health check each fail their deploy with the reason', async () => {
    const taken = await holdPort();
    const quick = `    rollout: { progressDeadline: 4s }\n    restart: { initialBackoff: 200ms, maxBackoff: 5s }`;
    // The crashing ones must fail at their third crash, which a loaded machine (three Node boots) may
    // take longer than 4 s to reach: their deadline is far, so only the crash loop can end them.
    const crashing = quick.replace('progressDeadline: 4s', 'progressDeadline: 60s');
    const dirs = {
      ghost: await app('ghost', `    command: [berth-no-such-command, --serve]\n${crashing}`),
      porty: await app(
        'porty',
        `    command: [node, -e, "require('http').createServer().listen(${taken}, '127.0.0.1')"]\n${crashing}`,
      ),
      loopy: await app(
        'loopy',
        `    command: [node, -e, "console.error('fatal: DATABASE_URL is not set'); process.exit(3)"]\n${crashing}`,
      ),
      hangs: await app(
        'hangs',
        `    command: [node, -e, "require('http').createServer(() => {}).listen(process.env.PORT, '127.0.0.1')"]
    health: { readiness: { http: { path: /healthz }, timeout: 500ms, period: 1s } }
${quick}`,
      ),
    };
    // The crash loop's phase message, sampled from the start: the back-off it shows grows.
    const delays: string[] = [];
    const backoffWatch = waitFor(
      'three growing back-offs',
      async () => {
        const r = (await status('loopy').catch(() => undefined))?.services[0]?.replicas[0];
        const m = /^back-off (\S+) restarting failed replica \(exit code 3: fatal: DATABASE_URL is not set\)$/.exec(
          r?.message ?? '',
        );
        if (m && delays.at(-1) !== m[1]) delays.push(m[1]!);
        return delays.length >= 3;
      },
      30_000,
      40,
    );
    // All four at once: one's trouble is not another's.
    const [ghost, porty, loopy, hangs] = await Promise.all(Object.values(dirs).map((d) => berth.cli(['deploy', d])));

    // The three that crash fail at their third crash (a crash loop), not at the progress deadline.
    expectFailed(
      ghost!,
      /svc: crash loop: svc-\w+-\w+ crashed 3 times in a row without ever becoming ready; last exit: command not found: berth-no-such-command \(spawn berth-no-such-command ENOENT\)/,
    );
    expectFailed(
      porty!,
      new RegExp(`exited with code 1: Error: listen EADDRINUSE: address already in use 127.0.0.1:${taken}`),
    );
    expectFailed(
      loopy!,
      /svc: crash loop: svc-\w+-\w+ crashed 3 times in a row without ever becoming ready; last exit: exited with code 3: fatal: DATABASE_URL is not set; last stderr: fatal: DATABASE_URL is not set/,
    );
    expectFailed(hangs!, /svc-\w+-\w+: readiness probe failed: GET \/healthz: no response within 500ms/);

    // The API says the same, replica by replica.
    const ghostReplica = (await status('ghost')).services[0]!.replicas[0]!;
    expect(ghostReplica.phase).toBe('backoff');
    expect(ghostReplica.lastExit?.reason).toBe(
      'command not found: berth-no-such-command (spawn berth-no-such-command ENOENT)',
    );
    // ... with the code the shim wrote, for the console to say it in its language
    expect(ghostReplica.lastExit?.reasonMessage).toMatchObject({
      code: 'exit.commandNotFound',
      params: { file: 'berth-no-such-command', error: 'spawn berth-no-such-command ENOENT' },
    });
    const portyReplica = (await status('porty')).services[0]!.replicas[0]!;
    expect(portyReplica.lastExit?.reason).toContain(`EADDRINUSE: address already in use 127.0.0.1:${taken}`);
    const hangsReplica = (await status('hangs')).services[0]!.replicas[0]!;
    expect(hangsReplica).toMatchObject({
      phase: 'starting',
      restarts: 0,
      message: 'readiness probe failed: GET /healthz: no response within 500ms',
      messageDetail: {
        code: 'event.readinessFailed',
        params: { detail: { code: 'probe.httpTimeout', params: { path: '/healthz', timeoutMs: 500 } } },
      },
    });
    // the release it failed says why with codes too, the probe's finding inside
    const hangsRelease = (await status('hangs')).lastRelease;
    expect(hangsRelease?.reasonMessage).toMatchObject({
      code: 'release.noProgress',
      params: { details: { params: { reason: { params: { detail: { code: 'probe.httpTimeout' } } } } } },
    });

    // A crash loop: restarts counted, the last exit's reason kept, and a back-off that grows.
    await backoffWatch;
    const ms = delays.map((d) => (d.endsWith('ms') ? Number(d.slice(0, -2)) : Number(d.slice(0, -1)) * 1000));
    expect(ms).toEqual([...ms].sort((a, b) => a - b));
    expect(new Set(ms).size).toBe(ms.length);
    const loopReplica = (await status('loopy')).services[0]!.replicas[0]!;
    expect(loopReplica.restarts).toBeGreaterThanOrEqual(4);
    expect(loopReplica.lastExit).toMatchObject({
      code: 3,
      reason: 'exited with code 3: fatal: DATABASE_URL is not set',
    });

    // `berth status` in words. The loop spends most of its time backing off, but for the moment a
    // restarted replica runs before it exits again the service is only "progressing": look again.
    const inWords =
      /svc\s+0\/1\s+\d+\s+.*back-off \S+ restarting failed replica \(exit code 3: fatal: DATABASE_URL is not set\)/;
    // Whichever moment it is caught in, the reason of the loop shows.
    let text = (await berth.cli(['status', 'loopy'])).stdout;
    expect(text).toContain('code 3: fatal: DATABASE_URL is not set');
    await waitFor(
      'berth status to show the back-off',
      async () => inWords.test((text = (await berth.cli(['status', 'loopy'])).stdout)),
      10_000,
      50,
    ).catch(() => undefined);
    expect(text).toMatch(inWords);
    const replicas = (await berth.cli(['status', 'ghost', '--replicas'])).stdout;
    expect(replicas).toContain('command not found: berth-no-such-command');
    expect((await berth.cli(['status', 'hangs'])).stdout).toContain(
      'readiness probe failed: GET /healthz: no response within 500ms',
    );
  });

  it("a broken deploy still in progress holds up neither another app's deploy nor the API", async () => {
    // Never ready (its health check answers 500): the release runs until its progress deadline.
    const broken = await app(
      'broken',
      `    command: [node, -e, "require('http').createServer((q, s) => { s.statusCode = 500; s.end() }).listen(process.env.PORT, '127.0.0.1')"]
    health: { readiness: { http: { path: /healthz }, period: 200ms } }
    rollout: { progressDeadline: 20s }`,
    );
    const healthy = await app(
      'healthy',
      `    command: [node, ${JSON.stringify(HELLO)}]\n    replicas: 2\n    health: { readiness: { http: { path: /healthz }, period: 1s } }`,
      'routes:\n  - { path: /, service: svc }\n',
    );
    const brokenDeploy = berth.cli(['deploy', broken]);
    await waitFor('the broken release to run', async () => {
      const st = await status('broken');
      return st.services[0]?.replicas.some((r) => /readiness probe failed: HTTP 500/.test(r.message ?? ''));
    });
    const slowest = { ms: 0 };
    let probing = true;
    const prober = (async () => {
      while (probing) {
        for (const path of ['/api/v1/apps', '/api/v1/apps/broken/envs/local/status']) {
          const t0 = Date.now();
          const r = await berth.api('GET', path);
          expect(r.status).toBe(200);
          slowest.ms = Math.max(slowest.ms, Date.now() - t0);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      const t0 = Date.now();
      const ok = await berth.cli(['deploy', healthy]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stderr).toContain('revision 1 is live');
      expect(Date.now() - t0).toBeLessThan(15_000);
      const st = await status('healthy');
      expect(st.services[0]).toMatchObject({ readyReplicas: 2, desiredReplicas: 2 });
      expect((await fetch(st.edge!.url)).status).toBe(200);
      // the broken one is still going
      const rel = (await berth.api<{ status: string }[]>('GET', '/api/v1/apps/broken/envs/local/releases')).body[0]!;
      expect(rel.status).toBe('running');
    } finally {
      probing = false;
      await prober;
    }
    expect(slowest.ms).toBeLessThan(1000);
    expectFailed(
      await brokenDeploy,
      /svc: 0\/1 replicas ready after 2\ds; svc-\w+-\w+: readiness probe failed: HTTP 500 from \/healthz/,
    );
  });

  it("the edge's port taken when the gateway comes back: the deploy fails saying so, status shows it, and it heals", async () => {
    const dir = await app(
      'edgy',
      `    command: [node, ${JSON.stringify(HELLO)}]\n    health: { readiness: { http: { path: /healthz }, period: 1s } }`,
      'routes:\n  - { path: /, service: svc }\n',
    );
    const first = await berth.cli(['deploy', dir]);
    expect(first.code, first.stderr).toBe(0);
    const edge = (await status('edgy')).edge!;

    // The gateway dies and, before it is back, another process takes the edge's port.
    const gw = JSON.parse(await readFile(join(berth.home, 'gateway', 'gateway.json'), 'utf8')) as { pid: number };
    process.kill(gw.pid, 'SIGKILL');
    await waitFor('the edge to go away', async () => {
      try {
        await fetch(edge.url);
        return false;
      } catch {
        return true;
      }
    });
    await holdPort(edge.port);

    const problem = `the edge of edgy/local cannot listen on 127.0.0.1:${edge.port}: another process uses that port (EADDRINUSE)`;
    const r = await berth.cli(['deploy', dir, '--no-rollback']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`revision 2 failed: ${problem}`);
    const st = await status('edgy');
    expect(st.edge).toMatchObject({ port: edge.port, error: problem });
    const json = JSON.parse((await berth.cli(['status', 'edgy', '-o', 'json'])).stdout) as Status;
    expect(json.edge?.error).toBe(problem);
    // the gateway itself came back: the service address answers
    expect(st.services[0]).toMatchObject({ readyReplicas: 1 });

    // The port is freed: the edge binds it again by itself, and a deploy succeeds.
    await new Promise((resolve) => held.pop()!.close(resolve));
    await waitFor('the edge to listen again', async () => !(await status('edgy')).edge?.error, 10_000, 200);
    expect((await fetch(edge.url)).status).toBe(200);
    const again = await berth.cli(['deploy', dir]);
    expect(again.code, again.stderr).toBe(0);
  });
});
