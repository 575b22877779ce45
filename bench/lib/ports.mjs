/**
 * A free TCP port on 127.0.0.1, for the benchmarks' servers. Never the same port twice in one process:
 * a port the kernel hands out for listen(0) is free again once closed, so a later call could get it back
 * before the first server binds it — two of supervisord's 100 programs then shared a port and one
 * crash-looped (exit 1, restarted at once), which read as supervisord's idle CPU (4–55 ms/s instead of
 * its quiet ~0.5).
 */
import { createServer } from 'node:net';

const handedOut = new Set();

export async function freePort() {
  for (;;) {
    const port = await kernelPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function kernelPort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
