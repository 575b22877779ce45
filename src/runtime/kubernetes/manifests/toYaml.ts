/**
 * Objects as a multi-document YAML stream, the way kubectl and helm print them. A small emitter for
 * JSON-shaped data (the `yaml` library's general one is ~20× slower on a 200-service app): plain
 * scalars where YAML 1.1 and 1.2 both read them back as the same string, `|` blocks for multi-line
 * text, JSON double quotes (valid YAML) for everything else.
 *
 * It also gives each document a validation key (see `YamlDocuments`): the YAML is a faithful
 * encoding of the object, so it can stand for the object where its JSON did before, and printing
 * it is needed anyway.
 */
import type { KubernetesObject } from './contract.js';
import { ANNOTATION } from './contract.js';

/** Characters a plain scalar may hold after its first: `[A-Za-z0-9 _./:@%+=~()-]`. */
const PLAIN_REST = charSet('A-Za-z0-9 _./:@%+=~()-');
/** Characters a plain key may hold after its first: `[A-Za-z0-9_./-]`. */
const KEY_REST = charSet('A-Za-z0-9_./-');
/** Words YAML 1.1 (go-yaml, kubectl, helm) or 1.2 would read as a boolean or null (`~` cannot start a plain scalar here). */
const RESERVED = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null']);
// Characters a `|` block cannot hold as they are (YAML would normalise or reject them).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\u0085\u2028\u2029\ufeff]/;

function charSet(spec: string): Uint8Array {
  const set = new Uint8Array(128);
  for (let i = 0; i < spec.length; i++) {
    if (spec[i + 1] === '-' && i + 2 < spec.length) {
      for (let c = spec.charCodeAt(i); c <= spec.charCodeAt(i + 2); c++) set[c] = 1;
      i += 2;
    } else set[spec.charCodeAt(i)] = 1;
  }
  return set;
}

/** `[A-Za-z_/]`: what a plain scalar or key may start with (never a digit, quote or indicator). */
function plainStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 47;
}

function reserved(s: string): boolean {
  return s.length <= 5 && RESERVED.has(s.toLowerCase());
}

/** A string that prints as itself: YAML 1.1 and 1.2 read it back as the same string. */
function isPlain(s: string): boolean {
  const n = s.length;
  if (!plainStart(s.charCodeAt(0))) return false;
  let prev = 0;
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || PLAIN_REST[c] === 0) return false;
    // `: ` would start a mapping value.
    if (c === 32 && prev === 58) return false;
    prev = c;
  }
  return prev !== 32 && prev !== 58 && !reserved(s);
}

/**
 * Lines printed before. A render's 1 MB of YAML has ~37,000 lines but only ~3,500 different ones
 * (labels, namespace, probe fields, ports...), so a line of a scalar is looked up by its start (the
 * indent or `- `, then the key) and its value, and appended as one piece. The start fixes the
 * indent, so a `|` block's lines are the same too. Bounded by the lines held.
 */
interface LineStart {
  /** The indent or `- `, the key and `:`. */
  text: string;
  /** The whole line (or `|` block) by the scalar value it prints. */
  lines: Map<string | number | boolean | null, string>;
}
const lineStarts = new Map<string, Map<string, LineStart>>();
let linesHeld = 0;
const MAX_LINES = 50_000;
/** Longer strings (file contents) are printed each time: they rarely repeat, and would fill the cache. */
const MAX_CACHED_STRING = 120;

/** Forgets every line printed before (server/renderWarmup.ts: a warm-up leaves no cached text behind). */
export function forgetPrintedLines(): void {
  lineStarts.clear();
  linesHeld = 0;
}

function startsOf(prefix: string): Map<string, LineStart> {
  let starts = lineStarts.get(prefix);
  if (starts === undefined) lineStarts.set(prefix, (starts = new Map()));
  return starts;
}

function lineStart(starts: Map<string, LineStart>, prefix: string, k: string): LineStart {
  let start = starts.get(k);
  if (start === undefined) {
    start = { text: `${prefix}${plainKey(k) ? k : JSON.stringify(k)}:`, lines: new Map() };
    starts.set(k, start);
    linesHeld++;
  }
  return start;
}

function plainKey(k: string): boolean {
  if (!plainStart(k.charCodeAt(0))) return false;
  for (let i = 1; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (c >= 128 || KEY_REST[c] === 0) return false;
  }
  return !reserved(k);
}

/** Indent strings by depth (two spaces a level), and the same with `- ` for a list item's first line. */
const INDENTS: string[] = [];
const DASHES: string[] = [];
function indentOf(depth: number): string {
  while (INDENTS.length <= depth) INDENTS.push('  '.repeat(INDENTS.length));
  return INDENTS[depth]!;
}
function dashOf(depth: number): string {
  while (DASHES.length <= depth) DASHES.push(`${'  '.repeat(DASHES.length)}- `);
  return DASHES[depth]!;
}

