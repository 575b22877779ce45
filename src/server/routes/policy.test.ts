/** The policy routes' mapping (pure): the policies in force of a spec, and the route a change names. */
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../spec/load.js';
import { policiesOf, routeTarget } from './policy.js';

const SPEC = `name: shop
services:
  web:
    command: node web.js
    ports: [8080]
    policy: { rateLimit: { requestsPerSecond: 10 } }
  api:
    command: node api.js
    ports: [8081]
routes:
  - { path: /api, service: api, policy: { timeout: 2s } }
  - { host: admin.shop.example, path: /, service: web }
`;

describe('the policies in force', () => {
  it('lists every service and route, null where none is set, hosts only where given', () => {
    const { spec } = parseSpec(SPEC, '/apps/shop/berth.yaml');
    const shown = policiesOf('shop', 'prod', 4, spec);
    expect(shown.app).toBe('shop');
    expect(shown.revision).toBe(4);
    expect(Object.keys(shown.services).sort()).toEqual(['api', 'web']);
    expect(shown.services.api).toBeNull();
    expect(shown.services.web).toEqual(spec.services.web!.policy);
    expect(shown.routes).toEqual([
      { path: '/api', service: 'api', policy: spec.routes[0]!.policy },
      { path: '/', host: 'admin.shop.example', service: 'web', policy: null },
    ]);
  });
});

describe('the route a policy change names', () => {
  it('is its path, with its host only when one is sent', () => {
    expect(routeTarget('/api', undefined)).toEqual({ route: { path: '/api' } });
    expect(routeTarget('/', 'admin.shop.example')).toEqual({ route: { path: '/', host: 'admin.shop.example' } });
  });
});
