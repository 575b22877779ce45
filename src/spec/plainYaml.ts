/**
 * A fast parse of plain YAML with js-yaml (~10× faster than the `yaml` library on a large berth.yaml),
 * for the common case of a valid file. It answers only when its result is sure to equal what the
 * `yaml` library's `parseDocument(...).toJS()` gives (YAML 1.2 core schema): text that uses anchors and
 * aliases, merge keys, tags, directives or complex keys, any error, and maps with keys the two
 * libraries turn into strings differently (null, collections) all give `undefined`, and the caller
 * parses with `yaml`, which also reports positions.
 */
import jsYaml from 'js-yaml';

/** Scalars resolved like the `yaml` library's core schema (`yaml/dist/schema/core`), first match wins. */
const nullType = new jsYaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (s: string | null) => s === null || /^(?:~|[Nn]ull|NULL)?$/.test(s),
  construct: () => null,
});
const boolType = new jsYaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s),
  construct: (s: string) => s[0] === 't' || s[0] === 'T',
});
const intType = new jsYaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && /^(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)$/.test(s),
  construct: (s: string) =>
    s.startsWith('0o') ? parseInt(s.slice(2), 8) : s.startsWith('0x') ? parseInt(s.slice(2), 16) : parseInt(s, 10),
});
const floatType = new jsYaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (s: string | null) =>
    s !== null &&
    (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s) ||
      /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s) ||
      /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)),
  construct: (s: string) =>
    /^[-+]?\./.test(s) && /[a-zA-Z]$/.test(s)
      ? s.slice(-3).toLowerCase() === 'nan'
        ? NaN
        : s.startsWith('-')
          ? Number.NEGATIVE_INFINITY
          : Number.POSITIVE_INFINITY
      : parseFloat(s),
});

const schema = jsYaml.FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, intType, floatType] });

/**
 * Features left to the `yaml` library: a directive (`%YAML 1.1` changes the schema), a tag (`!`), an
 * anchor (`&`: without one, js-yaml rejects every alias; the `yaml` library limits alias expansion,
 * js-yaml shares objects), a merge key (`<<`), a complex key (`? `), and a `#` right after a closing
 * quote or bracket (`[1]#`: a comment to js-yaml, an error to `yaml`, which wants a space before it).
 * Matches inside quoted strings too: those files just take the slow path.
 */
const SLOW_PATH = /^%|(?:^|[\s[{,])(?:!|&[^\s[\]{},]|\?(?:\s|$))|<<|["'\]}]#/m;

/**
 * Characters the two libraries read differently, so text with one takes the slow path: a carriage
 * return that does not end a line (`yaml` keeps it in the scalar or reports it, js-yaml breaks the
 * line), other C0 and C1 controls but tab and line feed (NUL, escape, vertical tab, form feed, NEL),
 * the Unicode line and paragraph separators, a byte order mark but at the start, and a lone UTF-16
 * surrogate.
 */
const ODD_CHARACTER =
  // eslint-disable-next-line no-control-regex -- finding control characters is what it is for
  /\r(?!\n)|[\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]|(?<!^)\ufeff|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const BLOCK_SCALAR_HEADER = /[|>][-+0-9]*$/;

/**
 * Whether a flow collection (`[`, `{`) or a quoted scalar goes on past the end of its line: js-yaml
 * reads the next lines whatever their indentation, where the `yaml` library (and the YAML spec)
 * reports too little indentation. Such text takes the slow path. Block scalars' lines are skipped.
 */
function spansLines(text: string): boolean {
  // Character codes, not one-character strings: this runs over every character of berth.yaml, cold
  // (in V8's interpreter) on the first render of a process.
  const n = text.length;
  let start = 0;
  while (start <= n) {
    let lineEnd = text.indexOf('\n', start);
    if (lineEnd < 0) lineEnd = n;
    let depth = 0;
    let quote = 0;
    let tokenStart = true;
    let end = lineEnd;
    for (let i = start; i < lineEnd; i++) {
      const c = text.charCodeAt(i);
      if (quote === 34) {
        if (c === 92) i++;
        else if (c === 34) quote = 0;
      } else if (quote === 39) {
        if (c === 39 && i + 1 < lineEnd && text.charCodeAt(i + 1) === 39) i++;
        else if (c === 39) quote = 0;
      } else if (c === 35 && (i === start || text.charCodeAt(i - 1) === 32 || text.charCodeAt(i - 1) === 9)) {
        end = i;
        break;
      } else if ((c === 34 || c === 39) && tokenStart) quote = c;
      else if ((c === 91 || c === 123) && (tokenStart || depth > 0)) depth++;
      else if ((c === 93 || c === 125) && depth > 0) depth--;
      tokenStart = c === 32 || c === 9 || c === 44 || c === 91 || c === 123 || (depth > 0 && c === 58);
    }
    if (quote !== 0 || depth > 0) return true;
    let next = lineEnd + 1;
    if (mayEndBlockHeader(text, start, end) && BLOCK_SCALAR_HEADER.test(text.slice(start, end).trimEnd())) {
      const indent = indentOf(text, start, lineEnd);
      // The block's lines: blank ones, or indented deeper than its header's line.
      while (next <= n) {
        let nextEnd = text.indexOf('\n', next);
        if (nextEnd < 0) nextEnd = n;
        const nextIndent = indentOf(text, next, nextEnd);
        if (nextIndent < nextEnd - next && nextIndent <= indent) break;
        next = nextEnd + 1;
      }
    }
    start = next;
  }
  return false;
}

/** Whether the line from `start` to `end` ends, but for whitespace, in a character a block scalar's header may end in (`|>+-`, a digit). */
function mayEndBlockHeader(text: string, start: number, end: number): boolean {
  let i = end - 1;
  while (i >= start && isSpace(text.charCodeAt(i))) i--;
  if (i < start) return false;
  const c = text.charCodeAt(i);
  return c === 124 || c === 62 || c === 43 || c === 45 || (c >= 48 && c <= 57);
}

/** Whitespace and line terminators as String.prototype.trim removes them. */
function isSpace(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Characters of whitespace (as String.prototype.trimStart sees it) at the start of the line from
 * `start` to `end`; `end - start` when the line is blank.
 */
function indentOf(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  return i - start;
}

/** Keys js-yaml turns into strings differently (`~:` is "null" there, "" in `yaml`; `[a, b]:` is "a,b"). */
function hasOddKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasOddKey);
  if (value === null || typeof value !== 'object') return false;
  for (const key of Object.keys(value)) {
    if (key === 'null' || key === '__proto__' || key.includes(',') || key.includes('[object ')) return true;
    if (hasOddKey((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** The data of a one-document YAML text, or `undefined` when only the `yaml` library may say (see above). */
export function parsePlainYaml(text: string): { data: unknown } | undefined {
  if (ODD_CHARACTER.test(text) || SLOW_PATH.test(text) || spansLines(text)) return undefined;
  let data: unknown;
  try {
    data = jsYaml.load(text, { schema });
    // Recursive like js-yaml: data nested deeper than the stack allows is left to the yaml library too.
    if (hasOddKey(data)) return undefined;
  } catch {
    return undefined;
  }
  return { data: data ?? null };
}
