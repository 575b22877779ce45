/** The trace list route's parsing (pure): a query → the store's query, bad fields named. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.js';
import { TraceListParams, traceListOf } from './traces.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');

describe('a trace list query', () => {
  it('lists the last hour’s 50 newest traces by default', () => {
    expect(traceListOf('shop', 'prod', TraceListParams.parse({}), NOW)).toEqual({
      app: 'shop',
      env: 'prod',
      sinceMs: NOW - 3_600_000,
      limit: 50,
    });
  });

  it('takes service, errors, minMs, since and limit', () => {
    const q = TraceListParams.parse({
      service: 'orders',
      errors: 'true',
      minMs: '250',
      since: '2026-03-10T11:00:00Z',
      limit: '5',
    });
    expect(traceListOf('shop', 'prod', q, NOW)).toEqual({
      app: 'shop',
      env: 'prod',
      service: 'orders',
      errors: true,
      minMs: 250,
      sinceMs: Date.parse('2026-03-10T11:00:00Z'),
      limit: 5,
    });
    expect(traceListOf('shop', 'prod', TraceListParams.parse({ errors: 'false' }), NOW)).not.toHaveProperty('errors');
  });

  it('refuses a time it cannot read naming since, and bad values of the other fields', () => {
    let err: unknown;
    try {
      traceListOf('shop', 'prod', TraceListParams.parse({ since: 'soon' }), NOW);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      {
        file: 'request query',
        path: 'since',
        message: '"soon" is not a time (ISO 8601) or a duration ago (15m, 1h, 2d)',
      },
    ]);
    for (const bad of [
      { errors: 'yes' },
      { minMs: '-1' },
      { minMs: 'slow' },
      { limit: '0' },
      { limit: '501' },
      { service: '' },
    ]) {
      const r = TraceListParams.safeParse(bad);
      expect(r.success, JSON.stringify(bad)).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual([Object.keys(bad)[0]]);
    }
  });
});
