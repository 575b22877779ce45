/**
 * Client of HAProxy's admin (stats) socket and master CLI: one command per connection, written
 * and half-closed, the answer read until HAProxy closes. Typed helpers for the few commands the
 * gateway uses; a refusal comes back as a RuntimeError carrying HAProxy's message.
 */
import { connect } from 'node:net';
import { RuntimeError } from '../../errors.js';

/** Sends one command line to a unix socket and returns HAProxy's whole answer. */
export function haproxyCommand(path: string, command: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new RuntimeError(`HAProxy did not answer \`${command}\` within ${timeoutMs}ms`, { details: { path } }));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (out += d));
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new RuntimeError(`cannot reach HAProxy on ${path}: ${err.message}`, { cause: err }));
    });
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(out);
    });
    // Half-closing makes both the stats socket and the master CLI answer once and close.
    socket.end(`${command}\n`);
  });
}

/** A server's runtime state as `set server ... state` takes it. */
export type ServerState = 'ready' | 'drain' | 'maint';

/** One row of `show stat` (the fields the gateway reads). */
export interface StatRow {
  proxy: string;
  /** `FRONTEND`, `BACKEND` or a server name. */
  name: string;
  queued: number;
  sessions: number;
  /** Sessions so far (`stot`): a TCP proxy's connections, for it has no requests (`req_tot` is empty). */
  connections: number;
  requests: number;
  errors5xx: number;
  status: string;
}

/** What `show info` says of a worker's traffic so far (the fields the gateway reads). */
export interface ProcessTotals {
  pid: number;
  /** Connections accepted (CumConns), the admin socket's included. */
  connections: number;
  /** Requests received (CumReq): counted once a request's head is whole; each admin command is one too. */
  requests: number;
  /** Connections open now (CurrConns), the admin socket's left out. */
  open: number;
}

/** One row of `show servers conn`. */
export interface ServerConnRow {
  backend: string;
  server: string;
  usedNow: number;
  idleNow: number;
}

/** A HAProxy process's workers, from the master CLI's `show proc`. */
export interface ProcList {
  worker: number | undefined;
  oldWorkers: number[];
  /** Failed reloads since the master started. */
  failedReloads: number;
}

// Answers of `set server` that report success (anything else is HAProxy refusing the command).
const informational = /^(no need to change|IP changed from|port changed from|$)/;

/** Admin socket of one worker: the current one by default, or (through the master CLI) any by pid. */
export class AdminSocket {
  /** Path of the stats socket, or of the master socket when `pid` is set. */
  readonly path: string;
  /** Worker to address through the master CLI (`@!<pid>`); undefined: the socket's own process. */
  readonly pid: number | undefined;
  readonly timeoutMs: number;

  constructor(path: string, pid?: number, timeoutMs = 5_000) {
    this.path = path;
    this.pid = pid;
    this.timeoutMs = timeoutMs;
  }

  /** Runs a command and returns its raw answer. */
  run(command: string): Promise<string> {
    return haproxyCommand(this.path, this.pid === undefined ? command : `@!${this.pid} ${command}`, this.timeoutMs);
  }

  /** Runs a command whose answer is empty on success; throws HAProxy's message otherwise. */
  async change(command: string): Promise<void> {
    const out = (await this.run(command)).trim();
    for (const line of out.split('\n')) {
      if (!informational.test(line.trim())) {
        throw new RuntimeError(`HAProxy refused \`${command}\`: ${out}`, { details: { command } });
      }
    }
  }

  /** Points a server slot at a new address. */
  setAddress(backend: string, server: string, host: string, port: number): Promise<void> {
    return this.change(`set server ${backend}/${server} addr ${host} port ${port}`);
  }

  /** Sets a server's administrative state. */
  setState(backend: string, server: string, state: ServerState): Promise<void> {
    return this.change(`set server ${backend}/${server} state ${state}`);
  }

