/** Loading berth.yaml that is valid: normalised fields, positions, digests, anchors, files on disk. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../errors.js';
import { loadSpec, parseSpec } from './load.js';
import { parsePlainYaml } from './plainYaml.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');

describe('loadSpec of a valid spec', () => {
  it('normalises every field', async () => {
    const dir = path.join(testdata, 'shop');
    const loaded = await loadSpec(dir);
    expect(loaded.file).toBe(path.join(dir, 'berth.yaml'));
    expect(loaded.dir).toBe(dir);
    expect(loaded.digest).toMatch(/^[0-9a-f]{64}$/);
    const { spec } = loaded;
    expect(spec.name).toBe('shop');
    expect(spec.description).toBe('A small shop');
    expect(spec.variables).toEqual({
      LOG_LEVEL: { default: 'info', description: 'log level of every service', secret: false },
      DB_PASSWORD: { description: 'password of the orders database', secret: true },
      USER_NAME: { secret: false },
      REPLICA_HINT: { default: '2', secret: false },
    });
    expect(spec.services.web).toEqual({
      command: ['/bin/sh', '-c', 'node server.js'],
      cwd: path.join(dir, 'web'),
      image: 'shop/web:1.0',
      env: { GREETING: 'hello ${USER_NAME:-world}', ORDERS: '${ORDERS_URL}/api', WORKERS: '4' },
      ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
      files: [{ path: 'app.conf', content: 'level=${LOG_LEVEL}\n' }],
      volumes: [],
      replicas: 2,
      dependsOn: ['orders'],
      health: {
        readiness: {
          kind: 'http',
          path: '/healthz',
          port: 8080,
          initialDelayMs: 90_000,
          periodMs: 5000,
          timeoutMs: 500,
          failureThreshold: 3,
          successThreshold: 1,
        },
        liveness: {
          kind: 'tcp',
          initialDelayMs: 0,
          periodMs: 10_000,
          timeoutMs: 1000,
          failureThreshold: 3,
          successThreshold: 1,
        },
      },
      resources: {
        cpuRequestMillis: 100,
        cpuLimitMillis: 1000,
        memoryRequestBytes: 64 * 2 ** 20,
        memoryLimitBytes: 256 * 2 ** 20,
      },
      terminationGracePeriodMs: 45_000,
      rollout: { maxSurge: 1, maxUnavailable: '0%', progressDeadlineMs: 120_000 },
      restart: { initialBackoffMs: 1000, maxBackoffMs: 60_000, resetAfterMs: 3_600_000 },
      strategy: { type: 'rolling' },
    });
    expect(spec.services.orders).toEqual({
      command: ['node', 'orders.js', '--db-password', '${DB_PASSWORD}'],
      cwd: dir,
      env: {},
      ports: [
        { name: 'api', port: 9090, protocol: 'TCP', appProtocol: 'http' },
        { name: 'port-9091', port: 9091, protocol: 'UDP' },
      ],
      files: [],
      volumes: [],
      replicas: 1,
      dependsOn: ['inventory'],
      health: {
        liveness: {
          kind: 'exec',
          command: ['cat', '/tmp/ok'],
          initialDelayMs: 0,
          periodMs: 10_000,
          timeoutMs: 1000,
          failureThreshold: 5,
          successThreshold: 1,
        },
      },
      resources: { cpuLimitMillis: 500, memoryLimitBytes: 1e9 },
      terminationGracePeriodMs: 30_000,
      rollout: { maxSurge: '25%', maxUnavailable: '25%', progressDeadlineMs: 600_000 },
      restart: { initialBackoffMs: 10_000, maxBackoffMs: 300_000, resetAfterMs: 600_000 },
      strategy: { type: 'rolling' },
    });
    // Image-only: no cwd, every default filled.
    expect(spec.services.inventory).toEqual({
      image: 'shop/inventory:2.3',
      env: {},
      ports: [],
      files: [],
      volumes: [],
      replicas: 1,
      dependsOn: [],
      health: {},
      resources: {},
      terminationGracePeriodMs: 30_000,
      rollout: { maxSurge: '25%', maxUnavailable: '25%', progressDeadlineMs: 600_000 },
      restart: { initialBackoffMs: 10_000, maxBackoffMs: 300_000, resetAfterMs: 600_000 },
      strategy: { type: 'rolling' },
    });
    expect(spec.routes).toEqual([
      { path: '/api', service: 'orders', host: 'shop.local', stripPrefix: true },
      { path: '/', service: 'web', stripPrefix: false },
    ]);
  });

  it('gives positions of values, of keys for maps and lists, and of the nearest ancestor', async () => {
    const loaded = await loadSpec(path.join(testdata, 'shop', 'berth.yaml'));
    expect(loaded.positionOf(['name'])).toEqual({ line: 1, column: 7 });
    expect(loaded.positionOf(['services', 'web'])).toEqual({ line: 9, column: 3 });
    expect(loaded.positionOf(['services', 'web', 'env', 'GREETING'])).toEqual({ line: 13, column: 22 });
    expect(loaded.positionOf(['services', 'orders', 'command', 3])).toEqual({ line: 27, column: 47 });
    // command was a string, normalised to argv: the position is the string's.
    expect(loaded.positionOf(['services', 'web', 'command', 2])).toEqual({ line: 10, column: 14 });
    expect(loaded.positionOf(['routes', 1, 'service'])).toEqual({ line: 37, column: 16 });
  });

  it('loads a plain file fast with the same result as the full parse, positions looked up on demand', async () => {
    const file = path.join(testdata, 'shop', 'berth.yaml');
    const text = await readFile(file, 'utf8');
    expect(parsePlainYaml(text)).toBeDefined();
    const fast = parseSpec(text, file);
    // A directive sends the same document down the full path (the yaml library, with positions).
    const full = parseSpec(`%YAML 1.2\n---\n${text}`, file);
    expect(parsePlainYaml(`%YAML 1.2\n---\n${text}`)).toBeUndefined();
    expect(fast.spec).toEqual(full.spec);
    expect(fast.digest).toBe(full.digest);
    expect(fast.positionOf(['services', 'web', 'env', 'GREETING'])).toEqual({ line: 13, column: 22 });
    expect(full.positionOf(['services', 'web', 'env', 'GREETING'])).toEqual({ line: 15, column: 22 });
  });

  it('digests the normalised spec: formatting does not matter, content does', () => {
    const a = parseSpec('name: a\nservices:\n  web: { image: x, replicas: 1 }\n', '/tmp/x/berth.yaml');
    const b = parseSpec('# same app\nname: a\nservices:\n  web:\n    image: "x"\n', '/tmp/x/berth.yaml');
    const c = parseSpec('name: a\nservices:\n  web: { image: x, replicas: 2 }\n', '/tmp/x/berth.yaml');
    expect(a.digest).toBe(b.digest);
    expect(a.digest).not.toBe(c.digest);
  });

  it('follows anchors and merge keys, and positions merged values at their source', () => {
    const text = [
      'name: a',
      'services:',
      '  web: &base',
      '    image: x',
      '    replicas: 3',
      '  api:',
      '    <<: *base',
      '    image: y',
    ].join('\n');
    const loaded = parseSpec(text, 'berth.yaml');
    expect(loaded.spec.services.api).toMatchObject({ image: 'y', replicas: 3 });
    expect(loaded.positionOf(['services', 'api', 'image'])).toEqual({ line: 8, column: 12 });
    expect(loaded.positionOf(['services', 'api', 'replicas'])).toEqual({ line: 5, column: 15 });
  });

  it('resolves cwd against the file folder, leaving a leading variable for the renderer', () => {
    const text = [
      'name: a',
      'variables: { APP_HOME: /srv }',
      'services:',
      '  a: { command: x, cwd: ../a }',
      '  b: { command: x, cwd: /srv/b }',
      '  c: { command: x, cwd: "${APP_HOME}/c" }',
      '  d: { command: x, cwd: "./d/${SUB:-x}" }',
    ].join('\n');
    const s = parseSpec(text, '/tmp/$apps/shop/berth.yaml').spec.services;
    expect(s.a!.cwd).toBe('/tmp/$$apps/a');
    expect(s.b!.cwd).toBe('/srv/b');
    expect(s.c!.cwd).toBe('${APP_HOME}/c');
    expect(s.d!.cwd).toBe('/tmp/$$apps/shop/d/${SUB:-x}');
  });

  describe('with files on disk', () => {
    let tmp: string;
    beforeAll(async () => {
      tmp = await mkdtemp(path.join(os.tmpdir(), 'berth-spec-'));
    });
    afterAll(async () => {
      await rm(tmp, { recursive: true, force: true });
    });

    it('reads a named file or <dir>/berth.yaml', async () => {
      await mkdir(path.join(tmp, 'app'));
      await writeFile(path.join(tmp, 'app', 'berth.yaml'), 'name: a\nservices: { web: { command: ./run } }\n');
      await writeFile(path.join(tmp, 'other.yaml'), 'name: b\nservices: { web: { image: b } }\n');
      expect((await loadSpec(path.join(tmp, 'app'))).spec.services.web!.cwd).toBe(path.join(tmp, 'app'));
      expect((await loadSpec(path.join(tmp, 'other.yaml'))).spec.name).toBe('b');
    });

    it('reports a missing file as not found', async () => {
      await expect(loadSpec(path.join(tmp, 'nope'))).rejects.toBeInstanceOf(NotFoundError);
      await expect(loadSpec(tmp)).rejects.toThrow(`${path.join(tmp, 'berth.yaml')} does not exist`);
    });

    it('labels problems with the path it was given', async () => {
      const file = path.join(tmp, 'bad.yaml');
      await writeFile(file, 'name: a\nservices: { web: { image: b, replicas: -1 } }\n');
      const err = await loadSpec(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toBe(`${file} has 1 problem`);
      expect((err as ValidationError).problems).toEqual([
        { file, line: 2, column: 40, path: 'services.web.replicas', message: 'must be 0 or more' },
      ]);
    });
  });
});
