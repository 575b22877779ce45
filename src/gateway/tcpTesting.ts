/** Test helpers of the L4 data planes: a TCP server that names itself, and a line client. */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/** A TCP server answering each chunk with `<name>:<chunk>`. */
export async function echo(name: string): Promise<{ name: string; port: number; server: Server; open: Set<Socket> }> {
  const open = new Set<Socket>();
  const server = createServer((s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d) => s.write(`${name}:${d.toString()}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { name, port: (server.address() as { port: number }).port, server, open };
}

/** A client connection (to `host`, 127.0.0.1 by default) that sends a line and reads the answer. */
export async function client(
  port: number,
  host = '127.0.0.1',
): Promise<{ ask(text: string): Promise<string>; closed: Promise<void>; s: Socket }> {
  const s = connect({ host, port });
  s.on('error', () => undefined);
  await new Promise<void>((r, j) => {
    s.once('connect', r);
    s.once('error', j);
  });
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  return {
    s,
    closed,
    ask: (text) =>
      new Promise((resolve, reject) => {
        s.once('data', (d) => resolve(d.toString()));
        s.once('close', () => reject(new Error('closed')));
        s.write(text);
      }),
  };
}
