import { describe, expect, it } from 'vitest';
import { objectProblems } from './validate.js';
import type { KubernetesObject } from './contract.js';

/** A Deployment as the renderer builds it, with `spec` fields to vary. */
function deployment(spec: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'dev', labels: { app: 'web' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080 }] }] },
      },
      ...spec,
    },
  } as KubernetesObject;
}

describe('objectProblems', () => {
  it('finds no problem in a valid object and leaves it as it was', () => {
    const obj = deployment({ replicas: 2 });
    const before = JSON.stringify(obj);
    expect(objectProblems(obj, 30)).toEqual([]);
    expect(JSON.stringify(obj)).toBe(before);
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
  });

  it('names the field of a schema error, validated in place', () => {
    expect(objectProblems(deployment({ replicas: 'two' }), 30)).toEqual([
      { file: 'Deployment/web', path: 'spec.replicas', message: 'must be integer' },
    ]);
  });

  it('ignores undefined values as the schemas’ models do (an undefined field is an absent one)', () => {
    const withUndefined = deployment({ replicas: 'two', paused: undefined, notAField: undefined });
    expect(objectProblems(withUndefined, 30)).toEqual(objectProblems(deployment({ replicas: 'two' }), 30));
    const nested = deployment({});
    (
      nested.spec as { template: { spec: { containers: Record<string, unknown>[] } } }
    ).template.spec.containers[0]!.args = undefined;
    expect(objectProblems(nested, 30)).toEqual([]);
  });

  it('checks objects of every kind Berth renders against their schema', () => {
    const kinds = [
      ['v1', 'ConfigMap'],
      ['v1', 'Secret'],
      ['v1', 'Service'],
      ['v1', 'PersistentVolumeClaim'],
      ['apps/v1', 'Deployment'],
      ['apps/v1', 'StatefulSet'],
      ['apps/v1', 'DaemonSet'],
      ['batch/v1', 'Job'],
      ['batch/v1', 'CronJob'],
      ['networking.k8s.io/v1', 'Ingress'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler'],
      ['policy/v1', 'PodDisruptionBudget'],
      ['gateway.networking.k8s.io/v1', 'HTTPRoute'],
    ];
    for (const [apiVersion, kind] of kinds) {
      const obj = { apiVersion, kind, metadata: { name: 7 } } as unknown as KubernetesObject;
      expect(objectProblems(obj, 30), kind).toContainEqual({
        file: `${kind}/7`,
        path: 'metadata.name',
        message: 'must be string',
      });
    }
  });
});
