/**
 * Imports every compose file under testdata/ and checks three things for each: the berth.yaml loads
 * with parseSpec (loaded again from the text, not trusted from the result), the fields that matter
 * were mapped, and the report says what was mapped, changed or not mapped, and why.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseSpec } from '../spec/load.js';
import { importCompose } from './importCompose.js';
import type { ImportInput, ImportResult } from './importCompose.js';
import type { ReportEntry } from './report.js';

const TESTDATA = path.join(import.meta.dirname, 'testdata');
const fixture = (p: string) => path.join(TESTDATA, p);

async function run(file: string, opts: Partial<ImportInput> = {}): Promise<ImportResult> {
  const result = await importCompose({ file: fixture(file), environment: {}, ...opts });
  // What would be written must load on its own.
  const again = parseSpec(result.specText, path.join(path.dirname(fixture(file)), 'berth.yaml'));
  expect(again.digest).toBe(result.spec.digest);
  expect(result.specText.startsWith(`# imported from ${path.basename(file)}`)).toBe(true);
  return result;
}

/** The one report entry for a compose key (and target, when several entries share the key). */
function entry(r: ImportResult, key: string, to?: string): ReportEntry {
  const found = r.report.filter((e) => e.key === key && (to === undefined || e.to === to));
  if (found.length !== 1) throw new Error(`expected one entry for ${key} ${to ?? ''}, got ${JSON.stringify(found)}`);
  return found[0]!;
}

async function problemsOf(p: Promise<unknown>): Promise<string[]> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).problems.map(
    (x) => `${path.basename(x.file ?? '')}:${x.line}:${x.column} ${x.path}: ${x.message}`,
  );
}

describe('classic web + postgres + redis', () => {
  it('maps services, env into the config set, service addresses and secrets', async () => {
    const r = await run('classic/docker-compose.yml');
    const { spec } = r.spec;
    expect(spec.name).toBe('classic');
    expect(Object.keys(spec.services)).toEqual(['web', 'db', 'redis']);
    const web = spec.services.web!;
    expect(web.image).toBe('shop/web:1.4');
    expect(web.command).toEqual(['node', 'server.js', '--port', '3000']);
    expect(web.ports).toEqual([{ name: 'http', port: 3000, protocol: 'TCP', appProtocol: 'http' }]);
    expect(web.dependsOn).toEqual(['db', 'redis']);
    expect(web.env).toMatchObject({
      NODE_ENV: '${NODE_ENV}',
      LOG_LEVEL: '${LOG_LEVEL}',
      SESSION_SECRET: '${SESSION_SECRET}',
      REDIS_URL: 'redis://${REDIS_HOST}:${REDIS_PORT}/0',
      DATABASE_URL: 'postgres://shop:${POSTGRES_PASSWORD}@${DB_HOST}:${DB_PORT}/shop',
    });
    // db and redis declare no ports in compose; web reaches them at 5432 and 6379.
    expect(spec.services.db!.ports.map((p) => p.port)).toEqual([5432]);
    expect(spec.services.redis!.ports.map((p) => p.port)).toEqual([6379]);
    expect(spec.services.redis!.command).toEqual(['redis-server', '--appendonly', 'yes']);
    expect(spec.variables.POSTGRES_PASSWORD).toEqual({ secret: true });
    expect(spec.variables.SESSION_SECRET).toEqual({ secret: true });
    expect(spec.variables.NODE_ENV).toEqual({ secret: false });
    expect(r.specText).not.toContain('s3cret');
    expect(r.specText).not.toContain('keyboard-cat');

    const values = Object.fromEntries(r.variables.map((v) => [v.name, v.value]));
    expect(values).toEqual({
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      POSTGRES_DB: 'shop',
      POSTGRES_PASSWORD: 's3cret',
      POSTGRES_USER: 'shop',
      SESSION_SECRET: 'keyboard-cat',
    });
    expect(r.configScript).toContain(
      "--secret -m 'imported from docker-compose.yml' \"$@\" -- \\\n  'POSTGRES_PASSWORD=s3cret'",
    );

    expect(entry(r, 'services.web.ports.0')).toMatchObject({ status: 'changed', line: 7, column: 9 });
    expect(entry(r, 'services.web.ports.0').reason).toContain('published on host port 8080');
    expect(entry(r, 'services.web.environment.SESSION_SECRET').reason).toContain('secret (the name contains SECRET)');
    expect(entry(r, 'services.web.environment.DATABASE_URL').reason).toContain('password inside the URL');
    expect(entry(r, 'services.web.depends_on.0').reason).toContain('`service_started` becomes stricter');
    expect(entry(r, 'services.web.networks')).toMatchObject({ status: 'unmapped' });
    expect(entry(r, 'services.web.labels')).toMatchObject({ status: 'unmapped' });
    expect(entry(r, 'services.db.volumes.0')).toMatchObject({ status: 'mapped', to: 'services.db.volumes' });
    expect(spec.volumes).toEqual({ pgdata: {} });
    expect(spec.services.db!.volumes).toEqual([
      { volume: 'pgdata', path: '/var/lib/postgresql/data', env: 'PGDATA', readOnly: false },
    ]);
    expect(entry(r, 'services.db', 'services.db.ports').reason).toMatch(/port 5432 added: reached by web/);
    expect(entry(r, 'volumes.pgdata')).toMatchObject({ status: 'mapped', to: 'volumes.pgdata', line: 35, column: 3 });
  });
});

