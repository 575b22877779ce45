/**
 * Streams from the API read through fetch() (EventSource cannot send the token): server-sent events
 * and newline-delimited JSON, parsed from response.body as it arrives.
 */
import { send } from './client';

/** One server-sent event. */
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** Splits an SSE byte stream (decoded to text) into messages; keeps partial lines between chunks. */
export class SseParser {
  private buffer = '';
  private event = 'message';
  private data: string[] = [];
  private id: string | undefined;

  /** Feeds a chunk of text and returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      if (line === '') {
        if (this.data.length > 0) {
          out.push({
            event: this.event,
            data: this.data.join('\n'),
            ...(this.id === undefined ? {} : { id: this.id }),
          });
        }
        this.event = 'message';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') this.event = value;
      else if (field === 'data') this.data.push(value);
      else if (field === 'id') this.id = value;
    }
    return out;
  }
}

/** Splits NDJSON text into parsed values; keeps a partial last line between chunks. */
export class NdjsonParser<T> {
  private buffer = '';
  push(chunk: string): T[] {
    this.buffer += chunk;
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
  }
}

async function readText(res: Response, onText: (text: string) => void, signal: AbortSignal): Promise<void> {
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const stop = (): void => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || signal.aborted) return;
      onText(value);
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/** Reads an SSE endpoint until it ends or `signal` aborts. */
export async function streamSse(path: string, onMessage: (m: SseMessage) => void, signal: AbortSignal): Promise<void> {
  const res = await send('GET', path, { signal });
  const parser = new SseParser();
  await readText(res, (t) => parser.push(t).forEach(onMessage), signal);
}

/** Reads an NDJSON endpoint until it ends or `signal` aborts; values arrive in batches per chunk. */
export async function streamNdjson<T>(path: string, onBatch: (items: T[]) => void, signal: AbortSignal): Promise<void> {
  const res = await send('GET', path, { signal });
  const parser = new NdjsonParser<T>();
  await readText(
    res,
    (t) => {
      const items = parser.push(t);
      if (items.length > 0) onBatch(items);
    },
    signal,
  );
}
