/**
 * A build's log, `<BERTH_HOME>/builds/<id>.log`: each line prefixed with its service (`[api] …`), the
 * last lines of each service kept for its failure (`logTail`). The API streams the file (routes/builds.ts).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** How many lines a failed service's result carries. */
export const TAIL_LINES = 30;

export function buildLogFile(home: string, buildId: string): string {
  return join(home, 'builds', `${buildId}.log`);
}

export class BuildLog {
  /** Written synchronously: a line is on disk before the store says its service ended (the API's follow reads both). */
  private readonly fd: number;
  private readonly tails = new Map<string, string[]>();

  readonly file: string;
  private readonly onLine: ((line: string) => void) | undefined;

  private constructor(file: string, onLine?: (line: string) => void) {
    this.file = file;
    this.onLine = onLine;
    this.fd = openSync(file, 'a', 0o600);
  }

  static async open(file: string, onLine?: (line: string) => void): Promise<BuildLog> {
    await mkdir(join(file, '..'), { recursive: true });
    return new BuildLog(file, onLine);
  }

  /** Writes one line of `service`. */
  line(service: string, text: string): void {
    const tail = this.tails.get(service) ?? [];
    tail.push(text);
    if (tail.length > TAIL_LINES) tail.shift();
    this.tails.set(service, tail);
    const l = `[${service}] ${text}`;
    writeSync(this.fd, `${l}\n`);
    this.onLine?.(l);
  }

  tail(service: string): string[] {
    return [...(this.tails.get(service) ?? [])];
  }

  close(): Promise<void> {
    closeSync(this.fd);
    return Promise.resolve();
  }
}
