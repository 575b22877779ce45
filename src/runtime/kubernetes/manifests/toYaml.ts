/**
 * Objects as a multi-document YAML stream, the way kubectl and helm print them. A small emitter for
 * JSON-shaped data (the `yaml` library's general one is ~20× slower on a 200-service app): plain
 * scalars where YAML 1.1 and 1.2 both read them back as the same string, `|` blocks for multi-line
 * text, JSON double quotes (valid YAML) for everything else.
 */
import type { KubernetesObject } from './contract.js';

// Words YAML 1.1 (go-yaml, kubectl, helm) or 1.2 would read as a boolean or null.
const RESERVED = /^(?:y|n|yes|no|on|off|true|false|null|~)$/i;
const PLAIN = /^[A-Za-z_/][A-Za-z0-9 _./:@%+=~()-]*$/;
const PLAIN_KEY = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
// Characters a `|` block cannot hold as they are (YAML would normalise or reject them).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\u0085\u2028\u2029\ufeff]/;

/** Strings seen before and whether they print plain: rendered objects repeat names, labels and values. */
const plainCache = new Map<string, boolean>();
const keyCache = new Map<string, string>();
/** Bounds both caches (strings of a long-running control plane's renders). */
const MAX_CACHED = 20_000;

function isPlain(s: string): boolean {
  let plain = plainCache.get(s);
  if (plain === undefined) {
    plain =
      PLAIN.test(s) &&
      !RESERVED.test(s) &&
      !s.endsWith(' ') &&
      !s.endsWith(':') &&
      !s.includes(': ') &&
      !s.includes(' #');
    if (s.length <= 200) remember(plainCache, s, plain);
  }
  return plain;
}

function remember<V>(cache: Map<string, V>, k: string, v: V): void {
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(k, v);
}

function key(k: string): string {
  let out = keyCache.get(k);
  if (out === undefined) {
    out = PLAIN_KEY.test(k) && !RESERVED.test(k) && !k.endsWith(':') ? k : JSON.stringify(k);
    remember(keyCache, k, out);
  }
  return out;
}

/** A string as the rest of a line after `key:` or `-` (including the separating space or a block). */
function stringValue(s: string, indent: string): string {
  if (s === '') return ' ""';
  if (isPlain(s)) return ` ${s}`;
  if (s.includes('\n') && !CONTROL.test(s) && s[0] !== ' ' && s[0] !== '\n' && s[0] !== '\t') {
    const trailing = s.length - s.replace(/\n+$/, '').length;
    const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
    const body = trailing === 0 ? s : s.slice(0, -1);
    const inner = `${indent}  `;
    const lines = body.split('\n').map((l) => (l === '' ? '' : inner + l));
    return ` |${chomp}\n${lines.join('\n')}`;
  }
  return ` ${JSON.stringify(s)}`;
}

/** Empty as JSON sees it (undefined fields left out), so equal JSON gives equal YAML. */
function isEmpty(v: object): boolean {
  if (Array.isArray(v)) return v.length === 0;
  for (const k in v) if (Object.hasOwn(v, k) && (v as Record<string, unknown>)[k] !== undefined) return false;
  return true;
}

/**
 * The rest of the line after `key:` or `-`, with its line end: inline for scalars and empty
 * collections, else the nested block on the next lines (`indent` is the line's own indent).
 */
function rest(v: unknown, indent: string): string {
  if (v === null || v === undefined) return ' null\n';
  if (typeof v === 'string') return `${stringValue(v, indent)}\n`;
  if (typeof v !== 'object') return ` ${String(v)}\n`;
  if (isEmpty(v)) return Array.isArray(v) ? ' []\n' : ' {}\n';
  return `\n${block(v, `${indent}  `)}`;
}

/** A map's entries, one a line; the first line starts with `first` instead of `indent` (for `- key:`). */
function mapBlock(v: Record<string, unknown>, indent: string, first: string): string {
  let out = '';
  let prefix = first;
  for (const k of Object.keys(v)) {
    const item = v[k];
    if (item === undefined) continue;
    out += `${prefix}${key(k)}:${rest(item, indent)}`;
    prefix = indent;
  }
  return out === '' ? `${first}{}\n` : out;
}

function block(v: object, indent: string): string {
  if (!Array.isArray(v)) return mapBlock(v as Record<string, unknown>, indent, indent);
  let out = '';
  for (const item of v) {
    // `- key: value` then the item's other keys aligned under the first.
    if (item !== null && typeof item === 'object' && !Array.isArray(item) && !isEmpty(item))
      out += mapBlock(item as Record<string, unknown>, `${indent}  `, `${indent}- `);
    // Sequences sit under their key at the same indent as kubectl prints them: two spaces in.
    else out += `${indent}-${rest(item, indent)}`;
  }
  return out;
}

/** One object as a YAML document (no `---`). */
export function objectToYaml(obj: unknown): string {
  if (obj === null || typeof obj !== 'object') return `${rest(obj, '').slice(1)}`;
  return block(obj, '') || '\n';
}

/**
 * Documents of objects printed before, by their JSON: a control plane renders the same app again and
 * again, and most objects come out the same. Bounded by the characters held (keys and values).
 */
const documents = new Map<string, string>();
let documentChars = 0;
const MAX_DOCUMENT_CHARS = 6_000_000;

function remembered(json: string, doc: string): string {
  if (documentChars + json.length + doc.length > MAX_DOCUMENT_CHARS) {
    documents.clear();
    documentChars = 0;
  }
  documents.set(json, doc);
  documentChars += json.length + doc.length;
  return doc;
}

/** `---`-separated YAML documents; `jsons` (each object's `JSON.stringify`) lets unchanged objects be reused. */
export function objectsToYaml(objects: KubernetesObject[], jsons?: readonly string[]): string {
  if (!jsons) return objects.map(objectToYaml).join('---\n');
  return objects
    .map((o, i) => {
      const json = jsons[i]!;
      return documents.get(json) ?? remembered(json, objectToYaml(o));
    })
    .join('---\n');
}
