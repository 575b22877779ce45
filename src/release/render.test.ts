import { describe, expect, it } from 'vitest';
import { parseSpec } from '../spec/load.js';
import { renderRelease, type RenderInput } from './render.js';
import { planRelease } from './plan.js';
import { ValidationError } from '../errors.js';
import type { ResolvedConfig } from '../config/configSets.js';

const FILE = '/apps/shop/berth.yaml';
const TEXT = `name: shop
variables:
  GREETING: { default: hello }
  DB_PASSWORD: { secret: true }
  LOG_LEVEL: { default: info }
services:
  db:
    command: node db.js
    env:
      PASSWORD: \${DB_PASSWORD}
  api:
    command: node api.js --level \${LOG_LEVEL}
    replicas: 2
    dependsOn: [db]
    env:
      GREETING: \${GREETING}
      DSN: postgres://app:\${DB_PASSWORD}@\${DB_HOST}:\${DB_PORT}/shop
    files:
      - { path: app.conf, content: "greeting=\${GREETING}\\n" }
  web:
    command: node web.js
    cwd: ./web
    dependsOn: [api]
routes:
  - { path: /api, service: api }
  - { path: /, service: web }
`;

const loaded = parseSpec(TEXT, FILE);
const addresses = {
  db: { host: '127.0.0.1', port: 41001, url: 'http://127.0.0.1:41001' },
  api: { host: '127.0.0.1', port: 41002, url: 'http://127.0.0.1:41002' },
  web: { host: '127.0.0.1', port: 41003, url: 'http://127.0.0.1:41003' },
};
const config = (version: number, values: Record<string, [string, boolean]>): ResolvedConfig => ({
  version,
  values: Object.fromEntries(Object.entries(values).map(([k, [value, secret]]) => [k, { value, secret }])),
  files: {},
});
const input = (over: Partial<RenderInput> = {}): RenderInput => ({
  spec: loaded.spec,
  file: FILE,
  positionOf: loaded.positionOf,
  environment: { name: 'local', defaults: {} },
  config: config(1, { DB_PASSWORD: ['pw-1', true] }),
  addresses,
  revision: 1,
  digestSecret: (s) => `d(${s.length}:${s.charCodeAt(0)}${s.charCodeAt(s.length - 1)})`,
  ...over,
});

