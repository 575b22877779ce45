/**
 * How large a request head the edge and service listeners take, on both data planes: a request
 * target over 8 KiB is answered 414, a header section over 16 KiB 431 (RFC 9110 §15.5.15, RFC 6585
 * §5), each with `Connection: close`, instead of a reset connection. The parsers take up to 64 KiB
 * so these answers can be given; a head beyond that is answered by the parser's error path (Node:
 * 431; HAProxy: its own 400).
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Longest request target (path and query) in bytes. */
export const MAX_URL_BYTES = 8 * 1024;
/** Longest header section in bytes: every `name: value\r\n` and the final `\r\n` (HAProxy's `req.hdrs,length`). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** What the HTTP parsers take (Node's maxHeaderSize, HAProxy's tune.bufsize). */
export const PARSER_BYTES = 64 * 1024;
/**
 * Most header fields the parsers take (Node's maxHeadersCount, HAProxy's tune.http.maxhdr, whose
 * default of 101 answered 400): a section of this many fields is over MAX_HEADER_BYTES anyway.
 */
export const MAX_HEADER_FIELDS = MAX_HEADER_BYTES / 4;

/** The status for a request head over the limits, or undefined when it is within them. */
export function headTooLarge(req: IncomingMessage): 414 | 431 | undefined {
  if (req.url!.length > MAX_URL_BYTES) return 414;
  let bytes = 2;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) bytes += raw[i]!.length + raw[i + 1]!.length + 4;
  return bytes > MAX_HEADER_BYTES ? 431 : undefined;
}

const REASON = { 414: 'URI Too Long', 431: 'Request Header Fields Too Large' } as const;

/** The plain-text body of a 414 or 431. */
export function tooLargeBody(status: 414 | 431): string {
  return `${status === 414 ? `request target longer than ${MAX_URL_BYTES} bytes` : `request header fields larger than ${MAX_HEADER_BYTES} bytes`}\n`;
}

/** The whole answer for a head over the limits (for a raw socket). */
export function tooLargeAnswer(status: 414 | 431): string {
  const body = tooLargeBody(status);
  return `HTTP/1.1 ${status} ${REASON[status]}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * Answers on `socket` and closes it once the client has had time to read the answer: what the
 * client still sends is read and dropped, so closing does not reset the connection (a reset can
 * discard the answer before the client reads it).
 */
export function answerAndClose(socket: Duplex, answer: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.on('error', () => undefined);
  socket.end(answer);
  socket.on('data', () => undefined);
  socket.resume();
  setTimeout(() => socket.destroy(), 2_000).unref();
}

/** The `clientError` handler of the listeners: a head beyond the parser's limit gets 431, anything else is cut. */
export function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'HPE_HEADER_OVERFLOW' && !(socket as Socket).destroyed)
    return answerAndClose(socket, tooLargeAnswer(431));
  // A client that resets its connection must not take the gateway down.
  socket.destroy();
}
