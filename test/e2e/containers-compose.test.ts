/**
 * Issue 14 point 4 end to end: a compose file of images (web + api + a migration job + redis +
 * postgres with a named volume, healthchecks and depends_on conditions) → `berth import` (nothing
 * unmapped) → the config script → `berth up` on one machine with containers (the test engine's
 * socket in BERTH_CONTAINER_SOCKET) → requests through the edge reach web → api → redis and
 * postgres; a row written to postgres survives `berth restart` of postgres (its volume); `berth down`
 * removes every container of this home; on Podman and on Docker. And `berth up` against a missing socket
 * says what is missing.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { homeIdOf } from '../../src/runtime/container/containerLaunch.js';
import { CLI, ROOT, startBerth, waitFor, type Berth } from './harness.js';

const COMPOSE = join(ROOT, 'src/import/testdata/containers/docker-compose.yml');

interface Status {
  edge?: { url: string };
  services: { service: string; readyReplicas: number; runAs?: string }[];
}

function sh(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', args, { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The containers of this Berth home (label berth.home), as the engine lists them. */
async function containersOf(docker: Docker, homeLabel: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`berth.home=${homeLabel}`] } });
}

/**
 * The same app on each test engine (test/support/containersSetup.ts): Podman, and Docker, whose
 * containers reach the service addresses at its bridge address (host-gateway), where the gateway
 * then listens too.
 */
function composeApp(engine: 'Podman' | 'Docker', socketOf: 'containerSocket' | 'dockerSocket'): void {
  describe(`a compose app of images on one machine (${engine})`, () => {
    const socket = inject(socketOf);
    const docker = new Docker({ socketPath: socket });
    let berth: Berth;
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'berth-compose-'));
      await copyFile(COMPOSE, join(dir, 'docker-compose.yml'));
      berth = await startBerth({ env: { BERTH_CONTAINER_SOCKET: socket } });
    });
    afterAll(async () => {
      await berth?.teardown();
      await rm(dir, { recursive: true, force: true });
    });

    async function get(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
      const res = await fetch(url, init);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }

    it('imports with nothing unmapped, comes up with berth up, serves through the edge, keeps postgres data across a restart, and leaves no container after down', async () => {
      const imported = await berth.cli(['import', join(dir, 'docker-compose.yml'), '-o', 'json'], {
        env: { API_TOKEN: 'tok-123' },
      });
      expect(imported.code, imported.stderr).toBe(0);
      const report = JSON.parse(imported.stdout) as { entries: { status: string; key: string; reason: string }[] };
      expect(report.entries.filter((e) => e.status === 'unmapped')).toEqual([]);
      expect(await readFile(join(dir, 'berth.yaml'), 'utf8')).toContain('mountPath: /run/secrets/api_token');

      const applied = await sh([join(dir, 'berth.config.sh'), '--env', 'local'], {
        BERTH_HOME: berth.home,
        BERTH: `${process.execPath} ${CLI}`,
      });
      expect(applied.code, applied.stderr).toBe(0);

      const up = await berth.cli(['up', dir, '-d']);
      expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
      const st = await waitFor(
        'every service ready',
        async () => {
          const s = await berth.json<Status>(['status', 'notes']);
          const running = s.services.filter((x) => x.service !== 'migrate');
          return running.length === 4 && running.every((x) => x.readyReplicas === 1) ? s : undefined;
        },
        60_000,
      );
      expect(st.services.filter((s) => s.runAs !== undefined).map((s) => [s.service, s.runAs])).toEqual(
        st.services.map((s) => [s.service, 'container']),
      );
      const edge = st.edge!.url;

      // web (its config file mounted where compose put it) → api → redis and postgres.
      expect(await get(`${edge}/`)).toEqual({
        status: 200,
        body: { from: 'web', greeting: 'hello from compose', config: { title: 'Notes' } },
      });
      // The compose secret, from the config set, mounted at /run/secrets/api_token.
      expect((await get(`${edge}/api/token`)).body).toEqual({ from: 'web', api: { from: 'api', tokenBytes: 7 } });
      expect(await get(`${edge}/api/hits`)).toEqual({
        status: 200,
        body: { from: 'web', api: { from: 'api', hits: 1 } },
      });
      expect((await get(`${edge}/api/hits`)).body).toEqual({ from: 'web', api: { from: 'api', hits: 2 } });
      expect((await get(`${edge}/api/notes?text=kept`, { method: 'POST' })).status).toBe(200);
      expect((await get(`${edge}/api/notes`)).body).toEqual({ from: 'web', api: { from: 'api', notes: ['kept'] } });

      // The engine's log stream is in Berth's log files.
      const logs = await berth.cli(['logs', 'notes/web']);
      expect(logs.stdout).toContain('web listening on 8080');

      // Each replica's container, as the engine names it, in `berth status --replicas`.
      const homeLabel = homeIdOf(berth.home);
      const [web] = await docker.listContainers({
        filters: { label: [`berth.home=${homeLabel}`, 'berth.service=web'] },
      });
      const table = (await berth.cli(['status', 'notes', '--replicas'])).stdout;
      expect(table.split('\n').find((l) => l.startsWith('SERVICE'))).toMatch(/PID\s+CONTAINER\s+PORT/);
      expect(table).toContain(web!.Id.slice(0, 12));

      // postgres restarted: a new container on the same volume.
      const dbOf = () =>
        docker.listContainers({
          filters: { label: [`berth.home=${homeLabel}`, 'berth.app=notes', 'berth.service=db'] },
        });
      const before = (await dbOf()).map((c) => c.Id);
      expect(before).toHaveLength(1);
      const restarted = await berth.cli(['restart', 'notes/db']);
      expect(restarted.code, restarted.stderr).toBe(0);
      const notes = await waitFor('notes after the restart', async () => {
        const r = await get(`${edge}/api/notes`).catch(() => undefined);
        return r?.status === 200 ? r.body : undefined;
      });
      expect(notes).toEqual({ from: 'web', api: { from: 'api', notes: ['kept'] } });
      const after = await dbOf();
      expect(after).toHaveLength(1);
      expect(before).not.toContain(after[0]!.Id);

      // web, api, redis and db run (the migration's container was removed when it finished).
      expect((await containersOf(docker, homeLabel)).map((c) => c.Labels['berth.service']).sort()).toEqual([
        'api',
        'db',
        'redis',
        'web',
      ]);
      const down = await berth.cli(['down', 'notes']);
      expect(down.code, down.stderr).toBe(0);
      expect(await containersOf(docker, homeLabel)).toEqual([]);
    }, 120_000);
  });
}

