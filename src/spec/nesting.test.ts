/** YAML nested too deeply, in the text or through aliases: refused with file:line:col, never a stack overflow. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { importCompose } from '../import/importCompose.js';
import { parseSpec } from './load.js';
import { MAX_YAML_DEPTH } from './yamlNesting.js';

async function problemsOf(load: () => unknown): Promise<string[]> {
  try {
    await load();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`);
  }
  throw new Error('expected a ValidationError');
}

const spec = (command: string) => `name: a\nservices:\n  web:\n    image: x\n    command: ${command}\n`;
const compose = (command: string) => `services:\n  web:\n    image: x\n    command: ${command}\n`;
/** Anchored lists, each holding an alias of the one before: 50 × 60 levels once expanded, 60 in the text. */
function aliasChain(indent: string): string {
  const lines = [`${indent}x-0: &a0 [[[x]]]`];
  for (let i = 1; i <= 50; i++) lines.push(`${indent}x-${i}: &a${i} ${'['.repeat(60)}*a${i - 1}${']'.repeat(60)}`);
  return lines.join('\n') + '\n';
}
const TOO_DEEP = `nested too deeply (more than ${MAX_YAML_DEPTH} levels of lists and maps)`;

describe('deeply nested YAML', () => {
  // The first list or map too deep: `command: ` ends at column 13 and its value is the 4th level.
  const cases: [string, string, number][] = [
    ['20,000 unclosed [', '['.repeat(20_000), 14 + (MAX_YAML_DEPTH - 3)],
    ['20,000 balanced [ ]', '['.repeat(20_000) + ']'.repeat(20_000), 14 + (MAX_YAML_DEPTH - 3)],
    ['20,000 flow maps', '{a: '.repeat(20_000) + '1' + '}'.repeat(20_000), 14 + 4 * (MAX_YAML_DEPTH - 3)],
  ];
  for (const [what, command, column] of cases) {
    it(`berth.yaml: ${what} is refused at the first list too deep`, async () => {
      expect(await problemsOf(() => parseSpec(spec(command), 'berth.yaml'))).toEqual([
        `berth.yaml:5:${column} YAML syntax: ${TOO_DEEP}`,
      ]);
    });
    it(`berth import: ${what} is refused at the first list too deep`, async () => {
      const file = path.join('/tmp', 'compose.yaml');
      expect(await problemsOf(() => importCompose({ file, text: compose(command), environment: {} }))).toEqual([
        `${file}:4:${column} YAML syntax: ${TOO_DEEP}`,
      ]);
    });
  }

  it('block lists nested by indentation are refused too', async () => {
    const text = spec('\n' + Array.from({ length: 300 }, (_, i) => `${' '.repeat(6 + 2 * i)}-`).join('\n'));
    const [problem, ...rest] = await problemsOf(() => parseSpec(text, 'berth.yaml'));
    expect(rest).toEqual([]);
    expect(problem).toBe(
      `berth.yaml:${6 + MAX_YAML_DEPTH - 3}:${7 + 2 * (MAX_YAML_DEPTH - 3)} YAML syntax: ${TOO_DEEP}`,
    );
  });

  it('accepts nesting up to the limit', () => {
    const depth = MAX_YAML_DEPTH - 3; // the document, services and web are three levels
    const text = spec('[' + '['.repeat(depth - 1) + 'x' + ']'.repeat(depth));
    // The schema's error (a command holds strings), not the depth's.
    expect(() => parseSpec(text, 'berth.yaml')).toThrow(ValidationError);
    try {
      parseSpec(text, 'berth.yaml');
    } catch (err) {
      const problems = (err as ValidationError).problems;
      expect(problems.map((p) => p.path)).toEqual(['services.web.command.0']);
    }
  });

  it('berth.yaml: aliases that nest 3,000 levels deep are refused, not followed on the stack', async () => {
    const text = `name: a\n${aliasChain('')}services:\n  web:\n    image: x\n    command: *a50\n`;
    expect(await problemsOf(() => parseSpec(text, 'berth.yaml'))).toEqual([
      `berth.yaml:1:1 YAML: ${TOO_DEEP} once its aliases are expanded`,
    ]);
  });

  it('berth import: aliases that nest 3,000 levels deep are refused, not followed on the stack', async () => {
    const text = `${aliasChain('')}services:\n  web:\n    image: x\n    command: *a50\n`;
    const file = path.join('/tmp', 'compose.yaml');
    expect(await problemsOf(() => importCompose({ file, text, environment: {} }))).toEqual([
      `${file}:1:1 YAML: ${TOO_DEEP} once its aliases are expanded`,
    ]);
  });
});
