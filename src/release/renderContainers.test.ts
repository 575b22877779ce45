import { describe, expect, it } from 'vitest';
import { parseSpec } from '../spec/load.js';
import { renderRelease, type RenderInput } from './render.js';
import { planRelease } from './plan.js';
import { ValidationError } from '../errors.js';
import type { ResolvedConfig } from '../config/configSets.js';
import type { ServiceAddress } from '../model/observation.js';
import { registryHostOf } from './renderContainers.js';

const FILE = '/apps/shop/berth.yaml';
// Every precedence case of the rule in one app: each service is named after how it is written.
const TEXT = `name: shop
variables:
  REG_USER: { default: ci }
  REG_PASSWORD: { secret: true }
services:
  image-only:
    image: registry.example.com/shop/image-only:1
    ports: [8080]
  command-only:
    command: node command.js
    ports: [8080]
    env:
      IMAGE_ONLY: \${IMAGE_ONLY_URL}
  both:
    image: localhost:5000/shop/both:2
    command: node both.js
  both-as-container:
    image: redis:7
    command: [redis-server, --port, "6379"]
    runAs: container
    imagePullPolicy: Always
    env:
      TARGET: \${COMMAND_ONLY_URL}
  image-as-process:
    image: shop/x:1
    command: node x.js
    runAs: process
registries:
  registry.example.com:
    username: \${REG_USER}
    password: \${REG_PASSWORD}
  localhost:5000:
    username: local
    password: plain-pw
`;

const loaded = parseSpec(TEXT, FILE);
const address = (port: number, containerHost?: string): ServiceAddress => ({
  host: '127.0.0.1',
  port,
  url: `http://127.0.0.1:${port}`,
  ...(containerHost ? { containerHost } : {}),
});
const addresses = (containerHost?: string): Record<string, ServiceAddress> => ({
  'image-only': address(41001, containerHost),
  'command-only': address(41002, containerHost),
  both: address(41003, containerHost),
  'both-as-container': address(41004, containerHost),
  'image-as-process': address(41005, containerHost),
});
const config = (password: string): ResolvedConfig => ({
  version: 1,
  values: { REG_PASSWORD: { value: password, secret: true } },
  files: {},
});
const input = (over: Partial<RenderInput> = {}, containers?: 'auto' | 'always' | 'never'): RenderInput => ({
  spec: loaded.spec,
  file: FILE,
  positionOf: loaded.positionOf,
  environment: { name: 'local', defaults: {}, target: { kind: 'local', ...(containers ? { containers } : {}) } },
  config: config('s3cret-pw'),
  addresses: addresses('host.berth.internal'),
  revision: 1,
  digestSecret: (s) => `d${s.length}`,
  ...over,
});
const runAs = (r: ReturnType<typeof renderRelease>) =>
  Object.fromEntries(Object.entries(r.states).map(([n, s]) => [n, s.workload.runAs ?? 'process']));

