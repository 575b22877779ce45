/**
 * A container's output into the replica's log files: the engine's log stream (stdout and stderr
 * multiplexed, each line timestamped by the engine) is written with the shim's LogWriter, so
 * `berth logs` and `-f` read containers and processes alike. After a control-plane restart it
 * resumes after the last line written: the engine's `since` counts whole seconds, so the lines of
 * that second already in the file are skipped by their timestamps (to the millisecond, as stored).
 */
import { mkdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { CURRENT_LOG, LineSplitter, LogWriter, readAllLogRecords } from '../local/logFiles.js';
import type { LogStream } from '../local/logFiles.js';

/** Last stderr lines kept for the exit (as the shim keeps them). */
const STDERR_TAIL_LINES = 40;
const STDERR_LINE_CHARS = 500;

/** Where a resumed stream starts: after `count` lines stamped `time` (ms since the epoch). */
interface ResumePoint {
  time: number;
  count: number;
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
        const time = Date.parse(last.time);
        let count = 0;
        for (let i = records.length - 1; i >= 0 && Date.parse(records[i]!.time) === time; i--) count++;
        this.resume = { time, count };
      }
    }
    this.writer = new LogWriter(logDir, { ...opts, now: () => this.lineTime });
  }

  /** The `since` to ask the engine for (seconds; 0: from the start). */
  get since(): number {
    return this.resume ? Math.max(0, Math.floor(this.resume.time / 1000) - 1) : 0;
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
          this.frame(kind, buf.subarray(8, 8 + size).toString('utf8'));
          buf = buf.subarray(8 + size);
        }
      });
      const done = (): void => {
        for (const kind of ['stdout', 'stderr'] as const) {
          const rest = this.splitters[kind].flush();
          if (rest !== undefined) this.line(kind, rest);
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

  private frame(kind: LogStream, text: string): void {
    for (const l of this.splitters[kind].push(text)) this.line(kind, l);
  }

  /** One engine line, `<RFC 3339 time> <text>`. */
  private line(kind: LogStream, raw: string): void {
    if (this.closed) return;
    const sp = raw.indexOf(' ');
    const stampMs = sp > 0 ? engineTimeMs(raw.slice(0, sp)) : Number.NaN;
    const text = Number.isNaN(stampMs) ? raw : raw.slice(sp + 1);
    const at = Number.isNaN(stampMs) ? Date.now() : stampMs;
    if (this.resume) {
      if (at < this.resume.time) return;
      if (at === this.resume.time && this.resume.count > 0) {
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