/**
 * Berth's release annotations (`berth.dev/revision`, `config-version`, `config-checksum`, `hash`):
 * the validation key leaves their values out (see validate.ts), so an object that differs from one
 * found valid only in them is not checked again.
 */
export const RELEASE_KEYS: ReadonlySet<string> = new Set<string>([
  ANNOTATION.revision,
  ANNOTATION.configVersion,
  ANNOTATION.configChecksum,
  ANNOTATION.hash,
]);
/** Values a release annotation may hold and still be left out of the key: never a quote, backslash or control character. */
export const RELEASE_VALUE = /^[A-Za-z0-9._:+-]*$/;
/** Stands for a left-out value in a key: the emitter never prints a NUL (it is escaped in quotes). */
const LEFT_OUT = '\u0000';

/**
 * Makes V8 store a string built by `+=` (a tree of ~1,000 pieces a document) as one flat run of
 * characters, in place, once: comparing, slicing or joining it then reads the characters directly
 * instead of walking the tree. `Number` reads the whole string; the number it finds is of no interest.
 */
function flatten(s: string): string {
  Number(s);
  return s;
}

/** A string as the rest of a line after `key:` or `-` on a line of `depth`, with its line end. */
function stringRest(s: string, depth: number): string {
  if (s === '') return ' ""\n';
  if (isPlain(s)) return ` ${s}\n`;
  const c0 = s.charCodeAt(0);
  if (c0 !== 32 && c0 !== 10 && c0 !== 9 && s.includes('\n') && !CONTROL.test(s)) return literal(s, depth);
  return ` ${JSON.stringify(s)}\n`;
}

/** A `|` block: the chomping indicator keeps the trailing line ends, each line indented one level in. */
function literal(s: string, depth: number): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 10) end--;
  const trailing = s.length - end;
  const body = trailing === 0 ? s : s.slice(0, -1);
  const inner = indentOf(depth + 1);
  let out = trailing === 0 ? ' |-\n' : trailing === 1 ? ' |\n' : ' |+\n';
  let from = 0;
  for (;;) {
    const nl = body.indexOf('\n', from);
    const line = nl < 0 ? body.slice(from) : body.slice(from, nl);
    if (line !== '') out += inner + line;
    if (nl < 0) break;
    out += '\n';
    from = nl + 1;
  }
  return `${out}\n`;
}

/** The rest of a line of a scalar that is always the same for the same value (and so may be cached). */
function scalarRest(v: string | number | boolean | null, depth: number): string | undefined {
  if (v === null) return ' null\n';
  if (typeof v === 'string') return v.length <= MAX_CACHED_STRING ? stringRest(v, depth) : undefined;
  // Non-finite numbers (and bigints, symbols) are printed by `rest`, which marks the document unfaithful.
  if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return ` ${String(v)}\n`;
  return undefined;
}

/**
 * One document being printed. Appending with `+=` is the cheapest way V8 builds a string of many
 * small pieces (an array joined at the end measured 2× slower).
 */
class Emitter {
  out = '';
  /** False once a value is not JSON-shaped data (its YAML would not tell it apart from another value). */
  faithful = true;
  /** Start and end offsets in `out` of the release annotation values left out of the key. */
  cuts: number[] | undefined;
  /** Of those, the `revision` and `config-version` values of the top-level metadata's annotations (see `Stamps`). */
  stamps: number[] | undefined;

  string(s: string, depth: number): void {
    this.out += stringRest(s, depth);
  }

  /** The rest of the line after `key:` or `-`: inline for scalars and empty collections, else the nested block. */
  rest(v: unknown, depth: number): void {
    if (v === null) this.out += ' null\n';
    else if (v === undefined) {
      // A list item (fields that are undefined are left out): printed as null, which it is not.
      this.faithful = false;
      this.out += ' null\n';
    } else if (typeof v === 'string') this.string(v, depth);
    else if (typeof v !== 'object') {
      if (typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) this.faithful = false;
      this.out += ` ${String(v)}\n`;
    } else if (Array.isArray(v)) {
      if (v.length === 0) this.out += ' []\n';
      else {
        this.out += '\n';
        this.seq(v, depth + 1);
      }
    } else {
      const keys = this.keysOf(v);
      if (keys === undefined) this.out += ' {}\n';
      else {
        this.out += '\n';
        this.map(v as Record<string, unknown>, keys, depth + 1, indentOf(depth + 1));
      }
    }
  }

