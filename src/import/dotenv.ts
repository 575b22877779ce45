/**
 * The .env / env_file format compose reads: `KEY=VALUE` lines, `export` prefixes, `#` comments,
 * single quotes (literal), double quotes (escapes, may span lines), inline ` #` comments after
 * unquoted values, `${VAR}` interpolation in unquoted and double-quoted values, and bare `KEY`
 * lines whose value comes from the environment.
 */
import type { Problem } from '../errors.js';
import { interpolateString } from './composeInterpolate.js';
import type { Lookup } from './composeInterpolate.js';

/** One parsed entry; `value` is undefined for a bare `KEY` line. */
export interface DotenvEntry {
  key: string;
  value: string | undefined;
  line: number;
}

/** The parsed file: entries in order, and the problems found (all of them). */
export interface Dotenv {
  entries: DotenvEntry[];
  problems: Problem[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$$' };

/**
 * Parses dotenv text. Interpolation sees the entries above it, then `lookup` (the environment), as
 * compose-go does;
 * unset plain references become empty strings, as in compose.
 */
export function parseDotenv(text: string, file: string, lookup: Lookup = () => undefined): Dotenv {
  const entries: DotenvEntry[] = [];
  const problems: Problem[] = [];
  const own = new Map<string, string>();
  const resolve: Lookup = (name) => own.get(name) ?? lookup(name);
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const body = line.replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    const key = (eq < 0 ? body : body.slice(0, eq)).trim();
    const problem = (message: string, column = raw.indexOf(key) + 1) =>
      problems.push({ file, line: lineNo, column: Math.max(1, column), path: key, message });
    if (!KEY.test(key)) {
      problem(`\`${key}\` is not a variable name (letters, digits, \`_\`, \`.\`, \`-\`; not starting with a digit)`);
      continue;
    }
    if (eq < 0) {
      entries.push({ key, value: lookup(key), line: lineNo });
      continue;
    }
    let rest = body.slice(eq + 1).trimStart();
    let value: string;
    const quote = rest[0];
    if (quote === "'" || quote === '"') {
      // A quoted value may continue on the following lines until its closing quote.
      let closing = findClosing(rest, quote);
      while (closing < 0 && i + 1 < lines.length) {
        i++;
        rest += `\n${lines[i]!}`;
        closing = findClosing(rest, quote);
      }
      if (closing < 0) {
        problem(`unclosed ${quote === '"' ? 'double' : 'single'} quote`, raw.indexOf(quote) + 1);
        continue;
      }
      const inner = rest.slice(1, closing);
      const after = rest.slice(closing + 1).trim();
      if (after !== '' && !after.startsWith('#')) problem(`unexpected text after the closing quote: \`${after}\``);
      if (quote === "'") {
        value = inner;
      } else {
        const unescaped = inner.replace(/\\(.)/g, (_m, c: string) => ESCAPES[c] ?? `\\${c}`);
        value = expand(unescaped, resolve, (m) => problem(m));
      }
    } else {
      const hash = rest.search(/\s#/);
      value = expand((hash < 0 ? rest : rest.slice(0, hash)).trim(), resolve, (m) => problem(m));
    }
    own.set(key, value);
    entries.push({ key, value, line: lineNo });
  }
  return { entries, problems };
}

/** Index of the closing quote (skipping `\"` in double quotes), or -1. */
function findClosing(s: string, quote: string): number {
  for (let i = 1; i < s.length; i++) {
    if (quote === '"' && s[i] === '\\') {
      i++;
      continue;
    }
    if (s[i] === quote) return i;
  }
  return -1;
}

function expand(template: string, lookup: Lookup, problem: (message: string) => void): string {
  if (!template.includes('$')) return template;
  try {
    const r = interpolateString(template, lookup);
    for (const e of r.errors) problem(e);
    return r.value;
  } catch (err) {
    problem(`interpolation: ${err instanceof Error ? err.message : String(err)}`);
    return template;
  }
}

/** The entries as a map (later lines win); bare keys without a value in the environment are left out. */
export function dotenvValues(env: Dotenv): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of env.entries) if (e.value !== undefined) out.set(e.key, e.value);
  return out;
}
