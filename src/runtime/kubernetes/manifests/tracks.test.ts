import { describe, expect, it } from 'vitest';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { ValidationError } from '../../../errors.js';
import type { CanaryTrack, ServiceState } from '../../../model/serviceState.js';
import type { TrafficSplit } from '../../../model/routing.js';
import type { KubernetesObject, ManifestInput, ManifestOptions } from './contract.js';
import { ANNOTATION, LABEL } from './contract.js';
import { cookieRegex, httpRouteSplit, parseCookieRegex } from './httpRoute.js';
import { canaryIngressSplit, NGINX_CANARY } from './canaryIngress.js';
import { renderManifests } from './render.js';
import { liveSplit } from './traffic.js';
import { routesFromAnnotation } from './trafficContext.js';
import { objectProblems, validateObjects } from './validate.js';
import { objectsToYaml } from './toYaml.js';
import { fixtureInput, FIXTURE_TEXT } from './testdata/fixture.js';
import { at } from './testdata/at.js';

/** The shop fixture with `web` released by canary and `api` by an A/B test on a header. */
const PROGRESSIVE = FIXTURE_TEXT.replace('    ports: [3000]\n', '    ports: [3000]\n    strategy: canary\n').replace(
  '    autoscale: { min: 2, max: 10, cpu: 70%, requestsPerSecond: 50 }\n',
  [
    '    autoscale: { min: 2, max: 10, cpu: 70%, requestsPerSecond: 50 }\n',
    '    strategy: { type: abTest, match: { header: X-Beta, value: "yes" } }\n',
  ].join(''),
);

const steady = (options: Partial<ManifestOptions> = {}, text = PROGRESSIVE): ManifestInput =>
  fixtureInput({ secrets: 'masked', ...options }, text).manifest;

const find = (objects: KubernetesObject[], kind: string, name: string) =>
  at(
    objects.find((o) => o.kind === kind && o.metadata.name === name),
    '',
  );
const refs = (objects: KubernetesObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);

/** The input with a canary of `service` running at `split`. */
function withCanary(input: ManifestInput, service: string, split: TrafficSplit | undefined): ManifestInput {
  const stable = input.services[service]!;
  const canary: CanaryTrack = {
    revision: 13,
    configVersion: 8,
    hash: 'c4n4ry',
    replicas: 1,
    workload: { ...stable.workload, image: 'shop/web:2.0', env: { ...stable.workload.env, API: 'v2' } },
  };
  const state: ServiceState = { ...stable, canary, ...(split ? { traffic: split } : {}) };
  return { ...input, services: { ...input.services, [service]: state } };
}

