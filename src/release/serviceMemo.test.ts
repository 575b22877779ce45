import { describe, expect, it } from 'vitest';
import { parseSpec } from '../spec/load.js';
import { renderRelease, type RenderInput } from './render.js';
import { ServiceRenderMemo } from './serviceMemo.js';
import type { ResolvedConfig } from '../config/configSets.js';

const FILE = '/apps/shop/berth.yaml';
const TEXT = `name: shop
variables:
  GREETING: { default: hello }
  DB_PASSWORD: { secret: true }
services:
  db:
    command: node db.js
    env:
      PASSWORD: \${DB_PASSWORD}
  api:
    image: shop/api:1
    dependsOn: [db]
    env:
      DSN: postgres://app:\${DB_PASSWORD}@\${DB_HOST}/shop
    files:
      - { path: app.conf, content: "greeting=\${GREETING}\\n" }
      - { path: extra.conf, fromConfig: extra.conf }
  web:
    command: node web.js
    cwd: ./web
    dependsOn: [api]
`;

const addresses = (port: number) => ({
  db: { host: '127.0.0.1', port, url: `http://127.0.0.1:${port}` },
  api: { host: '127.0.0.1', port: 41002, url: 'http://127.0.0.1:41002' },
  web: { host: '127.0.0.1', port: 41003, url: 'http://127.0.0.1:41003' },
});
const config = (version: number, values: Record<string, [string, boolean]>, extra = 'a=1'): ResolvedConfig => ({
  version,
  values: Object.fromEntries(Object.entries(values).map(([k, [value, secret]]) => [k, { value, secret }])),
  files: { 'extra.conf': { content: extra, secret: false } },
});
const input = (over: Partial<RenderInput> = {}, text = TEXT): RenderInput => {
  const loaded = parseSpec(text, FILE);
  return {
    spec: loaded.spec,
    file: FILE,
    positionOf: loaded.positionOf,
    environment: { name: 'local', defaults: {} },
    config: config(1, { DB_PASSWORD: ['pw-1', true] }),
    addresses: addresses(41001),
    revision: 1,
    digestSecret: (s) => `d(${s})`,
    ...over,
  };
};