  /** `show stat` rows. */
  async stat(): Promise<StatRow[]> {
    const { rows, at } = parseTable('show stat', await this.run('show stat'), ',', [
      'pxname',
      'svname',
      'qcur',
      'scur',
      'stot',
      'req_tot',
      'hrsp_5xx',
      'status',
    ]);
    const [px, sv, qcur, scur, stot, req, h5, st] = at;
    // Counters a proxy line does not have (a frontend has no queue) are empty fields: 0.
    return rows.map((f) => ({
      proxy: f[px!] ?? '',
      name: f[sv!] ?? '',
      queued: Number(f[qcur!]) || 0,
      sessions: Number(f[scur!]) || 0,
      connections: Number(f[stot!]) || 0,
      requests: Number(f[req!]) || 0,
      errors5xx: Number(f[h5!]) || 0,
      status: f[st!] ?? '',
    }));
  }

  /**
   * What every frontend and backend has seen so far, as one string (`show stat -1 3 -1`: proxy rows without
   * the server slots, which are most of `show stat`: at 100 services 204 of 1,905 rows): sessions now and
   * queued, sessions, requests and 5xx answers in total. Every request and connection passes a frontend and
   * every stream to a server its backend, so while this says the same no counter of `stat()` has moved.
   */
  async proxyTotals(): Promise<string> {
    const { rows, at } = parseTable('show stat', await this.run('show stat -1 3 -1'), ',', [
      'pxname',
      'svname',
      'qcur',
      'scur',
      'stot',
      'req_tot',
      'hrsp_5xx',
    ]);
    return rows.map((f) => at.map((i) => f[i]).join(' ')).join('\n');
  }

  /**
   * `show info`'s process-wide totals: its pid, connections accepted and requests received so far (each
   * command on this socket is one of each too), and connections open now (the CLI's own not counted).
   */
  async info(): Promise<ProcessTotals> {
    const out = await this.run('show info');
    const field = (name: string): number => {
      const m = new RegExp(`^${name}: (\\d+)$`, 'm').exec(out);
      if (m === null)
        throw new RuntimeError(`unexpected \`show info\` answer from haproxy: no ${name}`, {
          details: { head: out.slice(0, 200) },
        });
      return Number(m[1]);
    };
    return { pid: field('Pid'), connections: field('CumConns'), requests: field('CumReq'), open: field('CurrConns') };
  }

  /** `show servers conn`: connections in use and idle per server. */
  async serversConn(): Promise<ServerConnRow[]> {
    const out = await this.run('show servers conn');
    const { rows, at } = parseTable('show servers conn', out, ' ', ['used_cur', 'idle_cur']);
    const [used, idle] = at;
    return rows.map((f) => {
      const [backend = '', server = ''] = (f[0] ?? '').split('/');
      return { backend, server, usedNow: Number(f[used!]) || 0, idleNow: Number(f[idle!]) || 0 };
    });
  }
}

/**
 * A runtime API table (a `# `-prefixed header line, then rows): its rows split into fields and the
 * positions of `columns`. An answer without one of them is refused by name: read as zeros, a `show
 * stat` without `scur` would make every replica look idle and let a drain end under live requests.
 */
function parseTable(
  command: string,
  out: string,
  separator: string,
  columns: readonly string[],
): { rows: string[][]; at: number[] } {
  const lines = out.split('\n').filter((l) => l.length > 0);
  const header = (lines.shift() ?? '').replace(/^# /, '').split(separator);
  const at = columns.map((c) => header.indexOf(c));
  const missing = columns.filter((_, i) => at[i]! < 0);
  if (missing.length > 0)
    throw new RuntimeError(`unexpected \`${command}\` answer from haproxy: no ${missing.join(', ')} column`, {
      details: { head: out.slice(0, 200) },
    });
  return { rows: lines.map((l) => l.split(separator)), at };
}

/** Parses the master CLI's `show proc`. */
export function parseShowProc(out: string): ProcList {
  let section = '';
  let worker: number | undefined;
  const oldWorkers: number[] = [];
  let failedReloads = 0;
  for (const line of out.split('\n')) {
    if (line.startsWith('# ')) {
      section = line.slice(2).trim();
      continue;
    }
    const m = /^(\d+)\s+(\w+)/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    if (m[2] === 'master') {
      failedReloads = Number(/\[failed: (\d+)\]/.exec(line)?.[1] ?? 0);
    } else if (section === 'workers') {
      worker = pid;
    } else if (section === 'old workers') {
      oldWorkers.push(pid);
    }
  }
  return { worker, oldWorkers, failedReloads };
}