describe('--defaults', () => {
  it('writes plain values as variable defaults and keeps secrets in the config set', async () => {
    const r = await run('classic/docker-compose.yml', { defaults: true });
    expect(r.spec.spec.variables.NODE_ENV).toEqual({ default: 'production', secret: false });
    expect(r.spec.spec.variables.POSTGRES_PASSWORD).toEqual({ secret: true });
    expect(r.configScript).not.toContain('NODE_ENV');
    expect(r.configScript).toContain("'POSTGRES_PASSWORD=s3cret'");
  });
});

describe('build, healthchecks and depends_on conditions', () => {
  it('maps build to image and cwd, keeps entrypoint and command, and turns healthchecks into probes', async () => {
    const r = await run('build-health/docker-compose.yml');
    const { spec } = r.spec;
    const dir = fixture('build-health');
    const api = spec.services.api!;
    expect(spec.name).toBe('orders');
    expect(api.image).toBe('orders-api');
    expect(api.entrypoint).toEqual(['node']);
    expect(api.command).toEqual(['server.js', '--port', '8080']);
    expect(api.cwd).toBe(path.join(dir, 'api'));
    expect(api.health.readiness).toMatchObject({
      kind: 'http',
      path: '/healthz',
      periodMs: 5000,
      timeoutMs: 2000,
      failureThreshold: 5,
      initialDelayMs: 0,
    });
    expect(api.health.readiness).not.toHaveProperty('port');
    expect(api.health.liveness).toBeUndefined();
    expect(api.dependsOn).toEqual(['db', 'cache', 'migrate']);

    const worker = spec.services.worker!;
    expect(worker.image).toBe('registry.example.com/orders/worker:2.0');
    expect(worker.cwd).toBe(path.join(dir, 'worker'));
    expect(worker.health.readiness).toMatchObject({
      kind: 'exec',
      command: ['/bin/sh', '-c', 'python check.py --quick'],
      periodMs: 90_000,
      timeoutMs: 30_000,
      failureThreshold: 3,
    });
    expect(spec.services.db!.health.readiness).toMatchObject({
      kind: 'exec',
      command: ['pg_isready', '-U', 'orders'],
      timeoutMs: 500,
    });
    expect(spec.services.cache!.health.readiness).toBeUndefined();

    expect(entry(r, 'services.api.build', 'services.api.image').reason).toContain(
      '`orders-api` (the name compose gives it)',
    );
    expect(entry(r, 'services.api.entrypoint')).toMatchObject({ status: 'mapped', to: 'services.api.entrypoint' });
    expect(entry(r, 'services.api.command').reason).toContain('the arguments of `entrypoint`');
    expect(entry(r, 'services.api.depends_on.db')).toMatchObject({ status: 'mapped', to: 'services.api.dependsOn' });
    expect(entry(r, 'services.api.depends_on.cache').status).toBe('changed');
    // Waiting for migrate to finish makes migrate a job.
    expect(entry(r, 'services.api.depends_on.migrate')).toMatchObject({ status: 'mapped', line: 19 });
    expect(entry(r, 'services.api.depends_on.migrate').reason).toContain('`migrate` becomes `kind: job`');
    expect(spec.services.migrate!.kind).toBe('job');
    expect(entry(r, 'services.migrate', 'services.migrate.kind').status).toBe('changed');
    expect(entry(r, 'services.api.healthcheck').reason).toContain('became an `http` probe');
    expect(entry(r, 'services.migrate.restart')).toMatchObject({ status: 'mapped', to: 'services.migrate.kind' });
    expect(entry(r, 'services.cache.healthcheck').reason).toBe(
      'disabled: no probes (what berth.yaml means without `health`)',
    );
  });

  it('adds liveness probes that wait out start_period with --liveness', async () => {
    const r = await run('build-health/docker-compose.yml', { liveness: true });
    expect(r.spec.spec.services.api!.health.liveness).toMatchObject({
      kind: 'http',
      initialDelayMs: 20_000,
      periodMs: 5000,
    });
    expect(r.spec.spec.services.api!.health.readiness).toMatchObject({ initialDelayMs: 0 });
  });
});

