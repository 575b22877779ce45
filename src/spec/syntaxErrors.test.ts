import { describe, expect, it } from 'vitest';
import { parseSpec } from './load.js';
import { ValidationError } from '../errors.js';

describe('YAML syntax errors', () => {
  it('lists the first ten and sums up the cascade after them', () => {
    // An unquoted `${...}` in a flow map breaks the parser for the rest of the file.
    const lines = ['name: big', 'services:'];
    for (let i = 0; i < 50; i++) lines.push(`  s${i}:`, '    command: node s.js', '    env: { A: ${X}, B: 1 }');
    let err: unknown;
    try {
      parseSpec(`${lines.join('\n')}\n`, '/x/berth.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const problems = (err as ValidationError).problems;
    expect(problems).toHaveLength(11);
    expect(problems[0]).toMatchObject({ file: '/x/berth.yaml', line: 5 });
    expect(problems[10]!.message).toMatch(
      /^YAML syntax: \d+ more errors from line \d+ on, most likely caused by the ones above$/,
    );
  });
});
