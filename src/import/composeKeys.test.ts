import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseCompose } from './composeFile.js';

describe('parseCompose keys', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reports a list used as a key at its position, and prints no warning', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const text = 'services:\n  web:\n    image: nginx\n    environment:\n      ? [a, b]\n      : c\n';
    let err: unknown;
    try {
      parseCompose(text, 'compose.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      {
        file: 'compose.yaml',
        line: 5,
        column: 9,
        path: 'services.web.environment',
        message: 'a key must be a single value such as a name, not a list or a map',
      },
    ]);
    expect(warn).not.toHaveBeenCalled();
  });
});
