import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { WARM_UP_SPEC, warmUpRender } from './renderWarmUp.js';

describe('the render warm-up', () => {
  it('renders every kind of workload of its built-in app, secrets masked', () => {
    const documents = warmUpRender((s) => createHmac('sha256', 'k').update(s).digest('hex'));
    const kinds = new Set(documents.map((d) => /^kind: (\w+)$/m.exec(d)?.[1]));
    for (const kind of [
      'Deployment',
      'StatefulSet',
      'DaemonSet',
      'Job',
      'CronJob',
      'Service',
      'HorizontalPodAutoscaler',
    ])
      expect(kinds).toContain(kind);
    expect(documents.join('')).not.toContain('warm-up-only');
    expect(WARM_UP_SPEC).toContain('warm-up-only');
  });
});
