/**
 * A replica's log files: the shim appends one timestamped line per output line to
 * `logs/current.log` and rotates it (current.log.1 ... .N); the runtime reads them back in order
 * and follows the current file across rotations.
 */
import {
  closeSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { isoMicros } from '../../model/logTime.js';

/** Name of the file the shim writes to. */
export const CURRENT_LOG = 'current.log';
/** Default rotation size: 10 MiB. */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
/** Default number of rotated files kept. */
export const DEFAULT_LOG_KEEP = 3;

export type LogStream = 'stdout' | 'stderr';

/** One parsed line of a replica's log. */
export interface LogRecord {
  /** RFC 3339 UTC as stored: 6 fraction digits from the shims, 3 in files written before, up to 9 from other sources. */
  time: string;
  stream: LogStream;
  line: string;
}

/**
 * Formats one record as stored: `<ISO time> <stream> <text>\n`. A time in (fractional) milliseconds
 * is written to the microsecond (`2026-12-06T20:24:54.123456Z`), a Date to the millisecond.
 */
export function formatLogRecord(time: Date | number, stream: LogStream, text: string): string {
  return `${typeof time === 'number' ? isoMicros(time) : time.toISOString()} ${stream} ${text}\n`;
}

let clockSkewMs = 0;
let lastClockMs = 0;

/**
 * The wall clock to the microsecond, in fractional milliseconds. Node has no microsecond wall clock,
 * so this is `performance.timeOrigin` (the wall clock at process start, to the microsecond) plus
 * `performance.now()` (the monotonic clock since then), held inside `Date.now()`'s millisecond: the
 * millisecond is always the wall clock's (as the native shim's CLOCK_REALTIME and the 3-digit
 * records before), and a wall clock stepped since the start (NTP) moves the anchor with it rather than
 * leaving this shim's times apart from the others'. Non-decreasing within the millisecond.
 */
export function wallClockMs(): number {
  const ms = Date.now();
  let t = performance.timeOrigin + performance.now() + clockSkewMs;
  if (t < ms || t >= ms + 1) {
    const held = Math.min(Math.max(t, ms), ms + 0.999);
    clockSkewMs += held - t;
    t = held;
  }
  if (t < lastClockMs && lastClockMs < ms + 1) t = lastClockMs;
  lastClockMs = t;
  return t;
}

/** Parses one stored line; undefined for a malformed one. */
export function parseLogRecord(raw: string): LogRecord | undefined {
  const a = raw.indexOf(' ');
  const b = raw.indexOf(' ', a + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = raw.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  return { time: raw.slice(0, a), stream, line: raw.slice(b + 1) };
}

/** Shim side: appends records to current.log, rotating when it would exceed `maxBytes`. */
export class LogWriter {
  private fd: number;
  private size: number;
  private readonly path: string;
  private readonly opts: { maxBytes: number; keep: number; now?: () => Date | number };

  /** `now`: each record's time (default: the wall clock to the microsecond, `wallClockMs`). */
  constructor(dir: string, opts: { maxBytes: number; keep: number; now?: () => Date | number }) {
    this.opts = opts;
    this.path = join(dir, CURRENT_LOG);
    this.fd = openSync(this.path, 'a', 0o640);
    this.size = fstatSync(this.fd).size;
  }

  /** Writes one line of output (without its newline). */
  write(stream: LogStream, text: string): void {
    const buf = Buffer.from(formatLogRecord(this.opts.now?.() ?? wallClockMs(), stream, text));
    if (this.size > 0 && this.size + buf.length > this.opts.maxBytes) this.rotate();
    writeSync(this.fd, buf);
    this.size += buf.length;
  }

  close(): void {
    closeSync(this.fd);
  }

  private rotate(): void {
    closeSync(this.fd);
    rmSync(`${this.path}.${this.opts.keep}`, { force: true });
    for (let i = this.opts.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    renameSync(this.path, `${this.path}.1`);
    this.fd = openSync(this.path, 'a', 0o640);
    this.size = 0;
  }
}

/** Splits a byte stream into lines, keeping the unterminated tail for the next chunk. */
export class LineSplitter {
  private rest = '';
  /** Feeds a chunk and returns the complete lines in it. */
  push(chunk: string): string[] {
    const parts = (this.rest + chunk).split('\n');
    this.rest = parts.pop() ?? '';
    return parts;
  }
  /** The unterminated tail, if any (at end of stream). */
  flush(): string | undefined {
    const r = this.rest;
    this.rest = '';
    return r === '' ? undefined : r;
  }
}

/** Runtime side: every record of a replica's logs, oldest rotated file first. */
export function readAllLogRecords(logDir: string, opts: { includeCurrent: boolean; keep?: number }): LogRecord[] {
  const keep = opts.keep ?? DEFAULT_LOG_KEEP;
  const out: LogRecord[] = [];
  const names = Array.from({ length: keep }, (_, i) => `${CURRENT_LOG}.${keep - i}`);
  if (opts.includeCurrent) names.push(CURRENT_LOG);
  for (const name of names) {
    let text: string;
    try {
      text = readFileSync(join(logDir, name), 'utf8');
    } catch {
      continue;
    }
    for (const raw of text.split('\n')) {
      const rec = raw === '' ? undefined : parseLogRecord(raw);
      if (rec) out.push(rec);
    }
  }
  return out;
}

/**
 * Follows current.log from a given position: keeps its file open, and when the path names a new
 * file (rotation) drains the old one to its end before switching, so no line is lost or repeated.
 */
export class LogFollower {
  private fd: number | undefined;
  private ino: number | undefined;
  private offset = 0;
  private readonly splitter = new LineSplitter();
  private decoder = new StringDecoder('utf8');
  private readonly path: string;

  /** Starts at the end of the current file (`fromEnd`) or at its beginning. */
  constructor(logDir: string, fromEnd: boolean) {
    this.path = join(logDir, CURRENT_LOG);
    this.open(fromEnd);
  }

  /** New complete records since the last call. */
  poll(): LogRecord[] {
    const raws: string[] = [];
    if (this.fd === undefined) this.open(false);
    if (this.fd === undefined) return [];
    raws.push(...this.drain());
    let pathIno: number | undefined;
    try {
      pathIno = statSync(this.path).ino;
    } catch {
      pathIno = undefined;
    }
    if (pathIno !== undefined && pathIno !== this.ino) {
      // Rotated: the old file is complete (the shim only appends to the new one now).
      raws.push(...this.drain());
      const tail = this.splitter.flush();
      if (tail !== undefined) raws.push(tail);
      this.closeFd();
      this.decoder = new StringDecoder('utf8');
      this.open(false);
      raws.push(...this.drain());
    }
    return raws.map(parseLogRecord).filter((r): r is LogRecord => r !== undefined);
  }

  close(): void {
    this.closeFd();
  }

  private open(fromEnd: boolean): void {
    try {
      this.fd = openSync(this.path, 'r');
    } catch {
      this.fd = undefined;
      return;
    }
    const st = fstatSync(this.fd);
    this.ino = st.ino;
    this.offset = fromEnd ? st.size : 0;
  }

  private drain(): string[] {
    if (this.fd === undefined) return [];
    const lines: string[] = [];
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(this.fd, buf, 0, buf.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      lines.push(...this.splitter.push(this.decoder.write(buf.subarray(0, n))));
    }
    return lines;
  }

  private closeFd(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