describe('deploy: replicas, resources, update_config, restart policies', () => {
  it('converts units and rolling parameters', async () => {
    const r = await run('deploy/docker-compose.yml');
    const { api, worker, batch } = r.spec.spec.services;
    expect(api!.replicas).toBe(4);
    expect(api!.resources).toEqual({
      cpuLimitMillis: 1500,
      memoryLimitBytes: 512 * 2 ** 20,
      cpuRequestMillis: 250,
      memoryRequestBytes: 128 * 2 ** 20,
    });
    expect(api!.rollout).toMatchObject({ maxSurge: 2, maxUnavailable: 0 });
    expect(api!.restart).toMatchObject({ initialBackoffMs: 5000, resetAfterMs: 120_000 });
    expect(api!.terminationGracePeriodMs).toBe(90_000);
    expect(worker!.resources).toEqual({
      cpuLimitMillis: 500,
      memoryLimitBytes: 2 ** 30,
      memoryRequestBytes: 256 * 2 ** 20,
    });
    expect(worker!.rollout).toMatchObject({ maxSurge: 0, maxUnavailable: '100%' });
    expect(batch!.replicas).toBe(3);
    expect(batch!.rollout).toMatchObject({ maxSurge: 0, maxUnavailable: 1 });

    expect(entry(r, 'services.api.deploy.resources.limits.memory').reason).toContain(
      "Docker's binary units: written as `512Mi`",
    );
    expect(entry(r, 'services.api.deploy.update_config.order').reason).toContain(
      'start-first, parallelism 2 → maxSurge 2, maxUnavailable 0',
    );
    for (const k of [
      'update_config.delay',
      'update_config.failure_action',
      'restart_policy.max_attempts',
      'placement',
      'resources.limits.pids',
    ])
      expect(entry(r, `services.api.deploy.${k}`).status).toBe('unmapped');
    expect(entry(r, 'services.worker.deploy.mode')).toMatchObject({
      status: 'mapped',
      to: 'services.worker.placement',
    });
    expect(r.spec.spec.services.worker!.placement).toBe('perNode');
    expect(entry(r, 'services.batch.restart').status).toBe('changed');
    expect(entry(r, 'services.batch.scale')).toMatchObject({ status: 'mapped', to: 'services.batch.replicas' });
  });
});

describe('x- extension fields, anchors and merge keys', () => {
  it('expands anchors and merge keys like compose and reports positions inside the anchors', async () => {
    const r = await run('anchors/docker-compose.yml');
    const { api, worker, cron } = r.spec.spec.services;
    expect(api!.env).toEqual({ LOG_LEVEL: '${LOG_LEVEL}', REGION: '${REGION}' });
    expect(api!.health.readiness).toMatchObject({ kind: 'exec', command: ['true'], periodMs: 2000 });
    expect(api!.resources.memoryLimitBytes).toBe(256 * 2 ** 20);
    // worker's own `deploy` replaces the merged one (a merge is shallow), and its LOG_LEVEL wins.
    expect(worker!.replicas).toBe(2);
    expect(worker!.resources).toEqual({});
    expect(worker!.env).toEqual({ LOG_LEVEL: '${WORKER_LOG_LEVEL}', REGION: '${REGION}', QUEUE: '${QUEUE}' });
    expect(cron!.env.LOG_LEVEL).toBe('${LOG_LEVEL}');
    expect(Object.fromEntries(r.variables.map((v) => [v.name, v.value]))).toEqual({
      LOG_LEVEL: 'debug',
      QUEUE: 'jobs',
      REGION: 'eu-west-1',
      WORKER_LOG_LEVEL: 'warn',
    });

    expect(entry(r, 'x-logging')).toMatchObject({ status: 'ignored', line: 2 });
    expect(entry(r, 'services.api.x-owner').status).toBe('ignored');
    expect(entry(r, 'services.api.logging')).toMatchObject({ status: 'unmapped', line: 3 });
    expect(entry(r, 'services.worker.environment.LOG_LEVEL').reason).toContain('other values in other services');
    expect(entry(r, 'version').status).toBe('ignored');
    // `restart: !reset` removes the merged restart policy.
    expect(r.report.some((e) => e.key === 'services.cron.restart')).toBe(false);
    expect(entry(r, 'services.api.restart').status).toBe('mapped');
  });
});

