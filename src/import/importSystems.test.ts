/**
 * Issue 13 point 8: a compose file of a real system (web, PostgreSQL with a migration before the
 * web, a seed task, Redis, memcached, nginx) imports into named volumes, jobs, TCP ports and
 * entrypoint/command/stopSignal; every fixture's berth.yaml, written to disk, loads with loadSpec;
 * and the report has an entry for every compose key of every service.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { loadSpec } from '../spec/load.js';
import { importCompose } from './importCompose.js';
import type { ImportResult } from './importCompose.js';
import type { ReportEntry } from './report.js';

const TESTDATA = path.join(import.meta.dirname, 'testdata');
const SYSTEMS = path.join(TESTDATA, 'systems', 'docker-compose.yml');
let out: string;
let r: ImportResult;

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'berth-import13-'));
  r = await importCompose({ file: SYSTEMS, environment: {} });
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

function entries(key: string, to?: string): ReportEntry[] {
  return r.report.filter((e) => e.key === key && (to === undefined || e.to === to));
}
function entry(key: string, to?: string): ReportEntry {
  const found = entries(key, to);
  if (found.length !== 1) throw new Error(`expected one entry for ${key} ${to ?? ''}, got ${JSON.stringify(found)}`);
  return found[0]!;
}

describe('named volumes', () => {
  it('become top-level volumes and { volume, path } mounts; bind mounts keep their handling', () => {
    const { spec } = r.spec;
    expect(spec.volumes).toEqual({ 'pg-data': {}, redisdata: {} });
    expect(spec.services.db!.volumes).toEqual([
      { volume: 'pg-data', path: '/var/lib/postgresql/data', env: 'PGDATA', readOnly: false },
    ]);
    expect(spec.services.redis!.volumes).toEqual([{ volume: 'redisdata', path: '/data', readOnly: false }]);
    // The read-only bind of one file is still a config file; the directory binds are dropped.
    expect(spec.services.redis!.files.map((f) => f.path)).toEqual(['usr/local/etc/redis/redis.conf']);
    expect(entry('services.db.volumes.0')).toMatchObject({ status: 'mapped', to: 'services.db.volumes', line: 28 });
    // postgres reads its data directory from PGDATA: on one machine it points at the volume.
    expect(entry('services.db.volumes.0').reason).toContain('and in PGDATA');
    expect(entry('services.db.volumes.1').reason).toContain('bind mount of the host path ./initdb');
    expect(entry('services.redis.volumes.2')).toMatchObject({ status: 'unmapped' });
    expect(entry('services.redis.volumes.2').reason).toContain('`redisdata` is already mounted at /data');
    expect(entry('volumes.pg_data')).toMatchObject({ status: 'changed', to: 'volumes.pg-data', line: 63 });
    expect(entry('volumes.redisdata').reason).toContain('external in compose');
    expect(entry('volumes.unused')).toMatchObject({ status: 'ignored', reason: 'no service mounts it' });
  });

  it('reports a healthcheck whose script lived on a dropped bind mount, naming the mount', () => {
    const e = entry('services.db.healthcheck.test');
    expect(e).toMatchObject({ status: 'unmapped', line: 32 });
    expect(e.reason).toContain('runs /healthchecks/postgres.sh');
    expect(e.reason).toContain('./healthchecks:/healthchecks (services.db.volumes.2)');
    // The comment above the service in berth.yaml names it too.
    expect(r.specText).toContain('# not mapped from docker-compose.yml: volumes.1, volumes.2, healthcheck.test');
  });
});

describe('an undeclared named volume', () => {
  it('is refused as compose refuses it, with file:line:col', async () => {
    const compose =
      'volumes:\n  pgdata:\nservices:\n  db:\n    image: postgres\n    volumes: [pgdat:/var/lib/postgresql/data]\n';
    const err = await importCompose({ file: path.join(out, 'undeclared.yml'), text: compose, environment: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      {
        file: path.join(out, 'undeclared.yml'),
        line: 6,
        column: 15,
        path: 'services.db.volumes.0',
        message: 'unknown volume `pgdat` (define it under the top-level `volumes`) (did you mean `pgdata`?)',
      },
    ]);
  });
});

describe('jobs', () => {
  it('makes service_completed_successfully dependencies and never-restarted tasks jobs, with backoffLimit', () => {
    const { migrate, seed, web, proxy } = r.spec.spec.services;
    expect(migrate!.kind).toBe('job');
    expect(migrate!.backoffLimit).toBe(3);
    expect(entry('services.migrate.restart')).toMatchObject({ status: 'mapped', to: 'services.migrate.backoffLimit' });
    expect(entry('services.migrate', 'services.migrate.kind').reason).toContain(
      'web waits for it to finish (`service_completed_successfully`)',
    );
    expect(seed!.kind).toBe('job');
    expect(seed!.backoffLimit).toBeUndefined();
    expect(seed!.replicas).toBe(1);
    expect(entry('services.seed', 'services.seed.kind').reason).toContain('`restart: "no"` and a command of its own');
    expect(entry('services.seed.deploy.replicas')).toMatchObject({ status: 'unmapped' });
    // service_healthy and service_started stay dependsOn; the job is one too.
    expect(web!.kind).toBeUndefined();
    expect(web!.dependsOn).toEqual(['db', 'migrate', 'redis']);
    expect(entry('services.web.depends_on.db').status).toBe('mapped');
    // restart: "no" on a server (ports, the image's own command) stays a service, with the reason.
    expect(proxy!.kind).toBeUndefined();
    expect(entry('services.proxy.restart').reason).toMatch(/stays a service \(.*it listens on ports\)/);
    for (const name of ['db', 'redis', 'cache']) expect(r.spec.spec.services[name]!.kind).toBeUndefined();
  });

  it('maps on-failure and max_attempts to backoffLimit, and says a plain depends_on of a job waits for it', async () => {
    const compose = [
      'services:',
      '  a: { image: x, command: [a], restart: on-failure }',
      '  b: { image: x, command: [b], deploy: { restart_policy: { condition: on-failure, max_attempts: 5 } } }',
      '  c:',
      '    image: x',
      '    command: [c]',
      '    depends_on:',
      '      a: { condition: service_completed_successfully }',
      '      b: { condition: service_completed_successfully }',
      '  seed: { image: x, command: [seed], restart: "no" }',
      '  once: { image: x, command: [once], deploy: { restart_policy: { condition: none } } }',
      '  d: { image: x, command: [d], depends_on: [seed] }',
      '',
    ].join('\n');
    const res = await importCompose({ file: path.join(out, 'retries.yml'), text: compose, environment: {} });
    expect(res.spec.spec.services.a).toMatchObject({ kind: 'job', backoffLimit: 6 });
    expect(res.spec.spec.services.b).toMatchObject({ kind: 'job', backoffLimit: 5 });
    expect(res.report.find((e) => e.key === 'services.a.restart')!.reason).toContain("6 times (Kubernetes' default)");
    expect(res.report.find((e) => e.key === 'services.b.deploy.restart_policy.condition')).toMatchObject({
      status: 'mapped',
      to: 'services.b.backoffLimit',
    });
    expect(res.spec.spec.services.once!.kind).toBe('job');
    expect(res.report.find((e) => e.key === 'services.once.deploy.restart_policy.condition')).toMatchObject({
      status: 'mapped',
      to: 'services.once.kind',
    });
    // A plain depends_on of a one-shot task waits for it to finish: the report says so.
    expect(res.spec.spec.services.seed!.kind).toBe('job');
    expect(res.spec.spec.services.d!.dependsOn).toEqual(['seed']);
    expect(res.report.find((e) => e.key === 'services.d.depends_on.0')).toMatchObject({
      status: 'changed',
      reason: expect.stringContaining(
        "`seed` is a one-shot task (`kind: job`): Berth deploys this service after it has finished successfully, where compose's `service_started` only waits for it to start",
      ),
    });
  });
});

describe('ports of services others reach by host name', () => {
  it('adds the image port and marks non-HTTP ports appProtocol tcp; env values use the discovery variables', () => {
    const { db, redis, cache, web, proxy } = r.spec.spec.services;
    expect(db!.ports).toEqual([{ name: 'http', port: 5432, protocol: 'TCP', appProtocol: 'tcp' }]);
    expect(redis!.ports).toEqual([{ name: 'http', port: 6379, protocol: 'TCP', appProtocol: 'tcp' }]);
    // memcached is reached only as CACHE_HOST=cache: its port comes from its image.
    expect(cache!.ports).toEqual([{ name: 'http', port: 11211, protocol: 'TCP', appProtocol: 'tcp' }]);
    expect(entry('services.cache', 'services.cache.ports').reason).toContain(
      'port 11211 added (memcached, the port of the image memcached:1.6): reached by host name from web (CACHE_HOST=cache)',
    );
    expect(entry('services.db.image', 'services.db.ports.0.appProtocol').reason).toContain('no DB_URL');
    // HTTP servers keep the default.
    expect(web!.ports[0]!.appProtocol).toBe('http');
    expect(proxy!.ports[0]!.appProtocol).toBe('http');
    expect(web!.env).toMatchObject({
      DB_HOST: '${DB_HOST}',
      // 5432 beside DB_HOST=db is db's port: on one machine its address has another.
      DB_PORT: '${DB_PORT}',
      CACHE_HOST: '${CACHE_HOST}',
      REDIS_ADDR: '${REDIS_HOST}:${REDIS_PORT}',
      DATABASE_URL: 'postgres://shop:${POSTGRES_PASSWORD}@${DB_HOST}:${DB_PORT}/shop',
    });
    expect(r.spec.spec.variables).not.toHaveProperty('DB_PORT');
    expect(entry('services.web.environment.DB_PORT').reason).toContain('`5432` is the port of `db`');
    // The report never shows the password of the URL that named the service.
    expect(JSON.stringify(r.report)).not.toContain('s3cret');
  });

  it('knows ports by number, takes compose app_protocol, and reports a host name with no known port', async () => {
    const compose = [
      'services:',
      '  app: { image: shop/app, command: [app], environment: { MQ: "amqp://mq", SEARCH_HOST: search } }',
      '  mq: { image: shop/broker, ports: ["5672", "15672"] }',
      '  rabbit: { image: rabbitmq:3-management, ports: ["5672", "15672"] }',
      '  api: { image: shop/api, ports: [{ target: 9000, app_protocol: grpc }] }',
      '  search: { image: shop/search }',
      '',
    ].join('\n');
    const res = await importCompose({ file: path.join(out, 'numbers.yml'), text: compose, environment: {} });
    const { mq, api, search } = res.spec.spec.services;
    expect(mq!.ports.map((p) => `${p.port}:${p.appProtocol}`)).toEqual(['5672:tcp', '15672:tcp']);
    // rabbitmq's management UI is HTTP, though not its first port.
    expect(res.spec.spec.services.rabbit!.ports.map((p) => `${p.port}:${p.appProtocol}`)).toEqual([
      '5672:tcp',
      '15672:http',
    ]);
    expect(api!.ports[0]!.appProtocol).toBe('grpc');
    expect(search!.ports).toEqual([]);
    // SEARCH_HOST is search's discovery variable: its compose value goes in a variable of another name.
    expect(res.spec.spec.services.app!.env.SEARCH_HOST).toBe('${APP_SEARCH_HOST}');
    expect(Object.keys(res.spec.spec.variables)).not.toContain('SEARCH_HOST');
    expect(res.report.filter((e) => e.key === 'services.search').map((e) => e.reason)).toContainEqual(
      expect.stringContaining('reached by host name from app (SEARCH_HOST=search), but no port is known'),
    );
  });
});

describe('command, entrypoint and stopping', () => {
  it('keeps entrypoint and command apart, splits strings, maps stop_signal and stop_grace_period', () => {
    const { web, migrate, proxy } = r.spec.spec.services;
    expect(web!.entrypoint).toEqual(['node']);
    expect(web!.command).toEqual(['server.js', '--port', '3000']);
    expect(web!.stopSignal).toBe('SIGINT');
    expect(web!.terminationGracePeriodMs).toBe(45_000);
    expect(proxy!.stopSignal).toBe('SIGQUIT');
    expect(entry('services.web.stop_signal')).toMatchObject({ status: 'changed', to: 'services.web.stopSignal' });
    expect(entry('services.proxy.stop_signal')).toMatchObject({ status: 'mapped', to: 'services.proxy.stopSignal' });
    expect(entry('services.web.stop_grace_period').reason).toBe('SIGINT, then this long, then SIGKILL');
    // The quoted URL stays one word; the service address in it becomes discovery variables.
    expect(migrate!.command).toEqual([
      '-path',
      '/migrations',
      '-database',
      'postgres://shop@${DB_HOST}:${DB_PORT}/shop?sslmode=disable',
      'up',
    ]);
    expect(migrate!.entrypoint).toBeUndefined();
  });

  it('reports a stop signal Berth cannot send', async () => {
    const compose = 'services:\n  a: { image: x, command: [a], stop_signal: SIGKILL }\n';
    const res = await importCompose({ file: path.join(out, 'signal.yml'), text: compose, environment: {} });
    expect(res.spec.spec.services.a!.stopSignal).toBeUndefined();
    expect(res.report.find((e) => e.key === 'services.a.stop_signal')).toMatchObject({
      status: 'unmapped',
      reason: expect.stringContaining('`SIGKILL`: Berth stops a service with SIGTERM, SIGQUIT, SIGINT'),
    });
  });
});

describe('every fixture', () => {
  it('imports into a berth.yaml that loads from disk with loadSpec', async () => {
    const dirs = (await readdir(TESTDATA)).filter((d) => d !== 'invalid').sort();
    expect(dirs).toContain('systems');
    for (const d of dirs) {
      const files = (await readdir(path.join(TESTDATA, d))).filter((f) => /^(docker-)?compose\.ya?ml$/.test(f));
      expect(files, d).toHaveLength(1);
      const file = path.join(out, d, 'berth.yaml');
      // configs-secrets reads a secret from the environment, as compose does.
      const environment = { API_TOKEN: 'tok-123' };
      const res = await importCompose({ file: path.join(TESTDATA, d, files[0]!), outFile: file, environment });
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, res.specText);
      const loaded = await loadSpec(file);
      expect(loaded.digest, d).toBe(res.spec.digest);
    }
  });

  it('has a report entry for every key of every service of the systems fixture', () => {
    expect(Object.keys(r.spec.spec.services)).toEqual(['web', 'db', 'migrate', 'seed', 'redis', 'cache', 'proxy']);
    const compose = [
      [
        'web',
        ['build', 'entrypoint', 'command', 'ports', 'environment', 'depends_on', 'stop_signal', 'stop_grace_period'],
      ],
      ['db', ['image', 'environment', 'volumes', 'healthcheck']],
      ['migrate', ['image', 'command', 'restart', 'depends_on']],
      ['seed', ['image', 'command', 'restart', 'deploy']],
      ['redis', ['image', 'command', 'volumes', 'healthcheck']],
      ['cache', ['image']],
      ['proxy', ['image', 'ports', 'restart', 'stop_signal']],
    ] as const;
    for (const [svc, list] of compose)
      for (const k of list)
        expect(
          r.report.some((e) => e.key === `services.${svc}.${k}` || e.key.startsWith(`services.${svc}.${k}.`)),
          `services.${svc}.${k}`,
        ).toBe(true);
  });
});