  /** A map's keys, or undefined when it is empty as JSON sees it (undefined fields left out). */
  keysOf(v: object): string[] | undefined {
    // Only plain objects print as what JSON makes of them (a Date, a Map would not).
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) this.faithful = false;
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) if ((v as Record<string, unknown>)[keys[i]!] !== undefined) return keys;
    return undefined;
  }

  /** A map's entries, one a line; the first line starts with `first` instead of the depth's indent (for `- key:`). */
  map(v: Record<string, unknown>, keys: string[], depth: number, first: string): void {
    const indent = indentOf(depth);
    let prefix = first;
    let starts = startsOf(first);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const item = v[k];
      if (item === undefined) continue;
      const start = lineStart(starts, prefix, k);
      if (typeof item === 'string' && RELEASE_KEYS.has(k) && RELEASE_VALUE.test(item)) {
        this.out += start.text;
        const from = this.out.length;
        this.string(item, depth);
        (this.cuts ??= []).push(from, this.out.length);
        // Depth 2 is a map in a top-level field (`metadata.annotations` for these keys).
        if (depth === 2 && (k === ANNOTATION.revision || k === ANNOTATION.configVersion))
          (this.stamps ??= []).push(k === ANNOTATION.revision ? 0 : 1, from, this.out.length);
      } else if (item === null || typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
        let line = start.lines.get(item);
        if (line === undefined) {
          const rest = scalarRest(item, depth);
          if (rest !== undefined) {
            line = flatten(start.text + rest);
            if (linesHeld < MAX_LINES) {
              start.lines.set(item, line);
              linesHeld++;
            }
          }
        }
        if (line !== undefined) this.out += line;
        else {
          this.out += start.text;
          this.rest(item, depth);
        }
      } else {
        this.out += start.text;
        this.rest(item, depth);
      }
      if (prefix !== indent) {
        prefix = indent;
        starts = startsOf(indent);
      }
    }
  }

  seq(v: unknown[], depth: number): void {
    const indent = indentOf(depth);
    for (const item of v) {
      // `- key: value` then the item's other keys aligned under the first.
      const keys = item !== null && typeof item === 'object' && !Array.isArray(item) ? this.keysOf(item) : undefined;
      if (keys !== undefined) this.map(item as Record<string, unknown>, keys, depth + 1, dashOf(depth));
      // Sequences sit under their key at the same indent as kubectl prints them: two spaces in.
      else {
        this.out += `${indent}-`;
        this.rest(item, depth);
      }
    }
  }
}

/** A printed document: its text, and where its key differs from it. */
interface Printed {
  doc: string;
  /** False when the object is not JSON-shaped data: it has no key. */
  faithful: boolean;
  /** Start and end offsets of the release annotation values the key leaves out. */
  cuts: number[] | undefined;
  stamps: Stamps | undefined;
}

/**
 * Where a document prints its release stamps, the `berth.dev/revision` (0) and
 * `berth.dev/config-version` (1) values of its top-level metadata's annotations: triples of which
 * one, start and end offset (of the value as printed after `key:`: ` "12"` and the line end), in
 * document order.
 */
export type Stamps = readonly number[];

/** A stamp's value (digits) as a document prints it after its key. */
export function stampText(value: string): string {
  return stringRest(value, 0);
}

function print(obj: unknown): Printed {
  if (linesHeld >= MAX_LINES) {
    lineStarts.clear();
    linesHeld = 0;
  }
  const e = new Emitter();
  if (obj === null || typeof obj !== 'object') {
    e.rest(obj, 0);
    return { doc: e.out.slice(1), faithful: false, cuts: undefined, stamps: undefined };
  }
  if (Array.isArray(obj)) e.seq(obj, 0);
  else {
    const keys = e.keysOf(obj);
    if (keys === undefined) e.out = '{}\n';
    else e.map(obj as Record<string, unknown>, keys, 0, '');
  }
  if (e.out === '') e.out = '\n';
  return { doc: flatten(e.out), faithful: e.faithful, cuts: e.cuts, stamps: e.stamps };
}

/** One object as a YAML document (no `---`). */
export function objectToYaml(obj: unknown): string {
  return print(obj).doc;
}

/**
 * Each object's YAML document and its validation key: the document with Berth's release annotation
 * values (`berth.dev/revision`, `config-version`, `config-checksum`, `hash`, when they hold only
 * `[A-Za-z0-9._:+-]`) each replaced by a NUL; none for an object that is not JSON-shaped data (a
 * non-finite number, a bigint, a class instance...). Two objects with the same key differ at most in
 * those values.
 */
