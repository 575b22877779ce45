/** The logs route's parsing: a query → the runtime's selector and options (pure). */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.js';
import { LogQuery, logRequestOf } from './logs.js';

describe('a logs query', () => {
  it('selects the app’s running replicas, the last 200 lines, by default', () => {
    expect(logRequestOf('shop', 'prod', LogQuery.parse({}))).toEqual({
      selector: { app: 'shop', env: 'prod' },
      options: { follow: false, tail: 200 },
    });
  });

  it('narrows to a service and replica, follows, and reads from a time', () => {
    const q = LogQuery.parse({
      service: 'web',
      replica: 'web-2',
      follow: 'true',
      tail: '5',
      since: '2026-01-02T03:04:05Z',
    });
    expect(logRequestOf('shop', 'prod', q)).toEqual({
      selector: { app: 'shop', env: 'prod', service: 'web', replica: 'web-2' },
      options: { follow: true, tail: 5, since: new Date('2026-01-02T03:04:05Z') },
    });
  });

  it('reads the previous runs, and refuses to follow them, naming the query field', () => {
    expect(logRequestOf('shop', 'prod', LogQuery.parse({ previous: 'true' })).selector).toEqual({
      app: 'shop',
      env: 'prod',
      previous: true,
    });
    let refused: unknown;
    try {
      logRequestOf('shop', 'prod', LogQuery.parse({ previous: 'true', follow: 'true' }));
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).problems).toEqual([
      { file: 'request query', path: 'follow', message: 'the previous runs write no more lines: leave out follow' },
    ]);
  });

  it('refuses a tail beyond 100000 lines and a since that is not a time', () => {
    expect(LogQuery.safeParse({ tail: '100001' }).success).toBe(false);
    expect(LogQuery.safeParse({ since: 'yesterday' }).success).toBe(false);
  });
});