describe('ServiceRenderMemo', () => {
  it('renders exactly what renderRelease renders without it, through every kind of change', () => {
    const memo = new ServiceRenderMemo();
    const cases: Partial<RenderInput>[] = [
      {},
      {},
      { config: config(1, { DB_PASSWORD: ['pw-2', true] }) }, // a secret's value (same version)
      { config: config(2, { DB_PASSWORD: ['pw-2', true] }) }, // another config version
      { config: config(2, { DB_PASSWORD: ['pw-2', true], GREETING: ['hi', false] }) },
      { config: config(2, { DB_PASSWORD: ['pw-2', true] }, 'a=2') }, // a config file
      { environment: { name: 'local', defaults: { GREETING: 'env-hi' } } },
      { environment: { name: 'prod', defaults: {} } },
      { addresses: addresses(42001) }, // another service's address
      { revision: 2 },
      { restarts: { web: '2026-11-22T10:00:00.000Z' } },
      { discoveryApart: true },
      { file: '/apps/other/berth.yaml' },
    ];
    for (const over of cases) {
      const withMemo = renderRelease({ ...input(over), memo });
      expect(withMemo, JSON.stringify(over)).toEqual(renderRelease(input(over)));
    }
    const edited = TEXT.replace('shop/api:1', 'shop/api:2');
    expect(renderRelease({ ...input({}, edited), memo })).toEqual(renderRelease(input({}, edited)));
  });

  it('gives back the same results for services whose inputs did not change', () => {
    const memo = new ServiceRenderMemo();
    const first = renderRelease({ ...input(), memo });
    // api reads GREETING; db and web do not: a new GREETING renders api alone again.
    const second = renderRelease({
      ...input({ config: config(1, { DB_PASSWORD: ['pw-1', true], GREETING: ['hi', false] }) }),
      memo,
    });
    expect(second.states.db).toBe(first.states.db);
    expect(second.states.web).toBe(first.states.web);
    expect(second.states.api).not.toBe(first.states.api);
    expect(second.states.api!.workload.files[0]!.content).toBe('greeting=hi\n');
    // A changed secret changes the key without being kept in it: db is rendered again.
    const third = renderRelease({ ...input({ config: config(1, { DB_PASSWORD: ['pw-9', true] }) }), memo });
    expect(third.states.db).not.toBe(first.states.db);
    expect(third.states.db!.workload.env.PASSWORD).toBe('pw-9');
  });

  it('does not remember a service whose config file is missing, so the problem is reported again', () => {
    const memo = new ServiceRenderMemo();
    const missing: ResolvedConfig = { version: 1, values: { DB_PASSWORD: { value: 'x', secret: true } }, files: {} };
    for (let i = 0; i < 2; i++)
      expect(() => renderRelease({ ...input({ config: missing }), memo })).toThrow(
        expect.objectContaining({
          problems: [expect.objectContaining({ message: expect.stringMatching(/has no file extra\.conf/) })],
        }),
      );
  });

  it('forgets what none of the last four renders used', () => {
    const memo = new ServiceRenderMemo();
    const first = renderRelease({ ...input(), memo });
    // Four renders of other values of DB_PASSWORD: db's result for pw-1 is used by none of them.
    for (let v = 2; v <= 5; v++)
      renderRelease({ ...input({ config: config(v, { DB_PASSWORD: [`pw-${v}`, true] }) }), memo });
    expect(renderRelease({ ...input(), memo }).states.db!.workload).not.toBe(first.states.db!.workload);
    // Used within the last four renders, they stay.
    const again = renderRelease({ ...input(), memo });
    renderRelease({ ...input({ config: config(9, { DB_PASSWORD: ['pw-9', true] }) }), memo });
    expect(renderRelease({ ...input(), memo }).states.db).toBe(again.states.db);
  });

  it('reuses a service across config versions and revisions that change nothing it reads, stamped with them', () => {
    const memo = new ServiceRenderMemo();
    const first = renderRelease({ ...input(), memo });
    // Version 2 changes GREETING, which api reads (a file) and db and web do not; revision 5.
    const over = { config: config(2, { DB_PASSWORD: ['pw-1', true], GREETING: ['hi', false] }), revision: 5 };
    const second = renderRelease({ ...input(over), memo });
    expect(second).toEqual(renderRelease(input(over)));
    for (const name of ['db', 'web']) {
      expect(second.states[name]!.workload, name).toBe(first.states[name]!.workload);
      expect(second.rendered.services[name], name).toBe(first.rendered.services[name]);
      expect(second.states[name], name).toMatchObject({ revision: 5, configVersion: 2 });
    }
    expect(second.states.api!.workload).not.toBe(first.states.api!.workload);
    // Each input the key holds renders the service again when it changes: the restart time, a config
    // file it reads, its address table, a secret's value.
    const changes: [string, Partial<RenderInput>][] = [
      ['web', { restarts: { web: '2026-12-07T07:00:00.000Z' } }],
      ['api', { config: config(1, { DB_PASSWORD: ['pw-1', true] }, 'a=2') }],
      ['db', { addresses: addresses(42001) }],
      ['db', { config: config(1, { DB_PASSWORD: ['pw-2', true] }) }],
    ];
    for (const [name, change] of changes) {
      const base = renderRelease({ ...input(), memo });
      const changed = renderRelease({ ...input(change), memo });
      expect(changed.states[name]!.workload, JSON.stringify(change)).not.toBe(base.states[name]!.workload);
      expect(changed, JSON.stringify(change)).toEqual(renderRelease(input(change)));
    }
  });

  it('keys each service by its name and its spec: twins get their own results, an edit renders its service alone', () => {
    // Two services whose specs print the same JSON: each keeps its name (and its own address table).
    const twins = `name: shop
services:
  left:
    command: node app.js
    env: { SIDE: one }
  right:
    command: node app.js
    env: { SIDE: one }
`;
    const memo = new ServiceRenderMemo();
    const first = renderRelease({ ...input({}, twins), memo });
    expect(first).toEqual(renderRelease(input({}, twins)));
    expect(first.rendered.services.right!.service).toBe('right');
    expect(first.states.right!.workload).not.toBe(first.states.left!.workload);
    // A spec parsed again from the same text is another object with the same JSON: the same key.
    expect(renderRelease({ ...input({}, twins), memo }).states.left!.workload).toBe(first.states.left!.workload);
    // One service's spec edited: it alone is rendered again, and as a render without the memo renders it.
    const edited = twins.replace(
      'command: node app.js\n    env: { SIDE: one }\n',
      'command: node app.js\n    env: { SIDE: two }\n',
    );
    const second = renderRelease({ ...input({}, edited), memo });
    expect(second).toEqual(renderRelease(input({}, edited)));
    expect(second.states.left!.workload.env.SIDE).toBe('two');
    expect(second.states.left!.workload).not.toBe(first.states.left!.workload);
    expect(second.states.right!.workload).toBe(first.states.right!.workload);
  });
});
