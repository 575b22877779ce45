import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { serviceAddress } from '../runtime/serviceAddress.js';
import type { ServiceAddress } from '../model/observation.js';
import { parseSpec } from '../spec/load.js';
import { planRelease } from './plan.js';
import { renderRelease, type RenderInput } from './render.js';

const FILE = '/apps/shop/berth.yaml';

/** Local-style addresses, services by name: the first port at 41001.., each other TCP port 10, 20... above. */
function addressesOf(spec: ReturnType<typeof parseSpec>['spec'], base = 41001): Record<string, ServiceAddress> {
  const out: Record<string, ServiceAddress> = {};
  Object.entries(spec.services)
    .sort(([a], [b]) => a.localeCompare(b))
    .forEach(([name, s], i) => {
      const first = base + i;
      out[name] = serviceAddress('127.0.0.1', first, s.ports, (p) => first + 10 * s.ports.indexOf(p));
    });
  return out;
}

function render(text: string, over: Partial<RenderInput> = {}): ReturnType<typeof renderRelease> {
  const loaded = parseSpec(text, FILE);
  return renderRelease({
    spec: loaded.spec,
    file: FILE,
    positionOf: loaded.positionOf,
    environment: { name: 'local', defaults: {}, target: { kind: 'local' } },
    config: { version: 1, values: {}, files: {} },
    addresses: addressesOf(loaded.spec),
    revision: 1,
    digestSecret: (s) => s,
    ...over,
  });
}