describe('a progressive service at rest (no canary running)', () => {
  const gw = renderManifests(steady());

  it('renders one Deployment, a Service per track and an HTTPRoute at weight 0 (file snapshot)', async () => {
    await expect(objectsToYaml(gw)).toMatchFileSnapshot('__snapshots__/shop-progressive-gateway.yaml');
    const own = (svc: string) => refs(gw.filter((o) => o.metadata.labels?.[LABEL.name] === svc));
    expect(own('web')).toEqual([
      'ConfigMap/web-config',
      'Service/web',
      'Service/web-canary',
      'Service/web-stable',
      'Deployment/web',
      'HTTPRoute/web',
      'HTTPRoute/web-admin.shop.example',
    ]);
    expect(own('api')).toContain('HTTPRoute/api');
    expect(own('api')).not.toContain('Deployment/api-canary');
    // Only non-progressive services stay on the app's Ingress: here there are none left.
    expect(refs(gw)).not.toContain('Ingress/shop');
  });

  it('labels the stable pods with their track and keeps the Deployment selector unchanged', () => {
    const web = find(gw, 'Deployment', 'web');
    expect(web.spec.selector.matchLabels).toEqual({ [LABEL.name]: 'web', [LABEL.instance]: 'shop-prod' });
    expect(web.spec.template.metadata.labels[LABEL.track]).toBe('stable');
    expect(web.metadata.labels[LABEL.track]).toBe('stable');
    // The plain Service still selects every pod of the service: in-cluster discovery is unchanged.
    expect(find(gw, 'Service', 'web').spec.selector).toEqual({ [LABEL.name]: 'web', [LABEL.instance]: 'shop-prod' });
    expect(find(gw, 'Service', 'web-canary').spec.selector).toEqual({
      [LABEL.name]: 'web',
      [LABEL.instance]: 'shop-prod',
      [LABEL.track]: 'canary',
    });
    expect(find(gw, 'Service', 'web-stable').spec.ports).toEqual(find(gw, 'Service', 'web').spec.ports);
    // A rolling service is rendered exactly as before: no track label anywhere.
    const plain = renderManifests(steady({}, FIXTURE_TEXT));
    expect(JSON.stringify(plain)).not.toContain(LABEL.track);
  });

  it('routes every path of the service through the environment Gateway, stable 100 / canary 0', () => {
    const route = find(gw, 'HTTPRoute', 'api');
    expect(route.spec.parentRefs).toEqual([{ name: 'berth' }]);
    expect(route.spec.hostnames).toBeUndefined();
    expect(route.spec.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        filters: [
          { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
        ],
        backendRefs: [
          { name: 'api-stable', port: 8080, weight: 100 },
          { name: 'api-canary', port: 8080, weight: 0 },
        ],
      },
    ]);
    expect(find(gw, 'HTTPRoute', 'web-admin.shop.example').spec.hostnames).toEqual(['admin.shop.example']);
    const other = renderManifests(
      steady({ gateway: { name: 'edge', namespace: 'infra' }, defaultHost: 'shop.example' }),
    );
    expect(find(other, 'HTTPRoute', 'api').spec.parentRefs).toEqual([{ name: 'edge', namespace: 'infra' }]);
    expect(find(other, 'HTTPRoute', 'api').spec.hostnames).toEqual(['shop.example']);
  });

  it('with ingress-nginx: the app Ingress goes to the stable Services, a canary Ingress per service at weight 0 (file snapshot)', async () => {
    const nginx = renderManifests(steady({ trafficRouter: 'ingressNginx', ingressClassName: 'nginx' }));
    await expect(objectsToYaml(nginx)).toMatchFileSnapshot('__snapshots__/shop-progressive-nginx.yaml');
    expect(refs(nginx).filter((r) => r.startsWith('Ingress/'))).toEqual([
      'Ingress/api-canary',
      'Ingress/shop',
      'Ingress/web-canary',
    ]);
    expect(refs(nginx).some((r) => r.startsWith('HTTPRoute/'))).toBe(false);
    const backends = find(nginx, 'Ingress', 'shop').spec.rules.flatMap((r: { http: { paths: unknown[] } }) =>
      r.http.paths.map((p) => at(p, 'backend.service.name')),
    );
    expect(backends.sort()).toEqual(['api-stable', 'web-stable', 'web-stable']);
    const canary = find(nginx, 'Ingress', 'web-canary');
    expect(canary.metadata.annotations).toMatchObject({ [NGINX_CANARY.canary]: 'true', [NGINX_CANARY.weight]: '0' });
    expect(canary.spec.ingressClassName).toBe('nginx');
    // The same hosts and paths as the app's Ingress: ingress-nginx pairs them by host and path.
    expect(canary.spec.rules).toEqual([
      {
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web-canary', port: { name: 'http' } } } },
          ],
        },
      },
      {
        host: 'admin.shop.example',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web-canary', port: { name: 'http' } } } },
          ],
        },
      },
    ]);
  });
});

