/**
 * The import report: one entry per compose key that was mapped, mapped with a change in meaning,
 * not mapped, or ignored on purpose, each with the reason and the compose file position.
 */

/** What happened to one compose key. */
export const EntryStatus = {
  /** Same meaning in berth.yaml. */
  mapped: 'mapped',
  /** Mapped, but the meaning or the value's form changed: read the reason. */
  changed: 'changed',
  /** Not in berth.yaml: Berth has no equivalent, or it needs a field Berth does not have yet. */
  unmapped: 'unmapped',
  /** Needs no mapping (obsolete keys, extension fields). */
  ignored: 'ignored',
} as const;
export type EntryStatus = (typeof EntryStatus)[keyof typeof EntryStatus];

/** One line of the report. */
export interface ReportEntry {
  status: EntryStatus;
  /** Dotted compose path, e.g. `services.web.ports.0`. */
  key: string;
  /** Where it went in berth.yaml (dotted), when it went somewhere. */
  to?: string;
  reason: string;
  file?: string;
  line?: number;
  column?: number;
}

/** Position of a compose path, from the loaded compose document. */
import type { Locate } from '../yamlPositions.js';
export type { Locate };

/** Collects report entries with their compose positions. */
export class Report {
  readonly entries: ReportEntry[] = [];
  private readonly file: string;
  private readonly locate: Locate;
  constructor(file: string, locate: Locate) {
    this.file = file;
    this.locate = locate;
  }

  /** Line and column of a compose path. */
  locateOf(path: readonly (string | number)[]): { line: number; column: number } | undefined {
    return this.locate(path);
  }

  /** Adds an entry for the compose key at `path`. */
  add(status: EntryStatus, path: readonly (string | number)[], reason: string, to?: string): void {
    const pos = this.locate(path);
    this.entries.push({
      status,
      key: path.join('.'),
      ...(to === undefined ? {} : { to }),
      reason,
      file: this.file,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
    });
  }

  mapped(path: readonly (string | number)[], to: string, reason = ''): void {
    this.add(EntryStatus.mapped, path, reason, to);
  }

  changed(path: readonly (string | number)[], to: string, reason: string): void {
    this.add(EntryStatus.changed, path, reason, to);
  }

  unmapped(path: readonly (string | number)[], reason: string): void {
    this.add(EntryStatus.unmapped, path, reason);
  }

  ignored(path: readonly (string | number)[], reason: string): void {
    this.add(EntryStatus.ignored, path, reason);
  }

  /** Entries in file order (line, column), keeping insertion order for equal positions. */
  sorted(): ReportEntry[] {
    return this.entries
      .map((e, i) => ({ e, i }))
      .sort((a, b) => (a.e.line ?? 0) - (b.e.line ?? 0) || (a.e.column ?? 0) - (b.e.column ?? 0) || a.i - b.i)
      .map(({ e }) => e);
  }
}

/** Counts per status. */
export function summarize(entries: readonly ReportEntry[]): Record<EntryStatus, number> {
  const out: Record<EntryStatus, number> = { mapped: 0, changed: 0, unmapped: 0, ignored: 0 };
  for (const e of entries) out[e.status]++;
  return out;
}
