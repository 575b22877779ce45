/** berth.yaml edge cases: very deep dependency graphs, file paths that cannot be written, odd keys. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseSpec } from './load.js';

/** A spec of `n` services, each depending on the one before it (and the first on the last when `cycle`). */
export function chainSpec(n: number, cycle = false): string {
  const lines = ['name: deep', 'services:'];
  for (let i = 0; i < n; i++) {
    lines.push(`  s${i}:`, '    image: nginx');
    if (i > 0 || cycle) lines.push(`    dependsOn: [s${i > 0 ? i - 1 : n - 1}]`);
  }
  return lines.join('\n') + '\n';
}

function problemsOf(text: string): string[] {
  try {
    parseSpec(text, 'berth.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.path}: ${p.message}`);
  }
  throw new Error('expected a ValidationError');
}

describe('dependency graphs', () => {
  it('loads a 5,000-deep dependsOn chain', () => {
    const loaded = parseSpec(chainSpec(5_000), 'berth.yaml');
    expect(Object.keys(loaded.spec.services)).toHaveLength(5_000);
    expect(loaded.spec.services.s4999!.dependsOn).toEqual(['s4998']);
  });

  it('reports a cycle through 10,000 services once, at the dependency that closes it', () => {
    const problems = problemsOf(chainSpec(10_000, true));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^berth\.yaml:5:17 services\.s0\.dependsOn\.0: dependency cycle: s0 → s9999 → s9998 → /,
    );
    expect(problems[0]).toMatch(/ → s1 → s0$/);
  });
});

describe('keys', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reports a list or map used as a key at its position, and prints no warning', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const text = [
      'name: a',
      'services:',
      '  web:',
      '    image: x',
      '    env:',
      '      ? [a, b]',
      '      : c',
      '    labels: { {x: 1}: y, ok: z }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      'berth.yaml:6:9 services.web.env: a key must be a single value such as a name, not a list or a map',
      'berth.yaml:8:15 services.web.labels: a key must be a single value such as a name, not a list or a map',
    ]);
    expect(warn).not.toHaveBeenCalled();
  });

  it('reports every duplicate key, in block and flow maps, also in a map of 10,000 services', () => {
    const text = chainSpec(10_000) + '  s5000:\n    image: again\n    labels: { a: 1, b: 2, a: 3 }\n';
    expect(problemsOf(text)).toEqual([
      `berth.yaml:${2 + 10_000 * 3}:3 : YAML syntax: Map keys must be unique`,
      `berth.yaml:${4 + 10_000 * 3}:27 : YAML syntax: Map keys must be unique`,
    ]);
  });
});
