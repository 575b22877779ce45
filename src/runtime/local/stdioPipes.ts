/**
 * A replica's stdout and stderr as real pipes, the way a container runtime gives them. Node's 'pipe'
 * stdio is a socketpair, and a socket cannot be opened by path: `open("/dev/stdout")` (nginx's
 * `access_log /dev/stdout`, `logger > /dev/stderr`) fails with ENXIO. Node has no pipe(2), so the
 * shim makes a FIFO per stream, opens both ends, and unlinks it: what is left is an anonymous pipe
 * between the shim (reader) and the command (writer), which the command can reopen through
 * /proc/self/fd/1 like any pipe. The reader stays in the shim, so the control plane's death never
 * touches the command's output.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';

/** One stream's two ends: `write` goes to the command (then is closed here), `read` is the shim's. */
export interface StdioPipe {
  write: number;
  read: Socket;
}

/** Where Debian (and most systems) keep coreutils' mkfifo; PATH is the replica's and may not have it. */
const MKFIFO = ['/usr/bin/mkfifo', '/bin/mkfifo'];

function mkfifo(paths: string[]): void {
  const bin = MKFIFO.find((p) => existsSync(p)) ?? 'mkfifo';
  execFileSync(bin, ['-m', '600', ...paths], { stdio: 'ignore' });
}

/**
 * Opens a pipe per name (e.g. stdout, stderr) using FIFOs made in `dir` and unlinked at once.
 * Throws when the FIFOs cannot be made; the caller then falls back to Node's socket pipes.
 */
export function openStdioPipes<N extends string>(dir: string, names: readonly N[]): Record<N, StdioPipe> {
  const paths = names.map((n) => join(dir, `.${n}.${process.pid}.fifo`));
  for (const p of paths) rmSync(p, { force: true });
  mkfifo(paths);
  const opened: number[] = [];
  try {
    const ends = names.map((_, i) => {
      const path = paths[i]!;
      // The read end first, without blocking: opening the write end then finds a reader and returns.
      const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      opened.push(read);
      const write = openSync(path, constants.O_WRONLY);
      opened.push(write);
      return { read, write };
    });
    const out = {} as Record<N, StdioPipe>;
    names.forEach((name, i) => {
      const { read, write } = ends[i]!;
      out[name] = { write, read: new Socket({ fd: read, readable: true, writable: false }) };
    });
    return out;
  } catch (err) {
    for (const fd of opened) closeSync(fd);
    throw err;
  } finally {
    for (const p of paths) rmSync(p, { force: true });
  }
}
