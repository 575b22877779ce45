/**
 * Latency histograms as the metric store keeps them: a step's bucket counts (the proxy's buckets plus
 * the overflow) as unsigned LEB128 varints in a BLOB — a bucket with no request is one byte and the
 * empty buckets at the end none, so a typical 14-bucket histogram takes 6–12 bytes instead of 112 as
 * float64s or ~40 as JSON text. A decoded histogram may be shorter than its bounds: the rest is zero.
 */

/** `counts` (non-negative integers) as varints; trailing empty buckets (the slow ones, mostly) are left out. */
export function encodeCounts(counts: readonly number[]): Buffer {
  const out: number[] = [];
  let end = counts.length;
  while (end > 0 && !(counts[end - 1]! >= 1)) end--;
  for (const c of counts.slice(0, end)) {
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
