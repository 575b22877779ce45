/** Durations as berth.yaml writes them, for messages, the CLI, the console and generated YAML. */

const UNITS = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
] as const;

/** Milliseconds as berth.yaml writes them: 90000 → `1m30s`, 250 → `250ms`, 0 → `0s` (rounded to whole ms). */
export function formatDuration(ms: number): string {
  if (Math.round(ms) === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}