export interface YamlDocuments {
  docs: string[];
  /** Whether document `i` has a key (is JSON-shaped data). */
  keyed(i: number): boolean;
  /** The key of document `i`, built when asked (to remember it). */
  key(i: number): string | undefined;
  /** Whether `key` is the key of document `i`, compared in place without building it. */
  hasKey(i: number, key: string): boolean;
  /** Where document `i` prints its release stamps (see `Stamps`). */
  stamps(i: number): Stamps | undefined;
  /** Start and end offsets of every release annotation value document `i` prints (undefined: none, or no key). */
  cuts(i: number): readonly number[] | undefined;
}

/** Prints every object once, for `objectsToYaml` and `validateObjects` to share. */
export function yamlDocuments(objects: readonly unknown[]): YamlDocuments {
  const printed = objects.map(print);
  return {
    docs: printed.map((p) => p.doc),
    keyed: (i) => printed[i]!.faithful,
    key: (i) => keyOf(printed[i]!),
    hasKey: (i, key) => hasKey(printed[i]!, key),
    stamps: (i) => printed[i]!.stamps,
    cuts: (i) => (printed[i]!.faithful ? printed[i]!.cuts : undefined),
  };
}

/** A printed document, its release annotation values' offsets and its stamps (see `YamlDocuments`). */
export interface CutDocument {
  doc: string;
  cuts: readonly number[] | undefined;
  stamps: Stamps | undefined;
  /** Set when the object is not JSON-shaped data (its document cannot be recut). */
  unfaithful?: true;
}

/**
 * `d` with its release annotation values (its `cuts`, in document order) printed as `values`
 * instead, an undefined one kept as it is: the document of an object equal to `d`'s but for those
 * values (see sameObject.ts).
 */
export function recut(d: CutDocument, values: readonly (string | undefined)[]): CutDocument {
  const { doc, cuts, stamps } = d;
  if (cuts === undefined) return d;
  let out = '';
  let from = 0;
  const moved: number[] = [];
  for (let i = 0; i < cuts.length; i += 2) {
    out += doc.slice(from, cuts[i]);
    const start = out.length;
    const v = values[i / 2];
    out += v === undefined ? doc.slice(cuts[i], cuts[i + 1]) : stringRest(v, 0);
    moved.push(start, out.length);
    from = cuts[i + 1]!;
  }
  out += doc.slice(from);
  const text = flatten(out);
  if (stamps === undefined) return { doc: text, cuts: moved, stamps };
  // Every stamp is one of the cuts: where its cut went.
  const newStamps: number[] = [];
  for (let i = 0; i < stamps.length; i += 3) {
    const j = cuts.indexOf(stamps[i + 1]!);
    newStamps.push(stamps[i]!, moved[j]!, moved[j + 1]!);
  }
  return { doc: text, cuts: moved, stamps: newStamps };
}

/** `d` with its stamps (see `Stamps`) printed as `values` (revision, config version) instead. */
export function restamp(d: CutDocument, values: readonly [string, string]): CutDocument {
  if (d.cuts === undefined || d.stamps === undefined) return d;
  const next: (string | undefined)[] = new Array<string | undefined>(d.cuts.length / 2);
  for (let i = 0; i < d.stamps.length; i += 3) next[d.cuts.indexOf(d.stamps[i + 1]!) / 2] = values[d.stamps[i]!];
  return recut(d, next);
}

function keyOf({ doc, faithful, cuts }: Printed): string | undefined {
  if (!faithful) return undefined;
  if (cuts === undefined) return doc;
  let k = doc.slice(0, cuts[0]);
  for (let i = 0; i < cuts.length; i += 2)
    k += LEFT_OUT + doc.slice(cuts[i + 1], i + 2 < cuts.length ? cuts[i + 2] : doc.length);
  return flatten(k);
}

/** `keyOf(p) === key`, segment by segment: most objects of a render are found this way, and a copy of each would be garbage. */
function hasKey({ doc, faithful, cuts }: Printed, key: string): boolean {
  if (!faithful) return false;
  if (cuts === undefined) return doc === key;
  let length = doc.length;
  for (let i = 0; i < cuts.length; i += 2) length -= cuts[i + 1]! - cuts[i]! - 1;
  if (length !== key.length) return false;
  // Slices of flat strings share their characters, and `===` on them compares memory.
  let at = 0;
  let from = 0;
  for (let i = 0; i <= cuts.length; i += 2) {
    const to = i < cuts.length ? cuts[i]! : doc.length;
    if (key.slice(at, at + to - from) !== doc.slice(from, to)) return false;
    at += to - from;
    if (i === cuts.length) break;
    if (key.charCodeAt(at) !== 0) return false;
    at += 1;
    from = cuts[i + 1]!;
  }
  return true;
}

/** `---`-separated YAML documents; `printed` (from `yamlDocuments(objects)`) saves printing them again. */
export function objectsToYaml(objects: KubernetesObject[], printed?: YamlDocuments): string {
  return (printed ?? yamlDocuments(objects)).docs.join('---\n');
}