describe('discovery for every port', () => {
  it('keeps the hashes and variables of a spec whose services have one port', () => {
    const text = `name: shop
services:
  redis:
    command: redis-server --port $$PORT
    ports: [6379]
  api:
    command: node api.js
    ports: [{ name: web, port: 8080 }]
    env:
      CACHE: \${REDIS_HOST}:\${REDIS_PORT}
      WEB: \${WEB_URL}
  web:
    command: node web.js
`;
    const { spec } = parseSpec(text, FILE);
    const at = (name: string, port: number): ServiceAddress =>
      serviceAddress('127.0.0.1', port, spec.services[name]!.ports, () => 0);
    const r = render(text, { addresses: { redis: at('redis', 41001), api: at('api', 41002), web: at('web', 41003) } });
    // Recorded with the renderer before ports other than the first had addresses (commit 1ca93b6).
    expect(Object.fromEntries(Object.entries(r.states).map(([k, s]) => [k, s.hash]))).toEqual({
      api: 'b483147a2cc8',
      redis: '91d4f0f65fb0',
      web: '38cb1f0f875c',
    });
    expect(Object.keys(r.rendered.discovery!).sort()).toEqual(
      ['API', 'REDIS', 'WEB'].flatMap((s) => [`${s}_HOST`, `${s}_PORT`, `${s}_URL`]).sort(),
    );
  });

  it('gives each named port its _PORT, a _URL only to http/grpc ports, none to an opaque first port', () => {
    const text = `name: shop
services:
  redis:
    command: redis-server --port $$PORT
    ports: [{ port: 6379, appProtocol: tcp }]
  api:
    command: node api.js
    ports:
      - 8080
      - { name: admin, port: 8081, appProtocol: http }
      - { name: grpc-in, port: 9000, appProtocol: grpc }
      - { name: metrics, port: 9100 }
  client:
    command: node client.js
    env:
      CACHE: \${REDIS_HOST}:\${REDIS_PORT}
      ADMIN: \${API_ADMIN_URL}
      METRICS: \${API_METRICS_PORT}
`;
    const r = render(text);
    const env = r.states.client!.workload.env;
    expect(env).toMatchObject({
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: '41003',
      API_URL: 'http://127.0.0.1:41001',
      API_ADMIN_PORT: '41011',
      API_ADMIN_URL: 'http://127.0.0.1:41011',
      API_GRPC_IN_PORT: '41021',
      API_GRPC_IN_URL: 'http://127.0.0.1:41021',
      API_METRICS_PORT: '41031',
      CACHE: '127.0.0.1:41003',
      ADMIN: 'http://127.0.0.1:41011',
      METRICS: '41031',
    });
    // A Redis service gets no http:// URL; an opaque port no _URL either.
    expect(env).not.toHaveProperty('REDIS_URL');
    expect(env).not.toHaveProperty('API_METRICS_URL');
    // A service does not see its own addresses.
    expect(Object.keys(r.states.api!.workload.env).filter((k) => k.startsWith('API_'))).toEqual([]);
  });

  it('refuses a reference to the URL of an opaque service, naming the field', () => {
    const text = `name: shop
services:
  redis:
    command: redis-server --port $$PORT
    ports: [{ port: 6379, appProtocol: tcp }]
  client:
    command: node client.js
    env:
      CACHE: \${REDIS_URL}
`;
    const err = (() => {
      try {
        render(text);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      expect.objectContaining({ file: FILE, line: 9, path: 'services.client.env.CACHE' }),
    ]);
  });

  it('refuses a UDP port at deploy to a local environment, with file, line and field', () => {
    const text = `name: shop
services:
  dns:
    command: node dns.js
    ports:
      - 8080
      - { port: 5353, protocol: UDP }
`;
    expect(() => render(text)).toThrow(ValidationError);
    try {
      render(text);
    } catch (e) {
      const p = (e as ValidationError).problems;
      expect(p).toEqual([
        {
          file: FILE,
          line: 7,
          column: expect.any(Number) as number,
          path: 'services.dns.ports.1.protocol',
          message: expect.stringContaining('UDP port 5353 cannot be served on one machine') as string,
        },
      ]);
    }
    // A cluster carries it.
    expect(() =>
      render(text, { environment: { name: 'prod', defaults: {}, target: { kind: 'kubernetes' } } }),
    ).not.toThrow();
  });

  it("refuses a port name that makes another service's address variable, at the port", () => {
    const text = `name: shop
services:
  orders:
    command: node orders.js
    ports: [8080, { name: db, port: 5433 }]
  orders-db:
    command: node db.js
    ports: [5432]
`;
    expect(() => parseSpec(text, FILE)).toThrow(ValidationError);
    try {
      parseSpec(text, FILE);
    } catch (e) {
      expect((e as ValidationError).problems).toEqual([
        expect.objectContaining({
          file: FILE,
          line: 5,
          path: 'services.orders.ports.1',
          message: expect.stringContaining('ORDERS_DB_PORT is also the address of service `orders-db`') as string,
        }),
      ]);
    }
  });

  it('refuses a traffic policy or an edge route for a service whose first port is tcp, naming the field', () => {
    const text = `name: shop
services:
  redis:
    command: redis-server --port $$PORT
    ports: [{ port: 6379, appProtocol: tcp }]
    policy: { timeout: 1s }
routes:
  - { path: /, service: redis }
`;
    try {
      parseSpec(text, FILE);
      expect.unreachable('parsed');
    } catch (e) {
      expect((e as ValidationError).problems.map((p) => [p.line, p.path, p.message])).toEqual([
        [6, 'services.redis.policy', expect.stringContaining('a traffic policy applies to HTTP requests')],
        [8, 'routes.0.service', expect.stringContaining('the edge routes HTTP requests')],
      ]);
    }
  });

  it("plans a moved port address as a change of the services that see it, not of the service's own", () => {
    const text = `name: shop
services:
  api:
    command: node api.js
    ports: [8080, { name: admin, port: 8081 }]
  web:
    command: node web.js
`;
    const { spec } = parseSpec(text, FILE);
    const at = (admin: number): Record<string, ServiceAddress> => ({
      api: serviceAddress('127.0.0.1', 41001, spec.services.api!.ports, () => admin),
      web: serviceAddress('127.0.0.1', 41002, spec.services.web!.ports, () => 0),
    });
    const before = render(text, { addresses: at(41011) }).rendered;
    const after = render(text, { addresses: at(41012) }).rendered;
    const plan = planRelease(before, after, { changedConfigKeys: [], specChanged: false });
    const changes = Object.fromEntries(plan.services.map((s) => [s.service, s.changes.map((c) => c.path)]));
    expect(changes).toEqual({ api: [], web: ['env.API_ADMIN_PORT'] });
  });
});
