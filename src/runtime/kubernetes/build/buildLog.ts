/**
 * The log of a build's pod, followed line by line to the caller while kaniko runs: one stream per
 * pod, opened once its container has started, opened again (the lines already passed on skipped) if
 * it breaks before the container ended; the last lines are kept for the error of a failed build.
 */
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import type { KubeClients } from '../client.js';

/** Lines kept for a failed build's error (`details.logTail`). */
export const LOG_TAIL_LINES = 30;

interface Stream {
  /** Lines passed on so far (a reopened stream skips them). */
  lines: number;
  open: boolean;
  /** The container ended: the stream ends with it, and is not reopened after. */
  ended: boolean;
  /** A stream opened after the container ended ran to its end: nothing more will come. */
  complete: boolean;
  controller?: AbortController;
  out?: PassThrough;
  closed: Promise<void>;
}

export class BuildLog {
  private readonly streams = new Map<string, Stream>();
  private readonly last: string[] = [];
  private stopped = false;
  private readonly clients: KubeClients;
  private readonly namespace: string;
  private readonly container: string;
  private readonly onLog: (line: string) => void;

  constructor(clients: KubeClients, namespace: string, container: string, onLog: (line: string) => void) {
    this.clients = clients;
    this.namespace = namespace;
    this.container = container;
    this.onLog = onLog;
  }

  /** The last lines of every pod's log. */
  tail(): string[] {
    return [...this.last];
  }

  /** A pod's container has started (or ended): follow its log unless a stream is open already. */
  follow(pod: string, ended: boolean): void {
    if (this.stopped) return;
    const known = this.streams.get(pod);
    if (known) {
      known.ended ||= ended;
      if (known.open || known.complete) return;
    }
    const s: Stream = known ?? { lines: 0, open: false, ended, complete: false, closed: Promise.resolve() };
    this.streams.set(pod, s);
    s.open = true;
    const after = s.ended;
    s.closed = this.read(pod, s)
      .then((read) => {
        s.complete = read && after;
      })
      .finally(() => {
        s.open = false;
        s.controller = undefined;
        s.out = undefined;
      });
  }

  /** Reads one stream to its end; false when it could not be opened. */
  private async read(pod: string, s: Stream): Promise<boolean> {
    const out = new PassThrough();
    s.out = out;
    let skip = s.lines;
    try {
      s.controller = await this.clients.log.log(this.namespace, pod, this.container, out, { follow: true });
    } catch {
      return false; // not readable yet (the container is starting): the next pod change opens it again
    }
    // An aborted request leaves its body unended: end the stream the lines are read from.
    out.on('unpipe', () => out.end());
    if (this.stopped) this.close(s);
    for await (const line of createInterface({ input: out, crlfDelay: Infinity })) {
      if (skip > 0) {
        skip--;
        continue;
      }
      s.lines++;
      this.last.push(line);
      if (this.last.length > LOG_TAIL_LINES) this.last.shift();
      if (!this.stopped) this.onLog(line);
    }
    return true;
  }

  private close(s: Stream): void {
    s.controller?.abort();
    s.out?.end();
  }

  /**
   * Waits (at most `ms`) for the open streams to end, as they do once the container ended, so every
   * line was passed on before the build's outcome; then stops following.
   */
  async drain(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const open = [...this.streams.values()].filter((s) => s.open).map((s) => s.closed);
    await Promise.race([Promise.all(open), new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.streams.values()) this.close(s);
  }
}