describe('configs and secrets', () => {
  it('turns configs into files and secrets into secret variables written as files', async () => {
    const r = await run('configs-secrets/docker-compose.yml', { environment: { API_TOKEN: 'tok-123' } });
    const { proxy, api } = r.spec.spec.services;
    expect(proxy!.files).toEqual([
      {
        path: 'etc/nginx/conf.d/default.conf',
        content: expect.stringContaining('proxy_pass http://api:8080; set $$backend api;'),
        mountPath: '/etc/nginx/conf.d/default.conf',
      },
      // No target: compose mounts a config at /<name>, a secret at /run/secrets/<name>.
      { path: 'motd', content: 'Welcome to $$SHOP (price: 5$$)\n', mountPath: '/motd' },
    ]);
    expect(api!.files).toEqual([
      { path: 'secrets/db_password', content: '${DB_PASSWORD}', mountPath: '/run/secrets/db_password' },
      // A relative secret target is under /run/secrets, as in compose.
      { path: 'secrets/token.txt', content: '${API_TOKEN}', mountPath: '/run/secrets/token.txt' },
      { path: 'etc/tls/key.pem', content: '${TLS_KEY}', mountPath: '/etc/tls/key.pem' },
    ]);
    expect(r.spec.spec.variables.TLS_KEY).toMatchObject({ secret: true });
    const byName = Object.fromEntries(r.variables.map((v) => [v.name, v]));
    expect(byName.DB_PASSWORD).toMatchObject({ value: 'hunter2\n', secret: true });
    expect(byName.API_TOKEN).toMatchObject({ value: 'tok-123', secret: true });
    expect(byName.TLS_KEY!.value).toContain('BEGIN PRIVATE KEY');
    expect(r.specText).not.toContain('hunter2');
    expect(r.specText).not.toContain('MIIBVQ');
    expect(r.configScript).toContain("'TLS_KEY=-----BEGIN PRIVATE KEY-----\nMIIBVQ\n-----END PRIVATE KEY-----\n'");

    expect(entry(r, 'services.proxy.configs.0').reason).toContain(
      'written to $BERTH_CONFIG_DIR/etc/nginx/conf.d/default.conf and mounted read-only at /etc/nginx/conf.d/default.conf, where compose put it',
    );
    // The services run as containers: nothing says they must read their files elsewhere.
    expect(r.report.filter((e) => e.reason.includes('must read it'))).toEqual([]);
    expect(entry(r, 'services.proxy.configs.0.mode').status).toBe('unmapped');
    expect(entry(r, 'services.api.secrets.0').reason).toContain('secret variable DB_PASSWORD');
    expect(entry(r, 'services.api.secrets.2.uid').status).toBe('unmapped');
    expect(entry(r, 'services.api.configs.0').reason).toContain('external config');
    expect(entry(r, 'configs.unused').status).toBe('ignored');
    expect(entry(r, 'secrets.db_password').reason).toBe('used by api: see each service');
  });

  it('fails with the position of a secret whose environment variable is not set', async () => {
    expect(await problemsOf(run('configs-secrets/docker-compose.yml'))).toEqual([
      'docker-compose.yml:36:18 secrets.api_token.environment: environment variable `API_TOKEN` is not set',
    ]);
  });
});

