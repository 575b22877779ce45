/**
 * Log record times: RFC 3339 UTC with a fraction of a second. The shims stamp records to the
 * microsecond (`2026-12-06T20:24:54.123456Z`); files written before that, and other sources, have
 * 3 digits (Date#toISOString) or up to 9 (Docker, the kubelet). `Date.parse` drops every digit past
 * the millisecond, and strings with fractions of different lengths do not sort as text, so every
 * reader compares the number `recordTimeMs` gives: milliseconds since the epoch with the
 * microseconds as its fraction.
 */

const RFC3339_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;
let lastSecond = { text: '', ms: Number.NaN };

/**
 * Milliseconds since the epoch of an RFC 3339 UTC time, microseconds kept as the fraction (digits
 * past the microsecond are dropped); NaN when the text is no such time.
 */
export function recordTimeMs(text: string): number {
  const m = RFC3339_UTC.exec(text);
  if (!m) return Date.parse(text); // another ISO form (an offset): to the millisecond, or NaN
  // The lines of a file come many to a second: its date is read once.
  if (m[1] !== lastSecond.text) lastSecond = { text: m[1]!, ms: Date.parse(`${m[1]!}Z`) };
  const seconds = lastSecond.ms;
  if (!Number.isFinite(seconds)) return Number.NaN;
  const micros = Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
  return seconds + micros / 1000;
}

/**
 * The ISO form of a time in (fractional) milliseconds, to the microsecond: `…T20:24:54.123456Z`.
 * The fraction is rounded to the nearest microsecond (a double near 1.8e12 ms holds it to 0.25 µs).
 */
export function isoMicros(ms: number): string {
  let whole = Math.floor(ms);
  let micros = Math.round((ms - whole) * 1000);
  if (micros === 1000) {
    whole += 1;
    micros = 0;
  }
  const iso = new Date(whole).toISOString(); // `…T20:24:54.123Z`
  return `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}
