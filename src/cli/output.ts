/** How the CLI prints: aligned tables for people, `-o json` for scripts, errors with every problem. */
import { BerthError, ValidationError, formatProblem, toBerthError } from '../errors.js';

/**
 * Values of the global `-o, --output` option (`render` prints YAML for `table` and `yaml`; `jsonl`
 * prints a list one JSON object per line, for `berth audit` exports and line-by-line tools).
 */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'jsonl'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Prints rows as an aligned table with upper-case headers. */
export function printTable(
  rows: Record<string, unknown>[],
  columns: string[],
  out: NodeJS.WritableStream = process.stdout,
): void {
  const cells = rows.map((r) => columns.map((c) => format(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]): string =>
    vals
      .map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  out.write(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const row of cells) out.write(`${line(row)}\n`);
}

function format(v: unknown): string {
  if (v === undefined || v === null || v === '') return '-';
  if (Array.isArray(v)) return v.map(format).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function printJSON(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** YAML text of a value, as `-o yaml` prints it (the YAML library is loaded only when asked). */
export async function yamlText(value: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * Prints a command's result for scripts: `-o json` as JSON, `-o yaml` as YAML (the same data).
 * Every read command answers both; `table` is the people's form each command prints itself.
 */
export async function printData(output: Exclude<OutputFormat, 'table'>, value: unknown): Promise<void> {
  if (output === 'json') return printJSON(value);
  if (output === 'jsonl') {
    for (const v of Array.isArray(value) ? value : [value]) process.stdout.write(`${JSON.stringify(v)}\n`);
    return;
  }
  process.stdout.write(await yamlText(value));
}

/** Prints an error for people (every problem on its own line) or as JSON; returns the exit code. */
export function printError(err: unknown, output: OutputFormat): number {
  const e = err instanceof BerthError ? err : toBerthError(err);
  if (output === 'json') {
    process.stderr.write(`${JSON.stringify({ error: e.toJSON() }, null, 2)}\n`);
  } else if (e instanceof ValidationError && e.problems.length > 0) {
    process.stderr.write(`error: ${e.message}\n${e.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n`);
  } else {
    process.stderr.write(`error: ${e.message}\n`);
  }
  return 1;
}

/** `2026-11-22T13:49:46.123Z` → `13:49:46`. */
export const clock = (iso: string): string => iso.slice(11, 19);

/** Time since an ISO date, e.g. `3m`, `2h`, `5d`. */
export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const dim = paint(2);
export const bold = paint(1);
