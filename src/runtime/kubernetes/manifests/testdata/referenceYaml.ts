/**
 * The emitter toYaml.ts had before it was rewritten for speed (regular expressions, one string
 * returned per level), kept as the reference the fast one must print byte for byte the same as.
 */
// Words YAML 1.1 (go-yaml, kubectl, helm) or 1.2 would read as a boolean or null.
const RESERVED = /^(?:y|n|yes|no|on|off|true|false|null|~)$/i;
const PLAIN = /^[A-Za-z_/][A-Za-z0-9 _./:@%+=~()-]*$/;
const PLAIN_KEY = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
// Characters a `|` block cannot hold as they are (YAML would normalise or reject them).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\u0085\u2028\u2029\ufeff]/;

function isPlain(s: string): boolean {
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

/** One value as a YAML document, as the emitter printed it before. */
export function referenceYaml(obj: unknown): string {
  if (obj === null || typeof obj !== 'object') return `${rest(obj, '').slice(1)}`;
  return block(obj, '') || '\n';
}
