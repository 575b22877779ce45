import { describe, expect, it } from 'vitest';
import { BerthError, NotFoundError, ValidationError, toBerthError } from './errors.js';
import type * as Errors from './errors.js';

describe('Berth errors across copies of the module', () => {
  // The CLI runs as one bundled file with its own copy of errors.ts; the modules it loads on demand
  // throw errors of the copy they import. A second instance of the module stands for that here.
  it('are instances of the same-named classes of another copy, and of no other class', async () => {
    const copy = './errors.js?another-copy';
    const other = (await import(copy)) as typeof Errors;
    expect(other.ValidationError).not.toBe(ValidationError);
    const err = new other.ValidationError('berth.yaml has 1 problem', [{ path: 'services.web', message: 'bad' }]);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toBeInstanceOf(BerthError);
    expect(err).not.toBeInstanceOf(NotFoundError);
    // toBerthError keeps it as it is (with its problems) instead of wrapping it as an internal error.
    expect(toBerthError(err)).toBe(err);
    expect((toBerthError(err) as ValidationError).problems).toEqual([{ path: 'services.web', message: 'bad' }]);
    expect(new other.NotFoundError('no app x')).not.toBeInstanceOf(ValidationError);
  });

  it('does not take a plain error, or an object that only claims the names, for a Berth error', () => {
    expect(new Error('x')).not.toBeInstanceOf(BerthError);
    expect({ [Symbol.for('berth.errorClasses')]: ['BerthError'] }).not.toBeInstanceOf(BerthError);
    expect(toBerthError(new Error('boom')).code).toBe('INTERNAL');
    expect(new ValidationError('m', [])).toBeInstanceOf(BerthError);
  });
});
