/**
 * Issue 14 point 4: a compose app made of images (web + api + migration + redis + postgres with a
 * named volume, healthchecks and depends_on conditions) imports into a berth.yaml whose services all
 * run as containers on one machine, with configs and secrets mounted where compose put them and the
 * published port routed by the edge; the report leaves nothing unmapped that would stop it running.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { importCompose } from './importCompose.js';
import type { ImportResult } from './importCompose.js';

const FILE = path.join(import.meta.dirname, 'testdata', 'containers', 'docker-compose.yml');
let r: ImportResult;

beforeAll(async () => {
  r = await importCompose({ file: FILE, environment: { API_TOKEN: 'tok-123' } });
});

describe('a compose app of images', () => {
  it('runs every service as a container: runAs where it has a command, the default rule elsewhere', () => {
    const { services } = r.spec.spec;
    const runAs = (s: string) => (services[s] as { runAs?: string }).runAs;
    expect(runAs('api')).toBe('container');
    expect(runAs('migrate')).toBe('container');
    for (const s of ['web', 'redis', 'db']) {
      expect(services[s]!.command).toBeUndefined();
      expect(services[s]!.image).toMatch(/^localhost\/berth-test\//);
    }
    // compose's meaning: command is the arguments of the image's entrypoint, entrypoint replaces it.
    expect(services.api!.command).toEqual(['node', '/app/app.js']);
    expect(services.migrate!.entrypoint).toEqual(['sh', '-c']);
    expect(services.migrate!.kind).toBe('job');
    for (const s of ['web', 'api', 'migrate', 'redis', 'db'])
      expect(r.report.find((e) => e.key === `services.${s}` && e.status === 'mapped')?.reason).toMatch(
        /^runs as a container of its image/,
      );
  });

  it('mounts configs and secrets where compose put them (target, or /run/secrets/<name>)', () => {
    const { services } = r.spec.spec;
    expect(services.web!.files).toEqual([
      { path: 'etc/notes/web.json', content: '{ "title": "Notes" }\n', mountPath: '/etc/notes/web.json' },
    ]);
    expect(services.api!.files).toEqual([
      { path: 'secrets/api_token', content: '${API_TOKEN}', mountPath: '/run/secrets/api_token' },
    ]);
    expect(r.report.find((e) => e.key === 'services.api.secrets.0')?.reason).toContain(
      'mounted read-only at /run/secrets/api_token, where compose put it',
    );
  });

  it('keeps the volume, the probes, the start order, the stop settings and the limits', () => {
    const { spec } = r.spec;
    const { web, api, redis, db } = spec.services;
    expect(spec.volumes).toEqual({ pgdata: {} });
    expect(db!.volumes).toEqual([
      { volume: 'pgdata', path: '/var/lib/postgresql/data', env: 'PGDATA', readOnly: false },
    ]);
    expect(db!.health.readiness).toMatchObject({
      kind: 'exec',
      command: ['/bin/sh', '-c', 'pg_isready -h 127.0.0.1 -U notes -d notes'],
    });
    expect(redis!.health.readiness).toMatchObject({ kind: 'exec', command: ['redis-cli', 'ping'] });
    expect(api!.health.readiness).toMatchObject({ kind: 'http', path: '/healthz' });
    expect(api!.dependsOn).toEqual(['db', 'redis', 'migrate']);
    expect(web!.dependsOn).toEqual(['api']);
    expect(db!.stopSignal).toBe('SIGINT');
    expect(db!.terminationGracePeriodMs).toBe(30_000);
    expect(api!.terminationGracePeriodMs).toBe(10_000);
    expect(db!.resources.memoryLimitBytes).toBe(512 * 2 ** 20);
    expect(web!.resources.cpuLimitMillis).toBe(500);
    expect(api!.env.DATABASE_URL).toBe('postgres://notes:${POSTGRES_PASSWORD}@${DB_HOST}:${DB_PORT}/notes');
  });

  it("routes the published port through the app's edge", () => {
    expect(r.spec.spec.routes).toEqual([{ path: '/', service: 'web', stripPrefix: false }]);
    expect(r.report.find((e) => e.key === 'services.web.ports.0')?.reason).toContain(
      "published on host port 8080 in compose: the app's edge routes `/` to it instead",
    );
  });

  it('reports every key of every service, and nothing unmapped or saying it cannot run on one machine', async () => {
    const compose = parse(await readFile(FILE, 'utf8')) as { services: Record<string, Record<string, unknown>> };
    for (const [name, svc] of Object.entries(compose.services))
      for (const key of Object.keys(svc))
        expect(
          r.report.some((e) => e.key === `services.${name}.${key}` || e.key.startsWith(`services.${name}.${key}.`)),
          `services.${name}.${key}`,
        ).toBe(true);
    expect(r.report.filter((e) => e.status === 'unmapped')).toEqual([]);
    expect(r.report.filter((e) => /clusters .*only|add a `command`|must read it/.test(e.reason))).toEqual([]);
  });
});

describe('a compose service built from source', () => {
  const text = (svc: string) => `services:\n  worker:\n${svc}`;

  it('without a command runs the image compose would build, and says to build it first', async () => {
    const built = await importCompose({
      file: path.join(path.dirname(FILE), 'docker-compose.yml'),
      text: text('    build: ./worker\n'),
      app: 'shop',
      environment: {},
    });
    expect(built.spec.spec.services.worker!.image).toBe('shop-worker');
    expect(built.report.find((e) => e.key === 'services.worker.build')).toMatchObject({
      status: 'changed',
      reason: expect.stringContaining(
        'Berth runs images and does not build them: build `shop-worker` (the name compose gives it) (`docker build -t shop-worker worker` or `podman build`) on this machine before `berth up`',
      ),
    });
  });

  it('with a command keeps running it as a process from the build context (issue 13)', async () => {
    const built = await importCompose({
      file: path.join(path.dirname(FILE), 'docker-compose.yml'),
      text: text('    build: .\n    command: node worker.js\n'),
      app: 'shop',
      environment: {},
    });
    const worker = built.spec.spec.services.worker as { runAs?: string; cwd?: string };
    expect(worker.runAs).toBeUndefined();
    expect(worker.cwd).toBe(path.dirname(FILE));
    expect(built.report.find((e) => e.key === 'services.worker' && e.status === 'changed')?.reason).toBe(
      'runs its command as a process on one machine (built from source), and from its image on clusters',
    );
  });
});

describe('a config compose puts where Berth cannot mount it', () => {
  it('is written under $BERTH_CONFIG_DIR without a mountPath, and the report says why', async () => {
    const r2 = await importCompose({
      file: FILE,
      text: [
        'services:',
        '  web:',
        '    image: nginx:1.27',
        '    configs:',
        '      - { source: site, target: /etc/berth/config/site.conf }',
        '      - { source: site, target: /etc/nginx/site.conf }',
        '      - { source: other, target: /etc/nginx/site.conf }',
        'configs:',
        '  site: { content: "server {}" }',
        '  other: { content: "x" }',
      ].join('\n'),
      environment: {},
    });
    expect(r2.spec.spec.services.web!.files).toEqual([
      { path: 'etc/berth/config/site.conf', content: 'server {}' },
      { path: 'etc/nginx/site.conf', content: 'server {}', mountPath: '/etc/nginx/site.conf' },
    ]);
    expect(r2.report.find((e) => e.key === 'services.web.configs.0')?.reason).toContain(
      'not mounted where compose put it (/etc/berth/config/site.conf is inside the config directory /etc/berth/config',
    );
    // The same target twice: the second is the same file path too, so it is not written at all.
    expect(r2.report.find((e) => e.key === 'services.web.configs.2')).toMatchObject({ status: 'unmapped' });
  });
});