describe('env_file, .env and interpolation', () => {
  it('interpolates from .env beside the file, with defaults, $$ and env files', async () => {
    const r = await run('env-interp/docker-compose.yml', { environment: { GREETING: 'from the shell' } });
    const { web, db } = r.spec.spec.services;
    expect(web!.image).toBe('shop/web:1.2.3');
    expect(db!.image).toBe('postgres:16');
    expect(web!.replicas).toBe(3);
    expect(web!.command).toEqual(['sh', '-c', 'echo $$HOME && exec web --workers 4']);
    const values = Object.fromEntries(r.variables.map((v) => [v.name, v.value]));
    expect(values).toMatchObject({
      CACHE_TTL: '60',
      MULTI: 'line one\nline two',
      GREETING: 'from the shell',
      EMPTY_DEFAULT: 'fallback',
      UNSET_PLAIN: 'xy',
      API_KEY: 'k-$notvar',
      POSTGRES_PASSWORD: 'pa ss#word',
    });
    expect(values.FROM_SHELL).toBeUndefined();
    expect(r.variables.find((v) => v.name === 'API_KEY')!.secret).toBe(true);
    expect(entry(r, 'services.web.env_file.0.CACHE_TTL').reason).toContain('(./web.env:2)');
    expect(entry(r, 'services.web.env_file.1')).toMatchObject({ status: 'ignored' });
    // A note on the value, which went where the value's own entry says.
    expect(
      r.report.find((e) => e.key === 'services.web.environment.UNSET_PLAIN' && e.to === undefined)!.reason,
    ).toContain('`${NOWHERE}` is not set');
    expect(entry(r, 'services.web.environment.FROM_SHELL').reason).toContain('has no value');
    expect(r.configScript).toContain('# $BERTH config set --app env-interp "$@" -- \'FROM_SHELL=...\'');
  });

  it('takes --env-file instead of .env, and a bare key from the environment', async () => {
    const r = await run('env-interp/docker-compose.yml', {
      envFile: fixture('env-interp/prod.env'),
      environment: { FROM_SHELL: 'yes' },
    });
    expect(r.spec.spec.services.web!.image).toBe('shop/web:2.0.0');
    expect(r.spec.spec.services.web!.replicas).toBe(1);
    const values = Object.fromEntries(r.variables.map((v) => [v.name, v.value]));
    expect(values).toMatchObject({ FROM_SHELL: 'yes', POSTGRES_PASSWORD: 'prod-secret', API_KEY: 'prod-key' });
  });

  it('stops on ${VAR?error} with the position and the message', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-import-'));
    try {
      await writeFile(path.join(dir, '.env'), 'WEB_TAG=1\n');
      const text = (await import('node:fs/promises')).readFile(fixture('env-interp/docker-compose.yml'), 'utf8');
      await writeFile(path.join(dir, 'docker-compose.yml'), await text);
      await writeFile(path.join(dir, 'web.env'), 'A=1\n');
      expect(await problemsOf(importCompose({ file: path.join(dir, 'docker-compose.yml'), environment: {} }))).toEqual([
        'docker-compose.yml:21:12 services.db.image: required variable `PG_VERSION` is not set: set PG_VERSION in .env',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('long-form ports and volumes', () => {
  it('maps container ports, expands ranges, keeps UDP, and copies read-only file binds', async () => {
    const r = await run('ports-volumes/docker-compose.yml');
    const gw = r.spec.spec.services.gateway!;
    expect(gw.ports.map((p) => `${p.name}:${p.port}/${p.protocol}`)).toEqual([
      'web:8080/TCP',
      'port-9901:9901/TCP',
      'port-7000:7000/TCP',
      'port-7001:7001/TCP',
      'port-7002:7002/TCP',
      'port-6000:6000/UDP',
      'port-9000:9000/TCP',
      'port-9000-udp:9000/UDP',
      'port-9100:9100/TCP',
    ]);
    expect(gw.files).toEqual([
      {
        path: 'etc/envoy/envoy.yaml',
        content: 'static_resources: { listeners: [] }\n# cost: 5$$\n',
        mountPath: '/etc/envoy/envoy.yaml',
      },
      { path: 'app/app.properties', content: 'greeting=hello\n', mountPath: '/app/app.properties' },
    ]);
    expect(entry(r, 'services.gateway.ports.2').reason).toContain('the range became 3 ports');
    expect(entry(r, 'services.gateway.ports.3').reason).toContain('of ::1');
    expect(entry(r, 'services.gateway.ports.6').reason).toContain('7000 already listed');
    expect(entry(r, 'services.gateway.ports.7')).toMatchObject({
      status: 'unmapped',
      reason: 'protocol `sctp`: Berth ports are TCP or UDP',
    });
    expect(entry(r, 'services.gateway.ports.1.name').status).toBe('changed');
    expect(entry(r, 'services.gateway.volumes.1').reason).toContain('bind mount of the host path ./conf');
    expect(entry(r, 'services.gateway.volumes.3').status).toBe('unmapped');
    expect(entry(r, 'services.gateway.volumes.4').reason).toContain('named volume `cache`');
    expect(entry(r, 'services.gateway.volumes.5').reason).toContain('anonymous volume');
    expect(entry(r, 'services.gateway.volumes.6').reason).toContain('tmpfs at /run');
    expect(entry(r, 'services.gateway.tmpfs').status).toBe('unmapped');
  });
});

describe('a minimal, odd compose file', () => {
  it('renames services and the app, maps entrypoint alone, and reports the rest', async () => {
    const r = await run('minimal/compose.yaml');
    const { spec } = r.spec;
    expect(spec.name).toBe('odd-project-v2');
    expect(Object.keys(spec.services)).toEqual(['web-app', 'lives']);
    expect(spec.services['web-app']!.entrypoint).toEqual([
      'sh',
      '-c',
      'while true; do echo "$$(date) up"; sleep 5; done',
    ]);
    expect(spec.services['web-app']!.command).toBeUndefined();
    expect(spec.services['web-app']!.env).toEqual({
      EMPTY: '${EMPTY}',
      'spring.profiles.active': '${spring_profiles_active}',
      ONLY_KEY: '${ONLY_KEY}',
    });
    expect(spec.services.lives!.command).toBeUndefined();
    expect(entry(r, 'services.Web_App', 'services.web-app')).toMatchObject({ to: 'services.web-app' });
    expect(entry(r, 'services.9lives', 'services.lives').status).toBe('changed');
    for (const k of ['profiles', 'extends', 'privileged', 'cap_add', 'working_dir'])
      expect(entry(r, `services.Web_App.${k}`).status).toBe('unmapped');
    expect(entry(r, 'services.Web_App.environment.1').reason).toContain('variable names have only letters');
    expect(entry(r, 'services.9lives.container_name').status).toBe('unmapped');
  });

  it('takes the app name from --app', async () => {
    const r = await run('minimal/compose.yaml', { app: 'cats' });
    expect(r.spec.spec.name).toBe('cats');
  });

  it('refuses an app name Berth cannot use', async () => {
    expect(await problemsOf(run('minimal/compose.yaml', { app: 'Not_OK' }))).toEqual([
      'command line:undefined:undefined app: `Not_OK` is not an app name (lowercase letters, digits and `-`, at most 40)',
    ]);
  });
});

describe('invalid compose files', () => {
  it('reports broken YAML with file:line:col', async () => {
    expect(await problemsOf(run('invalid/broken.yml'))).toEqual([
      'broken.yml:6:1 : YAML syntax: All mapping items must start at the same column',
    ]);
  });

  it('reports every wrong type, unknown key and unknown service at once', async () => {
    expect(await problemsOf(run('invalid/types.yml'))).toEqual([
      'types.yml:4:12 services.web.ports: expected a list, got the number 8080',
      'types.yml:5:5 services.web.enviroment: unknown key `enviroment` (did you mean `environment`?)',
      'types.yml:8:17 services.web.deploy.replicas: expected a number, got the string "two"',
      'types.yml:9:18 services.web.depends_on.0: unknown service `dbb` (did you mean `db`?)',
      'types.yml:11:5 services.db.image: expected a string, got a list',
      'types.yml:13:16 services.db.healthcheck.retries: expected a number, got the string "many"',
    ]);
  });

  it('reports a missing env_file and a file that is not a map', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-import-'));
    dirs.push(dir);
    await mkdir(path.join(dir, 'a'));
    await writeFile(path.join(dir, 'a/compose.yml'), 'services:\n  web:\n    image: x\n    env_file: missing.env\n');
    expect(await problemsOf(importCompose({ file: path.join(dir, 'a/compose.yml'), environment: {} }))).toEqual([
      `compose.yml:4:15 services.web.env_file: env file missing.env does not exist (resolved to ${path.join(dir, 'a/missing.env')}); mark it \`required: false\` if it is optional`,
    ]);
    await writeFile(path.join(dir, 'list.yml'), '- a\n- b\n');
    expect(await problemsOf(importCompose({ file: path.join(dir, 'list.yml'), environment: {} }))).toEqual([
      'list.yml:1:1 : expected a map with `services` at the top level',
    ]);
  });
});

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