describe('a progressive service with a canary running', () => {
  it('adds the canary Deployment, its own config and autoscaler, and moves the weights', () => {
    const input = withCanary(steady({ secrets: 'real' }), 'api', { canaryWeight: 25 });
    const objs = renderManifests(input);
    const before = refs(renderManifests(steady({ secrets: 'real' })));
    expect(
      refs(objs)
        .filter((r) => !before.includes(r))
        .sort(),
    ).toEqual([
      'ConfigMap/api-canary-config',
      'Deployment/api-canary',
      'HorizontalPodAutoscaler/api-canary',
      'Secret/api-canary-secret',
    ]);
    const canary = find(objs, 'Deployment', 'api-canary');
    expect(canary.spec.selector.matchLabels).toEqual({
      [LABEL.name]: 'api',
      [LABEL.instance]: 'shop-prod',
      [LABEL.track]: 'canary',
    });
    expect(canary.spec.template.metadata.labels[LABEL.track]).toBe('canary');
    expect(canary.metadata.annotations).toMatchObject({ [ANNOTATION.revision]: '13', [ANNOTATION.hash]: 'c4n4ry' });
    expect(canary.spec.template.spec.containers[0].image).toBe('shop/web:2.0');
    expect(canary.spec.template.spec.containers[0].env).toContainEqual({
      name: 'API',
      valueFrom: { configMapKeyRef: { name: 'api-canary-config', key: 'env.API' } },
    });
    expect(canary.spec.template.spec.volumes[0].projected.sources[0].configMap.name).toBe('api-canary-config');
    expect(find(objs, 'ConfigMap', 'api-canary-config').data['env.API']).toBe('v2');
    expect(find(objs, 'HorizontalPodAutoscaler', 'api-canary').spec.scaleTargetRef.name).toBe('api-canary');
    expect(find(objs, 'HorizontalPodAutoscaler', 'api').spec.scaleTargetRef.name).toBe('api');
    // The stable track is untouched by the canary: same Deployment, same ConfigMap.
    const rest = renderManifests(steady({ secrets: 'real' }));
    expect(find(objs, 'Deployment', 'api')).toEqual(find(rest, 'Deployment', 'api'));
    expect(find(objs, 'ConfigMap', 'api-config')).toEqual(find(rest, 'ConfigMap', 'api-config'));
    expect(at(find(objs, 'HTTPRoute', 'api'), 'spec.rules.0.backendRefs')).toEqual([
      { name: 'api-stable', port: 8080, weight: 75 },
      { name: 'api-canary', port: 8080, weight: 25 },
    ]);
  });

  it('sends a header match to the canary only, in a rule of its own, and reads the split back', () => {
    const split: TrafficSplit = { canaryWeight: 0, match: { header: 'x-beta', value: 'yes' } };
    const objs = renderManifests(withCanary(steady(), 'web', split));
    const route = find(objs, 'HTTPRoute', 'web');
    expect(route.spec.rules).toEqual([
      {
        matches: [
          { path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x-beta', value: 'yes' }] },
        ],
        backendRefs: [{ name: 'web-canary', port: 3000 }],
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [
          { name: 'web-stable', port: 3000, weight: 100 },
          { name: 'web-canary', port: 3000, weight: 0 },
        ],
      },
    ]);
    expect(httpRouteSplit(route, 'web')).toEqual(split);
    expect(liveSplit(objs, 'web')).toEqual(split);
    expect(routesFromAnnotation(route.metadata.annotations[ANNOTATION.routes], 'web')).toEqual([
      { pathPrefix: '/', service: 'web', stripPrefix: false },
    ]);
  });

  it('turns a cookie match into a regular expression on the Cookie header that reads back', () => {
    const split: TrafficSplit = { canaryWeight: 10, match: { cookie: 'beta.v2', value: 'on' } };
    const objs = renderManifests(withCanary(steady(), 'web', split));
    const header = at(find(objs, 'HTTPRoute', 'web'), 'spec.rules.0.matches.0.headers.0');
    expect(header).toEqual({ type: 'RegularExpression', name: 'Cookie', value: '^(.*;\\s*)?beta\\.v2=on(;.*)?$' });
    const re = new RegExp(header.value);
    expect(re.test('beta.v2=on')).toBe(true);
    expect(re.test('a=1; beta.v2=on; b=2')).toBe(true);
    expect(re.test('beta.v2=one')).toBe(false);
    expect(re.test('xbeta.v2=on')).toBe(false);
    expect(re.test('betaxv2=on')).toBe(false);
    expect(httpRouteSplit(find(objs, 'HTTPRoute', 'web'), 'web')).toEqual(split);
    expect(parseCookieRegex(cookieRegex('a+b', 'x=y'))).toEqual({ cookie: 'a+b', value: 'x=y' });
  });

  it('with ingress-nginx: canary-weight and canary-by-header, read back', () => {
    const split: TrafficSplit = { canaryWeight: 40, match: { header: 'x-beta', value: 'yes' } };
    const objs = renderManifests(withCanary(steady({ trafficRouter: 'ingressNginx' }), 'web', split));
    const ing = find(objs, 'Ingress', 'web-canary');
    expect(ing.metadata.annotations).toMatchObject({
      [NGINX_CANARY.weight]: '40',
      [NGINX_CANARY.byHeader]: 'x-beta',
      [NGINX_CANARY.byHeaderValue]: 'yes',
    });
    expect(canaryIngressSplit(ing)).toEqual(split);
    const cookie = renderManifests(
      withCanary(steady({ trafficRouter: 'ingressNginx' }), 'web', {
        canaryWeight: 0,
        match: { cookie: 'beta', value: 'always' },
      }),
    );
    expect(liveSplit(cookie, 'web')).toEqual({ canaryWeight: 0, match: { cookie: 'beta', value: 'always' } });
  });

  it('refuses a cookie value ingress-nginx cannot match, at render time, naming the field', () => {
    const text = PROGRESSIVE.replace('{ header: X-Beta, value: "yes" }', '{ cookie: beta, value: "yes" }');
    expect(() => renderManifests(steady({}, text))).not.toThrow();
    let err: unknown;
    try {
      renderManifests(steady({ trafficRouter: 'ingressNginx' }, text));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      expect.objectContaining({
        file: 'berth.yaml',
        path: 'services.api.strategy.match.value',
        message: expect.stringMatching(/cookie's value is "always"/),
      }),
    ]);
  });

  it('refuses a weight outside 0..100', () => {
    expect(() => renderManifests(withCanary(steady(), 'web', { canaryWeight: 120 }))).toThrow(
      expect.objectContaining({
        problems: [expect.objectContaining({ path: 'services.web.traffic.canaryWeight' })],
      }),
    );
  });
});

describe('Gateway API validation of HTTPRoutes', () => {
  it('validates every rendered HTTPRoute against the Gateway API schema', () => {
    const objs = renderManifests(withCanary(steady(), 'web', { canaryWeight: 50, match: { cookie: 'b', value: '1' } }));
    const routes = objs.filter((o) => o.kind === 'HTTPRoute');
    expect(routes.length).toBe(3);
    for (const r of routes) expect(() => new HTTPRoute(r as never).validate()).not.toThrow();
  });

  it('names the object and the field of a bad HTTPRoute', () => {
    const route = structuredClone(renderManifests(steady()).find((o) => o.kind === 'HTTPRoute')!);
    const bad = at(route, '');
    bad.spec.rules[0].backendRefs[1].weight = '0';
    bad.spec.rules[0].matches[0].path.type = 'Glob';
    expect(objectProblems(bad, 30)).toEqual([
      { file: 'HTTPRoute/api', path: 'spec.rules.0.backendRefs.1.weight', message: 'must be integer' },
      {
        file: 'HTTPRoute/api',
        path: 'spec.rules.0.matches.0.path.type',
        message: 'must be equal to one of the allowed values',
      },
    ]);
    expect(() => validateObjects([bad], '1.30')).toThrow(ValidationError);
  });
});

describe('autoscaling behaviour', () => {
  it("carries a non-default scale-down stabilization window into the HPA's behavior", () => {
    const text = FIXTURE_TEXT.replace(
      '    autoscale: { min: 2, max: 10, cpu: 70%, requestsPerSecond: 50 }\n',
      '    autoscale: { min: 2, max: 10, cpu: 70%, requestsPerSecond: 50, scaleDownStabilization: 60s }\n',
    );
    const objects = renderManifests(fixtureInput({ secrets: 'masked' }, text).manifest);
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!;
    expect((hpa as unknown as { spec: { behavior: unknown } }).spec.behavior).toEqual({
      scaleDown: { stabilizationWindowSeconds: 60 },
    });
    const plain = renderManifests(steady()).find((o) => o.kind === 'HorizontalPodAutoscaler')!;
    expect((plain as unknown as { spec: { behavior?: unknown } }).spec.behavior).toBeUndefined();
  });
});
