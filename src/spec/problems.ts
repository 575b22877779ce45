/**
 * Turns zod issues into findings a person can act on: one per unknown key (with a "did you mean"),
 * the useful branch of a union instead of "Invalid input", and "expected a number, got the string
 * "two"" instead of zod's wording. Positions are added by the loader, which owns the YAML document.
 */
import type { z } from 'zod';

/** A path into the document: map keys and list indexes. */
export type DocPath = readonly (string | number)[];

/** A problem before it has a file position. */
export interface Finding {
  /** The field the problem is about (shown dotted). */
  path: DocPath;
  message: string;
  /** Where to point: the value at `path` (default) or its key (unknown keys, bad names). */
  at?: 'key' | 'value';
}

type Issue = z.core.$ZodIssue;

/** Minimal view of zod 4's internals, used to find the keys a strict object allows. */
interface SchemaNode {
  _zod: {
    def: {
      type: string;
      innerType?: SchemaNode;
      in?: SchemaNode;
      options?: SchemaNode[];
      shape?: Record<string, SchemaNode>;
      valueType?: SchemaNode;
      element?: SchemaNode;
    };
  };
}

/** Unwraps optional/default/pipe/union wrappers down to the schemas that hold the value. */
function unwrap(schema: SchemaNode): SchemaNode[] {
  const def = schema._zod.def;
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  if (def.type === 'union' && def.options) return def.options.flatMap(unwrap);
  return [schema];
}

/** The keys an object schema allows at `path` (through records, arrays and unions); sorted. */
export function objectKeysAt(schema: z.ZodType, path: DocPath): string[] {
  let nodes = [schema as unknown as SchemaNode];
  for (const seg of path) {
    const next: SchemaNode[] = [];
    for (const n of nodes.flatMap(unwrap)) {
      const def = n._zod.def;
      if (def.type === 'object' && typeof seg === 'string' && def.shape?.[seg]) next.push(def.shape[seg]);
      else if (def.type === 'record' && typeof seg === 'string' && def.valueType) next.push(def.valueType);
      else if (def.type === 'array' && typeof seg === 'number' && def.element) next.push(def.element);
    }
    nodes = next;
  }
  const keys = nodes
    .flatMap(unwrap)
    .flatMap((n) => (n._zod.def.type === 'object' ? Object.keys(n._zod.def.shape ?? {}) : []));
  return [...new Set(keys)].sort();
}

/** Optimal-string-alignment distance: edits, with a swap of neighbours counting as one. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate closest to `word`, when it is close enough to be a likely typo. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 4));
  let best: { c: string; d: number } | undefined;
  for (const c of [...candidates].sort()) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d <= limit && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

/** " (did you mean `x`?)" or nothing. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const s = suggest(word, candidates);
  return s === undefined ? '' : ` (did you mean \`${s}\`?)`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a map',
  record: 'a map',
  array: 'a list',
  null: 'nothing',
};

/** Describes a YAML value for "got ..." messages. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string "${v.length > 40 ? `${v.slice(0, 37)}...` : v}"`;
  return `${typeof v === 'number' ? 'the number' : ''} ${String(v)}`.trim();
}

function valueAt(data: unknown, path: DocPath): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function hasKey(data: unknown, path: DocPath): boolean {
  const parent = valueAt(data, path.slice(0, -1));
  return parent !== null && typeof parent === 'object' && Object.hasOwn(parent, path[path.length - 1]!);
}

function joinOr(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** True when a union branch failed because the value has another type altogether. */
function wrongType(branch: Issue[]): boolean {
  return branch.some((i) => i.path.length === 0 && i.code === 'invalid_type');
}

/** Maps zod issues from parsing `data` with `schema` to findings. */
export function zodFindings(issues: readonly Issue[], data: unknown, schema: z.ZodType, base: DocPath = []): Finding[] {
  const out: Finding[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = objectKeysAt(schema, path);
        for (const key of issue.keys)
          out.push({ path: [...path, key], message: `unknown key \`${key}\`${didYouMean(key, allowed)}`, at: 'key' });
        break;
      }
      case 'invalid_union': {
        const branches = issue.errors.filter((b) => !wrongType(b));
        if (branches.length > 0) {
          const best = branches.reduce((a, b) => (b.length < a.length ? b : a));
          out.push(...zodFindings(best, data, schema, path));
        } else {
          const expected = issue.errors.flatMap((b) =>
            b.flatMap((i) =>
              i.code === 'invalid_type' && i.path.length === 0 ? [EXPECTED[i.expected] ?? i.expected] : [],
            ),
          );
          out.push({
            path,
            message: `expected ${joinOr([...new Set(expected)])}, got ${describeValue(valueAt(data, path))}`,
          });
        }
        break;
      }
      case 'invalid_type':
        if (!hasKey(data, path) && path.length > 0)
          out.push({ path, message: `missing required key \`${path[path.length - 1]}\`` });
        else
          out.push({
            path,
            message: `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(valueAt(data, path))}`,
          });
        break;
      case 'invalid_key':
        out.push({ path, message: issue.issues[0]?.message ?? issue.message, at: 'key' });
        break;
      case 'invalid_value':
        out.push({
          path,
          message: `expected one of ${issue.values.map((v) => `\`${String(v)}\``).join(', ')}, got ${describeValue(valueAt(data, path))}`,
        });
        break;
      default:
        out.push({ path, message: issue.message });
    }
  }
  return out;
}
