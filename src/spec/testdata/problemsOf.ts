/** For tests: the problems of an invalid spec, as `line:column path: message`. */
import { expect } from 'vitest';
import { ValidationError } from '../../errors.js';
import { parseSpec } from '../load.js';

/** Parses `text` (or lines joined by newlines), expecting a ValidationError; its problems as `line:column path: message`. */
export function problemsOf(text: string | string[]): string[] {
  try {
    parseSpec(Array.isArray(text) ? text.join('\n') : text, 'berth.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    const e = err as ValidationError;
    for (const p of e.problems) expect(p.file).toBe('berth.yaml');
    return e.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
  }
  throw new Error('expected a ValidationError');
}
