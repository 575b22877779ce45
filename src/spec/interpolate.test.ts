import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { interpolate, parseTemplate, variablesIn, variableUses } from './interpolate.js';
import type { VariableValue } from './interpolate.js';
import { MASK } from '../model/mask.js';

const values: Record<string, VariableValue> = {
  SET: { value: 'v', secret: false },
  EMPTY: { value: '', secret: false },
  PASSWORD: { value: 's3cret', secret: true },
  USER: { value: 'ann', secret: false },
};
const lookup = (name: string) => values[name];
const value = (t: string) => interpolate(t, lookup).value;

describe('interpolate', () => {
  it('replaces ${NAME} and bare $NAME', () => {
    expect(value('${SET}-$SET-$SET.x-${USER}@host')).toBe('v-v-v.x-ann@host');
  });

  it('keeps text without variables, a `$` not followed by a name, and turns $$ into $', () => {
    expect(value('plain text')).toBe('plain text');
    expect(value('cost: 5$ or $1 or $ alone or $-')).toBe('cost: 5$ or $1 or $ alone or $-');
    expect(value('$$SET $${SET} $$$$')).toBe('$SET ${SET} $$');
  });

  it.each([
    // [template, result] for every operator against set, empty and unset variables
    ['${SET:-d}', 'v'],
    ['${EMPTY:-d}', 'd'],
    ['${UNSET:-d}', 'd'],
    ['${SET-d}', 'v'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${UNSET:+alt}', ''],
    ['${SET+alt}', 'alt'],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${SET:?boom}', 'v'],
    ['${EMPTY?boom}', ''],
    ['${UNSET:-}', ''],
    ['${UNSET:-a:b-c}', 'a:b-c'],
  ])('%s → %j', (template, expected) => {
    const r = interpolate(template, lookup);
    expect(r.value).toBe(expected);
    expect(r.missing).toEqual([]);
  });

  it('nests variables in defaults, alternatives and messages', () => {
    expect(value('${UNSET:-${USER}}')).toBe('ann');
    expect(value('${UNSET:-${ALSO_UNSET:-deep}}')).toBe('deep');
    expect(value('${UNSET:-x${USER}y-$SET}')).toBe('xanny-v');
    expect(value('${SET:+[${USER}]}')).toBe('[ann]');
    const r = interpolate('${UNSET:?needs ${USER}}', lookup);
    expect(r.missing).toEqual([{ name: 'UNSET', message: 'variable `UNSET` has no value: needs ann' }]);
  });

  it('reports missing variables without throwing, with the `:?` message', () => {
    const r = interpolate('a=${UNSET} b=${EMPTY:?set EMPTY first} c=${GONE?} d=${SET:?never}', lookup);
    expect(r.value).toBe('a= b= c= d=v');
    expect(r.missing).toEqual([
      {
        name: 'UNSET',
        message: 'variable `UNSET` has no value (set it in the config or the environment, or give it a default)',
      },
      { name: 'EMPTY', message: 'variable `EMPTY` is empty: set EMPTY first' },
      { name: 'GONE', message: 'variable `GONE` has no value' },
    ]);
  });

  it('masks every part that came from a secret, and says a secret was used', () => {
    const r = interpolate('postgres://${USER}:${PASSWORD}@db/${UNSET:-${PASSWORD}}', lookup);
    expect(r.value).toBe('postgres://ann:s3cret@db/s3cret');
    expect(r.masked).toBe(`postgres://ann:${MASK}@db/${MASK}`);
    expect(r.secret).toBe(true);
    const plain = interpolate('${USER}', lookup);
    expect(plain).toEqual({ value: 'ann', masked: 'ann', secret: false, missing: [] });
  });

  it('rejects bad syntax with a ValidationError that says what is wrong', () => {
    const cases: [string, string][] = [
      ['${UNCLOSED', 'unclosed `${UNCLOSED` (missing `}`)'],
      ['${A:-${B}', 'unclosed `${` (missing `}`)'],
      ['${}', '`${}` is not a valid variable reference (names are letters, digits and `_`, not starting with a digit)'],
      [
        '${1A}',
        '`${1A}` is not a valid variable reference (names are letters, digits and `_`, not starting with a digit)',
      ],
      ['${A B}', 'unexpected ` ` after `${A` (expected `}`, `:-`, `-`, `:?`, `?`, `:+` or `+`)'],
      ['${A:x}', 'unexpected `:` after `${A` (expected `}`, `:-`, `-`, `:?`, `?`, `:+` or `+`)'],
    ];
    for (const [template, message] of cases) {
      let err: unknown;
      try {
        parseTemplate(template);
      } catch (e) {
        err = e;
      }
      expect(err, template).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems[0]!.message, template).toBe(message);
    }
    expect(() => interpolate('${X', lookup)).toThrow(ValidationError);
  });

  it('treats a lone `}` as text', () => {
    expect(value('{ "a": "${SET}" }')).toBe('{ "a": "v" }');
  });
});

describe('variablesIn and variableUses', () => {
  it('lists every reference with its operator, nested ones included', () => {
    expect(variableUses('$A ${B:-${C}} ${D?msg} $$E ${F:+$G}')).toEqual([
      { name: 'A' },
      { name: 'B', operator: ':-' },
      { name: 'C' },
      { name: 'D', operator: '?' },
      { name: 'F', operator: ':+' },
      { name: 'G' },
    ]);
  });

  it('lists names once, in order of appearance', () => {
    expect(variablesIn('${B} $A ${B:-x} $$C')).toEqual(['B', 'A']);
    expect(variablesIn('no variables here')).toEqual([]);
  });
});
