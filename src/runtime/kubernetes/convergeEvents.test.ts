import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from './manifests/contract.js';
import {
  appliedMessage,
  convergedMessage,
  listOf,
  prunedMessage,
  routesMessage,
  trafficMessage,
} from './convergeEvents.js';

const obj = (kind: string, name: string): KubernetesObject =>
  ({ apiVersion: 'v1', kind, metadata: { name } }) as KubernetesObject;
const web = obj('Deployment', 'web');
const svc = obj('Service', 'web');

describe("the Kubernetes runtime's converge events as coded messages", () => {
  it('say what the CLI printed before, with codes and params', () => {
    const applied = appliedMessage([web, svc], 'shop-prod');
    expect(applied.text).toBe('server-side applied Deployment/web, Service/web to shop-prod');
    expect(applied).toMatchObject({
      code: 'kube.applied',
      params: {
        namespace: 'shop-prod',
        objects: { code: 'kube.list', params: { first: 'Deployment/web', rest: { code: 'kube.item' } } },
      },
    });
    expect(prunedMessage([svc]).text).toBe('deleted Service/web: no longer rendered');
    expect(convergedMessage(1, 'a1').text).toBe('1 replica of a1 ready');
    const both = convergedMessage(3, 'a1', { count: 1, hash: 'b2' });
    expect(both.text).toBe('3 replicas of a1 and 1 of b2 (canary) ready');
    expect(both.params.canary).toMatchObject({ code: 'kube.convergedCanary', params: { count: 1, hash: 'b2' } });
    const traffic = trafficMessage({ canaryWeight: 20, match: { header: 'x-canary', value: 'yes' } }, [svc]);
    expect(traffic.text).toBe('canary 20%, stable 80%, header x-canary: yes (Service/web)');
    expect(traffic.params.match).toMatchObject({ code: 'kube.matchHeader' });
    expect(trafficMessage({ canaryWeight: 50, match: { cookie: 'beta', value: '1' } }, [svc]).text).toBe(
      'canary 50%, stable 50%, cookie beta=1 (Service/web)',
    );
    expect(routesMessage([obj('Ingress', 'shop')], [obj('Secret', 'shop-tls')])?.text).toBe(
      'applied Ingress/shop, deleted Secret/shop-tls',
    );
    expect(routesMessage([], [])).toBeUndefined();
    expect(listOf([])).toBe('');
  });
});
