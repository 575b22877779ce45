import { describe, expect, it } from 'vitest';
import { dotenvValues, parseDotenv } from './dotenv.js';

describe('parseDotenv', () => {
  it('reads the forms compose reads', () => {
    const text = [
      '# comment',
      '',
      'PLAIN=value # trailing comment',
      'export EXPORTED=yes',
      "SINGLE='no $INTERP \\n here'",
      'DOUBLE="tab\\there $PLAIN"',
      'MULTI="one',
      'two"',
      'REF=${PLAIN}-${MISSING:-dflt}',
      'HASH=a#b',
      'BARE',
      'EMPTY=',
    ].join('\n');
    const env = parseDotenv(text, '.env', (n) => (n === 'BARE' ? 'from-env' : undefined));
    expect(env.problems).toEqual([]);
    expect(Object.fromEntries(dotenvValues(env))).toEqual({
      PLAIN: 'value',
      EXPORTED: 'yes',
      SINGLE: 'no $INTERP \\n here',
      DOUBLE: 'tab\there value',
      MULTI: 'one\ntwo',
      REF: 'value-dflt',
      HASH: 'a#b',
      BARE: 'from-env',
      EMPTY: '',
    });
    expect(env.entries.find((e) => e.key === 'REF')!.line).toBe(9);
  });

  it('reports bad names, unclosed quotes and ? errors with their lines', () => {
    const env = parseDotenv('1BAD=x\nOK=1\nQ="open\nR=${NOPE?needed}\n', 'app.env');
    expect(env.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`)).toEqual([
      'app.env:1:1 `1BAD` is not a variable name (letters, digits, `_`, `.`, `-`; not starting with a digit)',
      'app.env:3:3 unclosed double quote',
    ]);
  });

  it('stops on ${VAR?message}', () => {
    const env = parseDotenv('R=${NOPE?needed}\n', 'app.env');
    expect(env.problems.map((p) => `${p.line} ${p.message}`)).toEqual([
      '1 required variable `NOPE` is not set: needed',
    ]);
  });
});
