/**
 * Variable interpolation with the syntax compose users know: `${NAME}`, `$NAME`, `${NAME:-default}`,
 * `${NAME-default}`, `${NAME:?message}`, `${NAME?message}`, `${NAME:+alternative}`, `${NAME+alternative}`
 * and `$$` for a literal `$`. Defaults, messages and alternatives may themselves hold variables.
 * Every value that came from a secret is replaced by `******` in the masked output.
 */
import { ValidationError } from '../errors.js';
import { MASK } from '../model/mask.js';

/** What secrets look like (declared in src/model/mask.ts; importers here keep working). */
export { MASK } from '../model/mask.js';

/** The operators of `${NAME<op>argument}`. */
export const Operator = {
  defaultIfUnsetOrEmpty: ':-',
  defaultIfUnset: '-',
  errorIfUnsetOrEmpty: ':?',
  errorIfUnset: '?',
  alternativeIfSetAndNonEmpty: ':+',
  alternativeIfSet: '+',
} as const;
export type Operator = (typeof Operator)[keyof typeof Operator];

/** A parsed template: literal text and variable references. */
export type TemplateSegment =
  { kind: 'text'; text: string } | { kind: 'variable'; name: string; operator?: Operator; argument: TemplateSegment[] };

/** A variable reference found in a template, nested ones included. */
export interface VariableUse {
  name: string;
  /** Absent for a plain `${NAME}` / `$NAME`, which needs a value. */
  operator?: Operator;
}

/** A variable's value as interpolation sees it. */
export interface VariableValue {
  value: string;
  secret: boolean;
}

