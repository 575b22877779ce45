/** Binding a listener of the gateway: 127.0.0.1 only, the port's error (EADDRINUSE...) as a rejection. */
import type { Server } from 'node:net';

/** Listens on 127.0.0.1:`port`; rejects with the bind error instead of emitting it. */
export function listenLoopback(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
}
