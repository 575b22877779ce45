/** The manifest options of a render from the environment rendered for (pure). */
import { describe, expect, it } from 'vitest';
import type { Environment } from '../environment/environments.js';
import { ValidationError } from '../errors.js';
import { kubernetesTargetOptions } from './kubernetesTarget.js';

const env = (target: Environment['target']): Environment => ({
  name: 'prod',
  target,
  defaults: {},
  createdAt: '2026-01-01T00:00:00Z',
});

describe('the manifest options of a render', () => {
  it('renders an environment on this machine into the namespace asked for, else one named after it', () => {
    expect(kubernetesTargetOptions(env({ kind: 'local' }), { env: 'prod', secrets: 'masked' })).toEqual({
      namespace: 'prod',
      secrets: 'masked',
    });
    expect(
      kubernetesTargetOptions(env({ kind: 'local' }), {
        env: 'prod',
        namespace: 'apps',
        kubernetesVersion: '1.29',
        ingressClassName: 'nginx',
        secrets: 'masked',
      }),
    ).toEqual({ namespace: 'apps', secrets: 'masked', kubernetesVersion: '1.29', ingressClassName: 'nginx' });
  });

  it('takes a cluster environment’s namespace, traffic router, Gateway, storage and time zone', () => {
    const cluster = env({
      kind: 'kubernetes',
      namespace: 'shop',
      trafficRouter: 'ingressNginx',
      gateway: { name: 'edge' },
      storageClass: 'fast-ssd',
      timeZone: 'Europe/Berlin',
    });
    expect(kubernetesTargetOptions(cluster, { env: 'prod', namespace: 'shop', secrets: 'real' })).toEqual({
      namespace: 'shop',
      secrets: 'real',
      trafficRouter: 'ingressNginx',
      gateway: { name: 'edge' },
      storageClass: 'fast-ssd',
      timeZone: 'Europe/Berlin',
    });
  });

  it('refuses another namespace than a cluster environment’s, naming the body field', () => {
    let refused: unknown;
    try {
      kubernetesTargetOptions(env({ kind: 'kubernetes', namespace: 'shop' }), {
        env: 'prod',
        namespace: 'other',
        secrets: 'masked',
      });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).problems).toEqual([
      { file: 'request body', path: 'namespace', message: 'environment prod targets namespace shop' },
    ]);
  });
});
