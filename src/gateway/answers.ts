/**
 * What both of the proxy's exchanges (plain and with a traffic policy) share: which failures and
 * methods allow a retry, and the gateway's own short answers.
 */
import type { ServerResponse } from 'node:http';

/**
 * Errors that mean the request never reached a backend's application (refused, or a reused idle
 * connection that the backend had closed): safe to send again when the method is idempotent.
 */
export const retryableCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** Methods a request of which may be sent twice without harm (RFC 9110 §9.2.2). */
export const idempotentMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

const textPlain = ['content-type', 'text/plain; charset=utf-8'];

/** Sends a short plain-text response (the gateway's own 404/502/503/504). */
export function sendText(res: ServerResponse, status: number, body: Buffer | string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, [...textPlain, 'content-length', String(buf.length)]);
  res.end(buf);
}
