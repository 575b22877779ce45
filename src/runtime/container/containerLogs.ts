/**
 * A container's output into the replica's log files: the engine's log stream (stdout and stderr
 * multiplexed, each line timestamped by the engine) is written with the shim's LogWriter, so
 * `berth logs` and `-f` read containers and processes alike. Each frame of the stream is one log
 * entry, `<time> <text>`: a line, or part of a long one (the engine splits lines of over 8 KiB into
 * entries without a newline), so the time is taken off every frame before the text joins its line.
 *
 * Podman stamps entries to the second. A live line gets its arrival time within that second (the
 * millisecond `berth logs` shows for processes too); a replayed one the second's last millisecond.
 * After a control-plane restart the pump resumes after the last line written: the engine's `since`
 * counts whole seconds, so of the last second in the file, as many lines as the file holds are
 * skipped, and nothing is written twice or lost at the boundary.
 */
import { mkdirSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { CURRENT_LOG, LineSplitter, LogWriter, readAllLogRecords } from '../local/logFiles.js';
import type { LogStream } from '../local/logFiles.js';

/** Last stderr lines kept for the exit (as the shim keeps them). */
const STDERR_TAIL_LINES = 40;
const STDERR_LINE_CHARS = 500;

/** Where a resumed stream starts: after `count` lines of the second `second` (since the epoch). */
interface ResumePoint {
  second: number;
  count: number;
}

function secondOf(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Milliseconds since the epoch of an engine timestamp (RFC 3339 with up to nanoseconds); NaN if none. */
export function engineTimeMs(stamp: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(stamp);
  if (!m) return Number.NaN;
  const ms = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  return Date.parse(`${m[1]}.${ms}${m[3]}`);
}

/** Follows one container's logs into `logDir` for as long as the stream lasts. */
export class ContainerLogPump {
  private readonly writer: LogWriter;
  private lineTime = new Date();
  private readonly tail: string[] = [];
  private readonly splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  /** The time of a line's first entry while the rest of it is still to come. */
  private readonly pendingAt: Record<LogStream, number | undefined> = { stdout: undefined, stderr: undefined };
  private resume: ResumePoint | undefined;
  private stream: Readable | undefined;
  private closed = false;

  /**
   * `resume`: continue the file already there (an adopted container) instead of a fresh run's;
   * the last stderr lines in it seed the tail an exit reports.
   */
  private readonly logDir: string;

  constructor(logDir: string, opts: { maxBytes: number; keep: number }, resume: boolean) {
    this.logDir = logDir;
    mkdirSync(logDir, { recursive: true });
    if (resume) {
      const records = readAllLogRecords(logDir, { includeCurrent: true, keep: opts.keep });
      for (const r of records) if (r.stream === 'stderr') this.keepTail(r.line);
      const last = records.at(-1);
      if (last) {
        const second = secondOf(Date.parse(last.time));
        let count = 0;
        for (let i = records.length - 1; i >= 0 && secondOf(Date.parse(records[i]!.time)) === second; i--) count++;
        this.resume = { second, count };
      }
    }
    this.writer = new LogWriter(logDir, { ...opts, now: () => this.lineTime });
  }

  /** The `since` to ask the engine for (seconds; 0: from the start). */
  get since(): number {
    return this.resume ? Math.max(0, this.resume.second - 1) : 0;
  }

  /** The last stderr lines seen, oldest first. */
  stderrTail(): string[] {
    return [...this.tail];
  }

  /** Reads the container's log stream until it ends (the container stopped) or `signal` aborts it. */
  async follow(container: Docker.Container, signal: AbortSignal): Promise<void> {
    const stream = (await container.logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(this.since > 0 ? { since: this.since } : {}),
      abortSignal: signal,
    })) as unknown as Readable;
    this.stream = stream;
    if (this.closed) stream.destroy();
    await new Promise<void>((resolve) => {
      let buf: Buffer = Buffer.alloc(0);
      stream.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        // Docker's multiplexed frames: [stream, 0, 0, 0, size (u32 BE)] then size bytes.
        while (buf.length >= 8) {
          const size = buf.readUInt32BE(4);
          if (buf.length < 8 + size) break;
          const kind = buf[0] === 2 ? 'stderr' : 'stdout';
          this.frame(kind, buf.subarray(8, 8 + size));
          buf = buf.subarray(8 + size);
        }
      });
      const done = (): void => {
        for (const kind of ['stdout', 'stderr'] as const) {
          const rest = this.splitters[kind].flush();
          if (rest !== undefined) this.line(kind, rest, this.pendingAt[kind] ?? Date.now());
        }
        resolve();
      };
      stream.once('end', done);
      stream.once('close', done);
      stream.once('error', done);
    });
  }

  /** Stops following (the stream is cut; the file stays). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream?.destroy();
    try {
      this.writer.close();
    } catch {
      // already closed
    }
  }

  /** The log file the pump appends to. */
  get file(): string {
    return `${this.logDir}/${CURRENT_LOG}`;
  }

  /** One log entry: `<RFC 3339 time> <text>`, the text a line or a part of one. */
  private frame(kind: LogStream, bytes: Buffer): void {
    const sp = bytes.indexOf(0x20);
    const stamp = sp > 0 && sp < 40 ? engineTimeMs(bytes.subarray(0, sp).toString('latin1')) : Number.NaN;
    const body = Number.isNaN(stamp) ? bytes : bytes.subarray(sp + 1);
    const now = Date.now();
    // Stamped to the second (Podman): the arrival time when it falls in that second.
    const at = Number.isNaN(stamp) ? now : stamp % 1000 === 0 ? Math.min(Math.max(now, stamp), stamp + 999) : stamp;
    const first = this.pendingAt[kind] ?? at;
    const text = this.decoders[kind].write(body);
    const lines = this.splitters[kind].push(text);
    for (const [i, l] of lines.entries()) this.line(kind, l, i === 0 ? first : at);
    // A line still open (a long one's first parts) is timed by its first entry.
    if (text.endsWith('\n')) this.pendingAt[kind] = undefined;
    else if (text !== '') this.pendingAt[kind] = lines.length > 0 ? at : first;
  }

  /** One whole line, timed `at` (ms since the epoch). */
  private line(kind: LogStream, text: string, at: number): void {
    if (this.closed) return;
    if (this.resume) {
      const second = secondOf(at);
      if (second < this.resume.second) return;
      if (second === this.resume.second && this.resume.count > 0) {
        this.resume.count--;
        return;
      }
      this.resume = undefined;
    }
    this.lineTime = new Date(at);
    this.writer.write(kind, text);
    if (kind === 'stderr') this.keepTail(text);
  }

  private keepTail(line: string): void {
    this.tail.push(line.length > STDERR_LINE_CHARS ? line.slice(0, STDERR_LINE_CHARS) : line);
    if (this.tail.length > STDERR_TAIL_LINES) this.tail.shift();
  }
}