describe('renderRelease', () => {
  it('keeps each address set its own discovery table: two apps rendered in turn do not rebuild each other', () => {
    const other = {
      db: { host: '127.0.0.1', port: 42001, url: 'http://127.0.0.1:42001' },
      api: { host: '127.0.0.1', port: 42002, url: 'http://127.0.0.1:42002' },
      web: { host: '127.0.0.1', port: 42003, url: 'http://127.0.0.1:42003' },
    };
    const first = renderRelease(input({ discoveryApart: true })).states.api!.discovery!;
    const between = renderRelease(input({ discoveryApart: true, addresses: other })).states.api!.discovery!;
    const again = renderRelease(input({ discoveryApart: true, addresses: { ...addresses } })).states.api!.discovery!;
    expect(between.DB_PORT).toBe('42001');
    expect(again.DB_PORT).toBe('41001');
    // The same frozen table, found again by the addresses' content after another app's render.
    expect(again).toBe(first);
    expect(between).not.toBe(first);
  });

  it('keeps discovery apart when asked: the same hashes and views, the variables shared beside the env', () => {
    const inline = renderRelease(input());
    const apart = renderRelease(input({ discoveryApart: true }));
    expect(apart.rendered).toEqual(inline.rendered);
    for (const name of ['db', 'api', 'web']) {
      const a = apart.states[name]!;
      const i = inline.states[name]!;
      expect(a.hash).toBe(i.hash);
      expect(a.workload.env).not.toHaveProperty('WEB_URL');
      // The replica's environment, put together the way a runtime does, is the inline one.
      const own = new Set([`${name.toUpperCase()}_HOST`, `${name.toUpperCase()}_PORT`, `${name.toUpperCase()}_URL`]);
      const others = Object.fromEntries(Object.entries(a.discovery!).filter(([k]) => !own.has(k)));
      expect({ ...others, ...a.workload.env }).toEqual(i.workload.env);
      expect(i.discovery).toBeUndefined();
    }
    // One object for the whole release, not a copy per service.
    expect(apart.states.api!.discovery).toBe(apart.states.web!.discovery);
    expect(apart.states.api!.workload.env.DSN).toBe('postgres://app:pw-1@127.0.0.1:41001/shop');
    // Another service's address still changes every hash.
    const moved = renderRelease(
      input({ discoveryApart: true, addresses: { ...addresses, web: { ...addresses.web, port: 41009 } } }),
    );
    expect(moved.states.db!.hash).not.toBe(apart.states.db!.hash);
  });

  it('resolves variables, discovery addresses, files and levels', () => {
    const { states, rendered } = renderRelease(input());
    const api = states.api!;
    expect(api.workload.command).toEqual(['/bin/sh', '-c', 'node api.js --level info']);
    expect(api.workload.env.GREETING).toBe('hello');
    expect(api.workload.env.DSN).toBe('postgres://app:pw-1@127.0.0.1:41001/shop');
    // every other service's address, the 12-factor way; not its own
    expect(api.workload.env).toMatchObject({
      DB_HOST: '127.0.0.1',
      DB_PORT: '41001',
      DB_URL: 'http://127.0.0.1:41001',
      WEB_URL: 'http://127.0.0.1:41003',
    });
    expect(api.workload.env.API_URL).toBeUndefined();
    expect(api.workload.files).toEqual([{ path: 'app.conf', content: 'greeting=hello\n', secret: false }]);
    expect(api.replicas).toBe(2);
    expect(states.web!.workload.cwd).toBe('/apps/shop/web');
    expect(rendered.levels).toEqual([['db'], ['api'], ['web']]);
    expect(rendered.routes.map((r) => `${r.pathPrefix}→${r.service}`)).toEqual(['/api→api', '/→web']);
  });

  it('masks secrets in the stored rendering and never stores their value', () => {
    const { rendered } = renderRelease(input());
    expect(rendered.services.api!.workload.env.DSN).toBe('postgres://app:******@127.0.0.1:41001/shop');
    expect(rendered.services.db!.workload.env.PASSWORD).toBe('******');
    expect(JSON.stringify(rendered)).not.toContain('pw-1');
    expect(Object.keys(rendered.services.api!.secretDigests)).toEqual(['env.DSN']);
    expect(rendered.services.api!.sources['env.DSN']).toEqual(['DB_HOST', 'DB_PASSWORD', 'DB_PORT']);
  });

  it('is deterministic, and the hash follows the workload, secrets included, but not the replica count', () => {
    const a = renderRelease(input());
    const b = renderRelease(input());
    expect(b.rendered).toEqual(a.rendered);
    const secretChanged = renderRelease(input({ config: config(2, { DB_PASSWORD: ['pw-2', true] }) }));
    expect(secretChanged.rendered.services.db!.hash).not.toBe(a.rendered.services.db!.hash);
    expect(secretChanged.rendered.services.web!.hash).toBe(a.rendered.services.web!.hash);
    const scaled = renderRelease(
      input({
        spec: {
          ...loaded.spec,
          services: { ...loaded.spec.services, api: { ...loaded.spec.services.api!, replicas: 5 } },
        },
      }),
    );
    expect(scaled.rendered.services.api!.hash).toBe(a.rendered.services.api!.hash);
    expect(scaled.rendered.services.api!.replicas).toBe(5);
  });

  it('takes config values before environment defaults before spec defaults', () => {
    const env = { name: 'staging', defaults: { GREETING: 'from-env', LOG_LEVEL: 'warn' } };
    const { states } = renderRelease(
      input({ environment: env, config: config(3, { DB_PASSWORD: ['x', true], GREETING: ['from-config', false] }) }),
    );
    expect(states.api!.workload.env.GREETING).toBe('from-config');
    expect(states.api!.workload.command![2]).toBe('node api.js --level warn');
  });

  it('reports every unresolved variable at once, with file, line and field', () => {
    let err: unknown;
    try {
      renderRelease(input({ config: config(0, {}) }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const problems = (err as ValidationError).problems;
    expect(problems.map((p) => `${p.file}:${p.line} ${p.path}`).sort()).toEqual([
      `${FILE}:10 services.db.env.PASSWORD`,
      `${FILE}:17 services.api.env.DSN`,
    ]);
    expect(problems.every((p) => p.message.includes('DB_PASSWORD'))).toBe(true);
  });
});

describe('planRelease', () => {
  const v1 = renderRelease(input()).rendered;

  it('plans a first deploy as creations in dependency order', () => {
    const plan = planRelease(undefined, v1, { changedConfigKeys: [], specChanged: true });
    expect(plan.services.map((s) => [s.service, s.action, s.toReplicas])).toEqual([
      ['api', 'create', 2],
      ['db', 'create', 1],
      ['web', 'create', 1],
    ]);
    expect(plan.routes.added).toHaveLength(2);
    expect(plan.changed).toBe(true);
  });

  it('explains a config change field by field, naming the config key', () => {
    const v2 = renderRelease(
      input({ config: config(2, { DB_PASSWORD: ['pw-1', true], GREETING: ['hi', false] }) }),
    ).rendered;
    const plan = planRelease(v1, v2, { changedConfigKeys: ['GREETING'], specChanged: false });
    const api = plan.services.find((s) => s.service === 'api')!;
    expect(api).toMatchObject({ action: 'update', restart: true });
    expect(api.changes).toEqual([
      { path: 'env.GREETING', from: 'hello', to: 'hi', because: ['config GREETING'] },
      { path: 'files[app.conf]', from: 'greeting=hello\n', to: 'greeting=hi\n', because: ['config GREETING'] },
    ]);
    expect(plan.services.find((s) => s.service === 'web')!.action).toBe('unchanged');
  });

  it('shows a changed secret without its value', () => {
    const v2 = renderRelease(input({ config: config(2, { DB_PASSWORD: ['pw-2', true] }) })).rendered;
    const plan = planRelease(v1, v2, { changedConfigKeys: ['DB_PASSWORD'], specChanged: false });
    const db = plan.services.find((s) => s.service === 'db')!;
    expect(db.changes).toEqual([
      { path: 'env.PASSWORD', from: '******', to: '******', because: ['config DB_PASSWORD'] },
    ]);
    expect(JSON.stringify(plan)).not.toMatch(/pw-[12]/);
  });

  it('tells a scale from an update, and a removal', () => {
    const { db, api } = loaded.spec.services;
    const withoutWeb = {
      ...loaded.spec,
      services: { db: db!, api: { ...api!, replicas: 4 } },
      routes: [loaded.spec.routes[0]!],
    };
    const v2 = renderRelease(input({ spec: withoutWeb })).rendered;
    const plan = planRelease(v1, v2, { changedConfigKeys: [], specChanged: true });
    expect(plan.services.map((s) => [s.service, s.action, s.restart])).toEqual([
      ['api', 'scale', false],
      ['db', 'unchanged', false],
      ['web', 'remove', false],
    ]);
    expect(plan.services[0]!.changes).toEqual([{ path: 'replicas', from: 2, to: 4, because: ['berth.yaml'] }]);
    expect(plan.routes.removed.map((r) => r.pathPrefix)).toEqual(['/']);
  });
});

describe('files from the config set', () => {
  const text = TEXT.replace(
    '      - { path: app.conf, content: "greeting=${GREETING}\\n" }',
    '      - { path: app.conf, content: "greeting=${GREETING}\\n" }\n      - { path: rules.json, fromConfig: rules.json }\n      - { path: tls.key, fromConfig: tls.key }',
  );
  const spec = parseSpec(text, FILE);
  const withFiles = (files: ResolvedConfig['files'], version = 1): RenderInput =>
    input({
      spec: spec.spec,
      positionOf: spec.positionOf,
      config: { ...config(version, { DB_PASSWORD: ['pw-1', true] }), files },
    });

  it('writes a config-set file into the service, a secret one masked in what is stored', () => {
    const r = renderRelease(
      withFiles({ 'rules.json': { content: '{"max":3}', secret: false }, 'tls.key': { content: 'KEY', secret: true } }),
    );
    expect(r.states.api!.workload.files).toContainEqual({ path: 'rules.json', content: '{"max":3}', secret: false });
    expect(r.states.api!.workload.files).toContainEqual({ path: 'tls.key', content: 'KEY', secret: true });
    expect(r.rendered.services.api!.workload.files).toContainEqual({
      path: 'tls.key',
      content: '******',
      secret: true,
    });
    expect(JSON.stringify(r.rendered)).not.toContain('KEY"');
  });

  it('restarts the service when the config file changes, naming it as the cause', () => {
    const a = renderRelease(
      withFiles({ 'rules.json': { content: '1', secret: false }, 'tls.key': { content: 'K', secret: true } }),
    );
    const b = renderRelease(
      withFiles({ 'rules.json': { content: '2', secret: false }, 'tls.key': { content: 'K', secret: true } }, 2),
    );
    expect(b.rendered.services.api!.hash).not.toBe(a.rendered.services.api!.hash);
    const plan = planRelease(a.rendered, b.rendered, { changedConfigKeys: ['file:rules.json'], specChanged: false });
    const api = plan.services.find((s) => s.service === 'api')!;
    expect(api).toMatchObject({ action: 'update', restart: true });
    expect(api.changes).toContainEqual({
      path: 'files[rules.json]',
      from: '1',
      to: '2',
      because: ['config file:rules.json'],
    });
  });

  it('names every file the config set lacks, with line and field', () => {
    let err: unknown;
    try {
      renderRelease(withFiles({}));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual([
      '20:41 services.api.files.1.fromConfig',
      '21:38 services.api.files.2.fromConfig',
    ]);
    expect((err as ValidationError).problems[0]!.message).toMatch(
      /has no file rules\.json; add it with `berth config set --file rules\.json=LOCAL_FILE`/,
    );
  });
});
