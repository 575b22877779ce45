/**
 * Upgrade pass-through (WebSocket and friends): after the client asks for an upgrade the
 * gateway opens a plain TCP connection to a backend, replays the request head, and splices
 * the two sockets together; the backend's 101 (or refusal) goes back to the client as is.
 */
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Upstream } from './upstream.js';
import type { ForwardHeaders } from './headers.js';

function reject(socket: Duplex, status: number, reason: string, body: string): void {
  const buf = Buffer.from(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${buf.length}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Answers an upgrade request that has no backend (503) or no route (404). */
export function rejectUpgrade(socket: Duplex, status: 404 | 503, body: string | Buffer): void {
  reject(socket, status, status === 404 ? 'Not Found' : 'Service Unavailable', body.toString());
}

/** Tunnels an upgrade request to `upstream`; `tunnels` tracks open tunnels so a closing listener can cut them. */
export function proxyUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  upstream: Upstream,
  path: string,
  fwd: ForwardHeaders,
  tunnels: Set<Duplex>,
): void {
  const up = connect({ host: upstream.host, port: upstream.port });
  let connected = false;
  tunnels.add(socket);
  const cleanup = (): void => {
    tunnels.delete(socket);
    up.destroy();
    socket.destroy();
  };
  up.once('error', () => {
    if (connected) return cleanup();
    tunnels.delete(socket);
    reject(socket, 502, 'Bad Gateway', `upstream ${upstream.id} failed\n`);
  });
  socket.once('error', cleanup);
  socket.once('close', cleanup);
  up.once('connect', () => {
    connected = true;
    up.once('close', cleanup);
    let text = `${req.method} ${path} HTTP/1.1\r\n`;
    const h = fwd.headers;
    for (let i = 0; i < h.length; i += 2) text += `${h[i]}: ${h[i + 1]}\r\n`;
    text += `connection: upgrade\r\nupgrade: ${req.headers.upgrade ?? ''}\r\n\r\n`;
    up.write(text);
    if (head.length > 0) up.write(head);
    up.pipe(socket);
    socket.pipe(up);
  });
}
