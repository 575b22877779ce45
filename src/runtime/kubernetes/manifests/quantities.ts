/** Berth's numeric units → Kubernetes quantities and seconds. */

const BINARY = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
] as const;
const DECIMAL = [
  ['E', 1e18],
  ['P', 1e15],
  ['T', 1e12],
  ['G', 1e9],
  ['M', 1e6],
  ['k', 1e3],
] as const;

/** Millicores → `500m`, or whole cores (`2`) when exact. */
export function cpuQuantity(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Bytes → the shortest exact form: binary (`64Mi`), decimal (`128M`) or a plain number of bytes. */
export function memoryQuantity(bytes: number): string {
  let best = String(bytes);
  for (const [unit, factor] of [...BINARY, ...DECIMAL]) {
    if (bytes < factor || bytes % factor !== 0) continue;
    const q = `${bytes / factor}${unit}`;
    if (q.length < best.length) best = q;
  }
  return best;
}

/** Milliseconds → whole seconds, rounded up, at least `min`. */
export function seconds(ms: number, min = 0): number {
  return Math.max(min, Math.ceil(ms / 1000 - 1e-9));
}