/** The result of interpolating one template. */
export interface Interpolated {
  value: string;
  /** `value` with every secret-derived part replaced by `******`: safe to show. */
  masked: string;
  /** True when any secret was used. */
  secret: boolean;
  /** Variables without a value and without a fallback (plain references and `:?` / `?`). */
  missing: { name: string; message: string }[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
// Longest first, so `:-` is not read as `:` followed by `-`.
const OPERATORS: readonly Operator[] = [':-', ':?', ':+', '-', '?', '+'];

function syntaxError(template: string, message: string): ValidationError {
  return new ValidationError(`invalid variable syntax in "${template}"`, [{ path: '', message }]);
}

/** Parses a template into segments; throws ValidationError on bad syntax such as an unclosed `${`. */
export function parseTemplate(template: string): TemplateSegment[] {
  const [segments, end] = parseUntil(template, 0, false);
  if (end !== template.length) throw syntaxError(template, `unexpected \`}\` at character ${end + 1}`);
  return segments;
}

/**
 * Templates parsed before: a render interpolates the same few hundred templates of a berth.yaml again
 * for every config version and edit. Only this module reads them, never changing them.
 */
const parsedTemplates = new Map<string, TemplateSegment[]>();
const MAX_PARSED_TEMPLATES = 20_000;

/** Forgets every template parsed before (server/renderWarmup.ts: a warm-up leaves nothing parsed behind). */
export function forgetParsedTemplates(): void {
  parsedTemplates.clear();
}

function parsed(template: string): TemplateSegment[] {
  let segments = parsedTemplates.get(template);
  if (segments === undefined) {
    segments = parseTemplate(template);
    if (parsedTemplates.size >= MAX_PARSED_TEMPLATES) parsedTemplates.clear();
    parsedTemplates.set(template, segments);
  }
  return segments;
}

function parseUntil(t: string, start: number, nested: boolean): [TemplateSegment[], number] {
  const out: TemplateSegment[] = [];
  const text = (s: string) => {
    const last = out[out.length - 1];
    if (last?.kind === 'text') last.text += s;
    else out.push({ kind: 'text', text: s });
  };
  let i = start;
  while (i < t.length) {
    const c = t[i]!;
    if (c === '}' && nested) return [out, i];
    if (c !== '$') {
      text(c);
      i++;
      continue;
    }
    const next = t[i + 1];
    if (next === '$') {
      text('$');
      i += 2;
    } else if (next === '{') {
      const [variable, end] = parseBraced(t, i);
      out.push(variable);
      i = end;
    } else if (next !== undefined && NAME_START.test(next)) {
      const name = readName(t, i + 1);
      out.push({ kind: 'variable', name, argument: [] });
      i += 1 + name.length;
    } else {
      // A `$` not followed by a name is literal, as in compose.
      text('$');
      i++;
    }
  }
  if (nested) throw syntaxError(t, 'unclosed `${` (missing `}`)');
  return [out, i];
}

function readName(t: string, start: number): string {
  let end = start;
  if (end < t.length && NAME_START.test(t[end]!)) end++;
  else return '';
  while (end < t.length && NAME_CHAR.test(t[end]!)) end++;
  return t.slice(start, end);
}

/** Parses `${...}` starting at `start` (the `$`); returns the segment and the index after `}`. */
function parseBraced(t: string, start: number): [TemplateSegment, number] {
  const name = readName(t, start + 2);
  if (!name) {
    const close = t.indexOf('}', start);
    const shown = close < 0 ? t.slice(start) : t.slice(start, close + 1);
    throw syntaxError(
      t,
      `\`${shown}\` is not a valid variable reference (names are letters, digits and \`_\`, not starting with a digit)`,
    );
  }
  let i = start + 2 + name.length;
  if (i >= t.length) throw syntaxError(t, `unclosed \`\${${name}\` (missing \`}\`)`);
  if (t[i] === '}') return [{ kind: 'variable', name, argument: [] }, i + 1];
  const operator = OPERATORS.find((op) => t.startsWith(op, i));
  if (!operator)
    throw syntaxError(
      t,
      `unexpected \`${t[i]}\` after \`\${${name}\` (expected \`}\`, \`:-\`, \`-\`, \`:?\`, \`?\`, \`:+\` or \`+\`)`,
    );
  i += operator.length;
  const [argument, end] = parseUntil(t, i, true);
  return [{ kind: 'variable', name, operator, argument }, end + 1];
}

/** Every variable reference in a template with its operator, in order, nested ones included. Throws on bad syntax. */
export function variableUses(template: string): VariableUse[] {
  const out: VariableUse[] = [];
  const walk = (segments: TemplateSegment[]) => {
    for (const s of segments) {
      if (s.kind !== 'variable') continue;
      out.push(s.operator === undefined ? { name: s.name } : { name: s.name, operator: s.operator });
      walk(s.argument);
    }
  };
  walk(parsed(template));
  return out;
}

/** The names of the variables a template uses, each once, in order of appearance. Throws on bad syntax. */
export function variablesIn(template: string): string[] {
  return [...new Set(variableUses(template).map((u) => u.name))];
}

/** Interpolates a template. Missing variables are collected, never thrown; bad syntax throws ValidationError. */
export function interpolate(template: string, lookup: (name: string) => VariableValue | undefined): Interpolated {
  const out: Interpolated = { value: '', masked: '', secret: false, missing: [] };
  renderInto(parsed(template), lookup, out, out.missing);
  return out;
}

/**
 * Appends the segments' value and masked value to `acc` (a render interpolates every template of
 * the app: one accumulator, no object per segment).
 */
function renderInto(
  segments: TemplateSegment[],
  lookup: (name: string) => VariableValue | undefined,
  acc: Omit<Interpolated, 'missing'>,
  missing: Interpolated['missing'],
): void {
  for (const s of segments) {
    if (s.kind === 'text') {
      acc.value += s.text;
      acc.masked += s.text;
      continue;
    }
    const v = lookup(s.name);
    const set = v !== undefined;
    const nonEmpty = set && v.value !== '';
    let use = false;
    switch (s.operator) {
      case undefined:
        if (set) use = true;
        else
          missing.push({
            name: s.name,
            message: `variable \`${s.name}\` has no value (set it in the config or the environment, or give it a default)`,
          });
        break;
      case ':-':
      case '-':
        if (s.operator === ':-' ? nonEmpty : set) use = true;
        else renderInto(s.argument, lookup, acc, missing);
        break;
      case ':?':
      case '?':
        if (s.operator === ':?' ? nonEmpty : set) use = true;
        else {
          const why = { value: '', masked: '', secret: false };
          renderInto(s.argument, lookup, why, missing);
          const state = set ? 'is empty' : 'has no value';
          missing.push({
            name: s.name,
            message: `variable \`${s.name}\` ${state}${why.masked ? `: ${why.masked}` : ''}`,
          });
        }
        break;
      case ':+':
      case '+':
        if (s.operator === ':+' ? nonEmpty : set) renderInto(s.argument, lookup, acc, missing);
        break;
    }
    if (use) {
      acc.value += v!.value;
      acc.masked += v!.secret ? MASK : v!.value;
      if (v!.secret) acc.secret = true;
    }
  }
}
