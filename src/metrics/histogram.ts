/**
 * Latency histograms as the metric store keeps them: a step's bucket counts (the proxy's buckets plus
 * the overflow) as unsigned LEB128 varints in a BLOB — a bucket with no request is one byte, so a
 * typical 15-bucket histogram takes 15–25 bytes instead of 120 as float64s or ~40 as JSON text.
 */

/** `counts` (non-negative integers) as varints. */
export function encodeCounts(counts: readonly number[]): Buffer {
  const out: number[] = [];
  for (const c of counts) {
    let v = Math.max(0, Math.floor(c));
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
  }
  return Buffer.from(out);
}

/** The counts of an encoded histogram. */
export function decodeCounts(blob: Uint8Array): number[] {
  const counts: number[] = [];
  let v = 0;
  let scale = 1;
  for (const b of blob) {
    v += (b & 0x7f) * scale;
    if (b & 0x80) scale *= 0x80;
    else {
      counts.push(v);
      v = 0;
      scale = 1;
    }
  }
  return counts;
}

/** Adds `b` into `a` bucket by bucket (a longer `b` extends `a`). */
export function addCounts(a: number[], b: readonly number[]): number[] {
  for (let i = 0; i < b.length; i++) a[i] = (a[i] ?? 0) + b[i]!;
  return a;
}
