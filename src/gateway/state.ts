/**
 * The gateway's files under `<home>/gateway/`: the last applied table, the running process's
 * identity and control port, its token and its log. Writes are atomic (tmp + fsync + rename) so
 * a gateway killed mid-write leaves the previous file intact.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** Exit code of a gateway process that found another live gateway on the same home. */
export const alreadyRunningExitCode = 3;

/** Paths of the gateway's files for one Berth home. */
export interface GatewayPaths {
  dir: string;
  table: string;
  state: string;
  token: string;
  lock: string;
  log: string;
}

/** What `gateway.json` holds: enough to find and verify the running gateway. */
export interface GatewayState {
  pid: number;
  /** Field 22 of /proc/<pid>/stat; detects a recycled pid. */
  startTime: string;
  controlPort: number;
  generation: number;
}

/** The gateway's file paths under `home`. */
export function gatewayPaths(home: string): GatewayPaths {
  const dir = join(home, 'gateway');
  return {
    dir,
    table: join(dir, 'table.json'),
    state: join(dir, 'gateway.json'),
    token: join(dir, 'token'),
    lock: join(dir, 'lock'),
    log: join(dir, 'gateway.log'),
  };
}

/** Writes a file so readers see the old or the new content, never a torn one. */
export function writeFileAtomic(path: string, data: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Parsed JSON of a file, or undefined if it is missing or unreadable. */
export function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Reads `gateway.json`; undefined if missing or malformed. */
export function readGatewayState(paths: GatewayPaths): GatewayState | undefined {
  const v = readJsonFile(paths.state) as Partial<GatewayState> | undefined;
  if (!v || typeof v.pid !== 'number' || typeof v.startTime !== 'string' || typeof v.controlPort !== 'number') {
    return undefined;
  }
  return { pid: v.pid, startTime: v.startTime, controlPort: v.controlPort, generation: v.generation ?? 0 };
}

/** The control API token, created (mode 0600) on first use. */
export function ensureToken(paths: GatewayPaths): string {
  mkdirSync(paths.dir, { recursive: true });
  try {
    return readFileSync(paths.token, 'utf8').trim();
  } catch {
    // Written under a temporary name and linked into place: link fails if the token exists, so of
    // two processes racing here one wins and both read the same, complete token.
    const tmp = `${paths.token}.${process.pid}.tmp`;
    writeFileAtomic(tmp, randomBytes(32).toString('hex'), 0o600);
    try {
      linkSync(tmp, paths.token);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
    return readFileSync(paths.token, 'utf8').trim();
  }
}

/** The last `lines` lines of a log file ('' when it cannot be read): for errors about a process that died. */
export function logTail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
