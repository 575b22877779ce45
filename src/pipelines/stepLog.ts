/**
 * A step's log file, `<home>/pipelines/runs/<run>/<step>.log`: appended as the step runs (the API
 * follows it), bounded (BERTH_PIPELINE_LOG_MAX_BYTES, default 4 MiB: the rest is dropped with one
 * line saying so), and its last lines kept for the step's error (`logTail`).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
/** Lines of a failed step's log kept with the run. */
export const TAIL_LINES = 20;

export function stepLogFile(root: string, runId: number, index: number): string {
  return join(root, 'runs', String(runId), `${index + 1}.log`);
}

export function maxLogBytes(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.BERTH_PIPELINE_LOG_MAX_BYTES);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_BYTES;
}

/** Writes one step's log: `write` takes any text (partial lines too); `tail()` is its last lines. */
export class StepLog {
  private written = 0;
  private dropped = false;
  private lines: string[] = [];
  private partial = '';

  readonly file: string;
  private readonly maxBytes: number;

  /** Called after each write reaches the file (a follower of the log reads it then). */
  private readonly onWritten: () => void;

  constructor(file: string, maxBytes = maxLogBytes(), onWritten: () => void = () => undefined) {
    this.file = file;
    this.maxBytes = maxBytes;
    this.onWritten = onWritten;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  }

  write(text: string): void {
    this.remember(text);
    if (this.dropped) return;
    const bytes = Buffer.byteLength(text);
    if (this.written + bytes > this.maxBytes) {
      this.dropped = true;
      appendFileSync(this.file, `\n[berth: the log is longer than ${this.maxBytes} bytes; the rest is not kept]\n`);
      this.onWritten();
      return;
    }
    this.written += bytes;
    appendFileSync(this.file, text);
    this.onWritten();
  }

  /** A line of Berth's own (`==> fetching …`). */
  note(line: string): void {
    this.write(`${line}\n`);
  }

  tail(): string[] {
    return [...this.lines, ...(this.partial ? [this.partial] : [])].slice(-TAIL_LINES);
  }

  private remember(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const l of parts) this.lines.push(l.length > 1000 ? `${l.slice(0, 1000)}…` : l);
    if (this.lines.length > TAIL_LINES * 2) this.lines = this.lines.slice(-TAIL_LINES);
  }
}
