import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.js';
import { ManifestMemo } from './manifests/manifestMemo.js';
import { parseSpec } from '../../spec/load.js';
import { kubernetesRelease } from '../../export/kubernetesRelease.js';
import { serviceFieldOf, withSpecPositions } from './specPositions.js';

/** The problems of rendering `text` for Kubernetes, as `file:line:col path: message`. */
function renderProblems(text: string): string[] {
  const loaded = parseSpec(text, '/app/berth.yaml');
  const { manifest } = kubernetesRelease({
    loaded,
    environment: { name: 'prod', defaults: {} },
    config: { version: 0, values: {}, files: {} },
    revision: 1,
    digestSecret: (s) => `digest:${s.length}`,
    options: { namespace: 'prod', secrets: 'masked' },
  });
  try {
    withSpecPositions(loaded, () => new ManifestMemo().render(manifest));
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.path}: ${p.message}`);
  }
  throw new Error('expected a ValidationError');
}

describe('Kubernetes render problems', () => {
  it('are reported at the berth.yaml field the object field was rendered from', () => {
    const text = [
      'name: big',
      'services:',
      '  web:',
      '    image: nginx',
      '    ports: [8080]',
      '    replicas: 3000000000',
      '    health:',
      '      readiness: { http: { path: /healthz }, period: 100000000000s }',
      '  api:',
      '    image: api',
      '    ports: [9090]',
      '    resources: { requests: { cpu: 100m } }',
      '    autoscale: { min: 1, max: 3000000000, cpu: 50% }',
    ].join('\n');
    expect(renderProblems(text)).toEqual([
      '/app/berth.yaml:13:31 services.api.autoscale.max: Kubernetes HorizontalPodAutoscaler/api spec.maxReplicas: must match format "int32"',
      '/app/berth.yaml:6:15 services.web.replicas: Kubernetes Deployment/web spec.replicas: must match format "int32"',
      '/app/berth.yaml:8:54 services.web.health.readiness.period: Kubernetes Deployment/web spec.template.spec.containers.0.readinessProbe.periodSeconds: must match format "int32"',
    ]);
  });

  it('maps the fields Berth renders, and points at the service for the others', () => {
    const pod = 'spec.template.spec.containers.0';
    expect(serviceFieldOf('Deployment', `${pod}.livenessProbe.timeoutSeconds`)).toEqual([
      'health',
      'liveness',
      'timeout',
    ]);
    expect(serviceFieldOf('StatefulSet', `${pod}.ports.1.containerPort`)).toEqual(['ports', 1]);
    expect(serviceFieldOf('CronJob', 'spec.jobTemplate.spec.template.spec.containers.0.image')).toEqual(['image']);
    expect(serviceFieldOf('Deployment', 'spec.template.spec.terminationGracePeriodSeconds')).toEqual([
      'terminationGracePeriod',
    ]);
    expect(serviceFieldOf('Service', 'spec.ports.0.port')).toEqual(['ports', 0]);
    expect(serviceFieldOf('Deployment', 'spec.template.metadata.labels')).toEqual([]);
  });
});
