/** berth.yaml edge cases: very deep dependency graphs, file paths that cannot be written, odd keys. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TooLargeError, ValidationError } from '../errors.js';
import { MAX_SPEC_BYTES, parseSpec } from './load.js';
import { SpecParser } from './specParser.js';

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

  it('reports a duplicate key made through an alias, like any other duplicate', () => {
    const text = [
      'name: a',
      'services:',
      '  web:',
      '    image: x',
      '    env:',
      '      GREETING: &g HELLO',
      '      HELLO: one',
      '      *g : two',
      '    labels: { &k tier: a, *k : b }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      'berth.yaml:8:7 : YAML syntax: Map keys must be unique',
      'berth.yaml:9:27 : YAML syntax: Map keys must be unique',
    ]);
  });
});

describe('config file paths', () => {
  const spec = (...paths: string[]) =>
    [
      'name: a',
      'services:',
      '  web:',
      '    image: x',
      '    files:',
      ...paths.map((p) => `      - { path: ${JSON.stringify(p)}, content: x }`),
    ].join('\n');

  it('refuses paths that name no file inside the config directory, each at its line with the reason', () => {
    expect(
      problemsOf(spec('.', 'x/', '', '/etc/hosts', 'a/../../b', 'a//b', './c', 'd/./e', 'n\0ul', `${'x'.repeat(256)}`)),
    ).toEqual([
      'berth.yaml:6:17 services.web.files.0.path: must name a file: `.` is the config directory itself',
      'berth.yaml:7:17 services.web.files.1.path: must name a file, not a folder (it ends with `/`): write `x`',
      'berth.yaml:8:17 services.web.files.2.path: must not be empty',
      'berth.yaml:9:17 services.web.files.3.path: must be a relative path that stays inside the config directory',
      'berth.yaml:10:17 services.web.files.4.path: must be a relative path that stays inside the config directory',
      'berth.yaml:11:17 services.web.files.5.path: has an empty name between two `/`: write `a/b`',
      'berth.yaml:12:17 services.web.files.6.path: has a `.` folder: write `c`',
      'berth.yaml:13:17 services.web.files.7.path: has a `.` folder: write `d/e`',
      'berth.yaml:14:17 services.web.files.8.path: must not contain a NUL character',
      'berth.yaml:15:17 services.web.files.9.path: has a name longer than 255 bytes (`xxxxxxxxxxxxxxxxxxxx…`)',
    ]);
  });

  it('refuses the same file twice and a file that another path needs as a folder', () => {
    expect(problemsOf(spec('conf/app.yaml', 'conf', 'conf/app.yaml', 'conf/app.yaml/x', 'log', 'log/a'))).toEqual([
      'berth.yaml:7:17 services.web.files.1.path: `conf` is a folder of files.0 (`conf/app.yaml`), it cannot also be a file',
      'berth.yaml:8:17 services.web.files.2.path: file `conf/app.yaml` is already defined by files.0',
      'berth.yaml:9:17 services.web.files.3.path: `conf/app.yaml` is a file (files.0), it cannot also be a folder',
      'berth.yaml:11:17 services.web.files.5.path: `log` is a file (files.4), it cannot also be a folder',
    ]);
  });

  it('accepts files in folders', () => {
    const loaded = parseSpec(spec('app.conf', 'conf.d/a.conf', 'conf.d/b.conf', '.hidden', 'a..b/c'), 'berth.yaml');
    expect(loaded.spec.services.web!.files.map((f) => f.path)).toEqual([
      'app.conf',
      'conf.d/a.conf',
      'conf.d/b.conf',
      '.hidden',
      'a..b/c',
    ]);
  });
});

describe('size', () => {
  it('refuses a text above 1 MiB before parsing it, naming the limit; counts bytes, not characters', () => {
    const comment = (bytes: number) => `name: a\nservices:\n  web:\n    image: x\n#${'é'.repeat(bytes / 2)}\n`;
    const over = comment(MAX_SPEC_BYTES);
    expect(over.length).toBeLessThan(MAX_SPEC_BYTES);
    for (const load of [() => parseSpec(over, 'berth.yaml'), () => new SpecParser().parse(over, 'berth.yaml')]) {
      expect(load).toThrow(TooLargeError);
      expect(load).toThrow(/^berth\.yaml is 1048616 bytes, more than a berth\.yaml may have \(1 MiB, 1048576 bytes\)/);
    }
    expect(parseSpec(comment(MAX_SPEC_BYTES - 100), 'berth.yaml').spec.name).toBe('a');
  });
});
