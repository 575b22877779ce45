import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// the control plane's own schema: what the editor shows must read back to the same policy
import { policySchema } from '../../../src/spec/policy';
import { parsePolicyYaml, policyToYaml } from './policyYaml';
import { formatDuration } from '../../../src/model/durations.js';

const written = [
  { rateLimit: { requestsPerSecond: 5 } },
  { rateLimit: { requestsPerSecond: 0.5, burst: 3 }, timeout: '1m30s' },
  { retries: { attempts: 2, onStatus: [503], backoff: '250ms' }, timeout: 2 },
  { circuitBreaker: { errorRate: '12.5%', window: '1s', openFor: '1h2m3s' }, fallback: { body: 'later' } },
  { circuitBreaker: { consecutiveFailures: 3, errorRate: 0.333333333 } },
  {
    fallback: { status: 429, body: 'busy\nline two', contentType: 'application/json' },
    retries: { attempts: 1 },
  },
];

describe('policy YAML', () => {
  it.each(written)('shows %j so that it reads back to the same policy', (input) => {
    const normalised = policySchema.parse(input);
    const text = policyToYaml(normalised);
    expect(text).not.toMatch(/Ms:/); // the berth.yaml form, not the API's
    expect(policySchema.parse(parse(text))).toEqual(normalised);
  });

  it('writes durations and shares the way berth.yaml does', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(25)).toBe('25ms');
    expect(formatDuration(90_000)).toBe('1m30s');
    const text = policyToYaml(policySchema.parse({ circuitBreaker: { errorRate: '50%' }, timeout: '2s' }));
    expect(text).toContain('errorRate: 50%');
    expect(text).toContain('timeout: 2s');
    expect(text).toContain('window: 10s');
  });

  it('reads empty text as no policy and reports a syntax error with its line', () => {
    expect(policyToYaml(null)).toBe('');
    expect(parsePolicyYaml('')).toEqual({ ok: true, policy: null });
    expect(parsePolicyYaml('# nothing\n')).toEqual({ ok: true, policy: null });
    expect(parsePolicyYaml('rateLimit: { requestsPerSecond: 5 }')).toEqual({
      ok: true,
      policy: { rateLimit: { requestsPerSecond: 5 } },
    });
    const bad = parsePolicyYaml('rateLimit:\n  requestsPerSecond: [5\ntimeout: 2s');
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problems[0]).toMatchObject({ path: 'policy' });
      expect(bad.problems[0]!.line).toBeGreaterThanOrEqual(2);
    }
  });
});
