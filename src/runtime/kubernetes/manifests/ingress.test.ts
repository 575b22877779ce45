import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../errors.js';
import { renderManifests } from './render.js';
import { FIXTURE_TEXT, fixtureInput } from './testdata/fixture.js';
import { objectsToYaml } from './toYaml.js';
import { validateObjects } from './validate.js';
import { ingressHostProblem } from './ingress.js';

const withRoutes = (routes: string): string =>
  `${FIXTURE_TEXT.slice(0, FIXTURE_TEXT.indexOf('routes:'))}routes:\n${routes}`;

describe('Ingress hosts', () => {
  it('renders a wildcard host as an Ingress host wildcard, beside the exact host, and validates', async () => {
    const text = withRoutes(
      [
        '  - { host: "*.shop.example", service: web }',
        '  - { host: shop.example, path: /api, service: api }',
        '  - { path: /, service: web }',
      ].join('\n'),
    );
    const objects = renderManifests(fixtureInput({ secrets: 'masked' }, text).manifest);
    const ing = objects.filter((o) => o.kind === 'Ingress');
    expect(() => validateObjects(objects, '1.30')).not.toThrow();
    await expect(objectsToYaml(ing)).toMatchFileSnapshot('__snapshots__/ingress-wildcard.yaml');
    const rules = (ing[0]!.spec as { rules: { host?: string }[] }).rules;
    expect(rules.map((r) => r.host)).toEqual([undefined, '*.shop.example', 'shop.example']);
  });

  it('follows the Kubernetes rules for hosts: a wildcard only as the whole first label, no IP address', () => {
    expect(ingressHostProblem('*.shop.local')).toBeUndefined();
    expect(ingressHostProblem('shop.local')).toBeUndefined();
    expect(ingressHostProblem('*')).toMatch(/needs a domain/);
    expect(ingressHostProblem('a.*.shop')).toMatch(/whole first label/);
    expect(ingressHostProblem('*a.shop')).toMatch(/whole first label/);
    expect(ingressHostProblem('*.*.shop')).toMatch(/whole first label/);
    expect(ingressHostProblem('10.0.0.1')).toMatch(/IP address/);
    expect(ingressHostProblem(`${'a'.repeat(64)}.shop`)).toMatch(/63/);
  });

  it('refuses a route whose host an Ingress cannot take, naming the route', () => {
    const text = withRoutes('  - { host: 10.0.0.1, service: web }');
    try {
      renderManifests(fixtureInput({}, text).manifest);
      expect.unreachable('rendered');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems).toContainEqual(
        expect.objectContaining({ path: 'routes.0.host', message: expect.stringContaining('is an IP address') }),
      );
    }
  });

  it("renders the Ingress's tls section with the route hosts and cert-manager's annotation; local certificate files are not read", async () => {
    const text = withRoutes(
      [
        '  - { host: "*.shop.example", service: web }',
        '  - { host: shop.example, path: /api, service: api }',
        'edge:',
        '  tls:',
        '    certificates: [{ hosts: [shop.example], cert: only-on-my-laptop.crt, key: only-on-my-laptop.key }]',
        '    kubernetes: { secretName: shop-tls, clusterIssuer: letsencrypt }',
      ].join('\n'),
    );
    const objects = renderManifests(fixtureInput({ secrets: 'masked' }, text).manifest);
    expect(() => validateObjects(objects, '1.30')).not.toThrow();
    const ing = objects.find((o) => o.kind === 'Ingress')!;
    expect(ing.metadata.annotations).toMatchObject({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
    expect((ing.spec as { tls: unknown }).tls).toEqual([
      { hosts: ['*.shop.example', 'shop.example'], secretName: 'shop-tls' },
    ]);
    await expect(objectsToYaml([ing])).toMatchFileSnapshot('__snapshots__/ingress-tls.yaml');
  });
});
