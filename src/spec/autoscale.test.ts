import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseSpec } from './load.js';

function load(autoscale: string, extra = '') {
  return parseSpec(
    `name: a\nservices:\n  web:\n    command: node server.js\n${extra}    autoscale: ${autoscale}\n`,
    'berth.yaml',
  ).spec.services.web!;
}

function problems(autoscale: string, extra = ''): string[] {
  try {
    load(autoscale, extra);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
  }
  throw new Error('expected a ValidationError');
}

describe('autoscale in berth.yaml', () => {
  it('fills the Kubernetes defaults: 15s sync, 300s scale-down stabilization, tolerance 0.1', () => {
    expect(load('{ max: 4, requestsPerSecond: 20 }').autoscale).toEqual({
      min: 1,
      max: 4,
      requestsPerSecond: 20,
      syncPeriodMs: 15_000,
      scaleDownStabilizationMs: 300_000,
      tolerance: 0.1,
    });
  });

  it('takes durations and a tolerance', () => {
    const a = load(
      '{ min: 2, max: 6, cpu: 70%, syncPeriod: 1s, scaleDownStabilization: 1m30s, tolerance: 0.05 }',
      '    resources: { requests: { cpu: 200m } }\n',
    ).autoscale;
    expect(a).toEqual({
      min: 2,
      max: 6,
      cpu: 70,
      syncPeriodMs: 1000,
      scaleDownStabilizationMs: 90_000,
      tolerance: 0.05,
    });
    expect(
      load('{ max: 2, requestsPerSecond: 5, scaleDownStabilization: 0 }').autoscale?.scaleDownStabilizationMs,
    ).toBe(0);
  });

  it('needs a cpu request to scale on cpu (the target is a percentage of it)', () => {
    expect(problems('{ max: 4, cpu: 70% }')).toEqual([
      '5:31 services.web.autoscale.cpu: autoscaling on `cpu` needs `resources.requests.cpu`: the target is a percentage of it',
    ]);
    expect(() => load('{ max: 4, requestsPerSecond: 10 }')).not.toThrow();
  });

  it('refuses a zero sync period, a bad duration and a tolerance outside [0, 1]', () => {
    expect(
      problems('{ max: 4, requestsPerSecond: 1, syncPeriod: 0s, scaleDownStabilization: soon, tolerance: 2 }'),
    ).toEqual([
      expect.stringMatching(/autoscale\.syncPeriod: must be longer than 0s/),
      expect.stringMatching(/autoscale\.scaleDownStabilization: invalid duration/),
      expect.stringMatching(/autoscale\.tolerance: must be between 0 and 1/),
    ]);
  });
});
