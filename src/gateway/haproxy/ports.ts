/** Ports the HAProxy data plane checks and picks on this machine before it writes them into its config. */
import { createServer } from 'node:net';

/** Bind and release `port` on `host`: the error code if something else holds it (or the host is not this machine's). */
export function probePort(port: number, host = '127.0.0.1'): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    s.listen(port, host, () => s.close(() => resolve(undefined)));
  });
}

/** A port free on 127.0.0.1 now (for HAProxy's internal server slots). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