describe('which services run as containers', () => {
  it('auto (the default): image and no command → container; runAs first', () => {
    const r = renderRelease(input());
    expect(runAs(r)).toEqual({
      'image-only': 'container',
      'command-only': 'process',
      both: 'process',
      'both-as-container': 'container',
      'image-as-process': 'process',
    });
    expect(renderRelease(input({}, 'auto')).states).toEqual(r.states);
  });

  it('always: every service with an image, but a service that says runAs: process stays a process', () => {
    expect(runAs(renderRelease(input({}, 'always')))).toEqual({
      'image-only': 'container',
      'command-only': 'process',
      both: 'container',
      'both-as-container': 'container',
      'image-as-process': 'process',
    });
  });

  it('never: a service with only an image fails to render, naming it at its line; runAs: container still wins', () => {
    let err: unknown;
    try {
      renderRelease(input({}, 'never'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const problems = (err as ValidationError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: FILE, line: 7, path: 'services.image-only.image' });
    expect(problems[0]!.message).toMatch(/service image-only cannot run in this environment.*containers: never/);

    const { ['image-only']: _gone, ...rest } = loaded.spec.services;
    const services = { ...rest, 'command-only': { ...rest['command-only']!, env: {} } };
    const r = renderRelease(input({ spec: { ...loaded.spec, services } }, 'never'));
    expect(runAs(r)).toEqual({
      'command-only': 'process',
      both: 'process',
      'both-as-container': 'container',
      'image-as-process': 'process',
    });
  });

  it('a plan shows a service moving to a container when the environment changes its mode', () => {
    const before = renderRelease(input());
    const after = renderRelease(input({}, 'always'));
    const plan = planRelease(before.rendered, after.rendered, { changedConfigKeys: [], specChanged: false });
    const both = plan.services.find((s) => s.service === 'both')!;
    expect(both).toMatchObject({ action: 'update', restart: true });
    expect(both.changes).toContainEqual({ path: 'runAs', to: 'container', because: ['environment'] });
    expect(plan.services.find((s) => s.service === 'command-only')!.action).toBe('unchanged');
  });

  it('Kubernetes environments ignore the rule: no workload says runAs', () => {
    const r = renderRelease(
      input({ environment: { name: 'prod', defaults: {}, target: { kind: 'kubernetes', containers: 'never' } } }),
    );
    expect(Object.values(r.states).every((s) => s.workload.runAs === undefined)).toBe(true);
    // Every service there runs its image: its pods pull with the registry's credentials (an imagePullSecret).
    expect(r.states['image-only']!.registryAuth?.server).toBe('registry.example.com');
    expect(r.states.both!.registryAuth?.server).toBe('localhost:5000');
    // A render without a target (Kubernetes objects, a Helm export) neither.
    const objects = renderRelease(input({ environment: { name: 'prod', defaults: {} } }));
    expect(Object.values(objects.states).every((s) => s.workload.runAs === undefined)).toBe(true);
  });

  it('keeps the hashes of an existing process app: no runAs, no pull policy, no registry in its workloads', () => {
    const text = `name: shop
services:
  api:
    command: node api.js
    ports: [8080]
  web:
    command: node web.js
    image: shop/web:1
    env:
      API: \${API_URL}
`;
    const spec = parseSpec(text, FILE).spec;
    const base = {
      spec,
      config: { version: 1, values: {}, files: {} },
      addresses: { api: address(41001), web: address(41002) },
    };
    const plain = renderRelease(input({ ...base, environment: { name: 'local', defaults: {} } }));
    // The same release, the environment now saying auto and every address offering a container host.
    const now = renderRelease(
      input({ ...base, addresses: { api: address(41001, 'host.berth.internal'), web: address(41002, 'h') } }, 'auto'),
    );
    expect(now.states.api!.hash).toBe(plain.states.api!.hash);
    expect(now.states.web!.hash).toBe(plain.states.web!.hash);
    // Pinned: the hashes this process app had before containers existed (the seed's render).
    expect(plain.states.api!.hash).toBe('1130586958f9');
    expect(plain.states.web!.hash).toBe('95778b9ecd7f');
    expect(now.rendered).toEqual(plain.rendered);
  });
});

describe('images and registries', () => {
  it('sets imagePullPolicy only when berth.yaml does', () => {
    const r = renderRelease(input());
    expect(r.states['both-as-container']!.workload.imagePullPolicy).toBe('Always');
    expect(r.states['image-only']!.workload).not.toHaveProperty('imagePullPolicy');
  });

  it('finds the registry of an image by its host', () => {
    expect(registryHostOf('registry.example.com/shop/web:1')).toBe('registry.example.com');
    expect(registryHostOf('localhost:5000/x')).toBe('localhost:5000');
    expect(registryHostOf('localhost/debian:12')).toBe('localhost');
    expect(registryHostOf('redis:7')).toBe('docker.io');
    expect(registryHostOf('library/redis')).toBe('docker.io');
    expect(registryHostOf('index.docker.io/library/redis')).toBe('docker.io');
    expect(registryHostOf('Registry.Example.com:443/a/b@sha256:00')).toBe('registry.example.com:443');
  });

  it("gives the runtime the matching registry's credentials, never the release, the hash or a plan", () => {
    const r = renderRelease(input());
    expect(r.states['image-only']!.registryAuth).toEqual({
      server: 'registry.example.com',
      username: 'ci',
      password: 's3cret-pw',
    });
    // Only containers pull: `both` runs its command here, and gets them once the environment runs it as a container.
    expect(r.states.both!.registryAuth).toBeUndefined();
    expect(renderRelease(input({}, 'always')).states.both!.registryAuth).toEqual({
      server: 'localhost:5000',
      username: 'local',
      password: 'plain-pw',
    });
    // A Docker Hub name without a host: no entry (docker.io is not listed).
    expect(r.states['both-as-container']!.registryAuth).toBeUndefined();
    expect(r.states['command-only']!.registryAuth).toBeUndefined();
    // Shown masked; the stored release holds no password anywhere.
    expect(r.rendered.services['image-only']!.registry).toEqual({
      server: 'registry.example.com',
      username: 'ci',
      password: '******',
    });
    for (const mode of ['auto', 'always'] as const) {
      const stored = JSON.stringify(renderRelease(input({}, mode)).rendered);
      expect(stored).not.toContain('s3cret-pw');
      expect(stored).not.toContain('plain-pw');
    }
    // A new password changes no hash (no replica moves) and shows as no change.
    const other = renderRelease(input({ config: config('rotated-pw') }));
    for (const n of Object.keys(r.states)) expect(other.states[n]!.hash).toBe(r.states[n]!.hash);
    expect(other.states['image-only']!.registryAuth!.password).toBe('rotated-pw');
    const plan = planRelease(r.rendered, other.rendered, { changedConfigKeys: ['REG_PASSWORD'], specChanged: false });
    expect(plan.changed).toBe(false);
    // A first plan names the registry used, masked.
    const first = planRelease(undefined, r.rendered, { changedConfigKeys: [], specChanged: true });
    expect(first.services.find((s) => s.service === 'image-only')!.action).toBe('create');
    const withRegistry = planRelease(
      {
        ...r.rendered,
        services: {
          ...r.rendered.services,
          'image-only': { ...r.rendered.services['image-only']!, registry: undefined },
        },
      },
      r.rendered,
      { changedConfigKeys: [], specChanged: true },
    );
    expect(withRegistry.services.find((s) => s.service === 'image-only')!.changes).toEqual([
      { path: 'registry', to: 'registry.example.com as ci', because: ['berth.yaml'] },
    ]);
  });

  it('docker.io credentials serve Docker Hub names without a host', () => {
    const spec = {
      ...loaded.spec,
      registries: { 'docker.io': { username: 'hub', password: 'hub-pw' } },
    };
    const r = renderRelease(input({ spec }));
    expect(r.states['both-as-container']!.registryAuth).toEqual({
      server: 'docker.io',
      username: 'hub',
      password: 'hub-pw',
    });
    expect(r.states['image-only']!.registryAuth).toBeUndefined();
  });
});

describe('container discovery', () => {
  it("containers reach the other services at the address's containerHost, processes at its host", () => {
    const r = renderRelease(input());
    const container = r.states['both-as-container']!.workload.env;
    expect(container.TARGET).toBe('http://host.berth.internal:41002');
    expect(container.COMMAND_ONLY_URL).toBe('http://host.berth.internal:41002');
    expect(container.COMMAND_ONLY_HOST).toBe('host.berth.internal');
    expect(container.COMMAND_ONLY_PORT).toBe('41002');
    const proc = r.states['command-only']!.workload.env;
    expect(proc.IMAGE_ONLY).toBe('http://127.0.0.1:41001');
    expect(proc.IMAGE_ONLY_HOST).toBe('127.0.0.1');
    expect(r.rendered.containerDiscovery!.COMMAND_ONLY_URL).toBe('http://host.berth.internal:41002');
    // Absent containerHost: a container uses host.
    const plain = renderRelease(input({ addresses: addresses() }));
    expect(plain.states['both-as-container']!.workload.env.TARGET).toBe('http://127.0.0.1:41002');
    expect(plain.rendered.containerDiscovery).toBeUndefined();
  });

  it('a moved address shows in the plan of a container service as the container sees it', () => {
    const before = renderRelease(input());
    const moved = addresses('host.berth.internal');
    moved['command-only'] = address(42002, 'host.berth.internal');
    const after = renderRelease(input({ addresses: moved }));
    const plan = planRelease(before.rendered, after.rendered, { changedConfigKeys: [], specChanged: false });
    const changes = plan.services.find((s) => s.service === 'both-as-container')!.changes;
    expect(changes).toContainEqual({
      path: 'env.COMMAND_ONLY_URL',
      from: 'http://host.berth.internal:41002',
      to: 'http://host.berth.internal:42002',
      because: ['service address'],
    });
  });
});

describe('berth.yaml runAs', () => {
  it('refuses runAs: container without image and runAs: process without command, at file:line:col', () => {
    const bad = `name: shop
services:
  a:
    command: node a.js
    runAs: container
  b:
    image: shop/b:1
    runAs: process
  c:
    image: shop/c:1
    imagePullPolicy: Sometimes
`;
    let err: unknown;
    try {
      parseSpec(bad, FILE);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const problems = (err as ValidationError).problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^5:\d+ services\.a\.runAs: `runAs: container` needs `image`/),
        expect.stringMatching(/^8:\d+ services\.b\.runAs: `runAs: process` needs `command`/),
        expect.stringMatching(/^11:\d+ services\.c\.imagePullPolicy: /),
      ]),
    );
  });

  it('refuses a registry host that is not one, and an undeclared variable in its credentials', () => {
    const bad = `name: shop
services:
  a: { image: shop/a:1 }
registries:
  "https://Registry.example.com":
    username: u
    password: \${NOPE}
`;
    let err: unknown;
    try {
      parseSpec(bad, FILE);
    } catch (e) {
      err = e;
    }
    const problems = (err as ValidationError).problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^5 registries\.https:\/\/Registry\.example\.com: registry hosts are/),
        expect.stringMatching(/^7 registries\.https:\/\/Registry\.example\.com\.password: .*NOPE/),
      ]),
    );
  });
});
