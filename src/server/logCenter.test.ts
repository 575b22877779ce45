/** The log center's retention settings from the control plane's environment. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { DEFAULT_INDEX_RETENTION } from '../logs/logIngester.js';
import { indexRetentionOf } from './logCenter.js';

describe('the log index retention', () => {
  it('is 7 days and 1 GiB per environment by default, and the variables change it', () => {
    expect(indexRetentionOf({})).toEqual({ maxAgeMs: 7 * 24 * 3600 * 1000, maxBytes: 1024 ** 3 });
    expect(DEFAULT_INDEX_RETENTION).toEqual(indexRetentionOf({}));
    expect(indexRetentionOf({ BERTH_LOG_INDEX_MAX_AGE: '72h', BERTH_LOG_INDEX_MAX_BYTES: '512Mi' })).toEqual({
      maxAgeMs: 72 * 3600 * 1000,
      maxBytes: 512 * 1024 ** 2,
    });
  });

  it('refuses a value it cannot read, naming the variable', () => {
    let err: unknown;
    try {
      indexRetentionOf({ BERTH_LOG_INDEX_MAX_AGE: 'a week', BERTH_LOG_INDEX_MAX_BYTES: '0' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path)).toEqual([
      'BERTH_LOG_INDEX_MAX_AGE',
      'BERTH_LOG_INDEX_MAX_BYTES',
    ]);
  });
});
