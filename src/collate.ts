/**
 * Text order for rendered output: `compareText(a, b)` orders strings as `a.localeCompare(b)` does in
 * the English and POSIX locales (ICU's root collation: CLDR tailors nothing for them), without its
 * cost on a cold process: the first `localeCompare` loads ICU's collation data, 6–12 ms of a render
 * that a startup snapshot cannot keep (docs/benchmarks.md, render).
 *
 * Strings of printable ASCII, nearly all a render sorts (names, keys, paths), are compared here by
 * root collation's rules for them: every character has its own primary weight (punctuation, then
 * digits, then letters with a letter's two cases equal), and strings equal at that level are ordered
 * by case, lower case first, at the first difference. Any other string is compared by a root collator
 * made on first use. The order is the root's whatever the machine's locale (LANG), so a render is the
 * same everywhere; src/collate.test.ts checks it against `Intl.Collator('und')`.
 */

/** Printable ASCII in root collation order, a letter's lower and upper case side by side. */
const ROOT_ORDER = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$0123456789aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ';

/** Primary weight by character code (0: not printable ASCII), and 1 for an upper-case letter. */
const PRIMARY = new Uint8Array(128);
const UPPER = new Uint8Array(128);
for (let i = 0, weight = 0; i < ROOT_ORDER.length; i++) {
  const c = ROOT_ORDER.charCodeAt(i);
  const upper = c >= 65 && c <= 90;
  if (!upper) weight++;
  PRIMARY[c] = weight;
  UPPER[c] = upper ? 1 : 0;
}

let root: Intl.Collator | undefined;

function rootCompare(a: string, b: string): number {
  root ??= new Intl.Collator('und');
  return root.compare(a, b);
}

/** Negative, zero or positive as `a` sorts before, with or after `b` (see above). */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let tertiary = 0;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) {
      if (x >= 128 || PRIMARY[x] === 0) return rootCompare(a, b);
      continue;
    }
    if (x >= 128 || y >= 128) return rootCompare(a, b);
    const px = PRIMARY[x]!;
    const py = PRIMARY[y]!;
    if (px === 0 || py === 0) return rootCompare(a, b);
    if (px !== py) return checkedRest(a, b, i) ?? px - py;
    if (tertiary === 0) tertiary = UPPER[x]! - UPPER[y]!;
  }
  const longer = a.length > n ? a : b;
  for (let i = n; i < longer.length; i++) {
    const c = longer.charCodeAt(i);
    if (c >= 128 || PRIMARY[c] === 0) return rootCompare(a, b);
  }
  return a.length - b.length || tertiary;
}

/** undefined when the rest of both strings from `from` is printable ASCII, else the root collator's verdict. */
function checkedRest(a: string, b: string, from: number): number | undefined {
  for (const s of [a, b])
    for (let i = from; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128 || PRIMARY[c] === 0) return rootCompare(a, b);
    }
  return undefined;
}
