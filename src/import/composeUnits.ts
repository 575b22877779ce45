/**
 * Compose's units and how they are written in berth.yaml. Compose durations are Go durations
 * (`1m30s`, `1.5s`, `250ms`, `10us`); compose memory is Docker's binary units (`512m` and `512M`
 * are both 512 MiB, where berth.yaml's `512M` would be 512 000 000 bytes); cpus are cores.
 */
import { formatDuration } from '../model/durations.js';

const GO_DURATION = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const GO_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
const GO_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds of a compose duration (a number is seconds), rounded up; undefined when invalid or negative. */
export function composeDurationMs(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.ceil(input * 1000) : undefined;
  if (typeof input !== 'string') return undefined;
  const text = input.trim();
  if (text === '0') return 0;
  const m = GO_DURATION.exec(text);
  if (!m || m[1] === '-') return undefined;
  let ms = 0;
  for (const part of text.matchAll(GO_PART)) ms += Number(part[1]) * GO_UNIT_MS[part[2]!]!;
  return Math.ceil(ms - 1e-9);
}

/** berth.yaml text for a duration in milliseconds (`1m30s`, `250ms`). */
export function berthDuration(ms: number): string {
  return formatDuration(ms);
}

const DOCKER_MEMORY = /^(\d+(?:\.\d+)?)\s*([kmgtp])?(?:i?b)?$/i;
const BINARY: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** Bytes of a Docker memory amount (`512m`, `1.5G`, `256MiB`, a number of bytes); undefined when invalid. */
export function dockerMemoryBytes(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.ceil(input) : undefined;
  if (typeof input !== 'string') return undefined;
  const m = DOCKER_MEMORY.exec(input.trim());
  if (!m) return undefined;
  return Math.ceil(Number(m[1]) * BINARY[(m[2] ?? '').toLowerCase()]!);
}

/** berth.yaml text for bytes: the largest binary unit that divides it exactly (`512Mi`), else bytes. */
export function berthMemory(bytes: number): string | number {
  for (const [unit, size] of [
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return bytes;
}

/** Millicores of a compose cpus value (`0.5`, `"1.5"`, `2`); undefined when invalid. */
export function composeCpuMillis(input: unknown): number | undefined {
  const n =
    typeof input === 'number'
      ? input
      : typeof input === 'string' && /^\d*\.?\d+$/.test(input.trim())
        ? Number(input)
        : NaN;
  return Number.isFinite(n) && n >= 0 ? Math.ceil(n * 1000 - 1e-9) : undefined;
}

/** berth.yaml text for millicores: whole cores as `"2"`, else `500m`. */
export function berthCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}
