/** Formatting of numbers, sizes and times for tables, in the console's language. */

/** `12.3 MiB` style sizes (binary units, as Kubernetes and `berth status` show memory). */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** `4.2%` (CPU use of one core), or a dash when not measured. */
export function formatPercent(p: number | undefined): string {
  return p === undefined ? '–' : `${p.toFixed(p >= 10 ? 0 : 1)}%`;
}

/** Date and time in the given language, or a dash. */
export function formatTime(iso: string | null | undefined, lang: string): string {
  if (!iso) return '–';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(iso));
}

/** Time of day only (log lines, events). */
export function formatClock(iso: string, lang: string): string {
  return new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(
    new Date(iso),
  );
}

/** "3 minutes ago" in the given language. */
export function formatAgo(iso: string | null | undefined, lang: string, now = Date.now()): string {
  if (!iso) return '–';
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86_400), 'day');
}

/** Milliseconds between two ISO times as `1.2 s` / `3 min 4 s`, or a dash. */
export function formatElapsed(from: string | null, to: string | null): string {
  if (!from || !to) return '–';
  const ms = new Date(to).getTime() - new Date(from).getTime();
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A plan or diff value as text: strings as they are, the rest as JSON; undefined as a dash. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '–';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
