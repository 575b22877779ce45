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

function scalarString(s: string): boolean {
  return (
    PLAIN.test(s) && !RESERVED.test(s) && !s.endsWith(' ') && !s.endsWith(':') && !s.includes(': ') && !s.includes(' #')
  );
}

function key(k: string): string {
  return PLAIN_KEY.test(k) && !RESERVED.test(k) && !k.endsWith(':') ? k : JSON.stringify(k);
}

/** A string as the rest of a line after `key:` or `-` (including the separating space or a block). */
function stringValue(s: string, indent: string): string {
  if (s === '') return ' ""';
  if (scalarString(s)) return ` ${s}`;
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

function isEmpty(v: unknown): boolean {
  return Array.isArray(v) ? v.length === 0 : v !== null && typeof v === 'object' && Object.keys(v).length === 0;
}

/** The value after `key:` or `- `: inline for scalars and empty collections, else a nested block. */
function value(v: unknown, indent: string, out: string[]): string {
  if (v === null || v === undefined) return ' null';
  if (typeof v === 'string') return stringValue(v, indent);
  if (typeof v === 'number' || typeof v === 'boolean') return ` ${String(v)}`;
  if (isEmpty(v)) return Array.isArray(v) ? ' []' : ' {}';
  out.push('');
  return '';
}

function block(v: unknown, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (item !== null && typeof item === 'object' && !Array.isArray(item) && !isEmpty(item)) {
        // `- key: value` then the item's other keys aligned under the first.
        const lines: string[] = [];
        block(item, `${indent}  `, lines);
        out.push(`${indent}- ${lines[0]!.slice(indent.length + 2)}`, ...lines.slice(1));
      } else {
        const nested: string[] = [];
        const rest = value(item, indent, nested);
        out.push(`${indent}-${rest}`);
        if (nested.length) block(item, `${indent}  `, out);
      }
    }
    return;
  }
  for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
    if (item === undefined) continue;
    const nested: string[] = [];
    const rest = value(item, indent, nested);
    out.push(`${indent}${key(k)}:${rest}`);
    // Sequences sit under their key at the same indent as kubectl prints them: two spaces in.
    if (nested.length) block(item, `${indent}  `, out);
  }
}

/** One object as a YAML document (no `---`). */
export function objectToYaml(obj: unknown): string {
  const out: string[] = [];
  block(obj, '', out);
  return `${out.join('\n')}\n`;
}

/** `---`-separated YAML documents. */
export function objectsToYaml(objects: KubernetesObject[]): string {
  return objects.map(objectToYaml).join('---\n');
}
