import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseSpec } from './load.js';
import { phasesOf } from '../release/progressive.js';

const spec = (strategy: string, extra = ''): string =>
  `name: app\nservices:\n  api:\n    command: node server.js\n    replicas: 4\n${extra}    strategy:\n${strategy.replace(/^/gm, '      ')}\n`;

function strategyOf(text: string) {
  return parseSpec(text, 'berth.yaml').spec.services.api!.strategy;
}

function problemsOf(text: string): string[] {
  try {
    parseSpec(text, 'berth.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
  }
  throw new Error('expected a ValidationError');
}

describe('strategy in berth.yaml', () => {
  it('defaults to rolling, and gives canary and blue-green their defaults by name', () => {
    expect(
      parseSpec('name: app\nservices:\n  api: { command: x }\n', 'berth.yaml').spec.services.api!.strategy,
    ).toEqual({
      type: 'rolling',
    });
    expect(strategyOf('name: app\nservices:\n  api: { command: x, strategy: canary }\n')).toEqual({
      type: 'canary',
      steps: [{ weight: 10 }, { pauseMs: 30_000 }, { weight: 50 }, { pauseMs: 30_000 }],
      analysis: { intervalMs: 5000, minRequests: 20, onNoData: 'wait', maxErrorRate: 0.05 },
    });
    expect(strategyOf('name: app\nservices:\n  api: { command: x, strategy: blueGreen }\n')).toMatchObject({
      type: 'blueGreen',
      autoPromote: true,
      keepOldForMs: 30_000,
    });
  });

  it('normalises canary steps, manual gates and analysis thresholds', () => {
    const s = strategyOf(
      spec(
        'type: canary\nsteps: [{ weight: 5 }, { pause: 10s }, { weight: 25 }, { pause: manual }]\nanalysis: { interval: 2s, maxErrorRate: 1%, maxP99: 300ms, minRequests: 50, onNoData: fail }',
      ),
    );
    expect(s).toEqual({
      type: 'canary',
      steps: [{ weight: 5 }, { pauseMs: 10_000 }, { weight: 25 }, { pause: 'manual' }],
      analysis: { intervalMs: 2000, minRequests: 50, onNoData: 'fail', maxErrorRate: 0.01, maxP99Ms: 300 },
    });
    expect(strategyOf(spec('type: abTest\nmatch: { header: X-Variant, value: b }\nanalysis: false'))).toEqual({
      type: 'abTest',
      match: { header: 'x-variant', value: 'b' },
    });
  });

  it('reports bad strategies with line, column and path', () => {
    expect(problemsOf(spec('type: canary\nsteps: [{ weight: 150 }]'))).toEqual([
      '8:25 services.api.strategy.steps.0.weight: must be between 0 and 100',
    ]);
    expect(problemsOf(spec('type: blueGreen', '    kind: job\n'))).toContain(
      '7:5 services.api.strategy: only `kind: service` can have a `strategy`',
    );
  });
});

describe('rollout phases', () => {
  it('sizes canary replicas by weight and ends at 100%', () => {
    const s = strategyOf(spec('type: canary\nsteps: [{ weight: 10 }, { pause: 1s }, { weight: 50 }]'));
    if (s.type !== 'canary') throw new Error('not a canary');
    expect(phasesOf(s, 4)).toEqual([
      { kind: 'weight', weight: 10, replicas: 1 },
      { kind: 'pause', ms: 1000 },
      { kind: 'weight', weight: 50, replicas: 2 },
      { kind: 'weight', weight: 100, replicas: 4 },
    ]);
  });

  it('brings a blue-green track up in full before switching, and waits for promote without autoPromote', () => {
    const s = strategyOf(spec('type: blueGreen\nautoPromote: false\nkeepOldFor: 10s'));
    if (s.type !== 'blueGreen') throw new Error('not blue-green');
    expect(phasesOf(s, 4)).toEqual([
      { kind: 'weight', weight: 0, replicas: 4 },
      { kind: 'manual' },
      { kind: 'weight', weight: 100, replicas: 4 },
      { kind: 'pause', ms: 10_000 },
    ]);
  });
});

describe('policy in berth.yaml', () => {
  const withPolicy = (policy: string): string =>
    `name: app\nservices:\n  api:\n    command: x\n    policy: ${policy}\nroutes:\n  - path: /\n    service: api\n`;

  it('normalises a policy with its defaults', () => {
    const p = parseSpec(
      withPolicy(
        '{ rateLimit: { requestsPerSecond: 2.5 }, timeout: 2s, retries: { attempts: 2 }, circuitBreaker: { errorRate: 50% }, fallback: { body: degraded } }',
      ),
      'berth.yaml',
    ).spec.services.api!.policy;
    expect(p).toEqual({
      rateLimit: { requestsPerSecond: 2.5, burst: 3 },
      timeoutMs: 2000,
      retries: { attempts: 2, onStatus: [502, 503, 504], backoffMs: 25 },
      circuitBreaker: { errorRate: 0.5, minRequests: 20, windowMs: 10_000, openMs: 30_000, halfOpenRequests: 1 },
      fallback: { status: 503, body: 'degraded', contentType: 'text/plain; charset=utf-8' },
    });
  });

  it('names each bad field', () => {
    expect(problemsOf(withPolicy('{ circuitBreaker: { openFor: 1s }, retries: { attempts: 0 } }'))).toEqual([
      '5:15 services.api.policy.circuitBreaker: a circuit breaker needs `consecutiveFailures` and/or `errorRate`',
      '5:69 services.api.policy.retries.attempts: must be at least 1',
    ]);
  });
});
