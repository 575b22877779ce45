/**
 * Units of berth.yaml: durations ("1m30s" or seconds) and Kubernetes quantities (cpu "100m",
 * memory "64Mi"), as pure parsers and as zod schemas whose input accepts a string or a number.
 */
import { z } from 'zod';

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const DURATION_TEXT = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$|^\d+(?:\.\d+)?$/;
const CPU_TEXT = /^\d+m$|^\d+(?:\.\d+)?$/;
const MEMORY_TEXT = /^\d+(?:\.\d+)?(?:Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?$/;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const MEMORY_FACTOR: Record<string, number> = {
  '': 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** Rounds up, ignoring float noise such as 0.1 * 1000 = 100.00000000000001. */
function ceil(n: number): number {
  return Math.max(0, Math.ceil(n - 1e-9));
}

/** Parses "500ms", "10s", "1m30s", "1h" or a number of seconds into milliseconds; undefined when invalid. */
export function parseDurationMs(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? ceil(input * 1000) : undefined;
  // A berth.yaml repeats a few durations (probe periods, timeouts) many times.
  if (durations.has(input)) return durations.get(input);
  const ms = parseDurationText(input);
  if (durations.size >= 1000) durations.clear();
  durations.set(input, ms);
  return ms;
}

const durations = new Map<string, number | undefined>();

/** Forgets every duration parsed before (server/renderWarmup.ts: a warm-up leaves nothing parsed behind). */
export function forgetParsedDurations(): void {
  durations.clear();
}

function parseDurationText(input: string): number | undefined {
  const text = input.trim();
  if (!DURATION_TEXT.test(text)) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return ceil(Number(text) * 1000);
  let ms = 0;
  for (const m of text.matchAll(DURATION_PART)) ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ceil(ms);
}

/** Parses a CPU quantity ("100m", "0.5", 1) into millicores; undefined when invalid. */
export function parseCpuMillis(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? ceil(input * 1000) : undefined;
  const text = input.trim();
  if (!CPU_TEXT.test(text)) return undefined;
  return text.endsWith('m') ? Number(text.slice(0, -1)) : ceil(Number(text) * 1000);
}

/** Parses a memory quantity ("64Mi", "1Gi", "128M", or bytes) into bytes; undefined when invalid. */
export function parseMemoryBytes(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? ceil(input) : undefined;
  const text = input.trim();
  if (!MEMORY_TEXT.test(text)) return undefined;
  const m = /^(\d+(?:\.\d+)?)(.*)$/.exec(text)!;
  return ceil(Number(m[1]) * MEMORY_FACTOR[m[2]!]!);
}

/** A non-negative (or positive) number, as a schema whose JSON Schema shows `minimum`. */
function nonNegative(message: string, positive: boolean) {
  return positive ? z.number().positive(message) : z.number().min(0, message);
}

/**
 * Input: "10s" / "1m30s" / "500ms" or a number of seconds; output: milliseconds.
 * The regex lives in the schema so editors flag bad values through the JSON Schema too.
 */
export function durationMs(opts: { positive?: boolean } = {}) {
  const message = 'invalid duration (use e.g. 500ms, 10s, 5m, 1h, 1m30s, or a number of seconds)';
  return z
    .union([z.string().regex(DURATION_TEXT, message), nonNegative(message, opts.positive ?? false)])
    .transform((v, ctx) => {
      const ms = parseDurationMs(v)!;
      if (opts.positive && ms === 0) {
        ctx.issues.push({ code: 'custom', message: 'must be longer than 0s', input: v });
        return z.NEVER;
      }
      return ms;
    });
}

/** Input: "100m", "0.5" or a number of cores; output: millicores. */
export function cpuMillis() {
  const message = 'invalid cpu quantity (use e.g. 100m, 0.5, or a number of cores)';
  return z
    .union([z.string().regex(CPU_TEXT, message), nonNegative(message, false)])
    .transform((v) => parseCpuMillis(v)!);
}

/** Input: "64Mi", "1Gi", "128M" or a number of bytes; output: bytes. `what` names it in the error (a volume's `size`). */
export function memoryBytes(what = 'memory quantity') {
  const message = `invalid ${what} (use e.g. 64Mi, 1Gi, 128M, or a number of bytes)`;
  return z
    .union([z.string().regex(MEMORY_TEXT, message), nonNegative(message, false)])
    .transform((v) => parseMemoryBytes(v)!);
}
