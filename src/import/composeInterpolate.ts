/**
 * Compose's own interpolation, done at import time as `docker compose config` does: `${VAR}`,
 * `${VAR:-default}`, `${VAR?error}`, `$$`, ... resolved against the .env file and the environment.
 * The syntax is Berth's (src/spec/interpolate.ts parses it); what differs is what a missing
 * variable means: compose puts an empty string and warns, and only `?` / `:?` stop it.
 */
import { ValidationError } from '../errors.js';
import type { Problem } from '../errors.js';
import { parseTemplate } from '../spec/interpolate.js';
import type { TemplateSegment } from '../spec/interpolate.js';
import type { Locate } from './report.js';

/** Values compose interpolates from: the environment over the .env file. */
export type Lookup = (name: string) => string | undefined;

/** The result of interpolating one string. */
export interface InterpolatedString {
  value: string;
  /** Variables the result was made from (set ones). */
  used: string[];
  /** Plain `${VAR}` references without a value: compose substitutes an empty string. */
  unset: string[];
  /** `${VAR?message}` / `${VAR:?message}` failures. */
  errors: string[];
}

/** Interpolates one string; bad syntax (an unclosed `${`) throws ValidationError without a position. */
export function interpolateString(template: string, lookup: Lookup): InterpolatedString {
  const used = new Set<string>();
  const unset: string[] = [];
  const errors: string[] = [];
  const render = (segments: TemplateSegment[]): string => {
    let out = '';
    for (const s of segments) {
      if (s.kind === 'text') {
        out += s.text;
        continue;
      }
      const v = lookup(s.name);
      const set = v !== undefined;
      const nonEmpty = set && v !== '';
      if (set) used.add(s.name);
      switch (s.operator) {
        case undefined:
          if (set) out += v;
          else unset.push(s.name);
          break;
        case ':-':
        case '-':
          out += (s.operator === ':-' ? nonEmpty : set) ? v : render(s.argument);
          break;
        case ':?':
        case '?':
          if (s.operator === ':?' ? nonEmpty : set) out += v;
          else {
            const why = render(s.argument);
            errors.push(`required variable \`${s.name}\` ${set ? 'is empty' : 'is not set'}${why ? `: ${why}` : ''}`);
          }
          break;
        case ':+':
        case '+':
          if (s.operator === ':+' ? nonEmpty : set) out += render(s.argument);
          break;
      }
    }
    return out;
  };
  const value = render(parseTemplate(template));
  return { value, used: [...used], unset, errors };
}

/** The result of interpolating a whole compose document. */
export interface InterpolatedCompose {
  data: Record<string, unknown>;
  /** Dotted path of each string value → the variables it was made from. */
  uses: Map<string, string[]>;
  /** Variables referenced without a value, each with the first path that used it. */
  unset: Map<string, (string | number)[]>;
}

/**
 * Interpolates every string value (not keys) of a compose document. Extension fields (`x-...`) are
 * left alone: compose uses them only through anchors, which are already expanded where used.
 * Throws one ValidationError with every `?` failure and syntax error, with positions.
 */
export function interpolateCompose(
  data: Record<string, unknown>,
  lookup: Lookup,
  file: string,
  locate: Locate,
): InterpolatedCompose {
  const problems: Problem[] = [];
  const uses = new Map<string, string[]>();
  const unset = new Map<string, (string | number)[]>();
  const problem = (path: (string | number)[], message: string) => {
    const pos = locate(path) ?? { line: 1, column: 1 };
    problems.push({ file, line: pos.line, column: pos.column, path: path.join('.'), message });
  };
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('$')) return v;
      try {
        const r = interpolateString(v, lookup);
        if (r.used.length > 0) uses.set(path.join('.'), r.used);
        for (const name of r.unset) if (!unset.has(name)) unset.set(name, path);
        for (const e of r.errors) problem(path, e);
        return r.value;
      } catch (err) {
        const why = err instanceof ValidationError ? (err.problems[0]?.message ?? err.message) : String(err);
        problem(path, `interpolation: ${why}`);
        return v;
      }
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = k.startsWith('x-') ? x : walk(x, [...path, k]);
      return out;
    }
    return v;
  };
  const out = walk(data, []) as Record<string, unknown>;
  if (problems.length > 0) {
    const n = problems.length;
    throw new ValidationError(`${file}: ${n} variable${n === 1 ? '' : 's'} cannot be interpolated`, problems);
  }
  return { data: out, uses, unset };
}