composeApp('Podman', 'containerSocket');
composeApp('Docker', 'dockerSocket');

describe('berth up without an engine', () => {
  let berth: Berth;
  let dir: string;
  const missing = join(tmpdir(), 'berth-compose-no-engine', 'podman.sock');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-compose-missing-'));
    await copyFile(COMPOSE, join(dir, 'docker-compose.yml'));
    berth = await startBerth({ env: { BERTH_CONTAINER_SOCKET: missing } });
  });
  afterAll(async () => {
    await berth?.teardown();
    await rm(dir, { recursive: true, force: true });
  });

  it('says the engine is not running, naming the socket and the service', async () => {
    const imported = await berth.cli(['import', join(dir, 'docker-compose.yml'), '--defaults'], {
      env: { API_TOKEN: 'tok-123' },
    });
    expect(imported.code, imported.stderr).toBe(0);
    const applied = await sh([join(dir, 'berth.config.sh'), '--env', 'local'], {
      BERTH_HOME: berth.home,
      BERTH: `${process.execPath} ${CLI}`,
    });
    expect(applied.code, applied.stderr).toBe(0);
    const up = await berth.cli(['up', dir, '-d']);
    expect(up.code).not.toBe(0);
    const said = `${up.stdout}\n${up.stderr}`;
    // The first services of the order (redis and db, no dependencies) are what it cannot start.
    expect(said).toMatch(/\b(redis|db)\b/);
    expect(said).toContain(`no container engine is running: none of ${missing} exists`);
  }, 60_000);
});
